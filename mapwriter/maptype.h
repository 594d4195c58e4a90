/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPTYPE_H
#define RCPTSYNC_MAPTYPE_H

#include <stddef.h>

#include "addrset.h"
#include "syncerr.h"

/*
 * The Postfix map types rcptsync knows: one row each in maptype.c's
 * table, and the value is the row's index.  Code that names one type
 * uses these constants; code that takes every type walks the table
 * (maptype_count(), maptype_get()).  The names predate the table.
 */
enum mapdb_type {
	MAPDB_HASH,  /* hash:  TABLE.db, Berkeley DB DB_HASH */
	MAPDB_BTREE, /* btree: TABLE.db, Berkeley DB DB_BTREE */
	MAPDB_TEXT,  /* text only: no indexed map (texthash:) */
	MAPDB_LMDB,  /* lmdb:  TABLE.lmdb */
	MAPDB_CDB,   /* cdb:   TABLE.cdb */
};

struct mapdelta;
struct mapsrc;

/*
 * A live edit of a map Postfix has open (struct maptype's edit): the
 * backend walks every entry and deletes those DROP chooses, under
 * Postfix's own lock for the type.  The caller decides; the backend
 * opens, locks, walks, deletes and syncs.
 */
struct mapdb_edit {
	/* drop - 1: delete this entry, 0: keep it.  KEY and VALUE as
	 *	stored, without the trailing NUL postmap adds (not
	 *	NUL-terminated; valid during the call only). */
	int (*drop)(void *ctx, const char *key, size_t key_len,
		    const char *value, size_t value_len);
	/* dropped - the entry DROP chose has been deleted: a copy of it,
	 *	valid during the call only.  Where the backend commits at
	 *	the end (lmdb), a deletion counts only if no restart
	 *	follows. */
	void (*dropped)(void *ctx, const char *key, size_t key_len,
			const char *value, size_t value_len);
	/* restart - forget every entry seen and dropped so far: the walk
	 *	starts again, or failed with nothing deleted (lmdb's
	 *	transaction was not committed) */
	void (*restart)(void *ctx);
	void *ctx;
};

/*
 * What else a type can be (struct maptype's flags):
 * MAPTYPE_VERIFY: an address_verify_map whose stale negative entries
 *	rcptsync purges (verifycache.c).
 * MAPTYPE_VERIFY_ONLINE: purged while Postfix runs, under Postfix's own
 *	per-access lock (lmdb).  Without it verify(8) holds the lock for its
 *	whole life (btree, hash): a purge it refuses needs Postfix stopped.
 */
#define MAPTYPE_VERIFY (1 << 0)
#define MAPTYPE_VERIFY_ONLINE (1 << 1)

/* One map type.  Rows of types not compiled in are there too (built 0,
 * no functions), so that a config naming one is told how to build it. */
struct maptype {
	const char *name;	/* Postfix's type, as in main.cf: "hash" */
	const char *alias;	/* another name output.type takes, or NULL */
	const char *suffix;	/* TABLE + suffix is the file Postfix opens;
				 * NULL: no indexed map (text) */
	const char *feature;	/* the meson option that builds it ("bdb"),
				 * NULL: always built */
	const char *tmp_prefix; /* a map its library is still creating is
				 * named prefix + name ("__db."), which
				 * clean-up removes; or NULL */
	int built;		/* compiled into this rcptsync: 1 or 0 */
	int flags;		/* MAPTYPE_VERIFY... */

	/* For mapwriter; NULL when not built or without an indexed map. */
	/* build - create PATH (which must not exist) with every pair of
	 *	SRC (mapsrc.h) in postmap's form, synced; 0, or -1 with PATH
	 *	removed and an OUTPUT error (or the error reading SRC) */
	int (*build)(const char *path, const struct mapsrc *src,
		     struct sync_err *err);
	/* read - add every pair of the map at PATH to SET with ORIGIN; 0,
	 *	or -1 with an OUTPUT error (see mapread_keys()) */
	int (*read)(const char *path, struct addrset *set, const char *origin,
		    struct sync_err *err);
	/* update - apply DELTA to PATH, a private copy of the published
	 *	map, and sync it; 0, or -1 with an OUTPUT error (also when a
	 *	key deleted is missing or a key stored is there already: the
	 *	map is not what the delta was computed against).  NULL when
	 *	the type cannot be changed in place (cdb: built once) */
	int (*update)(const char *path, const struct mapdelta *delta,
		      struct sync_err *err);
	/* edit - walk the map FILE, open read-write on FD, while Postfix
	 *	may use it, under the lock Postfix takes for the type, deleting
	 *	the entries EDIT drops; never waits long for the lock.  0; or
	 *	-1 with a TEMP error (Postfix holds the lock) or an OUTPUT
	 *	error.  Used for the verify cache (verifycache.c); NULL unless
	 *	built and MAPTYPE_VERIFY */
	int (*edit)(const char *file, int fd, const struct mapdb_edit *edit,
		    struct sync_err *err);
};

/* maptype_count - how many rows: the types are 0 to maptype_count() - 1 */
int maptype_count(void);

/*
 * maptype_get - the row of type T (0 <= T < maptype_count()), static.
 *	Any other T is a bug (panic).
 */
const struct maptype *maptype_get(int t);

/*
 * maptype_lookup - the type whose name or alias is NAME (exact, as
 *	written in main.cf), or -1 when there is none.  Types not built are
 *	found too: check maptype_get(t)->built.
 */
int maptype_lookup(const char *name);

/*
 * maptype_names - for an error message, the names of the types that have
 *	every one of FLAGS (0: all types), joined as "hash, btree, lmdb,
 *	cdb or text": the types with an indexed map in table order, then
 *	the one without.  Built or not; aliases are not listed.  Writes at
 *	most SIZE bytes, NUL included, into BUF and returns the length of
 *	the whole list, as snprintf() does: a result >= SIZE means the list
 *	was cut.
 */
size_t maptype_names(char *buf, size_t size, int flags);

#endif
