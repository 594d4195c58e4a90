/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPDB_H
#define RCPTSYNC_MAPDB_H

#include "addrset.h"
#include "syncerr.h"

/* Which indexed map to build next to the text table (output.type). */
enum mapdb_type {
	MAPDB_HASH,  /* hash:  TABLE.db, Berkeley DB DB_HASH */
	MAPDB_BTREE, /* btree: TABLE.db, Berkeley DB DB_BTREE */
	MAPDB_TEXT,  /* text only: no indexed map (texthash:) */
	MAPDB_LMDB,  /* lmdb:  TABLE.lmdb */
	MAPDB_CDB,   /* cdb:   TABLE.cdb */
};

/* mapdb_available - was TYPE compiled in?  1 or 0 */
int mapdb_available(enum mapdb_type type);

/* mapdb_type_name - "hash", "btree", "text", "lmdb", "cdb" */
const char *mapdb_type_name(enum mapdb_type type);

/* mapdb_suffix - ".db", ".lmdb", ".cdb", or NULL for MAPDB_TEXT */
const char *mapdb_suffix(enum mapdb_type type);

/*
 * mapdb_build - create a new map file at PATH (which must not exist) with
 *	every entry of the finished SET, in exactly postmap's form for TYPE
 *	(hash, btree, lmdb: key and value with a trailing NUL; cdb: without).
 *The file is synced to disk before return.  On failure the partial file is
 *removed and an OUTPUT error returned.
 */
int mapdb_build(const char *path, enum mapdb_type type,
		const struct addrset *set, struct sync_err *err)
	__attribute__((warn_unused_result));

#endif
