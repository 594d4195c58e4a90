/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_ADHINT_H
#define RCPTSYNC_ADHINT_H

/*
 * adhint_for - one line of advice for an Active Directory (or Kerberos)
 *	diagnostic such as "... AcceptSecurityContext error, data 52e, ...",
 *	or NULL when the text is not recognised.  The string is static.
 */
const char *adhint_for(const char *diagnostic);

#endif
