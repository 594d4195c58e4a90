/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_DOMAINS_H
#define RCPTSYNC_DOMAINS_H

#include <stddef.h>

#include "acceptdom.h"
#include "addrset.h"
#include "config.h"

/*
 * domains_from_conf - sync.yaml's domains list as authoritative accepted
 *	domains (".x" is x and its subdomains, as "*.x" in Exchange), for
 *	output.relay_domains and explain.  OUT is zeroed first; finished.
 */
void domains_from_conf(const struct sync_conf *conf,
		       struct acceptdom_list *out);

/* domains_report - warn about each object that was skipped (escaped) */
void domains_report(const struct acceptdom_list *l);

/*
 * domains_decide - the accepted domain that decides the address KEY
 *	(NULL: none matches); *INBOUND is 1 when that domain accepts mail
 *	from outside, else 0.
 */
const struct acceptdom *domains_decide(const struct acceptdom_list *l,
				       const char *key, int *inbound);

/*
 * domains_apply - domains: exchange, on the unfinished SET: drop every
 *	address whose domain is not accepted inbound, and add "@domain"
 *	(Postfix's wild-card for a domain without a recipient list) for
 *	each relay domain, VALUE its value and the object's DN its origin.
 *	Returns how many addresses were dropped.
 */
size_t domains_apply(const struct acceptdom_list *l, struct addrset *set,
		     const char *value);

/*
 * domains_relay_set - the relay_domains table: every domain accepted
 *	inbound, and ".x" too for "*.x" (Postfix matches a table's ".x"
 *	against the subdomains of x whatever parent_domain_matches_subdomains
 *	says), VALUE each value.  A finished set; free with addrset_free().
 */
struct addrset *domains_relay_set(const struct acceptdom_list *l,
				  const char *value);

/*
 * domains_relay_warning - what check says about D, an accepted domain of
 *	L: for a "*.x" relay domain, that relay_recipient_maps has no
 *	wild-card for subdomains (postfix-maps.md), so of x's subdomains only
 *	the directory's addresses are accepted; that "@x" accepts all of x
 *	only when what decides for x itself (an exact "x" of another type
 *	may) is a relay.  Writes it to BUF (SIZE bytes) and returns 1; 0
 *	when there is nothing to say (or it would not fit).
 */
int domains_relay_warning(const struct acceptdom_list *l,
			  const struct acceptdom *d, char *buf, size_t size);

/*
 * domains_gives - what D, an accepted domain of L, gives in rcptsync's
 *	tables, for check's list: "@x" only where what decides for x itself
 *	is a relay, and never for a subdomain (as domains_apply writes it).
 */
const char *domains_gives(const struct acceptdom_list *l,
			  const struct acceptdom *d);

#endif
