/* SPDX-License-Identifier: MIT */
/* Unit tests: the incremental pull's streamed cache (issue 27).  The
 * GUID set keeps the last copy of a key and finds every key; the spill
 * hands back the last copy of an object fetched twice, in order, values
 * byte for byte, and drops one removed after (Graph's @removed); the two
 * passes over a cache file (cachescan.c) hand back what was written,
 * refuse a GUID written twice, hand out only the objects selected, and
 * fail pass 2 when the file no longer reads as in pass 1; a new cache
 * that cannot be written fails no pull; over seeded random
 * objects with hostile bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "cacheformat.h"
#include "cachescan.h"
#include "cachewrite.h"
#include "guidset.h"
#include "objcache.h"
#include "spill.h"

/* guid_of - a GUID made from N */
static void
guid_of(unsigned n, unsigned char g[GUIDSET_KEY])
{
	memset(g, 0xa5, GUIDSET_KEY);
	memcpy(g + 3, &n, sizeof(n));
}

/* the set: random keys, each added up to three times */
static void
test_guidset_last_copy(void **state)
{
	struct guidset *s = guidset_new(GUIDSET_KEY, 1);
	uint32_t want[500] = {0}, seq = 0, got;
	unsigned char g[GUIDSET_KEY];
	size_t adds = 0;

	(void)state;
	srand(27);
	for (unsigned i = 0; i < 500; i++)
		for (int copies = rand() % 3; copies >= 0; copies--) {
			guid_of(i, g);
			want[i] = seq;
			assert_int_equal(guidset_add(s, g, sizeof(g), seq++),
					 0);
			adds++;
		}
	/* interleave: later copies of early keys */
	for (unsigned i = 0; i < 500; i += 7) {
		guid_of(i, g);
		want[i] = seq;
		assert_int_equal(guidset_add(s, g, sizeof(g), seq++), 0);
		adds++;
	}
	assert_int_equal(guidset_seal(s), adds - 500);
	assert_int_equal(guidset_count(s), 500);
	for (unsigned i = 0; i < 500; i++) {
		guid_of(i, g);
		assert_true(guidset_find(s, g, sizeof(g), &got));
		assert_int_equal(got, want[i]);
	}
	guid_of(500, g);
	assert_false(guidset_find(s, g, sizeof(g), NULL));
	assert_int_equal(guidset_add(s, g, 15, 0), -1);
	assert_int_equal(guidset_key_len(s), GUIDSET_KEY);
	for (size_t i = 1; i < guidset_count(s); i++)
		assert_true(memcmp(guidset_key(s, i - 1), guidset_key(s, i),
				   GUIDSET_KEY) < 0);
	guidset_free(s);
}

/* hostile - a value with every kind of byte in it */
static size_t
hostile(unsigned n, char *buf, size_t size)
{
	size_t len = (size_t)(rand() % 40) + 1;

	if (len > size)
		len = size;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(rand() % 4 == 0 ? rand() % 256
						: 'a' + (int)(n % 26));
	return len;
}

struct seen {
	unsigned char guid[GUIDSET_KEY];
	char dn[64];
	char vals[4][48];
	size_t lens[4], n;
};

struct replayed {
	struct seen *got;
	size_t n;
};

/* take - one object handed back */
static int
take(void *ctx, const struct cacheobj *o, struct sync_err *err)
{
	struct replayed *r = ctx;
	struct seen *s = &r->got[r->n++];

	(void)err;
	assert_int_equal(o->guid_len, GUIDSET_KEY);
	memcpy(s->guid, o->guid, GUIDSET_KEY);
	snprintf(s->dn, sizeof(s->dn), "%s", o->dn);
	assert_true(o->n <= 4);
	s->n = o->n;
	for (size_t i = 0; i < o->n; i++) {
		memcpy(s->vals[i], o->vals[i], o->lens[i]);
		s->lens[i] = o->lens[i];
		assert_int_equal(o->vals[i][o->lens[i]], '\0');
	}
	return 0;
}

/* the spill: 300 objects, every fifth fetched again with other values */
static void
test_spill_last_copy(void **state)
{
	char near[] = "/tmp/rcptsync-spill-XXXXXX";
	int fd = mkstemp(near);
	struct sync_err err = {0};
	struct spill *s;
	struct seen *want = calloc(300, sizeof(*want));
	struct replayed r = {calloc(400, sizeof(struct seen)), 0};
	unsigned order[360], n_order = 0;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	srand(2727);
	s = spill_new(near, GUIDSET_KEY, &err);
	assert_non_null(s);
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < 300; i++) {
			struct seen *w = &want[i];

			if (pass == 1 && i % 5 != 0)
				continue;
			guid_of(i, w->guid);
			snprintf(w->dn, sizeof(w->dn), "CN=o%u %u,OU=x", i,
				 pass);
			w->n = (size_t)(rand() % 5);
			assert_int_equal(
				spill_put(s, w->guid, GUIDSET_KEY, w->dn, &err),
				0);
			for (size_t v = 0; v < w->n; v++) {
				w->lens[v] = hostile(i, w->vals[v], 47);
				spill_value(s, w->vals[v], w->lens[v]);
			}
			if (pass == 0 && i % 5 != 0)
				order[n_order++] = i;
			if (pass == 1)
				order[n_order++] = i;
		}
	assert_int_equal(
		spill_put(s, (const unsigned char *)"short", 5, "CN=x", &err),
		-1);
	assert_int_equal(spill_seal(s, &err), 0);
	assert_int_equal(spill_count(s), 300);
	assert_int_equal(spill_replay(s, take, &r, &err), 0);
	assert_int_equal(r.n, 300);
	/* the kept copies, in the order their last copy came */
	for (size_t k = 0; k < r.n; k++) {
		const struct seen *w = &want[order[k]], *g = &r.got[k];

		assert_memory_equal(g->guid, w->guid, GUIDSET_KEY);
		assert_string_equal(g->dn, w->dn);
		assert_int_equal(g->n, w->n);
		for (size_t v = 0; v < w->n; v++) {
			assert_int_equal(g->lens[v], w->lens[v]);
			assert_memory_equal(g->vals[v], w->vals[v], w->lens[v]);
		}
	}
	spill_free(s);
	unlink(near);
	free(want);
	free(r.got);
}

/* the spill with removals (Graph's @removed): the last op counts */
static void
test_spill_removal(void **state)
{
	char near[] = "/tmp/rcptsync-spill-XXXXXX";
	int fd = mkstemp(near);
	struct sync_err err = {0};
	struct replayed r = {calloc(8, sizeof(struct seen)), 0};
	unsigned char a[GUIDSET_KEY], b[GUIDSET_KEY], c[GUIDSET_KEY];
	struct spill *s;

	(void)state;
	close(fd);
	guid_of(1, a);
	guid_of(2, b);
	guid_of(3, c);
	s = spill_new(near, GUIDSET_KEY, &err);
	assert_non_null(s);
	/* A put, then removed: gone */
	assert_int_equal(spill_put(s, a, sizeof(a), "CN=a", &err), 0);
	spill_value(s, "SMTP:a@x", 8);
	assert_int_equal(spill_remove(s, a, sizeof(a)), 0);
	/* B put, removed, put again: the second copy */
	assert_int_equal(spill_put(s, b, sizeof(b), "CN=b 1", &err), 0);
	assert_int_equal(spill_remove(s, b, sizeof(b)), 0);
	assert_int_equal(spill_put(s, b, sizeof(b), "CN=b 2", &err), 0);
	spill_value(s, "SMTP:b@x", 8);
	/* C only removed */
	assert_int_equal(spill_remove(s, c, sizeof(c)), 0);
	assert_int_equal(spill_remove(s, c, 3), -1);
	assert_int_equal(spill_seal(s, &err), 0);
	assert_false(spill_has(s, a, sizeof(a)));
	assert_true(spill_touched(s, a, sizeof(a)));
	assert_true(spill_has(s, b, sizeof(b)));
	assert_false(spill_has(s, c, sizeof(c)));
	assert_true(spill_touched(s, c, sizeof(c)));
	assert_int_equal(spill_count(s), 1);
	assert_int_equal(spill_replay(s, take, &r, &err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.got[0].dn, "CN=b 2");
	assert_int_equal(r.got[0].n, 1);
	spill_free(s);
	unlink(near);
	free(r.got);
}

/* write_cache - N objects (and, with TWICE, object 0 again) at PATH */
static void
write_cache(const char *path, unsigned n, int twice)
{
	FILE *fp = fopen(path, "w");
	struct objcache_mark m = {.usn = 9, .full_at = 1700000000};
	size_t values = 0;

	assert_non_null(fp);
	strcpy(m.dc, "dc1.corp.example");
	cacheformat_header(fp, &m);
	for (unsigned i = 0; i < n + (twice ? 1 : 0); i++) {
		unsigned char g[GUIDSET_KEY];
		char dn[40];

		guid_of(i % n, g);
		snprintf(dn, sizeof(dn), "CN=%u\n,OU=%%x", i);
		cacheformat_object_line(fp, g, sizeof(g), dn);
		cacheformat_value_line(fp, "SMTP:a@b\0c", 10);
		values++;
	}
	cacheformat_end(fp, n + (twice ? 1 : 0), values);
	fclose(fp);
}

/* the two passes: what pass 2 hands out is what was written */
static void
test_cachescan_passes(void **state)
{
	char path[] = "/tmp/rcptsync-cachescan-XXXXXX";
	int fd = mkstemp(path);
	struct objcache_mark m;
	struct sync_err err = {0};
	struct cachescan *c = NULL;
	struct replayed r = {calloc(200, sizeof(struct seen)), 0};
	FILE *fp;

	(void)state;
	close(fd);
	write_cache(path, 200, 0);
	assert_int_equal(cachescan_open(path, GUIDSET_KEY, &c, &m, &err), 1);
	assert_string_equal(m.dc, "dc1.corp.example");
	assert_int_equal(guidset_count(cachescan_guids(c)), 200);
	assert_int_equal(cachescan_stream(c, take, &r, &err), 0);
	assert_int_equal(r.n, 200);
	assert_string_equal(r.got[7].dn, "CN=7\n,OU=%x");
	assert_int_equal(r.got[7].lens[0], 10);
	assert_memory_equal(r.got[7].vals[0], "SMTP:a@b\0c", 10);
	/* pass 2 of a file that reads otherwise now: an error, not less */
	fp = fopen(path, "r+");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, -4, SEEK_END), 0);
	fputs("99\n", fp); /* "end 200 99" */
	fclose(fp);
	r.n = 0;
	assert_int_equal(cachescan_stream(c, take, &r, &err), -1);
	assert_non_null(strstr(err.msg, "malformed cache line"));
	cachescan_free(c);
	/* a GUID written twice is refused */
	write_cache(path, 20, 1);
	c = NULL;
	assert_int_equal(cachescan_open(path, GUIDSET_KEY, &c, &m, &err), -1);
	assert_non_null(strstr(err.msg, "written twice"));
	assert_null(c);
	/* no file: 0 */
	unlink(path);
	assert_int_equal(cachescan_open(path, GUIDSET_KEY, &c, &m, &err), 0);
	free(r.got);
}

/* keep_third - cachescan_select's keep: the GUIDs of 0, 3, 6 ... */
static int
keep_third(void *ctx, const unsigned char *guid, size_t len)
{
	unsigned n;

	(void)ctx;
	assert_int_equal(len, GUIDSET_KEY);
	memcpy(&n, guid + 3, sizeof(n));
	return n % 3 == 0;
}

/* the selection: pass 2 hands out only the objects kept, in file order */
static void
test_cachescan_select(void **state)
{
	char path[] = "/tmp/rcptsync-cachescan-XXXXXX";
	int fd = mkstemp(path);
	struct objcache_mark m;
	struct sync_err err = {0};
	struct cachescan *c = NULL;
	struct replayed r = {calloc(200, sizeof(struct seen)), 0};

	(void)state;
	close(fd);
	write_cache(path, 200, 0);
	assert_int_equal(cachescan_open(path, GUIDSET_KEY, &c, &m, &err), 1);
	cachescan_select(c, keep_third, NULL);
	assert_int_equal(cachescan_stream(c, take, &r, &err), 0);
	assert_int_equal(r.n, 67);
	for (size_t k = 0; k < r.n; k++) {
		char want[40];

		snprintf(want, sizeof(want), "CN=%zu\n,OU=%%x", 3 * k);
		assert_string_equal(r.got[k].dn, want);
	}
	cachescan_free(c);
	unlink(path);
	free(r.got);
}

/* fill_spill - N objects of one value each into S */
static void
fill_spill(struct spill *s, unsigned n)
{
	struct sync_err err = {0};

	for (unsigned i = 0; i < n; i++) {
		unsigned char g[GUIDSET_KEY];

		guid_of(i, g);
		assert_int_equal(spill_put(s, g, sizeof(g), "CN=x,OU=y", &err),
				 0);
		spill_value(s, "SMTP:somebody@example.com", 25);
	}
}

/* count - cachewrite's take: objects and values taken */
static int
count(void *ctx, const struct cacheobj *o, struct sync_err *err)
{
	size_t *n = ctx;

	(void)err;
	n[0]++;
	n[1] += o->n;
	return 0;
}

/* leftovers - temporary files in DIR */
static int
leftovers(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "ls %s | grep -q rcptsync-tmp", dir);
	return system(cmd) == 0;
}

/*
 * a new cache that cannot be written (its directory gone; a full disk,
 * here a file size limit) fails no pull: every object is taken all the
 * same, no file is left, and the error is handed back for later
 */
static void
test_cachewrite_cannot_write(void **state)
{
	char dir[] = "/tmp/rcptsync-cachewrite-XXXXXX", near[300], gone[300];
	struct objcache_mark m = {.usn = 1};
	struct sync_err err = {0};
	struct spill *s;
	struct cachewrite w = {.mark = &m, .take = count};
	size_t taken[2];
	struct rlimit was, small;
	char *tmp = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(near, sizeof(near), "%s/relay_recipients.rcptsync-cache", dir);
	snprintf(gone, sizeof(gone), "%s/gone/relay_recipients.rcptsync-cache",
		 dir);
	strcpy(m.dc, "dc1");
	s = spill_new(near, GUIDSET_KEY, &err);
	assert_non_null(s);
	fill_spill(s, 300);
	assert_int_equal(spill_seal(s, &err), 0);
	w.fresh = s;
	w.ctx = taken;
	/* the file cannot even be made */
	memset(taken, 0, sizeof(taken));
	assert_int_equal(cachewrite_run(&w, gone, &tmp, &err), 0);
	assert_null(tmp);
	assert_int_equal(taken[0], 300);
	assert_int_equal(taken[1], 300);
	assert_int_equal(w.write_err.kind, SYNC_ERR_OUTPUT);
	assert_int_equal(err.kind, SYNC_ERR_NONE);
	/* made, but it cannot be written whole */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
	small = was;
	small.rlim_cur = 4096;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	memset(taken, 0, sizeof(taken));
	assert_int_equal(cachewrite_run(&w, near, &tmp, &err), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
	assert_null(tmp);
	assert_int_equal(taken[0], 300);
	assert_int_equal(w.write_err.kind, SYNC_ERR_OUTPUT);
	assert_false(leftovers(dir));
	/* and with room, a file */
	memset(taken, 0, sizeof(taken));
	assert_int_equal(cachewrite_run(&w, near, &tmp, &err), 0);
	assert_non_null(tmp);
	assert_int_equal(w.write_err.kind, SYNC_ERR_NONE);
	assert_int_equal(taken[0], 300);
	unlink(tmp);
	free(tmp);
	spill_free(s);
	rmdir(dir);
}

struct relent {
	size_t n, at;
	struct rlimit *was;
};

/* relent - cachewrite's take: after AT objects, the file size limit is
 * lifted again (a disk full for a moment) */
static int
relent(void *ctx, const struct cacheobj *o, struct sync_err *err)
{
	struct relent *r = ctx;

	(void)o;
	(void)err;
	if (++r->n == r->at)
		assert_int_equal(setrlimit(RLIMIT_FSIZE, r->was), 0);
	return 0;
}

/*
 * a full disk while the objects fetched are kept fails the pull before
 * any cache is written; one full for a moment while the new cache is
 * written leaves a file that lacks lines, which is no cache
 */
static void
test_full_disk(void **state)
{
	char dir[] = "/tmp/rcptsync-fulldisk-XXXXXX", near[300], gone[300];
	struct objcache_mark m = {.usn = 1};
	struct sync_err err = {0};
	struct rlimit was, small;
	struct relent rel = {0, 25000, &was};
	struct cachewrite w = {.mark = &m, .take = relent, .ctx = &rel};
	char *tmp = NULL;
	struct spill *s;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(near, sizeof(near), "%s/relay_recipients.rcptsync-cache", dir);
	snprintf(gone, sizeof(gone), "%s/gone/relay_recipients.rcptsync-cache",
		 dir);
	strcpy(m.dc, "dc1");
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
	small = was;
	small.rlim_cur = 4096;
	/* the spill: its objects are flushed at seal, and fail there */
	s = spill_new(near, GUIDSET_KEY, &err);
	assert_non_null(s);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	fill_spill(s, 300);
	assert_int_equal(spill_seal(s, &err), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
	assert_int_equal(err.kind, SYNC_ERR_OUTPUT);
	assert_non_null(strstr(err.msg, "objects fetched"));
	spill_free(s);
	/* the new cache: more than its 1 MiB buffer, the first write
	 * refused, the rest let through */
	memset(&err, 0, sizeof(err));
	s = spill_new(near, GUIDSET_KEY, &err);
	assert_non_null(s);
	fill_spill(s, 40000);
	assert_int_equal(spill_seal(s, &err), 0);
	w.fresh = s;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(cachewrite_run(&w, near, &tmp, &err), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
	assert_int_equal(rel.n, 40000);
	assert_null(tmp);
	assert_int_equal(w.write_err.kind, SYNC_ERR_OUTPUT);
	assert_false(leftovers(dir));
	spill_free(s);
	/* no directory yet (diff before the first sync): $TMPDIR */
	s = spill_new(gone, GUIDSET_KEY, &err);
	assert_non_null(s);
	spill_free(s);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guidset_last_copy),
		cmocka_unit_test(test_spill_last_copy),
		cmocka_unit_test(test_spill_removal),
		cmocka_unit_test(test_cachescan_passes),
		cmocka_unit_test(test_cachescan_select),
		cmocka_unit_test(test_cachewrite_cannot_write),
		cmocka_unit_test(test_full_disk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
