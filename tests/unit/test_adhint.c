/* SPDX-License-Identifier: MIT */
/* Unit tests: AD's bind diagnostics, as DCs and libraries word them, get
 * the right advice; unknown text gets none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "adhint.h"

struct row {
	const char *diagnostic;
	const char *want; /* substring of the advice; NULL: no advice */
};

static const struct row rows[] = {
	/* Windows Server 2019 and Samba 4.17, word for word */
	{"80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext "
	 "error, data 52e, v4563",
	 "password is wrong"},
	{"80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext "
	 "error, data 533, v1db1",
	 "disabled in AD (data 533)"},
	{"80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext "
	 "error, data 701, v4563",
	 "account has expired (data 701)"},
	{"80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext "
	 "error, data 532, v4563",
	 "password has expired (data 532)"},
	{"80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext "
	 "error, data 525, v4563",
	 "no account by that name"},
	{"80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext "
	 "error, data 775, v4563",
	 "locked out"},
	{"00002028: LdapErr: DSID-0C090259, comment: The server requires "
	 "binds to turn on integrity checking if SSL\\TLS are not already "
	 "active on the connection, data 0, v4563",
	 "use ldaps:// or starttls: true, or bind.method gssapi"},
	{"BindSimple: Transport encryption required.", "without TLS"},
	{"80090346: LdapErr: DSID-0C090596, comment: AcceptSecurityContext "
	 "error, data 80090346, v4563",
	 "channel binding"},
	{"00002029: LdapErr: DSID-0C09058A, comment: Sign or Seal are not "
	 "allowed if TLS is used, data 0, v4563",
	 "maxssf=0"},
	/* Kerberos, through Cyrus SASL or libkrb5 */
	{"SASL(-1): generic failure: GSSAPI Error: Unspecified GSS failure.  "
	 "Minor code may provide more information (Server "
	 "ldap/dc9.corp.example@CORP.EXAMPLE not found in Kerberos database)",
	 "SPN"},
	{"Cannot contact any KDC for realm 'CORP.EXAMPLE'", "krb5.conf"},
	{"Clock skew too great", "NTP"},
	{"Preauthentication failed", "export the keytab again"},
	/* nothing to add */
	{"Can't contact LDAP server", NULL},
	{"", NULL},
	{NULL, NULL},
};

static void
test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *got = adhint_for(rows[i].diagnostic);

		if (rows[i].want == NULL) {
			if (got != NULL)
				fail_msg("row %zu: unexpected advice \"%s\"", i,
					 got);
		} else if (got == NULL || strstr(got, rows[i].want) == NULL) {
			fail_msg("row %zu: advice \"%s\" lacks \"%s\"", i,
				 got ? got : "(none)", rows[i].want);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
	};

	return cmocka_run_group_tests_name("adhint", tests, NULL, NULL);
}
