/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_REPAIR_H
#define RCPTSYNC_REPAIR_H

#include "addrset.h"
#include "config.h"
#include "state.h"

/*
 * repair_verify_cache - after the map was published: purge the verify
 *	cache of stale negative entries for ADDED (finished, may be NULL)
 *	and for OWED (repair_owed_in(): the purges ST still owes from
 *	earlier runs whose address is still in the table); ST's list of
 *	owed purges is replaced.  What cannot be done now is logged, with
 *	the commands that do it by hand, and left in ST for the next run.
 *	Never fails the run: the map is right either way.
 */
void repair_verify_cache(const struct sync_conf *conf,
			 const struct addrset *added,
			 const struct addrset *owed, struct sync_state *st);

/*
 * repair_owed_in - the purges ST owes from earlier runs whose address
 *	SET (finished, or NULL: none) holds, as a finished set: taken before
 *	the recipient set is let go to build its map (sync.c), for
 *	repair_verify_cache().  Free with addrset_free().
 */
struct addrset *repair_owed_in(const struct sync_state *st,
			       const struct addrset *set);

#endif
