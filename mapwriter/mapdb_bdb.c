/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	mapdb_bdb - write a hash: or btree: map the way postmap(1) does,
 *	and read one back
 * DESCRIPTION
 *	Postfix's hash: and btree: tables are Berkeley DB files whose keys
 *	and values carry a trailing NUL byte (dict_db.c; DB_NO_TRAILING_NULL
 *	is defined on no platform).  Readers try both forms but the first
 *	hit fixes the form for that open table, so we store every pair with
 *	the NUL, never mixing.  Keys are lower case already: smtpd folds
 *	relay_recipient_maps queries (DICT_FLAG_FOLD_FIX).
 *
 *	We link the libdb that Postfix links (Debian 12: 5.3), without an
 *	environment, as postmap does, so Postfix's private-environment
 *	reader accepts the file.  The file is built aside under a fresh name
 *	(DB_CREATE|DB_EXCL: Berkeley DB cannot open a zero-length mkstemp
 *	file) and published by mapcommit.
 *
 *	Speed: DB_HASH gets a cache sized to the data, so it does not
 *	thrash the way postmap's 16 MiB create buffer does at a million
 *	keys; DB_BTREE gets keys in sorted order, its fast path.  The
 *	set_h_nelem() hint is ignored without an h_ffactor (libdb 5.3
 *	__ham_init_meta), and the table grows by splits as postmap's does.
 *	Fixing both and storing the keys in bucket order builds it in about
 *	half the time with a 4 MiB cache, but into a file half as large
 *	again (a power of two of buckets; 134 MB for 88 MB at 1.7 million
 *	keys, bench/README.md): not worth the gateway's disk and page
 *	cache for every lookup.
 *
 *	mapdb_bdb_read() opens the map read-only, without a lock (rcptsync
 *	holds its own; see mapread.c), as DB_UNKNOWN: hash or btree.
 *
 *	mapdb_bdb_edit() deletes entries from a map Postfix has open (the
 *	address verification cache), under the lock Postfix takes: verify(8)
 *	opens its cache with DICT_FLAG_OPEN_LOCK, an exclusive flock(2) on
 *	the .db file for its whole life (dict.c, dict_db.c).  We try that
 *	lock without waiting; if verify(8) holds it we change nothing (TEMP).
 *	Holding it for the milliseconds of the edit has one cost: a verify(8)
 *	starting in that window fails its non-blocking lock and master(8)
 *	restarts it, so a probe is deferred, never lost.  Berkeley DB deletes
 *	one entry at a time: an error part way leaves the earlier deletions
 *	done (see doc/postfix-maps.md, "The address verification cache").
 * OWNERSHIP
 *	Reads the set; the DB handle never leaves this file.
 * DIAGNOSTICS
 *	OUTPUT errors with db_strerror() text; the partial file is removed.
 * SEE ALSO
 *	postmap(1), Postfix src/util/dict_db.c, DATABASE_README.
 */
#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#ifdef RCPTSYNC_HAVE_BDB
#include <db.h>

#include "atomicfile.h"
#include "maptype_impl.h"

#define CACHE_MIN (16u * 1024 * 1024)
#define CACHE_MAX (256u * 1024 * 1024)

/* cache_size - twice the payload, within [16 MiB, 256 MiB] */
static unsigned
cache_size(const struct mapsrc *src)
{
	/* the NULs, and ~40 bytes of per-item overhead on a hash page */
	size_t bytes = 2 * (src->bytes + src->count * (2 + 40));

	if (bytes < CACHE_MIN)
		return CACHE_MIN;
	if (bytes > CACHE_MAX)
		return CACHE_MAX;
	return (unsigned)bytes;
}

/* put_pair - mapsrc_fn: store one pair, key and value with their NUL */
static int
put_pair(void *ctx, const char *k, size_t k_len, const char *v, size_t v_len,
	 struct sync_err *err)
{
	DB *db = ctx;
	DBT key, val;
	int rc;

	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.data = (void *)k;
	key.size = (u_int32_t)k_len + 1;
	val.data = (void *)v;
	val.size = (u_int32_t)v_len + 1;
	if ((rc = db->put(db, NULL, &key, &val, 0)) != 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "storing %s: %s", k,
				    db_strerror(rc));
	return 0;
}

/* dbt - a key or value as postmap stores it: with its trailing NUL */
static DBT
dbt(const char *s)
{
	DBT d;

	memset(&d, 0, sizeof(d));
	d.data = (void *)s;
	d.size = (u_int32_t)strlen(s) + 1;
	return d;
}

/* bdb_del, bdb_put - mapdelta_ops on a DB */
static int
bdb_del(void *map, const char *key)
{
	DB *db = map;
	DBT k = dbt(key);

	return db->del(db, NULL, &k, 0);
}

static int
bdb_put(void *map, const char *key, const char *value)
{
	DB *db = map;
	DBT k = dbt(key), v = dbt(value);

	return db->put(db, NULL, &k, &v, DB_NOOVERWRITE);
}

static const struct mapdelta_ops bdb_ops = {bdb_del, bdb_put, db_strerror};

/* tune - a build's cache, sized to the data, and the hash's size hint */
static int
tune(DB *db, DBTYPE type, const struct mapsrc *src, struct sync_err *err)
{
	size_t n = src->count;
	int rc;

	if ((rc = db->set_cachesize(db, 0, cache_size(src), 1)) != 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "set_cachesize: %s",
				    db_strerror(rc));
	if (type == DB_HASH && n > 0 &&
	    (rc = db->set_h_nelem(db, (u_int32_t)n)) != 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "set_h_nelem: %s",
				    db_strerror(rc));
	return 0;
}

/*
 * bdb_write - a build (SRC: create PATH, store every pair) or an update
 * (DELTA: open the copy at PATH, apply it); then sync, close, fsync.  On
 * failure the file is removed (a build's only once it created it).
 */
static int
bdb_write(const char *path, DBTYPE type, const struct mapsrc *src,
	  const struct mapdelta *delta, struct sync_err *err)
{
	DB *db = NULL;
	int rc, ret = -1;
	int ours = src == NULL; /* the update's copy is ours from the start */

	if ((rc = db_create(&db, NULL, 0)) != 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "db_create: %s",
				    db_strerror(rc));
	/* an update changes a few pages: libdb's default cache will do */
	if (src != NULL && tune(db, type, src, err) < 0)
		goto out;
	rc = db->open(db, NULL, path, NULL, type,
		      src != NULL ? DB_CREATE | DB_EXCL : 0, 0644);
	if (rc != 0) {
		sync_err_set(err, SYNC_ERR_OUTPUT, "%s %s: %s",
			     src != NULL ? "creating" : "opening", path,
			     db_strerror(rc));
		goto out;
	}
	ours = 1;
	if ((src != NULL ? mapsrc_each(src, put_pair, db, err)
			 : mapdelta_apply(delta, &bdb_ops, db, err)) < 0)
		goto out;
	if ((rc = db->sync(db, 0)) != 0) {
		sync_err_set(err, SYNC_ERR_OUTPUT, "writing %s: %s", path,
			     db_strerror(rc));
		goto out;
	}
	ret = 0;
out:
	if (db != NULL && (rc = db->close(db, 0)) != 0 && ret == 0)
		ret = sync_err_set(err, SYNC_ERR_OUTPUT, "closing %s: %s", path,
				   db_strerror(rc));
	if (ret == 0 && atomicfile_fsync_path(path) < 0)
		ret = sync_err_set(err, SYNC_ERR_OUTPUT, "fsync %s: %s", path,
				   strerror(errno));
	if (ret < 0 && ours)
		(void)unlink(path);
	return ret;
}

/* mapdb_bdb_build_hash - a hash: map */
int
mapdb_bdb_build_hash(const char *path, const struct mapsrc *src,
		     struct sync_err *err)
{
	return bdb_write(path, DB_HASH, src, NULL, err);
}

/* mapdb_bdb_build_btree - a btree: map */
int
mapdb_bdb_build_btree(const char *path, const struct mapsrc *src,
		      struct sync_err *err)
{
	return bdb_write(path, DB_BTREE, src, NULL, err);
}

/* mapdb_bdb_update_hash - apply a delta to a copy of a hash: map */
int
mapdb_bdb_update_hash(const char *path, const struct mapdelta *delta,
		      struct sync_err *err)
{
	return bdb_write(path, DB_HASH, NULL, delta, err);
}

/* mapdb_bdb_update_btree - apply a delta to a copy of a btree: map */
int
mapdb_bdb_update_btree(const char *path, const struct mapdelta *delta,
		       struct sync_err *err)
{
	return bdb_write(path, DB_BTREE, NULL, delta, err);
}

/* mapdb_bdb_read - every pair of a hash or btree map */
int
mapdb_bdb_read(const char *path, struct addrset *set, const char *origin,
	       struct sync_err *err)
{
	DB *db = NULL;
	DBC *cur = NULL;
	DBT k, v;
	int rc;

	if ((rc = db_create(&db, NULL, 0)) != 0 ||
	    (rc = db->open(db, NULL, path, NULL, DB_UNKNOWN, DB_RDONLY, 0)) !=
		    0 ||
	    (rc = db->cursor(db, NULL, &cur, 0)) != 0)
		goto out;
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	while ((rc = cur->get(cur, &k, &v, DB_NEXT)) == 0)
		mapread_pair(set, k.data, k.size, v.data, v.size, origin);
	if (rc == DB_NOTFOUND)
		rc = 0;
out:
	if (cur != NULL)
		cur->close(cur);
	if (db != NULL)
		db->close(db, 0);
	if (rc != 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "cannot read %s: %s",
				    path, db_strerror(rc));
	return 0;
}

/* mapdb_bdb_edit - under verify(8)'s own flock, or not at all */
int
mapdb_bdb_edit(const char *file, int fd, const struct mapdb_edit *edit,
	       struct sync_err *err)
{
	DB *db = NULL;
	DBC *cur = NULL;
	DBT k, v;
	int rc, ret = -1;

	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return sync_err_set(err, SYNC_ERR_TEMP,
					    "verify(8) holds the lock on %s",
					    file);
		return sync_err_set(err, SYNC_ERR_OUTPUT, "cannot lock %s: %s",
				    file, strerror(errno));
	}
	if ((rc = db_create(&db, NULL, 0)) != 0 ||
	    (rc = db->open(db, NULL, file, NULL, DB_UNKNOWN, 0, 0)) != 0 ||
	    (rc = db->cursor(db, NULL, &cur, 0)) != 0) {
		sync_err_set(err, SYNC_ERR_OUTPUT, "cannot open %s: %s", file,
			     db_strerror(rc));
		goto out;
	}
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	while ((rc = cur->get(cur, &k, &v, DB_NEXT)) == 0) {
		size_t kl = mapread_len(k.data, k.size);
		size_t vl = mapread_len(v.data, v.size);

		if (!edit->drop(edit->ctx, k.data, kl, v.data, vl))
			continue;
		if ((rc = cur->del(cur, 0)) != 0)
			break;
		edit->dropped(edit->ctx, k.data, kl, v.data, vl);
	}
	if (rc != DB_NOTFOUND) {
		sync_err_set(err, SYNC_ERR_OUTPUT, "purging %s: %s", file,
			     db_strerror(rc));
		goto out;
	}
	rc = cur->close(cur);
	cur = NULL;
	if (rc != 0 || (rc = db->sync(db, 0)) != 0) {
		sync_err_set(err, SYNC_ERR_OUTPUT, "writing %s: %s", file,
			     db_strerror(rc));
		goto out;
	}
	ret = 0;
out:
	if (cur != NULL)
		(void)cur->close(cur);
	if (db != NULL && (rc = db->close(db, 0)) != 0 && ret == 0)
		ret = sync_err_set(err, SYNC_ERR_OUTPUT, "closing %s: %s", file,
				   db_strerror(rc));
	if (ret == 0 && fsync(fd) < 0)
		ret = sync_err_set(err, SYNC_ERR_OUTPUT, "fsync %s: %s", file,
				   strerror(errno));
	return ret; /* the caller's closing FD drops the flock */
}
#endif /* RCPTSYNC_HAVE_BDB */
