/* SPDX-License-Identifier: MIT */
/* Unit tests: which verify-cache entries are stale, and the purge on real
 * Berkeley DB and LMDB files, including a lock held by someone else. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "addrset.h"
#include "mapdb.h"
#include "verifycache.h"

struct row {
	const char *key, *value;
	const char *delims;
	int want;
};

static const struct row rows[] = {
	{"newuser@corp.example", "2:1:1:bounced", "", 1},
	{"NewUser@Corp.Example", "2:1:1:bounced", "", 1},
	{"newuser@corp.example", "1:1:1:deferred", "", 1},
	{"newuser@corp.example", "3:1:1:in progress", "", 1},
	{"newuser@corp.example", "0:1:1:deliverable", "", 0},
	{"newuser+tag@corp.example", "2:1:1:x", "+", 1},
	{"newuser+tag@corp.example", "2:1:1:x", "", 0},
	{"newuser-tag@corp.example", "2:1:1:x", "+-", 1},
	{"NEWUSER+a+b@CORP.EXAMPLE", "2:1:1:x", "+", 1},
	{"+newuser@corp.example", "2:1:1:x", "+", 0},
	{"other@corp.example", "2:1:1:x", "+", 0},
	{"newuser@corp.example.evil", "2:1:1:x", "", 0},
	{"newuser@corp.example", "garbage", "", 0},
	{"newuser@corp.example", ":1:1", "", 0},
	{"_LAST_CACHE_CLEANUP_COMPLETED_", "1700000000", "", 0},
	{"", "2:1:1:x", "", 0},
};

static struct addrset *
targets(void)
{
	struct addrset *t = addrset_new();

	addrset_add(t, "newuser@corp.example", 20, "OK", "t");
	addrset_add(t, "x@corp.example", 14, "OK", "t");
	addrset_finish(t);
	return t;
}

static void
test_stale(void **state)
{
	struct addrset *t = targets();

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		int got = verifycache_stale(r->key, strlen(r->key), r->value,
					    strlen(r->value), t, r->delims);

		if (got != r->want)
			fail_msg("%s = %s (delims \"%s\"): got %d", r->key,
				 r->value, r->delims, got);
	}
	/* A key with a NUL inside is never an address of ours. */
	assert_int_equal(verifycache_stale("newuser@corp.example\0x", 22, "2:1",
					   3, t, ""),
			 0);
	addrset_free(t);
}

/* An "@domain" target (a domain that became a relay domain) stands for
 * every address in that domain, not below it. */
static const struct row domain_rows[] = {
	{"anyone@relay.example", "2:1:1:bounced", "", 1},
	{"AnyOne@Relay.EXAMPLE", "2:1:1:bounced", "", 1},
	{"anyone+tag@relay.example", "2:1:1:bounced", "+", 1},
	{"anyone@relay.example", "0:1:1:deliverable", "", 0},
	{"anyone@sub.relay.example", "2:1:1:bounced", "", 0},
	{"anyone@relay.example.evil", "2:1:1:bounced", "", 0},
	{"anyone@xrelay.example", "2:1:1:bounced", "", 0},
	{"anyone@corp.example", "2:1:1:bounced", "", 0},
	{"newuser@corp.example", "2:1:1:bounced", "", 1},
};

static void
test_stale_domain(void **state)
{
	struct addrset *t = addrset_new();

	(void)state;
	addrset_add(t, "@relay.example", 14, "OK", "t");
	addrset_add(t, "newuser@corp.example", 20, "OK", "t");
	addrset_finish(t);
	for (size_t i = 0; i < sizeof(domain_rows) / sizeof(domain_rows[0]);
	     i++) {
		const struct row *r = &domain_rows[i];
		int got = verifycache_stale(r->key, strlen(r->key), r->value,
					    strlen(r->value), t, r->delims);

		if (got != r->want)
			fail_msg("%s = %s (delims \"%s\"): got %d", r->key,
				 r->value, r->delims, got);
	}
	addrset_free(t);
}

/* make_cache - a cache file at PATH+suffix as Postfix would hold it */
static void
make_cache(const char *dir, enum mapdb_type type, char *path, size_t size)
{
	static const char *const kv[] = {
		"NewUser@Corp.Example",	    "2:1:1:bounced",
		"newuser+tag@corp.example", "2:1:1:bounced",
		"newuser@corp.example",	    "0:1:1:ok now",
		"someone@corp.example",	    "2:1:1:bounced",
		"user5@corp.example",	    "0:1:1:deliverable",
	};
	struct addrset *set = addrset_new();
	struct sync_err err = {0};
	char file[256];

	for (size_t i = 0; i < 10; i += 2)
		addrset_add(set, kv[i], strlen(kv[i]), kv[i + 1], "cache");
	addrset_finish(set);
	snprintf(path, size, "%s/verify_cache", dir);
	snprintf(file, sizeof(file), "%s%s", path, mapdb_suffix(type));
	unlink(file);
	if (mapdb_build(file, type, set, &err) < 0)
		fail_msg("%s", err.msg);
	addrset_free(set);
}

struct seen {
	char keys[8][64];
	int n;
};

static void
record(void *ctx, const char *key, const char *value)
{
	struct seen *s = ctx;

	(void)value;
	if (s->n < 8)
		snprintf(s->keys[s->n++], 64, "%s", key);
}

static void
purge_type(enum mapdb_type type)
{
	char dir[] = "/tmp/rcptsync-vc.XXXXXX", path[256], file[300];
	struct verifycache_conf vc = {path, type, "+"};
	struct verifycache_result res;
	struct sync_err err = {0};
	struct addrset *t = targets();
	struct seen seen = {.n = 0};
	int fd;

	assert_non_null(mkdtemp(dir));
	make_cache(dir, type, path, sizeof(path));
	assert_int_equal(verifycache_purge(&vc, t, record, &seen, &res, &err),
			 0);
	assert_int_equal(res.scanned, 5);
	assert_int_equal(res.purged, 2);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.keys[0], "NewUser@Corp.Example");
	assert_string_equal(seen.keys[1], "newuser+tag@corp.example");
	/* Again: three left, nothing more to delete. */
	assert_int_equal(verifycache_purge(&vc, t, NULL, NULL, &res, &err), 0);
	assert_int_equal(res.scanned, 3);
	assert_int_equal(res.purged, 0);

	/* Someone holds the lock the Postfix way: no change, TEMP. */
	make_cache(dir, type, path, sizeof(path));
	verifycache_file(&vc, file, sizeof(file));
	if (type == MAPDB_LMDB) {
		/* fcntl locks are per process: hold it in a child */
		int ready[2];
		pid_t pid;
		char c;

		assert_int_equal(pipe(ready), 0);
		if ((pid = fork()) == 0) {
			struct flock fl = {.l_type = F_WRLCK,
					   .l_whence = SEEK_SET};

			fd = open(file, O_RDWR);
			if (fd < 0 || fcntl(fd, F_SETLK, &fl) < 0)
				_exit(1);
			(void)!write(ready[1], "x", 1);
			pause();
			_exit(0);
		}
		assert_int_equal(read(ready[0], &c, 1), 1);
		assert_int_equal(
			verifycache_purge(&vc, t, NULL, NULL, &res, &err), -1);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(ready[0]);
		close(ready[1]);
	} else {
		/* flock conflicts between two open files, even in one process
		 */
		fd = open(file, O_RDWR);
		assert_true(fd >= 0);
		assert_int_equal(flock(fd, LOCK_EX), 0);
		assert_int_equal(
			verifycache_purge(&vc, t, NULL, NULL, &res, &err), -1);
		close(fd);
	}
	assert_int_equal(err.kind, SYNC_ERR_TEMP);
	assert_int_equal(res.purged, 0);
	/* Unlocked again: all five were still there. */
	assert_int_equal(verifycache_purge(&vc, t, NULL, NULL, &res, &err), 0);
	assert_int_equal(res.scanned, 5);
	assert_int_equal(res.purged, 2);

	/* No cache file yet: nothing to do, no error. */
	unlink(file);
	assert_int_equal(verifycache_purge(&vc, t, NULL, NULL, &res, &err), 0);
	assert_int_equal(res.scanned, 0);
	rmdir(dir);
	addrset_free(t);
}

static void
test_purge_btree(void **state)
{
	(void)state;
	if (!mapdb_available(MAPDB_BTREE))
		skip();
	purge_type(MAPDB_BTREE);
}

static void
test_purge_lmdb(void **state)
{
	(void)state;
	if (!mapdb_available(MAPDB_LMDB))
		skip();
	purge_type(MAPDB_LMDB);
}

/* A type that is no address_verify_map (or not built) is refused. */
static void
test_purge_unsupported(void **state)
{
	static const struct {
		int type;
		const char *msg;
	} rows[] = {
		{MAPDB_TEXT,
		 "verify_cache.type text is not supported by this rcptsync"},
		{MAPDB_CDB,
		 "verify_cache.type cdb is not supported by this rcptsync"},
	};
	const char *const keys[] = {"newuser@corp.example", NULL};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct addrset *t = addrset_new();
		struct verifycache_conf vc = {"/nonexistent/verify_cache",
					      rows[i].type, "+"};
		struct verifycache_result res;
		struct sync_err err = {0};

		addrset_add(t, keys[0], strlen(keys[0]), "OK", "added");
		addrset_finish(t);
		assert_int_equal(
			verifycache_purge(&vc, t, NULL, NULL, &res, &err), -1);
		assert_int_equal(err.kind, SYNC_ERR_CONFIG);
		assert_string_equal(err.msg, rows[i].msg);
		addrset_free(t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_stale_domain),
		cmocka_unit_test(test_purge_btree),
		cmocka_unit_test(test_purge_lmdb),
		cmocka_unit_test(test_purge_unsupported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
