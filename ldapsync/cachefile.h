/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_CACHEFILE_H
#define RCPTSYNC_CACHEFILE_H

/* The object cache's file, for incremental pulls only (incremental.c). */
#include <stddef.h>

#include "ldapsync.h"
#include "objcache.h"
#include "cachescan.h"

/*
 * cachefile_path - TABLE.rcptsync-cache, or TABLE.rcptsync-cache.INDEX
 *	when INDEX > 0.  The caller frees it with free().
 */
char *cachefile_path(const char *table, size_t index);

/*
 * cachefile_selection - a hash of what selects L's objects and values
 *	(the bases, the filter), as hex into OUT (17 bytes)
 */
void cachefile_selection(const struct ldapsync_conf *l, char *out, size_t size);

/*
 * cachefile_account - a hash of who reads L's objects and which view
 *	they get (the bind method, DN, principal, keytab or client
 *	certificate; a Global Catalog or not), as hex into OUT (17 bytes)
 */
void cachefile_account(const struct ldapsync_conf *l, char *out, size_t size);

/*
 * cachefile_mark_config - set MARK's config (cachefile_selection) and
 *	account (cachefile_account) for L: what a cache made now is for
 */
void cachefile_mark_config(const struct ldapsync_conf *l,
			   struct objcache_mark *mark);

/* Why a cache cannot be continued (cachefile_load). */
struct cachefile_why {
	char why[600];			/* the reason for a full pull */
	char problem[SYNC_ERR_MSG_MAX]; /* a cache was there but could not
					   be read: why; else "" */
};

/*
 * cachefile_open - pass 1 over the cache at PATH (cachescan.c) and its
 *	*MARK, when a pull for L may continue it; else NULL, *MARK zeroed,
 *	W->why saying why (and W->problem, when a cache was there but could
 *	not be read).  The caller frees the scan with cachescan_free().
 */
struct cachescan *cachefile_open(const char *path,
				 const struct ldapsync_conf *l,
				 struct objcache_mark *mark,
				 struct cachefile_why *w);

/*
 * cachefile_mark - the mark alone of the cache at PATH (its first lines,
 *	not its objects) into *MARK, for a pull that only asks whether the
 *	directory moved (incremental_unmoved): 1 when a pull for L may
 *	continue it; else 0, WHY (SIZE bytes) saying why (missing,
 *	unreadable, another selection or account, full_every passed)
 */
int cachefile_mark(const char *path, const struct ldapsync_conf *l,
		   struct objcache_mark *mark, char *why, size_t size);

#endif
