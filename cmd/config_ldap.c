/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	config_ldap - the source.ldap section of sync.yaml
 * DESCRIPTION
 *	One directory (a mapping) or a list of them (a forest's domains),
 *	each into a struct ldapsync_conf: uri, base, bind, tls, include or
 *	filter, incremental pulls.  Checks the combinations that cannot
 *	work (a simple bind over plain ldap://, DirSync on a Global
 *	Catalog, an empty base without one) before anything connects.
 * OWNERSHIP
 *	struct sync_conf owns the directories and their strings
 *	(config_free()).
 * DIAGNOSTICS
 *	CONFIG sync_err with FILE:LINE:COLUMN of the offending node.
 * SEE ALSO
 *	config_impl.h, ldapsync.h, sync.yaml.example.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "xalloc.h"
#include "config.h"
#include "config_impl.h"

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
int
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
