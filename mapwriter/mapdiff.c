/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	mapdiff - what changes between two recipient sets
 * DESCRIPTION
 *	A merge walk over two sorted sets, in bytewise key order, so that
 *	"rcptsync diff" lists changes in the order of the table.
 * OWNERSHIP
 *	Reads both sets; allocates nothing.
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "mapdiff.h"

/* emit - report one change if anyone listens */
static void
emit(mapdiff_fn fn, void *ctx, char op, const struct addrset_entry *e)
{
	if (fn != NULL)
		fn(ctx, op, e);
}

/* mapdiff_run - merge walk */
void
mapdiff_run(const struct addrset *old_set, const struct addrset *new_set,
	    mapdiff_fn fn, void *ctx, struct mapdiff_counts *counts)
{
	size_t i = 0, j = 0;
	size_t n_old = addrset_count(old_set), n_new = addrset_count(new_set);

	memset(counts, 0, sizeof(*counts));
	while (i < n_old || j < n_new) {
		const struct addrset_entry *o =
			i < n_old ? addrset_get(old_set, i) : NULL;
		const struct addrset_entry *n =
			j < n_new ? addrset_get(new_set, j) : NULL;
		int c = o == NULL ? 1 : n == NULL ? -1 : strcmp(o->key, n->key);

		if (c < 0) {
			emit(fn, ctx, '-', o);
			counts->removed++;
			i++;
		} else if (c > 0) {
			emit(fn, ctx, '+', n);
			counts->added++;
			j++;
		} else {
			if (strcmp(o->value, n->value) != 0) {
				emit(fn, ctx, '-', o);
				emit(fn, ctx, '+', n);
				counts->revalued++;
			} else {
				counts->unchanged++;
			}
			i++;
			j++;
		}
	}
}

/* mapdiff_changed - anything to write? */
int
mapdiff_changed(const struct mapdiff_counts *counts)
{
	return counts->added || counts->removed || counts->revalued;
}
