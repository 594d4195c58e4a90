/* SPDX-License-Identifier: MIT */
/* Unit tests: the AD object kinds and the filters built from them; the
 * default filter is a public interface, pinned byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adkinds.h"

/* As sync.yaml.example and rcptsync.yaml(5) spell it out. */
#define DEFAULT_FILTER                                                     \
	"(&(proxyAddresses=smtp:*)(|(objectClass=user)(objectClass=group)" \
	"(objectClass=contact)(objectClass=publicFolder)"                  \
	"(objectClass=msExchDynamicDistributionList)))"

struct row {
	unsigned kinds;
	const char *want;
};

static const struct row rows[] = {
	{ADKINDS_ALL, DEFAULT_FILTER},
	{1u << 0, "(&(proxyAddresses=smtp:*)(|(objectClass=user)))"},
	{1u << 1, "(&(proxyAddresses=smtp:*)(|(objectClass=group)))"},
	{1u << 2, "(&(proxyAddresses=smtp:*)(|(objectClass=contact)))"},
	{1u << 3, "(&(proxyAddresses=smtp:*)(|(objectClass=publicFolder)))"},
	{1u << 4, "(&(proxyAddresses=smtp:*)(|(objectClass="
		  "msExchDynamicDistributionList)))"},
	{(1u << 2) | (1u << 0), "(&(proxyAddresses=smtp:*)(|(objectClass=user)("
				"objectClass=contact)))"},
	/* include: [] (an empty list) selects nothing, as it always did */
	{0, "(&(proxyAddresses=smtp:*)(|))"},
};

static void
test_filters(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *f = adkinds_filter(rows[i].kinds);

		if (strcmp(f, rows[i].want) != 0)
			fail_msg("kinds %#x: \"%s\", want \"%s\"",
				 rows[i].kinds, f, rows[i].want);
		free(f);
	}
}

/* The names as include: takes them, in the default filter's order. */
static void
test_table(void **state)
{
	static const char *const names[] = {"users", "groups", "contacts",
					    "public_folders", "dynamic_lists"};

	(void)state;
	assert_int_equal(ADKINDS_COUNT, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < ADKINDS_COUNT; i++) {
		assert_string_equal(adkinds[i].name, names[i]);
		assert_non_null(adkinds[i].object_class);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests_name("adkinds", tests, NULL, NULL);
}
