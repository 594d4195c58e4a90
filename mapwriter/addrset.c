/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	addrset - a sorted set of unique recipient keys
 * DESCRIPTION
 *	Keys are appended in any order and de-duplicated by
 *	addrset_finish().  Sorting is bytewise (strcmp), the order of the
 *	text table and of "rcptsync diff".  Strings live in large arena
 *	blocks, so a million keys cost a few allocations, not a million
 *	(see bench/).  Every RUN_KEYS keys added are sorted there and
 *	then into a run (runmerge.c: at a million objects while the
 *	directory still answers), a run that follows the one before in
 *	order joins it (a table read back is one run), and the finish
 *	merges the runs; the first copy of a key added is the one kept.
 * OWNERSHIP
 *	The set owns its keys and interned strings; entries point into
 *	them until addrset_free().
 * DIAGNOSTICS
 *	None; allocation failure is fatal (xalloc).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "runmerge.h"
#include "addrset.h"

#define ARENA_BLOCK (256 * 1024)
/* Keys a run: 96 KiB of entries, sorted in the cache. */
#define RUN_KEYS 4096

struct arena_block {
	struct arena_block *next;
	size_t used;
	size_t size;
	char data[];
};

/* A slot is the entry alone, 24 bytes (no sequence number: the runs keep
 * the order of adding, bench/README.md). */
struct slot {
	struct addrset_entry e;
};

/* Storage of the caller's that lives as long as the set. */
struct attached {
	struct attached *next;
	void *ctx;
	void (*release)(void *);
};

struct addrset {
	struct slot *slots; /* runmerge_alloc's */
	size_t count;
	size_t alloc;
	size_t *runs; /* where each sorted run starts; they cover ... */
	size_t n_runs, alloc_runs;
	size_t sealed; /* ... slots [0, sealed) */
	int sorted;
	struct arena_block *arena;
	struct attached *attached;
};

/* arena_copy - copy LEN bytes plus a NUL into the arena */
static char *
arena_copy(struct addrset *set, const char *s, size_t len)
{
	struct arena_block *b = set->arena;
	char *p;

	if (b == NULL || b->size - b->used < len + 1) {
		size_t size = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;

		b = xmalloc(sizeof(*b) + size);
		b->size = size;
		b->used = 0;
		b->next = set->arena;
		set->arena = b;
	}
	p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

/* addrset_new - empty set */
struct addrset *
addrset_new(void)
{
	struct addrset *set = xcalloc(1, sizeof(*set));

	set->sorted = 1;
	return set;
}

/* addrset_free - everything at once */
void
addrset_free(struct addrset *set)
{
	struct arena_block *b, *next;

	if (set == NULL)
		return;
	for (b = set->arena; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	while (set->attached != NULL) {
		struct attached *a = set->attached;

		set->attached = a->next;
		a->release(a->ctx);
		free(a);
	}
	runmerge_free((struct addrset_entry *)set->slots, set->alloc);
	free(set->runs);
	free(set);
}

/* addrset_attach - one more thing to release with the set */
void
addrset_attach(struct addrset *set, void *ctx, void (*release)(void *))
{
	struct attached *a = xmalloc(sizeof(*a));

	a->next = set->attached;
	a->ctx = ctx;
	a->release = release;
	set->attached = a;
}

/* addrset_intern - a copy that lives as long as the set */
const char *
addrset_intern(struct addrset *set, const char *s)
{
	return arena_copy(set, s, strlen(s));
}

/* seal - the slots added since the last run sorted into one more run, or
 * into the last one when they follow it in order */
static void
seal(struct addrset *set)
{
	size_t n = set->count - set->sealed;
	struct addrset_entry *tmp;
	struct slot *v;

	if (n == 0) /* also no slots at all: no pointer from NULL */
		return;
	v = &set->slots[set->sealed];
	tmp = xreallocarray(NULL, n, sizeof(*tmp));
	runmerge_sort(&v->e, n, tmp);
	free(tmp);
	if (set->sealed == 0 ||
	    strcmp(v[-1].e.key, v[0].e.key) > 0) { /* a run of its own */
		if (set->n_runs == set->alloc_runs) {
			set->alloc_runs =
				set->alloc_runs ? 2 * set->alloc_runs : 64;
			set->runs = xreallocarray(set->runs, set->alloc_runs,
						  sizeof(*set->runs));
		}
		set->runs[set->n_runs++] = set->sealed;
	}
	set->sealed = set->count;
}

/* addrset_seal - see addrset.h */
void
addrset_seal(struct addrset *set)
{
	seal(set);
}

/* addrset_add - append; order and uniqueness come with finish */
void
addrset_add(struct addrset *set, const char *key, size_t len, const char *value,
	    const char *origin)
{
	struct slot *s;

	if (set->count == set->alloc) {
		size_t alloc = set->alloc ? set->alloc * 2 : 1024;

		set->slots = (struct slot *)runmerge_alloc(
			(struct addrset_entry *)set->slots, set->alloc, alloc);
		set->alloc = alloc;
	}
	s = &set->slots[set->count++];
	s->e.key = arena_copy(set, key, len);
	s->e.value = value;
	s->e.origin = origin;
	set->sorted = 0;
	if (set->count - set->sealed == RUN_KEYS)
		seal(set);
}

/* addrset_filter - compact the slots; the arena keeps the strings */
size_t
addrset_filter(struct addrset *set, addrset_keep_fn fn, void *ctx)
{
	size_t kept = 0, dropped, run = 0, runs = 0, sealed = 0;

	for (size_t i = 0; i < set->count; i++) {
		/* a run's kept slots stay together and in order */
		if (run < set->n_runs && set->runs[run] == i) {
			run++;
			if (runs == 0 || set->runs[runs - 1] != kept)
				set->runs[runs++] = kept;
		}
		if (i == set->sealed)
			sealed = kept;
		if (fn(ctx, &set->slots[i].e))
			set->slots[kept++] = set->slots[i];
	}
	if (set->sealed == set->count)
		sealed = kept;
	if (runs > 0 && set->runs[runs - 1] == sealed)
		runs--; /* emptied */
	set->n_runs = runs;
	set->sealed = sealed;
	dropped = set->count - kept;
	set->count = kept;
	return dropped;
}

/* addrset_finish - sort, then keep the first of each run of equal keys */
size_t
addrset_finish(struct addrset *set)
{
	return addrset_finish_report(set, NULL, NULL);
}

/* addrset_finish_report - the same, telling FN of each dropped entry */
size_t
addrset_finish_report(struct addrset *set, addrset_dup_fn fn, void *ctx)
{
	size_t out = 0, dropped;

	if (set->sorted)
		return 0;
	seal(set);
	if (set->n_runs > 1) {
		struct runmerge_runs r = {(struct addrset_entry *)set->slots,
					  set->count, set->runs, set->n_runs};
		struct slot *merged =
			(struct slot *)runmerge_alloc(NULL, 0, set->count);

		out = runmerge_merge(&r, (struct addrset_entry *)merged, fn,
				     ctx);
		runmerge_free((struct addrset_entry *)set->slots, set->alloc);
		set->slots = merged;
		set->alloc = set->count;
	} else {
		for (size_t i = 0; i < set->count; i++) {
			struct slot *s = &set->slots[i];

			if (out > 0 &&
			    strcmp(set->slots[out - 1].e.key, s->e.key) == 0) {
				if (fn != NULL)
					fn(ctx, s->e.key,
					   set->slots[out - 1].e.origin,
					   s->e.origin);
				continue;
			}
			set->slots[out++] = *s;
		}
	}
	dropped = set->count - out;
	set->count = out;
	set->sealed = out;
	set->n_runs = out > 0;
	if (set->n_runs > 0)
		set->runs[0] = 0;
	set->sorted = 1;
	return dropped;
}

/* addrset_count - entries so far */
size_t
addrset_count(const struct addrset *set)
{
	return set->count;
}

/* addrset_get - one entry by position */
const struct addrset_entry *
addrset_get(const struct addrset *set, size_t i)
{
	if (i >= set->count)
		panic("addrset_get: index %zu out of range %zu", i, set->count);
	return &set->slots[i].e;
}

/* addrset_prefetch - a hint only: nothing happens past the end */
void
addrset_prefetch(const struct addrset *set, size_t i)
{
	if (i < set->count)
		__builtin_prefetch(set->slots[i].e.key);
}

/* key_cmp - bsearch comparator: key against slot */
static int
key_cmp(const void *key, const void *slot)
{
	return strcmp(key, ((const struct slot *)slot)->e.key);
}

/* addrset_find - binary search in a finished set */
const struct addrset_entry *
addrset_find(const struct addrset *set, const char *key)
{
	const struct slot *s;

	if (!set->sorted)
		panic("addrset_find before addrset_finish");
	if (set->count == 0)
		return NULL; /* no slots yet: bsearch() must not get NULL */
	s = bsearch(key, set->slots, set->count, sizeof(*set->slots), key_cmp);
	return s ? &s->e : NULL;
}
