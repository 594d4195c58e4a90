/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_FNV_H
#define RCPTSYNC_FNV_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a's 64-bit offset basis and prime (draft-eastlake-fnv) */
#define FNV1A_64_OFFSET 14695981039346656037ULL
#define FNV1A_64_PRIME 1099511628211ULL

/*
 * FNV1A_64_SEED - the seed the cache file's marks were made with since
 *	their first release: the offset basis with its last digit lost.
 *	XXX Kept, because the marks are stored in cache files: a new seed
 *	would discard every cache once.
 */
#define FNV1A_64_SEED 1469598103934665603ULL

/*
 * fnv1a_64 - H continued over the LEN bytes at DATA (FNV-1a, 64 bits).
 *	Start with FNV1A_64_OFFSET (or a seed of one's own) and chain calls
 *	to hash several parts.  Returns the new hash; DATA may be NULL when
 *	LEN is 0.
 */
uint64_t fnv1a_64(uint64_t h, const void *data, size_t len);

#endif
