/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	mapsrc - the pairs a map is built from: a set, or its text table
 * DESCRIPTION
 *	A map built anew at a million keys needs Berkeley DB's cache sized
 *	to the whole file (mapdb_bdb.c), about 90 MB; beside the set it was
 *	built from (entries, keys and the DNs they point to, about 120 MB)
 *	that was the peak of a sync.  The text table is written first and
 *	holds exactly the set's pairs, sorted, so the caller may free the
 *	set once the text is written (mapcommit_how's release) and the map
 *	is built from the text instead, streamed a line at a time with the
 *	reader that loads the table on the next run (maptext_each), keys as
 *	written (MAPTEXT_EXACT_KEY): the map holds exactly the set's pairs,
 *	as a build from the set did, even a key with upper case that a map
 *	served without its text brought back (mapread_served; Postfix folds
 *	its lookups and never finds one).  bench/README.md, "Memory at 1M",
 *	has the figures.
 * OWNERSHIP
 *	Borrows the set or the path; nothing is kept between calls.
 * DIAGNOSTICS
 *	The reader's errors (a malformed line: DATA naming path:line; an
 *	unreadable file: OUTPUT); an OUTPUT error when the text does not
 *	hold as many pairs as the set it was written from.
 * SEE ALSO
 *	maptext.c, mapcommit.c.
 */
#include <string.h>

#include "maptext.h"
#include "mapsrc.h"

/* mapsrc_of_set - see mapsrc.h */
void
mapsrc_of_set(struct mapsrc *src, const struct addrset *set)
{
	size_t n = addrset_count(set), bytes = 0;

	for (size_t i = 0; i < n; i++) {
		const struct addrset_entry *e = addrset_get(set, i);

		bytes += strlen(e->key) + strlen(e->value);
	}
	*src = (struct mapsrc){n, bytes, set, NULL};
}

/* What the text reader's callback passes on. */
struct read_back {
	const struct mapsrc *src;
	mapsrc_fn fn;
	void *ctx;
	struct sync_err *err;
	size_t n;
};

/* each_line - maptext_fn: one pair read back, passed on while it counts */
static int
each_line(void *ctx, const char *key, const char *value)
{
	struct read_back *rb = ctx;

	if (++rb->n > rb->src->count)
		return -1; /* said by mapsrc_each */
	return rb->fn(rb->ctx, key, strlen(key), value, strlen(value), rb->err);
}

/* mapsrc_each - see mapsrc.h */
int
mapsrc_each(const struct mapsrc *src, mapsrc_fn fn, void *ctx,
	    struct sync_err *err)
{
	struct read_back rb = {src, fn, ctx, err, 0};
	int exists;

	if (src->set != NULL) {
		for (size_t i = 0; i < src->count; i++) {
			const struct addrset_entry *e =
				addrset_get(src->set, i);

			if (fn(ctx, e->key, strlen(e->key), e->value,
			       strlen(e->value), err) < 0)
				return -1;
		}
		return 0;
	}
	if (maptext_each(src->text, MAPTEXT_EXACT_KEY, each_line, &rb, &exists,
			 err) != 0 &&
	    rb.n <= src->count)
		return -1;
	if (!exists)
		return sync_err_set(err, SYNC_ERR_OUTPUT,
				    "%s: gone before its map was built",
				    src->text);
	if (rb.n > src->count)
		return sync_err_set(err, SYNC_ERR_OUTPUT,
				    "%s: more than %zu entries read back for "
				    "a map of %zu",
				    src->text, src->count, src->count);
	if (rb.n < src->count)
		return sync_err_set(err, SYNC_ERR_OUTPUT,
				    "%s: %zu entries read back for a map of "
				    "%zu",
				    src->text, rb.n, src->count);
	return 0;
}
