/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	mapdelta - the few changes a map can take without a rebuild
 * DESCRIPTION
 *	A sync that changes a handful of the million keys need not rebuild
 *	the indexed map: mapcommit copies the published map and applies
 *	these deletions and stores to the copy (bench/README.md).  The
 *	delta holds what mapdiff_run() reported, in key order: every key
 *	to delete ('-', including a key whose value changed) and every key
 *	to store ('+').  Past its limit it drops them, and the map is
 *	rebuilt in full, as it is for a large change.
 * OWNERSHIP
 *	The delta owns copies of every key and value.
 * DIAGNOSTICS
 *	None.
 */
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "mapdelta.h"

/* mapdelta_new - see mapdelta.h */
struct mapdelta *
mapdelta_new(size_t limit)
{
	struct mapdelta *d = xcalloc(1, sizeof(*d));

	d->dels = addrset_new();
	d->puts = addrset_new();
	d->limit = limit;
	return d;
}

/* mapdelta_note - one change from mapdiff_run */
void
mapdelta_note(void *ctx, char op, const struct addrset_entry *e)
{
	struct mapdelta *d = ctx;
	struct addrset *to = op == '+' ? d->puts : d->dels;

	if (d->overflow)
		return;
	if (addrset_count(d->dels) + addrset_count(d->puts) >= d->limit) {
		d->overflow = 1;
		return;
	}
	addrset_add(to, e->key, strlen(e->key), addrset_intern(to, e->value),
		    NULL);
}

/* mapdelta_finish - see mapdelta.h */
int
mapdelta_finish(struct mapdelta *d)
{
	addrset_finish(d->dels);
	addrset_finish(d->puts);
	return !d->overflow;
}

/* mapdelta_apply - see mapdelta.h */
int
mapdelta_apply(const struct mapdelta *d, const struct mapdelta_ops *ops,
	       void *map, struct sync_err *err)
{
	int rc;

	for (size_t i = 0; i < addrset_count(d->dels); i++) {
		const char *key = addrset_get(d->dels, i)->key;

		if ((rc = ops->del(map, key)) != 0)
			return sync_err_set(err, SYNC_ERR_OUTPUT,
					    "deleting %s: %s", key,
					    ops->strerror(rc));
	}
	for (size_t i = 0; i < addrset_count(d->puts); i++) {
		const struct addrset_entry *e = addrset_get(d->puts, i);

		if ((rc = ops->put(map, e->key, e->value)) != 0)
			return sync_err_set(err, SYNC_ERR_OUTPUT,
					    "storing %s: %s", e->key,
					    ops->strerror(rc));
	}
	return 0;
}

/* mapdelta_free - see mapdelta.h */
void
mapdelta_free(struct mapdelta *d)
{
	if (d == NULL)
		return;
	addrset_free(d->dels);
	addrset_free(d->puts);
	free(d);
}
