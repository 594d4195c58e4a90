/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	objcache - a delta round's objects in memory, for Graph
 * DESCRIPTION
 *	Every object of the last round, keyed by a fixed-size key (Graph:
 *	the SHA-256 of the object's name, graphdelta.c), with its name and
 *	its raw values exactly as the server sent them.  A delta round
 *	replaces the objects that changed and drops the removed ones; the
 *	table is then built from the whole cache through the same
 *	normalisation as a full round, so both give the same table.
 *	On disk, the object cache's file (cacheformat.c), written
 *	atomically.  The LDAP pulls do not hold their cache in memory: they
 *	stream it (cachescan.c, incremental.c).
 * OWNERSHIP
 *	The cache owns every string in it.
 * DIAGNOSTICS
 *	Load and save errors name the file and the line.  A malformed file
 *	is an error the caller answers with a full pull.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fnv.h"
#include "xalloc.h"
#include "atomicfile.h"
#include "cacheformat.h"
#include "objcache.h"

#define GUID_MAX CACHEFORMAT_GUID_MAX

struct obj {
	struct obj *next; /* hash chain */
	unsigned char guid[GUID_MAX];
	size_t guid_len;
	char *dn;
	char **vals;
	size_t *lens;
	size_t n, alloc;
};

struct objcache {
	struct obj **buckets;
	size_t n_buckets;
	size_t count;
	struct obj *last; /* the object objcache_add_value most likely wants */
};

/* hash - FNV-1a of the GUID (the historical seed: it orders the file) */
static size_t
hash(const unsigned char *guid, size_t len)
{
	return (size_t)fnv1a_64(FNV1A_64_SEED, guid, len);
}

struct objcache *
objcache_new(void)
{
	struct objcache *c = xcalloc(1, sizeof(*c));

	c->n_buckets = 1024;
	c->buckets = xcalloc(c->n_buckets, sizeof(*c->buckets));
	return c;
}

/* obj_free - one object and its strings */
static void
obj_free(struct obj *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->vals[i]);
	free(o->vals);
	free(o->lens);
	free(o->dn);
	free(o);
}

void
objcache_free(struct objcache *c)
{
	if (c == NULL)
		return;
	for (size_t b = 0; b < c->n_buckets; b++)
		for (struct obj *o = c->buckets[b], *next; o != NULL;
		     o = next) {
			next = o->next;
			obj_free(o);
		}
	free(c->buckets);
	free(c);
}

/* slot_of - the chain link that holds GUID, or the end of its chain */
static struct obj **
slot_of(const struct objcache *c, const unsigned char *guid, size_t len)
{
	struct obj **p = &c->buckets[hash(guid, len) % c->n_buckets];

	while (*p != NULL &&
	       ((*p)->guid_len != len || memcmp((*p)->guid, guid, len) != 0))
		p = &(*p)->next;
	return p;
}

/* grow - double the buckets when the chains get long */
static void
grow(struct objcache *c)
{
	size_t n = c->n_buckets * 2;
	struct obj **b = xcalloc(n, sizeof(*b));

	for (size_t i = 0; i < c->n_buckets; i++)
		for (struct obj *o = c->buckets[i], *next; o != NULL;
		     o = next) {
			size_t h = hash(o->guid, o->guid_len) % n;

			next = o->next;
			o->next = b[h];
			b[h] = o;
		}
	free(c->buckets);
	c->buckets = b;
	c->n_buckets = n;
}

/* link - put O into the cache, replacing an object with its GUID */
static void
link_obj(struct objcache *c, struct obj *o)
{
	struct obj **p = slot_of(c, o->guid, o->guid_len);

	if (*p != NULL) {
		struct obj *old = *p;

		o->next = old->next;
		*p = o;
		if (c->last == old)
			c->last = NULL;
		obj_free(old);
		return;
	}
	o->next = NULL;
	*p = o;
	if (++c->count > 2 * c->n_buckets)
		grow(c);
}

void
objcache_put(struct objcache *c, const unsigned char *guid, size_t len,
	     const char *dn)
{
	struct obj *o = xcalloc(1, sizeof(*o));

	if (len > GUID_MAX)
		len = GUID_MAX;
	memcpy(o->guid, guid, len);
	o->guid_len = len;
	o->dn = xstrdup(dn);
	link_obj(c, o);
	c->last = o;
}

void
objcache_add_value(struct objcache *c, const unsigned char *guid, size_t len,
		   const char *val, size_t val_len)
{
	struct obj *o = c->last;

	if (len > GUID_MAX)
		len = GUID_MAX;
	if (o == NULL || o->guid_len != len || memcmp(o->guid, guid, len) != 0)
		o = *slot_of(c, guid, len);
	if (o == NULL)
		return; /* put() comes first; a value without it is a bug */
	c->last = o;
	if (o->n == o->alloc) {
		o->alloc = o->alloc ? 2 * o->alloc : 4;
		o->vals = xreallocarray(o->vals, o->alloc, sizeof(*o->vals));
		o->lens = xreallocarray(o->lens, o->alloc, sizeof(*o->lens));
	}
	o->vals[o->n] = xmalloc(val_len + 1);
	memcpy(o->vals[o->n], val, val_len);
	o->vals[o->n][val_len] = '\0';
	o->lens[o->n++] = val_len;
}

int
objcache_remove(struct objcache *c, const unsigned char *guid, size_t len)
{
	struct obj **p = slot_of(c, guid, len), *o = *p;

	if (o == NULL)
		return 0;
	*p = o->next;
	if (c->last == o)
		c->last = NULL;
	obj_free(o);
	c->count--;
	return 1;
}

int
objcache_has(const struct objcache *c, const unsigned char *guid, size_t len)
{
	return *slot_of(c, guid, len) != NULL;
}

void
objcache_merge(struct objcache *into, struct objcache *from)
{
	for (size_t b = 0; b < from->n_buckets; b++) {
		for (struct obj *o = from->buckets[b], *next; o != NULL;
		     o = next) {
			next = o->next;
			link_obj(into, o);
		}
		from->buckets[b] = NULL;
	}
	from->count = 0;
	from->last = NULL;
}

void
objcache_each_guid(const struct objcache *c,
		   void (*fn)(void *ctx, const unsigned char *guid, size_t len),
		   void *ctx)
{
	for (size_t b = 0; b < c->n_buckets; b++)
		for (const struct obj *o = c->buckets[b]; o != NULL;
		     o = o->next)
			fn(ctx, o->guid, o->guid_len);
}

void
objcache_each_object(const struct objcache *c,
		     void (*fn)(void *ctx, const char *dn, size_t n), void *ctx)
{
	for (size_t b = 0; b < c->n_buckets; b++)
		for (const struct obj *o = c->buckets[b]; o != NULL;
		     o = o->next)
			fn(ctx, o->dn, o->n);
}

size_t
objcache_count(const struct objcache *c)
{
	return c->count;
}

int
objcache_walk(const struct objcache *c,
	      int (*fn)(void *ctx, const char *dn, const char *val, size_t len),
	      void *ctx)
{
	for (size_t b = 0; b < c->n_buckets; b++)
		for (const struct obj *o = c->buckets[b]; o != NULL;
		     o = o->next)
			for (size_t i = 0; i < o->n; i++)
				if (fn(ctx, o->dn, o->vals[i], o->lens[i]) < 0)
					return -1;
	return 0;
}

/* count_values - every value of every object */
static size_t
count_values(const struct objcache *c)
{
	size_t n = 0;

	for (size_t b = 0; b < c->n_buckets; b++)
		for (const struct obj *o = c->buckets[b]; o != NULL;
		     o = o->next)
			n += o->n;
	return n;
}

/* read_all - the header and every object of R into C */
static int
read_all(struct cachereader *r, struct objcache *c, struct objcache_mark *m,
	 struct sync_err *err)
{
	const struct cacheobj *o;
	int rc = cachereader_header(r, m, err);

	while (rc == 0 && (rc = cachereader_next(r, &o, err)) > 0) {
		objcache_put(c, o->guid, o->guid_len, o->dn);
		for (size_t i = 0; i < o->n; i++)
			objcache_add_value(c, o->guid, o->guid_len, o->vals[i],
					   o->lens[i]);
		rc = 0;
	}
	return rc;
}

int
objcache_load(const char *path, struct objcache **out,
	      struct objcache_mark *mark, struct sync_err *err)
{
	FILE *fp = fopen(path, "r");
	struct objcache *c;
	struct cachereader *r;
	size_t objects, values;
	int rc;

	memset(mark, 0, sizeof(*mark));
	if (fp == NULL) {
		if (errno == ENOENT)
			return 0;
		return sync_err_set(err, SYNC_ERR_DATA, "cannot read %s: %s",
				    path, strerror(errno));
	}
	c = objcache_new();
	r = cachereader_new(fp, path, 1);
	rc = read_all(r, c, mark, err);
	cachereader_counts(r, &objects, &values);
	/* a GUID written twice: one copy replaced the other */
	if (rc == 0 &&
	    (objects != objcache_count(c) || values != count_values(c)))
		rc = sync_err_set(err, SYNC_ERR_DATA,
				  "%s: an object is written twice", path);
	cachereader_free(r);
	fclose(fp);
	if (rc < 0) {
		objcache_free(c);
		memset(mark, 0, sizeof(*mark));
		return -1;
	}
	*out = c;
	return 1;
}

struct save_ctx {
	const struct objcache *c;
	const struct objcache_mark *m;
};

/* fill_cache - atomicfile_fill_fn: the mark, then every object */
static int
fill_cache(FILE *fp, const void *ctx, struct sync_err *err)
{
	const struct save_ctx *sc = ctx;
	const struct objcache *c = sc->c;
	size_t objects = 0, values = 0;

	(void)err; /* write errors: atomicfile checks ferror and flush */
	cacheformat_header(fp, sc->m);
	for (size_t b = 0; b < c->n_buckets; b++)
		for (const struct obj *o = c->buckets[b]; o != NULL;
		     o = o->next) {
			struct cacheobj co = {
				.guid_len = o->guid_len,
				.dn = o->dn,
				.vals = (const char *const *)o->vals,
				.lens = o->lens,
				.n = o->n};

			memcpy(co.guid, o->guid, o->guid_len);
			cacheformat_object(fp, &co);
			objects++;
			values += o->n;
		}
	cacheformat_end(fp, objects, values);
	return 0;
}

/* objcache_save - atomically, with the tag mapcommit_cleanup() knows */
int
objcache_save(const char *path, const struct objcache *c,
	      const struct objcache_mark *m, struct sync_err *err)
{
	struct save_ctx sc = {c, m};

	return atomicfile_replace(path, path, 0600, fill_cache, &sc, err);
}
