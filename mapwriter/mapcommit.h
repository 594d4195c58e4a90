/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPCOMMIT_H
#define RCPTSYNC_MAPCOMMIT_H

#include <stdio.h>
#include <sys/types.h>

#include "addrset.h"
#include "mapdb.h"
#include "mapdelta.h"
#include "syncerr.h"

/*
 * How the indexed map is made.  With a DELTA (the changes against the
 * table and map published last, which the caller knows to be ours and
 * current), a type that can be changed in place (hash, btree, lmdb; not
 * cdb) is made by copying the published map and applying the delta to
 * the copy: a few changes to a million keys cost a copy in the page
 * cache, not a rebuild.  Anything that does not fit (the copy fails, a
 * key to delete is missing, one to store is there) falls back to a
 * rebuild from the set, with WHY saying what happened.
 */
struct mapcommit_how {
	const struct mapdelta *delta; /* in: NULL to rebuild */
	const char *header;	      /* in: the text's first line; NULL:
					 MAPTEXT_HEADER */
	int updated;		      /* out: the copy was updated */
	struct sync_err why;	      /* out: why an update fell back */
};

/*
 * mapcommit_publish - replace TABLE (and TABLE.db unless TYPE is
 *	MAPDB_TEXT) with the finished SET so that Postfix sees the old map or
 *	the new one, never a partial or missing one.  HOW (may be NULL:
 *	rebuild) lets the map be updated from a copy, see above.  Returns
 *	0, or -1 with an OUTPUT error; on error before the first rename
 *	nothing visible has changed and the temporary files are gone.
 */
int mapcommit_publish(const char *table, enum mapdb_type type,
		      const struct addrset *set, struct mapcommit_how *how,
		      struct sync_err *err) __attribute__((warn_unused_result));

/*
 * mapcommit_db_stale - 1 when TYPE has an indexed map and TABLE.db is
 *	missing or older than TABLE (edited by hand, or a crash between the
 *	two renames), else 0.
 */
int mapcommit_db_stale(const char *table, enum mapdb_type type);

/*
 * mapcommit_cleanup - remove temporary files that an interrupted run left
 *	next to TABLE.  Call only while holding the lock.  Returns how many
 *	were removed.
 */
int mapcommit_cleanup(const char *table);

/*
 * The files a sync put in place, by inode.  A rename by anyone but a
 * finished sync (a crash between our two renames, a hand-run postmap)
 * changes one of them, and the next run then rewrites both.
 */
struct mapcommit_files {
	unsigned long long text_ino; /* 0: unknown (none recorded) */
	unsigned long long map_ino;  /* 0: text only, or no map */
};

/* mapcommit_files - the inodes of TABLE and its TYPE map now, in *NOW */
void mapcommit_files(const char *table, enum mapdb_type type,
		     struct mapcommit_files *now);

/*
 * mapcommit_replaced - 1 when OURS (from an earlier mapcommit_files())
 *	is known and TABLE or its map is no longer that file, or the map
 *	was written in place after TABLE was published (postmap -i, -d),
 *	else 0.
 */
int mapcommit_replaced(const char *table, enum mapdb_type type,
		       const struct mapcommit_files *ours);

#endif
