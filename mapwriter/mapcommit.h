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
 *
 * With RELEASE, a map built anew is built from the text table just
 * written, not from the set: RELEASE(RELEASE_ARG) is called once, after
 * the text is written and before that build (never when a copy was
 * updated, nor for type text), and the caller frees the set there; it is
 * not read again.  At a million keys the set and the build's cache
 * together were the peak of a sync (mapsrc.c).
 */
struct mapcommit_how {
	const struct mapdelta *delta; /* in: NULL to rebuild */
	const char *header;	      /* in: the text's first line; NULL:
					 MAPTEXT_HEADER */
	void (*release)(void *arg);   /* in: NULL, or see above */
	void *release_arg;	      /* in: its argument */
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
 * The identity of one file a sync put in place: a rename over it, a write
 * to it (postmap, postmap -i/-d, cp, rsync --inplace) or a chmod changes
 * its inode, its size or its ctime, and ctime cannot be set back (cp -p
 * and rsync -t restore the mtime only).  All 0: no such file.
 */
struct mapcommit_ident {
	unsigned long long dev, ino, size;
	long long ctime_sec;
	long ctime_nsec;
};

/*
 * The files of one published table, as the last run that published it
 * (or ran the after_change hook after it) left them: the hook's chmod and
 * chgrp are part of what is ours.  Any change to either file since (a
 * crash between our two renames, a postmap or an edit by hand, a backup
 * restored in place) and the next run rewrites both.
 */
struct mapcommit_files {
	int known;		     /* 0: none recorded (first run, a state
					file from before identities) */
	struct mapcommit_ident text; /* the text table */
	struct mapcommit_ident map;  /* its map; all 0 for type text */
};

/* mapcommit_ident_of - PATH's identity (device, inode, size, ctime: a
 * write, a rename over it, a chmod or a touch each moves the ctime), or
 * all 0 when it is not there */
void mapcommit_ident_of(const char *path, struct mapcommit_ident *id);

/* mapcommit_files - TABLE and its TYPE map as they are now, in *NOW */
void mapcommit_files(const char *table, enum mapdb_type type,
		     struct mapcommit_files *now);

/*
 * mapcommit_replaced - 1 when OURS (from an earlier mapcommit_files())
 *	is unknown, or TABLE or its map is no longer exactly that file
 *	(another inode, size or ctime), else 0.  The caller asks only when
 *	a table is there (a missing one is published anyway).
 */
int mapcommit_replaced(const char *table, enum mapdb_type type,
		       const struct mapcommit_files *ours);

/* mapcommit_files_equal - the two records name the same files */
int mapcommit_files_equal(const struct mapcommit_files *a,
			  const struct mapcommit_files *b);

#endif
