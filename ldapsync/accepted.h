/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_ACCEPTED_H
#define RCPTSYNC_ACCEPTED_H

#include "acceptdom.h"
#include "syncerr.h"

struct ldapsync_session;

/*
 * accepted_read - Exchange's accepted domains, from the Configuration
 *	naming context the session's rootDSE names, appended to OUT (not
 *	finished).  An object with a value that is not a domain is skipped
 *	and recorded in OUT (acceptdom_skip).  Returns the
 *	number appended (at least one), or -1: DATA when the server shows
 *	none (no Exchange organisation, or the account may not read it:
 *	both look alike to LDAP, and an empty list would reject all mail),
 *	CONFIG when the rootDSE names no configurationNamingContext, else
 *	the search's error.
 */
int accepted_read(struct ldapsync_session *s, struct acceptdom_list *out,
		  struct sync_err *err) __attribute__((warn_unused_result));

#endif
