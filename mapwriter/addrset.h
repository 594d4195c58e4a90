/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_ADDRSET_H
#define RCPTSYNC_ADDRSET_H

#include <stddef.h>

/* One recipient key with its table value and where it came from. */
struct addrset_entry {
	const char *key;    /* lower-case address, NUL-terminated */
	const char *value;  /* table value, e.g. "OK" */
	const char *origin; /* DN, file name, or "table" */
};

struct addrset;

/* addrset_new - an empty set.  Free with addrset_free(). */
struct addrset *addrset_new(void);

/* addrset_free - release the set and every string it holds; NULL is ok */
void addrset_free(struct addrset *set);

/*
 * addrset_add - add KEY (LEN bytes, copied).  VALUE and ORIGIN are kept
 *	as pointers and must stay valid until addrset_free(): pass strings
 *	from addrset_intern() or ones that outlive the set.  Duplicates are
 *	allowed until addrset_finish(), which keeps the first one added.
 */
void addrset_add(struct addrset *set, const char *key, size_t len,
		 const char *value, const char *origin);

/*
 * addrset_attach - have addrset_free() call RELEASE(CTX): for strings the
 *	set's entries point to that live in storage of the caller's
 *	(dnstore.c)
 */
void addrset_attach(struct addrset *set, void *ctx, void (*release)(void *));

/* addrset_intern - copy S into the set's storage; valid until free */
const char *addrset_intern(struct addrset *set, const char *s);

/*
 * addrset_finish - sort bytewise by key and drop later duplicates.
 *	Returns how many duplicates were dropped.  Adding after finish is
 *	allowed; call finish again before reading.
 */
size_t addrset_finish(struct addrset *set);

/*
 * addrset_seal - sort what was added since the last run into a run now.
 *	The set sorts each few thousand entries as they are added, among
 *	themselves; after a seal, those added later stay at indices from
 *	addrset_count() on (in some order) until the next finish or filter:
 *	for a caller that reads back what it added by index.
 */
void addrset_seal(struct addrset *set);

/* addrset_dup_fn - KEY was added twice; the entry from KEPT stays */
typedef void (*addrset_dup_fn)(void *ctx, const char *key, const char *kept,
			       const char *dropped);

/* addrset_finish_report - addrset_finish(), calling FN (unless NULL)
 *	with the origins of each dropped duplicate */
size_t addrset_finish_report(struct addrset *set, addrset_dup_fn fn, void *ctx);

/* addrset_keep_fn - keep entry E?  1 or 0 */
typedef int (*addrset_keep_fn)(void *ctx, const struct addrset_entry *e);

/*
 * addrset_filter - drop every entry FN does not keep, in place (order
 *	kept: a finished set stays finished).  Returns how many were dropped.
 */
size_t addrset_filter(struct addrset *set, addrset_keep_fn fn, void *ctx);

/* addrset_count - number of entries (unique after addrset_finish()) */
size_t addrset_count(const struct addrset *set);

/* addrset_get - entry I (0 <= I < count), valid until the next add */
const struct addrset_entry *addrset_get(const struct addrset *set, size_t i);

/*
 * addrset_prefetch - ask the cache for entry I's key, if there is an
 *	entry I: for a walk in order, a few entries ahead.  After the merge
 *	the keys in order lie all over the arena; a walk that waits for
 *	each (the diff, the text written) spends most of its time there
 *	(bench/README.md).
 */
void addrset_prefetch(const struct addrset *set, size_t i);

/* Entries ahead of a walk in order that addrset_prefetch asks for. */
#define ADDRSET_AHEAD 8

/* addrset_find - the entry for KEY after finish, or NULL */
const struct addrset_entry *addrset_find(const struct addrset *set,
					 const char *key);

#endif
