/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_VERIFYCACHE_H
#define RCPTSYNC_VERIFYCACHE_H

#include <stddef.h>

#include "addrset.h"
#include "maptype.h"
#include "syncerr.h"

/* Postfix's address verification cache (address_verify_map). */
struct verifycache_conf {
	const char *path;	/* map name: PATH.db or PATH.lmdb is opened */
	enum mapdb_type type;	/* one with MAPTYPE_VERIFY: btree, hash, lmdb */
	const char *delimiters; /* recipient_delimiter; "" for none */
};

/* What a purge did. */
struct verifycache_result {
	size_t scanned; /* cache entries read */
	size_t purged;	/* negative entries deleted */
};

/* Called for each deleted entry: its key as stored, and its value. */
typedef void (*verifycache_fn)(void *ctx, const char *key, const char *value);

/*
 * verifycache_stale - would the purge delete this entry?  KEY and VALUE
 *	as stored (without a trailing NUL); TARGETS holds finished lower-case
 *	addresses.  1 when the status field of VALUE is not "0" and KEY, in
 *	any letter case and with any address extension after one of
 *	DELIMITERS removed, is in TARGETS, or its domain is, as "@domain"
 *	(a relay domain's wild-card key); else 0.
 */
int verifycache_stale(const char *key, size_t key_len, const char *value,
		      size_t value_len, const struct addrset *targets,
		      const char *delimiters);

/*
 * verifycache_purge - delete the stale negative entries for TARGETS from
 *	the cache, under Postfix's own lock for that map type, never
 *	waiting for it.  A missing cache file is not an error (nothing to
 *	purge).  Returns 0; or -1 with a TEMP error when Postfix holds the
 *	lock (verify(8) is running, for btree and hash), or an OUTPUT error
 *	when the cache cannot be opened or changed.  On -1 nothing was
 *	deleted.  FN (may be NULL) sees each deletion.
 */
int verifycache_purge(const struct verifycache_conf *conf,
		      const struct addrset *targets, verifycache_fn fn,
		      void *ctx, struct verifycache_result *res,
		      struct sync_err *err) __attribute__((warn_unused_result));

/* verifycache_file - PATH with the suffix of TYPE's row, in BUF */
const char *verifycache_file(const struct verifycache_conf *conf, char *buf,
			     size_t size);

#endif
