/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cachescan - an incremental pull's old cache, read twice, never held
 * DESCRIPTION
 *	A cache of a million objects is hundreds of MiB as objects; an
 *	incremental pull needs of it, before it may use any object, only
 *	which GUIDs it holds (incremental.c: what was dropped, what the
 *	listing lacks) and that it is whole.  Pass 1 (cachescan_open)
 *	reads the file to its end line, checking it whole (cacheformat.c:
 *	the end line's counts), and keeps the mark and the GUIDs (guidset.c: 16
 *	bytes each).  Pass 2 (cachescan_stream) reads it again on the same
 *	descriptor and hands out one object at a time.  The caller holds
 *	the run's lock, and every writer of the file replaces it by
 *	rename(2), so the descriptor reads the same file both times; a
 *	file that still reads otherwise in pass 2 (a bad disk) fails the
 *	run, since what pass 2 handed out cannot be taken back.
 * OWNERSHIP
 *	The scan owns its file and set (cachescan_free).
 * DIAGNOSTICS
 *	DATA errors naming the file (and the line, cacheformat.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "cachescan.h"

struct cachescan {
	FILE *fp;
	char *path;
	struct guidset *guids; /* each with its place in the file */
	size_t objects, values;
	unsigned char *keep; /* selected: a bit an object, by its place */
};

/* pass1 - the mark, every GUID, the counts */
static int
pass1(struct cachescan *c, struct objcache_mark *mark, struct sync_err *err)
{
	struct cachereader *r = cachereader_new(c->fp, c->path, 1);
	const struct cacheobj *o;
	int rc = cachereader_header(r, mark, err);

	while (rc == 0 && (rc = cachereader_next(r, &o, err)) > 0)
		rc = guidset_add(c->guids, o->guid, o->guid_len,
				 (uint32_t)c->objects++) < 0
			     ? sync_err_set(err, SYNC_ERR_DATA,
					    "%s: a key of %zu bytes, not %zu",
					    c->path, o->guid_len,
					    guidset_key_len(c->guids))
			     : 0;
	cachereader_counts(r, &c->objects, &c->values);
	cachereader_free(r);
	if (rc == 0 && c->objects > UINT32_MAX)
		rc = sync_err_set(err, SYNC_ERR_DATA,
				  "%s: more than %u objects", c->path,
				  UINT32_MAX);
	if (rc == 0 && guidset_seal(c->guids) > 0)
		rc = sync_err_set(err, SYNC_ERR_DATA,
				  "%s: an object is written twice", c->path);
	return rc;
}

int
cachescan_open(const char *path, size_t key_len, struct cachescan **out,
	       struct objcache_mark *mark, struct sync_err *err)
{
	FILE *fp = fopen(path, "r");
	struct cachescan *c;

	memset(mark, 0, sizeof(*mark));
	if (fp == NULL) {
		if (errno == ENOENT)
			return 0;
		return sync_err_set(err, SYNC_ERR_DATA, "cannot read %s: %s",
				    path, strerror(errno));
	}
	c = xcalloc(1, sizeof(*c));
	c->fp = fp;
	c->path = xstrdup(path);
	c->guids = guidset_new(key_len, 1);
	if (pass1(c, mark, err) < 0) {
		cachescan_free(c);
		memset(mark, 0, sizeof(*mark));
		return -1;
	}
	*out = c;
	return 1;
}

const struct guidset *
cachescan_guids(const struct cachescan *c)
{
	return c->guids;
}

void
cachescan_select(struct cachescan *c,
		 int (*keep)(void *ctx, const unsigned char *guid, size_t len),
		 void *ctx)
{
	size_t len = guidset_key_len(c->guids);

	free(c->keep);
	c->keep = xcalloc(c->objects / 8 + 1, 1);
	for (size_t i = 0; i < guidset_count(c->guids); i++)
		if (keep(ctx, guidset_key(c->guids, i), len)) {
			uint32_t at = guidset_seq(c->guids, i);

			c->keep[at / 8] |= (unsigned char)(1u << (at % 8));
		}
	guidset_free(c->guids);
	c->guids = NULL;
}

struct selected {
	const struct cachescan *c;
	size_t at; /* the object's place in the file */
	int (*fn)(void *ctx, const struct cacheobj *o, struct sync_err *err);
	void *ctx;
};

/* take_selected - FN for the object at its place, when it was selected */
static int
take_selected(struct selected *s, const struct cacheobj *o,
	      struct sync_err *err)
{
	size_t at = s->at++;

	if (s->c->keep != NULL &&
	    (at >= s->c->objects || !((s->c->keep[at / 8] >> (at % 8)) & 1)))
		return 0;
	return s->fn(s->ctx, o, err);
}

int
cachescan_stream(struct cachescan *c,
		 int (*fn)(void *ctx, const struct cacheobj *o,
			   struct sync_err *err),
		 void *ctx, struct sync_err *err)
{
	struct objcache_mark *m = xmalloc(sizeof(*m));
	struct selected sel = {c, 0, fn, ctx};
	struct cachereader *r;
	const struct cacheobj *o;
	size_t objects, values;
	int rc;

	if (fseeko(c->fp, 0, SEEK_SET) != 0) {
		free(m);
		return sync_err_set(err, SYNC_ERR_DATA, "cannot reread %s: %s",
				    c->path, strerror(errno));
	}
	r = cachereader_new(c->fp, c->path, 1);
	rc = cachereader_header(r, m, err);
	while (rc == 0 && (rc = cachereader_next(r, &o, err)) > 0)
		rc = take_selected(&sel, o, err);
	cachereader_counts(r, &objects, &values);
	cachereader_free(r);
	free(m);
	if (rc == 0 && (objects != c->objects || values != c->values))
		rc = sync_err_set(err, SYNC_ERR_DATA,
				  "%s changed while it was read", c->path);
	return rc;
}

void
cachescan_free(struct cachescan *c)
{
	if (c == NULL)
		return;
	fclose(c->fp);
	guidset_free(c->guids);
	free(c->keep);
	free(c->path);
	free(c);
}
