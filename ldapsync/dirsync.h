/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_DIRSYNC_H
#define RCPTSYNC_DIRSYNC_H

/*
 * The DirSync rounds of one search (MS-ADTS 3.1.1.3.4.1.3), for search.c
 * only.
 */
#include <ldap.h>

#include "reply.h"

/*
 * dirsync_search - X's query as DirSync rounds from its cookie while the
 *	server has more; the cookie to continue from into the query's
 *	ldapsync_dirsync.  Returns 0, or -1 with ERR.
 */
int dirsync_search(struct search *x, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * dirsync_finish - the DirSync response control in CTRLS (which it
 *	frees): its cookie into COOKIE, its "more" flag into X.  Returns 0,
 *	or -1 with a DATA error when the control is missing or malformed.
 */
int dirsync_finish(struct search *x, LDAPControl **ctrls, struct berval *cookie,
		   struct sync_err *err) __attribute__((warn_unused_result));

#endif
