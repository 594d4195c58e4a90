/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_COLLECT_H
#define RCPTSYNC_COLLECT_H

#include "addrset.h"
#include "config.h"
#include "source.h"
#include "syncerr.h"

struct collect_stats {
	struct source_stats source;
	unsigned long kept;	    /* values that became keys */
	unsigned long ignored;	    /* not SMTP (X500:, SIP:, ...) */
	unsigned long refused;	    /* SMTP but unusable: warned */
	unsigned long other_domain; /* outside "domains" */
	unsigned long excluded;	    /* matched "exclude" */
	unsigned long extra;	    /* lines from the extra file */
	unsigned long duplicates;   /* dropped by de-duplication */
};

/*
 * collect_recipients - the new recipient set: fetch from the configured
 *	source, normalise, apply domains and exclude, merge the extra file,
 *	de-duplicate and sort.  Refused values are logged (warning, DN and
 *	escaped value).  Returns a finished set the caller frees with
 *	addrset_free(), or NULL with ERR set; a failed fetch never yields a
 *	partial set.
 */
struct addrset *collect_recipients(const struct sync_conf *conf,
				   struct collect_stats *stats,
				   struct sync_err *err);

#endif
