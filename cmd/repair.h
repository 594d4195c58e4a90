/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_REPAIR_H
#define RCPTSYNC_REPAIR_H

#include "addrset.h"
#include "config.h"
#include "state.h"

/*
 * repair_verify_cache - after the map was published: purge the verify
 *	cache of stale negative entries for ADDED (finished, may be NULL)
 *	and for the purges ST still owes from earlier runs that are in
 *	PUBLISHED.  What cannot be done now is logged, with the commands
 *	that do it by hand, and left in ST for the next run.  Never fails
 *	the run: the map is right either way.
 */
void repair_verify_cache(const struct sync_conf *conf,
			 const struct addrset *added,
			 const struct addrset *published,
			 struct sync_state *st);

#endif
