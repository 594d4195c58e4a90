/* SPDX-License-Identifier: MIT */
/* Unit tests: the attributes DirSync is asked for are exactly those a
 * filter tests: nested, negated, extensible, with options, escaped values
 * holding filter characters, each once whatever its case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "adkinds.h"
#include "filterattrs.h"
#include "changes.h"

/* joined - the list as "a,b,c" into BUF */
static const char *
joined(char **list, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
		if (i > 0)
			strncat(buf, ",", size - strlen(buf) - 1);
		strncat(buf, list[i], size - strlen(buf) - 1);
	}
	return buf;
}

static const char *
attrs_of(const char *filter, char *buf, size_t size)
{
	char **list = NULL;
	size_t n = 0;

	filterattrs_add(&list, &n, filter);
	joined(list, buf, size);
	filterattrs_free(list);
	return buf;
}

static void
test_filters(void **state)
{
	char buf[512], *all = adkinds_filter(ADKINDS_ALL);

	(void)state;
	assert_string_equal(attrs_of(all, buf, sizeof(buf)),
			    "proxyAddresses,objectClass");
	free(all);
	/* Exchange's "hidden" and a disabled-account test, negated */
	assert_string_equal(
		attrs_of(
			"(&(proxyAddresses=smtp:*)(!(msExchHideFromAddressLists"
			"=TRUE))(!(userAccountControl:1.2.840.113556.1.4.803:"
			"=2)))",
			buf, sizeof(buf)),
		"proxyAddresses,msExchHideFromAddressLists,userAccountControl");
	/* >=, <=, ~=, options, case, spaces after "(" */
	assert_string_equal(attrs_of("(|( cn>=a)(SN<=b)(mail~=c)"
				     "(userCertificate;binary=*)(CN=d))",
				     buf, sizeof(buf)),
			    "cn,SN,mail,userCertificate");
	/* escaped parentheses in a value open nothing */
	assert_string_equal(attrs_of("(&(description=a\\28b=c\\29)(o=x))", buf,
				     sizeof(buf)),
			    "description,o");
	/* an extensible match without an attribute adds nothing */
	assert_string_equal(attrs_of("(:dn:2.4.6.8.10:=x)", buf, sizeof(buf)),
			    "");
	assert_string_equal(attrs_of("", buf, sizeof(buf)), "");
}

static void
test_add_one(void **state)
{
	char **list = NULL, buf[128];
	size_t n = 0;

	(void)state;
	filterattrs_add_one(&list, &n, "objectGUID", 10);
	filterattrs_add_one(&list, &n, "OBJECTGUID", 10);
	filterattrs_add_one(&list, &n, "name", 4);
	filterattrs_add(&list, &n, "(&(Name=x)(isDeleted=TRUE))");
	assert_int_equal(n, 3);
	assert_null(list[3]);
	assert_string_equal(joined(list, buf, sizeof(buf)),
			    "objectGUID,name,isDeleted");
	filterattrs_free(list);
	filterattrs_free(NULL);
}

/*
 * Windows AD's DirSync reports an object only when a requested attribute
 * changed: an alias added to an existing user changes proxyAddresses
 * alone, so it must be asked for whatever the filter (issue 14, defect
 * 3: a custom filter without proxyAddresses left new aliases unseen).
 */
static void
test_dirsync_attrs(void **state)
{
	char buf[512], *all = adkinds_filter(ADKINDS_ALL);
	const char *const filters[] = {
		all,
		"(objectClass=user)",
		"(&(mail=*)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		char **attrs = changes_dirsync_attrs(filters[i]);
		int has = 0, guid = 0, name = 0, deleted = 0;

		for (char **a = attrs; *a; a++) {
			has |= strcasecmp(*a, "proxyAddresses") == 0;
			guid |= strcasecmp(*a, "objectGUID") == 0;
			name |= strcasecmp(*a, "name") == 0;
			deleted |= strcasecmp(*a, "isDeleted") == 0;
		}
		if (!has || !guid || !name || !deleted)
			fail_msg("filter %s: DirSync asks for %s", filters[i],
				 joined(attrs, buf, sizeof(buf)));
		filterattrs_free(attrs);
	}
	free(all);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_add_one),
		cmocka_unit_test(test_dirsync_attrs),
	};

	return cmocka_run_group_tests_name("filterattrs", tests, NULL, NULL);
}
