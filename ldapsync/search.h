/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_SEARCH_H
#define RCPTSYNC_SEARCH_H

#include <stddef.h>

#include "ldapsync.h"

/* One raw proxyAddresses value: any bytes, valid during the callback. */
struct ldapsync_value {
	const char *val;
	size_t len;
};

struct ldap;	/* LDAP of <ldap.h> */
struct ldapmsg; /* LDAPMessage of <ldap.h> */

/*
 * One complete entry, as a consumer sees it: every proxyAddresses value
 * of the object (ranged lists already completed), never a part.  Valid
 * during the callback only.
 */
struct ldapsync_entry {
	const char *dn;
	const unsigned char *guid; /* objectGUID when asked for, else NULL */
	size_t guid_len;
	const struct ldapsync_value *vals; /* when asked for values */
	size_t n_vals;
	/* the search perhaps sent this entry already (seen.c: a hit on a
	 * fingerprint, which another DN can share): never drop it on that */
	int again;
	/* a search for other attributes (query.attrs, paged): the entry
	 * as libldap holds it, for ldapsync_entry_value(); else NULL */
	struct ldap *ld;
	struct ldapmsg *msg;
};

/* Return 0 to go on, -1 (with ERR set) to stop the search. */
typedef int (*ldapsync_entry_fn)(void *ctx, const struct ldapsync_entry *e,
				 struct sync_err *err);

/* the largest DirSync cookie kept: its up-to-dateness vector holds
 * 24 bytes per DC that ever wrote to the domain */
#define LDAPSYNC_COOKIE_MAX 16384

/* DirSync (MS-ADTS 3.1.1.3.4.1.3): from COOKIE (none: from the start);
 * the cookie to continue from is put into NEXT. */
struct ldapsync_dirsync {
	const unsigned char *cookie;
	size_t cookie_len;
	unsigned char next[LDAPSYNC_COOKIE_MAX];
	size_t next_len;
};

/* What one search asks for: everything in its arguments, no modal state. */
struct ldapsync_query {
	const char *base; /* subtree */
	const char *filter;
	int values;	  /* every proxyAddresses value, complete (range
			     retrieval in chunks of conf->range_size) */
	int guid;	  /* objectGUID, which every entry must then have */
	int show_deleted; /* tombstones too (LDAP_SERVER_SHOW_DELETED) */
	/* DirSync instead of paging; ATTRS then says what DirSync watches */
	struct ldapsync_dirsync *dirsync;
	/* DirSync: what it watches; a paged search without values or
	 * guid: the attributes each entry brings (ldapsync_entry_value) */
	char **attrs;
};

/*
 * ldapsync_search - run Q on session S and hand each entry to FN.  Paged
 *	(RFC 2696, critical) unless DirSync; every loop over the server's
 *	answers is bounded: the same paging cookie twice, DirSync's "more"
 *	with the cookie sent back, a range chunk that does not start where
 *	asked or does not advance, one shorter than the first before the
 *	last, more than 100,000 values for one entry,
 *	an entry sent twice, and the run's deadline are TEMP errors naming
 *	the server and the search.  Counts pages, references, ranged
 *	entries and (with values) entries and values into the session's
 *	stats.  Returns 0 when every entry was delivered, else -1.
 */
int ldapsync_search(struct ldapsync_session *s, const struct ldapsync_query *q,
		    ldapsync_entry_fn fn, void *ctx, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * ldapsync_entry_value - the first value of ATTR in E, an entry of a
 *	search for Q->attrs (NUL-terminated copy of *LEN bytes, any bytes;
 *	free()), or NULL when it has none.  *N_VALS (unless NULL) is how
 *	many it has.
 */
char *ldapsync_entry_value(const struct ldapsync_entry *e, const char *attr,
			   size_t *len, size_t *n_vals);

/*
 * ldapsync_parse_range - read the range option of an attribute
 *	description such as "proxyAddresses;range=0-1499" (any option order
 *	and case; MS-ADTS 3.1.1.3.1.3.3).  Returns 0 without a range option;
 *	1 with one (*HIGH = -1 for "*", the last chunk); -1 when malformed.
 */
int ldapsync_parse_range(const char *desc, long *low, long *high);

#endif
