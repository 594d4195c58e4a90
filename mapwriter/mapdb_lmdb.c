/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	mapdb_lmdb - write an lmdb: map the way postmap(1) does, and read
 *	one back
 * DESCRIPTION
 *	Postfix opens TABLE.lmdb with MDB_NOSUBDIR | MDB_NOLOCK and locks it
 *	with fcntl itself (dict_lmdb.c), so a map is one file with no LMDB
 *	lock file beside it, and replacing it by rename is as safe as for a
 *	Berkeley DB map: a reader keeps the inode it opened, and notices the
 *	rename.  Keys and values carry a trailing NUL, as postmap writes
 *	them (LMDB_NO_TRAILING_NULL is defined on no platform).  Keys go in
 *	with MDB_APPEND: the set is sorted bytewise, and with the NUL that
 *	is LMDB's default key order too ("a\0" < "ab\0").  The reader opens
 *	it MDB_RDONLY | MDB_NOLOCK (see mapread.c).
 *
 *	mapdb_lmdb_edit() deletes entries from a map Postfix has open (the
 *	address verification cache) online, as "postmap -d" does: Postfix
 *	takes an fcntl lock around every access (dict_lmdb.c: shared to
 *	read, exclusive to write), so we take it exclusive, retried for
 *	about a second, and delete in one transaction, all or nothing (see
 *	doc/postfix-maps.md, "The address verification cache").
 * OWNERSHIP
 *	The environment never leaves this file.
 * DIAGNOSTICS
 *	OUTPUT errors with mdb_strerror() text; the partial file is removed.
 * SEE ALSO
 *	Postfix lmdb_table(5), src/util/dict_lmdb.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef RCPTSYNC_HAVE_LMDB
#include <lmdb.h>

#include "atomicfile.h"
#include "xalloc.h"
#include "maptype_impl.h"

#define MAP_MIN (16u * 1024 * 1024)
#define CHANGE_PAGES (4 * 4096) /* a leaf and its branches, copied */

/* map_size - room for every pair with generous page overhead */
static size_t
map_size(const struct mapsrc *src)
{
	return MAP_MIN + 4 * (src->bytes + src->count * (2 + 16));
}

/* An open write transaction, for mapdelta_ops and put_pair. */
struct lmdb_map {
	MDB_txn *txn;
	MDB_dbi dbi;
};

/* put_pair - mapsrc_fn: the next pair, in order (MDB_APPEND) */
static int
put_pair(void *ctx, const char *key, size_t key_len, const char *value,
	 size_t value_len, struct sync_err *err)
{
	struct lmdb_map *m = ctx;
	MDB_val k = {key_len + 1, (void *)key};
	MDB_val v = {value_len + 1, (void *)value};
	int rc = mdb_put(m->txn, m->dbi, &k, &v, MDB_APPEND);

	if (rc != 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "storing %s: %s", key,
				    mdb_strerror(rc));
	return 0;
}

/* lmdb_del, lmdb_put - mapdelta_ops on a transaction */
static int
lmdb_del(void *map, const char *key)
{
	struct lmdb_map *m = map;
	MDB_val k = {strlen(key) + 1, (void *)key};

	return mdb_del(m->txn, m->dbi, &k, NULL);
}

static int
lmdb_put(void *map, const char *key, const char *value)
{
	struct lmdb_map *m = map;
	MDB_val k = {strlen(key) + 1, (void *)key};
	MDB_val v = {strlen(value) + 1, (void *)value};

	return mdb_put(m->txn, m->dbi, &k, &v, MDB_NOOVERWRITE);
}

static const struct mapdelta_ops lmdb_ops = {lmdb_del, lmdb_put, mdb_strerror};

/*
 * lmdb_write - a build (SRC: create PATH, store every pair in order) or an
 * update (DELTA: open the copy at PATH, apply it), in one transaction of
 * an environment mapped MAPSIZE bytes; then commit, sync, close, fsync.
 * On failure PATH is removed.
 */
static int
lmdb_write(const char *path, size_t mapsize, const struct mapsrc *src,
	   const struct mapdelta *delta, struct sync_err *err)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	int rc, ret = -1;

	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_mapsize(env, mapsize)) != 0 ||
	    (rc = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOLOCK, 0644)) !=
		    0) {
		sync_err_set(err, SYNC_ERR_OUTPUT, "%s %s: %s",
			     src != NULL ? "creating" : "opening", path,
			     mdb_strerror(rc));
		goto out;
	}
	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0) {
		sync_err_set(err, SYNC_ERR_OUTPUT, "writing %s: %s", path,
			     mdb_strerror(rc));
		goto out;
	}
	if ((src != NULL
		     ? mapsrc_each(src, put_pair, &(struct lmdb_map){txn, dbi},
				   err)
		     : mapdelta_apply(delta, &lmdb_ops,
				      &(struct lmdb_map){txn, dbi}, err)) < 0)
		goto out;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0 || (rc = mdb_env_sync(env, 1)) != 0) {
		sync_err_set(err, SYNC_ERR_OUTPUT, "writing %s: %s", path,
			     mdb_strerror(rc));
		goto out;
	}
	ret = 0;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (env != NULL)
		mdb_env_close(env);
	if (ret == 0 && atomicfile_fsync_path(path) < 0)
		ret = sync_err_set(err, SYNC_ERR_OUTPUT, "fsync %s: %s", path,
				   strerror(errno));
	if (ret < 0)
		(void)unlink(path);
	return ret;
}

/* mapdb_lmdb_build - a new map of every pair */
int
mapdb_lmdb_build(const char *path, const struct mapsrc *src,
		 struct sync_err *err)
{
	return lmdb_write(path, map_size(src), src, NULL, err);
}

/* mapdb_lmdb_update - the copy at PATH, with DELTA applied */
int
mapdb_lmdb_update(const char *path, const struct mapdelta *delta,
		  struct sync_err *err)
{
	struct mapsrc puts;
	struct stat st;

	if (stat(path, &st) < 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "%s: %s", path,
				    strerror(errno));
	/* the copy's size, room for the new pairs, and for the pages every
	 * change copies on write (a leaf and its branches, deletions too) */
	mapsrc_of_set(&puts, delta->puts);
	return lmdb_write(path,
			  (size_t)st.st_size + map_size(&puts) +
				  CHANGE_PAGES * (addrset_count(delta->dels) +
						  addrset_count(delta->puts)),
			  NULL, delta, err);
}

/* mapdb_lmdb_read - every pair of an lmdb map */
int
mapdb_lmdb_read(const char *path, struct addrset *set, const char *origin,
		struct sync_err *err)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_dbi dbi;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_open(env, path,
			       MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK, 0)) !=
		    0 ||
	    (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0 ||
	    (rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		mapread_pair(set, k.mv_data, k.mv_size, v.mv_data, v.mv_size,
			     origin);
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (env != NULL)
		mdb_env_close(env);
	if (rc != 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "cannot read %s: %s",
				    path, mdb_strerror(rc));
	return 0;
}

#define LOCK_TRIES 50 /* of 20 ms: about a second */

/* fcntl_lock - Postfix's per-access lock, exclusive, briefly retried */
static int
fcntl_lock(const char *file, int fd, struct sync_err *err)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	struct timespec pause = {0, 20 * 1000 * 1000};

	for (int i = 0; i < LOCK_TRIES; i++) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES)
			return sync_err_set(err, SYNC_ERR_OUTPUT,
					    "cannot lock %s: %s", file,
					    strerror(errno));
		nanosleep(&pause, NULL);
	}
	return sync_err_set(err, SYNC_ERR_TEMP,
			    "Postfix kept %s locked for a second", file);
}

/* drop_one - delete the entry under CUR that EDIT drops; MDB_* or 0 */
static int
drop_one(MDB_cursor *cur, const MDB_val *k, const MDB_val *v,
	 const struct mapdb_edit *edit, size_t *dropped)
{
	size_t kl = mapread_len(k->mv_data, k->mv_size);
	size_t vl = mapread_len(v->mv_data, v->mv_size);
	char *key, *value;
	int rc;

	if (!edit->drop(edit->ctx, k->mv_data, kl, v->mv_data, vl))
		return 0;
	/* Copy first: the pages go away with the delete. */
	key = xmemdup(k->mv_data, kl);
	value = xmemdup(v->mv_data, vl);
	if ((rc = mdb_cursor_del(cur, 0)) == 0) {
		edit->dropped(edit->ctx, key, kl, value, vl);
		(*dropped)++;
	}
	free(key);
	free(value);
	return rc;
}

/* edit_once - one transaction with map size MAPSIZE; MDB_* or 0 */
static int
edit_once(const char *file, size_t mapsize, const struct mapdb_edit *edit)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_dbi dbi;
	MDB_val k, v;
	size_t dropped = 0;
	int rc;

	edit->restart(edit->ctx);
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_mapsize(env, mapsize)) != 0 ||
	    (rc = mdb_env_open(env, file, MDB_NOSUBDIR | MDB_NOLOCK, 0600)) !=
		    0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0 ||
	    (rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		if ((rc = drop_one(cur, &k, &v, edit, &dropped)) != 0)
			goto out;
	if (rc != MDB_NOTFOUND)
		goto out;
	mdb_cursor_close(cur);
	cur = NULL;
	rc = dropped > 0 ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), 0);
	txn = NULL;
	if (rc == 0 && dropped > 0)
		rc = mdb_env_sync(env, 1);
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (env != NULL)
		mdb_env_close(env); /* this also drops our fcntl lock */
	return rc;
}

/* mapdb_lmdb_edit - online, under Postfix's fcntl protocol */
int
mapdb_lmdb_edit(const char *file, int fd, const struct mapdb_edit *edit,
		struct sync_err *err)
{
	struct stat st;
	size_t mapsize;
	int rc = MDB_MAP_FULL;

	if (fstat(fd, &st) < 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "cannot stat %s: %s",
				    file, strerror(errno));
	mapsize = 2 * (size_t)st.st_size;
	if (mapsize < MAP_MIN) /* Postfix's lmdb_map_size */
		mapsize = MAP_MIN;
	/* Deleting copies pages; a full map just needs a larger mapping.
	 * Closing the environment drops the lock: take it for each try. */
	for (int i = 0; i < 4 && rc == MDB_MAP_FULL; i++, mapsize *= 2) {
		if (fcntl_lock(file, fd, err) < 0) {
			edit->restart(edit->ctx);
			return -1;
		}
		rc = edit_once(file, mapsize, edit);
	}
	if (rc != 0) {
		edit->restart(edit->ctx);
		return sync_err_set(err, SYNC_ERR_OUTPUT, "purging %s: %s",
				    file, mdb_strerror(rc));
	}
	return 0;
}
#endif /* RCPTSYNC_HAVE_LMDB */
