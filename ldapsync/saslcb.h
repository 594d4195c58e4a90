/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_SASLCB_H
#define RCPTSYNC_SASLCB_H

#include <stddef.h>

/*
 * saslcb_gssapi - can this process's Cyrus SASL and libldap put a TLS
 *	channel binding (tls-server-end-point) into a GSSAPI bind?  1 yes;
 *	0 no, with the reason in WHY (SIZE bytes, always terminated).  Asks
 *	the loaded GSSAPI plugin what it declares and the libraries' run-time
 *	versions (doc/active-directory.md, "AD hardening"); sends nothing.
 */
int saslcb_gssapi(char *why, size_t size);

#endif
