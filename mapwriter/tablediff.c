/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	tablediff - compare the table on disk with the new set, streaming
 * DESCRIPTION
 *	rcptsync writes its table sorted bytewise, the order of the new
 *	set, so the two can be compared by one merge walk as the table is
 *	read, line by line: at a million addresses that is some 110 MB
 *	less than reading the table into a second set first
 *	(bench/README.md).  What the walk finds is kept as a list of
 *	changes (their number, not the table's size) and reported only once
 *	the whole table has been read and found in order: a table out of
 *	order (edited by hand, or not ours) makes the caller compare it as
 *	a set instead, and nothing must have been reported by then.
 * OWNERSHIP
 *	The changes and copies of the removed entries live until return.
 * DIAGNOSTICS
 *	Those of maptext_read(): DATA for a malformed line (PATH:LINE),
 *	OUTPUT for an unreadable file.
 * SEE ALSO
 *	mapdiff.c (the same walk over two sets), grace.c, maptext.c.
 */
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "maptext.h"
#include "tablediff.h"

/* One change found, reported after the walk. */
struct change {
	char op; /* '+' or '-' */
	struct addrset_entry e;
};

struct walk {
	const struct addrset *new_set;
	size_t j; /* next entry of the new set */
	struct grace_run *g;
	struct tablediff_result *res;
	char *prev; /* the last key read, to check the order */
	size_t prev_cap;
	struct change *changes;
	size_t n_changes, cap;
	struct addrset *removed; /* copies of the table's removed entries */
};

/* note - remember one change */
static void
note(struct walk *w, char op, const struct addrset_entry *e)
{
	if (w->n_changes == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		w->changes =
			xreallocarray(w->changes, w->cap, sizeof(*w->changes));
	}
	w->changes[w->n_changes].op = op;
	w->changes[w->n_changes].e = *e;
	w->n_changes++;
}

/* note_removed - a change '-' for the table's KEY and VALUE (copied) */
static void
note_removed(struct walk *w, const char *key, const char *value)
{
	size_t n = addrset_count(w->removed);

	addrset_add(w->removed, key, strlen(key),
		    addrset_intern(w->removed, value), "table");
	note(w, '-', addrset_get(w->removed, n));
}

/* added_before - every new entry ordered before KEY (NULL: all) is new */
static void
added_before(struct walk *w, const char *key)
{
	size_t n = addrset_count(w->new_set);

	for (; w->j < n; w->j++) {
		const struct addrset_entry *e = addrset_get(w->new_set, w->j);

		addrset_prefetch(w->new_set, w->j + ADDRSET_AHEAD);
		if (key != NULL && strcmp(e->key, key) >= 0)
			return;
		note(w, '+', e);
		w->res->counts.added++;
	}
}

/* in_order - KEY comes after the previous key; remember it */
static int
in_order(struct walk *w, const char *key)
{
	size_t len = strlen(key);

	if (w->prev != NULL && strcmp(w->prev, key) >= 0)
		return 0;
	if (len + 1 > w->prev_cap) {
		w->prev_cap = 2 * (len + 1);
		w->prev = xreallocarray(w->prev, w->prev_cap, 1);
	}
	memcpy(w->prev, key, len + 1);
	return 1;
}

/* step - maptext_fn: one entry of the table against the new set */
static int
step(void *ctx, const char *key, const char *value)
{
	struct walk *w = ctx;
	struct mapdiff_counts *c = &w->res->counts;
	const struct addrset_entry *e;

	if (!in_order(w, key))
		return TABLEDIFF_UNSORTED;
	w->res->old_count++;
	added_before(w, key);
	e = w->j < addrset_count(w->new_set) ? addrset_get(w->new_set, w->j)
					     : NULL;
	if (e != NULL && strcmp(e->key, key) == 0) {
		w->j++;
		if (strcmp(e->value, value) == 0) {
			c->unchanged++;
			return 0;
		}
		note_removed(w, key, value);
		note(w, '+', e);
		c->revalued++;
	} else if (grace_missing(w->g, key, value)) {
		c->unchanged++; /* still published */
	} else {
		note_removed(w, key, value);
		c->removed++;
	}
	return 0;
}

/* tablediff_stream - see tablediff.h */
int
tablediff_stream(const struct tablediff_walk *in, struct tablediff_result *res,
		 struct sync_err *err)
{
	const char *path = in->path;
	struct addrset *new_set = in->new_set;
	struct grace_run *g = in->grace;
	mapdiff_fn fn = in->fn;
	void *ctx = in->ctx;
	struct walk w = {.new_set = new_set, .g = g, .res = res};
	int exists, rc;

	memset(res, 0, sizeof(*res));
	w.removed = addrset_new();
	rc = maptext_each(path, MAPTEXT_ANY_KEY, step, &w, &exists, err);
	if (rc == 0 && !exists)
		rc = sync_err_set(err, SYNC_ERR_OUTPUT, "%s is gone", path);
	if (rc == 0) {
		added_before(&w, NULL);
		/* the keys kept join the set; the changes hold no slot of
		 * it, only its strings, which do not move */
		grace_end(g, new_set);
		for (size_t i = 0; fn != NULL && i < w.n_changes; i++)
			fn(ctx, w.changes[i].op, &w.changes[i].e);
	} else {
		grace_abandon(g);
	}
	free(w.prev);
	free(w.changes);
	addrset_free(w.removed);
	return rc;
}
