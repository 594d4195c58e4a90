/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the digest of a change (diff, sync --approve).  Known
 * answers pin the encoding documented in changedigest.c (computed
 * independently with Python's hashlib); the rows show that the order of
 * the notes does not matter while the list, the table, the key's bytes
 * and the value do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "changedigest.h"

/* One change as notes: "R+a@x.y" is recipients '+' a@x.y; "D-x.y" is
 * relay_domains '-' x.y; a value after a '=' ("R+a@x.y=REJECT"), else
 * "OK".  NULL ends it. */
struct change {
	int relay; /* declare relay_domains as well */
	const char *notes[8];
};

/* digest_of - the hex digest of C */
static void
digest_of(const struct change *c, char hex[CHANGEDIGEST_HEX_LEN + 1])
{
	struct changedigest *d = changedigest_new();
	void *rcpt = changedigest_table(d, "recipients");
	void *dom = c->relay ? changedigest_table(d, "relay_domains") : NULL;

	for (size_t i = 0; c->notes[i] != NULL; i++) {
		char key[128], *eq;
		struct addrset_entry e = {.key = key, .value = "OK"};

		snprintf(key, sizeof(key), "%s", c->notes[i] + 2);
		if ((eq = strchr(key, '=')) != NULL) {
			*eq = '\0';
			e.value = eq + 1;
		}
		assert_true(c->notes[i][0] == 'R' || dom != NULL);
		changedigest_note(c->notes[i][0] == 'R' ? rcpt : dom,
				  c->notes[i][1], &e);
	}
	changedigest_hex(d, hex);
	changedigest_free(d);
}

static void
test_known_answers(void **state)
{
	static const struct change empty = {0, {NULL}};
	static const struct change some = {
		1, {"R-c@x.y", "D+x.y", "R+b@x.y", "R+a@x.y", NULL}};
	char hex[CHANGEDIGEST_HEX_LEN + 1];

	(void)state;
	digest_of(&empty, hex);
	assert_string_equal(hex, "2190bb244c935aa02262b306b47db732"
				 "ec4c135e5b289089dbf27f213376ddb0");
	digest_of(&some, hex);
	assert_string_equal(hex, "c695d6fb725c86f415cf08b10e724c71"
				 "6d0f69415391a5104528685950483252");
}

/* Pairs of changes, and whether their digests must be equal. */
static const struct {
	const char *name;
	struct change a, b;
	int same;
} pairs[] = {
	{"order of the notes",
	 {1, {"R+b@x.y", "D-z.y", "R+a@x.y", "R-c@x.y", NULL}},
	 {1, {"R-c@x.y", "R+a@x.y", "D-z.y", "R+b@x.y", NULL}},
	 1},
	{"added is not removed",
	 {0, {"R+a@x.y", NULL}},
	 {0, {"R-a@x.y", NULL}},
	 0},
	{"added and removed swapped",
	 {0, {"R+a@x.y", "R-b@x.y", NULL}},
	 {0, {"R-a@x.y", "R+b@x.y", NULL}},
	 0},
	{"the same key in the other table",
	 {1, {"R+x.y", NULL}},
	 {1, {"D+x.y", NULL}},
	 0},
	{"a key moved between tables",
	 {1, {"R+a@x.y", "R+b@x.y", NULL}},
	 {1, {"R+a@x.y", "D+b@x.y", NULL}},
	 0},
	{"keys that concatenate alike",
	 {0, {"R+ab@x.y", "R+c@x.y", NULL}},
	 {0, {"R+a", "R+b@x.yc@x.y", NULL}},
	 0},
	{"a key and its value that concatenate alike",
	 {0, {"R+a@x.y=OK", NULL}},
	 {0, {"R+a@x.yO=K", NULL}},
	 0},
	{"the value an added key gets",
	 {0, {"R+a@x.y=OK", NULL}},
	 {0, {"R+a@x.y=REJECT", NULL}},
	 0},
	{"one key more",
	 {0, {"R-a@x.y", NULL}},
	 {0, {"R-a@x.y", "R-b@x.y", NULL}},
	 0},
	{"nothing is not a change", {0, {NULL}}, {0, {"R-a@x.y", NULL}}, 0},
	{"a removed key's value does not count",
	 {0, {"R-a@x.y=OK", NULL}},
	 {0, {"R-a@x.y=REJECT", NULL}},
	 1},
};

static void
test_pairs(void **state)
{
	char a[CHANGEDIGEST_HEX_LEN + 1], b[CHANGEDIGEST_HEX_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		digest_of(&pairs[i].a, a);
		digest_of(&pairs[i].b, b);
		if ((strcmp(a, b) == 0) != pairs[i].same)
			fail_msg("%s: %s and %s", pairs[i].name, a, b);
	}
}

static void
test_changes_listed(void **state)
{
	struct changedigest *d = changedigest_new();
	void *r = changedigest_table(d, "recipients");
	struct addrset_entry b = {"b@x.y", "OK", "dn"}, a = {"a@x.y", "OK", ""};
	char hex[CHANGEDIGEST_HEX_LEN + 1];

	(void)state;
	assert_true(changedigest_empty(d));
	changedigest_note(r, '+', &b);
	changedigest_note(r, '+', &a);
	changedigest_note(r, '-', &a);
	assert_false(changedigest_empty(d));
	changedigest_hex(d, hex);
	assert_int_equal(changedigest_n_tables(d), 1);
	assert_string_equal(changedigest_name(d, 0), "recipients");
	assert_int_equal(addrset_count(changedigest_changes(d, 0, '+')), 2);
	assert_string_equal(
		addrset_get(changedigest_changes(d, 0, '+'), 0)->key, "a@x.y");
	assert_int_equal(addrset_count(changedigest_changes(d, 0, '-')), 1);
	changedigest_free(d);
}

static void
test_parse(void **state)
{
	static const struct {
		const char *in;
		int ok;
	} rows[] = {
		{"2190bb244c935aa02262b306b47db732ec4c135e5b289089dbf27f213376"
		 "ddb0",
		 1},
		{"2190BB244C935AA02262B306B47DB732EC4C135E5B289089DBF27F213376"
		 "DDB0",
		 1},
		{"2190bb244c935aa02262b306b47db732ec4c135e5b289089dbf27f213376"
		 "ddb",
		 0},
		{"2190bb244c935aa02262b306b47db732ec4c135e5b289089dbf27f213376"
		 "ddb00",
		 0},
		{"2190bb244c935aa02262b306b47db732ec4c135e5b289089dbf27f213376"
		 "ddbg",
		 0},
		{"", 0},
		{"sha256:2190bb244c935aa02262b306b47db732ec4c135e5b289089dbf2",
		 0},
	};
	char hex[CHANGEDIGEST_HEX_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = changedigest_parse(rows[i].in, hex);

		if ((rc == 0) != rows[i].ok)
			fail_msg("row %zu: %s: %d", i, rows[i].in, rc);
		if (rc == 0)
			assert_string_equal(hex,
					    "2190bb244c935aa02262b306b47db7"
					    "32ec4c135e5b289089dbf27f21"
					    "3376ddb0");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_changes_listed),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests_name("changedigest", tests, NULL, NULL);
}
