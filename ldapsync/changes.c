/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	changes - the searches that learn what changed since a position
 * DESCRIPTION
 *	One incremental pull's searches, in one session; the change search
 *	of each mode (a row of incrmode.c) is here:
 *	  listing: every qualifying GUID under the bases;
 *	  tombstones: every object of the naming context with uSNChanged
 *	    above the position, tombstones included (show-deleted);
 *	  dirsync: the objects DirSync reports from the cached cookie
 *	    (asking for proxyAddresses and every attribute the filter tests:
 *	    DirSync reports an object only when a requested attribute
 *	    changed).
 *	Then (&(uSNChanged>=USN+1)FILTER) in the bases fetches the changed
 *	objects that qualify, unless no changed object is under a base; a
 *	full pull searches the bases with the filter alone.  A
 *	highestCommittedUSN that has not moved means no search at all.  With
 *	tombstones and DirSync, an OU or container changed since the
 *	position means a full pull in the same session (distrust_containers),
 *	and so does a DirSync cookie the DC will not take.
 * OWNERSHIP
 *	What the searches find goes into the pull's caches: fresh (the
 *	qualifying objects, complete) and changed (the GUIDs changed, listed
 *	or reported).
 * DIAGNOSTICS
 *	The search's sync_err; a DirSync refused for lack of the replication
 *	right is an AUTH error with advice.
 * SEE ALSO
 *	MS-ADTS 3.1.1.3.4.1.3 (DirSync), 3.1.1.3.4.1.14 (show deleted),
 *	6.1.1.4 (the Deleted Objects container); search.c, incremental.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "ascii.h"
#include "xalloc.h"
#include "filterattrs.h"
#include "objcache.h"
#include "search.h"
#include "incrmode.h"
#include "changes.h"

#define GUID_ATTR "objectGUID"
/* GUID_DELETED_OBJECTS_CONTAINER_W (MS-ADTS 6.1.1.4) */
#define DELETED_OBJECTS_WKGUID "18e2ea80684f11d2b9aa00c04f79f805"
/* matches no object (objectGUID is indexed): a full pull's DirSync search
 * only asks for the cookie of now */
#define DIRSYNC_NOTHING                                                \
	"(objectGUID=\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00" \
	"\\00\\00\\00\\00)"

static const char dirsync_advice[] =
	"DirSync needs the \"Replicating Directory Changes\" right on the "
	"naming context for the bind account (doc/active-directory.md, "
	"\"Incremental pulls\"), or use incremental: usnchanged";

/* changes_dirsync_attrs - see changes.h */
char **
changes_dirsync_attrs(const char *filter)
{
	char **attrs = NULL;
	size_t n = 0;

	filterattrs_add_one(&attrs, &n, GUID_ATTR, strlen(GUID_ATTR));
	filterattrs_add_one(&attrs, &n, "isDeleted", 9);
	filterattrs_add_one(&attrs, &n, "name", 4);
	/* the addresses themselves: a new alias changes nothing else */
	filterattrs_add_one(&attrs, &n, "proxyAddresses", 14);
	filterattrs_add(&attrs, &n, filter);
	return attrs;
}

/*
 * changes_dn_key - DN in one spelling (RFC 4514 via ldap_dn_normalize, ASCII
 * lower-cased: AD's names are case-insensitive), or NULL when it does not
 * parse.  Caller frees with ldap_memfree().
 */
char *
changes_dn_key(const char *dn)
{
	char *out = NULL;

	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &out,
			      LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return NULL;
	return ascii_fold(out, strlen(out));
}

/*
 * dn_in_bases - may DN (a changed object's name now) be under one of the
 * bases?  An object changed elsewhere (not moved in) cannot qualify, so
 * when no changed object is under a base, the bases need no search: the
 * ones that moved out are dropped as changed and not fetched again.  Any
 * doubt (a DN that does not parse) answers yes.
 */
static int
dn_in_bases(const struct pull *p, const char *dn)
{
	char *key;
	size_t len;
	int in = 0;

	if ((key = changes_dn_key(dn)) == NULL)
		return 1;
	len = strlen(key);
	for (size_t i = 0; i < p->l->n_bases && !in; i++) {
		const char *b = p->norm_bases[i];
		size_t bl = b ? strlen(b) : 0;

		in = b == NULL || bl == 0 ||
		     (len >= bl && strcmp(key + len - bl, b) == 0 &&
		      (len == bl || key[len - bl - 1] == ','));
	}
	ldap_memfree(key);
	return in;
}

/* bad_guid - E's objectGUID is not one (MS-DTYP 2.3.4: 16 bytes) */
static int
bad_guid(const struct ldapsync_entry *e, struct sync_err *err)
{
	char a[SHOWN_MAX];

	return sync_err_set(err, SYNC_ERR_DATA,
			    "entry %s has an objectGUID of %zu bytes, not "
			    "%d; incremental pulls need AD",
			    shown(e->dn, a), e->guid_len, GUIDSET_KEY);
}

/* take_fresh - a qualifying entry, complete: into the fresh cache */
static int
take_fresh(void *ctx, const struct ldapsync_entry *e, struct sync_err *err)
{
	struct pull *p = ctx;

	if (e->guid_len != GUIDSET_KEY)
		return bad_guid(e, err);
	if (spill_put(p->fresh, e->guid, e->guid_len, e->dn, err) < 0)
		return -1;
	for (size_t i = 0; i < e->n_vals; i++)
		spill_value(p->fresh, e->vals[i].val, e->vals[i].len);
	return 0;
}

/* note_changed - a GUID changed (or listed, or reported) */
static int
note_changed(void *ctx, const struct ldapsync_entry *e, struct sync_err *err)
{
	struct pull *p = ctx;

	if (guidset_add(p->changed, e->guid, e->guid_len, 0) < 0)
		return bad_guid(e, err);
	if (dn_in_bases(p, e->dn))
		p->n_changed_in++;
	return 0;
}

/* search_bases - FILTER under every base: the qualifying objects */
static int
search_bases(struct pull *p, const char *filter, struct sync_err *err)
{
	int ret = 0;

	for (size_t i = 0; i < p->l->n_bases && ret == 0; i++) {
		struct ldapsync_query q = {0};

		q.base = p->l->bases[i];
		q.filter = filter;
		q.values = 1;
		q.guid = 1;
		ret = ldapsync_search(p->s, &q, take_fresh, p, err);
	}
	return ret;
}

/* search_changed_bases - (&(uSNChanged>=USN+1)FILTER) under every base */
static int
search_changed_bases(struct pull *p, struct sync_err *err)
{
	size_t len = strlen(p->l->filter) + 64;
	char *f = xmalloc(len);
	int ret;

	snprintf(f, len, "(&(uSNChanged>=%llu)%s)", p->prior->usn + 1,
		 p->l->filter);
	ret = search_bases(p, f, err);
	free(f);
	return ret;
}

/* changes_listing - deletions: listing: every qualifying GUID */
int
changes_listing(struct pull *p, struct sync_err *err)
{
	int ret = 0;

	for (size_t i = 0; i < p->l->n_bases && ret == 0; i++) {
		struct ldapsync_query q = {0};

		q.base = p->l->bases[i];
		q.filter = p->l->filter;
		q.guid = 1;
		ret = ldapsync_search(p->s, &q, note_changed, p, err);
	}
	return ret;
}

/*
 * changes_tombstones - deletions: tombstones: the GUID of every object of
 * the naming context changed since the last pull, tombstones included.
 * Tombstones live in the Deleted Objects container (found by its
 * well-known GUID, MS-ADTS 6.1.1.4); AD also returns them in the subtree
 * search of the naming context, Samba only there.
 */
int
changes_tombstones(struct pull *p, struct sync_err *err)
{
	size_t len = strlen(p->pos.naming_context) + 64;
	char *deleted = xmalloc(len);
	char filter[80];
	struct ldapsync_query q = {0};
	int ret;

	snprintf(deleted, len, "<WKGUID=%s,%s>", DELETED_OBJECTS_WKGUID,
		 p->pos.naming_context);
	snprintf(filter, sizeof(filter), "(&(uSNChanged>=%llu)(objectClass=*))",
		 p->prior->usn + 1);
	q.filter = filter;
	q.guid = 1;
	q.show_deleted = 1;
	q.base = p->pos.naming_context;
	ret = ldapsync_search(p->s, &q, note_changed, p, err);
	q.base = deleted;
	if (ret == 0)
		ret = ldapsync_search(p->s, &q, note_changed, p, err);
	free(deleted);
	return ret;
}

/*
 * changes_dirsync - the objects DirSync reports since the prior cookie
 * (when P is incremental), tombstones included; or, for a full pull, only
 * the cookie of now.  DirSync takes only a naming context's root as base.
 */
int
changes_dirsync(struct pull *p, struct sync_err *err)
{
	char **attrs = changes_dirsync_attrs(p->l->filter);
	struct ldapsync_query q = {0};
	int from_prior = p->incremental;
	int ret;

	p->ds.cookie = from_prior ? p->prior->cookie : NULL;
	p->ds.cookie_len = from_prior ? p->prior->cookie_len : 0;
	q.base = p->pos.naming_context;
	q.filter = from_prior ? "(objectClass=*)" : DIRSYNC_NOTHING;
	q.guid = 1;
	q.dirsync = &p->ds;
	q.attrs = attrs;
	ret = ldapsync_search(p->s, &q, note_changed, p, err);
	if (ret < 0 && err->kind == SYNC_ERR_AUTH)
		sync_err_hint(err, dirsync_advice);
	filterattrs_free(attrs);
	return ret;
}

/* note_container - an OU or container changed */
static int
note_container(void *ctx, const struct ldapsync_entry *e, struct sync_err *err)
{
	struct pull *p = ctx;

	(void)err;
	if (p->containers++ == 0)
		shown(e->dn, p->container_dn);
	return 0;
}

/*
 * distrust_containers - tombstones and DirSync follow objects that
 * change; an OU or container that changed may have been moved or renamed
 * (the names of the objects under it change, their uSNChanged does not),
 * or had its permissions changed (objects hidden from the account, or
 * shown again, without changing them).  So one search of the naming
 * context for OUs and containers changed since the position (uSNChanged
 * is indexed; few change), leaving out those made since (a new one holds
 * only objects moved in, which changed themselves) and GPOs (a subclass
 * of container, edited often, holding no recipients); if any did, the
 * cache cannot vouch for the objects under them: a full pull, in this
 * session.  XXX Not seen: an inherited permission changed above every
 * OU (the domain's head) or through the account's group memberships;
 * deletions: listing follows those, full_every bounds them here.
 */
static int
distrust_containers(struct pull *p, struct sync_err *err)
{
	struct ldapsync_query q = {0};
	char filter[240];

	if (!p->incremental)
		return 0;
	snprintf(filter, sizeof(filter),
		 "(&(uSNChanged>=%llu)(!(uSNCreated>=%llu))"
		 "(|(objectClass=organizationalUnit)(objectClass=container))"
		 "(!(objectClass=groupPolicyContainer)))",
		 p->prior->usn + 1, p->prior->usn + 1);
	q.base = p->pos.naming_context;
	q.filter = filter;
	if (ldapsync_search(p->s, &q, note_container, p, err) < 0)
		return -1;
	if (p->containers == 0)
		return 0;
	snprintf(p->why_full, sizeof(p->why_full),
		 "%lu OUs or containers changed (%s%s): their objects may "
		 "have moved, or been hidden or shown",
		 p->containers, p->container_dn,
		 p->containers > 1 ? ", ..." : "");
	p->incremental = 0;
	return 0;
}

/*
 * fall_back - the change search failed from the prior position with an
 * error the mode's row answers with a full pull: forget what it found
 */
static int
fall_back(struct pull *p, const struct sync_err *err)
{
	const struct incrmode *m = p->mode;

	if (!p->incremental || !(m->fallback_kinds & (1 << err->kind)))
		return 0;
	snprintf(p->why_full, sizeof(p->why_full), "%s: %s", m->fallback_why,
		 err->msg);
	p->incremental = 0;
	p->n_changed_in = 0;
	guidset_free(p->changed);
	p->changed = guidset_new(GUIDSET_KEY, 0);
	return 1;
}

/* changes_search - what changed, and the changed objects that qualify */
int
changes_search(struct pull *p, struct sync_err *err)
{
	const struct incrmode *m = p->mode;
	int ret = 0;

	if (p->incremental && p->pos.usn == p->prior->usn) {
		/* highestCommittedUSN is where the DC's last change of any
		 * object went (a deletion too): unchanged, so nothing
		 * changed anywhere, and no search is needed */
		p->unchanged = 1;
		memcpy(p->ds.next, p->prior->cookie, p->prior->cookie_len);
		p->ds.next_len = p->prior->cookie_len;
		return 0;
	}
	/* The change search first: a change made during the pull is seen
	 * again next time, never missed.  With a listing, one made after it
	 * is fetched by the search after it (its uSNChanged is past the
	 * position), so only an object the cache lost can be listed but
	 * neither cached nor fetched (listing_lacks, incremental.c). */
	if (p->incremental || (m->flags & INCRMODE_COOKIE)) {
		ret = m->changes(p, err);
		if (ret < 0 && fall_back(p, err))
			ret = m->changes(p, err);
	}
	if (ret == 0 && (m->flags & INCRMODE_CONTAINERS))
		ret = distrust_containers(p, err);
	if (ret < 0)
		return -1;
	if (!p->incremental)
		return search_bases(p, p->l->filter, err);
	/* changed GUIDs first: when nothing changed under a base, the
	 * bases need no search at all (a listing's do: every object) */
	if ((m->flags & INCRMODE_LISTS_ALL) || p->n_changed_in > 0)
		return search_changed_bases(p, err);
	return 0;
}
