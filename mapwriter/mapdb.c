/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	mapdb - write the indexed map the way postmap(1) does
 * DESCRIPTION
 *	mapdb_build() picks the writer for the configured type: Berkeley DB
 *	(mapdb_bdb.c), lmdb (mapdb_lmdb.c) or cdb (mapdb_cdb.c); each is a meson
 *	feature, so rcptsync builds where a library is missing, and a type
 *	that was not built is a configuration error.
 * OWNERSHIP
 *	Reads the set; the writers' handles never leave their files.
 * DIAGNOSTICS
 *	A type that was not built is a CONFIG error.
 * SEE ALSO
 *	mapdb_bdb.c, mapdb_lmdb.c, mapdb_cdb.c, postmap(1).
 */
#include "mapdb_impl.h"

/* mapdb_suffix - the file name Postfix opens for this type */
const char *
mapdb_suffix(enum mapdb_type type)
{
	switch (type) {
	case MAPDB_HASH:
	case MAPDB_BTREE: return ".db";
	case MAPDB_LMDB: return ".lmdb";
	case MAPDB_CDB: return ".cdb";
	default: return NULL;
	}
}

/* mapdb_type_name - the Postfix map type */
const char *
mapdb_type_name(enum mapdb_type type)
{
	static const char *const names[] = {"hash", "btree", "text", "lmdb",
					    "cdb"};

	return names[type];
}

/* mapdb_available - built with the library for TYPE? */
int
mapdb_available(enum mapdb_type type)
{
	switch (type) {
#ifdef RCPTSYNC_HAVE_BDB
	case MAPDB_HASH:
	case MAPDB_BTREE: return 1;
#endif
#ifdef RCPTSYNC_HAVE_LMDB
	case MAPDB_LMDB: return 1;
#endif
#ifdef RCPTSYNC_HAVE_CDB
	case MAPDB_CDB: return 1;
#endif
	case MAPDB_TEXT: return 1;
	default: return 0;
	}
}

/* mapdb_build - the writer for TYPE */
int
mapdb_build(const char *path, enum mapdb_type type, const struct addrset *set,
	    struct sync_err *err)
{
	(void)path, (void)set; /* unused when no backend is built */
	if (!mapdb_available(type))
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "map type %s is not built into this "
				    "rcptsync",
				    mapdb_type_name(type));
	switch (type) {
#ifdef RCPTSYNC_HAVE_BDB
	case MAPDB_HASH:
	case MAPDB_BTREE: return mapdb_bdb_build(path, type, set, err);
#endif
#ifdef RCPTSYNC_HAVE_LMDB
	case MAPDB_LMDB: return mapdb_lmdb_build(path, set, err);
#endif
#ifdef RCPTSYNC_HAVE_CDB
	case MAPDB_CDB: return mapdb_cdb_build(path, set, err);
#endif
	default: return 0;
	}
}
