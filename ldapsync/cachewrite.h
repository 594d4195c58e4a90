/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_CACHEWRITE_H
#define RCPTSYNC_CACHEWRITE_H

#include "cacheformat.h"
#include "cachescan.h"
#include "spill.h"
#include "syncerr.h"

/* A new object cache, streamed from the old one and a spill. */
struct cachewrite {
	const struct objcache_mark *mark; /* the new cache's */
	struct cachescan *old; /* or NULL: nothing kept; else what stays of
				  it selected (cachescan_select) */
	struct spill *fresh;   /* sealed */
	/* each object of the new cache, as it is written */
	int (*take)(void *ctx, const struct cacheobj *o, struct sync_err *err);
	void *ctx;
	size_t objects, values;	   /* out: the new cache's */
	struct sync_err write_err; /* out: why no file was written, or none */
};

/*
 * cachewrite_run - the new cache: OLD's objects selected, then FRESH's
 *	(spill_replay), each handed to TAKE; with TMP (not NULL) also
 *	written, mark and end line, to a new temporary file next to PATH,
 *	fsynced, its name in *TMP (the caller renames or removes it).
 *	Returns 0, or -1 with TAKE's error, a DATA error (OLD no longer
 *	reads as in pass 1) or an OUTPUT one (the spill); then no file is
 *	left.  A file that cannot be made or written (a full disk) is not
 *	a failure of the pull: every object is taken all the same, *TMP is
 *	NULL and W->write_err says why (for incremental_owe_failed).
 */
int cachewrite_run(struct cachewrite *w, const char *path, char **tmp,
		   struct sync_err *err) __attribute__((warn_unused_result));

#endif
