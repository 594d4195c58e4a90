/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPDB_H
#define RCPTSYNC_MAPDB_H

#include "addrset.h"
#include "mapsrc.h"
#include "maptype.h"
#include "syncerr.h"

/* Which indexed map to build next to the text table (output.type): the
 * row of maptype.c's table (enum mapdb_type is in maptype.h).  The first
 * three are lookups into that table, for callers that name a type. */

/* mapdb_available - was TYPE compiled in?  1 or 0 */
int mapdb_available(enum mapdb_type type);

/* mapdb_type_name - "hash", "btree", "text", "lmdb", "cdb" */
const char *mapdb_type_name(enum mapdb_type type);

/* mapdb_suffix - ".db", ".lmdb", ".cdb", or NULL for MAPDB_TEXT */
const char *mapdb_suffix(enum mapdb_type type);

/*
 * mapdb_build - create a new map file at PATH (which must not exist) with
 *	every entry of the finished SET, in exactly postmap's form for TYPE
 *	(hash, btree, lmdb: key and value with a trailing NUL; cdb:
 *	without).  The file is synced to disk before return.  On failure
 *	the partial file is removed and an OUTPUT error returned; a TYPE not
 *	built in is a CONFIG error; MAPDB_TEXT writes nothing and returns 0.
 */
int mapdb_build(const char *path, enum mapdb_type type,
		const struct addrset *set, struct sync_err *err)
	__attribute__((warn_unused_result));

/* mapdb_build_from - mapdb_build() from the pairs of SRC (mapsrc.h) */
int mapdb_build_from(const char *path, enum mapdb_type type,
		     const struct mapsrc *src, struct sync_err *err)
	__attribute__((warn_unused_result));

#endif
