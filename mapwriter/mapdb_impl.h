/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPDB_IMPL_H
#define RCPTSYNC_MAPDB_IMPL_H

/* Inside mapwriter only: one writer per map type (see mapdb.c). */

#include "addrset.h"
#include "mapdb.h"
#include "syncerr.h"

/* Each creates PATH (which must not exist), fills it from the finished
 * SET, syncs it to disk, and returns 0; or removes it and returns -1. */
int mapdb_bdb_build(const char *path, enum mapdb_type type,
		    const struct addrset *set, struct sync_err *err);
int mapdb_lmdb_build(const char *path, const struct addrset *set,
		     struct sync_err *err);
int mapdb_cdb_build(const char *path, const struct addrset *set,
		    struct sync_err *err);

#endif
