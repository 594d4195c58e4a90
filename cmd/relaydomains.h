/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_RELAYDOMAINS_H
#define RCPTSYNC_RELAYDOMAINS_H

#include "acceptdom.h"
#include "addrset.h"
#include "config.h"
#include "mapcommit.h"
#include "mapdiff.h"
#include "syncerr.h"

/* output.relay_domains: the second table, from the accepted domains. */
struct relay_table {
	const struct sync_conf *conf; /* NULL: no output.relay_domains */
	struct addrset *want;	      /* what it should hold */
	struct addrset *old;	      /* what it holds */
	int exists;		      /* there is a table */
	int stale;		      /* its map is missing or older, or
					 a file is not ours */
	struct mapdiff_counts counts;
	int published;	    /* replaced in this run */
	int publish_failed; /* a publish of it failed in this run */
};

/*
 * relay_table_load - the table output.relay_domains should hold for
 *	DOMAINS, and the one it holds; FN (may be NULL) gets each change as
 *	mapdiff_run gives them.  A domain that goes stays while RECIPIENTS
 *	(the finished new recipient set, pending removals included) still
 *	holds an address in it.  Without output.relay_domains T is left
 *	inert (every other call then does nothing).  Returns 0, or -1 with
 *	an error: DATA when no domain is accepted inbound (an empty
 *	relay_domains would refuse all mail) or the table is malformed.
 */
int relay_table_load(struct relay_table *t, const struct sync_conf *conf,
		     const struct acceptdom_list *domains,
		     const struct addrset *recipients, mapdiff_fn fn, void *ctx,
		     struct sync_err *err) __attribute__((warn_unused_result));

/*
 * relay_table_ours - are the table and its map (when there is a table)
 *	exactly the files OURS records as published (mapcommit_replaced())?
 *	Returns 1, or 0 after marking the table stale: it is then rewritten,
 *	as the recipient table is.
 */
int relay_table_ours(struct relay_table *t, const struct mapcommit_files *ours);

/* relay_table_settled - every publish of it in this run succeeded, and
 *	there was one: its files are ours as they are */
int relay_table_settled(const struct relay_table *t);

/* relay_table_changed - would a sync write the table? */
int relay_table_changed(const struct relay_table *t);

/*
 * relay_table_check - safety.max_removed applies to the domains as to
 *	the recipients (a domain lost takes every recipient in it).
 *	Returns 0, or -1 with the DATA error of safety_check.
 */
int relay_table_check(const struct relay_table *t, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * relay_table_publish_removals - before the recipient table: when domains
 *	go, publish the table without them (and without the new ones yet),
 *	so that Postfix stops relaying a domain before its recipients go.
 *	Returns 0 (nothing to do, or done), or -1 with an OUTPUT error.
 */
int relay_table_publish_removals(struct relay_table *t, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * relay_table_publish - after the recipient table: the whole new table,
 *	when it differs from the one on disk (or its map is stale), so that
 *	a new domain is relayed only once its recipients are in place.
 *	Returns 0, or -1 with an OUTPUT error.
 */
int relay_table_publish(struct relay_table *t, struct sync_err *err)
	__attribute__((warn_unused_result));

/* relay_table_free - both sets */
void relay_table_free(struct relay_table *t);

#endif
