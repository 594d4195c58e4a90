/* SPDX-License-Identifier: MIT */
/* Unit tests: the object cache's file keeps hostile values and the mark
 * byte for byte from the writer to the reader (cacheformat.c, cachescan.c)
 * and refuses a torn file; a cache is continued only by the account and
 * view that made it; each incremental mode finds its row of incrmode.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cachefile.h"
#include "changes.h"
#include "incrmode.h"
#include "cacheformat.h"
#include "cachescan.h"

static const unsigned char g1[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static const unsigned char g2[16] = {0xff, 0, 0x25, 0x0a};

/* collect - cachescan_stream's FN: "dn|value\n" for every value */
static int
collect(void *ctx, const struct cacheobj *o, struct sync_err *err)
{
	char *buf = ctx;

	(void)err;
	for (size_t i = 0; i < o->n; i++) {
		strcat(buf, o->dn);
		strcat(buf, "|");
		strncat(buf, o->vals[i], o->lens[i]);
		strcat(buf, "\n");
	}
	return 0;
}

/* write_cache - a cache of N objects (GUID, DN, one value each) at PATH */
static void
write_cache(const char *path, const struct objcache_mark *m, size_t n,
	    const unsigned char *const *guids, const char *const *dns,
	    const char *const *vals, const size_t *lens)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	cacheformat_header(fp, m);
	for (size_t i = 0; i < n; i++) {
		cacheformat_object_line(fp, guids[i], 16, dns[i]);
		cacheformat_value_line(fp, vals[i], lens[i]);
	}
	cacheformat_end(fp, n, n);
	assert_int_equal(fclose(fp), 0);
}

/* read_cache - both passes over PATH: 1 with the values in BUF, or not */
static int
read_cache(const char *path, struct objcache_mark *m, char *buf,
	   struct sync_err *err)
{
	struct cachescan *c = NULL;
	int rc = cachescan_open(path, 16, &c, m, err);

	if (rc == 1 && cachescan_stream(c, collect, buf, err) < 0)
		rc = -1;
	cachescan_free(c);
	return rc;
}

static void
test_round_trip(void **state)
{
	static const char hostile[] = "smtp:a b%20c\nd\te\x01\xc3\xb6@x";
	const unsigned char *guids[] = {g1, g2};
	const char *dns[] = {"CN=A %,OU=x", "CN=B"};
	const char *vals[] = {hostile, "SMTP:b@x"};
	const size_t lens[] = {sizeof(hostile) - 1, 8};
	struct objcache_mark m = {.usn = 4242, .full_at = 1700000000}, m2;
	struct sync_err err;
	char path[] = "/tmp/rcptsync-objcache-XXXXXX", buf[512] = "";
	int fd = mkstemp(path);

	(void)state;
	close(fd);
	strcpy(m.dc, "dc1.corp.example");
	strcpy(m.invocation, "00aa");
	strcpy(m.config, "0123456789abcdef");
	/* a DirSync cookie of the largest size kept, every byte value */
	for (size_t i = 0; i < sizeof(m.cookie); i++)
		m.cookie[i] = (unsigned char)(i * 7 + i / 256);
	m.cookie_len = sizeof(m.cookie);
	write_cache(path, &m, 2, guids, dns, vals, lens);
	assert_int_equal(read_cache(path, &m2, buf, &err), 1);
	assert_string_equal(m2.dc, "dc1.corp.example");
	assert_string_equal(m2.invocation, "00aa");
	assert_true(m2.usn == 4242);
	assert_true(m2.full_at == 1700000000);
	assert_int_equal(m2.cookie_len, sizeof(m.cookie));
	assert_memory_equal(m2.cookie, m.cookie, sizeof(m.cookie));
	/* each value exactly, in the file's order */
	assert_string_equal(buf,
			    "CN=A %,OU=x|smtp:a b%20c\nd\te\x01\xc3\xb6@x\n"
			    "CN=B|SMTP:b@x\n");
	/* without a cookie (usnchanged): none comes back */
	m.cookie_len = 0;
	write_cache(path, &m, 2, guids, dns, vals, lens);
	buf[0] = '\0';
	assert_int_equal(read_cache(path, &m2, buf, &err), 1);
	assert_int_equal(m2.cookie_len, 0);
	unlink(path);
}

/* save - a cache of one object, marked as made now for L, at PATH */
static void
save_for(const char *path, const struct ldapsync_conf *l)
{
	const unsigned char *guids[] = {g1};
	const char *dns[] = {"CN=A"}, *vals[] = {"SMTP:a@x"};
	const size_t lens[] = {8};
	struct objcache_mark m = {.usn = 7, .full_at = time(NULL)};

	strcpy(m.dc, "dc1.corp.example");
	strcpy(m.invocation, "00aa");
	cachefile_mark_config(l, &m);
	write_cache(path, &m, 1, guids, dns, vals, lens);
}

/* continues - whether cachefile_open lets L continue the cache at PATH;
 * WHY gets the reason when not */
static int
continues(const char *path, const struct ldapsync_conf *l, char *why,
	  size_t size)
{
	struct objcache_mark m;
	struct cachefile_why w = {"", ""};
	struct cachescan *c;
	int yes;

	c = cachefile_open(path, l, &m, &w);
	snprintf(why, size, "%s", w.why);
	yes = c != NULL && m.dc[0] != '\0' &&
	      guidset_count(cachescan_guids(c)) == 1;
	cachescan_free(c);
	return yes;
}

/*
 * issue 24 item 8: a cache made by one bind account, or through one
 * view (a Global Catalog or not), is not continued by another: an
 * account that sees more would keep the old account's view
 */
static void
test_cache_account(void **state)
{
	char *bases[] = {"DC=corp,DC=example", NULL};
	char *uris[] = {"ldaps://dc1.corp.example", NULL};
	char *gc_uris[] = {"ldaps://dc1.corp.example:3269", NULL};
	struct ldapsync_conf a = {
		.uris = uris,
		.n_uris = 1,
		.bases = bases,
		.n_bases = 1,
		.filter = "(proxyAddresses=smtp:*)",
		.bind_method = LDAPSYNC_BIND_SIMPLE,
		.bind_dn = "CN=svc-a,OU=Service,DC=corp,DC=example",
		.full_every = 86400,
	};
	struct ldapsync_conf b;
	char path[] = "/tmp/rcptsync-cachefile-XXXXXX", why[600];
	int fd = mkstemp(path);

	(void)state;
	close(fd);
	save_for(path, &a);
	assert_true(continues(path, &a, why, sizeof(why)));
	/* another bind DN */
	b = a;
	b.bind_dn = "CN=svc-b,OU=Service,DC=corp,DC=example";
	assert_false(continues(path, &b, why, sizeof(why)));
	assert_non_null(strstr(why, "the bind account"));
	/* another method (the same DN string would be ignored by it) */
	b = a;
	b.bind_method = LDAPSYNC_BIND_NONE;
	assert_false(continues(path, &b, why, sizeof(why)));
	/* GSSAPI: another principal, another keytab */
	a.bind_method = LDAPSYNC_BIND_GSSAPI;
	a.bind_dn = NULL;
	a.principal = "svc-a@CORP.EXAMPLE";
	a.keytab = "/etc/rcptsync/a.keytab";
	save_for(path, &a);
	assert_true(continues(path, &a, why, sizeof(why)));
	b = a;
	b.principal = "svc-b@CORP.EXAMPLE";
	assert_false(continues(path, &b, why, sizeof(why)));
	b = a;
	b.keytab = "/etc/rcptsync/b.keytab";
	assert_false(continues(path, &b, why, sizeof(why)));
	/* the same DC's Global Catalog port, or global_catalog: true */
	b = a;
	b.uris = gc_uris;
	assert_false(continues(path, &b, why, sizeof(why)));
	assert_non_null(strstr(why, "Global Catalog"));
	b = a;
	b.global_catalog = 1;
	assert_false(continues(path, &b, why, sizeof(why)));
	/* a cache that names no account (an older rcptsync's): a full pull */
	{
		const unsigned char *guids[] = {g1};
		const char *dns[] = {"CN=A"}, *vals[] = {"SMTP:a@x"};
		const size_t lens[] = {8};
		struct objcache_mark m = {.usn = 7, .full_at = time(NULL)};

		strcpy(m.dc, "dc1.corp.example");
		cachefile_selection(&a, m.config, sizeof(m.config));
		write_cache(path, &m, 1, guids, dns, vals, lens);
	}
	assert_false(continues(path, &a, why, sizeof(why)));
	assert_non_null(strstr(why, "does not say which bind account"));
	unlink(path);
}

#define G16 "000102030405060708090a0b0c0d0e0f"

static void
test_torn_and_missing(void **state)
{
	struct objcache_mark m;
	char buf[256];
	struct sync_err err;
	char path[] = "/tmp/rcptsync-objcache-XXXXXX";
	int fd = mkstemp(path);
	static const struct {
		const char *text, *want;
	} rows[] = {
		/* cut inside a line */
		{"rcptsync-cache 2\ndc x\nusn 1\no " G16 " CN=A\nv smtp:a@",
		 "malformed cache line"},
		/* cut at a line boundary: whole lines, no end */
		{"rcptsync-cache 2\ndc x\nusn 1\no " G16 " CN=A\nv smtp:a@b\n",
		 "cut short (no end line)"},
		/* an end that does not count what came before */
		{"rcptsync-cache 2\ndc x\nusn 1\no " G16 " CN=A\nv smtp:a@b\n"
		 "end 1 2\n",
		 "malformed cache line"},
		/* anything after the end */
		{"rcptsync-cache 2\ndc x\nusn 1\no " G16 " CN=A\nv smtp:a@b\n"
		 "end 1 1\nv smtp:c@d\n",
		 "malformed cache line"},
		/* an earlier version, which had no end line */
		{"rcptsync-cache 1\ndc x\nusn 1\no " G16 " CN=A\nv smtp:a@b\n",
		 "written by an earlier rcptsync"},
	};

	(void)state;
	close(fd);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		fputs(rows[i].text, fp);
		fclose(fp);
		buf[0] = '\0';
		assert_int_equal(read_cache(path, &m, buf, &err), -1);
		if (strstr(err.msg, rows[i].want) == NULL)
			fail_msg("row %zu: %s, want %s", i, err.msg,
				 rows[i].want);
	}
	/* and a whole one loads */
	{
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		fputs("rcptsync-cache 2\ndc x\nusn 1\no " G16 " CN=A\n"
		      "v smtp:a@b\nend 1 1\n",
		      fp);
		fclose(fp);
		buf[0] = '\0';
		assert_int_equal(read_cache(path, &m, buf, &err), 1);
		assert_string_equal(buf, "CN=A|smtp:a@b\n");
	}
	/* a key that is not an objectGUID's 16 bytes */
	{
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		fputs("rcptsync-cache 2\ndc x\nusn 1\no 0102 CN=A\n"
		      "v smtp:a@b\nend 1 1\n",
		      fp);
		fclose(fp);
		assert_int_equal(read_cache(path, &m, buf, &err), -1);
		assert_non_null(strstr(err.msg, "a key of 2 bytes, not 16"));
	}
	unlink(path);
	assert_int_equal(read_cache(path, &m, buf, &err), 0);
}

/*
 * The incremental modes: each configuration finds its row, and the row
 * says what the pull did for that mode before the table (issue 25): only
 * a listing lists every object (self-healing, unlisted dropped); only
 * DirSync keeps a cookie and falls back to a full pull, on a CONFIG or
 * DATA error; tombstones and DirSync read deleted objects and distrust
 * changed containers and read one domain (refused on a Global Catalog).
 * DirSync is DirSync whatever deletions says, and refuses the key.
 */
static void
test_incrmode_rows(void **state)
{
	struct ldapsync_conf l = {0};
	const struct incrmode *m;

	(void)state;
	l.incremental = LDAPSYNC_INCR_USNCHANGED;
	l.deletions = LDAPSYNC_DELETIONS_LISTING;
	m = incrmode_get(&l);
	assert_int_equal(m->flags, INCRMODE_LISTS_ALL);
	assert_ptr_equal(m->changes, changes_listing);
	assert_int_equal(m->fallback_kinds, 0);
	assert_string_equal(m->changed_what, "listed");
	assert_string_equal(m->config_words, "deletions: listing");
	assert_null(m->no_deletions_why);

	l.deletions = LDAPSYNC_DELETIONS_TOMBSTONES;
	m = incrmode_get(&l);
	assert_int_equal(m->flags, INCRMODE_TOMBSTONES | INCRMODE_CONTAINERS |
					   INCRMODE_ONE_DOMAIN);
	assert_string_equal(m->config_words, "deletions: tombstones");
	assert_null(m->no_deletions_why);
	assert_ptr_equal(m->changes, changes_tombstones);
	assert_int_equal(m->fallback_kinds, 0);
	assert_string_equal(m->changed_what, "changed in the domain");
	assert_string_equal(m->pull_note, "");

	l.incremental = LDAPSYNC_INCR_DIRSYNC;
	for (int d = LDAPSYNC_DELETIONS_LISTING;
	     d <= LDAPSYNC_DELETIONS_TOMBSTONES; d++) {
		l.deletions = d;
		m = incrmode_get(&l);
		assert_int_equal(m->flags, INCRMODE_TOMBSTONES |
						   INCRMODE_COOKIE |
						   INCRMODE_CONTAINERS |
						   INCRMODE_ONE_DOMAIN);
		assert_int_equal(m->deletions, -1);
		assert_string_equal(m->config_words, "incremental: dirsync");
		assert_string_equal(m->no_deletions_why,
				    "DirSync reports deletions itself");
		assert_ptr_equal(m->changes, changes_dirsync);
		assert_int_equal(m->fallback_kinds,
				 (1 << SYNC_ERR_CONFIG) | (1 << SYNC_ERR_DATA));
		assert_string_equal(m->pull_note, " (DirSync)");
		assert_string_equal(m->changed_what, "reported by DirSync");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_cache_account),
		cmocka_unit_test(test_torn_and_missing),
		cmocka_unit_test(test_incrmode_rows),
	};

	return cmocka_run_group_tests_name("objcache", tests, NULL, NULL);
}
