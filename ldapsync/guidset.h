/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_GUIDSET_H
#define RCPTSYNC_GUIDSET_H

#include <stddef.h>
#include <stdint.h>

/* An objectGUID is 16 bytes (MS-DTYP 2.3.4, GUID). */
#define GUIDSET_KEY 16
/* The longest key: Graph's objects are keyed by a SHA-256. */
#define GUIDSET_KEY_MAX 32

struct guidset;

/*
 * guidset_new - an empty set of keys of KEY_LEN bytes (at most
 *	GUIDSET_KEY_MAX); WITH_SEQ: each key carries a number
 */
struct guidset *guidset_new(size_t key_len, int with_seq);

/* guidset_key_len - the length of the set's keys */
size_t guidset_key_len(const struct guidset *s);

/* guidset_free - NULL is ok */
void guidset_free(struct guidset *s);

/*
 * guidset_add - GUID (LEN bytes) with SEQ (ignored without with_seq);
 *	0, or -1 when LEN is not the set's key length.  Only before
 *	guidset_seal.
 */
int guidset_add(struct guidset *s, const unsigned char *guid, size_t len,
		uint32_t seq) __attribute__((warn_unused_result));

/*
 * guidset_seal - sort, and keep one copy of each key: the one added with
 *	the greatest SEQ (with_seq), any (else).  Returns the copies
 *	dropped.  Adding after it is a bug; sealing twice is harmless.
 */
size_t guidset_seal(struct guidset *s);

/*
 * guidset_find - is GUID in the sealed set?  1 (and its number into *SEQ
 *	unless NULL), or 0
 */
int guidset_find(const struct guidset *s, const unsigned char *guid, size_t len,
		 uint32_t *seq);

/* guidset_count - the keys (once sealed: distinct ones) */
size_t guidset_count(const struct guidset *s);

/* guidset_key - the I-th key of the sealed set, in order */
const unsigned char *guidset_key(const struct guidset *s, size_t i);

/* guidset_seq - the I-th key's number (0 without with_seq) */
uint32_t guidset_seq(const struct guidset *s, size_t i);

#endif
