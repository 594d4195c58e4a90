/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPTYPE_IMPL_H
#define RCPTSYNC_MAPTYPE_IMPL_H

/*
 * Inside mapwriter only: what the rows of maptype.c point to, one writer
 * and one reader per backend (mapdb_bdb.c, mapdb_lmdb.c, mapdb_cdb.c) and
 * their live edits (for the verify cache), each defined only when its
 * library is built in.
 */

#include <stddef.h>

#include "addrset.h"
#include "mapdelta.h"
#include "mapsrc.h"
#include "maptype.h"
#include "syncerr.h"

/* Writers (struct maptype's build): each creates PATH (which must not
 * exist), fills it from the pairs of SRC, syncs it to disk, and returns
 * 0; or removes it and returns -1. */
int mapdb_bdb_build_hash(const char *path, const struct mapsrc *src,
			 struct sync_err *err);
int mapdb_bdb_build_btree(const char *path, const struct mapsrc *src,
			  struct sync_err *err);
int mapdb_lmdb_build(const char *path, const struct mapsrc *src,
		     struct sync_err *err);
int mapdb_cdb_build(const char *path, const struct mapsrc *src,
		    struct sync_err *err);

/* In-place updaters (struct maptype's update): each applies the delta to
 * a private copy of the published map (mapcommit.c). */
int mapdb_bdb_update_hash(const char *path, const struct mapdelta *delta,
			  struct sync_err *err);
int mapdb_bdb_update_btree(const char *path, const struct mapdelta *delta,
			   struct sync_err *err);
int mapdb_lmdb_update(const char *path, const struct mapdelta *delta,
		      struct sync_err *err);

/* Readers (struct maptype's read): each adds every pair of the map at
 * PATH to SET with ORIGIN (see mapread_keys()) and returns 0; or returns
 * -1 with an OUTPUT error. */
int mapdb_bdb_read(const char *path, struct addrset *set, const char *origin,
		   struct sync_err *err);
int mapdb_lmdb_read(const char *path, struct addrset *set, const char *origin,
		    struct sync_err *err);
int mapdb_cdb_read(const char *path, struct addrset *set, const char *origin,
		   struct sync_err *err);

/* Live edits (struct maptype's edit; used by verifycache.c): Berkeley DB
 * under verify(8)'s flock, lmdb under Postfix's per-access fcntl lock. */
int mapdb_bdb_edit(const char *file, int fd, const struct mapdb_edit *edit,
		   struct sync_err *err);
int mapdb_lmdb_edit(const char *file, int fd, const struct mapdb_edit *edit,
		    struct sync_err *err);

/* mapread_len - LEN bytes of DATA, less the trailing NUL postmap stores
 *	when there is one (mapread.c) */
size_t mapread_len(const char *data, size_t len);

/* mapread_pair - add K (KL bytes) with value V (VL bytes) to SET, each
 *	without the trailing NUL postmap stores (mapread.c) */
void mapread_pair(struct addrset *set, const char *k, size_t kl, const char *v,
		  size_t vl, const char *origin);

#endif
