/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	mapread - the keys an indexed map serves, read back
 * DESCRIPTION
 *	When the text table is gone but its map is there, Postfix still
 *	serves the map: the removal limit must be judged against it, not
 *	against nothing.  Reads every pair read-only and without locks
 *	(rcptsync holds its own lock; Postfix only reads): Berkeley DB
 *	hash and btree, lmdb (MDB_RDONLY | MDB_NOLOCK), cdb (sequential).
 *	postmap stores keys and values with a trailing NUL in hash, btree
 *	and lmdb maps, not in cdb (postfix-maps.md); it is dropped here.
 * OWNERSHIP
 *	Keys and values are copied into the caller's set.
 * DIAGNOSTICS
 *	OUTPUT errors naming the file and the library's error text.
 * SEE ALSO
 *	mapdb.c (the writers), Postfix dict_db.c, dict_lmdb.c, dict_cdb.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef RCPTSYNC_HAVE_BDB
#include <db.h>
#endif
#ifdef RCPTSYNC_HAVE_LMDB
#include <lmdb.h>
#endif
#ifdef RCPTSYNC_HAVE_CDB
#include <cdb.h>
#endif

#include "xalloc.h"
#include "mapread.h"

#if defined(RCPTSYNC_HAVE_BDB) || defined(RCPTSYNC_HAVE_LMDB) || \
	defined(RCPTSYNC_HAVE_CDB)
/* add_pair - one pair into SET, without the trailing NUL postmap adds */
static void
add_pair(struct addrset *set, const char *k, size_t kl, const char *v,
	 size_t vl, const char *origin)
{
	char *value;

	if (kl > 0 && k[kl - 1] == '\0')
		kl--;
	if (vl > 0 && v[vl - 1] == '\0')
		vl--;
	value = xstrndup(v, vl);
	addrset_add(set, k, kl, addrset_intern(set, value), origin);
	free(value);
}
#endif

#ifdef RCPTSYNC_HAVE_BDB
/* read_bdb - every pair of a hash or btree map */
static int
read_bdb(const char *path, struct addrset *set, const char *origin,
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
		add_pair(set, k.data, k.size, v.data, v.size, origin);
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
#endif

#ifdef RCPTSYNC_HAVE_LMDB
/* read_lmdb - every pair of an lmdb map */
static int
read_lmdb(const char *path, struct addrset *set, const char *origin,
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
		add_pair(set, k.mv_data, k.mv_size, v.mv_data, v.mv_size,
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
#endif

#ifdef RCPTSYNC_HAVE_CDB
/* read_cdb - every pair of a cdb map, in file order */
static int
read_cdb(const char *path, struct addrset *set, const char *origin,
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
		add_pair(set, cdb_getkey(&cdb), cdb_keylen(&cdb),
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
#endif

/* mapread_keys - see mapread.h */
int
mapread_keys(const char *path, enum mapdb_type type, struct addrset *set,
	     const char *origin, struct sync_err *err)
{
	(void)set, (void)origin; /* unused when no backend is built */
	switch (type) {
#ifdef RCPTSYNC_HAVE_BDB
	case MAPDB_HASH:
	case MAPDB_BTREE: return read_bdb(path, set, origin, err);
#endif
#ifdef RCPTSYNC_HAVE_LMDB
	case MAPDB_LMDB: return read_lmdb(path, set, origin, err);
#endif
#ifdef RCPTSYNC_HAVE_CDB
	case MAPDB_CDB: return read_cdb(path, set, origin, err);
#endif
	default:
		return sync_err_set(err, SYNC_ERR_OUTPUT,
				    "cannot read %s: map type %s is not built "
				    "into this rcptsync",
				    path, mapdb_type_name(type));
	}
}
