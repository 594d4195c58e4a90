/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPDELTA_H
#define RCPTSYNC_MAPDELTA_H

#include <stddef.h>

#include "addrset.h"

/*
 * The changes between the published table and the new one, kept when
 * they are few enough for the published map to be copied and updated
 * instead of rebuilt (mapcommit_publish).  Collected from mapdiff_run()
 * with mapdelta_note; past LIMIT changes it stops keeping them and is no
 * longer usable.
 */
struct mapdelta {
	struct addrset *dels; /* keys to delete (a revalued key too) */
	struct addrset *puts; /* keys to store, with their new value */
	size_t limit;	      /* the most changes kept */
	int overflow;	      /* more than LIMIT: rebuild instead */
};

/* mapdelta_new - an empty delta for at most LIMIT changes */
struct mapdelta *mapdelta_new(size_t limit);

/*
 * mapdelta_note - a mapdiff_fn (CTX is the delta): one change.  Keys and
 *	values are copied, so the old set may be freed after.
 */
void mapdelta_note(void *ctx, char op, const struct addrset_entry *e);

/* mapdelta_finish - sort both lists; 1 when usable, 0 after an overflow */
int mapdelta_finish(struct mapdelta *d);

/* mapdelta_free - NULL is ok */
void mapdelta_free(struct mapdelta *d);

#endif
