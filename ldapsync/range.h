/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_RANGE_H
#define RCPTSYNC_RANGE_H

/*
 * Range retrieval of the proxyAddresses lists one search finds, for
 * search.c only: an entry's values, complete, or held until the chunks
 * after the page complete them.
 */
#include <ldap.h>

#include "search_impl.h"

/*
 * range_take_values - the proxyAddresses of ENTRY (named DN): with P NULL
 *	the first answer, to the consumer at once when complete, else held
 *	on X's pending list; with P a continuation of that list.  Returns 0,
 *	or -1 with ERR (TEMP for a chunk that does not continue where asked).
 */
int range_take_values(struct search *x, LDAPMessage *entry, const char *dn,
		      struct pending *p, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * range_complete - the rest of every list held on X's pending list, each
 *	entry then to the consumer; the lists freed either way.  Returns 0,
 *	or -1 with ERR.
 */
int range_complete(struct search *x, struct sync_err *err)
	__attribute__((warn_unused_result));

/* range_free_pending - every list held on X's pending list */
void range_free_pending(struct search *x);

#endif
