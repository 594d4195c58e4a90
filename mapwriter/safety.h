/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_SAFETY_H
#define RCPTSYNC_SAFETY_H

#include <stddef.h>

#include "syncerr.h"

struct safety_limits {
	long max_removed;	/* count; used when max_removed_pct < 0 */
	double max_removed_pct; /* percentage of the current table, or -1 */
	long min_recipients;
};

/*
 * safety_check - may a sync that goes from OLD_COUNT keys (OLD_EXISTS:
 *	was there a table at all) to NEW_COUNT keys, removing REMOVED of
 *	them, be published?  Returns 0, or -1 with a DATA error saying how
 *	many and which limit.  The first run (no table) is not limited by
 *	max_removed; min_recipients always applies, since an empty table
 *	rejects all mail.
 */
int safety_check(const struct safety_limits *limits, int old_exists,
		 size_t old_count, size_t new_count, size_t removed,
		 struct sync_err *err) __attribute__((warn_unused_result));

/* The change of one table, as the limits judge it. */
struct safety_change {
	const char *what; /* its keys: "recipients", "relay_domains
			     entries" */
	int old_exists;	  /* was there a table at all */
	size_t old_count, new_count, removed;
};

/* safety_check_of - safety_check() for the change C of a table of
 *	C->what */
int safety_check_of(const struct safety_limits *limits,
		    const struct safety_change *c, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * safety_canaries - every MUST address is a key of the finished SET and
 *	no MUST_NOT address is.  Returns 0, or -1 with a DATA error naming
 *	the first address that fails.
 */
struct addrset;
int safety_canaries(char *const *must, size_t n_must, char *const *must_not,
		    size_t n_must_not, const struct addrset *set,
		    struct sync_err *err) __attribute__((warn_unused_result));

#endif
