/* SPDX-License-Identifier: MIT */
/* Unit tests: common/addr/smtpaddr.c reads a RCPT TO argument as
 * Postfix 3.7's smtpd does.  Every row's answer was first taken from a
 * real smtpd (tests/integration/explain-smtpd.sh proves the rest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtpaddr.h"

struct row {
	const char *arg;
	enum smtpaddr_code code;
	const char *addr; /* OK, POSTMASTER: the address smtpd resolves */
	int routed;
};

static const struct row rows[] = {
	{"<user1@corp.example>", SMTPADDR_OK, "user1@corp.example", 0},
	{"user1@corp.example", SMTPADDR_OK, "user1@corp.example", 0},
	{"  <User1@Corp.Example>  ", SMTPADDR_OK, "User1@Corp.Example", 0},
	/* quotes undone, as the normaliser writes the table */
	{"<\"john.q\"@corp.example>", SMTPADDR_OK, "john.q@corp.example", 0},
	{"<\"john\".q@corp.example>", SMTPADDR_OK, "john.q@corp.example", 0},
	{"<\"semi;colon\"@corp.example>", SMTPADDR_OK,
	 "semi;colon@corp.example", 0},
	{"<\"a\\\"b\"@corp.example>", SMTPADDR_OK, "a\"b@corp.example", 0},
	{"<a\\b@corp.example>", SMTPADDR_OK, "ab@corp.example", 0},
	/* one trailing dot goes; two are a 501 */
	{"<user1@corp.example.>", SMTPADDR_OK, "user1@corp.example", 0},
	{"<user1@corp.example..>", SMTPADDR_SYNTAX, NULL, 0},
	/* source routes are ignored */
	{"<@relay.example:user1@corp.example>", SMTPADDR_OK,
	 "user1@corp.example", 0},
	{"<@a,@b:user1@corp.example>", SMTPADDR_OK, "user1@corp.example", 0},
	/* routing characters: resolved, but routed */
	{"<a%b@corp.example>", SMTPADDR_OK, "a%b@corp.example", 1},
	{"<bang!path@corp.example>", SMTPADDR_OK, "bang!path@corp.example", 1},
	{"<\"a@b\"@corp.example>", SMTPADDR_OK, "a@b@corp.example", 1},
	/* allow_min_user = no */
	{"<-lead@corp.example>", SMTPADDR_SYNTAX, NULL, 0},
	{"<\"-lead\"@corp.example>", SMTPADDR_SYNTAX, NULL, 0},
	/* RFC 822 specials unquoted: two addresses, or a comment */
	{"<semi;colon@corp.example>", SMTPADDR_SYNTAX, NULL, 0},
	{"<br[ack]et@corp.example>", SMTPADDR_SYNTAX, NULL, 0},
	{"<a,b@corp.example>", SMTPADDR_SYNTAX, NULL, 0},
	{"<a<b@corp.example>", SMTPADDR_SYNTAX, NULL, 0},
	{"<a\"b@corp.example>", SMTPADDR_SYNTAX, NULL, 0},
	{"<pa(ren)@corp.example>", SMTPADDR_OK, "pa@corp.example", 0},
	{"<pa (ren)@corp.example>", SMTPADDR_OK, "pa@corp.example", 0},
	{"<user1@corp.example(comment)>", SMTPADDR_OK, "user1@corp.example", 0},
	{"<user1@corp.example;>", SMTPADDR_OK, "user1@corp.example", 0},
	{"<Name <user1@corp.example>>", SMTPADDR_OK, "user1@corp.example", 0},
	{"<a:b@corp.example>", SMTPADDR_OK, "a:b@corp.example", 0},
	{"<a..b@corp.example>", SMTPADDR_OK, "a..b@corp.example", 0},
	{"<.lead@corp.example>", SMTPADDR_OK, ".lead@corp.example", 0},
	{"<a.@corp.example>", SMTPADDR_OK, "a.@corp.example", 0},
	{"<@corp.example>", SMTPADDR_OK, "@corp.example", 0},
	{"<\"\"@corp.example>", SMTPADDR_OK, "@corp.example", 0},
	/* IP literals and host names */
	{"<user1@[192.0.2.1]>", SMTPADDR_OK, "user1@[192.0.2.1]", 0},
	{"<user1@[IPv6:::1]>", SMTPADDR_OK, "user1@[IPv6:::1]", 0},
	{"<user1@[300.0.0.1]>", SMTPADDR_SYNTAX, NULL, 0},
	{"<user1@[foo]>", SMTPADDR_SYNTAX, NULL, 0},
	{"<user1@[1.2.3]>", SMTPADDR_SYNTAX, NULL, 0},
	{"<user1@[::1]>", SMTPADDR_SYNTAX, NULL, 0},
	{"<user1@[IPv6:1::2::3]>", SMTPADDR_SYNTAX, NULL, 0},
	{"<user1@127.0.0.1>", SMTPADDR_SYNTAX, NULL, 0},
	{"<user1@corp..example>", SMTPADDR_SYNTAX, NULL, 0},
	{"<user1@.corp.example>", SMTPADDR_SYNTAX, NULL, 0},
	{"<user1@-corp.example>", SMTPADDR_SYNTAX, NULL, 0},
	{"<user1@corp-.example>", SMTPADDR_SYNTAX, NULL, 0},
	{"<user1@corp_x.example>", SMTPADDR_OK, "user1@corp_x.example", 0},
	{"<user1@corp.123>", SMTPADDR_OK, "user1@corp.123", 0},
	{"<user1@"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 ".example>",
	 SMTPADDR_OK,
	 "user1@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 ".example",
	 0},
	{"<user1@"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "a.example>",
	 SMTPADDR_SYNTAX, NULL, 0},
	{"<user1@>", SMTPADDR_SYNTAX, NULL, 0},
	{"<>", SMTPADDR_SYNTAX, NULL, 0},
	{"", SMTPADDR_NOARG, NULL, 0},
	{"<user1@corp.example", SMTPADDR_SYNTAX, NULL, 0},
	{"<a b>@x c", SMTPADDR_SYNTAX, NULL, 0},
	{"a b", SMTPADDR_OPTION, NULL, 0},
	{"<user1@corp.example> NOTIFY=NEVER", SMTPADDR_OK, "user1@corp.example",
	 0},
	{"<user1@corp.example> FOO=1", SMTPADDR_OPTION, NULL, 0},
	{"<-lead@corp.example> FOO", SMTPADDR_SYNTAX, NULL, 0},
	{"<@>", SMTPADDR_SYNTAX, NULL, 0},
	{"<\"\">", SMTPADDR_SYNTAX, NULL, 0},
	{"user1@corp.example>", SMTPADDR_OK, "user1@corp.example", 0},
	{"<<user1@corp.example>>", SMTPADDR_OK, "user1@corp.example", 0},
	{"<user1@[IPv6:2001:db8::1.2.3.4]>", SMTPADDR_OK,
	 "user1@[IPv6:2001:db8::1.2.3.4]", 0},
	{"<user1@[192.0.2.1].>", SMTPADDR_OK, "user1@[192.0.2.1]", 0},
	{"<x@.>", SMTPADDR_SYNTAX, NULL, 0},
	{"<pa\\(ren@corp.example>", SMTPADDR_OK, "pa(ren@corp.example", 0},
	{"<user1@corp\\.example>", SMTPADDR_OK, "user1@corp.example", 0},
	{"<j\xc3\xbcrgen@corp.example>", SMTPADDR_OK,
	 "j\xc3\xbcrgen@corp.example", 0},
	{"<j\xfc"
	 "rgen@corp.example>",
	 SMTPADDR_BADUTF8, NULL, 0},
	{"<user1@b\xc3\xbc"
	 "cher.example>",
	 SMTPADDR_SYNTAX, NULL, 0},
	/* RFC 5321: postmaster without a domain; others get @myorigin */
	{"<postmaster>", SMTPADDR_POSTMASTER, "postmaster@gw.test.example", 0},
	{"<Postmaster>", SMTPADDR_POSTMASTER, "Postmaster@gw.test.example", 0},
	{"<user1>", SMTPADDR_OK, "user1@gw.test.example", 0},
	{"<host!user>", SMTPADDR_OK, "user@host", 0},
	/* an empty domain: the local part is resolved again (resolve.c) */
	{"<bang!path@>", SMTPADDR_OK, "path@bang", 0},
	{"<@user120@>", SMTPADDR_OK, "@user120", 0},
	{"<a%b.example@>", SMTPADDR_OK, "a@b.example", 0},
	{"<\"\"@[IPv6:1:2:3:4:5:6:7:8]>", SMTPADDR_SYNTAX, NULL, 0},
	{"<user%host>", SMTPADDR_OK, "user@host", 0},
};

static void
test_rows(void **state)
{
	struct smtpaddr_settings s;
	struct smtpaddr r;
	int bad = 0;

	(void)state;
	smtpaddr_settings_default(&s, "gw.test.example");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];

		smtpaddr_parse(w->arg, strlen(w->arg), &s, &r);
		if (r.code != w->code ||
		    (w->addr != NULL &&
		     (r.addr == NULL || strcmp(r.addr, w->addr) != 0)) ||
		    (w->addr != NULL && r.routed != w->routed)) {
			printf("row %zu %s: code %d addr %s routed %d (%s)\n",
			       i, w->arg, r.code, r.addr ? r.addr : "-",
			       r.routed, r.why ? r.why : "");
			bad++;
		}
		smtpaddr_free(&r);
	}
	assert_int_equal(bad, 0);
}

/* allow_min_user = yes lets a leading hyphen through */
static void
test_min_user(void **state)
{
	struct smtpaddr_settings s;
	struct smtpaddr r;

	(void)state;
	smtpaddr_settings_default(&s, "gw.test.example");
	s.allow_min_user = 1;
	smtpaddr_parse("<-lead@corp.example>", 20, &s, &r);
	assert_int_equal(r.code, SMTPADDR_OK);
	assert_string_equal(r.addr, "-lead@corp.example");
	smtpaddr_free(&r);
}

/* an address of any length is read, not cut */
static void
test_long(void **state)
{
	struct smtpaddr_settings s;
	struct smtpaddr r;
	char arg[1100];

	(void)state;
	smtpaddr_settings_default(&s, NULL);
	s.line_limit = 0;
	arg[0] = '<';
	memset(arg + 1, 'x', 1000);
	strcpy(arg + 1001, "@corp.example>");
	smtpaddr_parse(arg, strlen(arg), &s, &r);
	assert_int_equal(r.code, SMTPADDR_OK);
	assert_int_equal(strlen(r.addr), 1000 + 13);
	smtpaddr_free(&r);
	/* past line_length_limit smtpd cuts the line: no '>' is left */
	s.line_limit = 1000;
	smtpaddr_parse(arg, strlen(arg), &s, &r);
	assert_int_equal(r.code, SMTPADDR_SYNTAX);
	smtpaddr_free(&r);
}

struct strip_row {
	const char *addr, *delims, *want;
};

static const struct strip_row strip_rows[] = {
	{"user1+tag@corp.example", "+", "user1@corp.example"},
	{"user1++x@corp.example", "+", "user1@corp.example"},
	{"user1+@corp.example", "+", "user1@corp.example"},
	{"+tag@corp.example", "+", NULL},
	{"user1@corp.example", "+", NULL},
	{"user1+tag@corp.example", "", NULL},
	{"postmaster+x@corp.example", "+", "postmaster@corp.example"},
	{"postmaster@corp.example", "+-", NULL},
	{"MAILER-DAEMON@corp.example", "-", NULL},
	{"owner-list@corp.example", "-", NULL},
	{"list-request@corp.example", "-", NULL},
	{"a-b@corp.example", "-+", "a@corp.example"},
};

static void
test_strip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(strip_rows) / sizeof(strip_rows[0]);
	     i++) {
		char *got = smtpaddr_strip_ext(strip_rows[i].addr,
					       strip_rows[i].delims);

		if (strip_rows[i].want == NULL)
			assert_null(got);
		else
			assert_string_equal(got, strip_rows[i].want);
		free(got);
	}
}

static void
test_unreachable(void **state)
{
	(void)state;
	assert_non_null(smtpaddr_unreachable("a%b@corp.example"));
	assert_non_null(smtpaddr_unreachable("bang!path@corp.example"));
	assert_non_null(smtpaddr_unreachable("a@b@corp.example"));
	assert_non_null(smtpaddr_unreachable("-lead@corp.example"));
	assert_null(smtpaddr_unreachable("a-b@corp.example"));
	assert_null(smtpaddr_unreachable("semi;colon@corp.example"));
	assert_null(smtpaddr_unreachable("@corp.example"));
}

static void
test_quote(void **state)
{
	char *q;

	(void)state;
	q = smtpaddr_quote("a..b@corp.example");
	assert_string_equal(q, "\"a..b\"@corp.example");
	free(q);
	q = smtpaddr_quote("john.q@corp.example");
	assert_string_equal(q, "john.q@corp.example");
	free(q);
	q = smtpaddr_quote("@corp.example");
	assert_string_equal(q, "\"\"@corp.example");
	free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_min_user),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_strip),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_unreachable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
