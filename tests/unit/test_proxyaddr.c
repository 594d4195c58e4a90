/* SPDX-License-Identifier: MIT */
/* Unit tests: proxyaddr_normalise() rules, one row per rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proxyaddr.h"

struct row {
	const char *name;
	const char *input;
	size_t len; /* 0: strlen(input) */
	enum proxyaddr_verdict want;
	const char *want_key; /* for KEEP */
};

#define L(s) s, sizeof(s) - 1 /* literal with embedded NUL kept */

static const char long_local[] =
	"smtp:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"@corp.example"; /* 65-byte local part */

static const struct row rows[] = {
	{"primary", "SMTP:Alice@Corp.Example", 0, PROXYADDR_KEEP,
	 "alice@corp.example"},
	{"secondary", "smtp:bob@corp.example", 0, PROXYADDR_KEEP,
	 "bob@corp.example"},
	{"mixed-case type", "sMtP:c@corp.example", 0, PROXYADDR_KEEP,
	 "c@corp.example"},
	{"plus and dots kept", "smtp:first.last+tag@sub.corp.example", 0,
	 PROXYADDR_KEEP, "first.last+tag@sub.corp.example"},
	{"x500 ignored", "X500:/o=Org/cn=Recipients/cn=a", 0, PROXYADDR_IGNORE,
	 NULL},
	{"sip ignored", "SIP:alice@corp.example", 0, PROXYADDR_IGNORE, NULL},
	{"x400 ignored", "X400:c=US;a= ;p=Org;o=Exchange;s=A;", 0,
	 PROXYADDR_IGNORE, NULL},
	{"eum ignored", "EUM:4711;phone-context=x", 0, PROXYADDR_IGNORE, NULL},
	{"no type ignored", "alice@corp.example", 0, PROXYADDR_IGNORE, NULL},
	{"smtps is not smtp", "smtps:alice@corp.example", 0, PROXYADDR_IGNORE,
	 NULL},
	/* quoted local parts: the key smtpd looks up (postfix.sh checks
	 * the RCPT answers) */
	{"quoted local part", "smtp:\"John\"@corp.example", 0, PROXYADDR_KEEP,
	 "john@corp.example"},
	{"quoted, needs its quotes", "smtp:\".lead\"@corp.example", 0,
	 PROXYADDR_KEEP, ".lead@corp.example"},
	{"leading dot, as it is", "smtp:.lead@corp.example", 0, PROXYADDR_KEEP,
	 ".lead@corp.example"},
	{"two dots, as they are", "smtp:a..b@corp.example", 0, PROXYADDR_KEEP,
	 "a..b@corp.example"},
	/* not silently "not SMTP": someone meant an address there */
	{"space before the type", " SMTP:alice@corp.example", 0,
	 PROXYADDR_REFUSE, NULL},
	{"tab before the type", "\tsmtp:alice@corp.example", 0,
	 PROXYADDR_REFUSE, NULL},
	{"newline injection", "smtp:a@corp.example\nb@corp.example OK", 0,
	 PROXYADDR_REFUSE, NULL},
	{"carriage return", "smtp:a@corp.example\r", 0, PROXYADDR_REFUSE, NULL},
	{"tab splits field", "smtp:a@corp.example\tREJECT", 0, PROXYADDR_REFUSE,
	 NULL},
	{"space", "smtp:a b@corp.example", 0, PROXYADDR_REFUSE, NULL},
	{"NUL", L("smtp:a@corp.example\0b"), PROXYADDR_REFUSE, NULL},
	{"comment start", "smtp:#a@corp.example", 0, PROXYADDR_REFUSE, NULL},
	{"two at signs", "smtp:a@b@corp.example", 0, PROXYADDR_REFUSE, NULL},
	{"no at sign", "smtp:corp.example", 0, PROXYADDR_REFUSE, NULL},
	{"empty local part", "smtp:@corp.example", 0, PROXYADDR_REFUSE, NULL},
	{"empty address", "smtp:", 0, PROXYADDR_REFUSE, NULL},
	{"local part 65 bytes", long_local, 0, PROXYADDR_REFUSE, NULL},
	{"non-ascii", "smtp:j\xc3\xbcrgen@corp.example", 0, PROXYADDR_REFUSE,
	 NULL},
	{"control char", "smtp:a\x01@corp.example", 0, PROXYADDR_REFUSE, NULL},
	{"DEL", "smtp:a\x7f@corp.example", 0, PROXYADDR_REFUSE, NULL},
	{"empty label", "smtp:a@corp..example", 0, PROXYADDR_REFUSE, NULL},
	{"trailing dot", "smtp:a@corp.example.", 0, PROXYADDR_REFUSE, NULL},
	{"leading hyphen label", "smtp:a@-corp.example", 0, PROXYADDR_REFUSE,
	 NULL},
	{"underscore in domain", "smtp:a@corp_x.example", 0, PROXYADDR_REFUSE,
	 NULL},
	{"bracket literal", "smtp:a@[127.0.0.1]", 0, PROXYADDR_REFUSE, NULL},
	{"domain only dots", "smtp:a@.", 0, PROXYADDR_REFUSE, NULL},
};

/* test_rows - every row: verdict and key */
static void
test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		char key[PROXYADDR_KEY_MAX];
		const char *why = NULL;
		size_t len = r->len ? r->len : strlen(r->input);
		enum proxyaddr_verdict got;

		got = proxyaddr_normalise(r->input, len, key, &why);
		if (got != r->want)
			fail_msg("row \"%s\": verdict %d, want %d", r->name,
				 got, r->want);
		if (r->want == PROXYADDR_KEEP && strcmp(key, r->want_key) != 0)
			fail_msg("row \"%s\": key \"%s\", want \"%s\"", r->name,
				 key, r->want_key);
		if (r->want == PROXYADDR_REFUSE && (why == NULL || !*why))
			fail_msg("row \"%s\": refused without a reason",
				 r->name);
	}
}

/* test_lengths - the 254-byte limit, at and over it */
static void
test_lengths(void **state)
{
	char val[400], key[PROXYADDR_KEY_MAX];
	const char *why;
	/* "smtp:" + 64 local + "@" + domain of labels up to total 254 */
	(void)state;
	for (size_t total = 250; total <= 300; total++) {
		size_t dom_len = total - 65, o = 0;

		memcpy(val, "smtp:", 5);
		memset(val + 5, 'l', 64);
		val[69] = '@';
		o = 70;
		for (size_t d = 0; d < dom_len; d++)
			val[o++] = (d % 50 == 49) ? '.' : 'd';
		if (val[o - 1] == '.')
			val[o - 1] = 'd';
		enum proxyaddr_verdict v =
			proxyaddr_normalise(val, o, key, &why);
		if (total <= 254)
			assert_int_equal(v, PROXYADDR_KEEP);
		else
			assert_int_equal(v, PROXYADDR_REFUSE);
	}
}

/* test_escape - log output shows hostile bytes, never raw */
static void
test_escape(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(
		proxyaddr_escape("a\nb\t\\\x01\xc3", 7, buf, sizeof(buf)),
		"a\\nb\\t\\\\\\x01\\xc3");
	proxyaddr_escape("0123456789012345678901234567890123456789", 40, buf,
			 16);
	assert_true(strlen(buf) < 16);
	assert_string_equal(buf + strlen(buf) - 3, "...");
}

/* test_check_key - the extra file's rules: catch-all only when allowed */
static void
test_check_key(void **state)
{
	char k1[] = "@Corp.Example", k2[] = "@corp.example", k3[] = "X@Y.Z";
	const char *why;

	(void)state;
	assert_int_equal(proxyaddr_check_key(k1, strlen(k1), 1, &why), 0);
	assert_string_equal(k1, "@corp.example");
	assert_int_equal(proxyaddr_check_key(k2, strlen(k2), 0, &why), -1);
	assert_int_equal(proxyaddr_check_key(k3, strlen(k3), 0, &why), 0);
	assert_string_equal(k3, "x@y.z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_check_key),
	};

	return cmocka_run_group_tests_name("proxyaddr", tests, NULL, NULL);
}
