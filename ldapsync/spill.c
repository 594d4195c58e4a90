/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	spill - the objects a pull fetched, kept on disk until they are used
 * DESCRIPTION
 *	An incremental pull learns which objects changed before it may use
 *	any (incremental.c), and a full pull of a million objects is
 *	hundreds of MiB of DNs and values: neither is held in memory.  Each
 *	object fetched goes to an unnamed temporary file in the cache's
 *	format (cacheformat.c), and its key with the number of the op into
 *	a guidset; a removal (Graph's @removed, graphdelta.c) is an op
 *	with no object.  Sealed, the set tells whether an object was
 *	fetched and which copy is the last (an object can come twice: in
 *	two bases, again while AD walks an index, in two pages of a delta
 *	round), or whether a removal came after it, and spill_replay reads
 *	the file back once, in order, passing only last copies on.  The file is
 *	made next to the cache (not in /tmp: the cache's file system holds
 *	a cache already) with the tag of rcptsync's temporary files and
 *	unlinked at once, so a crash leaves nothing behind
 *	(mapcommit_cleanup catches the instant between); where the caller
 *	may not write there (diff, check and explain only read the cache),
 *	in $TMPDIR or /tmp.
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
	char *near;		/* for messages */
	struct guidset *keys;	/* each key with the last op that touched it */
	uint32_t ops;		/* puts and removals, numbered in order */
	uint32_t *op_of;	/* the op of each object put, in file order */
	size_t n, alloc;	/* objects put */
	unsigned char *removal; /* a bit an op: a removal */
	size_t removal_size;
	size_t live; /* sealed: keys whose last op is a put */
};

/* is_removal - was op OP a removal? */
static int
is_removal(const struct spill *s, uint32_t op)
{
	return op / 8 < s->removal_size && (s->removal[op / 8] >> (op % 8)) & 1;
}

/* next_op - a new op's number, REMOVAL or a put */
static uint32_t
next_op(struct spill *s, int removal)
{
	uint32_t op = s->ops++;

	if (op / 8 >= s->removal_size) {
		size_t size = s->removal_size ? 2 * s->removal_size : 1024;

		s->removal = xreallocarray(s->removal, size, 1);
		memset(s->removal + s->removal_size, 0, size - s->removal_size);
		s->removal_size = size;
	}
	if (removal)
		s->removal[op / 8] |= (unsigned char)(1u << (op % 8));
	return op;
}

/* open_unnamed - a file made from PREFIX XXXXXX and unlinked at once */
static FILE *
open_unnamed(const char *prefix)
{
	size_t len = strlen(prefix) + sizeof("XXXXXX");
	char *tmpl = xmalloc(len);
	FILE *fp = NULL;
	int fd, saved;

	snprintf(tmpl, len, "%sXXXXXX", prefix);
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd >= 0) {
		(void)unlink(tmpl);
		if ((fp = fdopen(fd, "w+")) == NULL)
			close(fd);
	}
	saved = errno;
	free(tmpl);
	errno = saved;
	return fp;
}

struct spill *
spill_new(const char *near, size_t key_len, struct sync_err *err)
{
	size_t len = strlen(near) + sizeof(ATOMICFILE_TMP_TAG) + 32;
	char *prefix = xmalloc(len);
	const char *tmpdir = getenv("TMPDIR");
	struct spill *s;
	FILE *fp;

	const char *dir = tmpdir != NULL && *tmpdir ? tmpdir : "/tmp";
	int first;

	snprintf(prefix, len, "%s" ATOMICFILE_TMP_TAG, near);
	fp = open_unnamed(prefix);
	first = errno;
	free(prefix);
	/* a directory the caller may not write, or none yet (diff, check
	 * and explain need only read the cache): the temporary directory */
	if (fp == NULL && (first == EACCES || first == EPERM ||
			   first == EROFS || first == ENOENT)) {
		len = strlen(dir) + 32;
		prefix = xmalloc(len);
		snprintf(prefix, len, "%s/rcptsync-spill.", dir);
		fp = open_unnamed(prefix);
		free(prefix);
		if (fp == NULL) {
			sync_err_set(err, SYNC_ERR_OUTPUT,
				     "cannot make a temporary file for the "
				     "objects fetched, next to %s (%s) or in "
				     "%s: %s",
				     near, strerror(first), dir,
				     strerror(errno));
			return NULL;
		}
	} else if (fp == NULL) {
		sync_err_set(err, SYNC_ERR_OUTPUT,
			     "cannot make a temporary file for the objects "
			     "fetched, next to %s: %s",
			     near, strerror(first));
		return NULL;
	}
	setvbuf(fp, NULL, _IOFBF, SPILL_BUFFER);
	s = xcalloc(1, sizeof(*s));
	s->fp = fp;
	len = strlen(near) + 64;
	s->near = xmalloc(len);
	snprintf(s->near, len,
		 "the temporary file of the objects fetched "
		 "for %s",
		 near);
	s->keys = guidset_new(key_len, 1);
	return s;
}

void
spill_free(struct spill *s)
{
	if (s == NULL)
		return;
	fclose(s->fp);
	guidset_free(s->keys);
	free(s->op_of);
	free(s->removal);
	free(s->near);
	free(s);
}

int
spill_put(struct spill *s, const unsigned char *guid, size_t len,
	  const char *dn, struct sync_err *err)
{
	uint32_t op;

	if (len != guidset_key_len(s->keys))
		return sync_err_set(err, SYNC_ERR_DATA,
				    "a key of %zu bytes, not %zu", len,
				    guidset_key_len(s->keys));
	if (s->ops == UINT32_MAX)
		return sync_err_set(err, SYNC_ERR_DATA, "more than %u objects",
				    UINT32_MAX);
	op = next_op(s, 0);
	if (guidset_add(s->keys, guid, len, op) < 0)
		panic("spill: a key of %zu bytes", len); /* checked above */
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 1024;
		s->op_of = xreallocarray(s->op_of, s->alloc, sizeof(*s->op_of));
	}
	s->op_of[s->n++] = op;
	cacheformat_object_line(s->fp, guid, len, dn);
	return 0;
}

int
spill_remove(struct spill *s, const unsigned char *guid, size_t len)
{
	if (len != guidset_key_len(s->keys) || s->ops == UINT32_MAX)
		return -1;
	return guidset_add(s->keys, guid, len, next_op(s, 1));
}

void
spill_value(struct spill *s, const char *val, size_t len)
{
	cacheformat_value_line(s->fp, val, len);
}

/* io_error - the spill could not be written or read */
static int
io_error(const struct spill *s, const char *what, struct sync_err *err)
{
	return sync_err_set(err, SYNC_ERR_OUTPUT, "%s %s: %s", what, s->near,
			    strerror(errno ? errno : EIO));
}

int
spill_seal(struct spill *s, struct sync_err *err)
{
	/* on disk now, before anything else takes the room (the new cache
	 * is written beside it): a full disk shows here, as a failed pull */
	errno = 0;
	if (fflush(s->fp) != 0 || ferror(s->fp))
		return io_error(s, "cannot write", err);
	(void)guidset_seal(s->keys);
	s->live = 0;
	for (size_t i = 0; i < guidset_count(s->keys); i++)
		s->live += !is_removal(s, guidset_seq(s->keys, i));
	return 0;
}

int
spill_has(const struct spill *s, const unsigned char *guid, size_t len)
{
	uint32_t op;

	return guidset_find(s->keys, guid, len, &op) && !is_removal(s, op);
}

int
spill_touched(const struct spill *s, const unsigned char *guid, size_t len)
{
	return guidset_find(s->keys, guid, len, NULL);
}

size_t
spill_count(const struct spill *s)
{
	return s->live;
}

int
spill_replay(struct spill *s,
	     int (*fn)(void *ctx, const struct cacheobj *o,
		       struct sync_err *err),
	     void *ctx, struct sync_err *err)
{
	struct cachereader *r;
	const struct cacheobj *o;
	size_t i = 0;
	uint32_t last;
	int rc;

	errno = 0;
	if (fflush(s->fp) != 0 || ferror(s->fp))
		return io_error(s, "cannot write", err);
	if (fseeko(s->fp, 0, SEEK_SET) != 0)
		return io_error(s, "cannot rewind", err);
	r = cachereader_new(s->fp, s->near, 0);
	while ((rc = cachereader_next(r, &o, err)) > 0) {
		/* an object's last op is in the set: this copy, or a later
		 * copy or removal */
		if (i < s->n &&
		    guidset_find(s->keys, o->guid, o->guid_len, &last) &&
		    last == s->op_of[i] && fn(ctx, o, err) < 0) {
			rc = -2; /* FN's error, as it is */
			break;
		}
		i++;
	}
	cachereader_free(r);
	if (rc == -2)
		return -1;
	if (rc < 0) /* our own file read back wrong: the disk's fault */
		err->kind = SYNC_ERR_OUTPUT;
	if (rc == 0 && i != s->n) {
		errno = EIO;
		return io_error(s, "cannot read back", err);
	}
	/* the next put appends (a replay is the last use; be safe) */
	if (fseeko(s->fp, 0, SEEK_END) != 0 && rc == 0)
		return io_error(s, "cannot seek", err);
	return rc;
}
