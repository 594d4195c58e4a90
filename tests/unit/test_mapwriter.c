/* SPDX-License-Identifier: MIT */
/* Unit tests: addrset, mapdiff, safety limits, maptext render/parse,
 * mapcommit's clean-up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "addrset.h"
#include "mapcommit.h"
#include "mapdelta.h"
#include "mapdb.h"
#include "mapread.h"
#include "mapsrc.h"
#include "maptype.h"
#include "mapdiff.h"
#include "maptext.h"
#include "safety.h"
#include "grace.h"
#include "state.h"
#include "tablediff.h"
#include "testutil.h"

/* set_of - a finished set from a NULL-terminated list of keys */
static struct addrset *
set_of(const char *const *keys, const char *value)
{
	struct addrset *s = addrset_new();

	for (; *keys; keys++)
		addrset_add(s, *keys, strlen(*keys), value, "dn");
	addrset_finish(s);
	return s;
}

static void
test_addrset_sort_dedupe(void **state)
{
	static const char *const keys[] = {"b@x.y", "a@x.y", "b@x.y",
					   "c@x.y", "a@x.y", NULL};
	struct addrset *s = addrset_new();

	(void)state;
	for (size_t i = 0; keys[i]; i++)
		addrset_add(s, keys[i], strlen(keys[i]), "OK",
			    i == 0 ? "first" : "later");
	assert_int_equal(addrset_finish(s), 2);
	assert_int_equal(addrset_count(s), 3);
	assert_string_equal(addrset_get(s, 0)->key, "a@x.y");
	assert_string_equal(addrset_get(s, 1)->key, "b@x.y");
	assert_string_equal(addrset_get(s, 1)->origin, "first");
	assert_string_equal(addrset_get(s, 2)->key, "c@x.y");
	assert_non_null(addrset_find(s, "c@x.y"));
	assert_null(addrset_find(s, "d@x.y"));
	addrset_free(s);
	/* An empty finished set has no slots at all (found by UBSan: the
	 * first sync's empty old table, searched for each added key). */
	s = addrset_new();
	addrset_finish(s);
	assert_null(addrset_find(s, "a@x.y"));
	addrset_free(s);
}

/*
 * The first copy of a key is the one kept, over many runs and copies
 * far apart: the merge takes an earlier run first on equal keys and each
 * run is sorted stably (addrset.c, runmerge.c), with no sequence number
 * in the slot.
 * Seeded: 40,000 adds of 3,000 keys, each origin its insertion number;
 * a kept origin must be the smallest number the key was added with.
 */
static void
test_addrset_first_copy_wins(void **state)
{
	enum { ADDS = 40000, KEYS = 3000 };
	static char origins[ADDS][8];
	static size_t first[KEYS];
	struct addrset *s = addrset_new();
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	char key[200];

	(void)state;
	for (size_t k = 0; k < KEYS; k++)
		first[k] = (size_t)-1;
	for (size_t i = 0; i < ADDS; i++) {
		size_t k;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		k = (size_t)(x % KEYS);
		/* long keys: the 40,000 copies fill dozens of blocks */
		snprintf(key, sizeof(key), "%0150zu@x.y", k);
		snprintf(origins[i], sizeof(origins[i]), "%zu", i);
		if (first[k] == (size_t)-1)
			first[k] = i;
		addrset_add(s, key, strlen(key), "OK", origins[i]);
		if (i % 997 == 0) /* an interned string between keys */
			(void)addrset_intern(s, "between");
	}
	addrset_finish(s);
	assert_int_equal(addrset_count(s), KEYS);
	for (size_t n = 0; n < addrset_count(s); n++) {
		const struct addrset_entry *e = addrset_get(s, n);
		size_t k = strtoul(e->key, NULL, 10);

		assert_int_equal(strtoul(e->origin, NULL, 10), first[k]);
	}
	addrset_free(s);
}

/*
 * The runs (addrset.c, runmerge.c) against a plain model, over seeded
 * random sequences: keys added in random and in sorted stretches (which
 * join the run before), filters and finishes between adds, and adds after
 * a finish.  The finished set must be the model's keys in order, each
 * with its first copy's origin, and the duplicates reported must be the
 * later copies, in key order, each with the kept copy's origin.
 */
struct model {
	char (*key)[24];
	size_t *origin; /* insertion number */
	size_t n;
};

struct reported {
	char key[24];
	size_t kept, dropped;
};

struct report_log {
	struct reported *v;
	size_t n;
};

static void
log_dup(void *ctx, const char *key, const char *kept, const char *dropped)
{
	struct report_log *l = ctx;

	snprintf(l->v[l->n].key, sizeof(l->v[l->n].key), "%s", key);
	l->v[l->n].kept = strtoul(kept, NULL, 10);
	l->v[l->n].dropped = strtoul(dropped, NULL, 10);
	l->n++;
}

/* keep_odd - drop every third insertion (CTX NULL), or (CTX two numbers)
 * every key in [lo, hi): whole runs emptied */
static int
keep_odd(void *ctx, const struct addrset_entry *e)
{
	const size_t *range = ctx;
	size_t k = strtoul(e->key + 1, NULL, 10);

	if (range != NULL)
		return k < range[0] || k >= range[1];
	return strtoul(e->origin, NULL, 10) % 3 != 0;
}

/* model_order - qsort: by key, then by insertion number */
static int
model_cmp(const void *a, const void *b)
{
	const size_t *x = a, *y = b; /* pairs: index into the model */
	extern struct model *model_sorting;
	int c = strcmp(model_sorting->key[*x], model_sorting->key[*y]);

	if (c != 0)
		return c;
	return (model_sorting->origin[*x] > model_sorting->origin[*y]) -
	       (model_sorting->origin[*x] < model_sorting->origin[*y]);
}
struct model *model_sorting;

/* model_finish - the model de-duplicated and sorted; the expected report */
static void
model_finish(struct model *m, struct report_log *want)
{
	size_t *idx = malloc((m->n ? m->n : 1) * sizeof(*idx)), out = 0;
	char(*key)[24] = malloc((m->n ? m->n : 1) * sizeof(*key));
	size_t *origin = malloc((m->n ? m->n : 1) * sizeof(*origin));

	for (size_t i = 0; i < m->n; i++)
		idx[i] = i;
	model_sorting = m;
	qsort(idx, m->n, sizeof(*idx), model_cmp);
	for (size_t i = 0; i < m->n; i++) {
		size_t j = idx[i];

		if (out > 0 && strcmp(key[out - 1], m->key[j]) == 0) {
			if (want != NULL) {
				struct reported *r = &want->v[want->n++];

				snprintf(r->key, sizeof(r->key), "%s",
					 m->key[j]);
				r->kept = origin[out - 1];
				r->dropped = m->origin[j];
			}
			continue;
		}
		memcpy(key[out], m->key[j], sizeof(key[out]));
		origin[out++] = m->origin[j];
	}
	memcpy(m->key, key, out * sizeof(*key));
	memcpy(m->origin, origin, out * sizeof(*origin));
	m->n = out;
	free(idx);
	free(key);
	free(origin);
}

/*
 * key_shape - key K in one of four shapes, by K and SEED, so that every
 * shape meets the others in one merge: "k0000042@x.y" (heads, the first
 * 8 bytes the merge compares first, all different), "42" (shorter than 8
 * bytes: the NUL inside the head), "42\xe9" and "42a" (a byte above 0x7f
 * after others: compared unsigned, as strcmp does, and not spread over
 * the bytes before it), or "abcdefg44" (8 bytes and more: "abcdefg4",
 * "abcdefg40", "abcdefg44" and "abcdefg48" have one head and the first is
 * a prefix of the others, so strcmp decides, and a duplicate must be the
 * same key, not the same head)
 */
static void
key_shape(char *key, size_t size, unsigned long long seed, size_t k)
{
	switch ((seed + k) % 4) {
	case 0: snprintf(key, size, "k%07zu@x.y", k); break;
	case 1: snprintf(key, size, "%zu", k); break;
	case 2: snprintf(key, size, "%zu%c", k, k % 2 ? '\xe9' : 'a'); break;
	default: snprintf(key, size, "abcdefg%zu", k); break;
	}
}

static void
test_addrset_runs(void **state)
{
	enum { MAX = 30000 };
	static char origins[4 * MAX][12];
	struct model m = {malloc(4 * MAX * sizeof(*m.key)),
			  malloc(4 * MAX * sizeof(*m.origin)), 0};
	struct report_log got = {malloc(4 * MAX * sizeof(*got.v)), 0},
			  want = {malloc(4 * MAX * sizeof(*want.v)), 0};

	(void)state;
	for (unsigned long long seed = 1; seed <= 24; seed++) {
		unsigned long long x = seed * 0x9e3779b97f4a7c15ULL;
		struct addrset *s = addrset_new();
		size_t adds = 0, pool;

#define NEXT() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
		m.n = 0;
		got.n = want.n = 0;
		pool = 1 + NEXT() % 20000;
		for (int phase = 0; phase < 4; phase++) {
			size_t n = NEXT() % MAX, sorted_from = NEXT() % 30000;

			for (size_t i = 0; i < n; i++) {
				char key[24];
				/* sorted stretches: runs that join */
				size_t k = i >= sorted_from ? i : NEXT() % pool;

				key_shape(key, sizeof(key), seed, k);
				snprintf(origins[adds], sizeof(origins[adds]),
					 "%zu", adds);
				addrset_add(s, key, strlen(key), "OK",
					    origins[adds]);
				memcpy(m.key[m.n], key, sizeof(m.key[m.n]));
				m.origin[m.n++] = adds++;
			}
			switch (NEXT() % 4) {
			case 0:
			case 3: { /* a filter between adds */
				size_t o = 0, lo = NEXT() % 30000,
				       range[2] = {lo, lo + NEXT() % 20000};
				size_t *r = phase % 2 ? range : NULL;

				addrset_filter(s, keep_odd, r);
				for (size_t i = 0; i < m.n; i++)
					if (r == NULL
						    ? m.origin[i] % 3 != 0
						    : strtoul(m.key[i] + 1,
							      NULL, 10) < lo ||
							      strtoul(m.key[i] +
									      1,
								      NULL,
								      10) >=
								      range[1]) {
						memmove(m.key[o], m.key[i],
							sizeof(m.key[o]));
						m.origin[o++] = m.origin[i];
					}
				m.n = o;
				break;
			}
			case 1: /* a finish between adds */
				addrset_finish_report(s, log_dup, &got);
				model_finish(&m, &want);
				break;
			default: break;
			}
		}
		addrset_finish_report(s, log_dup, &got);
		model_finish(&m, &want);
		assert_int_equal(addrset_count(s), m.n);
		for (size_t i = 0; i < m.n; i++) {
			const struct addrset_entry *e = addrset_get(s, i);

			assert_string_equal(e->key, m.key[i]);
			assert_int_equal(strtoul(e->origin, NULL, 10),
					 m.origin[i]);
		}
		/* reports: the model's are in key order; the set's too */
		assert_int_equal(got.n, want.n);
		for (size_t i = 0; i < want.n; i++) {
			assert_string_equal(got.v[i].key, want.v[i].key);
			assert_int_equal(got.v[i].kept, want.v[i].kept);
			assert_int_equal(got.v[i].dropped, want.v[i].dropped);
		}
		addrset_free(s);
#undef NEXT
	}
	free(m.key);
	free(m.origin);
	free(got.v);
	free(want.v);
}

struct recorded {
	char lines[16][64];
	int n;
};

static void
record(void *ctx, char op, const struct addrset_entry *e)
{
	struct recorded *r = ctx;

	snprintf(r->lines[r->n++], 64, "%c%s=%s", op, e->key, e->value);
}

static void
test_mapdiff(void **state)
{
	static const char *const old_keys[] = {"a@x.y", "b@x.y", "d@x.y", NULL};
	static const char *const new_keys[] = {"b@x.y", "c@x.y", "d@x.y",
					       "e@x.y", NULL};
	struct addrset *o = set_of(old_keys, "OK"), *n = set_of(new_keys, "OK");
	struct mapdiff_counts c;
	struct recorded r = {.n = 0};

	(void)state;
	mapdiff_run(o, n, record, &r, &c);
	assert_int_equal(c.added, 2);
	assert_int_equal(c.removed, 1);
	assert_int_equal(c.unchanged, 2);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.lines[0], "-a@x.y=OK");
	assert_string_equal(r.lines[1], "+c@x.y=OK");
	assert_string_equal(r.lines[2], "+e@x.y=OK");
	assert_true(mapdiff_changed(&c));
	mapdiff_run(n, n, NULL, NULL, &c);
	assert_false(mapdiff_changed(&c));
	addrset_free(o);
	addrset_free(n);
}

static void
test_mapdiff_value_change(void **state)
{
	static const char *const keys[] = {"a@x.y", NULL};
	struct addrset *o = set_of(keys, "OK"), *n = set_of(keys, "RELAY");
	struct mapdiff_counts c;
	struct recorded r = {.n = 0};

	(void)state;
	mapdiff_run(o, n, record, &r, &c);
	assert_int_equal(c.revalued, 1);
	assert_string_equal(r.lines[0], "-a@x.y=OK");
	assert_string_equal(r.lines[1], "+a@x.y=RELAY");
	addrset_free(o);
	addrset_free(n);
}

struct safety_row {
	const char *name;
	struct safety_limits lim;
	int old_exists;
	size_t old_count, new_count, removed;
	int want; /* 0 ok, -1 refused */
};

static void
test_safety(void **state)
{
	static const struct safety_row rows[] = {
		{"10% of 1000, remove 100", {0, 10, 1}, 1, 1000, 900, 100, 0},
		{"10% of 1000, remove 101", {0, 10, 1}, 1, 1000, 899, 101, -1},
		{"count 5, remove 5", {5, -1, 1}, 1, 10, 5, 5, 0},
		{"count 5, remove 6", {5, -1, 1}, 1, 10, 4, 6, -1},
		{"first run not limited", {0, 0, 1}, 0, 0, 10, 0, 0},
		{"empty result refused", {0, 100, 1}, 1, 10, 0, 10, -1},
		{"empty result refused on first run",
		 {0, 100, 1},
		 0,
		 0,
		 0,
		 0,
		 -1},
		{"min 0 allows empty", {0, 100, 0}, 1, 10, 0, 10, 0},
		{"0% with removal", {0, 0, 1}, 1, 10, 9, 1, -1},
		{"no removal, growth", {0, 0, 1}, 1, 10, 20, 0, 0},
	};
	struct sync_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct safety_row *r = &rows[i];
		int got = safety_check(&r->lim, r->old_exists, r->old_count,
				       r->new_count, r->removed, &err);

		if (got != r->want)
			fail_msg("row \"%s\": got %d, want %d", r->name, got,
				 r->want);
		if (got < 0 && (err.kind != SYNC_ERR_DATA ||
				strstr(err.msg, "safety.") == NULL))
			fail_msg("row \"%s\": error must name the limit: %s",
				 r->name, err.msg);
	}
}

/* write_file - a temporary file holding TEXT; the caller unlinks it */
static char *
write_file(const char *text)
{
	static char path[64];

	testutil_write_temp(text, path, sizeof(path));
	return path;
}

static void
test_maptext_roundtrip(void **state)
{
	static const char *const keys[] = {"b@x.y", "a@x.y", NULL};
	struct addrset *s = set_of(keys, "OK"), *back = addrset_new();
	struct sync_err err;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	int exists;

	(void)state;
	assert_int_equal(maptext_write(fp, s, &err), 0);
	fclose(fp);
	assert_string_equal(buf, MAPTEXT_HEADER "a@x.y\tOK\nb@x.y\tOK\n");
	char *path = write_file(buf);

	assert_int_equal(maptext_read(path, MAPTEXT_ANY_KEY, back, "table",
				      &exists, &err),
			 0);
	assert_int_equal(exists, 1);
	addrset_finish(back);
	assert_int_equal(addrset_count(back), 2);
	assert_string_equal(addrset_get(back, 0)->key, "a@x.y");
	unlink(path);
	free(buf);
	addrset_free(s);
	addrset_free(back);
}

/* same_as_lines - SET written by maptext_write() is SET written line by
 * line with fprintf(); returns its length */
static size_t
same_as_lines(const struct addrset *set)
{
	char *buf = NULL, *want = NULL;
	size_t len = 0, wlen = 0;
	FILE *fp = open_memstream(&buf, &len), *wp;
	struct sync_err err;

	assert_int_equal(maptext_write(fp, set, &err), 0);
	fclose(fp);
	wp = open_memstream(&want, &wlen);
	fputs(MAPTEXT_HEADER, wp);
	for (size_t i = 0; i < addrset_count(set); i++)
		fprintf(wp, "%s\t%s\n", addrset_get(set, i)->key,
			addrset_get(set, i)->value);
	fclose(wp);
	assert_int_equal(len, wlen);
	assert_memory_equal(buf, want, len);
	free(buf);
	free(want);
	return len;
}

/* The table written in chunks (maptext.c) is the table written line by
 * line: lines of 13 to 109 bytes across the chunks' edges, with a line
 * longer than a chunk among them; lines that fill each chunk exactly;
 * and a stream that cannot be written is an OUTPUT error. */
static void
test_maptext_chunks(void **state)
{
	struct addrset *s = addrset_new(), *exact = addrset_new();
	size_t biglen = MAPTEXT_CHUNK + 1000;
	char *big = malloc(biglen + 1), key[160];
	struct sync_err err;
	FILE *full;

	(void)state;
	assert_non_null(big);
	memset(big, 'v', biglen);
	big[biglen] = '\0';
	for (int i = 0; i < 20000; i++) {
		int n = snprintf(
			key, sizeof(key), "%05d%.*s@x.y", i, i % 97,
			"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
			"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk");

		addrset_add(s, key, (size_t)n, i == 7777 ? big : "OK", "t");
	}
	addrset_finish(s);
	assert_true(same_as_lines(s) > 3 * MAPTEXT_CHUNK + biglen);
	/* 64-byte lines ("KEY<TAB>OK<NL>", a key of 60), 1024 a chunk */
	for (int i = 0; i < 3 * 1024 + 5; i++) {
		snprintf(key, sizeof(key), "%054d@x.com", i);
		assert_int_equal(strlen(key) + 4, 64);
		addrset_add(exact, key, strlen(key), "OK", "t");
	}
	addrset_finish(exact);
	assert_int_equal(MAPTEXT_CHUNK % 64, 0);
	same_as_lines(exact);
	/* ENOSPC on every write */
	full = fopen("/dev/full", "w");
	assert_non_null(full);
	assert_int_equal(maptext_write(full, s, &err), -1);
	assert_int_equal(err.kind, SYNC_ERR_OUTPUT);
	fclose(full);
	addrset_free(s);
	addrset_free(exact);
	free(big);
}

struct parse_row {
	const char *name;
	const char *text;
	enum maptext_keys keys;
	int want; /* 0 ok, -1 error */
	const char *want_in_msg;
	size_t want_count;
};

static void
test_maptext_parse(void **state)
{
	static const struct parse_row rows[] = {
		{"comments and blanks", "# c\n\n  # c2\nA@X.Y  OK \n",
		 MAPTEXT_ANY_KEY, 0, NULL, 1},
		{"no value", "a@x.y\n", MAPTEXT_ANY_KEY, -1,
		 ":1: line has a key "
		 "but no value",
		 0},
		{"continuation", "a@x.y OK\n  more\n", MAPTEXT_ANY_KEY, -1,
		 ":2:", 0},
		{"extra: not an address", "a@x.y OK\nnot-an-address OK\n",
		 MAPTEXT_ADDRESS_KEY, -1, ":2:", 0},
		{"extra: catch-all allowed", "@corp.example OK\n",
		 MAPTEXT_ADDRESS_KEY, 0, NULL, 1},
		{"extra: non-ascii", "j\xc3\xbcrgen@x.y OK\n",
		 MAPTEXT_ADDRESS_KEY, -1, "non-ASCII", 0},
		{"no trailing newline", "a@x.y OK", MAPTEXT_ANY_KEY, 0, NULL,
		 1},
	};
	struct sync_err err;
	int exists;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct parse_row *r = &rows[i];
		struct addrset *s = addrset_new();
		char *path = write_file(r->text);
		int got = maptext_read(path, r->keys, s, "t", &exists, &err);

		if (got != r->want)
			fail_msg("row \"%s\": got %d, want %d (%s)", r->name,
				 got, r->want, got ? err.msg : "");
		if (got < 0 && strstr(err.msg, r->want_in_msg) == NULL)
			fail_msg("row \"%s\": message \"%s\" lacks \"%s\"",
				 r->name, err.msg, r->want_in_msg);
		if (got == 0 && addrset_count(s) != r->want_count)
			fail_msg("row \"%s\": %zu keys", r->name,
				 addrset_count(s));
		unlink(path);
		addrset_free(s);
	}
	struct addrset *s = addrset_new();

	assert_int_equal(maptext_read("/nonexistent/x", MAPTEXT_ANY_KEY, s, "t",
				      &exists, &err),
			 0);
	assert_int_equal(exists, 0);
	addrset_free(s);
}

/* Clean-up takes our temporaries, Berkeley DB's "__db." ones among them,
 * and nothing else. */
static void
test_cleanup(void **state)
{
	static const struct {
		const char *name;
		int leftover;
	} rows[] = {
		{"t", 0},
		{"t.db", 0},
		{"t.lmdb", 0},
		{"t.rcptsync-tmp.Ab12Cd", 1},
		{"t.rcptsync-tmp.Ab12Cd.db", 1},
		{"t.rcptsync-tmp.Ab12Cd.cdb", 1},
		{"__db.t.rcptsync-tmp.Ab12Cd.db", 1},
		{"t.rcptsync-state.rcptsync-tmp.Xy", 1},
		{"t.rcptsync-seal.rcptsync-tmp.Xy", 1},
		{"t.rcptsync-seal", 0},
		{"t.rcptsync-cache.3.rcptsync-tmp.Xy", 1},
		{"__db.t.db", 0},
		{"__db.other.rcptsync-tmp.Ab12Cd.db", 0},
		{"u.rcptsync-tmp.Ab12Cd", 0},
	};
	size_t n = sizeof(rows) / sizeof(rows[0]);
	char dir[] = "/tmp/rcptsync-cleanup.XXXXXX", path[128];
	int want = 0;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < n; i++) {
		FILE *fp;

		snprintf(path, sizeof(path), "%s/%s", dir, rows[i].name);
		assert_non_null(fp = fopen(path, "w"));
		fclose(fp);
		want += rows[i].leftover;
	}
	snprintf(path, sizeof(path), "%s/t", dir);
	assert_int_equal(mapcommit_cleanup(path), want);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, rows[i].name);
		assert_int_equal(stat(path, &st) == 0, !rows[i].leftover);
		(void)unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* random_set - a finished set: N keys of the form uK@x.y, K < RANGE */
static struct addrset *
random_set(unsigned *seed, size_t n, unsigned range)
{
	struct addrset *s = addrset_new();
	char key[32];

	for (size_t i = 0; i < n; i++) {
		int len = snprintf(key, sizeof(key), "u%u@x.y",
				   (unsigned)rand_r(seed) % range);

		addrset_add(s, key, (size_t)len,
			    rand_r(seed) % 8 ? "OK" : "relay", "dn");
	}
	addrset_finish(s);
	return s;
}

/* mutate - a copy of OLD with a few keys added, removed and revalued */
static struct addrset *
mutate(unsigned *seed, const struct addrset *old, unsigned range)
{
	struct addrset *s = addrset_new();
	size_t ops = 1 + (size_t)rand_r(seed) % 40;
	char key[32];

	for (size_t i = 0; i < addrset_count(old); i++) {
		const struct addrset_entry *e = addrset_get(old, i);
		unsigned r = (unsigned)rand_r(seed) % 200;

		if (r == 0)
			continue; /* removed */
		addrset_add(s, e->key, strlen(e->key),
			    r == 1 ? (strcmp(e->value, "OK") ? "OK" : "relay")
				   : e->value,
			    "dn");
	}
	for (size_t i = 0; i < ops; i++) {
		int len = snprintf(key, sizeof(key), "u%u@x.y",
				   range + (unsigned)rand_r(seed) % range);

		addrset_add(s, key, (size_t)len, "OK", "dn");
	}
	addrset_finish(s);
	return s;
}

/* assert_map_is - the map at PATH holds exactly the pairs of WANT */
static void
assert_map_is(const char *path, enum mapdb_type type,
	      const struct addrset *want)
{
	struct addrset *got = addrset_new();
	struct sync_err err = {0};

	assert_int_equal(mapread_keys(path, type, got, "map", &err), 0);
	addrset_finish(got);
	assert_int_equal(addrset_count(got), addrset_count(want));
	for (size_t i = 0; i < addrset_count(want); i++) {
		assert_string_equal(addrset_get(got, i)->key,
				    addrset_get(want, i)->key);
		assert_string_equal(addrset_get(got, i)->value,
				    addrset_get(want, i)->value);
	}
	addrset_free(got);
}

/*
 * A map updated from a copy holds exactly what a rebuild would, over a
 * seeded random sequence of changes; a delta that does not fit the map
 * (a key to delete that is not there) falls back to a rebuild.
 */
static void
update_type(enum mapdb_type type)
{
	char dir[] = "/tmp/rcptsync-delta.XXXXXX", table[128], map[160];
	struct sync_err err = {0};
	unsigned seed = 17;
	struct addrset *cur, *next;

	assert_non_null(mkdtemp(dir));
	snprintf(table, sizeof(table), "%s/t", dir);
	snprintf(map, sizeof(map), "%s%s", table, mapdb_suffix(type));
	cur = random_set(&seed, 3000, 100000);
	assert_int_equal(mapcommit_publish(table, type, cur, NULL, &err), 0);
	for (int step = 0; step < 20; step++) {
		struct mapcommit_how how = {0};
		struct mapdelta *d = mapdelta_new(1000);
		struct mapdiff_counts counts;

		next = mutate(&seed, cur, 100000);
		mapdiff_run(cur, next, mapdelta_note, d, &counts);
		assert_true(mapdelta_finish(d));
		how.delta = d;
		assert_int_equal(
			mapcommit_publish(table, type, next, &how, &err), 0);
		assert_true(how.updated);
		assert_map_is(map, type, next);
		mapdelta_free(d);
		addrset_free(cur);
		cur = next;
	}
	/* a deletion the map cannot take: rebuilt, and still right */
	{
		struct mapcommit_how how = {0};
		struct mapdelta *d = mapdelta_new(10);
		struct addrset_entry ghost = {"nobody@x.y", "OK", "dn"};

		mapdelta_note(d, '-', &ghost);
		assert_true(mapdelta_finish(d));
		how.delta = d;
		assert_int_equal(
			mapcommit_publish(table, type, cur, &how, &err), 0);
		assert_false(how.updated);
		assert_non_null(strstr(how.why.msg, "nobody@x.y"));
		assert_map_is(map, type, cur);
		mapdelta_free(d);
	}
	addrset_free(cur);
	assert_int_equal(mapcommit_cleanup(table), 0);
	(void)unlink(map);
	(void)unlink(table);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_update_from_copy(void **state)
{
	int tested = 0;

	(void)state;
	for (int t = 0; t < maptype_count(); t++)
		if (maptype_get(t)->update != NULL) {
			update_type((enum mapdb_type)t);
			tested++;
		}
	/* the full build has hash, btree and lmdb; cdb cannot be updated */
	if (maptype_get(MAPDB_HASH)->built)
		assert_true(tested >= 2);
	assert_null(maptype_get(MAPDB_CDB)->update);
}

/* What release_into counts, the set it frees, the table it looks at. */
struct released {
	struct addrset *set;
	int calls;
	const char *table, *suffix;
};

/* tmp_files - how many of TABLE's temporary files end in SUFFIX ("") */
static size_t
tmp_files(const char *table, const char *suffix)
{
	char pattern[256];
	glob_t g;
	size_t n = 0;

	snprintf(pattern, sizeof(pattern), "%s.rcptsync-tmp.*", table);
	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *dot = strrchr(g.gl_pathv[i], '.');

		n += *suffix != '\0' ? strcmp(dot, suffix) == 0
				     : strstr(dot, "rcptsync-tmp") == NULL &&
					       strlen(dot) == 7; /* .XXXXXX */
	}
	globfree(&g);
	return n;
}

/* release_into - mapcommit_how's release: the set goes, as sync's does,
 * once the text is written and before the map is begun */
static void
release_into(void *arg)
{
	struct released *r = arg;

	r->calls++;
	assert_int_equal(tmp_files(r->table, ""), 1);
	assert_int_equal(tmp_files(r->table, r->suffix), 0);
	addrset_free(r->set);
	r->set = NULL;
}

/* copy_from - a finished copy of the entries of SET from index FROM on */
static struct addrset *
copy_from(const struct addrset *set, size_t from)
{
	struct addrset *copy = addrset_new();

	for (size_t i = from; i < addrset_count(set); i++) {
		const struct addrset_entry *e = addrset_get(set, i);

		addrset_add(copy, e->key, strlen(e->key), e->value, e->origin);
	}
	addrset_finish(copy);
	return copy;
}

/*
 * rebuild_released - a map built anew with a release: the release is
 * called once, after the text and before the map (release_into), the set
 * is freed there (valgrind, ASan: not read again), and the map holds
 * exactly what the set held, other values and a key with upper case
 * too; an update of a copy calls no release, and one that does not fit
 * falls back to a build that does.
 */
static void
rebuild_released(enum mapdb_type type)
{
	char dir[] = "/tmp/rcptsync-release.XXXXXX", table[128], map[160];
	struct sync_err err = {0};
	unsigned seed = 23;
	struct addrset *want = random_set(&seed, 3000, 100000);
	struct released r = {NULL, 0, table, mapdb_suffix(type)};
	struct mapcommit_how how = {.release = release_into, .release_arg = &r};
	struct addrset *text = addrset_new();
	int exists;

	/* a value of more than one word, as output.value may be; a key with
	 * upper case, as a map served without its text may bring back
	 * (stored as it is, as a build from the set stored it) */
	addrset_add(want, "v@x.y", 5, "REJECT not here", "dn");
	addrset_add(want, "U2@x.y", 6, "OK", "dn");
	addrset_finish(want);
	r.set = copy_from(want, 0);
	assert_non_null(mkdtemp(dir));
	snprintf(table, sizeof(table), "%s/t", dir);
	snprintf(map, sizeof(map), "%s%s", table, mapdb_suffix(type));
	assert_int_equal(mapcommit_publish(table, type, r.set, &how, &err), 0);
	assert_int_equal(r.calls, 1);
	assert_null(r.set);
	assert_null(how.release);
	assert_map_is(map, type, want);
	assert_int_equal(
		maptext_read(table, MAPTEXT_ANY_KEY, text, "t", &exists, &err),
		0);
	addrset_finish(text);
	assert_int_equal(addrset_count(text), addrset_count(want));
	addrset_free(text);
	/* updated from a copy: no release, the set is the caller's still */
	if (maptype_get(type)->update != NULL) {
		struct mapdelta *d = mapdelta_new(10);
		struct addrset_entry gone = *addrset_get(want, 0);
		struct addrset *next = copy_from(want, 1);

		mapdelta_note(d, '-', &gone);
		assert_true(mapdelta_finish(d));
		how = (struct mapcommit_how){
			.delta = d, .release = release_into, .release_arg = &r};
		assert_int_equal(
			mapcommit_publish(table, type, next, &how, &err), 0);
		assert_true(how.updated);
		assert_int_equal(r.calls, 1);
		assert_map_is(map, type, next);
		mapdelta_free(d);
		/* an update that does not fit falls back to a build: released
		 */
		d = mapdelta_new(10);
		gone = (struct addrset_entry){"nobody@x.y", "OK", "dn"};
		mapdelta_note(d, '-', &gone);
		assert_true(mapdelta_finish(d));
		r.set = next;
		how = (struct mapcommit_how){
			.delta = d, .release = release_into, .release_arg = &r};
		assert_int_equal(
			mapcommit_publish(table, type, next, &how, &err), 0);
		assert_false(how.updated);
		assert_int_equal(r.calls, 2);
		assert_null(r.set);
		mapdelta_free(d);
		next = copy_from(want, 1);
		assert_map_is(map, type, next);
		addrset_free(next);
	}
	addrset_free(want);
	assert_int_equal(mapcommit_cleanup(table), 0);
	(void)unlink(map);
	(void)unlink(table);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_rebuild_after_release(void **state)
{
	int tested = 0;

	(void)state;
	for (int t = 0; t < maptype_count(); t++)
		if (maptype_get(t)->built && maptype_get(t)->build != NULL) {
			rebuild_released((enum mapdb_type)t);
			tested++;
		}
	if (maptype_get(MAPDB_HASH)->built)
		assert_true(tested >= 2);
}

/* count_pair - mapsrc_fn: counts */
static int
count_pair(void *ctx, const char *key, size_t key_len, const char *value,
	   size_t value_len, struct sync_err *err)
{
	(void)key, (void)key_len, (void)value, (void)value_len, (void)err;
	++*(size_t *)ctx;
	return 0;
}

/*
 * A map is built from a text only when the text holds as many pairs as
 * the set it was written from: fewer, more, or no file is an OUTPUT
 * error naming the file, and the map's file is not left behind.
 */
static void
test_mapsrc_read_back(void **state)
{
	char dir[] = "/tmp/rcptsync-mapsrc.XXXXXX", text[128], map[160];
	struct mapsrc src = {0};
	struct sync_err err = {0};
	size_t n = 0;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof(text), "%s/t", dir);
	snprintf(map, sizeof(map), "%s/t.db", dir);
	assert_non_null(fp = fopen(text, "w"));
	fputs("# header\na@x.y\tOK\nb@x.y\tOK\n", fp);
	assert_int_equal(fclose(fp), 0);
	src = (struct mapsrc){2, 12, NULL, text};
	assert_int_equal(mapsrc_each(&src, count_pair, &n, &err), 0);
	assert_int_equal(n, 2);
	src.count = 3;
	assert_int_equal(mapsrc_each(&src, count_pair, &n, &err), -1);
	assert_int_equal(err.kind, SYNC_ERR_OUTPUT);
	assert_non_null(strstr(err.msg, "2 entries read back for a map of 3"));
	assert_non_null(strstr(err.msg, text));
	src.count = 1;
	n = 0;
	assert_int_equal(mapsrc_each(&src, count_pair, &n, &err), -1);
	assert_int_equal(n, 1); /* nothing past the count is given */
	assert_non_null(strstr(err.msg,
			       "more than 1 entries read back for a map of 1"));
	if (maptype_get(MAPDB_HASH)->built) {
		src.count = 3;
		assert_int_equal(mapdb_build_from(map, MAPDB_HASH, &src, &err),
				 -1);
		assert_non_null(strstr(err.msg, "2 entries read back"));
		assert_int_equal(access(map, F_OK), -1);
	}
	assert_int_equal(unlink(text), 0);
	src.count = 2;
	assert_int_equal(mapsrc_each(&src, count_pair, &n, &err), -1);
	assert_non_null(strstr(err.msg, "gone before its map was built"));
	assert_int_equal(rmdir(dir), 0);
}

/* restore_in_place - write PATH's bytes back over it as cp -p does (same
 * inode, the old mtime set back): from SAVED, LEN bytes */
static void
restore_in_place(const char *path, const char *saved, size_t len,
		 const struct stat *old)
{
	struct timespec times[2] = {old->st_atim, old->st_mtim};
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(saved, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

/*
 * The identity of the published files: unknown is never ours; a hook's
 * chmod of the text and then of the map, recorded after it, is ours; a
 * text restored in place with its old mtime (cp -p) is not, nor a map
 * rewritten in place, nor the text replaced.
 */
static void
test_files_identity(void **state)
{
	char dir[] = "/tmp/rcptsync-ident.XXXXXX", table[128], map[160];
	char saved[4096];
	struct sync_err err = {0};
	struct mapcommit_files ours = {0};
	struct addrset *set = addrset_new();
	struct stat before;
	size_t len;
	FILE *fp;

	(void)state;
	if (!maptype_get(MAPDB_HASH)->built)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(table, sizeof(table), "%s/t", dir);
	snprintf(map, sizeof(map), "%s.db", table);
	addrset_add(set, "a@x.y", 5, "OK", "dn");
	addrset_finish(set);
	assert_int_equal(mapcommit_publish(table, MAPDB_HASH, set, NULL, &err),
			 0);
	assert_true(mapcommit_replaced(table, MAPDB_HASH, &ours));
	mapcommit_files(table, MAPDB_HASH, &ours);
	assert_false(mapcommit_replaced(table, MAPDB_HASH, &ours));
	/* a hook fixes permissions, the text then the map, after which the
	 * identity is recorded: ours */
	assert_int_equal(chmod(table, 0640), 0);
	usleep(20000); /* past the file system's timestamp granularity */
	assert_int_equal(chmod(map, 0640), 0);
	assert_true(mapcommit_replaced(table, MAPDB_HASH, &ours));
	mapcommit_files(table, MAPDB_HASH, &ours);
	assert_false(mapcommit_replaced(table, MAPDB_HASH, &ours));
	/* the text restored in place with its old mtime: not ours */
	assert_int_equal(stat(table, &before), 0);
	fp = fopen(table, "r");
	assert_non_null(fp);
	len = fread(saved, 1, sizeof(saved), fp);
	fclose(fp);
	usleep(20000);
	restore_in_place(table, saved, len, &before);
	assert_true(mapcommit_replaced(table, MAPDB_HASH, &ours));
	/* the map replaced by a new build: not ours */
	mapcommit_files(table, MAPDB_HASH, &ours);
	assert_int_equal(mapcommit_publish(table, MAPDB_HASH, set, NULL, &err),
			 0);
	assert_true(mapcommit_replaced(table, MAPDB_HASH, &ours));
	addrset_free(set);
	(void)unlink(map);
	(void)unlink(table);
	assert_int_equal(rmdir(dir), 0);
}

/* A delta past its limit is not usable: the map is rebuilt. */
static void
test_delta_limit(void **state)
{
	struct mapdelta *d = mapdelta_new(2);
	struct addrset_entry e = {"a@x.y", "OK", "dn"};

	(void)state;
	mapdelta_note(d, '+', &e);
	mapdelta_note(d, '-', &e);
	assert_true(mapdelta_finish(d));
	mapdelta_note(d, '+', &e);
	assert_false(mapdelta_finish(d));
	mapdelta_free(d);
}

/* One change as reported, for comparing the two walks. */
struct seen {
	char text[64 * 1024];
	size_t len;
};

static void
record_change(void *ctx, char op, const struct addrset_entry *e)
{
	struct seen *s = ctx;

	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len,
				   "%c%s=%s\n", op, e->key, e->value);
}

/* write_table - SET as a text table at PATH (maptext_write's format) */
static void
write_table(const char *path, const struct addrset *set)
{
	FILE *fp = fopen(path, "w");
	struct sync_err err = {0};

	assert_non_null(fp);
	assert_int_equal(maptext_write(fp, set, &err), 0);
	assert_int_equal(fclose(fp), 0);
}

/* copy_set - a finished copy of SET */
static struct addrset *
copy_set(const struct addrset *set)
{
	struct addrset *c = addrset_new();

	for (size_t i = 0; i < addrset_count(set); i++) {
		const struct addrset_entry *e = addrset_get(set, i);

		addrset_add(c, e->key, strlen(e->key), e->value, e->origin);
	}
	addrset_finish(c);
	return c;
}

/* seed_pending - every 7th key of OLD already pending since an earlier
 * run, so the grace period counts on from there (sorted, as state keeps
 * it) */
static void
seed_pending(struct sync_state *st, const struct addrset *old)
{
	for (size_t i = 0; i < addrset_count(old); i += 7) {
		const struct addrset_entry *e = addrset_get(old, i);
		struct state_pending *p;

		st->pending = realloc(st->pending, (st->n_pending +
						    1) * sizeof(*st->pending));
		assert_non_null(st->pending);
		p = &st->pending[st->n_pending++];
		p->key = strdup(e->key);
		p->value = strdup(e->value);
		p->since = 500;
		p->runs = 1;
	}
}

/*
 * The streaming walk over the table on disk reports exactly what reading
 * the table into a set and comparing the sets reports: the same changes
 * in the same order, the same counts, the same keys kept in their grace
 * period; over seeded random tables, changes and grace rules.
 */
static void
test_tablediff_equals_sets(void **state)
{
	char path[] = "/tmp/rcptsync-tablediff.XXXXXX";
	unsigned seed = 5;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	for (int round = 0; round < 40; round++) {
		struct addrset *old = random_set(&seed, 300, 2000);
		struct addrset *fresh = mutate(&seed, old, 2000);
		struct addrset *a = copy_set(fresh), *b = copy_set(fresh);
		struct grace_rule rule = {0, round % 3}; /* none, 1, 2 runs */
		struct sync_state st_a, st_b;
		struct grace_counts gc_a, gc_b;
		struct mapdiff_counts mc;
		struct tablediff_result td;
		struct grace_run g;
		struct sync_err err = {0};
		static struct seen seen_a, seen_b;
		struct grace_how how_a = {&rule, &st_a, 1000,
					  NULL,	 NULL,	&gc_a};
		struct grace_how how_b = {&rule, &st_b, 1000,
					  NULL,	 NULL,	&gc_b};
		struct tablediff_walk walk = {path, NULL, &g, record_change,
					      &seen_b};

		memset(&st_a, 0, sizeof(st_a));
		memset(&st_b, 0, sizeof(st_b));
		seed_pending(&st_a, old);
		seed_pending(&st_b, old);
		seen_a.len = seen_b.len = 0;
		write_table(path, old);
		/* the reference: two sets */
		grace_apply(&how_a, old, a);
		mapdiff_run(old, a, record_change, &seen_a, &mc);
		/* the walk */
		grace_begin(&g, &how_b);
		walk.new_set = b;
		assert_int_equal(tablediff_stream(&walk, &td, &err), 0);
		assert_int_equal(td.old_count, addrset_count(old));
		assert_int_equal(td.counts.added, mc.added);
		assert_int_equal(td.counts.removed, mc.removed);
		assert_int_equal(td.counts.revalued, mc.revalued);
		assert_int_equal(td.counts.unchanged, mc.unchanged);
		assert_int_equal(gc_b.kept, gc_a.kept);
		assert_int_equal(gc_b.expired, gc_a.expired);
		assert_int_equal(addrset_count(b), addrset_count(a));
		for (size_t i = 0; i < addrset_count(a); i++) {
			const struct addrset_entry *x = addrset_get(a, i);
			const struct addrset_entry *y = addrset_get(b, i);

			assert_string_equal(y->key, x->key);
			assert_string_equal(y->value, x->value);
			assert_string_equal(y->origin, x->origin);
		}
		assert_int_equal(st_b.n_pending, st_a.n_pending);
		for (size_t i = 0; i < st_a.n_pending; i++) {
			assert_string_equal(st_b.pending[i].key,
					    st_a.pending[i].key);
			assert_string_equal(st_b.pending[i].value,
					    st_a.pending[i].value);
			assert_int_equal(st_b.pending[i].since,
					 st_a.pending[i].since);
			assert_int_equal(st_b.pending[i].runs,
					 st_a.pending[i].runs);
		}
		assert_int_equal(seen_b.len, seen_a.len);
		assert_memory_equal(seen_b.text, seen_a.text, seen_a.len);
		state_free(&st_a);
		state_free(&st_b);
		addrset_free(old);
		addrset_free(fresh);
		addrset_free(a);
		addrset_free(b);
	}
	(void)unlink(path);
}

/* A table out of order is left to the set path: nothing is reported. */
static void
test_tablediff_unsorted(void **state)
{
	static const char *const fresh_keys[] = {"a@x.y", NULL};
	struct addrset *fresh = set_of(fresh_keys, "OK");
	char *path = write_file("# head\nb@x.y\tOK\na@x.y\tOK\n");
	struct grace_rule rule = {0, 0};
	struct sync_state st;
	struct grace_counts gc;
	struct tablediff_result td;
	struct grace_run g;
	struct sync_err err = {0};
	static struct seen seen;
	struct grace_how how = {&rule, &st, 1000, NULL, NULL, &gc};
	struct tablediff_walk walk = {path, fresh, &g, record_change, &seen};

	(void)state;
	memset(&st, 0, sizeof(st));
	grace_begin(&g, &how);
	assert_int_equal(tablediff_stream(&walk, &td, &err),
			 TABLEDIFF_UNSORTED);
	assert_int_equal(seen.len, 0);
	(void)unlink(path);
	addrset_free(fresh);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maptext_chunks),
		cmocka_unit_test(test_addrset_sort_dedupe),
		cmocka_unit_test(test_addrset_first_copy_wins),
		cmocka_unit_test(test_addrset_runs),
		cmocka_unit_test(test_mapdiff),
		cmocka_unit_test(test_mapdiff_value_change),
		cmocka_unit_test(test_safety),
		cmocka_unit_test(test_maptext_roundtrip),
		cmocka_unit_test(test_maptext_parse),
		cmocka_unit_test(test_cleanup),
		cmocka_unit_test(test_update_from_copy),
		cmocka_unit_test(test_rebuild_after_release),
		cmocka_unit_test(test_mapsrc_read_back),
		cmocka_unit_test(test_delta_limit),
		cmocka_unit_test(test_files_identity),
		cmocka_unit_test(test_tablediff_equals_sets),
		cmocka_unit_test(test_tablediff_unsorted),
	};

	return cmocka_run_group_tests_name("mapwriter", tests, NULL, NULL);
}
