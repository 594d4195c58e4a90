/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	seen - which entries has this search returned already?
 * DESCRIPTION
 *	An open-addressing hash set of 128-bit keys: two 64-bit FNV-1a
 *	hashes of the name with different offset bases, each finished by
 *	the splitmix64 mixer.  A false "already seen" needs both to collide
 *	(about 2^-100 for a million names), so a repeat it reports is the
 *	server's.  The table doubles at 70% load; it holds no names.
 * OWNERSHIP
 *	The set is the caller's (seen_free).
 * DIAGNOSTICS
 *	None; allocation failure is fatal (xalloc).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "xalloc.h"
#include "seen.h"

struct key {
	uint64_t a, b; /* b is never 0: 0 marks an empty slot */
};

struct seen {
	struct key *slots;
	size_t cap; /* a power of two */
	size_t count;
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

/* hash - the 128-bit key of NAME */
static struct key
hash(const void *name, size_t len)
{
	uint64_t a = fnv1a_64(FNV1A_64_OFFSET, name, len);
	uint64_t b = fnv1a_64(0x6a09e667f3bcc909ULL, name, len);
	struct key k;

	k.a = mix(a ^ len);
	k.b = mix(b + len) | 1;
	return k;
}

/* seen_new - an empty set */
struct seen *
seen_new(void)
{
	struct seen *s = xcalloc(1, sizeof(*s));

	s->cap = 1024;
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

/* insert - K into SLOTS of CAP; 1 when it was there */
static int
insert(struct key *slots, size_t cap, struct key k)
{
	size_t i = (size_t)k.a & (cap - 1);

	for (;;) {
		if (slots[i].b == 0) {
			slots[i] = k;
			return 0;
		}
		if (slots[i].a == k.a && slots[i].b == k.b)
			return 1;
		i = (i + 1) & (cap - 1);
	}
}

/* grow - double the table */
static void
grow(struct seen *s)
{
	size_t cap = s->cap * 2;
	struct key *slots = xcalloc(cap, sizeof(*slots));

	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i].b != 0)
			(void)insert(slots, cap, s->slots[i]);
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
}

/* seen_add - note NAME; 1 when it was there */
int
seen_add(struct seen *s, const void *name, size_t len)
{
	if (10 * (s->count + 1) > 7 * s->cap)
		grow(s);
	if (insert(s->slots, s->cap, hash(name, len)))
		return 1;
	s->count++;
	return 0;
}

/* seen_count - names noted */
size_t
seen_count(const struct seen *s)
{
	return s->count;
}
