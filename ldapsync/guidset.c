/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	guidset - a sorted set of objectGUIDs, 16 bytes a key (or other
 *	fixed-size keys: Graph's, 32)
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
	size_t key;	     /* the key's length */
	size_t width;	     /* key, + 4 with a number */
	size_t n, alloc;
	int sealed;
};

struct guidset *
guidset_new(size_t key_len, int with_seq)
{
	struct guidset *s = xcalloc(1, sizeof(*s));

	if (key_len == 0 || key_len > GUIDSET_KEY_MAX)
		panic("guidset: a key of %zu bytes", key_len);
	s->key = key_len;
	s->width = key_len + (with_seq ? sizeof(uint32_t) : 0);
	return s;
}

size_t
guidset_key_len(const struct guidset *s)
{
	return s->key;
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

	if (len != s->key)
		return -1;
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? s->alloc + s->alloc / 2 : 1024;
		s->keys = xreallocarray(s->keys, s->alloc, s->width);
	}
	k = s->keys + s->n++ * s->width;
	memcpy(k, guid, s->key);
	if (s->width > s->key)
		memcpy(k + s->key, &seq, sizeof(seq));
	s->sealed = 0;
	return 0;
}

/* by_key_seq - qsort_r: by key (its length in CTX), then by number */
static int
by_key_seq(const void *a, const void *b, void *ctx)
{
	const struct guidset *s = ctx;
	int c = memcmp(a, b, s->key);
	uint32_t x, y;

	if (c != 0 || s->width == s->key)
		return c;
	memcpy(&x, (const unsigned char *)a + s->key, sizeof(x));
	memcpy(&y, (const unsigned char *)b + s->key, sizeof(y));
	return (x > y) - (x < y);
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
	qsort_r(s->keys, s->n, s->width, by_key_seq, s);
	/* of a run of equal keys, the last is kept: the greatest number */
	for (size_t i = 0; i < s->n; i++) {
		unsigned char *k = s->keys + i * s->width;

		if (i + 1 < s->n && memcmp(k, k + s->width, s->key) == 0)
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

	if (len != s->key)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const unsigned char *k = s->keys + mid * s->width;
		int c = memcmp(guid, k, s->key);

		if (c == 0) {
			if (seq != NULL && s->width > s->key)
				memcpy(seq, k + s->key, sizeof(*seq));
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

uint32_t
guidset_seq(const struct guidset *s, size_t i)
{
	uint32_t seq = 0;

	if (s->width > s->key)
		memcpy(&seq, s->keys + i * s->width + s->key, sizeof(seq));
	return seq;
}
