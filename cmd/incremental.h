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
 * incremental_fetch - pull L incrementally through the object cache at
 *	CACHE_PATH (saved when SAVE), then pass every cached value to FN as
 *	a full pull would, counting entries and values in STATS.  Errors as
 *	ldapsync_fetch, and OUTPUT when the cache cannot be saved.
 */
int incremental_fetch(const struct ldapsync_conf *l, const char *cache_path,
		      int save, source_value_fn fn, void *ctx,
		      struct source_stats *stats, struct incremental_stats *is,
		      struct sync_err *err) __attribute__((warn_unused_result));

#endif
