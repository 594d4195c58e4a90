/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	maptype - the one table of Postfix map types
 * DESCRIPTION
 *	Each map type rcptsync can write is one row: its Postfix name (and
 *	another name config accepts), the suffix of the file Postfix opens,
 *	the meson option that builds it, the name its library gives a file
 *	it is still creating, its writer, reader and live edit, and whether
 *	verifycache.c purges it as address_verify_map; the way Postfix's
 *	mkmap_open_info[] and dict_open_info[] serve postmap.  Publishing
 *	(mapdb.c, mapcommit.c), reading back (mapread.c), clean-up and the
 *	verify cache read the row; maptype_lookup(), maptype_names() and a
 *	walk over maptype_get() are for the config and --version.  Adding a
 *	type is a row here with its constant in maptype.h, its backend file
 *	(declared in maptype_impl.h) and its meson option.
 *
 *	A type whose library was not found at build time keeps its row,
 *	without functions and with built 0, so that a config naming it is
 *	refused with how to build it, not as an unknown word.
 * OWNERSHIP
 *	The table is static and read-only; callers get pointers into it.
 * DIAGNOSTICS
 *	None: a type number outside the table is a bug (panic).
 * SEE ALSO
 *	mapdb_bdb.c, mapdb_lmdb.c, mapdb_cdb.c (the backends), verifycache.c,
 *	Postfix src/global/mkmap_open.c, src/util/dict_open.c.
 */
#include <stdio.h>
#include <string.h>

#include "xalloc.h"
#include "maptype_impl.h"

/* Index = enum mapdb_type. */
static const struct maptype maptypes[] = {
	[MAPDB_HASH] =
		{
			.name = "hash",
			.suffix = ".db",
			.feature = "bdb",
			.tmp_prefix = "__db.", /* mapdb_bdb.c */
			.flags = MAPTYPE_VERIFY,
#ifdef RCPTSYNC_HAVE_BDB
			.built = 1,
			.build = mapdb_bdb_build_hash,
			.update = mapdb_bdb_update_hash,
			.read = mapdb_bdb_read,
			.edit = mapdb_bdb_edit,
#endif
		},
	[MAPDB_BTREE] =
		{
			.name = "btree",
			.suffix = ".db",
			.feature = "bdb",
			.tmp_prefix = "__db.", /* mapdb_bdb.c */
			.flags = MAPTYPE_VERIFY,
#ifdef RCPTSYNC_HAVE_BDB
			.built = 1,
			.build = mapdb_bdb_build_btree,
			.update = mapdb_bdb_update_btree,
			.read = mapdb_bdb_read,
			.edit = mapdb_bdb_edit,
#endif
		},
	[MAPDB_TEXT] =
		{
			.name = "text",
			.alias = "texthash",
			.built = 1, /* the text table alone */
		},
	[MAPDB_LMDB] =
		{
			.name = "lmdb",
			.suffix = ".lmdb",
			.feature = "lmdb",
			.flags = MAPTYPE_VERIFY | MAPTYPE_VERIFY_ONLINE,
#ifdef RCPTSYNC_HAVE_LMDB
			.built = 1,
			.build = mapdb_lmdb_build,
			.update = mapdb_lmdb_update,
			.read = mapdb_lmdb_read,
			.edit = mapdb_lmdb_edit,
#endif
		},
	[MAPDB_CDB] =
		{
			.name = "cdb",
			.suffix = ".cdb",
			.feature = "cdb",
#ifdef RCPTSYNC_HAVE_CDB
			.built = 1,
			.build = mapdb_cdb_build,
			.read = mapdb_cdb_read,
#endif
		},
};

#define MAPTYPES ((int)(sizeof(maptypes) / sizeof(maptypes[0])))

/* maptype_count - rows in the table */
int
maptype_count(void)
{
	return MAPTYPES;
}

/* maptype_get - row T */
const struct maptype *
maptype_get(int t)
{
	if (t < 0 || t >= MAPTYPES)
		panic("maptype_get: type %d out of range %d", t, MAPTYPES);
	return &maptypes[t];
}

/* maptype_lookup - by name or alias */
int
maptype_lookup(const char *name)
{
	for (int t = 0; t < MAPTYPES; t++) {
		const struct maptype *m = &maptypes[t];

		if (strcmp(name, m->name) == 0 ||
		    (m->alias != NULL && strcmp(name, m->alias) == 0))
			return t;
	}
	return -1;
}

/* maptype_names - "hash, btree, lmdb, cdb or text" */
size_t
maptype_names(char *buf, size_t size, int flags)
{
	const struct maptype *pick[MAPTYPES];
	size_t len = 0;
	int n = 0;

	/* Those with an indexed map first, then text: "... or text". */
	for (int without = 0; without <= 1; without++)
		for (int t = 0; t < MAPTYPES; t++)
			if ((maptypes[t].flags & flags) == flags &&
			    (maptypes[t].suffix == NULL) == without)
				pick[n++] = &maptypes[t];
	if (size > 0)
		buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";

		len += (size_t)snprintf(len < size ? buf + len : NULL,
					len < size ? size - len : 0, "%s%s",
					sep, pick[i]->name);
	}
	return len;
}
