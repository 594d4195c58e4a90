/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_GRAPHDELTA_H
#define RCPTSYNC_GRAPHDELTA_H

/* The object cache and deltaLinks of source.graph's incremental: delta,
 * for graph.c only. */
#include <stddef.h>

#include "source.h"
#include "syncerr.h"
#include "objcache.h"
#include "cachescan.h"
#include "spill.h"
#include "graph.h"
#include "graphpage.h"

struct incremental_commit;

/* What a delta run continues from, and what it makes of it. */
struct graphdelta {
	char *path;			/* TABLE.rcptsync-cache.graph */
	struct cachescan *old;		/* the cache's pass 1, or NULL */
	struct spill *fresh;		/* this round's objects, removals */
	struct sync_err spill_err;	/* why there is no spill */
	struct objcache_mark mark;	/* as loaded; zeroed for a full round */
	char *links[GRAPH_COLLECTIONS]; /* deltaLinks to continue from */
	int full;			/* 1: this round starts afresh */
	char why[SYNC_ERR_MSG_MAX];	/* why it is full (-v) */
	char problem[SYNC_ERR_MSG_MAX]; /* a cache there but unreadable */
	unsigned long changed;		/* objects this round sent */
	unsigned long removed;		/* cached ones it dropped */
};

/*
 * graphdelta_load - D for CONF, from the cache beside TABLE when it may
 *	be continued (made for the same tenant, client_id, graph_url and
 *	include, its full round younger than full_every, a deltaLink
 *	under graph_url for each collection); else a full round, D->why
 *	saying why (and D->problem when a cache was there but could not
 *	be read).  Free with graphdelta_free().
 */
void graphdelta_load(struct graphdelta *d, const struct graph_conf *conf,
		     const char *table);

/* graphdelta_restart - drop what was loaded or taken: a full round, WHY */
void graphdelta_restart(struct graphdelta *d, const char *why);

/*
 * graphdelta_take - object O of a delta round, named NAME: replaces its
 *	cached addresses whole, or (DROP: @removed, a guest) forgets it.
 */
void graphdelta_take(struct graphdelta *d, const char *name,
		     const struct graphpage_object *o, int drop);

/*
 * graphdelta_seal - the round is over: D->removed counts the cached
 *	objects it removed
 */
void graphdelta_seal(struct graphdelta *d);

/* What graphdelta_feed is given. */
struct graphdelta_feed_args {
	const struct graph_conf *conf;
	char *const *links; /* this round's deltaLinks, by collection; NULL
			       for one not included */
	struct incremental_commit **commit; /* or NULL: only feed */
	source_value_fn fn;
	void *ctx;
	struct source_stats *stats;
	struct graph_stats *gs;
};

/*
 * graphdelta_feed - (sealed) every value of the new cache (the cached
 *	objects the round did not touch, then the ones it sent) to A->fn
 *	as a full pull gives it, counting entries and values in A->stats
 *	and objects by collection in A->gs; with A->commit, the new cache
 *	with A->links written as it goes to a temporary file, owed to
 *	*A->commit (incremental_owe_file) to be saved with the table once
 *	the run is accepted.  A->gs->links_dropped: 0, or the bytes the
 *	deltaLinks would take when that is more than a cache keeps
 *	(the mark's cookie, objcache.h): then none is kept and the next run is a
 *	full round.  Returns 0, or -1 with an error.
 */
int graphdelta_feed(struct graphdelta *d, const struct graphdelta_feed_args *a,
		    struct sync_err *err) __attribute__((warn_unused_result));

/* graphdelta_free - what D holds (not D); NULL is ok */
void graphdelta_free(struct graphdelta *d);

#endif
