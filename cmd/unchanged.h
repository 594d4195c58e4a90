/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_UNCHANGED_H
#define RCPTSYNC_UNCHANGED_H

#include <stddef.h>

#include "acceptdom.h"
#include "collect.h"
#include "config.h"
#include "mapcommit.h"
#include "pubtable.h"
#include "state.h"
#include "syncerr.h"

/*
 * The seal of the last accepted sync (unchanged.c): what its table was
 * built from, so that a sync that finds nothing moved may trust it.
 */

/*
 * What a run saw of its local inputs before it used them (unchanged_look),
 * and of each table it published, right after (unchanged_published): a
 * seal holds these, never what the files became later (an extra file
 * edited while the run fetched, a table edited while the hook ran), so
 * that such an edit makes the next run rebuild.
 */
struct unchanged_look {
	struct mapcommit_ident program, extra; /* all 0: not there */
	struct mapcommit_files tables[PUBTABLE_N];
};

/* unchanged_look - this program, the extra file and the tables, now */
void unchanged_look(const struct sync_conf *conf, struct unchanged_look *l);

/* unchanged_published - table K of L, just published by this run */
void unchanged_published(const struct sync_conf *conf, size_t k,
			 struct unchanged_look *l);

/* What a sealed run gave, for the run that trusts it to report. */
struct unchanged_result {
	size_t recipients;	/* keys of the recipient table */
	unsigned long refused;	/* values refused (collect_stats) */
	unsigned long warnings; /* about the directory's data (collect_stats) */
	unsigned long runs;	/* syncs that trusted it since it was built */
};

/* unchanged_path - TABLE.rcptsync-seal, for the caller to free() */
char *unchanged_path(const struct sync_conf *conf);

/*
 * unchanged_try - may this sync trust the table of the last one?  Checks
 *	the state ST, the seal and what LOOK saw first, then asks every
 *	directory whether it moved (collect_unmoved, filling STATS and
 *	DOMAINS, which the caller frees).  1: nothing the table depends on
 *	changed, *OUT holds the sealed run's counts; 0: not, the reason in
 *	the debug log; -1 with ERR when a directory could not be asked.
 */
int unchanged_try(const struct sync_conf *conf, const struct sync_state *st,
		  const struct unchanged_look *look,
		  struct collect_stats *stats, struct acceptdom_list *domains,
		  struct unchanged_result *out, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * unchanged_seal - after an accepted sync whose state ST was saved: seal
 *	its table (RES; LOOK, what the run saw of its inputs and tables;
 *	DOMAINS, the run's accepted domains, finished; the caches as saved)
 *	when a later run could trust it (every source an incremental
 *	directory, nothing owed in ST); else remove the seal.  A seal that
 *	cannot be written is only logged: the next run rebuilds.
 */
void unchanged_seal(const struct sync_conf *conf, const struct sync_state *st,
		    const struct unchanged_look *look,
		    const struct acceptdom_list *domains,
		    const struct unchanged_result *res);

/* unchanged_forget - remove the seal (before a run that may change what it
 *	covers) */
void unchanged_forget(const struct sync_conf *conf);

#endif
