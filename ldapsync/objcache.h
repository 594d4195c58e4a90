/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_OBJCACHE_H
#define RCPTSYNC_OBJCACHE_H

#include <stddef.h>
#include <time.h>

#include "syncerr.h"

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

struct objcache;

/* objcache_new - an empty cache */
struct objcache *objcache_new(void);

/* objcache_free - everything; NULL is ok */
void objcache_free(struct objcache *c);

/*
 * objcache_put - object GUID (LEN bytes) now has DN and no values yet
 *	(its old values, if any, are dropped); objcache_add_value appends
 *	one raw proxyAddresses value to the object last put or found.
 */
void objcache_put(struct objcache *c, const unsigned char *guid, size_t len,
		  const char *dn);
void objcache_add_value(struct objcache *c, const unsigned char *guid,
			size_t len, const char *val, size_t val_len);

/* objcache_remove - forget GUID; returns whether it was there */
int objcache_remove(struct objcache *c, const unsigned char *guid, size_t len);

/* objcache_has - is GUID in the cache? */
int objcache_has(const struct objcache *c, const unsigned char *guid,
		 size_t len);

/* objcache_merge - move every object of FROM into INTO, replacing */
void objcache_merge(struct objcache *into, struct objcache *from);

/* objcache_each_guid - FN(ctx, guid, len) for every object */
void objcache_each_guid(const struct objcache *c,
			void (*fn)(void *ctx, const unsigned char *guid,
				   size_t len),
			void *ctx);

/* objcache_each_object - FN(ctx, dn, n_values) for every object */
void objcache_each_object(const struct objcache *c,
			  void (*fn)(void *ctx, const char *dn, size_t n),
			  void *ctx);

/* objcache_count - objects in the cache */
size_t objcache_count(const struct objcache *c);

/*
 * objcache_walk - FN(ctx, dn, value, len) for every value of every
 *	object, in no particular order; stops at the first FN < 0.
 */
int objcache_walk(const struct objcache *c,
		  int (*fn)(void *ctx, const char *dn, const char *val,
			    size_t len),
		  void *ctx);

/*
 * objcache_load - read PATH into a new cache and *MARK.  Returns 1 and
 *	*OUT when it was read, 0 when there is no file, -1 with an error
 *	when it is unreadable or malformed (the caller then pulls in full).
 */
int objcache_load(const char *path, struct objcache **out,
		  struct objcache_mark *mark, struct sync_err *err)
	__attribute__((warn_unused_result));

/* objcache_save - write atomically (temp file, fsync, rename) */
int objcache_save(const char *path, const struct objcache *c,
		  const struct objcache_mark *mark, struct sync_err *err)
	__attribute__((warn_unused_result));

#endif
