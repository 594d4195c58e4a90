/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	grace - keep vanished addresses for a while before removing them
 * DESCRIPTION
 *	A DC that answers from a stale or partial view, or replication lag
 *	between DCs, can make an address disappear for one run.  Removing it
 *	at once would make the gateway reject real mail (550, bounced to the
 *	sender).  With safety.removal_grace, an address missing from the
 *	directory stays published until it has been missing for the grace
 *	time or number of runs; one that comes back is simply forgotten.
 *	Nothing is kept forever: the pending list only ever holds keys of
 *	the current table.
 * OWNERSHIP
 *	Pure over its arguments; replaces ST->pending.
 * DIAGNOSTICS
 *	None.
 */
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "grace.h"

/* find_pending - binary search in the sorted pending list */
static const struct state_pending *
find_pending(const struct sync_state *st, const char *key)
{
	size_t lo = 0, hi = st->n_pending;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, st->pending[mid].key);

		if (c == 0)
			return &st->pending[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* still_kept - does the rule keep an address missing since SINCE? */
static int
still_kept(const struct grace_rule *rule, time_t since, unsigned long runs,
	   time_t now, time_t *until)
{
	if (rule->seconds > 0) {
		*until = since + rule->seconds;
		return now < *until;
	}
	*until = 0;
	return runs <= (unsigned long)rule->runs;
}

/* grace_apply - see grace.h */
void
grace_apply(const struct grace_rule *rule, const struct addrset *old_set,
	    struct addrset *new_set, struct sync_state *st, time_t now,
	    grace_fn fn, void *ctx, struct grace_counts *counts)
{
	struct sync_state next;
	size_t n_old = addrset_count(old_set);
	const char *origin = NULL;

	memset(counts, 0, sizeof(*counts));
	memset(&next, 0, sizeof(next));
	for (size_t i = 0; rule->seconds > 0 || rule->runs > 0; i++) {
		if (i >= n_old)
			break;
		const struct addrset_entry *e = addrset_get(old_set, i);
		const struct state_pending *p;
		time_t since = now, until;
		unsigned long runs = 1;

		if (addrset_find(new_set, e->key) != NULL)
			continue;
		if ((p = find_pending(st, e->key)) != NULL) {
			since = p->since;
			runs = p->runs + 1;
		}
		if (!still_kept(rule, since, runs, now, &until)) {
			counts->expired++;
			continue;
		}
		/* old_set is sorted, so next.pending stays sorted. */
		next.pending = xreallocarray(next.pending, next.n_pending + 1,
					     sizeof(*next.pending));
		struct state_pending *np = &next.pending[next.n_pending++];

		np->key = xstrdup(e->key);
		np->value = xstrdup(e->value);
		np->since = since;
		np->runs = runs;
		counts->kept++;
		if (fn != NULL)
			fn(ctx, np, until);
	}
	/* Add only now: new_set must stay sorted while we search it. */
	for (size_t i = 0; i < next.n_pending; i++) {
		const struct state_pending *np = &next.pending[i];

		if (origin == NULL)
			origin = addrset_intern(new_set, "pending removal");
		addrset_add(new_set, np->key, strlen(np->key),
			    addrset_intern(new_set, np->value), origin);
	}
	state_free_pending(st);
	st->pending = next.pending;
	st->n_pending = next.n_pending;
	addrset_finish(new_set);
}
