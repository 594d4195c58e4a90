/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_DNSTORE_H
#define RCPTSYNC_DNSTORE_H

#include <stddef.h>

/*
 * A store of entry DNs for a sync, where no origin is shown but in the
 * duplicate warnings (doc/design.md, Memory): each DN as the part up to
 * its first unescaped comma and a 4-byte number of the rest, which the
 * entries of one container share.
 */
struct dnstore;

/* dnstore_new - an empty store.  Free with dnstore_free(). */
struct dnstore *dnstore_new(void);

/* dnstore_free - the store and every name it gave; NULL is ok */
void dnstore_free(void *store);

/*
 * dnstore_add - keep DN; returns the name that stands for it: a
 *	NUL-terminated string (DN's head, dnstore_head_len), valid until
 *	dnstore_free().  Two names stand for equal DNs if and only if
 *	dnstore_same() says so.
 */
const char *dnstore_add(struct dnstore *s, const char *dn);

/*
 * dnstore_head_len - the length of DN's head: up to its first comma not
 *	escaped by a backslash.  A name of the store is all head; equal
 *	texts have equal heads.
 */
size_t dnstore_head_len(const char *dn);

/* dnstore_owns - is NAME one that dnstore_add() gave (else any string)? */
int dnstore_owns(const struct dnstore *s, const char *name);

/*
 * dnstore_text - the whole DN NAME stands for, or NAME itself when the
 *	store did not give it: a string the caller frees.
 */
char *dnstore_text(const struct dnstore *s, const char *name);

/* dnstore_same - do A and B (names from the store or other strings)
 *	stand for the same text? */
int dnstore_same(const struct dnstore *s, const char *a, const char *b);

/* dnstore_cmp - strcmp() of the whole texts A and B stand for */
int dnstore_cmp(const struct dnstore *s, const char *a, const char *b);

#endif
