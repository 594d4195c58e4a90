/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	mapdb - write the indexed map the way postmap(1) does
 * DESCRIPTION
 *	mapdb_build() calls the writer of the configured type's row in
 *	maptype.c: Berkeley DB (mapdb_bdb.c), lmdb (mapdb_lmdb.c) or cdb
 *	(mapdb_cdb.c); each is a meson feature, so rcptsync builds where a
 *	library is missing, and a type that was not built is a
 *	configuration error.  The other functions read the same row.
 * OWNERSHIP
 *	Reads the pairs (mapsrc.c); the writers' handles never leave their
 *	files.
 * DIAGNOSTICS
 *	A type that was not built is a CONFIG error.
 * SEE ALSO
 *	maptype.c, mapdb_bdb.c, mapdb_lmdb.c, mapdb_cdb.c, postmap(1).
 */
#include "mapdb.h"

/* mapdb_suffix - the file name Postfix opens for this type */
const char *
mapdb_suffix(enum mapdb_type type)
{
	return maptype_get(type)->suffix;
}

/* mapdb_type_name - the Postfix map type */
const char *
mapdb_type_name(enum mapdb_type type)
{
	return maptype_get(type)->name;
}

/* mapdb_available - built with the library for TYPE? */
int
mapdb_available(enum mapdb_type type)
{
	return maptype_get(type)->built;
}

/* mapdb_build - the writer for TYPE, from a set */
int
mapdb_build(const char *path, enum mapdb_type type, const struct addrset *set,
	    struct sync_err *err)
{
	struct mapsrc src;

	mapsrc_of_set(&src, set);
	return mapdb_build_from(path, type, &src, err);
}

/* mapdb_build_from - the writer for TYPE */
int
mapdb_build_from(const char *path, enum mapdb_type type,
		 const struct mapsrc *src, struct sync_err *err)
{
	const struct maptype *m = maptype_get(type);

	if (!m->built)
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "map type %s is not built into this "
				    "rcptsync",
				    m->name);
	if (m->build == NULL)
		return 0; /* text: no indexed map */
	return m->build(path, src, err);
}
