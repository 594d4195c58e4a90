/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cacheformat - the object cache's file, line by line
 * DESCRIPTION
 *	A text file (doc/design.md, "State"):
 *	    rcptsync-cache 2
 *	    dc HOST / invocation HEX / usn N / config HEX / full TIME
 *	    [account HEX]       (the bind and the view; absent: unknown)
 *	    [cookie HEX]        (DirSync's, or Graph's deltaLinks)
 *	    o GUIDHEX DN        (one per object)
 *	    v VALUE             (one per value of the object above)
 *	    end OBJECTS VALUES  (what the file holds: a file cut at a line
 *	                         boundary, by a full disk that did not say
 *	                         so or a copy cut short, is caught)
 *	DN and values are %XX-escaped for every byte outside 0x21..0x7e and
 *	for '%': a value may hold any byte, newline and NUL included.  A
 *	spill (spill.c) is the same objects without the rest.
 *	The reader hands out one object at a time, so that a pass over a
 *	cache of a million objects holds one object, not the cache.  Nothing
 *	in the format depends on the order of the objects.
 * OWNERSHIP
 *	A reader owns the object it hands out, until the next one.
 * DIAGNOSTICS
 *	Errors name the file and the line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "xalloc.h"
#include "cacheformat.h"

#define CACHE_MAGIC "rcptsync-cache 2"
/* version 1 had no end line */
#define CACHE_MAGIC_V1 "rcptsync-cache 1"

struct cachereader {
	FILE *fp;
	const char *path;
	int whole;
	char *line, *pending; /* the line read; one read ahead, put back */
	size_t line_size, pending_size;
	ssize_t pending_len;
	int have_pending, done;
	unsigned long lineno;
	size_t objects, values; /* read so far */
	struct cacheobj obj;
	char *dn;
	size_t dn_size;
	char *buf; /* the object's values, each NUL-terminated */
	size_t buf_used, buf_size;
	size_t *offs, *lens;
	char **vals;
	size_t n, alloc;
};

static const char hexdig[] = "0123456789ABCDEF";

/* put_escaped - S (LEN bytes), %XX for anything unsafe on a line */
static void
put_escaped(FILE *fp, const char *s, size_t len)
{
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch > 0x20 && ch < 0x7f && ch != '%')
			continue;
		fwrite(s + run, 1, i - run, fp);
		putc('%', fp);
		putc(hexdig[ch >> 4], fp);
		putc(hexdig[ch & 15], fp);
		run = i + 1;
	}
	fwrite(s + run, 1, len - run, fp);
}

/* put_hex - LEN bytes as lower-case hex */
static void
put_hex(FILE *fp, const unsigned char *b, size_t len)
{
	static const char lower[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		putc(lower[b[i] >> 4], fp);
		putc(lower[b[i] & 15], fp);
	}
}

/* cacheformat_header - see cacheformat.h */
void
cacheformat_header(FILE *fp, const struct objcache_mark *m)
{
	fprintf(fp,
		CACHE_MAGIC "\ndc %s\ninvocation %s\nusn %llu\n"
			    "config %s\nfull %lld\n",
		m->dc, m->invocation, m->usn, m->config, (long long)m->full_at);
	if (m->account[0] != '\0')
		fprintf(fp, "account %s\n", m->account);
	if (m->cookie_len > 0) {
		fputs("cookie ", fp);
		put_hex(fp, m->cookie, m->cookie_len);
		putc('\n', fp);
	}
}

/* cacheformat_object_line - see cacheformat.h */
void
cacheformat_object_line(FILE *fp, const unsigned char *guid, size_t len,
			const char *dn)
{
	fputs("o ", fp);
	put_hex(fp, guid, len);
	putc(' ', fp);
	put_escaped(fp, dn, strlen(dn));
	putc('\n', fp);
}

/* cacheformat_value_line - see cacheformat.h */
void
cacheformat_value_line(FILE *fp, const char *val, size_t len)
{
	fputs("v ", fp);
	put_escaped(fp, val, len);
	putc('\n', fp);
}

/* cacheformat_object - see cacheformat.h */
void
cacheformat_object(FILE *fp, const struct cacheobj *o)
{
	cacheformat_object_line(fp, o->guid, o->guid_len, o->dn);
	for (size_t i = 0; i < o->n; i++)
		cacheformat_value_line(fp, o->vals[i], o->lens[i]);
}

/* cacheformat_end - see cacheformat.h */
void
cacheformat_end(FILE *fp, size_t objects, size_t values)
{
	fprintf(fp, "end %zu %zu\n", objects, values);
}

/* The value of each hex digit, plus one; 0 for any other byte. */
static const unsigned char hexv[256] = {
	['0'] = 1,  ['1'] = 2,	['2'] = 3,  ['3'] = 4,	['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,	['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* hexval - one hex digit's value, or -1 */
static int
hexval(char c)
{
	return hexv[(unsigned char)c] - 1;
}

/* unescape - S in place; returns the length, or -1 on a bad %XX */
static long
unescape(char *s)
{
	char *out = strchr(s, '%');

	if (out == NULL)
		return (long)strlen(s); /* most values: nothing escaped */
	for (char *in = out; *in != '\0'; in++) {
		int hi, lo;

		if (*in != '%') {
			*out++ = *in;
			continue;
		}
		if ((hi = hexval(in[1])) < 0 || (lo = hexval(in[2])) < 0)
			return -1;
		*out++ = (char)(hi << 4 | lo);
		in += 2;
	}
	*out = '\0';
	return out - s;
}

/* hex_decode - the hex of HEX (LEN digits) into BUF; the length or -1 */
static long
hex_decode(const char *hex, size_t len, unsigned char *buf, size_t size)
{
	size_t n = len / 2;

	if (len % 2 != 0 || n == 0 || n > size)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		buf[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)n;
}

/* cachereader_new - see cacheformat.h */
struct cachereader *
cachereader_new(FILE *fp, const char *path, int whole)
{
	struct cachereader *r = xcalloc(1, sizeof(*r));

	r->fp = fp;
	r->path = path;
	r->whole = whole;
	return r;
}

/* cachereader_free - see cacheformat.h */
void
cachereader_free(struct cachereader *r)
{
	if (r == NULL)
		return;
	free(r->line);
	free(r->pending);
	free(r->dn);
	free(r->buf);
	free(r->offs);
	free(r->lens);
	free(r->vals);
	free(r);
}

/* swap_lines - the line and the one put back trade places */
static void
swap_lines(struct cachereader *r)
{
	char *l = r->line;
	size_t s = r->line_size;

	r->line = r->pending;
	r->line_size = r->pending_size;
	r->pending = l;
	r->pending_size = s;
}

#define LINE_EOF (-1)
#define LINE_CUT (-2) /* the last line has no newline */
#define LINE_IO (-3)

/* get - the next line into r->line, without its newline; or LINE_* */
static ssize_t
get(struct cachereader *r)
{
	ssize_t n;

	if (r->have_pending) {
		swap_lines(r);
		r->have_pending = 0;
		return r->pending_len;
	}
	errno = 0;
	n = getline(&r->line, &r->line_size, r->fp);
	if (n < 0)
		return ferror(r->fp) ? LINE_IO : LINE_EOF;
	r->lineno++;
	if (n == 0 || r->line[n - 1] != '\n')
		return LINE_CUT;
	r->line[--n] = '\0';
	return n;
}

/* unget - the line just read is read again next */
static void
unget(struct cachereader *r, ssize_t n)
{
	swap_lines(r);
	r->pending_len = n;
	r->have_pending = 1;
}

/* bad_line - the error for a malformed line */
static int
bad_line(const struct cachereader *r, struct sync_err *err)
{
	return sync_err_set(err, SYNC_ERR_DATA, "%s:%lu: malformed cache line",
			    r->path, r->lineno);
}

/* bad_read - the error for LINE_* N */
static int
bad_read(const struct cachereader *r, ssize_t n, struct sync_err *err)
{
	if (n == LINE_IO)
		return sync_err_set(err, SYNC_ERR_DATA, "cannot read %s: %s",
				    r->path, strerror(errno ? errno : EIO));
	/* whole lines (or none) and no end line: cut at a line boundary; a
	 * line cut inside is a malformed line, as it always was */
	if (n == LINE_EOF)
		return sync_err_set(err, SYNC_ERR_DATA,
				    "%s: cut short (no end line)", r->path);
	return bad_line(r, err);
}

/* mark_line - one "KEY VALUE" line of the header into M */
static int
mark_line(struct objcache_mark *m, char *s)
{
	char *arg = strchr(s, ' ');
	long n;

	if (arg == NULL)
		return -1;
	*arg++ = '\0';
	if (strcmp(s, "dc") == 0) {
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
		n = hex_decode(arg, strlen(arg), m->cookie, sizeof(m->cookie));
		if (n <= 0)
			return -1;
		m->cookie_len = (size_t)n;
	} else {
		return -1;
	}
	return 0;
}

/* cachereader_header - see cacheformat.h */
int
cachereader_header(struct cachereader *r, struct objcache_mark *m,
		   struct sync_err *err)
{
	ssize_t n = get(r);

	memset(m, 0, sizeof(*m));
	if (n >= 0 && strcmp(r->line, CACHE_MAGIC_V1) == 0)
		return sync_err_set(err, SYNC_ERR_DATA,
				    "%s: written by an earlier rcptsync "
				    "(no end line)",
				    r->path);
	if (n == LINE_IO || n == LINE_EOF) /* an empty file: cut short */
		return bad_read(r, n, err);
	if (n < 0 || strcmp(r->line, CACHE_MAGIC) != 0)
		return bad_line(r, err);
	while ((n = get(r)) >= 0 && strncmp(r->line, "o ", 2) != 0 &&
	       strncmp(r->line, "end ", 4) != 0)
		if (mark_line(m, r->line) < 0)
			return bad_line(r, err);
	if (n < 0)
		return bad_read(r, n, err);
	unget(r, n);
	if (m->dc[0] == '\0')
		return bad_line(r, err);
	return 0;
}

/* take_value - the escaped value V into the object being read */
static int
take_value(struct cachereader *r, char *v)
{
	long len = unescape(v);

	if (len < 0)
		return -1;
	if (r->n == r->alloc) {
		r->alloc = r->alloc ? 2 * r->alloc : 16;
		r->offs = xreallocarray(r->offs, r->alloc, sizeof(*r->offs));
		r->lens = xreallocarray(r->lens, r->alloc, sizeof(*r->lens));
		r->vals = xreallocarray(r->vals, r->alloc, sizeof(*r->vals));
	}
	while (r->buf_size - r->buf_used < (size_t)len + 1) {
		r->buf_size = r->buf_size ? 2 * r->buf_size : 4096;
		r->buf = xreallocarray(r->buf, r->buf_size, 1);
	}
	memcpy(r->buf + r->buf_used, v, (size_t)len + 1);
	r->offs[r->n] = r->buf_used;
	r->lens[r->n++] = (size_t)len;
	r->buf_used += (size_t)len + 1;
	return 0;
}

/* take_object - an "o GUIDHEX DN" line (in r->line) starts an object */
static int
take_object(struct cachereader *r, ssize_t len)
{
	char *guid = r->line + 2, *dn = strchr(guid, ' ');
	long glen, dlen;

	if (dn == NULL)
		return -1;
	*dn++ = '\0';
	glen = hex_decode(guid, (size_t)(dn - 1 - guid), r->obj.guid,
			  sizeof(r->obj.guid));
	if (glen < 0 || (dlen = unescape(dn)) < 0)
		return -1;
	if (r->dn_size < (size_t)len) {
		r->dn_size = (size_t)len;
		r->dn = xreallocarray(r->dn, r->dn_size, 1);
	}
	memcpy(r->dn, dn, (size_t)dlen + 1);
	r->obj.guid_len = (size_t)glen;
	r->n = 0;
	r->buf_used = 0;
	return 0;
}

/* the_end - the end line (in r->line): its counts, and nothing after */
static int
the_end(struct cachereader *r, struct sync_err *err)
{
	size_t objects, values;
	char extra;
	ssize_t n;

	if (sscanf(r->line + 4, "%zu %zu%c", &objects, &values, &extra) != 2 ||
	    objects != r->objects || values != r->values)
		return bad_line(r, err);
	if ((n = get(r)) != LINE_EOF)
		return n == LINE_IO ? bad_read(r, n, err) : bad_line(r, err);
	r->done = 1;
	return 0;
}

/* cachereader_next - see cacheformat.h */
int
cachereader_next(struct cachereader *r, const struct cacheobj **o,
		 struct sync_err *err)
{
	ssize_t n;

	if (r->done)
		return 0;
	n = get(r);
	if (n == LINE_EOF && !r->whole) {
		r->done = 1;
		return 0;
	}
	if (n < 0)
		return bad_read(r, n, err);
	if (r->whole && strncmp(r->line, "end ", 4) == 0)
		return the_end(r, err);
	if (strncmp(r->line, "o ", 2) != 0 || take_object(r, n) < 0)
		return bad_line(r, err);
	while ((n = get(r)) >= 0 && strncmp(r->line, "v ", 2) == 0)
		if (take_value(r, r->line + 2) < 0)
			return bad_line(r, err);
	if (n >= 0)
		unget(r, n);
	else if (n != LINE_EOF)
		return bad_read(r, n, err);
	for (size_t i = 0; i < r->n; i++)
		r->vals[i] = r->buf + r->offs[i];
	r->obj.dn = r->dn;
	r->obj.vals = (const char *const *)r->vals;
	r->obj.lens = r->lens;
	r->obj.n = r->n;
	r->objects++;
	r->values += r->n;
	*o = &r->obj;
	return 1;
}

/* cachereader_counts - see cacheformat.h */
void
cachereader_counts(const struct cachereader *r, size_t *objects, size_t *values)
{
	*objects = r->objects;
	*values = r->values;
}
