/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_OBJCACHE_H
#define RCPTSYNC_OBJCACHE_H

#include <stddef.h>
#include <time.h>

/*
 * The mark of an object cache's file (cacheformat.c): where the pull
 * that made it began, and for what.
 */

/* Where an incremental pull continues: one DC's position. */
struct objcache_mark {
	char dc[256];		/* the DC's dnsHostName */
	char invocation[64];	/* its invocationId, hex */
	unsigned long long usn; /* highestCommittedUSN when the pull began */
	char config[17];	/* hash of what selects the objects, hex */
	char account[17];	/* hash of who reads them, and where (the
				 * bind, the port's view), hex; "": unknown */
	time_t full_at;		/* when the last full pull was */
	unsigned char cookie[16384]; /* DirSync cookie (incremental: dirsync) */
	size_t cookie_len;	     /* 0: none */
};

#endif
