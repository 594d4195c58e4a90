/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_XALLOC_H
#define RCPTSYNC_XALLOC_H

#include <stddef.h>

/*
 * Allocation that never returns NULL: running out of memory ends the
 * process with a message (a batch run gains nothing from untested
 * recovery paths; the old map stays in place).  Free with free().
 */
void *xmalloc(size_t size) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
void *xreallocarray(void *ptr, size_t n, size_t size)
	__attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *xstrndup(const char *s, size_t n)
	__attribute__((malloc, returns_nonnull));
/* xmemdup - LEN bytes of P, NUL-terminated (any bytes inside) */
char *xmemdup(const void *p, size_t len)
	__attribute__((malloc, returns_nonnull));

/* out_of_memory - "out of memory allocating SIZE bytes", exit EX_OSERR:
 *	for memory not from malloc (mmap) */
void out_of_memory(size_t size) __attribute__((noreturn));

/* panic - a broken invariant: a bug, not an error.  Does not return. */
void panic(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

#endif
