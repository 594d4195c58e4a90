/* SPDX-License-Identifier: MIT */
/* Unit tests: the table of map types (mapwriter/maptype.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mapdb.h"
#include "maptype.h"

/* Every row is filled, and its functions agree with built and suffix. */
static void
test_rows(void **state)
{
	(void)state;
	assert_int_equal(maptype_count(), 5);
	for (int t = 0; t < maptype_count(); t++) {
		const struct maptype *m = maptype_get(t);
		int indexed = m->suffix != NULL;

		assert_non_null(m->name);
		/* Only the text table is always built, and has no map. */
		assert_int_equal(m->feature == NULL, !indexed);
		if (!indexed)
			assert_int_equal(m->built, 1);
		assert_int_equal(m->build != NULL, indexed && m->built);
		assert_int_equal(m->read != NULL, indexed && m->built);
		/* mapdb.h's lookups read the same row. */
		assert_string_equal(mapdb_type_name(t), m->name);
		assert_ptr_equal(mapdb_suffix(t), m->suffix);
		assert_int_equal(mapdb_available(t), m->built);
	}
}

/* The enum's names are the rows of those types. */
static void
test_enum(void **state)
{
	static const struct {
		int type;
		const char *name, *suffix, *feature;
	} rows[] = {
		{MAPDB_HASH, "hash", ".db", "bdb"},
		{MAPDB_BTREE, "btree", ".db", "bdb"},
		{MAPDB_TEXT, "text", NULL, NULL},
		{MAPDB_LMDB, "lmdb", ".lmdb", "lmdb"},
		{MAPDB_CDB, "cdb", ".cdb", "cdb"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct maptype *m = maptype_get(rows[i].type);

		assert_string_equal(m->name, rows[i].name);
		if (rows[i].suffix == NULL)
			assert_null(m->suffix);
		else
			assert_string_equal(m->suffix, rows[i].suffix);
		if (rows[i].feature == NULL)
			assert_null(m->feature);
		else
			assert_string_equal(m->feature, rows[i].feature);
	}
}

static void
test_lookup(void **state)
{
	static const struct {
		const char *name;
		int want;
	} rows[] = {
		{"hash", MAPDB_HASH},
		{"btree", MAPDB_BTREE},
		{"text", MAPDB_TEXT},
		{"texthash", MAPDB_TEXT}, /* the alias */
		{"lmdb", MAPDB_LMDB},
		{"cdb", MAPDB_CDB},
		{"Hash", -1}, /* exact, as main.cf */
		{"proxy", -1},
		{"db", -1},
		{"", -1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(maptype_lookup(rows[i].name), rows[i].want);
}

static void
test_names(void **state)
{
	static const char want[] = "hash, btree, lmdb, cdb or text";
	char buf[64], small[10];

	(void)state;
	assert_int_equal(maptype_names(buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
	/* Cut, as snprintf: the full length, a terminated prefix. */
	assert_int_equal(maptype_names(small, sizeof(small)), strlen(want));
	assert_string_equal(small, "hash, btr");
	assert_int_equal(maptype_names(NULL, 0), strlen(want));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
