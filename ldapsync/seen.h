/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_SEEN_H
#define RCPTSYNC_SEEN_H

#include <stddef.h>

/*
 * A set of the entries one search has returned, to tell a server that
 * repeats itself (an endless paging loop that sends an entry again) from
 * one that makes progress.  Keys are 64-bit fingerprints of the names:
 * 8 bytes an entry, never the names themselves.  Two names can share a
 * fingerprint, so a hit means "perhaps seen": count it, never drop on it.
 */
struct seen;

/* seen_new - an empty set; seen_free - all of it (NULL is ok) */
struct seen *seen_new(void);
void seen_free(struct seen *s);

/*
 * seen_add - note NAME (LEN bytes, any bytes).  Returns 0 when it is new,
 *	1 when it was perhaps there (it was, or another name with its
 *	fingerprint was: never a reason to drop NAME).
 */
int seen_add(struct seen *s, const void *name, size_t len);

/*
 * seen_add_many - seen_add() of NAMES[0..N) (C strings) in that order,
 *	HIT[i] its result; a NULL name is skipped (HIT 0).  The same
 *	answers as N calls, faster: their slots are fetched together.  The
 *	table grows first to hold all N as new names, so it may grow one
 *	batch sooner than N calls would have (repeats counted).
 */
void seen_add_many(struct seen *s, const char *const *names, size_t n,
		   unsigned char *hit);

/* seen_count - names noted so far */
size_t seen_count(const struct seen *s);

#endif
