/* SPDX-License-Identifier: MIT */
/* Unit tests: the run's list of directory servers that did not answer
 * (ldapsync/unanswered.c): found by exact URI, the first message kept, a
 * full list and a URI too long for it remember nothing more, NULL lists
 * are no list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "unanswered.h"

static void
test_add_find(void **state)
{
	struct ldapsync_unanswered u = {0};

	(void)state;
	assert_null(unanswered_find(&u, "ldaps://dc1"));
	unanswered_add(&u, "ldaps://dc1",
		       "no answer from ldaps://dc1 within 5 s");
	assert_string_equal(unanswered_find(&u, "ldaps://dc1"),
			    "no answer from ldaps://dc1 within 5 s");
	/* exact: not a prefix, not another case */
	assert_null(unanswered_find(&u, "ldaps://dc"));
	assert_null(unanswered_find(&u, "ldaps://dc10"));
	assert_null(unanswered_find(&u, "LDAPS://DC1"));
	/* the first message stays */
	unanswered_add(&u, "ldaps://dc1", "refused");
	assert_string_equal(unanswered_find(&u, "ldaps://dc1"),
			    "no answer from ldaps://dc1 within 5 s");
	assert_int_equal(u.n, 1);
}

static void
test_full_and_long(void **state)
{
	struct ldapsync_unanswered u = {0};
	char uri[64], longuri[400];

	(void)state;
	for (int i = 0; i < UNANSWERED_MAX + 3; i++) {
		snprintf(uri, sizeof(uri), "ldap://dc%d", i);
		unanswered_add(&u, uri, "refused");
	}
	assert_int_equal(u.n, UNANSWERED_MAX);
	assert_non_null(unanswered_find(&u, "ldap://dc0"));
	snprintf(uri, sizeof(uri), "ldap://dc%d", UNANSWERED_MAX);
	assert_null(unanswered_find(&u, uri));

	memset(&u, 0, sizeof(u));
	memset(longuri, 'a', sizeof(longuri) - 1);
	longuri[sizeof(longuri) - 1] = '\0';
	memcpy(longuri, "ldap://", 7);
	unanswered_add(&u, longuri, "refused");
	assert_int_equal(u.n, 0);
	assert_null(unanswered_find(&u, longuri));
}

static void
test_null(void **state)
{
	(void)state;
	unanswered_add(NULL, "ldap://dc1", "refused");
	assert_null(unanswered_find(NULL, "ldap://dc1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_find),
		cmocka_unit_test(test_full_and_long),
		cmocka_unit_test(test_null),
	};

	return cmocka_run_group_tests_name("unanswered", tests, NULL, NULL);
}
