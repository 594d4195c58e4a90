/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	runmerge - sorted runs of entries, and their merge
 * DESCRIPTION
 *	addrset.c sorts each few thousand keys as they are added: a run's
 *	keys were copied one after the other, so its sort works in the
 *	cache, and at a million objects the runs are sorted while the
 *	directory is still sending pages.  The finish is then one merge
 *	(a heap of the runs' heads, an earlier run first on equal keys),
 *	which reads each run in order, not a sort of two million keys
 *	chasing pointers all over the arena (bench/README.md).
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

/* One run being merged: its next entry, its end, and its number. */
struct cursor {
	size_t pos, end, run;
	uintptr_t freed; /* the pages below it were given back */
};

/* ahead - does cursor X's entry go out before Y's? */
static int
ahead(const struct addrset_entry *v, const struct cursor *x,
      const struct cursor *y)
{
	int c = strcmp(v[x->pos].key, v[y->pos].key);

	return c != 0 ? c < 0 : x->run < y->run;
}

/* sift - heap H of N cursors, H[I] moved down to its place */
static void
sift(const struct addrset_entry *v, struct cursor *h, size_t n, size_t i)
{
	struct cursor c = h[i];

	for (size_t child; (child = 2 * i + 1) < n; i = child) {
		if (child + 1 < n && ahead(v, &h[child + 1], &h[child]))
			child++;
		if (!ahead(v, &h[child], &c))
			break;
		h[i] = h[child];
	}
	h[i] = c;
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

/* runmerge_merge - the heads of the runs in a heap, the least out */
size_t
runmerge_merge(const struct runmerge_runs *r, struct addrset_entry *out,
	       addrset_dup_fn fn, void *ctx)
{
	struct cursor *h =
		xreallocarray(NULL, r->count ? r->count : 1, sizeof(*h));
	size_t n = 0, kept = 0;

	for (size_t i = 0; i < r->count; i++) {
		size_t end = i + 1 < r->count ? r->start[i + 1] : r->n;
		uintptr_t first = (uintptr_t)(r->v + r->start[i]);

		if (end > r->start[i]) /* from its first page of its own */
			h[n++] = (struct cursor){r->start[i], end, i,
						 (first + page_size() - 1) &
							 ~(page_size() - 1)};
	}
	for (size_t i = n / 2; i-- > 0;)
		sift(r->v, h, n, i);
	while (n > 0) {
		const struct addrset_entry *e = &r->v[h[0].pos];

		if (kept > 0 && strcmp(out[kept - 1].key, e->key) == 0) {
			if (fn != NULL)
				fn(ctx, e->key, out[kept - 1].origin,
				   e->origin);
		} else {
			out[kept++] = *e;
		}
		h[0].pos++;
		give_back(r->v, &h[0]);
		if (h[0].pos == h[0].end)
			h[0] = h[--n];
		sift(r->v, h, n, 0);
	}
	free(h);
	return kept;
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
