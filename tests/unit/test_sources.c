/* SPDX-License-Identifier: MIT */
/* Unit tests: the LDIF source (libldap's parser) and addrfilter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "addrfilter.h"
#include "ldapsync.h"
#include "search.h"
#include "ldifsource.h"
#include "testutil.h"

struct seen {
	char lines[32][160];
	int n;
};

static int
collect(void *ctx, const char *dn, const char *val, size_t len)
{
	struct seen *s = ctx;

	snprintf(s->lines[s->n++], 160, "%s|%.*s|%zu", dn, (int)len, val, len);
	return 0;
}

/* read_text - run ldifsource_read over TEXT in a temp file */
static int
read_text(const char *text, struct seen *s, struct source_stats *st,
	  struct sync_err *err, char *path)
{
	int rc;

	testutil_write_temp(text, path, 64);
	memset(s, 0, sizeof(*s));
	rc = ldifsource_read(path, collect, s, st, err);
	unlink(path);
	return rc;
}

static void
test_ldif_forms(void **state)
{
	static const char text[] =
		"version: 1\n"
		"# comment\n"
		"dn: CN=A,DC=x\n"
		"changetype: add\n"
		"PROXYADDRESSES: SMTP:a@x.example\n"
		"proxyaddresses: smtp:fol\n"
		" ded@x.example\n"
		"mail: ignored@x.example\n"
		"\n"
		"dn:: Q049QixEQz14\n"			      /* "CN=B,DC=x" */
		"proxyAddresses:: c210cDpiQHguZXhhbXBsZQA=\n" /* NUL inside */
		"\n";
	struct seen s;
	struct source_stats st;
	struct sync_err err;
	char path[64];

	(void)state;
	assert_int_equal(read_text(text, &s, &st, &err, path), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], "CN=A,DC=x|SMTP:a@x.example|16");
	assert_string_equal(s.lines[1], "CN=A,DC=x|smtp:folded@x.example|21");
	/* the NUL byte is passed through, for proxyaddr to refuse */
	assert_int_equal(strncmp(s.lines[2], "CN=B,DC=x|smtp:b@x.example", 26),
			 0);
	assert_string_equal(s.lines[2] + strlen(s.lines[2]) - 3, "|17");
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.values, 3);
}

struct bad_row {
	const char *name;
	const char *text;
	int want_kind;
	const char *want;
};

static void
test_ldif_errors(void **state)
{
	static const struct bad_row rows[] = {
		{"bad base64", "dn: CN=A,DC=x\nproxyAddresses:: !!!notb64\n",
		 SYNC_ERR_DATA, ":1: malformed LDIF record (lines 1-2): "},
		{"no dn", "\n\nproxyAddresses: smtp:a@x.y\n", SYNC_ERR_DATA,
		 ":3: LDIF record does not start with dn:"},
		{"modify record",
		 "dn: CN=A,DC=x\nchangetype: modify\nadd: proxyAddresses\n"
		 "proxyAddresses: smtp:a@x.y\n",
		 SYNC_ERR_DATA, "not an entry"},
		{"url value",
		 "dn: CN=A,DC=x\nproxyAddresses:< file:///etc/passwd\n",
		 SYNC_ERR_DATA, ":2: LDIF URL values"},
		{"include line",
		 "dn: CN=A,DC=x\nproxyAddresses: smtp:a@x.y\n\n"
		 "include: file:///dev/zero\n\n",
		 SYNC_ERR_DATA,
		 ":4: not accepted in an LDIF export: an include: line"},
		{"separator line (crashes libldap 2.5)", "dn: CN=A\n-\n\n",
		 SYNC_ERR_DATA,
		 ":2: not accepted in an LDIF export: a line that is not"},
		{"empty attribute type (crashes libldap 2.5)",
		 "dn: CN=A\n: x\nproxyAddresses: smtp:a@x.y\n\n", SYNC_ERR_DATA,
		 ":2: not accepted in an LDIF export: a line that is not"},
		{"second record bad",
		 "dn: CN=A,DC=x\nproxyAddresses: smtp:a@x.y\n\n"
		 "dn: CN=B,DC=x\nproxyAddresses:: ***\n",
		 SYNC_ERR_DATA, ":4: malformed"},
	};
	struct seen s;
	struct source_stats st;
	struct sync_err err;
	char path[64];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct bad_row *r = &rows[i];

		if (read_text(r->text, &s, &st, &err, path) == 0)
			fail_msg("row \"%s\": read without error", r->name);
		if (err.kind != r->want_kind || strstr(err.msg, path) == NULL ||
		    strstr(err.msg, r->want) == NULL)
			fail_msg("row \"%s\": kind %d msg \"%s\", want \"%s\"",
				 r->name, err.kind, err.msg, r->want);
	}
	assert_int_equal(ldifsource_read("/nonexistent/export.ldf", collect, &s,
					 &st, &err),
			 -1);
	assert_int_equal(err.kind, SYNC_ERR_UNAVAILABLE);
}

static void
test_addrfilter(void **state)
{
	char *domains[] = {"corp.example", ".old.example"};
	char *patterns[] = {"healthmailbox*@corp.example", "sm_*"};

	(void)state;
	assert_true(addrfilter_domain_kept(domains, 2, "a@corp.example"));
	assert_false(addrfilter_domain_kept(domains, 2, "a@sub.corp.example"));
	assert_true(addrfilter_domain_kept(domains, 2, "a@old.example"));
	assert_true(addrfilter_domain_kept(domains, 2, "a@x.old.example"));
	assert_false(addrfilter_domain_kept(domains, 2, "a@xold.example"));
	assert_false(addrfilter_domain_kept(domains, 2, "a@other.example"));
	assert_true(addrfilter_domain_kept(NULL, 0, "a@other.example"));
	assert_true(addrfilter_excluded(patterns, 2,
					"healthmailbox0a1b@corp.example"));
	assert_true(addrfilter_excluded(patterns, 2, "sm_1234@x.y"));
	assert_null(addrfilter_excluded(patterns, 2, "alice@corp.example"));
	assert_string_equal(addrfilter_excluded(patterns, 2, "sm_1@x.y"),
			    "sm_*");
}

static void
test_range_option(void **state)
{
	static const struct {
		const char *desc;
		int want;
		long low, high;
	} rows[] = {
		{"proxyAddresses", 0, 0, 0},
		{"proxyAddresses;range=0-1499", 1, 0, 1499},
		{"proxyAddresses;RANGE=1500-*", 1, 1500, -1},
		{"proxyAddresses;binary;range=3000-4499", 1, 3000, 4499},
		{"proxyAddresses;range=1500-2999;binary", 1, 1500, 2999},
		{"proxyAddresses;range=", -1, 0, 0},
		{"proxyAddresses;range=5-", -1, 0, 0},
		{"proxyAddresses;range=9-3", -1, 0, 0},
		{"proxyAddresses;range=-1-5", -1, 0, 0},
		{"proxyAddresses;range=0-12x", -1, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		long low = 0, high = 0;
		int got = ldapsync_parse_range(rows[i].desc, &low, &high);

		if (got != rows[i].want)
			fail_msg("%s: got %d, want %d", rows[i].desc, got,
				 rows[i].want);
		if (got == 1 && (low != rows[i].low || high != rows[i].high))
			fail_msg("%s: got %ld-%ld", rows[i].desc, low, high);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ldif_forms),
		cmocka_unit_test(test_ldif_errors),
		cmocka_unit_test(test_addrfilter),
		cmocka_unit_test(test_range_option),
	};

	return cmocka_run_group_tests_name("sources", tests, NULL, NULL);
}
