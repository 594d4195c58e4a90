/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPDELTA_H
#define RCPTSYNC_MAPDELTA_H

#include <stddef.h>

#include "addrset.h"
#include "syncerr.h"

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

/*
 * One map's primitives for mapdelta_apply: each returns 0 or the
 * library's own error code, which STRERROR turns into text.
 */
struct mapdelta_ops {
	int (*del)(void *map, const char *key);
	int (*put)(void *map, const char *key, const char *value);
	char *(*strerror)(int rc); /* db_strerror, mdb_strerror */
};

/*
 * mapdelta_apply - the rule every update from a copy follows: all the
 *	deletions, then all the stores, with OPS on MAP.  A deletion must find
 *	its key and a store must not (OPS->put refuses to overwrite): else the
 *	map is not the table the delta was computed against.  Returns 0, or
 *	-1 with an OUTPUT error naming the key ("deleting KEY: ...").
 */
int mapdelta_apply(const struct mapdelta *d, const struct mapdelta_ops *ops,
		   void *map, struct sync_err *err)
	__attribute__((warn_unused_result));

/* mapdelta_free - NULL is ok */
void mapdelta_free(struct mapdelta *d);

#endif
