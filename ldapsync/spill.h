/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_SPILL_H
#define RCPTSYNC_SPILL_H

#include <stddef.h>

#include "cacheformat.h"
#include "syncerr.h"

struct spill;

/*
 * spill_new - an empty spill of objects keyed by KEY_LEN bytes (an
 *	objectGUID's 16, guidset.h): a temporary file next to NEAR (NEAR
 *	ATOMICFILE_TMP_TAG XXXXXX, removed from the directory at once), or
 *	where that directory cannot be written or is not there, in $TMPDIR
 *	(or /tmp); or
 *	NULL with an OUTPUT error
 */
struct spill *spill_new(const char *near, size_t key_len, struct sync_err *err);

/* spill_free - the spill and its file; NULL is ok */
void spill_free(struct spill *s);

/*
 * spill_put - a fetched object: GUID (LEN bytes) with DN, then each of
 *	its values with spill_value.  0, or -1 with a DATA error when the
 *	key is not of the spill's length.  Write errors show at
 *	spill_replay.
 */
int spill_put(struct spill *s, const unsigned char *guid, size_t len,
	      const char *dn, struct sync_err *err)
	__attribute__((warn_unused_result));
void spill_value(struct spill *s, const char *val, size_t len);

/*
 * spill_remove - the object GUID is gone (Graph's @removed): a copy put
 *	before is dropped, one put after stays.  0, or -1 when the key is
 *	not of the spill's length.
 */
int spill_remove(struct spill *s, const unsigned char *guid, size_t len)
	__attribute__((warn_unused_result));

/*
 * spill_seal - no more objects: of an object put (or removed) more than
 *	once, the last is what counts.  The file is flushed: 0, or -1 with
 *	an OUTPUT error (a full disk).
 */
int spill_seal(struct spill *s, struct sync_err *err)
	__attribute__((warn_unused_result));

/* spill_has - was GUID put, and not removed after?  (sealed) */
int spill_has(const struct spill *s, const unsigned char *guid, size_t len);

/* spill_touched - was GUID put or removed?  (sealed) */
int spill_touched(const struct spill *s, const unsigned char *guid, size_t len);

/* spill_count - the objects spill_has (sealed) */
size_t spill_count(const struct spill *s);

/*
 * spill_replay - FN for the last copy of every object spill_has, in the
 *	order they were put (sealed).  Returns 0, FN's -1, or -1 with an OUTPUT
 *	error (the file could not be written or read back whole).
 */
int spill_replay(struct spill *s,
		 int (*fn)(void *ctx, const struct cacheobj *o,
			   struct sync_err *err),
		 void *ctx, struct sync_err *err)
	__attribute__((warn_unused_result));

#endif
