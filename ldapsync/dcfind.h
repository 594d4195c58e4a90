/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_DCFIND_H
#define RCPTSYNC_DCFIND_H

/*
 * Finding a domain's DCs in DNS (source.ldap.domain): the SRV records AD
 * registers, in RFC 2782 order, as URIs for session.c's failover.
 */
#include <stddef.h>

#include "source.h"
#include "syncerr.h"

/* What to look for. */
struct dcfind_query {
	const char *domain; /* the domain; with GC, the forest root */
	const char *site;   /* an AD site whose DCs come first, or NULL */
	int gc;		    /* Global Catalogs (_gc._tcp), not DCs */
	int starttls;	    /* ldap://HOST:SRV-PORT + StartTLS, not LDAPS */
	int timeout;	    /* seconds one lookup may take at most */
	double deadline;    /* CLOCK_MONOTONIC seconds; 0: none */
};

/*
 * dcfind_pick_fn - a random number from 0 to BOUND, both included (RFC
 *	2782's weighted selection); tests pass a scripted one.
 */
typedef unsigned long (*dcfind_pick_fn)(void *ctx, unsigned long bound);

/*
 * dcfind_order - sort SRV[0..N) as RFC 2782 says: by priority, lowest
 *	first, and within a priority by weighted random selection through
 *	PICK (zero weights placed first, so that they are chosen only when
 *	the number drawn is 0).  In place; no allocation.
 */
void dcfind_order(struct source_srv *srv, size_t n, dcfind_pick_fn pick,
		  void *ctx);

/*
 * dcfind_names - the SRV names to look up for Q, in order (the site's
 *	first): into NAMES, each SOURCE_DNS_NAME_MAX bytes.  Returns how
 *	many (1 or 2), or 0 when a name would be too long.
 */
size_t dcfind_names(const struct dcfind_query *q,
		    char names[][SOURCE_DNS_NAME_MAX]);

/*
 * dcfind_hostname_ok - is NAME a host name (LDH labels of at most 63
 *	bytes, in any case, 253 bytes in all; no trailing dot)?  1 or 0.
 *	Every name from DNS passes here before it becomes part of a URI.
 */
int dcfind_hostname_ok(const char *name);

/*
 * Where dcfind_parse() puts an answer's records: the caller sets recs,
 * max, notes and size (its memory), dcfind_parse() sets bad.
 */
struct dcfind_records {
	struct source_srv *recs; /* at most max */
	size_t max;
	int bad;     /* out: the malformed records skipped */
	char *notes; /* the records not used, appended */
	size_t size; /* of notes */
};

/*
 * dcfind_parse - the usable SRV records for QNAME in ANSWER[0..LEN) (a
 *	DNS message, as res_nquery gives it) into INTO->recs (at most
 *	INTO->max), in the order DNS gave.  Used: an SRV record in class IN
 *	owned by QNAME (or by a CNAME target on the way from it: ASCII case
 *	and a trailing dot do not count), whose target is a host name
 *	(dcfind_hostname_ok) and whose port is not 0; each other SRV record
 *	of the name is named in INTO->notes (INTO->size bytes, appended,
 *	"; " between, a list that does not fit ends with "..."; names
 *	escaped as dn_expand shows them).  At most 512 records are read.
 *	Pure: no I/O.  Returns how many, with INTO->bad the malformed
 *	records skipped, or -1 when the message is malformed.
 */
int dcfind_parse(const unsigned char *answer, size_t len, const char *qname,
		 struct dcfind_records *into);

/*
 * dcfind_merge - add RECS[0..N) (one lookup's, in order) to OUT->srv
 *	after those of earlier lookups, each DC once: the same target (and
 *	with Q->starttls the same port: the URI holds it) keeps its first
 *	place.  At most SOURCE_SRV_MAX in all.
 */
void dcfind_merge(const struct dcfind_query *q, struct source_discovery *out,
		  const struct source_srv *recs, size_t n);

/*
 * dcfind_prefer - with an incremental cache taken from the DC DC (its
 *	dnsHostName; NULL or "": none), put that DC's record first in
 *	SRV[0..N) (in the order to try) when it is among the records of the
 *	best priority of the first lookup (the site's, with a site): AD
 *	registers its DCs with equal priority and weight, and the position
 *	a cache continues from is one DC's, so a DC drawn anew each run
 *	would mean a full pull most runs.  Otherwise the order stays (RFC
 *	2782).  Says which and why in WHY (SIZE bytes; DC escaped).  Pure.
 *	Returns 1 when the DC was kept first, else 0.
 */
int dcfind_prefer(struct source_srv *srv, size_t n, const char *dc, char *why,
		  size_t size);

/*
 * dcfind_lookup - look up Q's SRV names through the system resolver
 *	(res_nquery: /etc/resolv.conf) and fill OUT with every lookup's
 *	outcome and the usable records, in the order to try: the site's in
 *	RFC 2782 order, then the domain's not already listed.  A record
 *	whose target is "." (service not offered) or not a host name is
 *	left out and named in OUT->ignored.  Each lookup runs under the
 *	watchdog (watchdog.c), bounded by Q->timeout and the time left
 *	before Q->deadline.  Returns 0 with at least one record, or -1 with
 *	an error naming every name looked up and its outcome: TEMP when a
 *	lookup timed out or the deadline passed, else UNAVAILABLE (nothing
 *	found, or every lookup failed).
 */
int dcfind_lookup(const struct dcfind_query *q, struct source_discovery *out,
		  struct sync_err *err) __attribute__((warn_unused_result));

/*
 * dcfind_uri - the URI for record R: ldaps://TARGET:636 (a GC: 3269),
 *	or with STARTTLS ldap://TARGET:PORT, the port DNS gave.  The host
 *	name in the URI is the one TLS verifies and GSSAPI asks a ticket
 *	for (ldap/TARGET).  Returns 0, or -1 when BUF is too small.
 */
int dcfind_uri(const struct dcfind_query *q, const struct source_srv *r,
	       char *buf, size_t size);

#endif
