/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	acceptdom - Exchange's accepted domains: parse, merge, match
 * DESCRIPTION
 *	The pure rules behind "domains: exchange" (doc/exchange.md,
 *	"Domains from Exchange").  What the attributes mean:
 *	- msExchAcceptedDomainName holds an SMTP domain, or "*." and one for
 *	  the domain and all its subdomains ("You can use a wildcard
 *	  character to specify all subdomains": New-AcceptedDomain,
 *	  -DomainName, Microsoft Learn).  Exchange matches such a name
 *	  against the domain itself too, and the longest match wins
 *	  (Microsoft.Exchange.Data.SmtpDomainWithSubdomains.Match).
 *	- msExchAcceptedDomainFlags: Exchange's directory code takes the
 *	  AcceptedDomainType as FLAGS & 3 and OutboundOnly as FLAGS & 256;
 *	  FLAGS & 4 is the default domain (MakeDefault).  The types are
 *	  documented in "AcceptedDomainType enumeration" (Microsoft Learn,
 *	  Microsoft.Exchange.Data.Directory.SystemConfiguration):
 *	  Authoritative, ExternalRelay, InternalRelay; OutboundOnly in
 *	  Set-AcceptedDomain: an internal relay domain for an on-premises
 *	  deployment, mail to it is not accepted from outside.  Microsoft
 *	  does not publish the bit layout itself: the values here are the
 *	  ones Exchange writes, as listed in doc/active-directory.md.
 *	A lone "*" accepted domain (every domain) would make the gateway an
 *	open relay and is refused (ACCEPTDOM_REFUSED, for the caller to
 *	skip); a type Exchange does not define is a value that cannot be
 *	read (-1, for the caller to fail on: accepted.c).
 * OWNERSHIP
 *	A list owns its domains' strings.
 * DIAGNOSTICS
 *	acceptdom_parse says why a value is refused; nothing is logged here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "proxyaddr.h"
#include "xalloc.h"
#include "acceptdom.h"

/* What each type is called in messages, diff, explain and check. */
static const char *const type_names[] = {
	[ACCEPTDOM_AUTHORITATIVE] = "authoritative",
	[ACCEPTDOM_EXTERNAL_RELAY] = "external relay",
	[ACCEPTDOM_INTERNAL_RELAY] = "internal relay",
};

#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))
/* An SMTP domain is at most 255 octets (RFC 5321 4.5.3.1.2). */
#define DOMAIN_MAX 255

/* parse_flags - FLAGS as Exchange stores it: a 32-bit integer's text */
static int
parse_flags(const char *flags, long *out)
{
	char *end;

	if (flags == NULL) {
		*out = 0;
		return 0;
	}
	if (!(flags[0] == '-' || (flags[0] >= '0' && flags[0] <= '9')))
		return -1; /* no white space or '+': the text AD stores */
	errno = 0;
	*out = strtol(flags, &end, 10);
	return errno == 0 && end != flags && *end == '\0' &&
			       *out >= -2147483648L && *out <= 2147483647L
		       ? 0
		       : -1;
}

/* acceptdom_parse - see acceptdom.h */
int
acceptdom_parse(const char *name, size_t len, const char *flags, const char *dn,
		struct acceptdom *out, const char **why)
{
	int subdomains = len > 2 && name[0] == '*' && name[1] == '.';
	const char *d = subdomains ? name + 2 : name;
	size_t n = subdomains ? len - 2 : len;
	long f;
	char *lower;

	memset(out, 0, sizeof(*out));
	if (len == 1 && name[0] == '*') {
		*why = "\"*\" (every domain) would make the gateway an open "
		       "relay";
		return ACCEPTDOM_REFUSED;
	}
	if (n == 0 || n > DOMAIN_MAX) {
		*why = "is not a domain name";
		return -1;
	}
	lower = ascii_fold(xmemdup(d, n), n);
	if (memchr(d, '\0', n) != NULL || !proxyaddr_domain_ok(lower, n)) {
		free(lower);
		*why = "is not a domain name";
		return -1;
	}
	if (parse_flags(flags, &f) < 0)
		*why = "has msExchAcceptedDomainFlags that are not a number";
	else if ((size_t)(f & ACCEPTDOM_TYPE_MASK) >= N_TYPES)
		*why = "has a domain type Exchange does not define "
		       "(msExchAcceptedDomainFlags & 3 is 3)";
	else
		*why = NULL;
	if (*why != NULL) {
		free(lower);
		return -1;
	}
	out->name = lower;
	out->subdomains = subdomains;
	out->type = (int)(f & ACCEPTDOM_TYPE_MASK);
	out->is_default = (f & ACCEPTDOM_FLAG_DEFAULT) != 0;
	out->outbound_only = (f & ACCEPTDOM_FLAG_OUTBOUND_ONLY) != 0;
	out->origin = xstrdup(dn);
	return 0;
}

/* acceptdom_clear - see acceptdom.h */
void
acceptdom_clear(struct acceptdom *d)
{
	free(d->name);
	free(d->origin);
	d->name = d->origin = NULL;
}

/* acceptdom_add - see acceptdom.h */
void
acceptdom_add(struct acceptdom_list *l, struct acceptdom *d)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	d->dir = l->dir;
	l->v[l->n++] = *d;
	memset(d, 0, sizeof(*d));
}

/* acceptdom_forget - see acceptdom.h */
size_t
acceptdom_forget(struct acceptdom_list *l, const char *dn)
{
	size_t kept = 0, gone;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].dir == l->dir && l->v[i].origin != NULL &&
		    strcmp(l->v[i].origin, dn) == 0)
			acceptdom_clear(&l->v[i]);
		else
			l->v[kept++] = l->v[i];
	gone = l->n - kept;
	l->n = kept;
	kept = 0;
	for (size_t i = 0; i < l->n_skip; i++)
		if (strcmp(l->skip[i].dn, dn) == 0) {
			free(l->skip[i].dn);
			free(l->skip[i].value);
		} else {
			l->skip[kept++] = l->skip[i];
		}
	l->n_skip = kept;
	return gone;
}

/* acceptdom_skip - see acceptdom.h */
void
acceptdom_skip(struct acceptdom_list *l, const char *dn, const char *value,
	       const char *why)
{
	l->skip = xreallocarray(l->skip, l->n_skip + 1, sizeof(*l->skip));
	l->skip[l->n_skip].dn = xstrdup(dn);
	l->skip[l->n_skip].value = value ? xstrdup(value) : NULL;
	l->skip[l->n_skip].why = why;
	l->n_skip++;
}

/* by_name - name, then the exact name before "*." of it */
static int
by_name(const void *a, const void *b)
{
	const struct acceptdom *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : x->subdomains - y->subdomains;
}

/* by_entry - by_name, then by directory: the order of the list */
static int
by_entry(const void *a, const void *b)
{
	const struct acceptdom *x = a, *y = b;
	int c = by_name(a, b);

	return c != 0 ? c : (x->dir > y->dir) - (x->dir < y->dir);
}

/* rank - which of two entries for one domain decides: the higher */
static int
rank(const struct acceptdom *d)
{
	return (acceptdom_inbound(d) ? 2 : 0) + (acceptdom_is_relay(d) ? 1 : 0);
}

/* acceptdom_finish - see acceptdom.h */
size_t
acceptdom_finish(struct acceptdom_list *l)
{
	size_t kept = 0, inbound = 0;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), by_entry);
	for (size_t i = 0; i < l->n; i++) {
		struct acceptdom *k = kept ? &l->v[kept - 1] : NULL;

		if (k != NULL && by_entry(k, &l->v[i]) == 0) {
			if (rank(&l->v[i]) > rank(k)) {
				acceptdom_clear(k);
				*k = l->v[i];
			} else {
				acceptdom_clear(&l->v[i]);
			}
			continue;
		}
		l->v[kept++] = l->v[i];
	}
	l->n = kept;
	for (size_t i = 0; i < l->n; i++)
		inbound += acceptdom_inbound(&l->v[i]);
	return inbound;
}

/* first_of - the first entry for NAME (exact or "*."), or L->n */
static size_t
first_of(const struct acceptdom_list *l, const char *name, int subdomains)
{
	struct acceptdom key = {.name = (char *)name, .subdomains = subdomains};
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (by_name(&l->v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && by_name(&l->v[lo], &key) == 0 ? lo : l->n;
}

/* The directories decided so far, one bit each (dir modulo 64). */
struct verdict {
	unsigned long long decided;
	const struct acceptdom *best;  /* inbound: a relay first */
	const struct acceptdom *first; /* the first decision of any kind */
};

/* decide - the entries for NAME decide for the directories still open */
static void
decide(const struct acceptdom_list *l, const char *name, int subdomains,
       struct verdict *v)
{
	struct acceptdom key = {.name = (char *)name, .subdomains = subdomains};

	for (size_t i = first_of(l, name, subdomains);
	     i < l->n && by_name(&l->v[i], &key) == 0; i++) {
		const struct acceptdom *e = &l->v[i];
		unsigned long long bit = 1ULL << (e->dir % 64);

		if (v->decided & bit)
			continue;
		v->decided |= bit;
		if (v->first == NULL)
			v->first = e;
		if (acceptdom_inbound(e) &&
		    (v->best == NULL || rank(e) > rank(v->best)))
			v->best = e;
	}
}

/* acceptdom_match - the domain itself, then each parent's "*." entry */
const struct acceptdom *
acceptdom_match(const struct acceptdom_list *l, const char *domain)
{
	struct verdict v = {0, NULL, NULL};
	const char *p;

	decide(l, domain, 0, &v);
	decide(l, domain, 1, &v);
	for (p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.'))
		decide(l, p + 1, 1, &v);
	return v.best != NULL ? v.best : v.first;
}

/* acceptdom_inbound - see acceptdom.h */
int
acceptdom_inbound(const struct acceptdom *d)
{
	return !d->outbound_only;
}

/* acceptdom_is_relay - see acceptdom.h */
int
acceptdom_is_relay(const struct acceptdom *d)
{
	return acceptdom_inbound(d) && d->type != ACCEPTDOM_AUTHORITATIVE;
}

/* acceptdom_type_name - see acceptdom.h */
const char *
acceptdom_type_name(const struct acceptdom *d)
{
	if (d->outbound_only)
		return "outbound only";
	return (size_t)d->type < N_TYPES ? type_names[d->type] : "unknown";
}

/* acceptdom_list_free - see acceptdom.h */
void
acceptdom_list_free(struct acceptdom_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		acceptdom_clear(&l->v[i]);
	for (size_t i = 0; i < l->n_skip; i++) {
		free(l->skip[i].dn);
		free(l->skip[i].value);
	}
	free(l->v);
	free(l->skip);
	memset(l, 0, sizeof(*l));
}
