/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	xalloc - memory allocation that cannot fail
 * DESCRIPTION
 *	Thin wrappers over malloc(3) and friends in the manner of Postfix's
 *	mymalloc: out of memory is fatal, so callers never test for NULL.
 * DIAGNOSTICS
 *	On failure: a message on stderr and exit 71 (EX_OSERR).  Nothing has
 *	been published at that point, so the old map keeps serving.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "xalloc.h"

/* out_of_memory - the one way allocation fails (also runmerge.c's mmap) */
void
out_of_memory(size_t size)
{
	fprintf(stderr, "rcptsync: fatal: out of memory allocating %zu bytes\n",
		size);
	exit(EX_OSERR);
}

/* xmalloc - malloc or die */
void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		out_of_memory(size);
	return p;
}

/* xcalloc - calloc or die */
void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory(n * size);
	return p;
}

/* xreallocarray - resize an array, refusing multiplication overflow */
void *
xreallocarray(void *ptr, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	p = realloc(ptr, (n * size) != 0 ? n * size : 1);
	if (p == NULL)
		out_of_memory(n * size);
	return p;
}

/* xstrdup - copy a string */
char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* xstrndup - copy at most n bytes of a string and terminate it */
char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* xmemdup - a NUL-terminated copy of LEN bytes */
char *
xmemdup(const void *p, size_t len)
{
	char *q = xmalloc(len + 1);

	memcpy(q, p, len);
	q[len] = '\0';
	return q;
}

/* panic - report a bug and abort, leaving a core for the developer */
void
panic(const char *fmt, ...)
{
	va_list ap;

	fputs("rcptsync: panic: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
