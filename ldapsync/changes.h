/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_CHANGES_H
#define RCPTSYNC_CHANGES_H

/* The change searches, for incremental pulls only (incremental.c). */
#include "pull.h"

/*
 * changes_search - what changed since P->prior, and the changed objects
 *	that qualify, into P->changed and P->fresh; every qualifying object
 *	when P is not incremental (or stops being so: P->why_full says
 *	why).  Returns 0, or -1 with the search's error.
 */
int changes_search(struct pull *p, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * changes_dn_key - DN in one spelling, or NULL when it does not parse.
 *	The caller frees it with ldap_memfree().
 */
char *changes_dn_key(const char *dn);

#endif
