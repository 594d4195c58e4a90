/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_KRB5CRED_H
#define RCPTSYNC_KRB5CRED_H

#include "syncerr.h"

struct krb5cred;

/*
 * krb5cred_acquire - get PRINCIPAL's initial ticket with its key from the
 *	keytab KEYTAB (a path or "credential:NAME"; checked like a password
 *	file) into a private in-memory cache, and make that cache the
 *	default for GSSAPI in this thread until krb5cred_release().  Kinds:
 *	AUTH (unsafe keytab, no key, KDC refused), UNAVAILABLE (no KDC
 *	reachable), CONFIG (bad principal, unusable krb5.conf).
 */
int krb5cred_acquire(const char *keytab, const char *principal,
		     struct krb5cred **out, struct sync_err *err)
	__attribute__((warn_unused_result));

/* krb5cred_release - destroy the cache and restore GSSAPI's default */
void krb5cred_release(struct krb5cred *kc);

#endif
