/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	config - read sync.yaml into struct sync_conf
 * DESCRIPTION
 *	libyaml loads the document; this file walks it section by section.
 *	Unknown keys, duplicate keys, wrong types and bad values are errors
 *	with FILE:LINE:COLUMN of the offending node (libyaml's marks are
 *	0-based; we print 1-based, as compilers do).  Nothing is guessed: a
 *	gateway that syncs against the wrong base or domain loses mail.
 *	Relative paths are taken relative to the directory of sync.yaml,
 *	so a config and its files can move together.
 * OWNERSHIP
 *	struct sync_conf owns every string; config_free() releases them.
 * DIAGNOSTICS
 *	CONFIG sync_err.
 * SEE ALSO
 *	sync.yaml.example, README "Configuration", yaml.h.
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "ascii.h"
#include "xalloc.h"
#include "proxyaddr.h"
#include "config.h"
#include "secret.h"

#define VALUE_CHARS                                                            \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:@+" \
	"=/"

struct walker {
	const char *path;
	char *dir; /* for relative paths */
	yaml_document_t *doc;
	struct sync_err *err;
};

/* Iterator over a mapping's pairs that checks keys against a list. */
struct pairs {
	yaml_node_pair_t *p, *end;
	const char *const *keys;
	const char *section;
	unsigned seen;
};

/* fail_at - CONFIG error at NODE's position */
static int __attribute__((format(printf, 3, 4)))
fail_at(struct walker *w, const yaml_node_t *node, const char *fmt, ...)
{
	char msg[SYNC_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sync_err_set(w->err, SYNC_ERR_CONFIG, "%s:%zu:%zu: %s", w->path,
			    node->start_mark.line + 1,
			    node->start_mark.column + 1, msg);
}

/* scalar - NODE's text, or NULL when it is not a scalar */
static const char *
scalar(const yaml_node_t *node)
{
	return node->type == YAML_SCALAR_NODE
		       ? (const char *)node->data.scalar.value
		       : NULL;
}

/* pairs_begin - NODE must be a mapping */
static int
pairs_begin(struct walker *w, yaml_node_t *node, const char *const *keys,
	    const char *section, struct pairs *it)
{
	if (node->type != YAML_MAPPING_NODE)
		return fail_at(w, node, "%s must be a mapping of keys",
			       section);
	it->p = node->data.mapping.pairs.start;
	it->end = node->data.mapping.pairs.top;
	it->keys = keys;
	it->section = section;
	it->seen = 0;
	return 0;
}

/* pairs_next - 1 and the key's index, 0 at the end, -1 on error */
static int
pairs_next(struct walker *w, struct pairs *it, int *index, yaml_node_t **value)
{
	yaml_node_t *key;
	const char *name;

	if (it->p >= it->end)
		return 0;
	key = yaml_document_get_node(w->doc, it->p->key);
	*value = yaml_document_get_node(w->doc, it->p->value);
	it->p++;
	if ((name = scalar(key)) == NULL)
		return fail_at(w, key, "keys of %s must be plain names",
			       it->section);
	for (int i = 0; it->keys[i] != NULL; i++) {
		if (strcmp(it->keys[i], name) != 0)
			continue;
		if (it->seen & (1u << i))
			return fail_at(w, key, "duplicate key %s in %s", name,
				       it->section);
		it->seen |= 1u << i;
		*index = i;
		return 1;
	}
	return fail_at(w, key, "unknown key \"%s\" in %s", name, it->section);
}

/* get_string - a non-empty scalar, copied */
static int
get_string(struct walker *w, const yaml_node_t *node, const char *what,
	   char **out)
{
	const char *s = scalar(node);

	if (s == NULL || *s == '\0')
		return fail_at(w, node, "%s must be a non-empty string", what);
	free(*out);
	*out = xstrdup(s);
	return 0;
}

/* get_path - a string; relative paths are under the config's dir */
static int
get_path(struct walker *w, const yaml_node_t *node, const char *what,
	 char **out)
{
	char *s = NULL;

	if (get_string(w, node, what, &s) < 0)
		return -1;
	if (s[0] != '/') {
		size_t n = strlen(w->dir) + strlen(s) + 2;
		char *abs = xmalloc(n);

		snprintf(abs, n, "%s/%s", w->dir, s);
		free(s);
		s = abs;
	}
	free(*out);
	*out = s;
	return 0;
}

/* free_list - a NULL-terminated string array */
static void
free_list(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

/* get_list - a sequence of strings, or one string; NULL-terminated */
static int
get_list(struct walker *w, yaml_node_t *node, const char *what, char ***out,
	 size_t *n)
{
	yaml_node_item_t *item;
	size_t count = 0;
	char **list;

	if (node->type == YAML_SCALAR_NODE) {
		list = xcalloc(2, sizeof(*list));
		if (get_string(w, node, what, &list[0]) < 0) {
			free(list);
			return -1;
		}
		count = 1;
	} else if (node->type == YAML_SEQUENCE_NODE) {
		size_t max = (size_t)(node->data.sequence.items.top -
				      node->data.sequence.items.start);

		list = xcalloc(max + 1, sizeof(*list));
		for (item = node->data.sequence.items.start;
		     item < node->data.sequence.items.top; item++) {
			yaml_node_t *el = yaml_document_get_node(w->doc, *item);

			if (get_string(w, el, what, &list[count]) < 0) {
				free_list(list);
				return -1;
			}
			count++;
		}
	} else {
		return fail_at(w, node,
			       "%s must be a string or a list of "
			       "strings",
			       what);
	}
	free_list(*out);
	*out = list;
	*n = count;
	return 0;
}

/* get_long - a decimal integer within [MIN, MAX] */
static int
get_long(struct walker *w, const yaml_node_t *node, const char *what, long min,
	 long max, long *out)
{
	const char *s = scalar(node);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return fail_at(w, node, "%s must be a number", what);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0')
		return fail_at(w, node, "%s must be a whole number, not \"%s\"",
			       what, s);
	if (v < min || v > max)
		return fail_at(w, node, "%s must be between %ld and %ld", what,
			       min, max);
	*out = v;
	return 0;
}

/* get_int - get_long into an int */
static int
get_int(struct walker *w, const yaml_node_t *node, const char *what, int min,
	int max, int *out)
{
	long v;

	if (get_long(w, node, what, min, max, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* config_parse_duration - a number with an optional s/m/h/d unit */
int
config_parse_duration(const char *s, long *seconds)
{
	char *end;
	long v, unit = 1;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	switch (*end) {
	case '\0': break;
	case 's':
		unit = 1;
		end++;
		break;
	case 'm':
		unit = 60;
		end++;
		break;
	case 'h':
		unit = 3600;
		end++;
		break;
	case 'd':
		unit = 86400;
		end++;
		break;
	default: return -1;
	}
	if (*end != '\0' || v > 100L * 365 * 86400 / unit)
		return -1;
	*seconds = v * unit;
	return 0;
}

/* get_grace - "24h" (a duration) or "3 runs" */
static int
get_grace(struct walker *w, const yaml_node_t *node, struct grace_rule *g)
{
	const char *s = scalar(node);
	char *end;
	long v;

	g->seconds = g->runs = 0;
	if (s != NULL && config_parse_duration(s, &g->seconds) == 0)
		return 0;
	if (s != NULL) {
		errno = 0;
		v = strtol(s, &end, 10);
		if (!errno && end != s && v > 0 && v < 1000000 &&
		    (strcmp(end, " runs") == 0 || strcmp(end, " run") == 0)) {
			g->runs = v;
			return 0;
		}
	}
	return fail_at(w, node,
		       "safety.removal_grace must be a duration "
		       "(24h, 30m, 2d) or a number of runs (3 runs)");
}

/* get_addresses - a list of addresses, checked and lower-cased */
static int
get_addresses(struct walker *w, yaml_node_t *node, const char *what,
	      char ***out, size_t *n)
{
	const char *why;

	if (get_list(w, node, what, out, n) < 0)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if (proxyaddr_check_key((*out)[i], strlen((*out)[i]), 0, &why) <
		    0)
			return fail_at(w, node, "%s: \"%s\" %s", what,
				       (*out)[i], why);
	return 0;
}

/* get_bool - YAML 1.1 booleans */
static int
get_bool(struct walker *w, const yaml_node_t *node, const char *what, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", NULL};
	static const char *const no[] = {"false", "no", "off", NULL};
	const char *s = scalar(node);

	for (int i = 0; s && yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return fail_at(w, node, "%s must be true or false", what);
}

/* get_secret_path - a path, or systemd's "credential:NAME" */
static int
get_secret_path(struct walker *w, yaml_node_t *v, const char *what, char **out)
{
	const char *s = scalar(v);

	if (s == NULL ||
	    strncmp(s, SECRET_CREDENTIAL, strlen(SECRET_CREDENTIAL)) != 0)
		return get_path(w, v, what, out);
	/* systemd LoadCredential=: resolved when read */
	s += strlen(SECRET_CREDENTIAL);
	if (*s == '\0' || strchr(s, '/') != NULL || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return fail_at(w, v,
			       "%s: credential:NAME needs a NAME without '/'",
			       what);
	return get_string(w, v, what, out);
}

/* get_choice - one of NAMES; *OUT is its index */
static int
get_choice(struct walker *w, const yaml_node_t *node, const char *what,
	   const char *const *names, int *out)
{
	const char *s = scalar(node);
	char list[200] = "";

	for (int i = 0; names[i] != NULL; i++) {
		if (s != NULL && strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s",
			 i == 0		? ""
			 : names[i + 1] ? ", "
					: " or ",
			 names[i]);
	}
	return fail_at(w, node, "%s must be %s", what, list);
}

/* walk_tls - source.ldap.tls */
static int
walk_tls(struct walker *w, yaml_node_t *node, struct ldapsync_conf *l)
{
	static const char *const keys[] = {"ca_file", "verify", "cert_file",
					   "key_file", NULL};
	struct pairs it;
	yaml_node_t *v;
	int k, rc;

	if (pairs_begin(w, node, keys, "source.ldap.tls", &it) < 0)
		return -1;
	while ((rc = pairs_next(w, &it, &k, &v)) > 0) {
		switch (k) {
		case 0: rc = get_path(w, v, "tls.ca_file", &l->ca_file); break;
		case 1: rc = get_bool(w, v, "tls.verify", &l->verify); break;
		case 2:
			rc = get_path(w, v, "tls.cert_file", &l->cert_file);
			break;
		default:
			rc = get_secret_path(w, v, "tls.key_file",
					     &l->key_file);
			break;
		}
		if (rc < 0)
			return -1;
	}
	if (rc == 0 && (l->cert_file == NULL) != (l->key_file == NULL))
		return fail_at(w, node,
			       "tls.cert_file and tls.key_file go together");
	return rc;
}

/* walk_bind - source.ldap.bind */
static int
walk_bind(struct walker *w, yaml_node_t *node, struct ldapsync_conf *l)
{
	static const char *const keys[] = {
		"method", "dn", "password_file", "keytab", "principal", NULL};
	static const char *const methods[] = {"simple", "none", "gssapi",
					      "external", NULL};
	struct pairs it;
	yaml_node_t *v;
	int k, rc;

	if (pairs_begin(w, node, keys, "source.ldap.bind", &it) < 0)
		return -1;
	while ((rc = pairs_next(w, &it, &k, &v)) > 0) {
		switch (k) {
		case 0:
			/* Index = enum ldapsync_bind */
			rc = get_choice(w, v, "bind.method", methods,
					&l->bind_method);
			break;
		case 1: rc = get_string(w, v, "bind.dn", &l->bind_dn); break;
		case 2:
			rc = get_secret_path(w, v, "bind.password_file",
					     &l->password_file);
			break;
		case 3:
			rc = get_secret_path(w, v, "bind.keytab", &l->keytab);
			break;
		default:
			rc = get_string(w, v, "bind.principal", &l->principal);
			break;
		}
		if (rc < 0)
			return -1;
	}
	if (rc < 0)
		return rc;
	switch (l->bind_method) {
	case LDAPSYNC_BIND_SIMPLE:
		if (l->bind_dn == NULL || l->password_file == NULL)
			return fail_at(w, node,
				       "bind.method simple needs dn and "
				       "password_file");
		break;
	case LDAPSYNC_BIND_GSSAPI:
		if (l->keytab == NULL || l->principal == NULL)
			return fail_at(w, node,
				       "bind.method gssapi needs keytab and "
				       "principal (e.g. "
				       "svc-rcptsync@CORP.EXAMPLE)");
		break;
	default: break;
	}
	return 0;
}

/* check_uris - scheme, and no simple bind over plain text */
static int
check_uris(struct walker *w, yaml_node_t *node, struct ldapsync_conf *l)
{
	for (size_t i = 0; i < l->n_uris; i++) {
		const char *u = l->uris[i];

		if (strncasecmp(u, "ldap://", 7) != 0 &&
		    strncasecmp(u, "ldaps://", 8) != 0 &&
		    strncasecmp(u, "ldapi://", 8) != 0)
			return fail_at(w, node,
				       "uri %s: must start with "
				       "ldaps://, ldap:// or ldapi://",
				       u);
		if (ldapsync_uri_is_plain(u) && !l->starttls &&
		    l->bind_method == LDAPSYNC_BIND_SIMPLE)
			return fail_at(w, node,
				       "uri %s: a simple bind over plain "
				       "ldap:// would send the password in "
				       "clear; use ldaps:// or starttls: true",
				       u);
	}
	return 0;
}

/* Object kinds of "include", in the order of the default filter. */
static const char *const include_names[] = {
	"users", "groups", "contacts", "public_folders", "dynamic_lists", NULL};
static const char *const include_classes[] = {"user", "group", "contact",
					      "publicFolder",
					      "msExchDynamicDistributionList"};

/* get_include - source.ldap.include: the object kinds, as a filter */
static int
get_include(struct walker *w, yaml_node_t *v, struct ldapsync_conf *l)
{
	char **kinds = NULL, filter[512];
	size_t n = 0, used;
	int pick, wanted[5] = {0};

	if (get_list(w, v, "include", &kinds, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t el = *v;

		el.type = YAML_SCALAR_NODE;
		el.data.scalar.value = (yaml_char_t *)kinds[i];
		el.data.scalar.length = strlen(kinds[i]);
		if (get_choice(w, &el, "include entries", include_names,
			       &pick) < 0) {
			free_list(kinds);
			return -1;
		}
		wanted[pick] = 1;
	}
	free_list(kinds);
	used = (size_t)snprintf(filter, sizeof(filter),
				"(&(proxyAddresses=smtp:*)(|");
	for (int i = 0; i < 5; i++)
		if (wanted[i])
			used += (size_t)snprintf(
				filter + used, sizeof(filter) - used,
				"(objectClass=%s)", include_classes[i]);
	snprintf(filter + used, sizeof(filter) - used, "))");
	free(l->filter);
	l->filter = xstrdup(filter);
	return 0;
}

/* get_base - one or more bases; "" (the whole forest) only for a GC */
static int
get_base(struct walker *w, yaml_node_t *v, struct ldapsync_conf *l)
{
	const char *s = scalar(v);

	if (s != NULL && *s == '\0') {
		free_list(l->bases);
		l->bases = xcalloc(2, sizeof(*l->bases));
		l->bases[0] = xstrdup("");
		l->n_bases = 1;
		return 0;
	}
	if (get_list(w, v, "base", &l->bases, &l->n_bases) < 0)
		return -1;
	/* In a YAML flow list, [OU=A,DC=x,DC=y] is three items: an AD
	 * base always has DC= components, so catch the unquoted DN. */
	for (size_t i = 0; i < l->n_bases; i++)
		if (strcasestr(l->bases[i], "dc=") == NULL)
			return fail_at(w, v,
				       "base \"%s\" has no DC= component; "
				       "inside [ ] a DN must be quoted, as "
				       "in ['OU=Staff,DC=corp,DC=example']",
				       l->bases[i]);
	return 0;
}

/* walk_ldap - one directory: source.ldap, or one item of its list */
static int
walk_ldap(struct walker *w, yaml_node_t *node, struct ldapsync_conf *l)
{
	static const char *const keys[] = {
		"uri",	      "base",		"filter",
		"page_size",  "timeout",	"starttls",
		"tls",	      "bind",		"include",
		"range_size", "global_catalog", "incremental",
		"full_every", "deletions",	NULL};
	static const char *const deletion_modes[] = {"listing", "tombstones",
						     NULL};
	static const char *const incr_modes[] = {"none", "usnchanged",
						 "dirsync", NULL};
	yaml_node_t *v, *uri_node = node, *bind_node = NULL;
	yaml_node_t *filter_node = NULL, *include_node = NULL;
	yaml_node_t *base_node = node, *deletions_node = NULL;
	struct pairs it;
	int k, rc, gc;

	if (pairs_begin(w, node, keys, "source.ldap", &it) < 0)
		return -1;
	while ((rc = pairs_next(w, &it, &k, &v)) > 0) {
		switch (k) {
		case 0:
			uri_node = v;
			rc = get_list(w, v, "uri", &l->uris, &l->n_uris);
			break;
		case 1:
			base_node = v;
			rc = get_base(w, v, l);
			break;
		case 2:
			filter_node = v;
			rc = get_string(w, v, "filter", &l->filter);
			break;
		case 3:
			rc = get_int(w, v, "page_size", 1, 100000,
				     &l->page_size);
			break;
		case 4:
			rc = get_int(w, v, "timeout", 1, 3600, &l->timeout);
			break;
		case 5: rc = get_bool(w, v, "starttls", &l->starttls); break;
		case 6: rc = walk_tls(w, v, l); break;
		case 7:
			bind_node = v;
			rc = walk_bind(w, v, l);
			break;
		case 8:
			include_node = v;
			rc = get_include(w, v, l);
			break;
		case 9:
			rc = get_int(w, v, "range_size", 1, 100000,
				     &l->range_size);
			break;
		case 10:
			rc = get_bool(w, v, "global_catalog",
				      &l->global_catalog);
			break;
		case 11:
			/* Index = enum ldapsync_incremental */
			rc = get_choice(w, v, "incremental", incr_modes,
					&l->incremental);
			break;
		case 13:
			deletions_node = v;
			/* Index = enum ldapsync_deletions */
			rc = get_choice(w, v, "deletions", deletion_modes,
					&l->deletions);
			break;
		default:
			if (scalar(v) == NULL ||
			    config_parse_duration(scalar(v), &l->full_every) <
				    0 ||
			    l->full_every <= 0)
				rc = fail_at(w, v,
					     "full_every must be a duration "
					     "such as 24h or 6h");
			break;
		}
		if (rc < 0)
			return -1;
	}
	if (l->n_uris == 0)
		return fail_at(w, node, "source.ldap needs uri");
	if (l->n_bases == 0)
		return fail_at(w, node, "source.ldap needs base");
	if (bind_node == NULL)
		return fail_at(w, node,
			       "source.ldap needs bind (method: simple, "
			       "gssapi, external or none)");
	if (filter_node != NULL && include_node != NULL)
		return fail_at(w, include_node,
			       "source.ldap takes filter or include, not "
			       "both");
	if (deletions_node != NULL && l->incremental == LDAPSYNC_INCR_DIRSYNC)
		return fail_at(w, deletions_node,
			       "deletions is for incremental: usnchanged; "
			       "DirSync reports deletions itself");
	if (l->bind_method == LDAPSYNC_BIND_EXTERNAL && l->cert_file == NULL)
		return fail_at(w, bind_node,
			       "bind.method external needs tls.cert_file and "
			       "tls.key_file (the client certificate)");
	gc = l->global_catalog;
	for (size_t i = 0; i < l->n_uris; i++)
		gc |= ldapsync_uri_is_gc(l->uris[i]);
	/* DirSync and the tombstone search read one naming context (the
	 * DC's domain): on a Global Catalog the other domains' deletions
	 * would go unseen.  A GUID listing covers whatever is searched. */
	if (gc && (l->incremental == LDAPSYNC_INCR_DIRSYNC ||
		   (l->incremental == LDAPSYNC_INCR_USNCHANGED &&
		    l->deletions == LDAPSYNC_DELETIONS_TOMBSTONES)))
		return fail_at(w, node,
			       "on a Global Catalog, incremental takes "
			       "usnchanged with deletions: listing (DirSync "
			       "and tombstones see one domain)");
	for (size_t i = 0; i < l->n_bases; i++)
		if (l->bases[i][0] == '\0' && !gc)
			return fail_at(w, base_node,
				       "an empty base (the whole forest) needs "
				       "a Global Catalog: a uri on port "
				       "3268/3269 or global_catalog: true");
	return check_uris(w, uri_node, l);
}

/* ldap_defaults - one directory's defaults */
static void
ldap_defaults(struct ldapsync_conf *l)
{
	memset(l, 0, sizeof(*l));
	l->page_size = 1000;
	l->timeout = 30;
	l->verify = 1;
	l->bind_method = LDAPSYNC_BIND_SIMPLE;
	l->full_every = 24 * 3600;
}

/* walk_ldap_list - source.ldap: one directory, or a list (a forest) */
static int
walk_ldap_list(struct walker *w, yaml_node_t *node, struct sync_conf *c)
{
	yaml_node_item_t *item;
	size_t n;

	if (node->type != YAML_SEQUENCE_NODE) {
		c->ldap = xcalloc(1, sizeof(*c->ldap));
		c->n_ldap = 1;
		ldap_defaults(&c->ldap[0]);
		return walk_ldap(w, node, &c->ldap[0]);
	}
	n = (size_t)(node->data.sequence.items.top -
		     node->data.sequence.items.start);
	if (n == 0)
		return fail_at(w, node, "source.ldap lists no directory");
	c->ldap = xcalloc(n, sizeof(*c->ldap));
	for (item = node->data.sequence.items.start;
	     item < node->data.sequence.items.top; item++) {
		ldap_defaults(&c->ldap[c->n_ldap]);
		c->n_ldap++;
		yaml_node_t *dir = yaml_document_get_node(w->doc, *item);

		if (walk_ldap(w, dir, &c->ldap[c->n_ldap - 1]) < 0)
			return -1;
	}
	return 0;
}

/* walk_source - exactly one of ldap and ldif */
static int
walk_source(struct walker *w, yaml_node_t *node, struct sync_conf *c)
{
	static const char *const keys[] = {"ldap", "ldif", NULL};
	struct pairs it;
	yaml_node_t *v;
	int k, rc;

	if (pairs_begin(w, node, keys, "source", &it) < 0)
		return -1;
	while ((rc = pairs_next(w, &it, &k, &v)) > 0) {
		if (it.seen == 3)
			return fail_at(w, v,
				       "source takes ldap or ldif, not "
				       "both");
		c->source = k == 0 ? CONFIG_SOURCE_LDAP : CONFIG_SOURCE_LDIF;
		rc = k == 0 ? walk_ldap_list(w, v, c)
			    : get_path(w, v, "source.ldif", &c->ldif);
		if (rc < 0)
			return -1;
	}
	if (rc == 0 && it.seen == 0)
		return fail_at(w, node, "source needs ldap or ldif");
	return rc;
}

/* walk_output - output.table, .type, .value */
static int
walk_output(struct walker *w, yaml_node_t *node, struct sync_conf *c)
{
	static const char *const keys[] = {"table", "type", "value", NULL};
	/* Index = enum mapdb_type; "texthash" is another name for text. */
	static const char *const types[] = {"hash", "btree", "text",
					    "lmdb", "cdb",   NULL};
	struct pairs it;
	yaml_node_t *v;
	int k, rc;

	if (pairs_begin(w, node, keys, "output", &it) < 0)
		return -1;
	while ((rc = pairs_next(w, &it, &k, &v)) > 0) {
		if (k == 0) {
			rc = get_path(w, v, "output.table", &c->table);
		} else if (k == 1) {
			const char *s = scalar(v);
			int t;

			for (t = 0; s && types[t]; t++)
				if (strcmp(s, types[t]) == 0)
					break;
			if (s != NULL && strcmp(s, "texthash") == 0)
				t = MAPDB_TEXT;
			else if (s == NULL || types[t] == NULL)
				return fail_at(w, v,
					       "output.type must be "
					       "hash, btree, lmdb, cdb "
					       "or text");
			if (!mapdb_available(t))
				return fail_at(w, v,
					       "output.type %s is not built "
					       "into this rcptsync (meson "
					       "-D%s=enabled; see rcptsync "
					       "--version)",
					       s,
					       t == MAPDB_LMDB	? "lmdb"
					       : t == MAPDB_CDB ? "cdb"
								: "bdb");
			c->type = t;
		} else {
			rc = get_string(w, v, "output.value", &c->value);
			/* The value must not split or comment out the line. */
			if (rc == 0 &&
			    strspn(c->value, VALUE_CHARS) != strlen(c->value))
				return fail_at(w, v,
					       "output.value must be one "
					       "word of letters, digits "
					       "and .-_:@+=/");
		}
		if (rc < 0)
			return -1;
	}
	if (rc == 0 && c->table == NULL)
		return fail_at(w, node, "output needs table");
	return rc;
}

/* get_max_removed - "500" or "10%" */
static int
get_max_removed(struct walker *w, yaml_node_t *v, struct safety_limits *s)
{
	const char *str = scalar(v);
	size_t len = str ? strlen(str) : 0;
	char *end;
	double pct;

	if (len > 1 && str[len - 1] == '%') {
		errno = 0;
		pct = strtod(str, &end);
		/* digits and a point only: strtod also takes "nan", "inf"
		 * and hex, and a NaN passes every comparison */
		if (errno || end != str + len - 1 ||
		    strspn(str, "0123456789.") != len - 1 ||
		    !(pct >= 0 && pct <= 100))
			return fail_at(w, v,
				       "safety.max_removed: \"%s\" is "
				       "not a percentage from 0%% to "
				       "100%%",
				       str);
		s->max_removed_pct = pct;
		return 0;
	}
	s->max_removed_pct = -1;
	return get_long(w, v, "safety.max_removed (a count or N%)", 0,
			1000000000, &s->max_removed);
}

/* walk_safety - safety.max_removed, .min_recipients */
static int
walk_safety(struct walker *w, yaml_node_t *node, struct sync_conf *c)
{
	static const char *const keys[] = {"max_removed",    "min_recipients",
					   "removal_grace",  "must_exist",
					   "must_not_exist", NULL};
	struct pairs it;
	yaml_node_t *v;
	int k, rc;

	if (pairs_begin(w, node, keys, "safety", &it) < 0)
		return -1;
	while ((rc = pairs_next(w, &it, &k, &v)) > 0) {
		switch (k) {
		case 0: rc = get_max_removed(w, v, &c->safety); break;
		case 1:
			rc = get_long(w, v, "safety.min_recipients", 0,
				      1000000000, &c->safety.min_recipients);
			break;
		case 2: rc = get_grace(w, v, &c->grace); break;
		case 3:
			rc = get_addresses(w, v, "safety.must_exist",
					   &c->must_exist, &c->n_must_exist);
			break;
		default:
			rc = get_addresses(w, v, "safety.must_not_exist",
					   &c->must_not_exist,
					   &c->n_must_not_exist);
			break;
		}
		if (rc < 0)
			return -1;
	}
	return rc;
}

/* walk_hooks - hooks.after_change: argv, absolute program path */
static int
walk_hooks(struct walker *w, yaml_node_t *node, struct sync_conf *c)
{
	static const char *const keys[] = {"after_change", "timeout", NULL};
	struct pairs it;
	yaml_node_t *v;
	int k, rc;

	if (pairs_begin(w, node, keys, "hooks", &it) < 0)
		return -1;
	while ((rc = pairs_next(w, &it, &k, &v)) > 0) {
		if (k == 1) {
			if (get_int(w, v, "hooks.timeout", 1, 3600,
				    &c->hook_timeout) < 0)
				return -1;
			continue;
		}
		if (get_list(w, v, "hooks.after_change", &c->after_change,
			     &c->n_after_change) < 0)
			return -1;
		if (c->n_after_change == 0)
			return fail_at(w, v,
				       "hooks.after_change: an empty list; "
				       "give the program and its arguments, "
				       "or leave the key out");
		if (c->after_change[0][0] != '/')
			return fail_at(w, v,
				       "hooks.after_change: the program "
				       "must be an absolute path (no "
				       "shell, no PATH search)");
	}
	return rc;
}

/* walk_verify_cache - verify_cache.path, .type, .recipient_delimiter */
static int
walk_verify_cache(struct walker *w, yaml_node_t *node, struct sync_conf *c)
{
	static const char *const keys[] = {"path", "type",
					   "recipient_delimiter", NULL};
	struct pairs it;
	yaml_node_t *v;
	const char *s;
	int k, rc;

	if (pairs_begin(w, node, keys, "verify_cache", &it) < 0)
		return -1;
	while ((rc = pairs_next(w, &it, &k, &v)) > 0) {
		if (k == 0) {
			if (get_path(w, v, "verify_cache.path",
				     &c->verify_cache) < 0)
				return -1;
			continue;
		}
		s = scalar(v);
		if (k == 2) {
			/* Postfix's recipient_delimiter: a set of characters,
			 * none of which can occur in a domain. */
			if (s == NULL || strspn(s, "+-_=#~&") != strlen(s))
				return fail_at(w, v,
					       "verify_cache.recipient_"
					       "delimiter must be characters "
					       "from +-_=#~& (as in main.cf)");
			free(c->verify_delimiters);
			c->verify_delimiters = xstrdup(s);
			continue;
		}
		if (s != NULL && strcmp(s, "btree") == 0)
			c->verify_cache_type = MAPDB_BTREE;
		else if (s != NULL && strcmp(s, "hash") == 0)
			c->verify_cache_type = MAPDB_HASH;
		else if (s != NULL && strcmp(s, "lmdb") == 0)
			c->verify_cache_type = MAPDB_LMDB;
		else
			return fail_at(w, v,
				       "verify_cache.type must be btree, "
				       "lmdb or hash (address_verify_map; "
				       "never proxy:)");
		if (!mapdb_available(c->verify_cache_type))
			return fail_at(w, v,
				       "verify_cache.type %s is not built "
				       "into this rcptsync (see rcptsync "
				       "--version)",
				       s);
	}
	if (rc == 0 && c->verify_cache == NULL)
		return fail_at(w, node, "verify_cache needs path");
	return rc;
}

/* walk_log - log.syslog */
static int
walk_log(struct walker *w, yaml_node_t *node, struct sync_conf *c)
{
	static const char *const keys[] = {"syslog", NULL};
	struct pairs it;
	yaml_node_t *v;
	int k, rc;

	if (pairs_begin(w, node, keys, "log", &it) < 0)
		return -1;
	while ((rc = pairs_next(w, &it, &k, &v)) > 0)
		if (get_bool(w, v, "log.syslog", &c->log_syslog) < 0)
			return -1;
	return rc;
}

/* get_domains - LDH names, an optional leading dot, lower-cased */
static int
get_domains(struct walker *w, yaml_node_t *v, struct sync_conf *c)
{
	if (get_list(w, v, "domains", &c->domains, &c->n_domains) < 0)
		return -1;
	for (size_t i = 0; i < c->n_domains; i++) {
		char *d = c->domains[i];
		const char *name = d[0] == '.' ? d + 1 : d;

		ascii_fold(d, strlen(d));
		if (!proxyaddr_domain_ok(name, strlen(name)))
			return fail_at(w, v,
				       "domains: \"%s\" is not a domain "
				       "name",
				       d);
	}
	return 0;
}

/* get_exclude - fnmatch patterns, matched against lower-case keys */
static int
get_exclude(struct walker *w, yaml_node_t *v, struct sync_conf *c)
{
	if (get_list(w, v, "exclude", &c->exclude, &c->n_exclude) < 0)
		return -1;
	for (size_t i = 0; i < c->n_exclude; i++)
		ascii_fold(c->exclude[i], strlen(c->exclude[i]));
	return 0;
}

/* get_duration - a positive duration such as 30m */
static int
get_duration(struct walker *w, yaml_node_t *v, const char *what, long *out)
{
	if (scalar(v) == NULL || config_parse_duration(scalar(v), out) < 0 ||
	    *out <= 0)
		return fail_at(w, v, "%s must be a duration such as 30m or 1h",
			       what);
	return 0;
}

/* walk_root - the top-level keys */
static int
walk_root(struct walker *w, yaml_node_t *root, struct sync_conf *c)
{
	static const char *const keys[] = {
		"source", "domains",  "exclude", "extra", "output",
		"safety", "hooks",    "lock",	 "state", "verify_cache",
		"log",	  "deadline", NULL};
	struct pairs it;
	yaml_node_t *v;
	int k, rc;

	if (pairs_begin(w, root, keys, "the configuration", &it) < 0)
		return -1;
	while ((rc = pairs_next(w, &it, &k, &v)) > 0) {
		switch (k) {
		case 0: rc = walk_source(w, v, c); break;
		case 1: rc = get_domains(w, v, c); break;
		case 2: rc = get_exclude(w, v, c); break;
		case 3: rc = get_path(w, v, "extra", &c->extra); break;
		case 4: rc = walk_output(w, v, c); break;
		case 5: rc = walk_safety(w, v, c); break;
		case 6: rc = walk_hooks(w, v, c); break;
		case 7: rc = get_path(w, v, "lock", &c->lock); break;
		case 8: rc = get_path(w, v, "state", &c->state); break;
		case 9: rc = walk_verify_cache(w, v, c); break;
		case 10: rc = walk_log(w, v, c); break;
		case 11:
			rc = get_duration(w, v, "deadline", &c->deadline);
			break;
		default: panic("walk_root: key %d has no handler", k);
		}
		if (rc < 0)
			return -1;
	}
	if (!(it.seen & 1))
		return fail_at(w, root, "the configuration needs source");
	if (!(it.seen & (1 << 4)))
		return fail_at(w, root, "the configuration needs output");
	return rc;
}

/* set_defaults - what an absent key means (README, sync.yaml.example) */
static void
set_defaults(struct sync_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->source = -1;
	c->type = MAPDB_HASH;
	c->safety.max_removed_pct = 10;
	c->safety.min_recipients = 1;
	c->hook_timeout = 60;
	c->deadline = CONFIG_DEFAULT_DEADLINE;
	c->verify_cache_type = MAPDB_BTREE; /* Postfix's default */
}

/* fill_late_defaults - strings that default only when absent */
static void
fill_late_defaults(struct sync_conf *c)
{
	for (size_t i = 0; i < c->n_ldap; i++)
		if (c->ldap[i].filter == NULL)
			c->ldap[i].filter = xstrdup(LDAPSYNC_DEFAULT_FILTER);
	if (c->value == NULL)
		c->value = xstrdup("OK");
	if (c->lock == NULL)
		c->lock = xstrdup(CONFIG_DEFAULT_LOCK);
	if (c->verify_delimiters == NULL)
		c->verify_delimiters = xstrdup("");
	if (c->state == NULL && c->table != NULL) {
		size_t n = strlen(c->table) + sizeof(".rcptsync-state");

		c->state = xmalloc(n);
		snprintf(c->state, n, "%s.rcptsync-state", c->table);
	}
}

/* parse_error - libyaml's own syntax error, with its mark */
static int
parse_error(const char *path, yaml_parser_t *parser, struct sync_err *err)
{
	const yaml_mark_t *m =
		parser->problem ? &parser->problem_mark : &parser->context_mark;

	return sync_err_set(err, SYNC_ERR_CONFIG,
			    "%s:%zu:%zu: YAML error: %s%s%s", path, m->line + 1,
			    m->column + 1,
			    parser->problem ? parser->problem : "unknown",
			    parser->context ? " " : "",
			    parser->context ? parser->context : "");
}

/* config_load - read, parse, walk */
int
config_load(const char *path, struct sync_conf *conf, struct sync_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct walker w;
	char *copy;
	FILE *fp;
	int ret = -1;

	set_defaults(conf);
	if ((fp = fopen(path, "r")) == NULL)
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "cannot open configuration %s: %s", path,
				    strerror(errno));
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &doc)) {
		parse_error(path, &parser, err);
		yaml_parser_delete(&parser);
		fclose(fp);
		return -1;
	}
	copy = xstrdup(path);
	w.path = path;
	w.dir = xstrdup(dirname(copy));
	w.doc = &doc;
	w.err = err;
	if ((root = yaml_document_get_root_node(&doc)) == NULL)
		sync_err_set(err, SYNC_ERR_CONFIG,
			     "%s:1:1: the configuration "
			     "is empty",
			     path);
	else if (walk_root(&w, root, conf) == 0)
		ret = 0;
	fill_late_defaults(conf);
	free(copy);
	free(w.dir);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(fp);
	return ret;
}

/* config_free - every string and list */
void
config_free(struct sync_conf *c)
{
	for (size_t i = 0; i < c->n_ldap; i++) {
		struct ldapsync_conf *l = &c->ldap[i];

		free_list(l->uris);
		free_list(l->bases);
		free(l->filter);
		free(l->ca_file);
		free(l->cert_file);
		free(l->key_file);
		free(l->bind_dn);
		free(l->password_file);
		free(l->keytab);
		free(l->principal);
	}
	free(c->ldap);
	free(c->ldif);
	free_list(c->domains);
	free_list(c->exclude);
	free(c->extra);
	free(c->table);
	free(c->value);
	free_list(c->after_change);
	free_list(c->must_exist);
	free_list(c->must_not_exist);
	free(c->lock);
	free(c->state);
	free(c->verify_cache);
	free(c->verify_delimiters);
	memset(c, 0, sizeof(*c));
}
