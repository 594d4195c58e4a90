/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	mapdb_cdb - write a cdb: map the way postmap(1) does, and read one
 *	back
 * DESCRIPTION
 *	A constant database (tinycdb) is written once and never updated, so
 *	postmap itself builds it aside and renames it; we do the same.
 *	Unlike hash:, btree: and lmdb:, Postfix's cdb maps store keys and
 *	values without a trailing NUL (dict_cdb.c).  The reader walks the
 *	file sequentially (cdb_seqnext), in file order.
 * OWNERSHIP
 *	The cdb_make state never leaves this file.
 * DIAGNOSTICS
 *	OUTPUT errors with errno text; the partial file is removed.
 * SEE ALSO
 *	Postfix cdb_table(5), src/util/dict_cdb.c, cdb(3).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#ifdef RCPTSYNC_HAVE_CDB
#include <cdb.h>

#include "maptype_impl.h"

/* A cdb being made, and its name for errors. */
struct cdb_out {
	struct cdb_make m;
	const char *path;
};

/* add_pair - mapsrc_fn: one pair, without NULs */
static int
add_pair(void *ctx, const char *key, size_t key_len, const char *value,
	 size_t value_len, struct sync_err *err)
{
	struct cdb_out *o = ctx;

	if (cdb_make_add(&o->m, key, (unsigned)key_len, value,
			 (unsigned)value_len) < 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "writing %s: %s",
				    o->path, strerror(errno));
	return 0;
}

/* mapdb_cdb_build - create, add every pair, finish, sync */
int
mapdb_cdb_build(const char *path, const struct mapsrc *src,
		struct sync_err *err)
{
	struct cdb_out o = {.path = path};
	int fd, ret = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "creating %s: %s",
				    path, strerror(errno));
	if (cdb_make_start(&o.m, fd) < 0) {
		sync_err_set(err, SYNC_ERR_OUTPUT, "writing %s: %s", path,
			     strerror(errno));
	} else if (mapsrc_each(src, add_pair, &o, err) < 0) {
		/* said; finish frees what the adds allocated (tinycdb has no
		 * other way), into a file removed below */
		(void)cdb_make_finish(&o.m);
	} else if (cdb_make_finish(&o.m) < 0 || fsync(fd) < 0) {
		sync_err_set(err, SYNC_ERR_OUTPUT, "writing %s: %s", path,
			     strerror(errno));
	} else {
		ret = 0;
	}
	if (close(fd) < 0 && ret == 0)
		ret = sync_err_set(err, SYNC_ERR_OUTPUT, "closing %s: %s", path,
				   strerror(errno));
	if (ret < 0)
		(void)unlink(path);
	return ret;
}

/* mapdb_cdb_read - every pair of a cdb map, in file order */
int
mapdb_cdb_read(const char *path, struct addrset *set, const char *origin,
	       struct sync_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct cdb cdb;
	unsigned pos;
	int rc = -1;

	if (fd < 0 || cdb_init(&cdb, fd) < 0)
		goto out;
	cdb_seqinit(&pos, &cdb);
	while ((rc = cdb_seqnext(&pos, &cdb)) > 0)
		mapread_pair(set, cdb_getkey(&cdb), cdb_keylen(&cdb),
			     cdb_getdata(&cdb), cdb_datalen(&cdb), origin);
	cdb_free(&cdb);
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "cannot read %s: %s",
				    path, strerror(errno ? errno : EINVAL));
	return 0;
}
#endif /* RCPTSYNC_HAVE_CDB */
