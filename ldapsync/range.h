/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_RANGE_H
#define RCPTSYNC_RANGE_H

/*
 * Range retrieval of the proxyAddresses lists one search finds, for
 * search.c only (reply.h embeds its state in struct search): an
 * entry's values, complete, or held until the chunks after the page
 * complete them.
 */
#include <stddef.h>

#include <ldap.h>

#include "search.h"

struct pending;
struct search;

/*
 * What range retrieval keeps for one search (struct search's range): the
 * lists cut short on this page, held until range_complete, and the
 * buffer an entry's values go to the consumer in.  Zeroed with the
 * search, freed with range_free; only range.c looks inside.
 */
struct range_state {
	struct pending *pending;
	size_t n_pending, alloc_pending;
	struct ldapsync_value *vbuf; /* an entry's values, for the callback */
	size_t vbuf_alloc;
	char what[400]; /* "range retrieval for DN" */
};

/*
 * range_first - into ATTR (SIZE bytes) the description that asks for an
 *	entry's proxyAddresses with the page: the first chunk of
 *	CONF->range_size values, or without one the whole list, which AD
 *	cuts by itself at MaxValRange.
 */
void range_first(char *attr, size_t size, const struct ldapsync_conf *conf);

/*
 * range_take - the proxyAddresses of ENTRY (named DN) as the page brought
 *	them: to the consumer at once when complete, else held in X's range
 *	state until range_complete.  Returns 0, or -1 with ERR (TEMP for a
 *	chunk that does not say what it holds).
 */
int range_take(struct search *x, LDAPMessage *entry, const char *dn,
	       struct sync_err *err) __attribute__((warn_unused_result));

/*
 * range_complete - the rest of every list held in X's range state, each
 *	entry then to the consumer; the lists freed either way.  Returns 0,
 *	or -1 with ERR.
 */
int range_complete(struct search *x, struct sync_err *err)
	__attribute__((warn_unused_result));

/* range_free - X's range state: every held list, and the buffer */
void range_free(struct search *x);

#endif
