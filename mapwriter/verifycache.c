/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	verifycache - purge stale "undeliverable" entries from Postfix's
 *	address verification cache
 * DESCRIPTION
 *	Sites with reject_unverified_recipient keep verify(8)'s verdicts in
 *	address_verify_map.  An address probed before it existed in AD is
 *	cached as undeliverable for hours (address_verify_negative_*), so
 *	it keeps being rejected after rcptsync published it.  For each
 *	address the sync added, this deletes the negative entries: value
 *	"status:probed:updated:text" with a status other than 0, under any
 *	letter case of the key (the cache stores keys as the client wrote
 *	them) and, with recipient_delimiter, with any extension.  A target
 *	"@domain" (a domain that became a relay domain: its key accepts
 *	every address in it) stands for all the addresses of that domain.
 *
 *	Locking follows Postfix's own, so the edit is never torn:
 *	- btree/hash: verify(8) opens the cache with DICT_FLAG_OPEN_LOCK,
 *	  an exclusive flock(2) on the .db file for its whole life (dict.c,
 *	  dict_db.c).  We try that lock without waiting.  If verify(8) holds
 *	  it we change nothing and return TEMP; the caller prints the
 *	  commands that do it with Postfix stopped and retries next run.
 *	  Holding the lock for the milliseconds of the edit has one cost: a
 *	  verify(8) starting in that window fails its non-blocking lock and
 *	  master(8) restarts it, so a probe is deferred, never lost.
 *	- lmdb: Postfix opens TABLE.lmdb with MDB_NOLOCK and takes an fcntl
 *	  lock around every access (dict_lmdb.c: shared to read, exclusive
 *	  to write), so an online edit under an exclusive fcntl lock is what
 *	  "postmap -d" itself does.  We retry that lock for about a second.
 *	Never through proxy:btree, which deadlocks proxywrite (see
 *	doc/postfix-maps.md).  verifycache_purge() calls the purge
 *	of the type's row in maptype.c; a type without one is refused.
 * OWNERSHIP
 *	Database handles and lock descriptors never leave this file.
 * DIAGNOSTICS
 *	TEMP when Postfix holds the lock, OUTPUT when the cache cannot be
 *	opened or changed.  Berkeley DB deletes one entry at a time, so an
 *	OUTPUT error part way leaves the earlier deletions done (each is
 *	harmless: a new probe); LMDB commits all or nothing.
 * SEE ALSO
 *	verify(8), ADDRESS_VERIFICATION_README, Postfix src/util/dict_cache.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef RCPTSYNC_HAVE_BDB
#include <db.h>
#endif
#ifdef RCPTSYNC_HAVE_LMDB
#include <lmdb.h>
#endif

#include "ascii.h"
#include "xalloc.h"
#include "maptype_impl.h"
#include "verifycache.h"

#define KEY_MAX 512 /* longer keys are no address rcptsync writes */

/* verifycache_file - the file Postfix opens for the map */
const char *
verifycache_file(const struct verifycache_conf *conf, char *buf, size_t size)
{
	const char *suffix = maptype_get(conf->type)->suffix;

	snprintf(buf, size, "%s%s", conf->path, suffix != NULL ? suffix : "");
	return buf;
}

/* negative - the status field (before the first ':') is not "0" */
static int
negative(const char *value, size_t len)
{
	const char *colon = memchr(value, ':', len);

	if (colon == NULL || colon == value)
		return 0; /* not a cache entry: leave it alone */
	return !(colon - value == 1 && value[0] == '0');
}

/* verifycache_stale - negative, and for an address in TARGETS */
int
verifycache_stale(const char *key, size_t key_len, const char *value,
		  size_t value_len, const struct addrset *targets,
		  const char *delimiters)
{
	char folded[KEY_MAX + 1];
	char *at, *ext;

	if (key_len == 0 || key_len > KEY_MAX ||
	    memchr(key, '\0', key_len) != NULL || !negative(value, value_len))
		return 0;
	memcpy(folded, key, key_len);
	ascii_fold(folded, key_len);
	folded[key_len] = '\0';
	if (addrset_find(targets, folded) != NULL)
		return 1;
	if ((at = strrchr(folded, '@')) == NULL)
		return 0;
	/* "@domain": every address in the domain (one that became a relay
	 * domain: relay_recipient_maps now accepts all of it) */
	if (at != folded && addrset_find(targets, at) != NULL)
		return 1;
	if (delimiters == NULL || *delimiters == '\0')
		return 0;
	/* user+ext@domain is user@domain (Postfix splits at the first
	 * delimiter; one at the very start is no extension). */
	*at = '\0';
	ext = strpbrk(folded, delimiters);
	*at = '@';
	if (ext == NULL || ext == folded)
		return 0;
	memmove(ext, at, strlen(at) + 1);
	return addrset_find(targets, folded) != NULL;
}

/* The deletions, kept until they are committed, then reported. */
struct verifycache_deleted {
	char **kv; /* key, value, key, value, ... */
	size_t n;
};

static void __attribute__((unused))
deleted_add(struct verifycache_deleted *d, const void *key, size_t klen,
	    const void *val, size_t vlen)
{
	d->kv = xreallocarray(d->kv, d->n + 2, sizeof(*d->kv));
	d->kv[d->n++] = xstrndup(key, klen);
	d->kv[d->n++] = xstrndup(val, vlen);
}

static void
deleted_report(struct verifycache_deleted *d, verifycache_fn fn, void *ctx)
{
	for (size_t i = 0; i + 1 < d->n; i += 2)
		if (fn != NULL)
			fn(ctx, d->kv[i], d->kv[i + 1]);
}

static void
deleted_free(struct verifycache_deleted *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->kv[i]);
	free(d->kv);
	d->kv = NULL;
	d->n = 0;
}

/* strip_nul - Postfix stores key and value with a trailing NUL */
static size_t __attribute__((unused)) strip_nul(const void *data, size_t len)
{
	return (len > 0 && ((const char *)data)[len - 1] == '\0') ? len - 1
								  : len;
}

/* examine - one stored entry: count it, strip the NULs, stale or not */
static int __attribute__((unused))
examine(const struct verifycache_conf *conf, const struct addrset *targets,
	const void *key, size_t key_size, const void *val, size_t val_size,
	size_t *kl, size_t *vl, struct verifycache_result *res)
{
	*kl = strip_nul(key, key_size);
	*vl = strip_nul(val, val_size);
	res->scanned++;
	return verifycache_stale(key, *kl, val, *vl, targets, conf->delimiters);
}

#ifdef RCPTSYNC_HAVE_BDB
/* verifycache_purge_bdb - under verify(8)'s own flock, or not at all */
int
verifycache_purge_bdb(const char *file, int fd,
		      const struct verifycache_conf *conf,
		      const struct addrset *targets,
		      struct verifycache_deleted *del,
		      struct verifycache_result *res, struct sync_err *err)
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
		size_t kl, vl;

		if (!examine(conf, targets, k.data, k.size, v.data, v.size, &kl,
			     &vl, res))
			continue;
		if ((rc = cur->del(cur, 0)) != 0)
			break;
		deleted_add(del, k.data, kl, v.data, vl);
		res->purged++;
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
	return ret; /* closing FD drops the flock */
}
#endif /* RCPTSYNC_HAVE_BDB */

#ifdef RCPTSYNC_HAVE_LMDB
#define LMDB_MIN_MAP (16u * 1024 * 1024) /* Postfix's lmdb_map_size */
#define LOCK_TRIES 50			 /* of 20 ms: about a second */

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

/* lmdb_once - one transaction with map size MAPSIZE; MDB_* or 0 */
static int
lmdb_once(const char *file, size_t mapsize, const struct verifycache_conf *conf,
	  const struct addrset *targets, struct verifycache_deleted *del,
	  struct verifycache_result *res)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_dbi dbi;
	MDB_val k, v;
	int rc;

	res->scanned = res->purged = 0;
	deleted_free(del);
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_mapsize(env, mapsize)) != 0 ||
	    (rc = mdb_env_open(env, file, MDB_NOSUBDIR | MDB_NOLOCK, 0600)) !=
		    0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0 ||
	    (rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		size_t kl, vl;

		if (!examine(conf, targets, k.mv_data, k.mv_size, v.mv_data,
			     v.mv_size, &kl, &vl, res))
			continue;
		/* Copy first: the pages go away with the delete. */
		deleted_add(del, k.mv_data, kl, v.mv_data, vl);
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			goto out;
		res->purged++;
	}
	if (rc != MDB_NOTFOUND)
		goto out;
	mdb_cursor_close(cur);
	cur = NULL;
	rc = res->purged > 0 ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), 0);
	txn = NULL;
	if (rc == 0 && res->purged > 0)
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

/* verifycache_purge_lmdb - online, under Postfix's fcntl protocol */
int
verifycache_purge_lmdb(const char *file, int fd,
		       const struct verifycache_conf *conf,
		       const struct addrset *targets,
		       struct verifycache_deleted *del,
		       struct verifycache_result *res, struct sync_err *err)
{
	struct stat st;
	size_t mapsize;
	int rc = MDB_MAP_FULL;

	if (fstat(fd, &st) < 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "cannot stat %s: %s",
				    file, strerror(errno));
	mapsize = 2 * (size_t)st.st_size;
	if (mapsize < LMDB_MIN_MAP)
		mapsize = LMDB_MIN_MAP;
	/* Deleting copies pages; a full map just needs a larger mapping.
	 * Closing the environment drops the lock: take it for each try. */
	for (int i = 0; i < 4 && rc == MDB_MAP_FULL; i++, mapsize *= 2) {
		if (fcntl_lock(file, fd, err) < 0) {
			deleted_free(del);
			res->purged = 0;
			return -1;
		}
		rc = lmdb_once(file, mapsize, conf, targets, del, res);
	}
	if (rc != 0) {
		deleted_free(del);
		res->purged = 0;
		return sync_err_set(err, SYNC_ERR_OUTPUT, "purging %s: %s",
				    file, mdb_strerror(rc));
	}
	return 0;
}
#endif /* RCPTSYNC_HAVE_LMDB */

/* verifycache_purge - open, lock the Postfix way, delete, report */
int
verifycache_purge(const struct verifycache_conf *conf,
		  const struct addrset *targets, verifycache_fn fn, void *ctx,
		  struct verifycache_result *res, struct sync_err *err)
{
	const struct maptype *m = maptype_get(conf->type);
	struct verifycache_deleted del = {NULL, 0};
	char file[4096];
	int fd, ret;

	memset(res, 0, sizeof(*res));
	if (m->purge == NULL)
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "verify_cache.type %s is not supported "
				    "by this rcptsync",
				    m->name);
	verifycache_file(conf, file, sizeof(file));
	if (addrset_count(targets) == 0)
		return 0;
	if ((fd = open(file, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return 0; /* no cache yet: nothing is stale */
		return sync_err_set(err, SYNC_ERR_OUTPUT, "cannot open %s: %s",
				    file, strerror(errno));
	}
	ret = m->purge(file, fd, conf, targets, &del, res, err);
	close(fd);
	deleted_report(&del, fn, ctx);
	deleted_free(&del);
	return ret;
}
