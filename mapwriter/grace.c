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

/* grace_begin - see grace.h */
void
grace_begin(struct grace_run *g, const struct grace_how *how)
{
	memset(g, 0, sizeof(*g));
	g->how = *how;
	memset(how->counts, 0, sizeof(*how->counts));
}

/* grace_missing - see grace.h */
int
grace_missing(struct grace_run *g, const char *key, const char *value)
{
	const struct state_pending *p;
	struct state_pending *np;
	time_t since = g->how.now, until;
	unsigned long runs = 1;

	if (g->how.rule->seconds <= 0 && g->how.rule->runs <= 0)
		return 0;
	if ((p = find_pending(g->how.st, key)) != NULL) {
		since = p->since;
		runs = p->runs + 1;
	}
	if (!still_kept(g->how.rule, since, runs, g->how.now, &until)) {
		g->how.counts->expired++;
		return 0;
	}
	/* keys come in order, so the pending list stays sorted */
	g->next.pending = xreallocarray(g->next.pending, g->next.n_pending + 1,
					sizeof(*g->next.pending));
	np = &g->next.pending[g->next.n_pending++];
	np->key = xstrdup(key);
	np->value = xstrdup(value);
	np->since = since;
	np->runs = runs;
	g->how.counts->kept++;
	return 1;
}

/* grace_end - see grace.h */
void
grace_end(struct grace_run *g, struct addrset *new_set)
{
	const char *origin = NULL;

	for (size_t i = 0; i < g->next.n_pending; i++) {
		const struct state_pending *np = &g->next.pending[i];
		time_t until;

		/* told only now: an abandoned walk reports nothing */
		(void)still_kept(g->how.rule, np->since, np->runs, g->how.now,
				 &until);
		if (g->how.fn != NULL)
			g->how.fn(g->how.ctx, np, until);
		if (origin == NULL)
			origin = addrset_intern(new_set, GRACE_ORIGIN);
		addrset_add(new_set, np->key, strlen(np->key),
			    addrset_intern(new_set, np->value), origin);
	}
	state_free_pending(g->how.st);
	g->how.st->pending = g->next.pending;
	g->how.st->n_pending = g->next.n_pending;
	addrset_finish(new_set);
}

/* grace_abandon - see grace.h */
void
grace_abandon(struct grace_run *g)
{
	state_free_pending(&g->next);
}

/* grace_apply - see grace.h */
void
grace_apply(const struct grace_how *how, const struct addrset *old_set,
	    struct addrset *new_set)
{
	struct grace_run g;

	grace_begin(&g, how);
	for (size_t i = 0; i < addrset_count(old_set); i++) {
		const struct addrset_entry *e = addrset_get(old_set, i);

		/* Add only at the end: new_set must stay sorted while we
		 * search it. */
		if (addrset_find(new_set, e->key) == NULL)
			grace_missing(&g, e->key, e->value);
	}
	grace_end(&g, new_set);
}
