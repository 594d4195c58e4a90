/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPTYPE_IMPL_H
#define RCPTSYNC_MAPTYPE_IMPL_H

/*
 * Inside mapwriter only: what the rows of maptype.c point to, one writer
 * and one reader per backend (mapdb_bdb.c, mapdb_lmdb.c, mapdb_cdb.c) and
 * the verify-cache purges (verifycache.c), each defined only when its
 * library is built in.
 */

#include <stddef.h>

#include "addrset.h"
#include "mapdelta.h"
#include "maptype.h"
#include "syncerr.h"

/* Writers (struct maptype's build): each creates PATH (which must not
 * exist), fills it from the finished SET, syncs it to disk, and returns
 * 0; or removes it and returns -1. */
int mapdb_bdb_build_hash(const char *path, const struct addrset *set,
			 struct sync_err *err);
int mapdb_bdb_build_btree(const char *path, const struct addrset *set,
			  struct sync_err *err);
int mapdb_lmdb_build(const char *path, const struct addrset *set,
		     struct sync_err *err);
int mapdb_cdb_build(const char *path, const struct addrset *set,
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

/* Verify-cache purges (struct maptype's purge; verifycache.c): see
 * verifycache_purge().  Berkeley DB under verify(8)'s flock, lmdb under
 * Postfix's per-access fcntl lock. */
int verifycache_purge_bdb(const char *file, int fd,
			  const struct verifycache_conf *conf,
			  const struct addrset *targets,
			  struct verifycache_deleted *del,
			  struct verifycache_result *res, struct sync_err *err);
int verifycache_purge_lmdb(const char *file, int fd,
			   const struct verifycache_conf *conf,
			   const struct addrset *targets,
			   struct verifycache_deleted *del,
			   struct verifycache_result *res,
			   struct sync_err *err);

/* mapread_pair - add K (KL bytes) with value V (VL bytes) to SET, each
 *	without the trailing NUL postmap stores (mapread.c) */
void mapread_pair(struct addrset *set, const char *k, size_t kl, const char *v,
		  size_t vl, const char *origin);

#endif
