/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_COLLECT_H
#define RCPTSYNC_COLLECT_H

#include "acceptdom.h"
#include "addrset.h"
#include "config.h"
#include "graph.h"
#include "incremental.h"
#include "source.h"
#include "syncerr.h"

struct collect_stats {
	struct source_stats source;
	unsigned long kept;	    /* values that became keys */
	unsigned long ignored;	    /* not SMTP (X500:, SIP:, ...) */
	unsigned long refused;	    /* SMTP but unusable: warned */
	unsigned long other_domain; /* outside "domains" */
	size_t accepted_domains;    /* domains: exchange: how many */
	unsigned long excluded;	    /* matched "exclude" */
	unsigned long extra;	    /* lines from the extra file */
	unsigned long duplicates;   /* dropped by de-duplication */
	unsigned long warnings;	    /* about the data, while the set was
				       built (not discovery, failover, a
				       cache pulled afresh) */
	double fetch_seconds;	    /* fetch and normalise, wall clock */
	double fetch_cpu;	    /* of which this process's CPU time */
	double sort_seconds;	    /* sorting and de-duplicating */
	struct graph_stats graph;   /* source.graph: by collection */
	char pull[2600];	    /* incremental source: what this pull
			       was, for "check"; "" otherwise */
};

/*
 * Optional trace for "rcptsync explain": FN is called for every raw value
 * whose address part (after the first ':') equals ADDRESS in any case,
 * with what became of it.  VERDICT is a static or caller-owned string,
 * valid during the call only.
 */
struct collect_trace {
	const char *address; /* lower case */
	void (*fn)(void *ctx, const char *dn, const char *val, size_t len,
		   const char *verdict);
	void *ctx;
};

/*
 * collect_recipients - the new recipient set: fetch from the configured
 *	source, normalise, apply domains and exclude, merge the extra file,
 *	de-duplicate and sort.  Refused values are logged (warning, DN and
 *	escaped value).  Returns a finished set the caller frees with
 *	addrset_free(), or NULL with ERR set; a failed fetch never yields a
 *	partial set.  TRACE may be NULL.  COMMIT (sync only; NULL for
 *	diff, check, dump and explain, which write nothing): every
 *	incremental directory's new cache is added to *COMMIT, for the
 *	caller to save once the table is published or found unchanged
 *	(incremental_commit_save) and to free in any case; with COMMIT the
 *	set's origins are names from dnstore.c (whole DNs only by
 *	dnstore_text()), as a sync shows none.  DOMAINS
 *	(the caller's, zeroed here; free with acceptdom_list_free, also
 *	after a failure) gets the run's accepted domains: Exchange's with
 *	domains: exchange, else sync.yaml's list.
 */
struct addrset *collect_recipients(const struct sync_conf *conf,
				   const struct collect_trace *trace,
				   struct incremental_commit **commit,
				   struct acceptdom_list *domains,
				   struct collect_stats *stats,
				   struct sync_err *err);

/*
 * collect_unmoved - has every directory stayed where its cache's last
 *	pull left it (incremental_unmoved)?  Only for source.ldap with every
 *	directory incremental.  1: yes, STATS with the servers used and
 *	DOMAINS (zeroed first, the caller frees it) with their accepted
 *	domains, finished, under domains: exchange; 0: no, or the source
 *	cannot say, WHY (SIZE bytes) saying why; -1 with ERR when a
 *	directory could not be asked (as a fetch would fail).
 */
int collect_unmoved(const struct sync_conf *conf, struct collect_stats *stats,
		    struct acceptdom_list *domains, char *why, size_t size,
		    struct sync_err *err) __attribute__((warn_unused_result));

#endif
