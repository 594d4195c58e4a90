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
		assert_int_equal(m->edit != NULL,
				 m->built && (m->flags & MAPTYPE_VERIFY) != 0);
		/* A verify cache is an indexed map, purged online or not. */
		if (m->flags & MAPTYPE_VERIFY)
			assert_true(indexed);
		if (m->flags & MAPTYPE_VERIFY_ONLINE)
			assert_true(m->flags & MAPTYPE_VERIFY);
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
		const char *name, *suffix, *feature, *tmp_prefix;
		int flags;
	} rows[] = {
		{MAPDB_HASH, "hash", ".db", "bdb", "__db.", MAPTYPE_VERIFY},
		{MAPDB_BTREE, "btree", ".db", "bdb", "__db.", MAPTYPE_VERIFY},
		{MAPDB_TEXT, "text", NULL, NULL, NULL, 0},
		{MAPDB_LMDB, "lmdb", ".lmdb", "lmdb", NULL,
		 MAPTYPE_VERIFY | MAPTYPE_VERIFY_ONLINE},
		{MAPDB_CDB, "cdb", ".cdb", "cdb", NULL, 0},
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
		if (rows[i].tmp_prefix == NULL)
			assert_null(m->tmp_prefix);
		else
			assert_string_equal(m->tmp_prefix, rows[i].tmp_prefix);
		assert_int_equal(m->flags, rows[i].flags);
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
	assert_int_equal(maptype_names(buf, sizeof(buf), 0), strlen(want));
	assert_string_equal(buf, want);
	/* Cut, as snprintf: the full length, a terminated prefix. */
	assert_int_equal(maptype_names(small, sizeof(small), 0), strlen(want));
	assert_string_equal(small, "hash, btr");
	assert_int_equal(maptype_names(NULL, 0, 0), strlen(want));
	/* Only the types with every flag asked for. */
	maptype_names(buf, sizeof(buf), MAPTYPE_VERIFY);
	assert_string_equal(buf, "hash, btree or lmdb");
	maptype_names(buf, sizeof(buf), MAPTYPE_VERIFY | MAPTYPE_VERIFY_ONLINE);
	assert_string_equal(buf, "lmdb");
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
