/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_RELAYDOMAINS_H
#define RCPTSYNC_RELAYDOMAINS_H

#include "mapdiff.h"
#include "pipeline.h"
#include "syncerr.h"

/*
 * relaydomains_load - P's table[PUBTABLE_DOMAINS]: the table
 *	output.relay_domains should hold for P's accepted domains, and the
 *	one it holds; FN (may be NULL) gets each change as mapdiff_run gives
 *	them.  A domain that goes stays while P's new recipient set (finished,
 *	pending removals included) still holds an address in it.  Without
 *	output.relay_domains the table is left inert.  Returns 0, or -1
 *	with an error: DATA when no domain is accepted inbound (an empty
 *	relay_domains would refuse all mail) or the table is malformed.
 */
int relaydomains_load(struct pipeline *p, mapdiff_fn fn, void *ctx,
		      struct sync_err *err) __attribute__((warn_unused_result));

#endif
