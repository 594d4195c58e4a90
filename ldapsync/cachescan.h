/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_CACHESCAN_H
#define RCPTSYNC_CACHESCAN_H

#include "cacheformat.h"
#include "guidset.h"
#include "objcache.h"
#include "syncerr.h"

struct cachescan;

/*
 * cachescan_open - pass 1 over the cache file PATH: checked whole, to
 *	its end line, keeping only its *MARK and its keys (of
 *	KEY_LEN bytes: an objectGUID's 16, guidset.h).  1 and *OUT; 0 when
 *	there is no file; -1 with a DATA error when it is unreadable or
 *	malformed (a key of another length, or written twice, is
 *	malformed).  The file stays open for pass 2.
 */
int cachescan_open(const char *path, size_t key_len, struct cachescan **out,
		   struct objcache_mark *mark, struct sync_err *err)
	__attribute__((warn_unused_result));

/* cachescan_guids - the GUIDs of the file, sealed */
const struct guidset *cachescan_guids(const struct cachescan *c);

/*
 * cachescan_stream - pass 2: FN for every object of the file, in its
 *	order.  0, FN's -1, or -1 with a DATA error when the file no
 *	longer reads as it did in pass 1.
 */
int cachescan_stream(struct cachescan *c,
		     int (*fn)(void *ctx, const struct cacheobj *o,
			       struct sync_err *err),
		     void *ctx, struct sync_err *err)
	__attribute__((warn_unused_result));

/* cachescan_free - NULL is ok */
void cachescan_free(struct cachescan *c);

#endif
