/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	dnstore - entry DNs kept small, for a sync
 * DESCRIPTION
 *	A sync shows no entry's DN but in its first duplicate warnings and
 *	tells a repeated entry by it (collect.c), so it keeps every DN, but
 *	not whole: a DN is cut at its first comma not escaped by a
 *	backslash (RFC 4514: "CN=Smith\, John,OU=..." is cut after
 *	"John"), and what follows (the container: ",OU=Users,DC=corp,
 *	DC=example") is kept once, by number.  A name is [4-byte container
 *	number][head]NUL and the caller is given the head, a C string: at a
 *	million users in a few OUs, about 21 bytes an entry instead of 50
 *	(bench/README.md).  The text is the head and the rest put back
 *	together, so equal DNs give equal names and the whole DN comes back
 *	byte for byte, wherever the cut falls (dnstore_head_len).
 * OWNERSHIP
 *	The store owns every name and container; they live until
 *	dnstore_free().
 * DIAGNOSTICS
 *	None; allocation failure is fatal (xalloc).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "xalloc.h"
#include "dnstore.h"

#define BLOCK_SIZE (256 * 1024)

struct block {
	struct block *next;
	size_t used, size;
	char data[];
};

struct dnstore {
	struct block *blocks;
	const char **rests; /* container texts; 0 is "" (no comma) */
	size_t n_rests, alloc_rests;
	uint32_t *index; /* hash of rests: number + 1, 0 is empty */
	size_t cap;	 /* a power of two */
};

/* carve - LEN bytes from the store's blocks */
static char *
carve(struct dnstore *s, size_t len)
{
	struct block *b = s->blocks;

	if (b == NULL || b->size - b->used < len) {
		size_t size = len > BLOCK_SIZE ? len : BLOCK_SIZE;

		b = xmalloc(sizeof(*b) + size);
		b->size = size;
		b->used = 0;
		b->next = s->blocks;
		s->blocks = b;
	}
	b->used += len;
	return b->data + b->used - len;
}

/* dnstore_new - an empty store, container 0 the empty one */
struct dnstore *
dnstore_new(void)
{
	struct dnstore *s = xcalloc(1, sizeof(*s));

	s->alloc_rests = 16;
	s->rests = xreallocarray(NULL, s->alloc_rests, sizeof(*s->rests));
	s->rests[s->n_rests++] = "";
	s->cap = 64;
	s->index = xcalloc(s->cap, sizeof(*s->index));
	return s;
}

/* dnstore_free - everything at once */
void
dnstore_free(void *store)
{
	struct dnstore *s = store;
	struct block *b, *next;

	if (s == NULL)
		return;
	for (b = s->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(s->rests);
	free(s->index);
	free(s);
}

/* slot_of - where REST (LEN bytes) is in the index, or the empty slot
 * where it goes */
static size_t
slot_of(const struct dnstore *s, const char *rest, size_t len)
{
	size_t i = (size_t)fnv1a_64(FNV1A_64_OFFSET, rest, len) & (s->cap - 1);

	for (; s->index[i] != 0; i = (i + 1) & (s->cap - 1)) {
		const char *r = s->rests[s->index[i] - 1];

		if (strncmp(r, rest, len) == 0 && r[len] == '\0')
			break;
	}
	return i;
}

/* grow - the index doubled, at half full */
static void
grow(struct dnstore *s)
{
	uint32_t *old = s->index;
	size_t old_cap = s->cap;

	s->cap *= 2;
	s->index = xcalloc(s->cap, sizeof(*s->index));
	for (size_t i = 0; i < old_cap; i++)
		if (old[i] != 0) {
			const char *r = s->rests[old[i] - 1];

			s->index[slot_of(s, r, strlen(r))] = old[i];
		}
	free(old);
}

/* rest_number - the number of container REST, kept if new */
static uint32_t
rest_number(struct dnstore *s, const char *rest)
{
	size_t len = strlen(rest), i;
	char *copy;

	if (len == 0)
		return 0;
	i = slot_of(s, rest, len);
	if (s->index[i] != 0)
		return s->index[i] - 1;
	if (s->n_rests >= UINT32_MAX - 1)
		panic("dnstore: more than 2^32 containers");
	if (s->n_rests == s->alloc_rests) {
		s->alloc_rests *= 2;
		s->rests = xreallocarray(s->rests, s->alloc_rests,
					 sizeof(*s->rests));
	}
	copy = carve(s, len + 1);
	memcpy(copy, rest, len + 1);
	s->rests[s->n_rests] = copy;
	s->index[i] = (uint32_t)++s->n_rests;
	if (2 * s->n_rests > s->cap)
		grow(s);
	return (uint32_t)(s->n_rests - 1);
}

/* dnstore_head_len - up to the first comma a backslash does not escape */
size_t
dnstore_head_len(const char *dn)
{
	size_t i = 0;

	for (; dn[i] != '\0' && dn[i] != ','; i++)
		if (dn[i] == '\\' && dn[i + 1] != '\0')
			i++; /* "\," and the first digit of "\2C" */
	return i;
}

/* dnstore_add - the head after the container's number */
const char *
dnstore_add(struct dnstore *s, const char *dn)
{
	size_t head = dnstore_head_len(dn);
	uint32_t n = rest_number(s, dn + head);
	char *name = carve(s, sizeof(n) + head + 1);

	memcpy(name, &n, sizeof(n));
	memcpy(name + sizeof(n), dn, head);
	name[sizeof(n) + head] = '\0';
	return name + sizeof(n);
}

/* dnstore_owns - NAME in one of the blocks (compared as integers: the
 * blocks are separate objects) */
int
dnstore_owns(const struct dnstore *s, const char *name)
{
	uintptr_t p = (uintptr_t)name;

	for (const struct block *b = s->blocks; b != NULL; b = b->next)
		if (p >= (uintptr_t)b->data && p < (uintptr_t)b->data + b->used)
			return 1;
	return 0;
}

/* rest_of - the container of a name the store gave */
static const char *
rest_of(const struct dnstore *s, const char *name)
{
	uint32_t n;

	memcpy(&n, name - sizeof(n), sizeof(n));
	return s->rests[n];
}

/* dnstore_text - head and container, put back together */
char *
dnstore_text(const struct dnstore *s, const char *name)
{
	const char *rest;
	size_t head, len;
	char *t;

	if (!dnstore_owns(s, name))
		return xstrdup(name);
	rest = rest_of(s, name);
	head = strlen(name);
	len = strlen(rest);
	t = xmalloc(head + len + 1);
	memcpy(t, name, head);
	memcpy(t + head, rest, len + 1);
	return t;
}

/*
 * dnstore_same - equal texts have equal heads (dnstore_head_len: the
 * whole of a name of the store), so most pairs are told apart there,
 * without looking for the blocks; names of the store by head and number;
 * else by text
 */
int
dnstore_same(const struct dnstore *s, const char *a, const char *b)
{
	size_t head;
	int own_a, own_b;

	if (a == b)
		return 1;
	head = dnstore_head_len(a);
	/* B is read only as far as A's head and B's differ, or B ends */
	if (strncmp(a, b, head) != 0 || dnstore_head_len(b) != head)
		return 0;
	own_a = dnstore_owns(s, a);
	own_b = dnstore_owns(s, b);
	if (own_a && own_b)
		return rest_of(s, a) == rest_of(s, b) && strcmp(a, b) == 0;
	if (!own_a && !own_b)
		return strcmp(a, b) == 0;
	return dnstore_cmp(s, a, b) == 0;
}

/* dnstore_cmp - by the whole texts */
int
dnstore_cmp(const struct dnstore *s, const char *a, const char *b)
{
	char *x = dnstore_text(s, a), *y = dnstore_text(s, b);
	int c = strcmp(x, y);

	free(x);
	free(y);
	return c;
}
