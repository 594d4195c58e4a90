/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPSRC_H
#define RCPTSYNC_MAPSRC_H

#include <stddef.h>

#include "addrset.h"
#include "syncerr.h"

/*
 * The pairs an indexed map is built from, in table order: a finished
 * set, or the text table written from it (maptext_write) once the set
 * is gone.  COUNT and BYTES size the build (Berkeley DB's cache, lmdb's
 * map); they are the set's, taken before it went.
 */
struct mapsrc {
	size_t count;		   /* pairs */
	size_t bytes;		   /* key and value bytes, without NULs */
	const struct addrset *set; /* the pairs; or NULL, and then: */
	const char *text;	   /* the text table written from them */
};

/* mapsrc_of_set - the pairs of the finished SET, counted */
void mapsrc_of_set(struct mapsrc *src, const struct addrset *set);

/* mapsrc_fn - one pair; 0, or -1 with ERR set to stop */
typedef int (*mapsrc_fn)(void *ctx, const char *key, size_t key_len,
			 const char *value, size_t value_len,
			 struct sync_err *err);

/*
 * mapsrc_each - FN for every pair of SRC, in order.  Read back from the
 *	text, the pairs must be SRC->count, or nothing more is given and an
 *	OUTPUT error says how many were found: a map is never built from
 *	less (or more) than the table it indexes.  Returns 0, or -1 with
 *	ERR set (by FN, or reading the text).
 */
int mapsrc_each(const struct mapsrc *src, mapsrc_fn fn, void *ctx,
		struct sync_err *err) __attribute__((warn_unused_result));

#endif
