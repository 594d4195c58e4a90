/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPCOMMIT_H
#define RCPTSYNC_MAPCOMMIT_H

#include <stdio.h>
#include <sys/types.h>

#include "addrset.h"
#include "mapdb.h"
#include "syncerr.h"

/*
 * mapcommit_publish - replace TABLE (and TABLE.db unless TYPE is
 *	MAPDB_TEXT) with the finished SET so that Postfix sees the old map or
 *	the new one, never a partial or missing one.  Returns 0, or -1 with
 *	an OUTPUT error; on error before the first rename nothing visible
 *	has changed and the temporary files are gone.
 */
int mapcommit_publish(const char *table, enum mapdb_type type,
		      const struct addrset *set, struct sync_err *err)
	__attribute__((warn_unused_result));

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

#endif
