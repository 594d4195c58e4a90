/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_CHANGEDIGEST_H
#define RCPTSYNC_CHANGEDIGEST_H

#include <stddef.h>

#include "addrset.h"

/*
 * The digest of one run's change to every table it publishes: what
 * "diff" shows and "sync --approve DIGEST" accepts (changedigest.c has
 * the exact encoding).
 */
struct changedigest;

/* The length of a digest in hexadecimal, without the NUL. */
#define CHANGEDIGEST_HEX_LEN 64

/* changedigest_new - no table yet.  Free with changedigest_free(). */
struct changedigest *changedigest_new(void);

/*
 * changedigest_table - declare the table NAME (copied; "recipients",
 *	"relay_domains"), in the order the tables are hashed.  Returns the
 *	handle to pass as CTX to changedigest_note; valid until
 *	changedigest_free().  Declaring a name twice is a bug (panic).
 */
void *changedigest_table(struct changedigest *d, const char *name);

/*
 * changedigest_note - a mapdiff_fn (CTX from changedigest_table): one
 *	change, '+' (E's key and the value it will have) or '-' (E's key).
 *	Copied; the order of the calls does not matter.
 */
void changedigest_note(void *ctx, char op, const struct addrset_entry *e);

/*
 * changedigest_hex - the SHA-256 of the change, as CHANGEDIGEST_HEX_LEN
 *	lower-case hex digits and a NUL in HEX.  No note may follow.
 */
void changedigest_hex(struct changedigest *d,
		      char hex[CHANGEDIGEST_HEX_LEN + 1]);

/* changedigest_n_tables - how many tables were declared */
size_t changedigest_n_tables(const struct changedigest *d);

/* changedigest_name - table I's name */
const char *changedigest_name(const struct changedigest *d, size_t i);

/*
 * changedigest_changes - table I's keys to add (OP '+') or remove ('-'),
 *	finished (sorted); valid until changedigest_free().  Only after
 *	changedigest_hex().
 */
const struct addrset *changedigest_changes(const struct changedigest *d,
					   size_t i, char op);

/* changedigest_empty - no table has a change */
int changedigest_empty(const struct changedigest *d);

/*
 * changedigest_parse - is S a digest as changedigest_hex gives it (either
 *	case)?  Copies it, lower case, to HEX and returns 0, else -1.
 */
int changedigest_parse(const char *s, char hex[CHANGEDIGEST_HEX_LEN + 1]);

/* changedigest_free - NULL is ok */
void changedigest_free(struct changedigest *d);

#endif
