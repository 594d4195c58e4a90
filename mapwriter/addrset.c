/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	addrset - a sorted set of unique recipient keys
 * DESCRIPTION
 *	Keys are appended in any order, then sorted once and de-duplicated
 *	by addrset_finish().  Sorting is bytewise (strcmp), the order of
 *	the text table and of "rcptsync diff".  Strings live in large
 *	arena blocks, so a million keys cost a few allocations, not a
 *	million (see bench/).
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
#include "addrset.h"

#define ARENA_BLOCK (256 * 1024)

struct arena_block {
	struct arena_block *next;
	size_t seq; /* blocks in the order they were made */
	size_t used;
	size_t size;
	char data[];
};

/*
 * A slot is the entry alone (24 bytes): which of two equal keys came
 * first is where its copy sits in the arena (key_order), since every key
 * is copied there as it is added, in order.  Not a sequence number in
 * every slot: 16 MB at a million objects (bench/README.md).
 */
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
	struct slot *slots;
	size_t count;
	size_t alloc;
	size_t blocks; /* arena blocks made so far */
	int sorted;
	struct arena_block *arena;
	struct attached *attached;
};

/* An arena block's address range, for key_order. */
struct span {
	uintptr_t start, end; /* integers: blocks are separate objects */
	size_t seq;
};

/* What the sort compares by: the key, then the order of the key copies. */
struct order {
	struct span *spans; /* sorted by start */
	size_t n;
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
		b->seq = set->blocks++;
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
	free(set->slots);
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

/* addrset_add - append; order and uniqueness come with finish */
void
addrset_add(struct addrset *set, const char *key, size_t len, const char *value,
	    const char *origin)
{
	struct slot *s;

	if (set->count == set->alloc) {
		set->alloc = set->alloc ? set->alloc * 2 : 1024;
		set->slots = xreallocarray(set->slots, set->alloc,
					   sizeof(*set->slots));
	}
	s = &set->slots[set->count++];
	s->e.key = arena_copy(set, key, len);
	s->e.value = value;
	s->e.origin = origin;
	set->sorted = 0;
}

/* addrset_filter - compact the slots; the arena keeps the strings */
size_t
addrset_filter(struct addrset *set, addrset_keep_fn fn, void *ctx)
{
	size_t kept = 0, dropped;

	for (size_t i = 0; i < set->count; i++)
		if (fn(ctx, &set->slots[i].e))
			set->slots[kept++] = set->slots[i];
	dropped = set->count - kept;
	set->count = kept;
	return dropped;
}

/* span_cmp - qsort of the spans by address */
static int
span_cmp(const void *a, const void *b)
{
	uintptr_t x = ((const struct span *)a)->start,
		  y = ((const struct span *)b)->start;

	return (x > y) - (x < y);
}

/* order_new - the arena's blocks by address, to place a key's copy */
static struct order
order_new(const struct addrset *set)
{
	struct order o = {xreallocarray(NULL, set->blocks ? set->blocks : 1,
					sizeof(*o.spans)),
			  0};

	for (const struct arena_block *b = set->arena; b != NULL; b = b->next)
		o.spans[o.n++] =
			(struct span){(uintptr_t)b->data,
				      (uintptr_t)b->data + b->size, b->seq};
	qsort(o.spans, o.n, sizeof(*o.spans), span_cmp);
	return o;
}

/* key_seq - the block of the arena that holds P (one of the set's keys) */
static size_t
key_seq(const struct order *o, uintptr_t p)
{
	size_t lo = 0, hi = o->n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->spans[mid].start <= p)
			lo = mid;
		else
			hi = mid;
	}
	if (o->n == 0 || p < o->spans[lo].start || p >= o->spans[lo].end)
		panic("addrset: a key outside the set's arena");
	return o->spans[lo].seq;
}

/* key_order - which of two copies of one key was added first: blocks
 * are filled in turn, and a block from its start */
static int
key_order(const struct order *o, const char *kx, const char *ky)
{
	uintptr_t x = (uintptr_t)kx, y = (uintptr_t)ky;
	size_t bx, by;

	if (x == y)
		return 0;
	bx = key_seq(o, x);
	by = key_seq(o, y);
	if (bx != by)
		return (bx > by) - (bx < by);
	return (x > y) - (x < y);
}

/* slot_cmp - by key, then by insertion order (rare: equal keys only) */
static int
slot_cmp(const struct order *o, const struct slot *x, const struct slot *y)
{
	int c = strcmp(x->e.key, y->e.key);

	if (c != 0)
		return c;
	return key_order(o, x->e.key, y->e.key);
}

static void
slot_swap(struct slot *a, struct slot *b)
{
	struct slot t = *a;

	*a = *b;
	*b = t;
}

/* sift_down - heap sort's step, for sort_slots' worst case */
static void
sift_down(const struct order *o, struct slot *v, size_t root, size_t n)
{
	for (size_t child; (child = 2 * root + 1) < n; root = child) {
		if (child + 1 < n && slot_cmp(o, &v[child], &v[child + 1]) < 0)
			child++;
		if (slot_cmp(o, &v[root], &v[child]) >= 0)
			return;
		slot_swap(&v[root], &v[child]);
	}
}

/*
 * sort_slots - in place (introsort: quicksort, median of three, heap sort
 * when the recursion goes too deep, insertion sort for short runs).  Not
 * qsort(3): glibc's is a merge sort that allocates a copy of the array,
 * 64 MB more peak memory at a million objects (bench/README.md).
 */
static void
sort_slots(const struct order *o, struct slot *v, size_t n, int depth)
{
	while (n > 16) {
		size_t mid = n / 2, i, j;

		if (depth-- == 0) {
			for (i = n / 2; i-- > 0;)
				sift_down(o, v, i, n);
			for (i = n - 1; i > 0; i--) {
				slot_swap(&v[0], &v[i]);
				sift_down(o, v, 0, i);
			}
			return;
		}
		/* median of three into v[0] as the pivot */
		if (slot_cmp(o, &v[mid], &v[0]) < 0)
			slot_swap(&v[mid], &v[0]);
		if (slot_cmp(o, &v[n - 1], &v[mid]) < 0) {
			slot_swap(&v[n - 1], &v[mid]);
			if (slot_cmp(o, &v[mid], &v[0]) < 0)
				slot_swap(&v[mid], &v[0]);
		}
		slot_swap(&v[0], &v[mid]);
		/* Hoare partition around v[0] */
		i = 0;
		j = n;
		for (;;) {
			while (slot_cmp(o, &v[++i], &v[0]) < 0 && i < n - 1)
				;
			while (slot_cmp(o, &v[0], &v[--j]) < 0)
				;
			if (i >= j)
				break;
			slot_swap(&v[i], &v[j]);
		}
		slot_swap(&v[0], &v[j]);
		/* recurse into the smaller side, loop on the larger */
		if (j < n - j - 1) {
			sort_slots(o, v, j, depth);
			v += j + 1;
			n -= j + 1;
		} else {
			sort_slots(o, v + j + 1, n - j - 1, depth);
			n = j;
		}
	}
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && slot_cmp(o, &v[k], &v[k - 1]) < 0;
		     k--)
			slot_swap(&v[k], &v[k - 1]);
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
	size_t out = 0;
	struct order o;

	if (set->sorted)
		return 0;
	o = order_new(set);
	sort_slots(&o, set->slots, set->count, 2 * 64);
	free(o.spans);
	for (size_t i = 0; i < set->count; i++) {
		if (out > 0 && strcmp(set->slots[out - 1].e.key,
				      set->slots[i].e.key) == 0) {
			if (fn != NULL)
				fn(ctx, set->slots[i].e.key,
				   set->slots[out - 1].e.origin,
				   set->slots[i].e.origin);
			continue;
		}
		set->slots[out++] = set->slots[i];
	}
	size_t dropped = set->count - out;

	set->count = out;
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
