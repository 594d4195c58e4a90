/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPREAD_H
#define RCPTSYNC_MAPREAD_H

#include "addrset.h"
#include "mapdb.h"
#include "syncerr.h"

/*
 * mapread_keys - add every key of the indexed map at PATH (of TYPE:
 *	hash, btree, lmdb or cdb) to SET with its value and ORIGIN (a
 *	string that outlives SET), as Postfix would serve them (the
 *	trailing NUL that postmap stores is not part of a key).  Returns
 *	0, or -1 with an OUTPUT error.  For a text table whose text is
 *	gone but whose map Postfix still reads.
 */
int mapread_keys(const char *path, enum mapdb_type type, struct addrset *set,
		 const char *origin, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * mapread_served - TABLE's text is gone: the keys of its TYPE map, if
 *	there is one, into SET (as mapread_keys).  Returns 1 when they were
 *	read, 0 when TYPE has no map or there is none, -1 with an OUTPUT
 *	error when it is there but cannot be read.  *MAP (unless NULL) is
 *	set to the map's path (static storage, until the next call).
 */
int mapread_served(const char *table, enum mapdb_type type, struct addrset *set,
		   const char *origin, const char **map, struct sync_err *err)
	__attribute__((warn_unused_result));

#endif
