/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_INCREMENTAL_H
#define RCPTSYNC_INCREMENTAL_H

#include "ldapsync.h"

/* What an incremental pull did, for the log and "check". */
struct incremental_stats {
	int incremental;    /* 0: it was a full pull */
	char why_full[600]; /* and why */
	unsigned long long from_usn, to_usn;
	size_t fetched;		       /* objects fetched (changed ones) */
	unsigned long fetched_entries; /* entries the DC sent */
	size_t changed;		       /* GUIDs changed in the context */
	unsigned long dropped;	       /* left the selection */
	size_t cached;		       /* objects in the cache now */
};

/*
 * What a pull leaves to be kept once its run is accepted: the new object
 * cache and position of each incremental directory, in a list.
 */
struct incremental_commit;

/*
 * incremental_fetch - pull L incrementally through the object cache at
 *	CACHE_PATH, then pass every cached value to FN as a full pull
 *	would, counting entries and values in STATS.  Errors as
 *	ldapsync_fetch.  Nothing is written: with COMMIT (sync), the new
 *	cache and position are added to *COMMIT, to be saved by
 *	incremental_commit_save() only once the table they describe was
 *	published or found unchanged; a refused or failed run drops them,
 *	so its next run starts from yesterday's cache, never from a view
 *	that was not accepted.  COMMIT NULL (diff, check, explain): the
 *	cache is only read.
 */
int incremental_fetch(const struct ldapsync_conf *l, const char *cache_path,
		      struct incremental_commit **commit, source_value_fn fn,
		      void *ctx, struct source_stats *stats,
		      struct incremental_stats *is, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * incremental_commit_save - write every cache of LIST (atomically, each
 *	one).  Returns 0, or -1 with an OUTPUT error; the caches not yet
 *	written keep their old contents, which the next run continues from
 *	(it then fetches again what changed since: more work, same table).
 */
int incremental_commit_save(const struct incremental_commit *list,
			    struct sync_err *err)
	__attribute__((warn_unused_result));

/* incremental_commit_free - the list, unsaved; NULL is ok */
void incremental_commit_free(struct incremental_commit *list);

#endif
