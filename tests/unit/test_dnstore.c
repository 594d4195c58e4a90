/* SPDX-License-Identifier: MIT */
/* Unit tests: the small DN store of a sync (cmd/dnstore.c) gives every DN
 * back byte for byte (escaped commas, no comma, one container shared by
 * many), tells equal DNs from different ones exactly, also against plain
 * strings, and knows its own names; over seeded random DNs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dnstore.h"

/* named cases: the text comes back whole */
static void
test_dnstore_text(void **state)
{
	static const char *const dns[] = {
		"CN=Jane Doe,OU=Users,DC=corp,DC=example",
		"CN=Doe\\, Jane,OU=Users,DC=corp,DC=example",
		"CN=Jane Doe,OU=Users,DC=corp,DC=example,",
		"no comma at all",
		"",
		",starts with a comma",
		"CN=x,OU=Other,DC=corp,DC=example",
	};
	struct dnstore *s = dnstore_new();
	const char *name[sizeof(dns) / sizeof(dns[0])];
	const char plain[] = "CN=Jane Doe,OU=Users,DC=corp,DC=example";

	(void)state;
	for (size_t i = 0; i < sizeof(dns) / sizeof(dns[0]); i++)
		name[i] = dnstore_add(s, dns[i]);
	for (size_t i = 0; i < sizeof(dns) / sizeof(dns[0]); i++) {
		char *t = dnstore_text(s, name[i]);

		assert_string_equal(t, dns[i]);
		free(t);
		assert_true(dnstore_owns(s, name[i]));
		for (size_t j = 0; j < sizeof(dns) / sizeof(dns[0]); j++)
			assert_int_equal(dnstore_same(s, name[i], name[j]),
					 strcmp(dns[i], dns[j]) == 0);
	}
	/* a string the store did not give: itself, compared by text */
	assert_false(dnstore_owns(s, plain));
	assert_true(dnstore_same(s, name[0], plain));
	assert_true(dnstore_same(s, plain, name[0]));
	assert_false(dnstore_same(s, name[2], plain));
	assert_true(dnstore_cmp(s, name[0], name[6]) < 0);
	/* the same DN again: another name, the same DN */
	assert_true(dnstore_same(s, dnstore_add(s, dns[1]), name[1]));
	assert_false(dnstore_same(s, dnstore_add(s, dns[1]), name[0]));
	dnstore_free(s);
}

/* the cut: at the first comma a backslash does not escape, so that
 * "CN=Smith\, John" users share their OU's container */
static void
test_dnstore_head(void **state)
{
	struct dnstore *s = dnstore_new();
	char dn[80], head[80];

	(void)state;
	assert_int_equal(dnstore_head_len("CN=a,OU=b"), 4);
	assert_int_equal(dnstore_head_len("CN=Smith\\, John,OU=b"), 15);
	assert_int_equal(dnstore_head_len("CN=x\\\\,OU=b"), 6);
	assert_int_equal(dnstore_head_len("CN=x\\2C y,OU=b"), 9);
	assert_int_equal(dnstore_head_len("CN=x\\"), 5);
	assert_int_equal(dnstore_head_len(""), 0);
	for (int i = 0; i < 1000; i++) {
		const char *name;
		char *t;

		snprintf(dn, sizeof(dn), "CN=Smith\\, John%d,OU=Users,DC=x", i);
		snprintf(head, sizeof(head), "CN=Smith\\, John%d", i);
		name = dnstore_add(s, dn);
		assert_string_equal(name, head);
		t = dnstore_text(s, name);
		assert_string_equal(t, dn);
		free(t);
	}
	dnstore_free(s);
}

/* seeded: 200,000 DNs over 50 containers and 5,000 heads, many equal */
static void
test_dnstore_random(void **state)
{
	enum { N = 200000 };
	static char dn[N][64];
	static const char *name[N];
	struct dnstore *s = dnstore_new();
	unsigned long long x = 0x2545f4914f6cdd1dULL;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		snprintf(dn[i], sizeof(dn[i]), "CN=u%llu,OU=o%llu,DC=x",
			 x % 5000, (x >> 20) % 50);
		name[i] = dnstore_add(s, dn[i]);
	}
	for (size_t i = 0; i < N; i++) {
		char *t = dnstore_text(s, name[i]);
		size_t j = (i * 7919) % N;

		assert_string_equal(t, dn[i]);
		free(t);
		assert_int_equal(dnstore_same(s, name[i], name[j]),
				 strcmp(dn[i], dn[j]) == 0);
	}
	dnstore_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnstore_text),
		cmocka_unit_test(test_dnstore_head),
		cmocka_unit_test(test_dnstore_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
