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
 *	continued; cacheformat.c, its contents (every qualifying object of
 *	the last pull with its raw values, and the position that pull began
 *	at); cachescan.c, its two passes; spill.c, the objects fetched;
 *	guidset.c, the GUIDs looked up.  No cache is held in memory: only
 *	GUIDs (16 bytes each) and the object being passed on, so a run's
 *	memory grows with the changes, not with the directory
 *	(doc/design.md, "Memory").
 *	One run:
 *	  1. reads the cache through once (pass 1: it is whole, and which
 *	     GUIDs it holds); a missing, unreadable or stale cache (other
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
 *	     no changed object is under a base; what it fetches goes to the
 *	     spill, an unnamed file next to the cache;
 *	  4. applies it (keeps): a changed GUID that did not come back
 *	     qualifying (deleted, moved out, no SMTP address left) is
 *	     dropped, a GUID not listed is dropped; what came back replaces
 *	     its old copy (whole entries only: search.c completes ranged
 *	     values first; of an object fetched twice, the last copy);
 *	  5. streams the new cache (pass 2): the old cache's objects that
 *	     stay, then the objects fetched, each handed to the same
 *	     callback a full pull feeds, so the table cannot differ from a
 *	     full pull's (the differential test checks it over seeded random
 *	     sequences of changes and faults, the cache's own included), and
 *	     written to a temporary file next to the cache, with the
 *	     position read in 2 before the searches began (a change made
 *	     during them is seen again next time, never missed);
 *	  6. hands that file to the caller as owed work, in a list (struct
 *	     incremental_commit): it is renamed over the cache only once the
 *	     run is accepted (incremental_commit_save: the table published
 *	     or found unchanged), and removed otherwise.  A refused run
 *	     keeps yesterday's cache (doc/design.md, "State").  Pass 2
 *	     cannot fall back to a full pull: what it handed on cannot be
 *	     taken back, so a cache that no longer reads as in pass 1 (a bad
 *	     disk; the run holds the lock, and every writer renames) fails
 *	     the run.
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
 *	The files a pull writes are its own until they are owed to the
 *	caller's list (struct incremental_commit), which then owns them.
 * DIAGNOSTICS
 *	A cache that cannot be read means a full pull (the reason is in
 *	the stats' summary); one that cannot be written (a full disk)
 *	holds nothing back: the table is built and published, the old
 *	cache stays, and the run then fails (OUTPUT, incremental_owe_failed)
 *	as it would for a table it could not write.  Objects fetched that
 *	cannot be kept (the spill) fail the pull (OUTPUT).
 * SEE ALSO
 *	MS-ADTS 3.1.1.1.9 (USNs), 3.1.1.3.4.1.3 (DirSync), 3.1.1.3.4.1.14
 *	(show deleted), 6.1.1.4 (the Deleted Objects container);
 *	position.c, changes.c, cachefile.c, cacheformat.c, cachescan.c,
 *	spill.c, guidset.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldap.h>

#include "xalloc.h"
#include "atomicfile.h"
#include "fault.h"
#include "cacheformat.h"
#include "cachescan.h"
#include "cachewrite.h"
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
	char *tmp; /* the new cache, written: renamed at save, or NULL */
	struct sync_err *failed; /* why it could not be written, or NULL */
	struct incremental_commit *next;
};

/* incremental_owe_file - see incremental.h */
void
incremental_owe_file(struct incremental_commit **list, char *path, char *tmp)
{
	struct incremental_commit *c = xcalloc(1, sizeof(*c));

	c->path = path;
	c->tmp = tmp;
	c->next = *list;
	*list = c;
}

/* incremental_owe_failed - see incremental.h */
void
incremental_owe_failed(struct incremental_commit **list, char *path,
		       const struct sync_err *e)
{
	incremental_owe_file(list, path, NULL);
	(*list)->failed = xmalloc(sizeof(*e));
	*(*list)->failed = *e;
}

/* save_one - C's new cache in place */
static int
save_one(struct incremental_commit *c, struct sync_err *err)
{
	char *dir;
	int rc;

	if (atomicfile_rename(c->tmp, c->path, err) < 0)
		return -1;
	FAULT_POINT(INCREMENTAL_STEP_CACHE_RENAMED);
	free(c->tmp);
	c->tmp = NULL;
	dir = atomicfile_dir_of(c->path);
	rc = atomicfile_fsync_dir(dir, err);
	free(dir);
	return rc;
}

/* incremental_commit_save - see incremental.h */
int
incremental_commit_save(struct incremental_commit *list, struct sync_err *err)
{
	for (struct incremental_commit *c = list; c; c = c->next)
		if (c->failed != NULL) {
			*err = *c->failed;
			return -1;
		} else if (c->tmp != NULL && save_one(c, err) < 0) {
			return -1;
		}
	return 0;
}

/* incremental_commit_free - see incremental.h */
void
incremental_commit_free(struct incremental_commit *list)
{
	while (list != NULL) {
		struct incremental_commit *next = list->next;

		if (list->tmp != NULL)
			(void)unlink(list->tmp); /* not accepted */
		free(list->tmp);
		free(list->failed);
		free(list->path);
		free(list);
		list = next;
	}
}

/* pull_free - what a pull holds */
static void
pull_free(struct pull *p)
{
	spill_free(p->fresh);
	guidset_free(p->changed);
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

/* One incremental_fetch: what its steps share. */
struct run {
	struct incremental_request r; /* pull_once takes accepted */
	struct source_stats *stats;
	char *path;		    /* the cache */
	struct objcache_mark *mark; /* the cache's; then the new cache's */
	struct cachescan *old;	    /* the cache's pass 1, or NULL */
};

/*
 * pull_once - one session of U's directory: the position, the accepted
 * domains when asked for (then not again: read once a run), then the
 * searches; a full pull when WHY_FULL says why, or when the cache's
 * position cannot be continued
 */
static int
pull_once(struct pull *p, struct run *u, const char *why_full,
	  struct sync_err *err)
{
	const struct ldapsync_conf *l = u->r.l;
	const struct objcache_mark *prior = u->mark;
	/* the session's copy: the DC the cache was taken from goes first
	 * when DNS lists it among the best (dcfind_prefer); without it a DC
	 * drawn at random would mean a full pull most runs */
	struct ldapsync_conf lc = *l;
	int ret;

	lc.prefer_dc = prior->dc[0] != '\0' ? prior->dc : NULL;
	pull_free(p);
	p->l = l;
	p->mode = incrmode_get(l);
	p->prior = prior;
	p->full = why_full != NULL;
	if (p->full)
		snprintf(p->why_full, sizeof(p->why_full), "%s", why_full);
	p->near = u->path;
	p->changed = guidset_new(GUIDSET_KEY, 0);
	if ((p->fresh = spill_new(u->path, GUIDSET_KEY, err)) == NULL)
		return -1;
	p->norm_bases = xcalloc(l->n_bases, sizeof(char *));
	for (size_t i = 0; i < l->n_bases; i++)
		p->norm_bases[i] = changes_dn_key(l->bases[i]);
	if (ldapsync_open(&lc, u->stats, &p->s, err) < 0)
		return -1;
	ret = position_read(p->s, &p->pos, err);
	if (ret == 0 && u->r.accepted != NULL &&
	    (ret = accepted_read(p->s, u->r.accepted, err)) > 0) {
		u->r.accepted = NULL;
		ret = 0;
	}
	if (ret == 0) {
		decide(p);
		ret = changes_search(p, err);
	}
	ldapsync_close(p->s);
	p->s = NULL;
	if (ret == 0 && (ret = spill_seal(p->fresh, err)) == 0)
		guidset_seal(p->changed);
	return ret;
}

/*
 * keeps - does an object of the old cache stay?  Not when it was fetched
 * (its new copy replaces it), nor when it left: not listed (a listing),
 * or changed and not fetched (tombstones, DirSync)
 */
static int
keeps(const struct pull *p, const unsigned char *guid, size_t len)
{
	if (p->unchanged)
		return 1; /* the cache is the directory as it is */
	if (spill_has(p->fresh, guid, len))
		return 0;
	if (p->mode->flags & INCRMODE_LISTS_ALL)
		return guidset_find(p->changed, guid, len, NULL);
	return !guidset_find(p->changed, guid, len, NULL);
}

/*
 * count_dropped - objects of the old cache that left the selection: not
 * listed, or changed and not fetched
 */
static unsigned long
count_dropped(const struct pull *p, const struct guidset *old)
{
	unsigned long n = 0;

	if (p->unchanged || !p->incremental)
		return 0;
	for (size_t i = 0; i < guidset_count(old); i++) {
		const unsigned char *g = guidset_key(old, i);

		if (p->mode->flags & INCRMODE_LISTS_ALL)
			n += !guidset_find(p->changed, g, GUIDSET_KEY, NULL);
		else
			n += guidset_find(p->changed, g, GUIDSET_KEY, NULL) &&
			     !spill_has(p->fresh, g, GUIDSET_KEY);
	}
	return n;
}

/* listing_lacks - listed objects the cache cannot vouch for */
static size_t
listing_lacks(const struct pull *p, const struct guidset *old)
{
	size_t n = 0;

	if (!p->incremental || p->unchanged ||
	    !(p->mode->flags & INCRMODE_LISTS_ALL))
		return 0;
	for (size_t i = 0; i < guidset_count(p->changed); i++) {
		const unsigned char *g = guidset_key(p->changed, i);

		n += !guidset_find(old, g, GUIDSET_KEY, NULL) &&
		     !spill_has(p->fresh, g, GUIDSET_KEY);
	}
	return n;
}

/* new_mark - where the next pull continues from: this pull's position */
static void
new_mark(const struct pull *p, struct objcache_mark *mark)
{
	if (!p->incremental)
		mark->full_at = time(NULL);
	snprintf(mark->dc, sizeof(mark->dc), "%s", p->pos.dc);
	snprintf(mark->invocation, sizeof(mark->invocation), "%s",
		 p->pos.invocation);
	mark->usn = p->pos.usn;
	memcpy(mark->cookie, p->ds.next, p->ds.next_len);
	mark->cookie_len = p->ds.next_len;
	cachefile_mark_config(p->l, mark);
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

struct feed {
	const struct pull *p;
	source_value_fn fn;
	void *ctx;
	struct source_stats *stats;
};

/* keeps_old - cachescan_select's keep: does an old cache's object stay? */
static int
keeps_old(void *ctx, const unsigned char *guid, size_t len)
{
	return keeps(ctx, guid, len);
}

/* feed - cachewrite's take: an object of the new cache to the pipeline */
static int
feed(void *ctx, const struct cacheobj *o, struct sync_err *err)
{
	struct feed *f = ctx;

	f->stats->serial++;
	f->stats->entries++;
	for (size_t i = 0; i < o->n; i++) {
		f->stats->values++;
		if (f->fn(f->ctx, o->dn, o->vals[i], o->lens[i]) < 0)
			return err->kind != SYNC_ERR_NONE
				       ? -1
				       : sync_err_set(err, SYNC_ERR_DATA,
						      "a cached value could "
						      "not be taken");
	}
	return 0;
}

/*
 * pull - the cache's pass 1, then the pull; in the same run a full one when
 * a listing shows that the cache lacks objects (self-healing)
 */
static int
pull(struct pull *p, struct run *u, struct incremental_stats *is,
     struct sync_err *err)
{
	struct cachefile_why w;
	char shown_dc[SHOWN_MAX];
	int rc;

	u->old = cachefile_open(u->path, u->r.l, u->mark, &w);
	snprintf(is->cache_problem, sizeof(is->cache_problem), "%s", w.problem);
	rc = pull_once(p, u, u->old == NULL ? w.why : NULL, err);
	if (rc == 0 && u->old != NULL &&
	    (is->healed = listing_lacks(p, cachescan_guids(u->old))) > 0) {
		snprintf(w.why, sizeof(w.why),
			 "%s lists %zu qualifying objects that the cache of "
			 "the last pull lacks (was its view partial?)",
			 shown(p->pos.dc, shown_dc), is->healed);
		u->mark->dc[0] = '\0';
		rc = pull_once(p, u, w.why, err);
	}
	return rc;
}

/*
 * stream_new - the new cache: what stays of the old one and what was
 * fetched, to the pipeline, and (TMP not NULL) to a temporary file
 */
static int
stream_new(struct pull *p, struct run *u, struct incremental_stats *is,
	   struct cachewrite *cw, char **tmp, struct sync_err *err)
{
	struct source_stats *stats = u->stats;
	int dirty;

	is->incremental = p->incremental;
	is->fetched = spill_count(p->fresh);
	is->changed = guidset_count(p->changed);
	is->from_usn = u->mark->usn;
	is->to_usn = p->pos.usn;
	is->fetched_entries = stats->entries;
	if (u->old != NULL)
		is->dropped = count_dropped(p, cachescan_guids(u->old));
	/* nothing new since the cached position: nothing to write */
	dirty = !(p->incremental && p->pos.usn == is->from_usn &&
		  is->fetched == 0 && is->dropped == 0);
	new_mark(p, u->mark);
	if (u->old != NULL && p->incremental) {
		/* what stays, a bit an object; the lists can go */
		cachescan_select(u->old, keeps_old, p);
		guidset_free(p->changed);
		p->changed = NULL;
		cw->old = u->old;
	} else {
		cachescan_free(u->old); /* a full pull: nothing of it stays */
		u->old = NULL;
	}
	cw->fresh = p->fresh;
	/* the table comes from the whole cache, as a full pull's */
	stats->entries = 0;
	stats->values = 0;
	if (cachewrite_run(cw, u->path,
			   u->r.commit != NULL && dirty ? tmp : NULL, err) < 0)
		return -1;
	is->cached = cw->objects;
	summarise(p, stats, is);
	return 0;
}

/* incremental_unmoved - see incremental.h */
int
incremental_unmoved(const struct incremental_request *req,
		    struct source_stats *stats, char *why, size_t size,
		    struct sync_err *err)
{
	char *path = cachefile_path(req->table, req->index);
	struct objcache_mark *mark = xcalloc(1, sizeof(*mark));
	const struct incrmode *mode = incrmode_get(req->l);
	struct ldapsync_conf lc = *req->l;
	struct ldapsync_session *s = NULL;
	struct position pos = {0};
	int rc = 0;

	memset(stats, 0, sizeof(*stats));
	if (!cachefile_mark(path, req->l, mark, why, size))
		goto out;
	/* the DC the cache was taken from, as pull_once asks */
	lc.prefer_dc = mark->dc[0] != '\0' ? mark->dc : NULL;
	if (ldapsync_open(&lc, stats, &s, err) < 0 ||
	    position_read(s, &pos, err) < 0 ||
	    (req->accepted != NULL && accepted_read(s, req->accepted, err) < 0))
		rc = -1;
	else if (!position_continues(mark, &pos,
				     (mode->flags & INCRMODE_COOKIE) != 0, why,
				     size))
		rc = 0;
	else if (pos.usn != mark->usn && /* changes_search's test */
		 !FAULT_SWITCH(FAULT_SWITCH_USN_STILL))
		snprintf(why, size, "the USN moved from %llu to %llu",
			 mark->usn, pos.usn);
	else {
		snprintf(why, size, "%s: USN %llu, as at the cache's pull",
			 stats->server, pos.usn);
		rc = 1;
	}
	ldapsync_close(s);
	free(pos.naming_context);
out:
	free(mark);
	free(path);
	return rc;
}

/* incremental_fetch - see the DESCRIPTION */
int
incremental_fetch(const struct incremental_request *req,
		  struct source_stats *stats, struct incremental_stats *is,
		  struct sync_err *err)
{
	struct run u = {.r = *req,
			.stats = stats,
			.path = cachefile_path(req->table, req->index),
			.mark = xcalloc(1, sizeof(struct objcache_mark))};
	struct pull *p = xcalloc(1, sizeof(*p));
	struct feed f = {p, req->fn, req->ctx, stats};
	struct cachewrite cw = {.mark = u.mark, .take = feed, .ctx = &f};
	char *tmp = NULL;
	int rc;

	memset(is, 0, sizeof(*is));
	rc = pull(p, &u, is, err);
	if (rc == 0)
		rc = stream_new(p, &u, is, &cw, &tmp, err);
	if (rc == 0 && u.r.commit != NULL) {
		if (cw.write_err.kind != SYNC_ERR_NONE)
			incremental_owe_failed(u.r.commit, u.path,
					       &cw.write_err);
		else
			incremental_owe_file(u.r.commit, u.path, tmp);
		u.path = NULL;
	}
	cachescan_free(u.old);
	pull_free(p);
	free(p);
	free(u.path);
	free(u.mark);
	return rc;
}
