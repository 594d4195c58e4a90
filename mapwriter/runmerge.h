/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_RUNMERGE_H
#define RCPTSYNC_RUNMERGE_H

#include <stddef.h>

#include "addrset.h"

/*
 * Sorted runs of entries and their merge, for addrset.c: the set sorts
 * each few thousand keys as they come (while the directory is still
 * answering), and its finish is one merge of the runs, not a sort of
 * everything after the last page (bench/README.md).
 */

/*
 * runmerge_sort - sort V[0..N) by key, stably (equal keys keep their
 *	order); TMP has room for N entries
 */
void runmerge_sort(struct addrset_entry *v, size_t n,
		   struct addrset_entry *tmp);

/* The runs to merge: run I is V[START[I] .. START[I+1]), the last to N. */
struct runmerge_runs {
	struct addrset_entry *v;
	size_t n;
	const size_t *start;
	size_t count;
};

/*
 * runmerge_merge - every run into OUT (room for N) in key order, only
 *	the first copy of a key kept (an earlier run's before a later's),
 *	FN (unless NULL) told of each later copy as addrset_dup_fn says.
 *	The pages of V behind every run's merged part are given back to
 *	the system as the merge goes (V must be from runmerge_alloc):
 *	the merge needs about one array, not two.  OUT, from runmerge_alloc
 *	too, is asked for in huge pages.  Returns the entries in OUT.
 */
size_t runmerge_merge(const struct runmerge_runs *r, struct addrset_entry *out,
		      addrset_dup_fn fn, void *ctx);

/*
 * runmerge_alloc - room for N entries, grown from P (room for OLD, or
 *	NULL and 0) in pages of their own (mmap), so that runmerge_merge
 *	can give parts back; runmerge_free with the room it has
 */
struct addrset_entry *runmerge_alloc(struct addrset_entry *p, size_t old,
				     size_t n);
void runmerge_free(struct addrset_entry *p, size_t n);

#endif
