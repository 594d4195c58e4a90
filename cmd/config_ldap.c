/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	config_ldap - the source.ldap section of sync.yaml
 * DESCRIPTION
 *	One directory (a mapping) or a list of them (a forest's domains),
 *	each into a struct ldapsync_conf: uri (or domain and site, to find
 *	the DCs in DNS), base, bind, tls, include or filter, incremental
 *	pulls.  Checks the combinations that cannot
 *	work (a simple bind over plain ldap://, DirSync on a Global
 *	Catalog, an empty base without one) before anything connects; what
 *	an incremental mode refuses is read from its row (incrmode.h).
 * OWNERSHIP
 *	struct sync_conf owns the directories and their strings
 *	(config_free()).
 * DIAGNOSTICS
 *	CONFIG sync_err with FILE:LINE:COLUMN of the offending node.
 * SEE ALSO
 *	config_impl.h, ldapsync.h, sync.yaml.example.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "xalloc.h"
#include "fault.h"
#include "adkinds.h"
#include "dcfind.h"
#include "filterattrs.h"
#include "incremental.h"
#include "incrmode.h"
#include "config.h"
#include "config_impl.h"

/* One directory being walked, and the nodes its checks across keys
 * point at (the rows' .at keep them). */
struct ldap_walk {
	struct ldapsync_conf *l;
	yaml_node_t *uri, *base;    /* absent: the directory's mapping */
	yaml_node_t *domain, *site; /* NULL: absent */
	yaml_node_t *filter, *include, *bind, *deletions; /* NULL: absent */
	yaml_node_t *incremental;			  /* NULL: absent */
};

/* check_tls - a client certificate goes with its key */
static int
check_tls(struct walker *w, yaml_node_t *node, void *dst, void *nodes)
{
	struct ldapsync_conf *l = dst;

	(void)nodes;
	if ((l->cert_file == NULL) != (l->key_file == NULL))
		return fail_at(w, node,
			       "tls.cert_file and tls.key_file go together");
	return 0;
}

/* check_bind - what each bind method needs */
static int
check_bind(struct walker *w, yaml_node_t *node, void *dst, void *nodes)
{
	struct ldapsync_conf *l = dst;

	(void)nodes;
	/* none needs nothing here; external needs tls (check_ldap) */
	if (l->bind_method == LDAPSYNC_BIND_SIMPLE &&
	    (l->bind_dn == NULL || l->password_file == NULL))
		return fail_at(w, node,
			       "bind.method simple needs dn and "
			       "password_file");
	if (l->bind_method == LDAPSYNC_BIND_GSSAPI &&
	    (l->keytab == NULL || l->principal == NULL))
		return fail_at(w, node,
			       "bind.method gssapi needs keytab and "
			       "principal (e.g. "
			       "svc-rcptsync@CORP.EXAMPLE)");
	return 0;
}

/* get_include - source.ldap.include: the object kinds, as a filter */
static int
get_include(struct walker *w, yaml_node_t *v, void *dst)
{
	struct ldapsync_conf *l = dst;
	const char *names[ADKINDS_COUNT + 1] = {NULL};
	char **kinds = NULL;
	size_t n = 0;
	unsigned wanted = 0;
	int pick;

	for (int i = 0; i < ADKINDS_COUNT; i++)
		names[i] = adkinds[i].name;
	if (get_list(w, v, "include", &kinds, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* the entry, with the mark of the include node */
		yaml_node_t el = *v;

		el.type = YAML_SCALAR_NODE;
		el.data.scalar.value = (yaml_char_t *)kinds[i];
		el.data.scalar.length = strlen(kinds[i]);
		if (get_choice(w, &el, "include entries", names, &pick) < 0) {
			free_list(kinds);
			return -1;
		}
		wanted |= 1u << pick;
	}
	free_list(kinds);
	free(l->filter);
	l->filter = adkinds_filter(wanted);
	return 0;
}

/* get_base - one or more bases; "" (the whole forest) only for a GC */
static int
get_base(struct walker *w, yaml_node_t *v, void *dst)
{
	struct ldapsync_conf *l = dst;
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

/* ldap_domain - domain: the DCs from DNS SRV records, instead of uri */
static int
ldap_domain(struct walker *w, yaml_node_t *v, void *dst)
{
	struct ldapsync_conf *l = dst;

	if (!dcfind_hostname_ok(l->domain))
		return fail_at(w, v,
			       "domain %s: must be a DNS domain name such as "
			       "corp.example (letters, digits, hyphens, dots)",
			       l->domain);
	return 0;
}

/* ldap_site - site: the AD site whose DCs are tried first */
static int
ldap_site(struct walker *w, yaml_node_t *v, void *dst)
{
	struct ldapsync_conf *l = dst;

	if (!dcfind_hostname_ok(l->site) || strchr(l->site, '.'))
		return fail_at(w, v,
			       "site %s: must be an AD site name as in DNS "
			       "(one label: letters, digits, hyphens)",
			       l->site);
	return 0;
}

/* full_every's message differs from the other durations' */
static int
ldap_full_every(struct walker *w, yaml_node_t *v, void *dst)
{
	struct ldapsync_conf *l = dst;

	if (scalar(v) == NULL ||
	    config_parse_duration(scalar(v), &l->full_every) < 0 ||
	    l->full_every <= 0)
		return fail_at(w, v,
			       "full_every must be a duration "
			       "such as 24h or 6h");
	return 0;
}

/* Index = enum ldapsync_bind, enum ldapsync_incremental, enum
 * ldapsync_deletions */
static const char *const bind_methods[] = {"simple", "none", "gssapi",
					   "external", NULL};
static const char *const incr_modes[] = {"none", "usnchanged", "dirsync", NULL};
static const char *const deletion_modes[] = {"listing", "tombstones", NULL};

#define L(member) offsetof(struct ldapsync_conf, member)
#define W(member) CONFIG_AT(struct ldap_walk, member)

static const struct config_key tls_keys[] = {
	/* absent: the system's CAs */
	CONFIG_KEY("ca_file", CONFIG_PATH, L(ca_file)),
	CONFIG_KEY("verify", CONFIG_BOOL, L(verify), .def = "true"),
	CONFIG_KEY("cert_file", CONFIG_PATH, L(cert_file)), /* EXTERNAL */
	CONFIG_KEY("key_file", CONFIG_SECRET, L(key_file)),
	CONFIG_END,
};

static const struct config_key bind_keys[] = {
	CONFIG_KEY("method", CONFIG_ENUM, L(bind_method), .names = bind_methods,
		   .def = "simple"),
	CONFIG_KEY("dn", CONFIG_STRING, L(bind_dn)),
	CONFIG_KEY("password_file", CONFIG_SECRET, L(password_file)),
	CONFIG_KEY("keytab", CONFIG_SECRET, L(keytab)),	      /* gssapi */
	CONFIG_KEY("principal", CONFIG_STRING, L(principal)), /* gssapi */
	CONFIG_END,
};

static const struct config_section tls_section = {"source.ldap.tls", "tls.",
						  tls_keys, check_tls};
static const struct config_section bind_section = {"source.ldap.bind", "bind.",
						   bind_keys, check_bind};

static const struct config_key ldap_keys[] = {
	CONFIG_KEY("uri", CONFIG_LIST, L(uris), .count = L(n_uris),
		   .at = W(uri)),
	CONFIG_KEY("domain", CONFIG_STRING, L(domain), .check = ldap_domain,
		   .at = W(domain)),
	CONFIG_KEY("site", CONFIG_STRING, L(site), .check = ldap_site,
		   .at = W(site)),
	CONFIG_FN("base", get_base, .type = CONFIG_LIST, .field = L(bases),
		  .count = L(n_bases), .at = W(base)),
	/* default: every kind (walk_ldap) */
	CONFIG_KEY("filter", CONFIG_STRING, L(filter), .at = W(filter)),
	CONFIG_KEY("page_size", CONFIG_INT, L(page_size), .min = 1,
		   .max = 100000, .def = "1000"),
	CONFIG_KEY("timeout", CONFIG_INT, L(timeout), .min = 1, .max = 3600,
		   .def = "30"),
	CONFIG_KEY("starttls", CONFIG_BOOL, L(starttls)),
	CONFIG_KEY("tls", CONFIG_SECTION, 0, .section = &tls_section),
	CONFIG_KEY("bind", CONFIG_SECTION, 0, .section = &bind_section,
		   .at = W(bind)),
	CONFIG_FN("include", get_include, .at = W(include)),
	CONFIG_KEY("range_size", CONFIG_INT, L(range_size), .min = 1,
		   .max = 100000),
	CONFIG_KEY("global_catalog", CONFIG_BOOL, L(global_catalog)),
	CONFIG_KEY("incremental", CONFIG_ENUM, L(incremental),
		   .names = incr_modes, .at = W(incremental)),
	CONFIG_FN("full_every", ldap_full_every, .def = "24h"),
	CONFIG_KEY("deletions", CONFIG_ENUM, L(deletions),
		   .names = deletion_modes, .at = W(deletions)),
	CONFIG_END,
};

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
		/* (a test switch lets it through: what does the DC say?) */
		if (ldapsync_uri_is_plain(u) && !l->starttls &&
		    l->bind_method == LDAPSYNC_BIND_SIMPLE &&
		    !FAULT_SWITCH(FAULT_SWITCH_PLAIN_SIMPLE))
			return fail_at(w, node,
				       "uri %s: a simple bind over plain "
				       "ldap:// would send the password in "
				       "clear; use ldaps:// or starttls: true",
				       u);
	}
	return 0;
}

/* ldap_mode - the row of L's incremental mode, or NULL: none */
static const struct incrmode *
ldap_mode(const struct ldapsync_conf *l)
{
	return l->incremental == LDAPSYNC_INCR_NONE ? NULL : incrmode_get(l);
}

/* check_gc - what a Global Catalog allows, and what needs one */
static int
check_gc(struct walker *w, yaml_node_t *node, const struct ldap_walk *lw)
{
	const struct ldapsync_conf *l = lw->l;
	const struct incrmode *mode = ldap_mode(l);
	int gc = l->global_catalog;

	for (size_t i = 0; i < l->n_uris; i++)
		gc |= ldapsync_uri_is_gc(l->uris[i]);
	/* DirSync and the tombstone search read one naming context (the
	 * DC's domain): on a Global Catalog the other domains' deletions
	 * would go unseen.  A GUID listing covers whatever is searched. */
	if (gc && mode != NULL && (mode->flags & INCRMODE_ONE_DOMAIN))
		return fail_at(w, node,
			       "on a Global Catalog, incremental takes "
			       "usnchanged with deletions: listing (DirSync "
			       "and tombstones see one domain)");
	for (size_t i = 0; i < l->n_bases; i++)
		if (l->bases[i][0] == '\0' && !gc)
			return fail_at(w, lw->base,
				       "an empty base (the whole forest) needs "
				       "a Global Catalog: a uri on port "
				       "3268/3269 or global_catalog: true");
	return 0;
}

/*
 * Back links: attributes AD computes on an object from links held by
 * others (a group's member, a user's manager, an object's managedBy).
 * Adding a user to a group changes the group, not the user (its
 * uSNChanged stays, DirSync reports the group): a filter testing one
 * is followed by deletions: listing (the DC lists what qualifies now),
 * not by tombstones or DirSync, which follow the objects that changed.
 * MS-ADTS 3.1.1.1.6 (linked attributes).
 */
static const char *const back_links[] = {
	"memberOf",
	"directReports",
	"managedObjects",
	NULL,
};

/* filter_back_link - the first back link FILTER tests, or NULL */
static const char *
filter_back_link(const char *filter)
{
	const char *found = NULL;
	char **attrs = NULL;
	size_t n = 0;

	filterattrs_add(&attrs, &n, filter);
	for (size_t i = 0; i < n && found == NULL; i++)
		for (size_t k = 0; back_links[k] != NULL; k++)
			if (strcasecmp(attrs[i], back_links[k]) == 0)
				found = back_links[k];
	filterattrs_free(attrs);
	return found;
}

/*
 * check_back_links - a filter on a back link with an incremental mode
 * that follows changed objects would miss a membership change until
 * full_every (a new member refused, a former one accepted): refused
 */
static int
check_back_links(struct walker *w, const struct ldap_walk *lw)
{
	const struct ldapsync_conf *l = lw->l;
	const struct incrmode *mode = ldap_mode(l);
	const yaml_node_t *mode_at;
	const char *attr;

	if (lw->filter == NULL || (attr = filter_back_link(l->filter)) == NULL)
		return 0;
	/* a mode that lists every qualifying object sees a membership
	 * change; one that follows changed objects does not */
	if (mode == NULL || (mode->flags & INCRMODE_LISTS_ALL))
		return 0;
	mode_at = mode->deletions >= 0 ? lw->deletions : lw->incremental;
	return fail_at(w, lw->filter,
		       "filter tests %s, which %s (at %s:%zu:%zu) does not "
		       "follow: adding a user to a group changes the group, "
		       "not the user, so the table would miss it until "
		       "full_every; use incremental: usnchanged with "
		       "deletions: listing",
		       attr, mode->config_words, w->path,
		       mode_at->start_mark.line + 1,
		       mode_at->start_mark.column + 1);
}

/* check_ldap - what one directory needs across its keys */
static int
check_ldap(struct walker *w, yaml_node_t *node, void *dst, void *nodes)
{
	const struct ldap_walk *lw = nodes;
	struct ldapsync_conf *l = dst;
	const struct incrmode *mode = ldap_mode(l);

	if (lw->domain != NULL && l->n_uris > 0)
		return fail_at(w, lw->domain,
			       "source.ldap takes uri or domain, not both");
	if (lw->site != NULL && lw->domain == NULL)
		return fail_at(w, lw->site,
			       "site needs domain (the DCs are found in DNS)");
	if (l->n_uris == 0 && lw->domain == NULL)
		return fail_at(w, node,
			       "source.ldap needs uri (the DCs) or domain "
			       "(find them in DNS)");
	if (l->n_bases == 0)
		return fail_at(w, node, "source.ldap needs base");
	if (lw->bind == NULL)
		return fail_at(w, node,
			       "source.ldap needs bind (method: simple, "
			       "gssapi, external or none)");
	if (lw->filter != NULL && lw->include != NULL)
		return fail_at(w, lw->include,
			       "source.ldap takes filter or include, not "
			       "both");
	if (lw->deletions != NULL && mode != NULL && mode->deletions < 0)
		return fail_at(w, lw->deletions,
			       "deletions is for incremental: usnchanged; %s",
			       mode->no_deletions_why);
	if (l->bind_method == LDAPSYNC_BIND_EXTERNAL && l->cert_file == NULL)
		return fail_at(w, lw->bind,
			       "bind.method external needs tls.cert_file and "
			       "tls.key_file (the client certificate)");
	if (check_gc(w, node, lw) < 0 || check_back_links(w, lw) < 0)
		return -1;
	return check_uris(w, lw->uri, l);
}

static const struct config_section ldap_section = {"source.ldap", "", ldap_keys,
						   check_ldap};

/* walk_ldap - one directory: source.ldap, or one item of its list */
static int
walk_ldap(struct walker *w, yaml_node_t *node, struct ldapsync_conf *l)
{
	struct ldap_walk lw = {.l = l, .uri = node, .base = node};

	config_defaults(w, &ldap_section, l);
	/* every kind of mail-enabled object; filter and include replace it */
	l->filter = adkinds_filter(ADKINDS_ALL);
	return walk_section(w, node, &ldap_section, l, &lw);
}

/* config_ldap_free - what the rows name */
void
config_ldap_free(struct ldapsync_conf *l)
{
	config_release(&ldap_section, l);
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
		return walk_ldap(w, node, &c->ldap[0]);
	}
	n = (size_t)(node->data.sequence.items.top -
		     node->data.sequence.items.start);
	if (n == 0)
		return fail_at(w, node, "source.ldap lists no directory");
	c->ldap = xcalloc(n, sizeof(*c->ldap));
	for (item = node->data.sequence.items.start;
	     item < node->data.sequence.items.top; item++) {
		c->n_ldap++;
		yaml_node_t *dir = yaml_document_get_node(w->doc, *item);

		if (walk_ldap(w, dir, &c->ldap[c->n_ldap - 1]) < 0)
			return -1;
	}
	return 0;
}
