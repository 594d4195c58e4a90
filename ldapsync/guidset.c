/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	guidset - a sorted set of objectGUIDs, 16 bytes a key
 * DESCRIPTION
 *	What an incremental pull must look up by GUID without holding the
 *	objects (incremental.c): the GUIDs of the old cache, of the objects
 *	listed or reported changed, and of the objects fetched (with the
 *	number of their copy in the spill, spill.c, so that the last copy
 *	of an object fetched twice is the one kept).  Keys are added in
 *	any order, then sorted once (guidset_seal) and searched by
 *	bisection: 16 bytes a GUID, 20 with a number; a million GUIDs take
 *	16 MiB, not the hundreds a cache of objects took
 *	(bench/README.md).
 * OWNERSHIP
 *	The set is the caller's (guidset_free).
 * DIAGNOSTICS
 *	A key of another length is refused; allocation failure is fatal.
 */
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "guidset.h"

struct guidset {
	unsigned char *keys; /* n entries of width bytes */
	size_t width;	     /* GUIDSET_KEY, + 4 with a number */
	size_t n, alloc;
	int sealed;
};

struct guidset *
guidset_new(int with_seq)
{
	struct guidset *s = xcalloc(1, sizeof(*s));

	s->width = GUIDSET_KEY + (with_seq ? sizeof(uint32_t) : 0);
	return s;
}

void
guidset_free(struct guidset *s)
{
	if (s == NULL)
		return;
	free(s->keys);
	free(s);
}

int
guidset_add(struct guidset *s, const unsigned char *guid, size_t len,
	    uint32_t seq)
{
	unsigned char *k;

	if (len != GUIDSET_KEY)
		return -1;
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? s->alloc + s->alloc / 2 : 1024;
		s->keys = xreallocarray(s->keys, s->alloc, s->width);
	}
	k = s->keys + s->n++ * s->width;
	memcpy(k, guid, GUIDSET_KEY);
	if (s->width > GUIDSET_KEY)
		memcpy(k + GUIDSET_KEY, &seq, sizeof(seq));
	s->sealed = 0;
	return 0;
}

/* by_key_seq - qsort: by key, then by number */
static int
by_key_seq(const void *a, const void *b)
{
	int c = memcmp(a, b, GUIDSET_KEY);
	uint32_t x, y;

	if (c != 0)
		return c;
	memcpy(&x, (const unsigned char *)a + GUIDSET_KEY, sizeof(x));
	memcpy(&y, (const unsigned char *)b + GUIDSET_KEY, sizeof(y));
	return (x > y) - (x < y);
}

/* by_key - qsort: by key */
static int
by_key(const void *a, const void *b)
{
	return memcmp(a, b, GUIDSET_KEY);
}

size_t
guidset_seal(struct guidset *s)
{
	size_t out = 0;

	if (s->sealed)
		return 0;
	s->sealed = 1;
	if (s->n == 0)
		return 0;
	qsort(s->keys, s->n, s->width,
	      s->width > GUIDSET_KEY ? by_key_seq : by_key);
	/* of a run of equal keys, the last is kept: the greatest number */
	for (size_t i = 0; i < s->n; i++) {
		unsigned char *k = s->keys + i * s->width;

		if (i + 1 < s->n && memcmp(k, k + s->width, GUIDSET_KEY) == 0)
			continue;
		if (out != i)
			memcpy(s->keys + out * s->width, k, s->width);
		out++;
	}
	{
		size_t dropped = s->n - out;

		s->n = out;
		return dropped;
	}
}

int
guidset_find(const struct guidset *s, const unsigned char *guid, size_t len,
	     uint32_t *seq)
{
	size_t lo = 0, hi = s->n;

	if (len != GUIDSET_KEY)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const unsigned char *k = s->keys + mid * s->width;
		int c = memcmp(guid, k, GUIDSET_KEY);

		if (c == 0) {
			if (seq != NULL && s->width > GUIDSET_KEY)
				memcpy(seq, k + GUIDSET_KEY, sizeof(*seq));
			return 1;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

size_t
guidset_count(const struct guidset *s)
{
	return s->n;
}

const unsigned char *
guidset_key(const struct guidset *s, size_t i)
{
	return s->keys + i * s->width;
}
