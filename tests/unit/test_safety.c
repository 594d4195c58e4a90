/* SPDX-License-Identifier: MIT */
/* Unit tests: removal grace period, canaries, state file round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "addrset.h"
#include "grace.h"
#include "safety.h"
#include "state.h"
#include "testutil.h"

static struct addrset *
set_of(const char *const *keys)
{
	struct addrset *s = addrset_new();

	for (; *keys; keys++)
		addrset_add(s, *keys, strlen(*keys), "OK", "dn");
	addrset_finish(s);
	return s;
}

/* run_grace - one run of HOW (its rule, state and counts) at time NOW:
 * OLD table, NEW directory */
static size_t
run_grace(struct grace_how *how, time_t now, const char *const *old_keys,
	  const char *const *new_keys, int *has_b)
{
	struct addrset *o = set_of(old_keys), *n = set_of(new_keys);
	size_t count;

	how->now = now;
	grace_apply(how, o, n);
	count = addrset_count(n);
	*has_b = addrset_find(n, "b@x.y") != NULL;
	addrset_free(o);
	addrset_free(n);
	return count;
}

static void
test_grace_runs(void **state)
{
	static const char *const both[] = {"a@x.y", "b@x.y", NULL};
	static const char *const only_a[] = {"a@x.y", NULL};
	struct grace_rule rule = {0, 2};
	struct sync_state st;
	struct grace_counts c;
	struct grace_how how = {&rule, &st, 0, NULL, NULL, &c};
	int has_b;

	(void)state;
	memset(&st, 0, sizeof(st));
	/* missing run 1 and 2: kept; run 3: removed */
	assert_int_equal(run_grace(&how, 100, both, only_a, &has_b), 2);
	assert_true(has_b);
	assert_int_equal(c.kept, 1);
	assert_int_equal(st.n_pending, 1);
	assert_int_equal(st.pending[0].runs, 1);
	run_grace(&how, 200, both, only_a, &has_b);
	assert_true(has_b);
	assert_int_equal(st.pending[0].runs, 2);
	assert_int_equal(st.pending[0].since, 100);
	run_grace(&how, 300, both, only_a, &has_b);
	assert_false(has_b);
	assert_int_equal(c.expired, 1);
	assert_int_equal(st.n_pending, 0);
	state_free(&st);
}

static void
test_grace_time_and_return(void **state)
{
	static const char *const both[] = {"a@x.y", "b@x.y", NULL};
	static const char *const only_a[] = {"a@x.y", NULL};
	struct grace_rule rule = {3600, 0};
	struct sync_state st;
	struct grace_counts c;
	struct grace_how how = {&rule, &st, 0, NULL, NULL, &c};
	int has_b;

	(void)state;
	memset(&st, 0, sizeof(st));
	run_grace(&how, 1000, both, only_a, &has_b);
	assert_true(has_b);
	run_grace(&how, 1000 + 3599, both, only_a, &has_b);
	assert_true(has_b);
	/* it came back: forgotten, so a later miss starts a new grace */
	run_grace(&how, 1000 + 3600, both, both, &has_b);
	assert_int_equal(st.n_pending, 0);
	run_grace(&how, 9000, both, only_a, &has_b);
	assert_true(has_b);
	assert_int_equal(st.pending[0].since, 9000);
	run_grace(&how, 9000 + 3600, both, only_a, &has_b);
	assert_false(has_b);
	state_free(&st);
}

static void
test_grace_off(void **state)
{
	static const char *const both[] = {"a@x.y", "b@x.y", NULL};
	static const char *const only_a[] = {"a@x.y", NULL};
	struct grace_rule rule = {0, 0};
	struct sync_state st;
	struct grace_counts c;
	struct grace_how how = {&rule, &st, 0, NULL, NULL, &c};
	int has_b;

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_int_equal(run_grace(&how, 1, both, only_a, &has_b), 1);
	assert_false(has_b);
	state_free(&st);
}

static void
test_canaries(void **state)
{
	static const char *const keys[] = {"postmaster@x.y", "a@x.y", NULL};
	char *must[] = {"postmaster@x.y"}, *must_not[] = {"b@x.y"};
	char *missing[] = {"abuse@x.y"}, *present[] = {"a@x.y"};
	struct addrset *s = set_of(keys);
	struct sync_err err;

	(void)state;
	assert_int_equal(safety_canaries(must, 1, must_not, 1, s, &err), 0);
	assert_int_equal(safety_canaries(missing, 1, NULL, 0, s, &err), -1);
	assert_int_equal(err.kind, SYNC_ERR_DATA);
	assert_non_null(strstr(err.msg, "abuse@x.y"));
	assert_int_equal(safety_canaries(NULL, 0, present, 1, s, &err), -1);
	assert_non_null(strstr(err.msg, "a@x.y (safety.must_not_exist)"));
	addrset_free(s);
}

/* A must_not_exist address that Postfix would accept through "@domain". */
static void
test_canary_wildcard(void **state)
{
	static const char *const keys[] = {"@relay.y", "a@x.y", NULL};
	char *caught[] = {"nobody@relay.y"}, *fine[] = {"nobody@x.y"};
	struct addrset *s = set_of(keys);
	struct sync_err err;

	(void)state;
	assert_int_equal(safety_canaries(NULL, 0, fine, 1, s, &err), 0);
	assert_int_equal(safety_canaries(NULL, 0, caught, 1, s, &err), -1);
	assert_non_null(strstr(err.msg, "accepted through @relay.y"));
	addrset_free(s);
}

static void
test_state_roundtrip(void **state)
{
	char dir[] = "/tmp/rcptsync-state-XXXXXX", path[128], table[128];
	struct sync_state st, back;
	struct sync_err err;
	int exists;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.rcptsync-state", dir);
	snprintf(table, sizeof(table), "%s/t", dir);
	memset(&st, 0, sizeof(st));
	st.last_run = 1700000000;
	st.last_exit = 75;
	st.last_success = 1690000000;
	snprintf(st.server, sizeof(st.server), "ldaps://dc1:636, ldap://dc2.b");
	st.recipients = 10;
	st.table_files.known = 1;
	st.table_files.text.dev = 2049;
	st.table_files.text.ino = 1234567;
	st.table_files.text.size = 4096;
	st.table_files.text.ctime_sec = 1700000000;
	st.table_files.text.ctime_nsec = 45;
	st.table_files.map.ino = 7654321;
	st.table_files.map.ctime_nsec = 999999999;
	st.added = 2;
	st.removed = 1;
	state_set_message(&st, "timeout\non page 3");
	st.pending = calloc(1, sizeof(*st.pending));
	st.pending[0].key = strdup("b@x.y");
	/* an extra-file value with spaces, as the table allows */
	st.pending[0].value = strdup("550 5.1.1 mailbox moved");
	st.pending[0].since = 1699999999;
	st.pending[0].runs = 3;
	st.n_pending = 1;
	assert_int_equal(state_save(path, &st, &err), 0);
	assert_int_equal(state_load(path, &back, &exists, &err), 0);
	assert_int_equal(exists, 1);
	assert_int_equal(back.last_exit, 75);
	assert_int_equal(back.last_success, 1690000000);
	assert_string_equal(back.server, "ldaps://dc1:636, ldap://dc2.b");
	assert_true(mapcommit_files_equal(&back.table_files, &st.table_files));
	assert_int_equal(back.table_files.text.ctime_nsec, 45);
	assert_false(back.relay_files.known); /* none recorded */
	assert_string_equal(back.message, "timeout?on page 3");
	assert_int_equal(back.n_pending, 1);
	assert_string_equal(back.pending[0].key, "b@x.y");
	assert_string_equal(back.pending[0].value, "550 5.1.1 mailbox moved");
	assert_int_equal(back.pending[0].runs, 3);
	assert_int_equal(back.pending[0].since, 1699999999);
	state_free(&st);
	state_free(&back);
	/* a state file from before identities: its "files" line (inodes
	 * alone) still reads, and leaves the identities unknown */
	testutil_write_temp("# rcptsync state 2\nlast_run 1 0\n"
			    "files 1234567 7654321\nend\n",
			    path, sizeof(path));
	assert_int_equal(state_load(path, &back, &exists, &err), 0);
	assert_false(back.table_files.known);
	assert_false(back.relay_files.known);
	state_free(&back);
	/* an identity line of no known file is malformed */
	testutil_write_temp("# rcptsync state 2\nident cache 1 2 3 4.5\n"
			    "end\n",
			    path, sizeof(path));
	assert_int_equal(state_load(path, &back, &exists, &err), -1);
	state_free(&back);
	/* the earlier "pending" form still reads */
	testutil_write_temp("# rcptsync state 1\nlast_run 1 0\n"
			    "pending a@x.y OK 1690000000 2\n",
			    path, sizeof(path));
	assert_int_equal(state_load(path, &back, &exists, &err), 0);
	assert_int_equal(back.n_pending, 1);
	assert_string_equal(back.pending[0].value, "OK");
	state_free(&back);
	/* a file cut at a line boundary is not trusted; after its end
	 * line, nothing may follow */
	testutil_write_temp("# rcptsync state 2\nlast_run 1 0\n", path,
			    sizeof(path));
	assert_int_equal(state_load(path, &back, &exists, &err), -1);
	assert_non_null(strstr(err.msg, "cut short (no end line"));
	state_free(&back);
	testutil_write_temp("# rcptsync state 2\nlast_run 1 0\nend\nlast_run 2 "
			    "0\n",
			    path, sizeof(path));
	assert_int_equal(state_load(path, &back, &exists, &err), -1);
	state_free(&back);
	/* a damaged file is an error naming the line, not silence */
	testutil_write_temp("# rcptsync state 1\nlast_run 1 0\ngarbage\n", path,
			    sizeof(path));
	assert_int_equal(state_load(path, &back, &exists, &err), -1);
	assert_non_null(strstr(err.msg, ":3: malformed state line"));
	state_free(&back);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grace_runs),
		cmocka_unit_test(test_grace_time_and_return),
		cmocka_unit_test(test_grace_off),
		cmocka_unit_test(test_canaries),
		cmocka_unit_test(test_canary_wildcard),
		cmocka_unit_test(test_state_roundtrip),
	};

	return cmocka_run_group_tests_name("safety", tests, NULL, NULL);
}
