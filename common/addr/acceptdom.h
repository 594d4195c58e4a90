/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_ACCEPTDOM_H
#define RCPTSYNC_ACCEPTDOM_H

#include <stddef.h>

/*
 * Exchange's accepted domains (msExchAcceptedDomain objects,
 * doc/exchange.md, "Domains from Exchange"): which domains the gateway
 * accepts mail for, and how.  msExchAcceptedDomainFlags, as Exchange's
 * own directory code reads it: FLAGS & 3 is the AcceptedDomainType,
 * FLAGS & 4 the default domain, FLAGS & 256 "outbound only"
 * (doc/active-directory.md).
 */
enum acceptdom_type {
	ACCEPTDOM_AUTHORITATIVE = 0,  /* its recipients are in this AD */
	ACCEPTDOM_EXTERNAL_RELAY = 1, /* relayed on, to a system outside */
	ACCEPTDOM_INTERNAL_RELAY = 2, /* shared with another mail system */
};
#define ACCEPTDOM_TYPE_MASK 3
#define ACCEPTDOM_FLAG_DEFAULT 4
#define ACCEPTDOM_FLAG_OUTBOUND_ONLY 256
/* acceptdom_parse: a domain read, but refused by rcptsync's own rule */
#define ACCEPTDOM_REFUSED (-2)

/* One accepted domain. */
struct acceptdom {
	char *name;	   /* lower case, without "*." */
	int subdomains;	   /* "*.name": the domain and every subdomain */
	int type;	   /* enum acceptdom_type */
	int is_default;	   /* Exchange's default domain */
	int outbound_only; /* not accepted inbound */
	char *origin;	   /* the object's DN, or "domains" (sync.yaml) */
	unsigned dir;	   /* which directory of source.ldap (0: the first) */
};

/* An object whose value is not an accepted domain: skipped, reported. */
struct acceptdom_skip {
	char *dn;	 /* as the directory sent it */
	char *value;	 /* msExchAcceptedDomainName, or NULL */
	const char *why; /* static */
};

/* A run's accepted domains, from every directory.  Zero it to start. */
struct acceptdom_list {
	struct acceptdom *v;
	size_t n, cap;
	struct acceptdom_skip *skip; /* for the caller to report */
	size_t n_skip;
	unsigned dir; /* the directory acceptdom_add stamps on what it adds */
};

/*
 * acceptdom_parse - msExchAcceptedDomainName NAME (LEN bytes, any bytes)
 *	and msExchAcceptedDomainFlags FLAGS (decimal text, NULL when absent:
 *	0, as Exchange reads it) of the object DN into *OUT (strings
 *	copied; free with acceptdom_list_free or acceptdom_clear).  Returns
 *	0; -1 with *WHY (static) for an object that cannot be read: a name
 *	that is not a domain or "*." and one, flags that are not a number,
 *	or a type Exchange does not define (3); or ACCEPTDOM_REFUSED with
 *	*WHY for a lone "*" (every domain): read, but never relayed, as it
 *	would make the gateway an open relay.
 */
int acceptdom_parse(const char *name, size_t len, const char *flags,
		    const char *dn, struct acceptdom *out, const char **why);

/* acceptdom_clear - free one parsed domain's strings */
void acceptdom_clear(struct acceptdom *d);

/* acceptdom_add - append D to L (L takes its strings), from L->dir */
void acceptdom_add(struct acceptdom_list *l, struct acceptdom *d);

/*
 * acceptdom_forget - drop what L holds from the object DN: its domains
 *	added from L->dir, and its skips (a search sent it again: the last
 *	copy is the one to keep).  Returns how many domains went.
 */
size_t acceptdom_forget(struct acceptdom_list *l, const char *dn);

/* acceptdom_skip - remember that DN's VALUE (may be NULL) was skipped */
void acceptdom_skip(struct acceptdom_list *l, const char *dn, const char *value,
		    const char *why);

/*
 * acceptdom_finish - sort by name and merge the same domain found twice
 *	in one directory (accepted inbound wins over outbound only, and a
 *	relay over authoritative).  Returns the number of entries accepted
 *	inbound.
 */
size_t acceptdom_finish(struct acceptdom_list *l);

/*
 * acceptdom_match - the accepted domain that decides an address in
 *	DOMAIN (lower case) after acceptdom_finish.  In each directory the
 *	most specific one decides, as Exchange matches (an exact name before
 *	"*." of the same name, a longer "*." name before a shorter); across
 *	directories (forests) the address is accepted when any accepts it, so
 *	the result is the deciding entry of a directory that accepts it
 *	inbound (a relay before an authoritative one), else the first that
 *	decided against it.  NULL when none matches.  The caller checks
 *	outbound_only: such a match is not accepted inbound.
 */
const struct acceptdom *acceptdom_match(const struct acceptdom_list *l,
					const char *domain);

/* acceptdom_inbound - is D accepted inbound (not outbound only)? */
int acceptdom_inbound(const struct acceptdom *d);

/* acceptdom_is_relay - inbound, and relayed on (internal or external)? */
int acceptdom_is_relay(const struct acceptdom *d);

/* acceptdom_type_name - "authoritative", "internal relay", ... */
const char *acceptdom_type_name(const struct acceptdom *d);

/* acceptdom_list_free - every domain and the array; L is zeroed */
void acceptdom_list_free(struct acceptdom_list *l);

#endif
