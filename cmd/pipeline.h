/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_PIPELINE_H
#define RCPTSYNC_PIPELINE_H

#include <time.h>

#include "addrset.h"
#include "changedigest.h"
#include "collect.h"
#include "config.h"
#include "grace.h"
#include "incremental.h"
#include "mapdiff.h"
#include "pubtable.h"
#include "state.h"
#include "syncerr.h"

/*
 * The two stages every command that reads the directory shares: fetch the
 * new set, then compare it with the table on disk.  The caller owns the
 * pipeline and frees it with pipeline_free().
 */
struct pipeline {
	const struct sync_conf *conf;
	time_t now;
	const struct collect_trace *trace;  /* explain only, else NULL */
	struct incremental_commit **commit; /* sync only: the caches owed
					       (see collect_recipients) */
	/* pipeline_fetch() */
	struct addrset *new_set; /* finished */
	struct collect_stats stats;
	struct acceptdom_list domains; /* accepted domains (collect.h) */
	/* the published tables (pubtable.h): pipeline_compare() fills the
	   recipient table (its want is new_set), relaydomains_load() the
	   domains table */
	struct pubtable table[PUBTABLE_N];
	struct grace_counts grace;
	int warned_unverified; /* pipeline_warn_unverified() said it */
};

/*
 * pipeline_warn_unverified - once a run, before a directory is asked: a
 *	warning for each directory whose certificate is not checked
 */
void pipeline_warn_unverified(struct pipeline *p);

/*
 * pipeline_fetch - the new set from the configured source (warning about
 *	an unverified server first).  Returns 0, or -1 with ERR set.
 */
int pipeline_fetch(struct pipeline *p, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * pipeline_compare - read the current table (or, when only its map is
 *	left, the map's keys), hold back removals in their grace period
 *	(which updates STATE's pending list), and diff, calling FN (may be
 *	NULL) for each change, into table[PUBTABLE_RECIPIENTS]; then whether
 *	the files on disk are the ones STATE records as published (replaced,
 *	stale).  STATE is the caller's.  Returns 0 or -1.
 */
int pipeline_compare(struct pipeline *p, struct sync_state *state,
		     mapdiff_fn fn, void *ctx, struct sync_err *err)
	__attribute__((warn_unused_result));

/* pipeline_canaries - safety.must_exist and must_not_exist: 0 or -1 */
int pipeline_canaries(const struct pipeline *p, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * pipeline_digest - a change digest (changedigest.h) with the run's tables
 *	declared in the one order diff and sync share: pubtable_rows[]'s,
 *	those configured.  TABLES[kind] gets each one's handle (NULL for a
 *	table not configured).  The caller frees it with changedigest_free().
 */
struct changedigest *pipeline_digest(const struct sync_conf *c,
				     void *tables[PUBTABLE_N]);

/* pipeline_free - the sets and domains (not the conf, state or commit) */
void pipeline_free(struct pipeline *p);

#endif
