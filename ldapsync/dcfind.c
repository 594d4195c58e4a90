/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	dcfind - a domain's DCs from the SRV records AD registers in DNS
 * DESCRIPTION
 *	For source.ldap.domain: looks up _ldap._tcp.dc._msdcs.DOMAIN (every
 *	DC of the domain), or with a site _ldap._tcp.SITE._sites.dc._msdcs.
 *	DOMAIN first, or for a Global Catalog _gc._tcp.FOREST (with a site,
 *	_gc._tcp.SITE._sites.FOREST first), through the system resolver
 *	(res_nquery, /etc/resolv.conf; no DNS client of our own).  Each
 *	answer's records are ordered as RFC 2782 says (priority, then a
 *	weighted random choice), the site's before the domain's, a DC listed
 *	once.  Every name from DNS is hostile until proved a host name (LDH
 *	labels): only then does it become part of a URI; elsewhere it is
 *	shown escaped.  Every loop over an answer is bounded, and so is
 *	every lookup: by source.ldap.timeout and the run's deadline, through
 *	the resolver's retrans/retry (UDP) and the watchdog (watchdog.c:
 *	glibc waits for an answer over TCP without a timeout of its own).
 * OWNERSHIP
 *	Everything is in the caller's struct source_discovery.
 * DIAGNOSTICS
 *	UNAVAILABLE sync_err naming every SRV name looked up and its
 *	outcome, when no usable record came back.
 * SEE ALSO
 *	RFC 2782 (SRV), MS-ADTS 6.3.2.3 (the DC locator's DNS records),
 *	resolver(3), session.c.
 */
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "ascii.h"
#include "clock.h"
#include "proxyaddr.h"
#include "xalloc.h"
#include "watchdog.h"
#include "dcfind.h"

/* records read from one answer at most (an answer holds at most 64 KiB,
 * and a record at least 17 bytes); all are ordered before any is kept */
#define ANSWER_RECORDS_MAX 512
#define HOSTNAME_MAX 253

/* What the resolver's h_errno means, for the admin. */
static const struct {
	int herr;
	const char *text;
} outcomes[] = {
	{HOST_NOT_FOUND, "no such name"},
	{NO_DATA, "no SRV records"},
	{TRY_AGAIN, "no answer (server failure or timeout)"},
	{NO_RECOVERY, "refused, or a malformed answer"},
};

/* outcome_text - h_errno in words */
static const char *
outcome_text(int herr)
{
	for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (outcomes[i].herr == herr)
			return outcomes[i].text;
	return "lookup failed";
}

/* dcfind_hostname_ok - LDH labels, 253 bytes at most */
int
dcfind_hostname_ok(const char *name)
{
	char folded[HOSTNAME_MAX + 1];
	size_t len = strlen(name);

	if (len == 0 || len > HOSTNAME_MAX)
		return 0;
	memcpy(folded, name, len + 1);
	return proxyaddr_domain_ok(ascii_fold(folded, len), len);
}

/* hostname_ok_dot - a host name, with or without a final dot */
static int
hostname_ok_dot(const char *name)
{
	char copy[HOSTNAME_MAX + 2];
	size_t len = strlen(name);

	if (len == 0 || len > HOSTNAME_MAX + 1)
		return 0;
	memcpy(copy, name, len + 1);
	if (copy[len - 1] == '.')
		copy[len - 1] = '\0';
	return dcfind_hostname_ok(copy);
}

/* dcfind_names - the site's name first, then the domain's */
size_t
dcfind_names(const struct dcfind_query *q, char names[][SOURCE_DNS_NAME_MAX])
{
	const char *svc = q->gc ? "_gc._tcp" : "_ldap._tcp";
	const char *mid = q->gc ? "" : "dc._msdcs.";
	size_t n = 0;
	int len;

	if (q->site != NULL) {
		len = snprintf(names[n], SOURCE_DNS_NAME_MAX,
			       "%s.%s._sites.%s%s", svc, q->site, mid,
			       q->domain);
		if (len < 0 || len > HOSTNAME_MAX)
			return 0;
		n++;
	}
	len = snprintf(names[n], SOURCE_DNS_NAME_MAX, "%s.%s%s", svc, mid,
		       q->domain);
	if (len < 0 || len > HOSTNAME_MAX)
		return 0;
	return n + 1;
}

/* swap - two records */
static void
swap(struct source_srv *a, struct source_srv *b)
{
	struct source_srv t = *a;

	*a = *b;
	*b = t;
}

/*
 * order_group - RFC 2782's selection within one priority: zero weights
 * first, then repeatedly a number from 0 to the remaining weights' sum,
 * and the first record whose running sum reaches it goes next.
 */
static void
order_group(struct source_srv *g, size_t n, dcfind_pick_fn pick, void *ctx)
{
	size_t zeros = 0;

	for (size_t i = 0; i < n; i++)
		if (g[i].weight == 0) {
			/* keep the zeros in their order, and the others */
			struct source_srv t = g[i];

			memmove(g + zeros + 1, g + zeros,
				(i - zeros) * sizeof(*g));
			g[zeros++] = t;
		}
	for (size_t done = 0; done + 1 < n; done++) {
		unsigned long sum = 0, running = 0, r;
		size_t chosen = n - 1;

		for (size_t i = done; i < n; i++)
			sum += g[i].weight;
		r = pick(ctx, sum);
		for (size_t i = done; i < n; i++) {
			running += g[i].weight;
			if (running >= r) {
				chosen = i;
				break;
			}
		}
		/* move CHOSEN to DONE, the others keep their order */
		for (size_t i = chosen; i > done; i--)
			swap(&g[i], &g[i - 1]);
	}
}

/* dcfind_order - by priority, then weighted random within each */
void
dcfind_order(struct source_srv *srv, size_t n, dcfind_pick_fn pick, void *ctx)
{
	size_t start = 0;

	/* a stable insertion sort: N is bounded (ANSWER_RECORDS_MAX), and
	 * records of one priority keep the order DNS gave */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i;
		     j > 0 && srv[j - 1].priority > srv[j].priority; j--)
			swap(&srv[j], &srv[j - 1]);
	while (start < n) {
		size_t end = start + 1;

		while (end < n && srv[end].priority == srv[start].priority)
			end++;
		order_group(srv + start, end - start, pick, ctx);
		start = end;
	}
}

/* random_pick - 0..BOUND from getrandom(2); 0 if it fails */
static unsigned long
random_pick(void *ctx, unsigned long bound)
{
	unsigned long v = 0;

	(void)ctx;
	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		return 0;
	return bound == (unsigned long)-1 ? v : v % (bound + 1);
}

/*
 * note - add "; WHAT" to NOTES (SIZE bytes), whole or not at all: a list
 * that WHAT would overflow ends with "..." and takes nothing more
 */
static void
note(char *notes, size_t size, const char *what)
{
	static const char more[] = "...";
	size_t used = strlen(notes), len = strlen(what);
	size_t sep = used > 0 ? 2 : 0;

	if (size < sizeof("; ...") ||
	    (used >= 3 && strcmp(notes + used - 3, more) == 0))
		return; /* already cut (a note never ends with "...": names
			 * from dn_expand show a dot in a label as "\.") */
	/* room for this note and a "; ..." after it */
	if (used + sep + len + 5 < size) {
		snprintf(notes + used, size - used, "%s%s", sep ? "; " : "",
			 what);
		return;
	}
	snprintf(notes + used, size - used, "%s%s", sep ? "; " : "", more);
}

/* same_name - A and B the same DNS name (ASCII case, a trailing dot)? */
static int
same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.' && (la < 2 || a[la - 2] != '\\'))
		la--;
	if (lb > 0 && b[lb - 1] == '.' && (lb < 2 || b[lb - 2] != '\\'))
		lb--;
	if (la != lb)
		return 0;
	for (size_t i = 0; i < la; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return 0;
	return 1;
}

/* The names an answer's SRV records may be owned by: the name queried,
 * and the targets of the CNAMEs that lead away from it, in order. */
#define CHAIN_MAX 8
struct chain {
	const char *qname; /* the name queried, for the notes */
	char names[CHAIN_MAX][NS_MAXDNAME];
	size_t n;
};

/* in_chain - is OWNER one of C's names? */
static int
in_chain(const struct chain *c, const char *owner)
{
	for (size_t i = 0; i < c->n; i++)
		if (same_name(c->names[i], owner))
			return 1;
	return 0;
}

/* follow_cname - a CNAME owned by a name of C: its target joins C */
static int
follow_cname(const ns_msg *msg, const ns_rr *rr, struct chain *c)
{
	if (!in_chain(c, ns_rr_name(*rr)))
		return 0;
	if (c->n >= CHAIN_MAX)
		return 0;
	if (dn_expand(ns_msg_base(*msg), ns_msg_end(*msg), ns_rr_rdata(*rr),
		      c->names[c->n], sizeof(c->names[c->n])) < 0)
		return -1;
	c->n++;
	return 0;
}

/*
 * read_srv - one SRV record of the name into R: 1 usable, 0 not used
 * (noted in NOTES), -1 malformed.  dn_expand already shows every byte
 * that is not printable or special escaped (\000, \.), so a name is
 * quoted as it came out of it: escaped once.
 */
static int
read_srv(const ns_msg *msg, const ns_rr *rr, const char *qname,
	 struct source_srv *r, char *notes, size_t size)
{
	char target[NS_MAXDNAME], what[SOURCE_DNS_NAME_MAX * 2 + 64];
	const unsigned char *rd = ns_rr_rdata(*rr);
	unsigned port;

	if (ns_rr_rdlen(*rr) < 7)
		return -1;
	if (dn_expand(ns_msg_base(*msg), ns_msg_end(*msg), rd + 6, target,
		      sizeof(target)) < 0)
		return -1;
	port = ns_get16(rd + 4);
	if (target[0] == '\0' || strcmp(target, ".") == 0) {
		/* RFC 2782: "." means the service is decidedly not here */
		snprintf(what, sizeof(what), "%s: target \".\" (no service)",
			 qname);
	} else if (!dcfind_hostname_ok(target)) {
		snprintf(what, sizeof(what),
			 "%s: target %.200s%s is not a "
			 "host name",
			 qname, target, strlen(target) > 200 ? "..." : "");
	} else if (port == 0) {
		snprintf(what, sizeof(what), "%s: target %.253s port 0", qname,
			 target);
	} else {
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", qname);
		/* a host name has at most 253 bytes (dcfind_hostname_ok) */
		memcpy(r->target, target, strlen(target) + 1);
		ascii_fold(r->target, strlen(r->target));
		r->priority = ns_get16(rd);
		r->weight = ns_get16(rd + 2);
		r->port = port;
		return 1;
	}
	note(notes, size, what);
	return 0;
}

/*
 * read_record - answer record I: 1 a usable SRV record of the name (into
 * R), 0 not one to use (another type, another owner, or one noted as not
 * used), -1 malformed
 */
static int
read_record(ns_msg *msg, int i, struct chain *c, struct source_srv *r,
	    char *notes, size_t size)
{
	ns_rr rr;

	if (ns_parserr(msg, ns_s_an, i, &rr) < 0)
		return -1;
	if (ns_rr_class(rr) != ns_c_in)
		return 0;
	if (ns_rr_type(rr) == ns_t_cname)
		return follow_cname(msg, &rr, c);
	if (ns_rr_type(rr) != ns_t_srv)
		return 0;
	/* a record for another name than the one asked is not an answer
	 * to the question (a resolver passes on what the server sent) */
	if (!in_chain(c, ns_rr_name(rr)))
		return 0;
	return read_srv(msg, &rr, c->qname, r, notes, size);
}

/* dcfind_parse - see dcfind.h */
int
dcfind_parse(const unsigned char *answer, size_t len, const char *qname,
	     struct dcfind_records *into)
{
	struct chain *c;
	ns_msg msg;
	int count, n = 0;

	into->bad = 0;
	if (len > NS_MAXMSG || ns_initparse(answer, (int)len, &msg) < 0)
		return -1;
	c = xcalloc(1, sizeof(*c));
	c->qname = qname;
	snprintf(c->names[0], sizeof(c->names[0]), "%s", qname);
	c->n = 1;
	count = ns_msg_count(msg, ns_s_an);
	for (int i = 0;
	     i < count && i < ANSWER_RECORDS_MAX && (size_t)n < into->max;
	     i++) {
		int rc = read_record(&msg, i, c, &into->recs[n], into->notes,
				     into->size);

		into->bad += rc < 0;
		n += rc > 0;
	}
	free(c);
	return n;
}

/*
 * budget - seconds the next lookup may take: Q's timeout, or less when the
 * deadline is nearer (at least 1); 0 when the deadline has passed
 */
static int
budget(const struct dcfind_query *q)
{
	double left;
	int t = q->timeout > 0 ? q->timeout : 1;

	if (q->deadline <= 0)
		return t;
	left = q->deadline - clock_seconds(CLOCK_MONOTONIC);
	if (left <= 0)
		return 0;
	return left >= t ? t : (int)left + 1;
}

/*
 * bound_resolver - UDP within SECONDS: one try per server, each its share
 * (the watchdog bounds TCP); never longer than resolv.conf says
 */
static void
bound_resolver(res_state res, int seconds)
{
	int servers = res->nscount > 0 ? res->nscount : 1;
	int share = seconds / servers > 0 ? seconds / servers : 1;

	if (res->retrans <= 0 || res->retrans > share)
		res->retrans = share;
	res->retry = 1;
}

/*
 * query_one - NAME's SRV records through RES into INTO (dcfind_parse), in
 * RFC 2782 order; the outcome into LOOKUP, *TIMED_OUT set when the
 * lookup was cut (or not begun: deadline).  Returns how many.
 */
static size_t
query_one(const struct dcfind_query *q, res_state res, const char *name,
	  struct dcfind_records *into, struct source_lookup *lookup,
	  int *timed_out)
{
	unsigned char *answer = xmalloc(NS_MAXMSG);
	size_t n = 0;
	int len, rc, cut, seconds = budget(q);

	snprintf(lookup->name, sizeof(lookup->name), "%s", name);
	if (seconds == 0) {
		*timed_out = 1;
		snprintf(lookup->outcome, sizeof(lookup->outcome),
			 "not looked up: the run's deadline passed");
		goto out;
	}
	bound_resolver(res, seconds);
	/* a second after the resolver's own UDP timeouts end, so that a
	 * silent UDP server stays "no answer"; what the watchdog cuts is a
	 * TCP connect or read, which glibc does not bound */
	watchdog_arm_resolver(res, seconds + 1);
	len = res_nquery(res, name, ns_c_in, ns_t_srv, answer, NS_MAXMSG);
	watchdog_arm(0);
	cut = watchdog_fired;
	watchdog_fired = 0; /* not to be read as a later connection's */
	if (len < 0 && cut) {
		*timed_out = 1;
		snprintf(lookup->outcome, sizeof(lookup->outcome),
			 "timed out after %d s", seconds + 1);
		goto out;
	}
	if (len < 0) {
		snprintf(lookup->outcome, sizeof(lookup->outcome), "%s",
			 outcome_text(res->res_h_errno));
		goto out;
	}
	rc = dcfind_parse(answer, (size_t)len, name, into);
	if (rc < 0) {
		snprintf(lookup->outcome, sizeof(lookup->outcome),
			 "a malformed answer");
		goto out;
	}
	n = (size_t)rc;
	dcfind_order(into->recs, n, random_pick, NULL);
	snprintf(lookup->outcome, sizeof(lookup->outcome), "%zu record%s%s", n,
		 n == 1 ? "" : "s", into->bad ? " (and malformed ones)" : "");
out:
	free(answer);
	return n;
}

/*
 * listed - is R's DC among the records kept already?  Over LDAPS the URI
 * is the target's (port 636/3269 whatever DNS says); with StartTLS it is
 * the target's and the port's, so both make the DC.
 */
static int
listed(const struct dcfind_query *q, const struct source_discovery *out,
       const struct source_srv *r)
{
	for (size_t i = 0; i < out->n_srv; i++)
		if (strcmp(out->srv[i].target, r->target) == 0 &&
		    (!q->starttls || out->srv[i].port == r->port))
			return 1;
	return 0;
}

/* dcfind_merge - the site's first; a DC found again keeps its place */
void
dcfind_merge(const struct dcfind_query *q, struct source_discovery *out,
	     const struct source_srv *recs, size_t n)
{
	for (size_t j = 0; j < n && out->n_srv < SOURCE_SRV_MAX; j++)
		if (!listed(q, out, &recs[j]))
			out->srv[out->n_srv++] = recs[j];
}

/* fail_nothing - TEMP or UNAVAILABLE, naming every lookup and its outcome */
static int
fail_nothing(const struct dcfind_query *q, const struct source_discovery *out,
	     int timed_out, struct sync_err *err)
{
	char what[SYNC_ERR_MSG_MAX] = "";
	size_t used = 0;

	for (size_t i = 0; i < out->n_lookups && used < sizeof(what); i++)
		used += (size_t)snprintf(what + used, sizeof(what) - used,
					 "%s%s SRV: %s", i ? "; " : "",
					 out->lookups[i].name,
					 out->lookups[i].outcome);
	return sync_err_set(
		err, timed_out ? SYNC_ERR_TEMP : SYNC_ERR_UNAVAILABLE,
		"no %s for %s found in DNS: %s%s%s",
		q->gc ? "Global Catalog" : "domain controller", q->domain, what,
		out->ignored[0] ? "; ignored " : "", out->ignored);
}

/* dcfind_lookup - every name of the query, the records in order */
int
dcfind_lookup(const struct dcfind_query *q, struct source_discovery *out,
	      struct sync_err *err)
{
	char names[SOURCE_LOOKUPS_MAX][SOURCE_DNS_NAME_MAX];
	struct source_srv *recs = xcalloc(ANSWER_RECORDS_MAX, sizeof(*recs));
	struct __res_state res;
	struct sigaction old_sa;
	size_t n_names = dcfind_names(q, names);
	int timed_out = 0;

	memset(out, 0, sizeof(*out));
	if (n_names == 0) {
		free(recs);
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "the SRV name for domain %s is too long",
				    q->domain);
	}
	memset(&res, 0, sizeof(res));
	if (res_ninit(&res) < 0) {
		free(recs);
		return sync_err_set(err, SYNC_ERR_UNAVAILABLE,
				    "cannot set up the DNS resolver "
				    "(/etc/resolv.conf)");
	}
	/* the watchdog may already be a session's: installing it again
	 * nests, and the old action comes back below */
	watchdog_install(&old_sa);
	for (size_t i = 0; i < n_names; i++) {
		struct dcfind_records into = {
			.recs = recs,
			.max = ANSWER_RECORDS_MAX,
			.notes = out->ignored,
			.size = sizeof(out->ignored),
		};
		size_t n = query_one(q, &res, names[i], &into, &out->lookups[i],
				     &timed_out);

		out->lookups[i].found = n;
		out->n_lookups++;
		dcfind_merge(q, out, recs, n);
	}
	watchdog_restore(&old_sa);
	res_nclose(&res);
	free(recs);
	if (out->n_srv == 0)
		return fail_nothing(q, out, timed_out, err);
	return 0;
}

/*
 * dcfind_prefer - the cache's DC first when it is among the best: the
 * records of the first lookup (SRV[0]'s name) with SRV[0]'s priority,
 * which after dcfind_order() is the best of that lookup
 */
int
dcfind_prefer(struct source_srv *srv, size_t n, const char *dc, char *why,
	      size_t size)
{
	char shown[SOURCE_DNS_NAME_MAX * 4 + 8];
	size_t best = 0, at = n;

	if (dc == NULL || dc[0] == '\0' || n == 0) {
		snprintf(why, size,
			 "RFC 2782 order (priority, then weight at random): "
			 "no DC to keep (no incremental cache)");
		return 0;
	}
	proxyaddr_escape(dc, strlen(dc), shown, sizeof(shown));
	for (size_t i = 0; i < n; i++) {
		int among = srv[i].priority == srv[0].priority &&
			    strcmp(srv[i].name, srv[0].name) == 0;

		best += among;
		if (at == n && hostname_ok_dot(dc) &&
		    same_name(srv[i].target, dc))
			at = among ? i : n + 1;
	}
	if (at >= n) {
		snprintf(why, size,
			 "RFC 2782 order: %s, the DC the incremental cache was "
			 "taken from, %s",
			 shown,
			 at == n ? "is not in DNS"
				 : "is not among the best-priority records");
		return 0;
	}
	/* move it to the front, the others keep their order */
	for (size_t i = at; i > 0; i--)
		swap(&srv[i], &srv[i - 1]);
	snprintf(why, size,
		 "kept %s: the DC the incremental cache was taken from, among "
		 "the %zu records of the best priority (%u)",
		 srv[0].target, best, srv[0].priority);
	return 1;
}

/* dcfind_uri - LDAPS on the conventional port, or StartTLS on DNS's */
int
dcfind_uri(const struct dcfind_query *q, const struct source_srv *r, char *buf,
	   size_t size)
{
	int len;

	if (q->starttls)
		len = snprintf(buf, size, "ldap://%s:%u", r->target, r->port);
	else
		len = snprintf(buf, size, "ldaps://%s:%u", r->target,
			       q->gc ? 3269u : 636u);
	return len < 0 || (size_t)len >= size ? -1 : 0;
}
