/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	incremental - a pull that fetches only what changed since the last
 * DESCRIPTION
 *	source.ldap.incremental: usnchanged or dirsync.  The object cache
 *	(TABLE.rcptsync-cache, ldapsync/objcache.c) holds every qualifying
 *	object of the last pull with its raw values, and the DC position
 *	that pull began at.  This run:
 *	  1. loads the cache; a missing, unreadable or stale cache (other
 *	     selection, full_every passed) means a full pull;
 *	  2. fetches (ldapsync_fetch_incr): in full, or, when the DC and its
 *	     invocationId are those of the cache, only the objects with
 *	     uSNChanged above the cached USN, plus the GUIDs of every object
 *	     changed in the naming context (tombstones included; with
 *	     dirsync, those DirSync reports from the cached cookie);
 *	  3. applies it: a changed GUID that did not come back qualifying
 *	     (deleted, moved out of the bases, no SMTP address left) is
 *	     dropped; the objects that came back replace their old copies;
 *	  4. hands every value of every cached object to the same callback
 *	     a full pull feeds, so the table cannot differ from a full
 *	     pull's (the Samba suite checks this after each kind of change);
 *	  5. hands the cache, with the position read in 2 before the
 *	     search began (a change made during the search is seen again
 *	     next time, never missed), to the caller as owed work: it is
 *	     saved only once the run is accepted (incremental_commit_save:
 *	     the table published or found unchanged).  A refused run keeps
 *	     yesterday's cache, so the next run fetches again everything
 *	     changed since (STYLE.md, "State").
 *	Self-healing: with deletions: listing, the DC lists every object
 *	that qualifies; one the cache lacks (its view of the directory was
 *	partial when it was saved: a read permission taken away and given
 *	back) could have a uSNChanged below the position, so it would
 *	never be fetched.  Any such object means a full pull, in this run.
 * DIAGNOSTICS
 *	A cache that cannot be read is a warning and a full pull; one that
 *	cannot be written fails the run (OUTPUT), as the table would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "xalloc.h"
#include "objcache.h"
#include "incremental.h"

_Static_assert(sizeof(((struct objcache_mark *)0)->cookie) ==
		       LDAPSYNC_COOKIE_MAX,
	       "the cache keeps every cookie ldapsync returns");

struct incremental_commit {
	char *path;
	struct objcache *cache;
	struct objcache_mark mark;
	int dirty; /* 0: the file already holds this */
	struct incremental_commit *next;
};

struct pull {
	struct objcache *fresh;	  /* objects fetched in this run */
	struct objcache *changed; /* GUIDs changed (incremental only) */
	struct source_stats *stats;
	unsigned long last_serial;
	int have_last;
};

/* selection_hash - what decides which objects and values are cached */
static void
selection_hash(const struct ldapsync_conf *l, char *out, size_t size)
{
	unsigned long long h = 1469598103934665603ULL;

	/* FNV-1a over every base, then the filter, 0xff between */
	for (size_t i = 0; i <= l->n_bases; i++) {
		const char *part = i < l->n_bases ? l->bases[i] : l->filter;

		for (const char *p = part; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL; /* separator */
	}
	snprintf(out, size, "%016llx", h);
}

/* take - a value of a fetched entry: into the fresh cache */
static int
take(void *ctx, const char *dn, const char *val, size_t len)
{
	struct pull *p = ctx;

	if (!p->have_last || p->last_serial != p->stats->serial) {
		objcache_put(p->fresh, p->stats->guid, p->stats->guid_len, dn);
		p->last_serial = p->stats->serial;
		p->have_last = 1;
	}
	objcache_add_value(p->fresh, p->stats->guid, p->stats->guid_len, val,
			   len);
	return 0;
}

/* note_changed - a GUID changed somewhere in the naming context */
static void
note_changed(void *ctx, const unsigned char *guid, size_t len)
{
	struct pull *p = ctx;

	objcache_put(p->changed, guid, len, "");
}

struct drop_ctx {
	struct objcache *cache;
	const struct objcache *fresh;
	unsigned long dropped;
};

/* deletions: listing: a cached GUID not listed no longer qualifies */
struct unlisted_ctx {
	const struct objcache *listed;
	unsigned char (*gone)[32];
	size_t *gone_len;
	size_t n, alloc;
};

static void
note_unlisted(void *ctx, const unsigned char *guid, size_t len)
{
	struct unlisted_ctx *u = ctx;

	if (objcache_has(u->listed, guid, len))
		return;
	if (u->n == u->alloc) {
		u->alloc = u->alloc ? 2 * u->alloc : 64;
		u->gone = xreallocarray(u->gone, u->alloc, sizeof(*u->gone));
		u->gone_len =
			xreallocarray(u->gone_len, u->alloc, sizeof(size_t));
	}
	memcpy(u->gone[u->n], guid, len);
	u->gone_len[u->n++] = len;
}

/* drop_unlisted - remove every cached object the listing lacked */
static unsigned long
drop_unlisted(struct objcache *cache, const struct objcache *listed)
{
	struct unlisted_ctx u = {listed, NULL, NULL, 0, 0};

	objcache_each_guid(cache, note_unlisted, &u);
	for (size_t i = 0; i < u.n; i++)
		objcache_remove(cache, u.gone[i], u.gone_len[i]);
	free(u.gone);
	free(u.gone_len);
	return u.n;
}

/* drop_gone - changed, but not among the fetched: it left the selection */
static void
drop_gone(void *ctx, const unsigned char *guid, size_t len)
{
	struct drop_ctx *d = ctx;

	if (!objcache_has(d->fresh, guid, len) &&
	    objcache_remove(d->cache, guid, len))
		d->dropped++;
}

struct feed_ctx {
	source_value_fn fn;
	void *ctx;
	struct source_stats *stats;
	const char *last_dn;
};

/* feed - one cached value to the normalisation pipeline */
static int
feed(void *ctx, const char *dn, const char *val, size_t len)
{
	struct feed_ctx *f = ctx;

	if (dn != f->last_dn) { /* each object's DN is its own string */
		f->stats->serial++;
		f->stats->entries++;
		f->last_dn = dn;
	}
	f->stats->values++;
	return f->fn(f->ctx, dn, val, len);
}

/* load_cache - the cache, or why there is none to continue from */
static struct objcache *
load_cache(const char *path, const struct ldapsync_conf *l,
	   struct objcache_mark *mark, char *why, size_t size)
{
	struct objcache *cache = NULL;
	struct sync_err err = {0};
	char hash[17];
	int rc = objcache_load(path, &cache, mark, &err);

	selection_hash(l, hash, sizeof(hash));
	if (rc < 0)
		log_warn("%s; pulling in full", err.msg);
	if (rc <= 0) {
		snprintf(why, size, "%s", rc == 0 ? "no cache yet" : err.msg);
	} else if (strcmp(mark->config, hash) != 0) {
		snprintf(why, size, "base or filter changed");
	} else if (time(NULL) - mark->full_at >= l->full_every ||
		   time(NULL) < mark->full_at) {
		snprintf(why, size, "full_every (%lds) passed", l->full_every);
	} else {
		return cache;
	}
	objcache_free(cache);
	memset(mark, 0, sizeof(*mark));
	return objcache_new();
}

struct missing_ctx {
	const struct objcache *cache, *fresh;
	size_t n;
};

/* note_missing - listed, but neither cached nor fetched */
static void
note_missing(void *ctx, const unsigned char *guid, size_t len)
{
	struct missing_ctx *m = ctx;

	if (!objcache_has(m->cache, guid, len) &&
	    !objcache_has(m->fresh, guid, len))
		m->n++;
}

/* pull_once - one fetch into fresh P; incremental from MARK unless FULL */
static int
pull_once(const struct ldapsync_conf *l, const struct objcache_mark *mark,
	  int full, struct ldapsync_incr *incr, struct pull *p,
	  struct source_stats *stats, struct sync_err *err)
{
	memset(incr, 0, sizeof(*incr));
	incr->prior_dc = full ? "" : mark->dc;
	incr->prior_invocation = mark->invocation;
	incr->prior_usn = mark->usn;
	incr->prior_cookie = mark->cookie;
	incr->prior_cookie_len = mark->cookie_len;
	incr->changed = note_changed;
	objcache_free(p->fresh);
	objcache_free(p->changed);
	p->fresh = objcache_new();
	p->changed = objcache_new();
	p->stats = stats;
	p->have_last = 0;
	return ldapsync_fetch_incr(l, incr, take, p, stats, err);
}

/*
 * listing_lacks - deletions: listing: how many objects the DC listed that
 * the cache lacks and this pull did not fetch (a partial view before)
 */
static size_t
listing_lacks(const struct ldapsync_conf *l, const struct ldapsync_incr *incr,
	      const struct objcache *cache, const struct pull *p)
{
	struct missing_ctx m = {cache, p->fresh, 0};

	if (!incr->incremental || incr->unchanged ||
	    l->incremental != LDAPSYNC_INCR_USNCHANGED ||
	    l->deletions != LDAPSYNC_DELETIONS_LISTING)
		return 0;
	objcache_each_guid(p->changed, note_missing, &m);
	return m.n;
}

/* apply - the pull into CACHE (or instead of it); counts into IS */
static struct objcache *
apply(const struct ldapsync_conf *l, const struct ldapsync_incr *incr,
      struct objcache *cache, struct pull *p, struct objcache_mark *mark,
      struct incremental_stats *is)
{
	if (incr->unchanged) {
		/* the cache is the directory as it is */
	} else if (incr->incremental &&
		   l->incremental == LDAPSYNC_INCR_USNCHANGED &&
		   l->deletions == LDAPSYNC_DELETIONS_LISTING) {
		is->dropped = drop_unlisted(cache, p->changed);
		objcache_merge(cache, p->fresh);
	} else if (incr->incremental) {
		struct drop_ctx d = {cache, p->fresh, 0};

		objcache_each_guid(p->changed, drop_gone, &d);
		is->dropped = d.dropped;
		objcache_merge(cache, p->fresh);
	} else {
		objcache_free(cache);
		cache = p->fresh;
		p->fresh = NULL;
		mark->full_at = time(NULL);
	}
	snprintf(mark->dc, sizeof(mark->dc), "%s", incr->dc);
	snprintf(mark->invocation, sizeof(mark->invocation), "%s",
		 incr->invocation);
	mark->usn = incr->usn;
	memcpy(mark->cookie, incr->cookie, incr->cookie_len);
	mark->cookie_len = incr->cookie_len;
	selection_hash(l, mark->config, sizeof(mark->config));
	return cache;
}

/* owe - CACHE and MARK, to be saved at PATH once the run is accepted */
static void
owe(struct incremental_commit **list, const char *path, struct objcache *cache,
    const struct objcache_mark *mark, int dirty)
{
	struct incremental_commit *c = xcalloc(1, sizeof(*c));

	c->path = xstrdup(path);
	c->cache = cache;
	c->mark = *mark;
	c->dirty = dirty;
	c->next = *list;
	*list = c;
}

/* incremental_fetch - see the DESCRIPTION */
int
incremental_fetch(const struct ldapsync_conf *l, const char *cache_path,
		  struct incremental_commit **commit, source_value_fn fn,
		  void *ctx, struct source_stats *stats,
		  struct incremental_stats *is, struct sync_err *err)
{
	struct objcache_mark *mark = xcalloc(1, sizeof(*mark));
	struct ldapsync_incr *incr = xcalloc(1, sizeof(*incr));
	struct objcache *cache;
	struct pull p = {0};
	struct feed_ctx f = {fn, ctx, stats, NULL};
	char why[600];
	size_t lacking;
	int rc;

	memset(is, 0, sizeof(*is));
	cache = load_cache(cache_path, l, mark, why, sizeof(why));
	rc = pull_once(l, mark, 0, incr, &p, stats, err);
	if (rc == 0 && (lacking = listing_lacks(l, incr, cache, &p)) > 0) {
		log_warn("%s lists %zu qualifying objects that the cache of "
			 "the last pull lacks (was its view partial?): pulling "
			 "in full",
			 incr->dc, lacking);
		snprintf(why, sizeof(why),
			 "the DC lists %zu objects the cache lacks", lacking);
		mark->dc[0] = '\0';
		rc = pull_once(l, mark, 1, incr, &p, stats, err);
	}
	if (rc == 0) {
		is->incremental = incr->incremental;
		is->fetched = objcache_count(p.fresh);
		is->changed = objcache_count(p.changed);
		is->from_usn = mark->usn;
		is->to_usn = incr->usn;
		snprintf(is->why_full, sizeof(is->why_full), "%s",
			 mark->dc[0] == '\0' ? why : incr->why_full);
		cache = apply(l, incr, cache, &p, mark, is);
		is->cached = objcache_count(cache);
	}
	if (rc == 0) {
		/* the table comes from the whole cache, as a full pull's */
		unsigned long fetched_entries = stats->entries;

		stats->entries = 0;
		stats->values = 0;
		rc = objcache_walk(cache, feed, &f);
		is->fetched_entries = fetched_entries;
	}
	if (rc == 0 && commit != NULL) {
		/* nothing new since the cached position: nothing to write */
		int dirty = !(incr->incremental && incr->usn == is->from_usn &&
			      is->fetched == 0 && is->dropped == 0);

		owe(commit, cache_path, cache, mark, dirty);
		cache = NULL;
	}
	objcache_free(cache);
	objcache_free(p.fresh);
	objcache_free(p.changed);
	free(incr);
	free(mark);
	return rc;
}

/* incremental_commit_save - see incremental.h */
int
incremental_commit_save(const struct incremental_commit *list,
			struct sync_err *err)
{
	for (const struct incremental_commit *c = list; c; c = c->next)
		if (c->dirty &&
		    objcache_save(c->path, c->cache, &c->mark, err) < 0)
			return -1;
	return 0;
}

/* incremental_commit_free - see incremental.h */
void
incremental_commit_free(struct incremental_commit *list)
{
	while (list != NULL) {
		struct incremental_commit *next = list->next;

		objcache_free(list->cache);
		free(list->path);
		free(list);
		list = next;
	}
}
