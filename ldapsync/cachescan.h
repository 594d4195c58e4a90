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

/* cachescan_guids - the GUIDs of the file, sealed (until select) */
const struct guidset *cachescan_guids(const struct cachescan *c);

/*
 * cachescan_select - the objects pass 2 hands out: those whose GUID
 *	KEEP(CTX, guid, len) keeps.  The GUIDs are dropped then (pass 2
 *	needs one bit an object, by its place in the file), so
 *	cachescan_guids may no longer be called.
 */
void cachescan_select(struct cachescan *c,
		      int (*keep)(void *ctx, const unsigned char *guid,
				  size_t len),
		      void *ctx);

/*
 * cachescan_stream - pass 2: FN for every object of the file (every one
 *	selected), in its order.  0, FN's -1, or -1 with a DATA error when
 *	the file no longer reads as it did in pass 1.
 */
int cachescan_stream(struct cachescan *c,
		     int (*fn)(void *ctx, const struct cacheobj *o,
			       struct sync_err *err),
		     void *ctx, struct sync_err *err)
	__attribute__((warn_unused_result));

/* cachescan_free - NULL is ok */
void cachescan_free(struct cachescan *c);

#endif
