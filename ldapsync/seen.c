/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	seen - which entries has this search returned already?
 * DESCRIPTION
 *	An open-addressing hash set of 64-bit fingerprints: the FNV-1a
 *	hash of the name finished by the splitmix64 mixer, 8 bytes a name.
 *	A fingerprint can collide (about 2^-25 for a million names), so
 *	"seen" means "perhaps seen": the caller must never drop anything
 *	on it, only count it or compare exactly (reply.c: toward the loop
 *	check of two pages in a row of nothing but repeats, which one
 *	collision cannot trip, search.c; graph.c: a hit on a nextLink is
 *	compared with the links' text).  The table grows at 70% load, by
 *	1.5 and by 4/3 in turn (1024, 1536, 2048, 3072 ... slots), a
 *	fingerprint's place its top bits scaled to the size: 12 MiB at a
 *	million names, not the 16 of doubling (bench/README.md); it holds
 *	no names.
 * OWNERSHIP
 *	The set is the caller's (seen_free).
 * DIAGNOSTICS
 *	None; allocation failure is fatal (xalloc).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "fnv.h"
#include "xalloc.h"
#include "seen.h"

struct seen {
	uint64_t *slots; /* fingerprints; 0 marks an empty slot */
	size_t cap;	 /* 2^k or 3 * 2^(k-1) */
	size_t count;
	int collide; /* RCPTSYNC_FAULT_SEEN_COLLIDE: one fingerprint */
};

/* mix - splitmix64's finaliser */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* hash - the fingerprint of NAME, never 0 */
static uint64_t
hash(const struct seen *s, const void *name, size_t len)
{
	uint64_t k = mix(fnv1a_64(FNV1A_64_OFFSET, name, len) ^ len);

	if (s->collide)
		return 1;
	return k != 0 ? k : 1;
}

/* seen_new - an empty set */
struct seen *
seen_new(void)
{
	struct seen *s = xcalloc(1, sizeof(*s));

	s->cap = 1024;
	s->collide = FAULT_SWITCH(FAULT_SWITCH_SEEN_COLLIDE);
	s->slots = xcalloc(s->cap, sizeof(*s->slots));
	return s;
}

/* seen_free - the set */
void
seen_free(struct seen *s)
{
	if (s == NULL)
		return;
	free(s->slots);
	free(s);
}

/* place - K's first slot of CAP: K scaled to [0, CAP) (the fingerprint's
 * top bits, well mixed by hash()) */
static size_t
place(uint64_t k, size_t cap)
{
	return (size_t)(((unsigned __int128)k * cap) >> 64);
}

/* insert - K into SLOTS of CAP; 1 when it was there */
static int
insert(uint64_t *slots, size_t cap, uint64_t k)
{
	size_t i = place(k, cap);

	for (;;) {
		if (slots[i] == 0) {
			slots[i] = k;
			return 0;
		}
		if (slots[i] == k)
			return 1;
		if (++i == cap)
			i = 0;
	}
}

/* grow - the next size: 2^k to 3 * 2^(k-1), that to 2^(k+1) */
static void
grow(struct seen *s)
{
	size_t cap =
		(s->cap & (s->cap - 1)) == 0 ? s->cap / 2 * 3 : s->cap / 3 * 4;
	uint64_t *slots = xcalloc(cap, sizeof(*slots));

	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i] != 0)
			(void)insert(slots, cap, s->slots[i]);
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
}

/* seen_add - note NAME; 1 when its fingerprint was there */
int
seen_add(struct seen *s, const void *name, size_t len)
{
	if (10 * (s->count + 1) > 7 * s->cap)
		grow(s);
	if (insert(s->slots, s->cap, hash(s, name, len)))
		return 1;
	s->count++;
	return 0;
}

/* seen_add_many - seen_add() of each of N names in turn (a NULL name is
 * skipped, its HIT 0).  Their slots are fetched before the first is
 * noted: at a million names the table is 12 MiB, and a slot read from
 * memory one name at a time was most of the guard's cost
 * (bench/README.md). */
void
seen_add_many(struct seen *s, const char *const *names, size_t n,
	      unsigned char *hit)
{
	uint64_t *k = xreallocarray(NULL, n ? n : 1, sizeof(*k));

	while (10 * (s->count + n) > 7 * s->cap) /* no grow among them */
		grow(s);
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL) {
			k[i] = hash(s, names[i], strlen(names[i]));
			__builtin_prefetch(&s->slots[place(k[i], s->cap)], 1);
		}
	for (size_t i = 0; i < n; i++) {
		hit[i] = names[i] != NULL && insert(s->slots, s->cap, k[i]);
		s->count += names[i] != NULL && !hit[i];
	}
	free(k);
}

/* seen_count - names noted */
size_t
seen_count(const struct seen *s)
{
	return s->count;
}
