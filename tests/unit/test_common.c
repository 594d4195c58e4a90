/* SPDX-License-Identifier: MIT */
/* Unit tests: FNV-1a gives the published known answers, and the cache
 * file's marks made with it are those of every earlier release; the seen
 * set tells every name it holds from every one it does not, across its
 * growth; atomicfile_replace puts the new file in place or leaves the old
 * one and no temporary behind. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "atomicfile.h"
#include "cachefile.h"
#include "fnv.h"
#include "seen.h"

/* FNV-1a 64: the known answers of draft-eastlake-fnv's test vectors */
static void
test_fnv(void **state)
{
	static const struct {
		const char *in;
		uint64_t want;
	} rows[] = {
		{"", 0xcbf29ce484222325ULL},
		{"a", 0xaf63dc4c8601ec8cULL},
		{"foobar", 0x85944171f73967e8ULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(fnv1a_64(FNV1A_64_OFFSET, rows[i].in,
					  strlen(rows[i].in)),
				 rows[i].want);
	/* chained parts hash as the whole; NULL with length 0 is nothing */
	assert_int_equal(
		fnv1a_64(fnv1a_64(FNV1A_64_OFFSET, "foo", 3), "bar", 3),
		0x85944171f73967e8ULL);
	assert_int_equal(fnv1a_64(FNV1A_64_OFFSET, NULL, 0), FNV1A_64_OFFSET);
}

/* The selection mark stored in cache files: the value earlier releases
 * wrote for these bases and filter, so an upgrade keeps every cache. */
static void
test_cachefile_mark(void **state)
{
	char *bases[] = {"OU=People,DC=example,DC=org",
			 "OU=Groups,DC=example,DC=org"};
	struct ldapsync_conf l = {0};
	char out[17];

	(void)state;
	l.bases = bases;
	l.n_bases = 2;
	l.filter = "(mail=*)";
	cachefile_selection(&l, out, sizeof(out));
	assert_string_equal(out, "180e072471be4da6");
}

/* Names that differ in one byte, in their length, and by a NUL inside. */
static void
test_seen(void **state)
{
	struct seen *s = seen_new();
	char name[64];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		int n = snprintf(name, sizeof(name), "CN=User %d,DC=x", i);

		assert_int_equal(seen_add(s, name, (size_t)n), 0);
	}
	assert_int_equal(seen_count(s), 200000);
	for (int i = 0; i < 200000; i += 997) {
		int n = snprintf(name, sizeof(name), "CN=User %d,DC=x", i);

		assert_int_equal(seen_add(s, name, (size_t)n), 1);
		/* one byte more, or less, is another name */
		assert_int_equal(seen_add(s, name, (size_t)n - 1), 0);
	}
	assert_int_equal(seen_add(s, "a\0b", 3), 0);
	assert_int_equal(seen_add(s, "a\0c", 3), 0);
	assert_int_equal(seen_add(s, "a\0b", 3), 1);
	assert_int_equal(seen_add(s, "", 0), 0);
	assert_int_equal(seen_add(s, "", 0), 1);
	seen_free(s);
	seen_free(NULL);
}

/* seen_add_many gives seen_add's answers, name by name in order: batches
 * of seeded random sizes (across the table's growth) of names drawn from
 * a small pool, so that repeats fall within a batch and across them, and
 * with NULLs among them; between batches, names added one at a time to
 * both sets (reply.c mixes the two on one set past HELD_MAX: a batch
 * must see what seen_add noted, and the other way round), and the empty
 * batch take_held makes of a page with nothing held. */
static void
test_seen_many(void **state)
{
	struct seen *one = seen_new(), *many = seen_new();
	char pool[3000][24];
	const char *names[700];
	unsigned char hit[700];
	unsigned seed = 27;

	(void)state;
	for (int i = 0; i < 3000; i++)
		snprintf(pool[i], sizeof(pool[i]), "CN=U%d,DC=x", i);
	for (int round = 0; round < 60; round++) {
		size_t n = (size_t)rand_r(&seed) % 700;

		for (size_t i = 0; i < n; i++)
			names[i] = rand_r(&seed) % 50 == 0
					   ? NULL
					   : pool[rand_r(&seed) % 3000];
		seen_add_many(many, names, n, hit);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(hit[i],
					 names[i] == NULL
						 ? 0
						 : seen_add(one, names[i],
							    strlen(names[i])));
		for (int k = rand_r(&seed) % 20; k > 0; k--) {
			const char *name = pool[rand_r(&seed) % 3000];
			int a = seen_add(one, name, strlen(name));

			assert_int_equal(seen_add(many, name, strlen(name)), a);
		}
		seen_add_many(many, NULL, 0, NULL);
		assert_int_equal(seen_count(many), seen_count(one));
	}
	assert_true(seen_count(one) > 2000);
	seen_free(one);
	seen_free(many);
}

static int
fill_text(FILE *fp, const void *ctx, struct sync_err *err)
{
	(void)err;
	return fputs(ctx, fp) < 0 ? -1 : 0;
}

static int
fill_fails(FILE *fp, const void *ctx, struct sync_err *err)
{
	(void)ctx;
	fputs("half a file", fp);
	return sync_err_set(err, SYNC_ERR_DATA, "refused half way");
}

/* entries - how many names in DIR (but . and ..) */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 &&
		     strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
test_replace(void **state)
{
	char dir[] = "/tmp/rcptsync-atomic-XXXXXX", path[128], buf[64];
	struct sync_err err = {0};
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(
		atomicfile_replace(path, path, 0600, fill_text, "old\n", &err),
		0);
	/* a fill that fails: the old file stays, no temporary is left */
	assert_int_equal(
		atomicfile_replace(path, path, 0600, fill_fails, NULL, &err),
		-1);
	assert_int_equal(err.kind, SYNC_ERR_DATA);
	assert_int_equal(entries(dir), 1);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "old\n");
	assert_int_equal(
		atomicfile_replace(path, path, 0600, fill_text, "new\n", &err),
		0);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "new\n");
	assert_int_equal(entries(dir), 1);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fnv),
		cmocka_unit_test(test_cachefile_mark),
		cmocka_unit_test(test_seen),
		cmocka_unit_test(test_seen_many),
		cmocka_unit_test(test_replace),
	};

	return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
