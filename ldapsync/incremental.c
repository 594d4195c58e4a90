/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	incremental - a pull that fetches only what changed since the last
 * DESCRIPTION
 *	The one owner of incremental pulls (source.ldap.incremental:
 *	usnchanged with deletions: listing or tombstones, or dirsync): it
 *	runs them, and holds the merge policy (4 and 5 below, and the
 *	self-healing).  Its parts: position.c, the DC position; changes.c,
 *	the searches that learn what changed; cachefile.c, the object
 *	cache's name (TABLE.rcptsync-cache[.N]), whether it may be
 *	continued; objcache.c, its contents (every
 *	qualifying object of the last pull with its raw values, and the
 *	position that pull began at).
 *	One run:
 *	  1. loads the cache; a missing, unreadable or stale cache (other
 *	     selection, full_every passed) means a full pull;
 *	  2. reads the DC's position first (rootDSE dnsHostName,
 *	     highestCommittedUSN, defaultNamingContext; the invocationId of
 *	     its dsServiceName: a restored DC gets a new one, and its USNs
 *	     then mean something else, MS-ADTS 3.1.1.1.9).  It continues
 *	     the cache only from the same DC with the same invocationId;
 *	     a USN that has not moved means nothing changed anywhere;
 *	  3. learns what changed: listing, every qualifying GUID; tombstones,
 *	     every object of the naming context with uSNChanged above the
 *	     position, tombstones included (show-deleted); dirsync, the
 *	     objects DirSync reports from the cached cookie (asking for
 *	     proxyAddresses and every attribute the filter tests: DirSync
 *	     reports an object only when a requested attribute changed).
 *	     Then fetches (&(uSNChanged>=USN+1)FILTER) in the bases, unless
 *	     no changed object is under a base;
 *	  4. applies it: a changed GUID that did not come back qualifying
 *	     (deleted, moved out, no SMTP address left) is dropped, a GUID
 *	     not listed is dropped; what came back replaces its old copy
 *	     (whole entries only: search.c completes ranged values first);
 *	  5. hands every value of every cached object to the same callback
 *	     a full pull feeds, so the table cannot differ from a full
 *	     pull's (the differential test checks it over seeded random
 *	     sequences of changes and faults);
 *	  6. hands the cache, with the position read in 2 before the
 *	     searches began (a change made during them is seen again next
 *	     time, never missed), to the caller as owed work, in a list
 *	     (struct incremental_commit): it is saved only once the run is
 *	     accepted (incremental_commit_save: the table published or
 *	     found unchanged).  A refused run keeps
 *	     yesterday's cache (doc/design.md, "State").
 *	Self-healing: with deletions: listing, the DC lists every object
 *	that qualifies; one the cache lacks (its view was partial when it
 *	was saved: a read permission taken away and given back) may have a
 *	uSNChanged below the position and would never be fetched.  Any such
 *	object means a full pull, in this run.  A DirSync cookie the DC
 *	will not take, or an answer that cannot be used, also means a full
 *	pull in the same run.  Tombstones and DirSync follow changes of
 *	objects; a permission taken away is not one, so while an OU is
 *	hidden they keep its (still existing) objects where a full pull
 *	drops them; once the access is back, all agree again
 *	(doc/active-directory.md, "Incremental pulls").
 * OWNERSHIP
 *	The caches a pull builds are its own until they are owed to the
 *	caller's list (struct incremental_commit), which then owns them.
 * DIAGNOSTICS
 *	A cache that cannot be read means a full pull (the reason is in
 *	the stats' summary); one that cannot be written fails the run
 *	(OUTPUT), as the table would.
 * SEE ALSO
 *	MS-ADTS 3.1.1.1.9 (USNs), 3.1.1.3.4.1.3 (DirSync), 3.1.1.3.4.1.14
 *	(show deleted), 6.1.1.4 (the Deleted Objects container);
 *	position.c, changes.c, cachefile.c, objcache.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldap.h>

#include "xalloc.h"
#include "objcache.h"
#include "accepted.h"
#include "incremental.h"
#include "incrmode.h"
#include "pull.h"
#include "position.h"
#include "changes.h"
#include "cachefile.h"

_Static_assert(sizeof(((struct objcache_mark *)0)->cookie) ==
		       LDAPSYNC_COOKIE_MAX,
	       "the cache keeps every cookie a DirSync search returns");

struct incremental_commit {
	char *path;
	struct objcache *cache;
	struct objcache_mark mark;
	int dirty; /* 0: the file already holds this */
	struct incremental_commit *next;
};

/* incremental_owe - see incremental.h */
void
incremental_owe(struct incremental_commit **list, char *path,
		struct objcache *cache, const struct objcache_mark *mark,
		int dirty)
{
	struct incremental_commit *c = xcalloc(1, sizeof(*c));

	c->path = path;
	c->cache = cache;
	c->mark = *mark;
	c->dirty = dirty;
	c->next = *list;
	*list = c;
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

/* pull_free - what a pull holds */
static void
pull_free(struct pull *p)
{
	objcache_free(p->fresh);
	objcache_free(p->changed);
	for (size_t i = 0; p->norm_bases && i < p->l->n_bases; i++)
		ldap_memfree(p->norm_bases[i]);
	free(p->norm_bases);
	free(p->pos.naming_context);
	memset(p, 0, sizeof(*p));
}

/*
 * decide - may this pull continue the last one?  Not when FULL (why_full
 * was said by the caller)
 */
static void
decide(struct pull *p)
{
	int cookie = (p->mode->flags & INCRMODE_COOKIE) != 0;

	p->incremental = !p->full &&
			 position_continues(p->prior, &p->pos, cookie,
					    p->why_full, sizeof(p->why_full));
}

/*
 * pull_once - one session of R->l: the position, the accepted domains when
 * R->accepted (then set to NULL: read once a run), then the searches; a
 * full pull when WHY_FULL says why, or when the prior position cannot be
 * continued
 */
static int
pull_once(struct pull *p, struct incremental_request *r,
	  const struct objcache_mark *prior, const char *why_full,
	  struct source_stats *stats, struct sync_err *err)
{
	const struct ldapsync_conf *l = r->l;
	/* the session's copy: the DC the cache was taken from goes first
	 * when DNS lists it among the best (dcfind_prefer); without it a DC
	 * drawn at random would mean a full pull most runs */
	struct ldapsync_conf lc = *l;
	int ret;

	lc.prefer_dc = prior != NULL && prior->dc[0] != '\0' ? prior->dc : NULL;
	pull_free(p);
	p->l = l;
	p->mode = incrmode_get(l);
	p->prior = prior;
	p->full = why_full != NULL;
	if (p->full)
		snprintf(p->why_full, sizeof(p->why_full), "%s", why_full);
	p->fresh = objcache_new();
	p->changed = objcache_new();
	p->norm_bases = xcalloc(l->n_bases, sizeof(char *));
	for (size_t i = 0; i < l->n_bases; i++)
		p->norm_bases[i] = changes_dn_key(l->bases[i]);
	if (ldapsync_open(&lc, stats, &p->s, err) < 0)
		return -1;
	ret = position_read(p->s, &p->pos, err);
	if (ret == 0 && r->accepted != NULL &&
	    (ret = accepted_read(p->s, r->accepted, err)) > 0) {
		r->accepted = NULL;
		ret = 0;
	}
	if (ret == 0) {
		decide(p);
		ret = changes_search(p, err);
	}
	ldapsync_close(p->s);
	p->s = NULL;
	return ret;
}

struct gone_ctx {
	struct objcache *cache;
	const struct objcache *keep; /* drop what is not here */
	unsigned char (*gone)[32];
	size_t *gone_len;
	size_t n, alloc;
};

/* note_gone - a cached GUID that KEEP lacks */
static void
note_gone(void *ctx, const unsigned char *guid, size_t len)
{
	struct gone_ctx *g = ctx;

	if (objcache_has(g->keep, guid, len))
		return;
	if (g->n == g->alloc) {
		g->alloc = g->alloc ? 2 * g->alloc : 64;
		g->gone = xreallocarray(g->gone, g->alloc, sizeof(*g->gone));
		g->gone_len =
			xreallocarray(g->gone_len, g->alloc, sizeof(size_t));
	}
	memcpy(g->gone[g->n], guid, len);
	g->gone_len[g->n++] = len;
}

/* drop_unlisted - remove every cached object the listing lacked */
static unsigned long
drop_unlisted(struct objcache *cache, const struct objcache *listed)
{
	struct gone_ctx g = {cache, listed, NULL, NULL, 0, 0};

	objcache_each_guid(cache, note_gone, &g);
	for (size_t i = 0; i < g.n; i++)
		objcache_remove(cache, g.gone[i], g.gone_len[i]);
	free(g.gone);
	free(g.gone_len);
	return g.n;
}

struct drop_ctx {
	struct objcache *cache;
	const struct objcache *fresh;
	unsigned long dropped;
};

/* drop_changed - changed, but not among the fetched: it left */
static void
drop_changed(void *ctx, const unsigned char *guid, size_t len)
{
	struct drop_ctx *d = ctx;

	if (!objcache_has(d->fresh, guid, len) &&
	    objcache_remove(d->cache, guid, len))
		d->dropped++;
}

struct lack_ctx {
	const struct objcache *cache, *fresh;
	size_t n;
};

/* note_lacking - listed, but neither cached nor fetched */
static void
note_lacking(void *ctx, const unsigned char *guid, size_t len)
{
	struct lack_ctx *m = ctx;

	if (!objcache_has(m->cache, guid, len) &&
	    !objcache_has(m->fresh, guid, len))
		m->n++;
}

/* listing_lacks - listed objects the cache cannot vouch for */
static size_t
listing_lacks(const struct pull *p, const struct objcache *cache)
{
	struct lack_ctx m = {cache, p->fresh, 0};

	if (!p->incremental || p->unchanged ||
	    !(p->mode->flags & INCRMODE_LISTS_ALL))
		return 0;
	objcache_each_guid(p->changed, note_lacking, &m);
	return m.n;
}

/* apply - the pull into CACHE (or instead of it); the new mark */
static struct objcache *
apply(struct pull *p, struct objcache *cache, struct objcache_mark *mark,
      struct incremental_stats *is)
{
	if (p->unchanged) {
		/* the cache is the directory as it is */
	} else if (p->incremental && (p->mode->flags & INCRMODE_LISTS_ALL)) {
		is->dropped = drop_unlisted(cache, p->changed);
		objcache_merge(cache, p->fresh);
	} else if (p->incremental) {
		struct drop_ctx d = {cache, p->fresh, 0};

		objcache_each_guid(p->changed, drop_changed, &d);
		is->dropped = d.dropped;
		objcache_merge(cache, p->fresh);
	} else {
		objcache_free(cache);
		cache = p->fresh;
		p->fresh = NULL;
		mark->full_at = time(NULL);
	}
	snprintf(mark->dc, sizeof(mark->dc), "%s", p->pos.dc);
	snprintf(mark->invocation, sizeof(mark->invocation), "%s",
		 p->pos.invocation);
	mark->usn = p->pos.usn;
	memcpy(mark->cookie, p->ds.next, p->ds.next_len);
	mark->cookie_len = p->ds.next_len;
	cachefile_mark_config(p->l, mark);
	return cache;
}

/* summarise - one line on how the pull went, for -v and "check" */
static void
summarise(const struct pull *p, const struct source_stats *stats,
	  struct incremental_stats *is)
{
	if (!is->incremental) {
		snprintf(is->summary, sizeof(is->summary),
			 "full pull from %s (%s): %zu objects cached",
			 stats->server, p->why_full, is->cached);
		snprintf(is->pull, sizeof(is->pull),
			 "full (%s), %zu objects cached", p->why_full,
			 is->cached);
		return;
	}
	snprintf(is->pull, sizeof(is->pull),
		 "incremental%s from USN %llu to %llu, %lu changed entries, "
		 "%lu left the selection, %zu objects cached",
		 p->mode->pull_note, is->from_usn, is->to_usn,
		 is->fetched_entries, is->dropped, is->cached);
	snprintf(is->summary, sizeof(is->summary),
		 "incremental pull from %s: USN %llu to %llu, %lu changed "
		 "entries fetched, %zu objects %s, %lu left the selection; "
		 "%zu objects cached",
		 stats->server, is->from_usn, is->to_usn, is->fetched_entries,
		 is->changed, p->mode->changed_what, is->dropped, is->cached);
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

/* incremental_fetch - see the DESCRIPTION */
int
incremental_fetch(const struct incremental_request *req,
		  struct source_stats *stats, struct incremental_stats *is,
		  struct sync_err *err)
{
	struct incremental_request r = *req; /* pull_once takes accepted */
	const struct ldapsync_conf *l = r.l;
	struct objcache_mark *mark = xcalloc(1, sizeof(*mark));
	struct pull *p = xcalloc(1, sizeof(*p));
	char *path = cachefile_path(r.table, r.index);
	struct feed_ctx f = {r.fn, r.ctx, stats, NULL};
	struct objcache *cache;
	struct cachefile_why w;
	char *why = w.why, shown_dc[SHOWN_MAX];
	int rc;

	memset(is, 0, sizeof(*is));
	cache = cachefile_load(path, l, mark, &w);
	snprintf(is->cache_problem, sizeof(is->cache_problem), "%s", w.problem);
	rc = pull_once(p, &r, mark, mark->dc[0] == '\0' ? why : NULL, stats,
		       err);
	if (rc == 0 && (is->healed = listing_lacks(p, cache)) > 0) {
		snprintf(why, sizeof(w.why),
			 "%s lists %zu qualifying objects that the cache of "
			 "the last pull lacks (was its view partial?)",
			 shown(p->pos.dc, shown_dc), is->healed);
		mark->dc[0] = '\0';
		rc = pull_once(p, &r, mark, why, stats, err);
	}
	if (rc == 0) {
		is->incremental = p->incremental;
		is->fetched = objcache_count(p->fresh);
		is->changed = objcache_count(p->changed);
		is->from_usn = mark->usn;
		is->to_usn = p->pos.usn;
		is->fetched_entries = stats->entries;
		cache = apply(p, cache, mark, is);
		is->cached = objcache_count(cache);
		summarise(p, stats, is);
		/* the table comes from the whole cache, as a full pull's */
		stats->entries = 0;
		stats->values = 0;
		rc = objcache_walk(cache, feed, &f);
	}
	if (rc == 0 && r.commit != NULL) {
		/* nothing new since the cached position: nothing to write */
		int dirty = !(p->incremental && p->pos.usn == is->from_usn &&
			      is->fetched == 0 && is->dropped == 0);

		incremental_owe(r.commit, path, cache, mark, dirty);
		cache = NULL;
		path = NULL;
	}
	objcache_free(cache);
	pull_free(p);
	free(p);
	free(path);
	free(mark);
	return rc;
}
