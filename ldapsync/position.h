/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_POSITION_H
#define RCPTSYNC_POSITION_H

/*
 * Where a DC is, for incremental pulls only (incremental.c): read from a
 * session, and judged against the mark the last pull left.
 */
#include <stddef.h>

#include "ldapsync.h"
#include "objcache.h"

/* One DC's position (MS-ADTS 3.1.1.1.9). */
struct position {
	char dc[256];		/* the rootDSE's dnsHostName */
	char invocation[64];	/* its NTDS Settings' invocationId, hex */
	unsigned long long usn; /* highestCommittedUSN */
	char *naming_context;	/* defaultNamingContext */
};

/*
 * position_read - where the DC of session S is, into *POS.  Returns 0,
 *	with POS->naming_context for the caller to free(); or -1 with a TEMP
 *	error (no answer) or a CONFIG one (not an AD DC), nothing to free.
 */
int position_read(struct ldapsync_session *s, struct position *pos,
		  struct sync_err *err) __attribute__((warn_unused_result));

/*
 * position_continues - may a pull from POS continue the one that left
 *	MARK (DIRSYNC: from its DirSync cookie)?  1; or 0, with WHY (SIZE
 *	bytes) saying why not.
 */
int position_continues(const struct objcache_mark *mark,
		       const struct position *pos, int dirsync, char *why,
		       size_t size);

#endif
