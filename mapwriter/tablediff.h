/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_TABLEDIFF_H
#define RCPTSYNC_TABLEDIFF_H

#include <stddef.h>

#include "addrset.h"
#include "grace.h"
#include "mapdiff.h"
#include "syncerr.h"

/* tablediff_stream's answer for a table whose keys are out of order */
#define TABLEDIFF_UNSORTED 1

/* What the walk saw of the table. */
struct tablediff_result {
	size_t old_count; /* entries in the table */
	struct mapdiff_counts counts;
};

/* What to walk: the table at PATH against NEW_SET, and who hears of it. */
struct tablediff_walk {
	const char *path;
	struct addrset *new_set;
	struct grace_run *grace; /* begun by the caller */
	mapdiff_fn fn;		 /* may be NULL */
	void *ctx;
};

/*
 * tablediff_stream - compare the text table at W->PATH (which must exist),
 *	read as a stream, with the finished NEW_SET: a merge walk, as
 *	mapdiff_run() does over two sets, without the table ever held in
 *	memory.  Each key of the table missing from NEW_SET goes to the
 *	grace period G (W->grace); at the end grace_end() adds
 *	the keys it kept to NEW_SET.  Only then is FN (may be NULL) called
 *	for each change, in key order, exactly as mapdiff_run() would.
 *	Returns 0; TABLEDIFF_UNSORTED when the keys are not strictly
 *	ascending (a table rcptsync did not write: nothing was reported,
 *	G is abandoned, NEW_SET untouched; compare it as a set instead);
 *	or -1 with ERR set as maptext_read() sets it.
 */
int tablediff_stream(const struct tablediff_walk *w,
		     struct tablediff_result *res, struct sync_err *err)
	__attribute__((warn_unused_result));

#endif
