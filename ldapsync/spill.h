/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_SPILL_H
#define RCPTSYNC_SPILL_H

#include <stddef.h>

#include "cacheformat.h"
#include "syncerr.h"

struct spill;

/*
 * spill_new - an empty spill: a temporary file next to NEAR (NEAR
 *	ATOMICFILE_TMP_TAG XXXXXX, removed from the directory at once), or
 *	NULL with an OUTPUT error
 */
struct spill *spill_new(const char *near, struct sync_err *err);

/* spill_free - the spill and its file; NULL is ok */
void spill_free(struct spill *s);

/*
 * spill_put - a fetched object: GUID (LEN bytes) with DN, then each of
 *	its values with spill_value.  0, or -1 with a DATA error when the
 *	GUID is not an objectGUID (guidset.h).  Write errors show at
 *	spill_replay.
 */
int spill_put(struct spill *s, const unsigned char *guid, size_t len,
	      const char *dn, struct sync_err *err)
	__attribute__((warn_unused_result));
void spill_value(struct spill *s, const char *val, size_t len);

/*
 * spill_seal - no more objects: an object fetched twice keeps its last
 *	copy.  Returns the copies dropped.
 */
size_t spill_seal(struct spill *s);

/* spill_has - was GUID fetched?  (sealed) */
int spill_has(const struct spill *s, const unsigned char *guid, size_t len);

/* spill_count - the objects fetched, each once (sealed) */
size_t spill_count(const struct spill *s);

/*
 * spill_replay - FN for the kept copy of every object, in the order they
 *	were fetched (sealed).  Returns 0, FN's -1, or -1 with an OUTPUT
 *	error (the file could not be written or read back whole).
 */
int spill_replay(struct spill *s,
		 int (*fn)(void *ctx, const struct cacheobj *o,
			   struct sync_err *err),
		 void *ctx, struct sync_err *err)
	__attribute__((warn_unused_result));

#endif
