/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	spill - the objects a pull fetched, kept on disk until they are used
 * DESCRIPTION
 *	An incremental pull learns which objects changed before it may use
 *	any (incremental.c), and a full pull of a million objects is
 *	hundreds of MiB of DNs and values: neither is held in memory.  Each
 *	object fetched goes to an unnamed temporary file in the cache's
 *	format (cacheformat.c), and its GUID with its number into a
 *	guidset; sealed, the set tells whether an object was fetched and
 *	which copy is the last (an object can come twice: in two bases, or
 *	again while AD walks an index), and spill_replay reads the file
 *	back once, in order, skipping the earlier copies.  The file is
 *	made next to the cache (not in /tmp: the cache's file system holds
 *	a cache already) with the tag of rcptsync's temporary files and
 *	unlinked at once, so a crash leaves nothing behind
 *	(mapcommit_cleanup catches the instant between).
 * OWNERSHIP
 *	The spill owns its file and set (spill_free).
 * DIAGNOSTICS
 *	Write and read errors are OUTPUT errors naming the cache next to
 *	which the spill was.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"
#include "atomicfile.h"
#include "guidset.h"
#include "spill.h"

#define SPILL_BUFFER (1 << 20)

struct spill {
	FILE *fp;
	char *near; /* for messages */
	struct guidset *keys;
	uint32_t n; /* objects put */
	size_t dropped;
};

struct spill *
spill_new(const char *near, struct sync_err *err)
{
	size_t len = strlen(near) + sizeof(ATOMICFILE_TMP_TAG "XXXXXX");
	char *tmpl = xmalloc(len);
	struct spill *s;
	int fd;
	FILE *fp = NULL;

	snprintf(tmpl, len, "%s" ATOMICFILE_TMP_TAG "XXXXXX", near);
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd >= 0) {
		(void)unlink(tmpl);
		if ((fp = fdopen(fd, "w+")) == NULL)
			close(fd);
	}
	if (fp == NULL) {
		sync_err_set(err, SYNC_ERR_OUTPUT,
			     "cannot make a temporary file next to %s: %s",
			     near, strerror(errno));
		free(tmpl);
		return NULL;
	}
	free(tmpl);
	setvbuf(fp, NULL, _IOFBF, SPILL_BUFFER);
	s = xcalloc(1, sizeof(*s));
	s->fp = fp;
	s->near = xstrdup(near);
	s->keys = guidset_new(1);
	return s;
}

void
spill_free(struct spill *s)
{
	if (s == NULL)
		return;
	fclose(s->fp);
	guidset_free(s->keys);
	free(s->near);
	free(s);
}

int
spill_put(struct spill *s, const unsigned char *guid, size_t len,
	  const char *dn, struct sync_err *err)
{
	if (s->n == UINT32_MAX || guidset_add(s->keys, guid, len, s->n) < 0)
		return sync_err_set(err, SYNC_ERR_DATA,
				    "objectGUID of %zu bytes, not %d: "
				    "incremental pulls need AD",
				    len, GUIDSET_KEY);
	s->n++;
	cacheformat_object_line(s->fp, guid, len, dn);
	return 0;
}

void
spill_value(struct spill *s, const char *val, size_t len)
{
	cacheformat_value_line(s->fp, val, len);
}

size_t
spill_seal(struct spill *s)
{
	s->dropped += guidset_seal(s->keys);
	return s->dropped;
}

int
spill_has(const struct spill *s, const unsigned char *guid, size_t len)
{
	return guidset_find(s->keys, guid, len, NULL);
}

size_t
spill_count(const struct spill *s)
{
	return guidset_count(s->keys);
}

/* io_error - the spill could not be written or read */
static int
io_error(const struct spill *s, const char *what, struct sync_err *err)
{
	return sync_err_set(err, SYNC_ERR_OUTPUT,
			    "%s the temporary file next to %s: %s", what,
			    s->near, strerror(errno ? errno : EIO));
}

int
spill_replay(struct spill *s,
	     int (*fn)(void *ctx, const struct cacheobj *o,
		       struct sync_err *err),
	     void *ctx, struct sync_err *err)
{
	struct cachereader *r;
	const struct cacheobj *o;
	uint32_t seq = 0, kept;
	int rc;

	errno = 0;
	if (fflush(s->fp) != 0 || ferror(s->fp))
		return io_error(s, "cannot write", err);
	if (fseeko(s->fp, 0, SEEK_SET) != 0)
		return io_error(s, "cannot rewind", err);
	r = cachereader_new(s->fp, s->near, 0);
	while ((rc = cachereader_next(r, &o, err)) > 0) {
		/* the last copy of each object is the one in the set */
		if (guidset_find(s->keys, o->guid, o->guid_len, &kept) &&
		    kept == seq && fn(ctx, o, err) < 0) {
			rc = -1;
			break;
		}
		seq++;
	}
	cachereader_free(r);
	if (rc == 0 && seq != s->n) {
		errno = EIO;
		return io_error(s, "cannot read back", err);
	}
	/* the next put appends (a replay is the last use; be safe) */
	if (fseeko(s->fp, 0, SEEK_END) != 0 && rc == 0)
		return io_error(s, "cannot seek", err);
	return rc;
}
