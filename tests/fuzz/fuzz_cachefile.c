/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the object cache's file (cacheformat.c, cachescan.c), with
 * an objectGUID's 16-byte keys and Graph's 32.  Properties: pass 2 of a
 * file pass 1 accepted never fails (the file did not change); the cache
 * written from what pass 2 handed out is accepted in turn, and written
 * again it is the same bytes (nothing appears, vanishes or changes
 * through a round trip); read as a spill (objects to the end of the
 * file), any input ends in an answer, not a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cacheformat.h"
#include "cachescan.h"
#include "fuzzutil.h"

/* put - cachescan_stream's FN: the object written again */
static int
put(void *ctx, const struct cacheobj *o, struct sync_err *err)
{
	(void)err;
	cacheformat_object(ctx, o);
	return 0;
}

/* rewrite - the cache at PATH written anew into *BUF; 1, or 0 when pass
 * 1 refuses it */
static int
rewrite(const char *path, size_t key_len, char **buf, size_t *len)
{
	struct objcache_mark m;
	struct sync_err err;
	struct cachescan *c = NULL;
	FILE *fp;

	if (cachescan_open(path, key_len, &c, &m, &err) != 1) {
		FUZZ_ASSERT(c == NULL);
		return 0;
	}
	fp = open_memstream(buf, len);
	FUZZ_ASSERT(fp != NULL);
	cacheformat_header(fp, &m);
	FUZZ_ASSERT(cachescan_stream(c, put, fp, &err) == 0);
	cachescan_free(c);
	fclose(fp);
	return 1;
}

/* count_values - the "v " lines of BUF */
static size_t
count_values(const char *buf, size_t len, size_t *objects)
{
	size_t n = 0;

	*objects = 0;
	for (size_t i = 0; i + 1 < len; i++)
		if (i == 0 || buf[i - 1] == '\n') {
			n += buf[i] == 'v' && buf[i + 1] == ' ';
			*objects += buf[i] == 'o' && buf[i + 1] == ' ';
		}
	return n;
}

/* whole - a rewrite with its end line, as a file; its descriptor */
static int
whole(char *buf, size_t len, char *path, size_t size)
{
	size_t objects, values = count_values(buf, len, &objects);
	char end[64];
	int n = snprintf(end, sizeof(end), "end %zu %zu\n", objects, values);
	char *all = malloc(len + (size_t)n);
	int fd;

	FUZZ_ASSERT(all != NULL);
	memcpy(all, buf, len);
	memcpy(all + len, end, (size_t)n);
	fd = fuzz_file((const uint8_t *)all, len + (size_t)n, path, size);
	free(all);
	return fd;
}

/* roundtrip - the properties above, for keys of KEY_LEN bytes */
static void
roundtrip(const char *path, size_t key_len)
{
	char *a = NULL, *b = NULL, again[64];
	size_t alen = 0, blen = 0;
	int fd;

	if (rewrite(path, key_len, &a, &alen) == 0)
		goto out;
	fd = whole(a, alen, again, sizeof(again));
	FUZZ_ASSERT(rewrite(again, key_len, &b, &blen) != 0);
	close(fd);
	FUZZ_ASSERT(alen == blen && memcmp(a, b, alen) == 0);
out:
	free(a);
	free(b);
}

/* as_spill - objects to the end of the file: an answer, whatever comes */
static void
as_spill(const uint8_t *data, size_t size)
{
	FILE *fp = fmemopen((void *)data, size, "r");
	struct cachereader *r;
	const struct cacheobj *o;
	struct sync_err err = {0};
	int rc, n = 0;

	if (fp == NULL)
		return;
	r = cachereader_new(fp, "spill", 0);
	while ((rc = cachereader_next(r, &o, &err)) > 0)
		FUZZ_ASSERT(++n <= (int)size);
	FUZZ_ASSERT(rc == 0 || err.kind != SYNC_ERR_NONE);
	cachereader_free(r);
	fclose(fp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	roundtrip(path, 16);
	roundtrip(path, 32);
	close(fd);
	if (size > 0)
		as_spill(data, size);
	return 0;
}
