/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_GRACE_H
#define RCPTSYNC_GRACE_H

#include <stddef.h>
#include <time.h>

#include "addrset.h"
#include "state.h"

/* safety.removal_grace: a duration, a number of runs, or neither (0, 0). */
struct grace_rule {
	long seconds;
	long runs;
};

/* Called for each address kept in its grace period. */
typedef void (*grace_fn)(void *ctx, const struct state_pending *p,
			 time_t until);

/* The origin of a key kept in its grace period, for diff and explain. */
#define GRACE_ORIGIN "pending removal"

struct grace_counts {
	size_t kept;	/* still published, pending removal */
	size_t expired; /* grace over: removed this run */
};

/*
 * How one run holds removals back: its RULE, the state ST whose pending
 * list it reads and replaces, the time NOW, FN (may be NULL) told with
 * CTX of each key kept, and the COUNTS it fills.  All borrowed.
 */
struct grace_how {
	const struct grace_rule *rule;
	struct sync_state *st;
	time_t now;
	grace_fn fn;
	void *ctx;
	struct grace_counts *counts;
};

/*
 * grace_apply - for every key of OLD_SET missing from NEW_SET (both
 *	finished): keep it in NEW_SET (origin "pending removal") while its
 *	grace lasts, counting from the first run that missed it.  A time
 *	grace keeps it while NOW - since < seconds; a run grace keeps it
 *	for RUNS runs that miss it and removes it on the next.  ST->pending
 *	is replaced by the keys kept.  NEW_SET is finished again.  A rule
 *	of (0, 0) only clears ST->pending.  (All but the sets in HOW.)
 */
void grace_apply(const struct grace_how *how, const struct addrset *old_set,
		 struct addrset *new_set);

/*
 * The same, one missing key at a time, for a caller that walks the old
 * table itself (tablediff.c streams it from disk): grace_begin(), then
 * grace_missing() for each key of the old table missing from the new
 * set, in key order, then grace_end(), which adds the keys kept to
 * NEW_SET, finishes it and replaces ST->pending; or grace_abandon(),
 * which leaves ST as it was.
 */
struct grace_run {
	struct grace_how how;	/* a copy */
	struct sync_state next; /* its pending list: the keys kept */
};

void grace_begin(struct grace_run *g, const struct grace_how *how);

/* grace_missing - KEY (with VALUE) is gone: 1 when it is kept, else 0 */
int grace_missing(struct grace_run *g, const char *key, const char *value);

void grace_end(struct grace_run *g, struct addrset *new_set);
void grace_abandon(struct grace_run *g);

#endif
