/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	objcache - the directory's mail-enabled objects, for incremental pulls
 * DESCRIPTION
 *	Every object of the last pull, keyed by objectGUID (stable across
 *	rename, move and deletion), with its DN and its raw proxyAddresses
 *	values exactly as the DC sent them.  An incremental pull replaces
 *	the objects that changed and drops those that no longer qualify;
 *	the table is then built from the whole cache through the same
 *	normalisation as a full pull, so both give the same table.
 *	On disk (TABLE.rcptsync-cache), a text file written atomically:
 *	    rcptsync-cache 1
 *	    dc HOST / invocation HEX / usn N / config HEX / full TIME
	    [account HEX]       (the bind and the view; absent: unknown)
 *	    [cookie HEX]        (DirSync's, when there is one)
 *	    o GUIDHEX DN        (one per object)
 *	    v VALUE             (one per value of the object above)
 *	DN and values are %XX-escaped for every byte outside 0x21..0x7e and
 *	for '%': a value may hold any byte, newline and NUL included.
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
#include "objcache.h"

#define GUID_MAX 32
/* Version 2 ends with "end OBJECTS VALUES": a file cut at a line
 * boundary (a full disk without an error, a copy cut short) is caught */
#define CACHE_MAGIC "rcptsync-cache 2"
#define CACHE_MAGIC_V1 "rcptsync-cache 1"

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

/* put_escaped - S (LEN bytes) with %XX for anything unsafe on a line */
static void
put_escaped(FILE *fp, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '%')
			fprintf(fp, "%%%02X", ch);
		else
			putc(ch, fp);
	}
}

/* unescape - in place; returns the length, or -1 on a bad %XX */
static long
unescape(char *s)
{
	char *out = s;

	for (char *in = s; *in != '\0'; in++) {
		unsigned int v;

		if (*in != '%') {
			*out++ = *in;
			continue;
		}
		if (sscanf(in + 1, "%2x", &v) != 1 || in[1] == '\0' ||
		    in[2] == '\0')
			return -1;
		*out++ = (char)v;
		in += 2;
	}
	*out = '\0';
	return out - s;
}

/* hex_decode - GUIDHEX into BUF; returns the length or -1 */
static long
hex_decode(const char *hex, unsigned char *buf, size_t size)
{
	size_t n = strlen(hex) / 2;
	unsigned int v;

	if (strlen(hex) % 2 != 0 || n == 0 || n > size)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		buf[i] = (unsigned char)v;
	}
	return (long)n;
}

/* bad_line - the error for a malformed line */
static int
bad_line(const char *path, unsigned long line, struct sync_err *err)
{
	return sync_err_set(err, SYNC_ERR_DATA, "%s:%lu: malformed cache line",
			    path, line);
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

/* load_line - one line into the cache or the mark */
static int
load_line(struct objcache *c, struct objcache_mark *m, char *s,
	  unsigned char *guid, long *guid_len)
{
	char *arg = strchr(s, ' ');

	if (arg == NULL)
		return -1;
	*arg++ = '\0';
	if (strcmp(s, "o") == 0) {
		char *dn = strchr(arg, ' ');

		if (dn == NULL)
			return -1;
		*dn++ = '\0';
		if ((*guid_len = hex_decode(arg, guid, GUID_MAX)) < 0 ||
		    unescape(dn) < 0)
			return -1;
		objcache_put(c, guid, (size_t)*guid_len, dn);
	} else if (strcmp(s, "v") == 0) {
		long n = unescape(arg);

		if (n < 0 || *guid_len <= 0)
			return -1;
		objcache_add_value(c, guid, (size_t)*guid_len, arg, (size_t)n);
	} else if (strcmp(s, "dc") == 0) {
		snprintf(m->dc, sizeof(m->dc), "%s", arg);
	} else if (strcmp(s, "invocation") == 0) {
		snprintf(m->invocation, sizeof(m->invocation), "%s", arg);
	} else if (strcmp(s, "usn") == 0) {
		m->usn = strtoull(arg, NULL, 10);
	} else if (strcmp(s, "config") == 0) {
		snprintf(m->config, sizeof(m->config), "%s", arg);
	} else if (strcmp(s, "account") == 0) {
		snprintf(m->account, sizeof(m->account), "%s", arg);
	} else if (strcmp(s, "full") == 0) {
		m->full_at = (time_t)strtoll(arg, NULL, 10);
	} else if (strcmp(s, "cookie") == 0) {
		long n = hex_decode(arg, m->cookie, sizeof(m->cookie));

		if (n <= 0)
			return -1;
		m->cookie_len = (size_t)n;
	} else {
		return -1;
	}
	return 0;
}

int
objcache_load(const char *path, struct objcache **out,
	      struct objcache_mark *mark, struct sync_err *err)
{
	unsigned char guid[GUID_MAX];
	long guid_len = 0;
	FILE *fp = fopen(path, "r");
	struct objcache *c;
	char *line = NULL;
	size_t size = 0, want_objects = 0, want_values = 0;
	ssize_t n;
	unsigned long lineno = 0;
	int ended = 0, old = 0, io;
	char extra;

	memset(mark, 0, sizeof(*mark));
	if (fp == NULL) {
		if (errno == ENOENT)
			return 0;
		return sync_err_set(err, SYNC_ERR_DATA, "cannot read %s: %s",
				    path, strerror(errno));
	}
	c = objcache_new();
	while ((n = getline(&line, &size, fp)) > 0) {
		lineno++;
		if (line[n - 1] != '\n' || ended)
			break; /* cut short, or anything after the end */
		line[n - 1] = '\0';
		if (lineno == 1 && strcmp(line, CACHE_MAGIC_V1) == 0)
			old = 1;
		if (lineno == 1 ? strcmp(line, CACHE_MAGIC) != 0
		    : strncmp(line, "end ", 4) == 0
			    ? (ended = 1,
			       sscanf(line + 4, "%zu %zu%c", &want_objects,
				      &want_values, &extra) != 2)
			    : load_line(c, mark, line, guid, &guid_len) < 0)
			break;
		n = 0;
	}
	free(line);
	io = ferror(fp);
	fclose(fp);
	if (io || n != -1 || lineno == 0 || mark->dc[0] == '\0' || !ended ||
	    want_objects != objcache_count(c) ||
	    want_values != count_values(c)) {
		objcache_free(c);
		if (old)
			return sync_err_set(err, SYNC_ERR_DATA,
					    "%s: written by an earlier "
					    "rcptsync (no end line)",
					    path);
		if (n == -1 && !io && !ended)
			return sync_err_set(err, SYNC_ERR_DATA,
					    "%s: cut short (no end line)",
					    path);
		return bad_line(path, lineno, err);
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
	const struct objcache_mark *m = sc->m;
	const struct objcache *c = sc->c;
	size_t objects = 0, values = 0;

	(void)err; /* write errors: atomicfile checks ferror and flush */
	fprintf(fp,
		CACHE_MAGIC "\ndc %s\ninvocation %s\nusn %llu\n"
			    "config %s\nfull %lld\n",
		m->dc, m->invocation, m->usn, m->config, (long long)m->full_at);
	if (m->account[0] != '\0')
		fprintf(fp, "account %s\n", m->account);
	if (m->cookie_len > 0) {
		fputs("cookie ", fp);
		for (size_t i = 0; i < m->cookie_len; i++)
			fprintf(fp, "%02x", m->cookie[i]);
		putc('\n', fp);
	}
	for (size_t b = 0; b < c->n_buckets; b++)
		for (const struct obj *o = c->buckets[b]; o != NULL;
		     o = o->next) {
			fputs("o ", fp);
			for (size_t i = 0; i < o->guid_len; i++)
				fprintf(fp, "%02x", o->guid[i]);
			putc(' ', fp);
			put_escaped(fp, o->dn, strlen(o->dn));
			putc('\n', fp);
			for (size_t i = 0; i < o->n; i++) {
				fputs("v ", fp);
				put_escaped(fp, o->vals[i], o->lens[i]);
				putc('\n', fp);
			}
			objects++;
			values += o->n;
		}
	fprintf(fp, "end %zu %zu\n", objects, values);
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
