/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	runmerge - sorted runs of entries, and their merge
 * DESCRIPTION
 *	addrset.c sorts each few thousand keys as they are added: a run's
 *	keys were copied one after the other, so its sort works in the
 *	cache, and at a million objects the runs are sorted while the
 *	directory is still sending pages.  The finish is then one merge
 *	(a tree of losers over the runs' heads, an earlier run first on
 *	equal keys, compared first by their leading 8 bytes held beside
 *	the tree), which reads each run in order, not a sort of two
 *	million keys chasing pointers all over the arena
 *	(bench/README.md).
 *
 *	Memory: the merge writes a second array, but gives back the pages
 *	of the first behind each run's merged part as it goes (madvise
 *	MADV_DONTNEED on pages of their own, runmerge_alloc), so that the
 *	two together stay about one array and a page or two a run.
 * OWNERSHIP
 *	runmerge_alloc's memory is the caller's (runmerge_free).
 * DIAGNOSTICS
 *	None; out of memory is fatal, as in xalloc.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xalloc.h"
#include "runmerge.h"

/* Give pages back once this many bytes of a run are merged: 500 runs at
 * a million objects hold back at most this and a page each. */
#define RELEASE_BYTES (8 * 1024)

/* before - does X sort before Y (by key only)? */
static int
before(const struct addrset_entry *x, const struct addrset_entry *y)
{
	return strcmp(x->key, y->key) < 0;
}

/* merge_two - A[0..NA) and B[0..NB) into OUT, A's first on equal keys */
static void
merge_two(const struct addrset_entry *a, size_t na,
	  const struct addrset_entry *b, size_t nb, struct addrset_entry *out)
{
	size_t i = 0, j = 0, k = 0;

	while (i < na && j < nb)
		out[k++] = before(&b[j], &a[i]) ? b[j++] : a[i++];
	while (i < na)
		out[k++] = a[i++];
	while (j < nb)
		out[k++] = b[j++];
}

/* runmerge_sort - insertion sort of 16s, then merges back and forth */
void
runmerge_sort(struct addrset_entry *v, size_t n, struct addrset_entry *tmp)
{
	struct addrset_entry *from = v, *to = tmp, *t;

	for (size_t lo = 0; lo < n; lo += 16) {
		size_t hi = lo + 16 < n ? lo + 16 : n;

		for (size_t i = lo + 1; i < hi; i++) {
			struct addrset_entry e = v[i];
			size_t k = i;

			for (; k > lo && before(&e, &v[k - 1]); k--)
				v[k] = v[k - 1];
			v[k] = e;
		}
	}
	for (size_t width = 16; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;

			merge_two(from + lo, mid - lo, from + mid, hi - mid,
				  to + lo);
		}
		t = from;
		from = to;
		to = t;
	}
	if (from != v)
		memcpy(v, from, n * sizeof(*v));
}

/* One run being merged: its next entry, its end, the first bytes of that
 * entry's key, and the pages already given back. */
struct cursor {
	size_t pos, end;
	uint64_t head;	 /* head_of() the key at pos */
	uintptr_t freed; /* the pages below it were given back */
};

/* Keys are read this many entries ahead of the merge (prefetched). */
#define AHEAD 4

/*
 * head_of - KEY's first 8 bytes as a big-endian number, zeros after its
 * NUL: two keys whose heads differ compare as their heads do, bytewise as
 * strcmp (unsigned); equal heads leave it to strcmp.  Read byte by byte,
 * never past the NUL.
 */
static uint64_t
head_of(const char *key)
{
	uint64_t h = 0;
	int i = 0;

	for (; i < 8 && key[i] != '\0'; i++)
		h = h << 8 | (unsigned char)key[i];
	for (; i < 8; i++) /* zeros after the NUL (no shift by 64) */
		h <<= 8;
	return h;
}

/* load - cursor C's head from its entry at pos (if any) */
static void
load(const struct addrset_entry *v, struct cursor *c)
{
	if (c->pos + AHEAD < c->end)
		__builtin_prefetch(v[c->pos + AHEAD].key);
	if (c->pos < c->end)
		c->head = head_of(v[c->pos].key);
}

/* ahead - does run X's entry go out before run Y's?  A run that is done
 * goes last; on equal keys the earlier run first (its copy is kept). */
static int
ahead(const struct addrset_entry *v, const struct cursor *c, size_t x, size_t y)
{
	int d;

	if (c[x].pos == c[x].end || c[y].pos == c[y].end)
		return c[y].pos == c[y].end && c[x].pos < c[x].end;
	if (c[x].head != c[y].head)
		return c[x].head < c[y].head;
	d = strcmp(v[c[x].pos].key, v[c[y].pos].key);
	return d != 0 ? d < 0 : x < y;
}

/* page_size - the system's, a power of two (asked once) */
static uintptr_t
page_size(void)
{
	static uintptr_t page;

	if (page == 0)
		page = (uintptr_t)sysconf(_SC_PAGESIZE);
	return page;
}

/* give_back - the whole pages of the run below C->pos not given back yet,
 * once there are enough of them or the run is done (a page shared with
 * the next run stays) */
static void
give_back(const struct addrset_entry *v, struct cursor *c)
{
	uintptr_t to = (uintptr_t)(v + c->pos) & ~(page_size() - 1);

	if (to <= c->freed ||
	    (to - c->freed < RELEASE_BYTES && c->pos < c->end))
		return;
	(void)madvise((void *)c->freed, to - c->freed, MADV_DONTNEED);
	c->freed = to;
}

/*
 * A tree of losers over K runs: node N (1 <= N < K) holds the run that
 * lost the match there, its children are 2N and 2N+1, and run I is leaf
 * K+I; node 0 holds the winner.  After the winner moves on, only its path
 * to the root is played again: log2 K matches an entry, one compare each
 * (a heap needs two a level).
 */
struct tree {
	const struct addrset_entry *v;
	struct cursor *c;
	size_t *node;
	size_t k;
};

/* play - run I's way up from its leaf after it moved on; the new winner */
static void
play(struct tree *t, size_t i)
{
	size_t w = i;

	for (size_t n = (t->k + i) / 2; n >= 1; n /= 2)
		if (ahead(t->v, t->c, t->node[n], w)) {
			size_t l = w;

			w = t->node[n];
			t->node[n] = l;
		}
	t->node[0] = w;
}

/* build - every match played once, from the leaves up */
static void
build(struct tree *t)
{
	size_t *win = xreallocarray(NULL, 2 * t->k, sizeof(*win));

	for (size_t i = 0; i < t->k; i++)
		win[t->k + i] = i;
	for (size_t n = t->k; n-- > 1;) {
		size_t a = win[2 * n], b = win[2 * n + 1];
		int a_first = ahead(t->v, t->c, a, b);

		win[n] = a_first ? a : b;
		t->node[n] = a_first ? b : a;
	}
	t->node[0] = win[t->k > 1 ? 1 : t->k];
	free(win);
}

/* pages - N entries' bytes, in whole pages */
static size_t
pages(size_t n)
{
	size_t page = (size_t)page_size();

	if (n > (SIZE_MAX - page) / sizeof(struct addrset_entry))
		panic("runmerge: %zu entries", n);
	return (n * sizeof(struct addrset_entry) + page - 1) & ~(page - 1);
}

/* runmerge_merge - the runs' heads in a tree of losers, the least out */
size_t
runmerge_merge(const struct runmerge_runs *r, struct addrset_entry *out,
	       addrset_dup_fn fn, void *ctx)
{
	size_t k = r->count ? r->count : 1, kept = 0;
	struct cursor *c = xreallocarray(NULL, k, sizeof(*c));
	struct tree t = {r->v, c, xreallocarray(NULL, k, sizeof(size_t)), k};
	uint64_t last = 0;

	/* OUT is written front to back: in pages of 2 MiB where the system
	 * has them for the asking, a fault each instead of 512 (at most one
	 * such page more than the entries hold; EINVAL where not) */
	(void)madvise(out, pages(r->n), MADV_HUGEPAGE);
	for (size_t i = 0; i < k; i++) {
		size_t start = i < r->count ? r->start[i] : 0;
		size_t end = i + 1 < r->count ? r->start[i + 1] : r->n;
		uintptr_t first = (uintptr_t)(r->v + start);

		if (i >= r->count)
			end = start; /* no runs: one that is done */
		/* the pages from its first page of its own are given back */
		c[i] = (struct cursor){start, end, 0,
				       (first + page_size() - 1) &
					       ~(page_size() - 1)};
		load(r->v, &c[i]);
	}
	build(&t);
	for (;;) {
		size_t w = t.node[0];
		const struct addrset_entry *e;

		if (c[w].pos == c[w].end)
			break; /* the least is done: so are all */
		e = &r->v[c[w].pos];
		if (kept > 0 && c[w].head == last &&
		    strcmp(out[kept - 1].key, e->key) == 0) {
			if (fn != NULL)
				fn(ctx, e->key, out[kept - 1].origin,
				   e->origin);
		} else {
			out[kept++] = *e;
			last = c[w].head;
		}
		c[w].pos++;
		give_back(r->v, &c[w]);
		load(r->v, &c[w]);
		play(&t, w);
	}
	free(t.node);
	free(c);
	return kept;
}

/* runmerge_alloc - mmap, then mremap to grow */
struct addrset_entry *
runmerge_alloc(struct addrset_entry *p, size_t old, size_t n)
{
	void *q;

	if (p == NULL)
		q = mmap(NULL, pages(n), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		q = mremap(p, pages(old), pages(n), MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		out_of_memory(pages(n));
	return q;
}

/* runmerge_free - the pages */
void
runmerge_free(struct addrset_entry *p, size_t n)
{
	if (p != NULL)
		(void)munmap(p, pages(n));
}
