/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPDIFF_H
#define RCPTSYNC_MAPDIFF_H

#include <stddef.h>

#include "addrset.h"

struct mapdiff_counts {
	size_t added;	 /* keys only in the new set */
	size_t removed;	 /* keys only in the old set */
	size_t revalued; /* keys in both with another value */
	size_t unchanged;
};

/*
 * Called once per change, in key order: OP is '+' for a key to add (E from
 * the new set) or '-' for one to remove (E from the old set).  A key whose
 * value changed gives '-' then '+'.
 */
typedef void (*mapdiff_fn)(void *ctx, char op, const struct addrset_entry *e);

/*
 * mapdiff_run - compare two finished sets.  FN may be NULL (count only).
 *	Fills *COUNTS.
 */
void mapdiff_run(const struct addrset *old_set, const struct addrset *new_set,
		 mapdiff_fn fn, void *ctx, struct mapdiff_counts *counts);

/* mapdiff_changed - did anything differ? */
int mapdiff_changed(const struct mapdiff_counts *counts);

#endif
