/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cachewrite - a new object cache, streamed, never held
 * DESCRIPTION
 *	The one way a pull makes its new cache (incremental.c for LDAP,
 *	graphdelta.c for Graph): the old cache's objects that stay, read
 *	again one at a time (cachescan.c, pass 2), then the objects the
 *	pull fetched (spill.c), each handed on to the pipeline and written
 *	to a temporary file next to the cache as it goes.  The file is
 *	not the cache until the run is accepted: the caller owes it
 *	(incremental_owe_file), and it is renamed over the cache at
 *	commit or removed.  Its name carries the tag of rcptsync's
 *	temporary files (TABLE.rcptsync-cache[.N|.graph].rcptsync-tmp.X),
 *	so what a killed run left is removed by the next
 *	(mapcommit_cleanup).
 * OWNERSHIP
 *	*TMP is the caller's.
 * DIAGNOSTICS
 *	OUTPUT errors naming the file; the caller's and the old cache's
 *	errors as they are.
 */
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "atomicfile.h"
#include "fault.h"
#include "cachewrite.h"

struct run {
	struct cachewrite *w;
	FILE *fp;	   /* or NULL: only taken */
	int started, done; /* fill began; every object was taken */
};

/* one - an object of the new cache: written, then taken */
static int
one(void *ctx, const struct cacheobj *o, struct sync_err *err)
{
	struct run *r = ctx;
	struct cachewrite *w = r->w;

	if (r->fp != NULL) {
		cacheformat_object(r->fp, o);
		if (w->objects == 0)
			FAULT_POINT(INCREMENTAL_STEP_STREAMING);
	}
	w->objects++;
	w->values += o->n;
	return w->take(w->ctx, o, err);
}

struct holder {
	struct run *r;
};

/* fill - atomicfile_fill_fn (FP NULL: only taken): the whole cache */
static int
fill(FILE *fp, const void *ctx, struct sync_err *err)
{
	struct run *r = ((const struct holder *)ctx)->r;
	struct cachewrite *w = r->w;

	r->fp = fp;
	r->started = 1;
	w->objects = w->values = 0;
	if (fp != NULL)
		cacheformat_header(fp, w->mark);
	if (w->old != NULL && cachescan_stream(w->old, one, r, err) < 0)
		return -1;
	if (spill_replay(w->fresh, one, r, err) < 0)
		return -1;
	if (fp != NULL)
		cacheformat_end(fp, w->objects, w->values);
	r->done = 1;
	/* a write that failed once (a disk full for a moment) is a file
	 * that lacks lines, even if the last flush succeeds */
	return fp != NULL && ferror(fp) ? -1 : 0;
}

int
cachewrite_run(struct cachewrite *w, const char *path, char **tmp,
	       struct sync_err *err)
{
	struct run r = {w, NULL, 0, 0};
	struct holder h = {&r};
	size_t len;

	memset(&w->write_err, 0, sizeof(w->write_err));
	if (tmp == NULL)
		return fill(NULL, &h, err);
	len = strlen(path) + sizeof(ATOMICFILE_TMP_TAG "XXXXXX");
	*tmp = xmalloc(len);
	snprintf(*tmp, len, "%s" ATOMICFILE_TMP_TAG "XXXXXX", path);
	if (atomicfile_write_temp(*tmp, 0600, fill, &h, err) == 0)
		return 0;
	free(*tmp);
	*tmp = NULL;
	if (r.started && !r.done)
		return -1; /* an object could not be read or taken */
	/* The file could not be made or written (a full disk): the table
	 * must not wait for the cache.  Every object is taken (now, if the
	 * file was not even made); the old cache stays, and the error is
	 * the caller's to report once the table is published. */
	w->write_err = *err;
	memset(err, 0, sizeof(*err));
	return r.started ? 0 : fill(NULL, &h, err);
}
