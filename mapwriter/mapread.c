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
 *	and lmdb maps, not in cdb (doc/postfix-maps.md); mapread_pair() drops
 *	it.  Each reader sits beside its writer (mapdb_bdb.c, mapdb_lmdb.c,
 *	mapdb_cdb.c); mapread_keys() calls the one in the type's row of
 *	maptype.c.
 * OWNERSHIP
 *	Keys and values are copied into the caller's set.
 * DIAGNOSTICS
 *	OUTPUT errors naming the file and the library's error text.
 * SEE ALSO
 *	maptype.c, mapdb_bdb.c, mapdb_lmdb.c, mapdb_cdb.c, Postfix
 *	dict_db.c, dict_lmdb.c, dict_cdb.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "xalloc.h"
#include "maptype_impl.h"

#include "mapread.h"

/* mapread_len - LEN without the trailing NUL postmap adds, if there */
size_t
mapread_len(const char *data, size_t len)
{
	return (len > 0 && data[len - 1] == '\0') ? len - 1 : len;
}

/* mapread_pair - one pair into SET, without the trailing NUL postmap adds */
void
mapread_pair(struct addrset *set, const char *k, size_t kl, const char *v,
	     size_t vl, const char *origin)
{
	char *value;

	kl = mapread_len(k, kl);
	vl = mapread_len(v, vl);
	value = xstrndup(v, vl);
	addrset_add(set, k, kl, addrset_intern(set, value), origin);
	free(value);
}

/* mapread_keys - the reader of TYPE's row */
int
mapread_keys(const char *path, enum mapdb_type type, struct addrset *set,
	     const char *origin, struct sync_err *err)
{
	const struct maptype *m = maptype_get(type);

	if (m->read == NULL)
		return sync_err_set(err, SYNC_ERR_OUTPUT,
				    "cannot read %s: map type %s is not built "
				    "into this rcptsync",
				    path, m->name);
	return m->read(path, set, origin, err);
}

/* mapread_served - see mapread.h */
int
mapread_served(const char *table, enum mapdb_type type, struct addrset *set,
	       const char *origin, const char **map, struct sync_err *err)
{
	static char path[4096];
	const char *suffix = mapdb_suffix(type);
	struct stat st;
	int n;

	if (map != NULL)
		*map = path;
	path[0] = '\0';
	if (suffix == NULL)
		return 0;
	n = snprintf(path, sizeof(path), "%s%s", table, suffix);
	if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) != 0)
		return 0;
	return mapread_keys(path, type, set, origin, err) < 0 ? -1 : 1;
}
