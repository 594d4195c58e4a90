/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_CHANGES_H
#define RCPTSYNC_CHANGES_H

/* The change searches, for incremental pulls only (incremental.c). */
#include "pull.h"

/*
 * changes_search - what changed since P->prior (the change search of
 *	P->mode), and the changed objects that qualify, into P->changed and
 *	P->fresh; every qualifying object when P is not incremental (or
 *	stops being so: P->why_full says why).  Returns 0, or -1 with the
 *	search's error.
 */
int changes_search(struct pull *p, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * The change searches, one for each row of incrmode.c (struct incrmode's
 * changes): what changed since P->prior into P->changed (from the prior
 * position when P->incremental; else, for DirSync, only the cookie of
 * now into P->ds).  Each returns 0, or -1 with the search's error (a
 * DirSync refused for lack of the replication right: AUTH, with advice).
 */
int changes_listing(struct pull *p, struct sync_err *err)
	__attribute__((warn_unused_result));
int changes_tombstones(struct pull *p, struct sync_err *err)
	__attribute__((warn_unused_result));
int changes_dirsync(struct pull *p, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * changes_dirsync_attrs - the attributes a DirSync search asks for with
 *	FILTER: DirSync reports an object only when one of them changed
 *	(MS-ADTS 3.1.1.3.4.1.3), so every attribute whose change can change
 *	the table must be there: proxyAddresses itself, those the filter
 *	tests, name (rename, move), isDeleted, objectGUID.  A
 *	NULL-terminated list the caller frees with filterattrs_free().
 */
char **changes_dirsync_attrs(const char *filter);

/*
 * changes_dn_key - DN in one spelling, or NULL when it does not parse.
 *	The caller frees it with ldap_memfree().
 */
char *changes_dn_key(const char *dn);

#endif
