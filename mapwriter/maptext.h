/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_MAPTEXT_H
#define RCPTSYNC_MAPTEXT_H

#include <stdio.h>

#include "addrset.h"
#include "syncerr.h"

/* How much of the table maptext_write_header() hands to stdio at once. */
#define MAPTEXT_CHUNK (64 * 1024)

/* The first line of every table we write: no timestamp, so that an
 * unchanged run produces identical bytes. */
#define MAPTEXT_HEADER                                                 \
	"# relay_recipients: written by rcptsync from the directory; " \
	"local edits are overwritten (use the 'extra' file)\n"

/* The first line of the relay_domains table (output.relay_domains). */
#define MAPTEXT_DOMAINS_HEADER                                             \
	"# relay_domains: written by rcptsync from the accepted domains; " \
	"local edits are overwritten\n"

/* What maptext_read() demands of keys. */
enum maptext_keys {
	MAPTEXT_ANY_KEY,     /* current table: any key without white space */
	MAPTEXT_ADDRESS_KEY, /* extra file: address rules, "@domain" too */
	MAPTEXT_EXACT_KEY,   /* a text read back to build its map (mapsrc.c):
				keys as written, not folded */
};

/*
 * maptext_write - write the header and one "key<TAB>value" line per entry
 *	of the finished SET to FP.  Returns 0, or -1 with an OUTPUT error
 *	(FP's error state after fflush).
 */
int maptext_write(FILE *fp, const struct addrset *set, struct sync_err *err)
	__attribute__((warn_unused_result));

/* maptext_write_header - maptext_write() with HEADER as the first line */
int maptext_write_header(FILE *fp, const struct addrset *set,
			 const char *header, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * Called for each entry of a table, in file order: KEY (lower case) and
 * VALUE are valid only during the call.  Return 0 to go on; anything
 * else stops the read, and maptext_each() returns it.
 */
typedef int (*maptext_fn)(void *ctx, const char *key, const char *value);

/*
 * maptext_each - read the table at PATH as maptext_read() does, handing
 *	each entry to FN instead of storing it: nothing of the table is
 *	kept.  Returns 0, FN's non-zero answer, or -1 with the errors of
 *	maptext_read().
 */
int maptext_each(const char *path, enum maptext_keys keys, maptext_fn fn,
		 void *ctx, int *exists, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * maptext_read - add the lines of the Postfix-style table at PATH to SET:
 *	"key white-space value", '#' comments and blank lines skipped, keys
 *	lower-cased as Postfix folds them.  ORIGIN is stored with each
 *	entry (it must outlive SET).  A missing file sets *EXISTS to 0 and
 *	returns 0.  A malformed line is a DATA error naming PATH:LINE; an
 *	unreadable file is an OUTPUT error.  SET is not finished.
 */
int maptext_read(const char *path, enum maptext_keys keys, struct addrset *set,
		 const char *origin, int *exists, struct sync_err *err)
	__attribute__((warn_unused_result));

#endif
