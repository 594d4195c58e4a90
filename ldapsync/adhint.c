/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	adhint - what Active Directory's bind diagnostics ask the admin to do
 * DESCRIPTION
 *	AD answers a refused bind with result 49 and puts the reason in the
 *	diagnostic message, as a Win32 error code in hex after "data"
 *	("80090308: LdapErr: DSID-0C09..., comment: AcceptSecurityContext
 *	error, data 52e, v4563").  Other refusals carry an LdapErr code
 *	(00002028: strong authentication required) or an SSPI status
 *	(80090346: channel binding token missing).  Kerberos failures of a
 *	GSSAPI bind come back from the SASL library as text.  This module
 *	maps each of those onto one line of advice; callers attach it to
 *	their sync_err with sync_err_hint().
 * DIAGNOSTICS
 *	NULL when nothing is recognised: the raw diagnostic is then all the
 *	admin gets, and it is always in the error message.
 * SEE ALSO
 *	MS-ADTS 3.1.1.3.4.1 (bind), [MS-ERREF] 2.2 (Win32 error codes),
 *	Microsoft ADV190023 (LDAP channel binding and signing).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "adhint.h"

struct hint {
	const char *needle; /* matched case-insensitively in the text */
	const char *advice;
};

/* "data XXX" codes from AcceptSecurityContext, then other markers. */
static const struct hint hints[] = {
	{"data 52e",
	 "the password is wrong for the account in bind.dn (AD data 52e): "
	 "correct bind.password_file; every failed try counts toward the "
	 "account's lockout"},
	{"data 525",
	 "AD knows no account by that name (data 525): bind.dn takes a DN, "
	 "user@domain (the UPN) or DOMAIN\\user"},
	{"data 530",
	 "the account may not log on at this time (data 530): check its "
	 "logon hours in AD"},
	{"data 531",
	 "the account may not log on from this machine (data 531): check "
	 "its \"Log On To\" workstations in AD"},
	{"data 532",
	 "the account's password has expired (data 532): set a new one and "
	 "update bind.password_file"},
	{"data 533",
	 "the account is disabled in AD (data 533): enable the service "
	 "account"},
	{"data 701",
	 "the account has expired (data 701): extend the account's expiry "
	 "date in AD"},
	{"data 773",
	 "AD wants the password changed at next logon (data 773): set a new "
	 "password for the service account and update bind.password_file"},
	{"data 775",
	 "the account is locked out (data 775): unlock it in AD, then find "
	 "what keeps sending a wrong password"},
	{"80090346",
	 "the DC enforces LDAP channel binding (ADV190023, "
	 "LdapEnforceChannelBinding): rcptsync sends tls-endpoint bindings "
	 "for GSSAPI over TLS; this needs a Cyrus SASL GSSAPI plugin that "
	 "supports them, or use bind.method simple over ldaps://"},
	{"Sign or Seal are not allowed",
	 "AD refuses a SASL security layer inside TLS (MS-ADTS 5.1.2.1); "
	 "rcptsync asks for none (maxssf=0) over ldaps:// and StartTLS, so "
	 "something else set SASL security properties: check the "
	 "environment (LDAPSASL_SECPROPS)"},
	{"00002028",
	 "the DC refuses this bind without TLS or signing (00002028, strong "
	 "authentication required): use ldaps:// or starttls: true, or "
	 "bind.method gssapi"},
	{"Strong(er) authentication required",
	 "the DC refuses this bind without TLS or signing (strong "
	 "authentication required): use ldaps:// or starttls: true, or "
	 "bind.method gssapi"},
	{"Transport encryption required",
	 "the DC refuses a simple bind without TLS: use ldaps:// or "
	 "starttls: true, or bind.method gssapi"},
	{"Clock skew too great",
	 "this machine's clock and the DC's differ by more than Kerberos "
	 "allows (5 minutes by default): run NTP against the DCs"},
	{"not found in Kerberos database",
	 "the KDC knows no such principal: check bind.principal, and that "
	 "the URI names the DC as in its SPN (ldap/HOST, usually the DC's "
	 "fully qualified name)"},
	{"Cannot contact any KDC",
	 "no Kerberos KDC answered for the realm: check the realm's kdc "
	 "entries in krb5.conf (or KRB5_CONFIG)"},
	{"Preauthentication failed",
	 "the keytab's key is not the account's current one (the password "
	 "was changed after the keytab was made): export the keytab again"},
	{"Key version number for principal in key table is incorrect",
	 "the keytab's key version is outdated: export the keytab again"},
};

/* adhint_for - the advice for a bind diagnostic, or NULL */
const char *
adhint_for(const char *diagnostic)
{
	if (diagnostic == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strcasestr(diagnostic, hints[i].needle) != NULL)
			return hints[i].advice;
	return NULL;
}
