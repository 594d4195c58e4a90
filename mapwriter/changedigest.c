/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	changedigest - one digest for the change a run would publish
 * DESCRIPTION
 *	"diff" shows it and "sync --approve DIGEST" compares it with its own
 *	run's: the limits are lifted only for the very change the admin
 *	reviewed (README, "Approving a refused change").  The digest is the
 *	SHA-256 (nettle) of this byte string, every field ending in a NUL:
 *
 *	    "rcptsync change v1"
 *	    for each table, in the order declared:
 *	        "table"  NAME
 *	        "+"  N  then N times:  KEY  VALUE   (the keys to add)
 *	        "-"  M  then M times:  KEY          (the keys to remove)
 *
 *	N and M in decimal; the keys of each list in bytewise order, so the
 *	order of the notes does not matter.  A key whose value changes is
 *	in both lists (mapdiff.h), and the value an added key will have is
 *	part of it.  No key, value or name holds a NUL, and each list comes
 *	with its length, so two different changes never give the same
 *	string: a key cannot pass from one list or table to another, nor
 *	two keys run into one.
 * OWNERSHIP
 *	The digest owns copies of every name, key and value.
 * DIAGNOSTICS
 *	None; misuse (a table declared twice, a note after the digest)
 *	is a bug and panics.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "ascii.h"
#include "xalloc.h"
#include "changedigest.h"

#define CHANGEDIGEST_TABLES_MAX 4

/* One table's change. */
struct changedigest_table {
	char *name;
	struct addrset *plus;  /* keys to add, with their value */
	struct addrset *minus; /* keys to remove */
	const char *value;     /* the last value interned in PLUS */
	struct changedigest *owner;
};

struct changedigest {
	struct changedigest_table tables[CHANGEDIGEST_TABLES_MAX];
	size_t n;
	int done; /* changedigest_hex() was called */
};

/* changedigest_new - see changedigest.h */
struct changedigest *
changedigest_new(void)
{
	return xcalloc(1, sizeof(struct changedigest));
}

/* changedigest_table - see changedigest.h */
void *
changedigest_table(struct changedigest *d, const char *name)
{
	struct changedigest_table *t;

	if (d->n == CHANGEDIGEST_TABLES_MAX || d->done)
		panic("changedigest_table: too many tables, or too late");
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->tables[i].name, name) == 0)
			panic("changedigest_table: %s declared twice", name);
	t = &d->tables[d->n++];
	t->name = xstrdup(name);
	t->plus = addrset_new();
	t->minus = addrset_new();
	t->owner = d;
	return t;
}

/* changedigest_note - see changedigest.h */
void
changedigest_note(void *ctx, char op, const struct addrset_entry *e)
{
	struct changedigest_table *t = ctx;

	if (t->owner->done)
		panic("changedigest_note after changedigest_hex");
	if (op == '+') {
		/* one copy of a value that repeats ("OK" for every key) */
		if (t->value == NULL || strcmp(t->value, e->value) != 0)
			t->value = addrset_intern(t->plus, e->value);
		addrset_add(t->plus, e->key, strlen(e->key), t->value, "");
	} else
		addrset_add(t->minus, e->key, strlen(e->key), "", "");
}

/* field - one NUL-terminated field of the hashed string */
static void
field(struct sha256_ctx *h, const char *s)
{
	sha256_update(h, strlen(s) + 1, (const uint8_t *)s);
}

/* list - a list's tag, its length, then each key (with its value) */
static void
list(struct sha256_ctx *h, const char *tag, const struct addrset *set,
     int with_value)
{
	char count[32];

	field(h, tag);
	snprintf(count, sizeof(count), "%zu", addrset_count(set));
	field(h, count);
	for (size_t i = 0; i < addrset_count(set); i++) {
		const struct addrset_entry *e = addrset_get(set, i);

		field(h, e->key);
		if (with_value)
			field(h, e->value);
	}
}

/* changedigest_hex - see changedigest.h */
void
changedigest_hex(struct changedigest *d, char hex[CHANGEDIGEST_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t sum[SHA256_DIGEST_SIZE];
	struct sha256_ctx h;

	sha256_init(&h);
	field(&h, "rcptsync change v1");
	for (size_t i = 0; i < d->n; i++) {
		struct changedigest_table *t = &d->tables[i];

		/* a key noted twice (it cannot be, from one diff) counts
		 * once, as it is published once */
		addrset_finish(t->plus);
		addrset_finish(t->minus);
		field(&h, "table");
		field(&h, t->name);
		list(&h, "+", t->plus, 1);
		list(&h, "-", t->minus, 0);
	}
	sha256_digest(&h, sizeof(sum), sum);
	for (size_t i = 0; i < sizeof(sum); i++) {
		hex[2 * i] = digits[sum[i] >> 4];
		hex[2 * i + 1] = digits[sum[i] & 0xf];
	}
	hex[CHANGEDIGEST_HEX_LEN] = '\0';
	d->done = 1;
}

/* changedigest_n_tables - see changedigest.h */
size_t
changedigest_n_tables(const struct changedigest *d)
{
	return d->n;
}

/* changedigest_name - see changedigest.h */
const char *
changedigest_name(const struct changedigest *d, size_t i)
{
	return d->tables[i].name;
}

/* changedigest_changes - see changedigest.h */
const struct addrset *
changedigest_changes(const struct changedigest *d, size_t i, char op)
{
	if (!d->done)
		panic("changedigest_changes before changedigest_hex");
	return op == '+' ? d->tables[i].plus : d->tables[i].minus;
}

/* changedigest_empty - see changedigest.h */
int
changedigest_empty(const struct changedigest *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (addrset_count(d->tables[i].plus) > 0 ||
		    addrset_count(d->tables[i].minus) > 0)
			return 0;
	return 1;
}

/* changedigest_parse - see changedigest.h */
int
changedigest_parse(const char *s, char hex[CHANGEDIGEST_HEX_LEN + 1])
{
	if (strlen(s) != CHANGEDIGEST_HEX_LEN ||
	    strspn(s, "0123456789abcdefABCDEF") != CHANGEDIGEST_HEX_LEN)
		return -1;
	for (size_t i = 0; i < CHANGEDIGEST_HEX_LEN; i++)
		hex[i] = ascii_lower(s[i]);
	hex[CHANGEDIGEST_HEX_LEN] = '\0';
	return 0;
}

/* changedigest_free - see changedigest.h */
void
changedigest_free(struct changedigest *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->tables[i].name);
		addrset_free(d->tables[i].plus);
		addrset_free(d->tables[i].minus);
	}
	free(d);
}
