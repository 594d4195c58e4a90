/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_CACHEFORMAT_H
#define RCPTSYNC_CACHEFORMAT_H

/*
 * The object cache's file format, read and written in one place: the
 * two passes of a pull over the old file (cachescan.c), the new file
 * (cachewrite.c) and a pull's spill (spill.c).
 */
#include <stdio.h>

#include "objcache.h"
#include "syncerr.h"

#define CACHEFORMAT_GUID_MAX 32

/* One object as read: valid until the next cachereader_next(). */
struct cacheobj {
	unsigned char guid[CACHEFORMAT_GUID_MAX];
	size_t guid_len;
	const char *dn;
	const char *const *vals; /* raw values, each NUL-terminated */
	const size_t *lens;
	size_t n;
};

/* cacheformat_header - the magic and MARK */
void cacheformat_header(FILE *fp, const struct objcache_mark *m);

/* cacheformat_object - one object: its "o" line and a "v" line a value */
void cacheformat_object(FILE *fp, const struct cacheobj *o);

/* cacheformat_object_line, cacheformat_value_line - the same, line by line */
void cacheformat_object_line(FILE *fp, const unsigned char *guid, size_t len,
			     const char *dn);
void cacheformat_value_line(FILE *fp, const char *val, size_t len);

/* cacheformat_end - the end line, with what was written */
void cacheformat_end(FILE *fp, size_t objects, size_t values);

struct cachereader;

/*
 * cachereader_new - read FP from where it is (PATH names it in errors).
 *	WHOLE: a cache file (magic, mark, objects, end line, nothing after;
 *	cachereader_header first); else objects only, to the end of the
 *	file (a spill).  FP stays the caller's.
 */
struct cachereader *cachereader_new(FILE *fp, const char *path, int whole);

/*
 * cachereader_header - the magic and the mark into *M (zeroed first);
 *	0, or -1 with a DATA error naming the file and line (a cache of an
 *	earlier format, one cut short, a malformed line)
 */
int cachereader_header(struct cachereader *r, struct objcache_mark *m,
		       struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * cachereader_next - the next object into *O: 1; 0 at the end, the end
 *	line's counts checked against what was read; -1 with a DATA error
 *	(or, for a read error, an OUTPUT one)
 */
int cachereader_next(struct cachereader *r, const struct cacheobj **o,
		     struct sync_err *err) __attribute__((warn_unused_result));

/* cachereader_counts - objects and values read so far */
void cachereader_counts(const struct cachereader *r, size_t *objects,
			size_t *values);

/* cachereader_free - the reader, not its file; NULL is ok */
void cachereader_free(struct cachereader *r);

#endif
