/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_GRAPHDELTA_H
#define RCPTSYNC_GRAPHDELTA_H

/* The object cache and deltaLinks of source.graph's incremental: delta,
 * for graph.c only. */
#include <stddef.h>

#include "source.h"
#include "syncerr.h"
#include "objcache.h"
#include "graph.h"
#include "graphpage.h"

struct incremental_commit;

/* What a delta run continues from, and what it makes of it. */
struct graphdelta {
	char *path;			/* TABLE.rcptsync-cache.graph */
	struct objcache *cache;		/* "graph:users/ID" -> addresses */
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
 * graphdelta_feed - every cached value to FN as a full pull gives it,
 *	counting entries and values in STATS and objects by collection in
 *	GS.  Returns 0, or -1 when FN stopped.
 */
int graphdelta_feed(const struct graphdelta *d, source_value_fn fn, void *ctx,
		    struct source_stats *stats, struct graph_stats *gs)
	__attribute__((warn_unused_result));

/*
 * graphdelta_owe - the cache with LINKS (this round's deltaLinks, by
 *	collection; NULL for one not included), to be saved with the
 *	table once the run is accepted: added to *COMMIT, which takes the
 *	cache and path over.  Returns 0, or the bytes the deltaLinks
 *	would take when that is more than a cache keeps (objcache.h's
 *	cookie): then none is kept and the next run is a full round.
 */
size_t graphdelta_owe(struct graphdelta *d, const struct graph_conf *conf,
		      char *const *links, struct incremental_commit **commit);

/* graphdelta_free - what D holds (not D); NULL is ok */
void graphdelta_free(struct graphdelta *d);

#endif
