/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	domains - the run's accepted domains, into the two tables
 * DESCRIPTION
 *	What "domains" means for the recipient table and for
 *	output.relay_domains (doc/exchange.md, "Domains from Exchange"):
 *	- an address counts when the most specific accepted domain that
 *	  matches its domain accepts mail from outside (acceptdom_match):
 *	  addresses in other domains, and in outbound-only ones, are left
 *	  out (Postfix would answer 554 for them before any lookup);
 *	- an authoritative domain keeps exactly the addresses the directory
 *	  holds: the rest of it is rejected with 550;
 *	- a relay domain (internal or external) gets "@domain", which
 *	  postconf(5) documents for relay_recipient_maps as the wild-card
 *	  for a domain without a recipient list: its recipients are
 *	  elsewhere, and Exchange relays them on.  Its addresses found in
 *	  the directory stay too (turning a domain from authoritative into
 *	  relay then removes nothing).  relay_recipient_maps looks up
 *	  "@domain" only for the domain itself, never a parent's
 *	  (doc/postfix-maps.md): a "*.x" relay domain accepts all of x (unless
 *	  an exact "x" of another type decides for x), and of its subdomains
 *	  only the addresses the directory lists.
 *	- relay_domains lists every domain accepted inbound: "x" when what
 *	  decides for x accepts it, ".x" for the subdomains of a "*.x"
 *	  accepted inbound.  A more specific subdomain that is not accepted
 *	  inbound under such a "*.x" is still relayed by ".x" (a table
 *	  cannot make exceptions): its mail gets 550 rather than 554.
 * OWNERSHIP
 *	Sets returned are the caller's; the list is the caller's.
 * DIAGNOSTICS
 *	domains_report() warns about skipped objects; nothing else logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proxyaddr.h"
#include "xalloc.h"
#include "domains.h"

#define SHOWN 320
/* "@" + a domain, or "." + one */
#define KEY_MAX 260

/* domains_from_conf - see domains.h */
void
domains_from_conf(const struct sync_conf *conf, struct acceptdom_list *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < conf->n_domains; i++) {
		const char *d = conf->domains[i];
		struct acceptdom a = {0};

		a.subdomains = d[0] == '.';
		a.name = xstrdup(a.subdomains ? d + 1 : d);
		a.type = ACCEPTDOM_AUTHORITATIVE;
		a.origin = xstrdup("domains (sync.yaml)");
		acceptdom_add(out, &a);
	}
	acceptdom_finish(out);
}

/* domains_report - see domains.h */
void
domains_report(const struct acceptdom_list *l)
{
	for (size_t i = 0; i < l->n_skip; i++) {
		const struct acceptdom_skip *s = &l->skip[i];
		char dn[SHOWN], value[SHOWN];

		log_warn("%s: skipping accepted domain \"%s\": it %s",
			 proxyaddr_escape(s->dn, strlen(s->dn), dn, sizeof(dn)),
			 s->value ? proxyaddr_escape(s->value, strlen(s->value),
						     value, sizeof(value))
				  : "",
			 s->why);
	}
}

/* domains_decide - see domains.h */
const struct acceptdom *
domains_decide(const struct acceptdom_list *l, const char *key, int *inbound)
{
	const char *at = strrchr(key, '@');
	const struct acceptdom *d = at ? acceptdom_match(l, at + 1) : NULL;

	*inbound = d != NULL && acceptdom_inbound(d);
	return d;
}

/* One-entry memory: addresses come in runs of one domain. */
struct keeper {
	const struct acceptdom_list *l;
	char last[KEY_MAX];
	int last_kept;
};

/* keep - an address whose domain is accepted inbound */
static int
keep(void *ctx, const struct addrset_entry *e)
{
	struct keeper *k = ctx;
	const char *at = strrchr(e->key, '@');
	int inbound;

	if (at == NULL)
		return 0;
	if (strcmp(at + 1, k->last) == 0)
		return k->last_kept;
	domains_decide(k->l, e->key, &inbound);
	if (strlen(at + 1) < sizeof(k->last)) {
		strcpy(k->last, at + 1);
		k->last_kept = inbound;
	}
	return inbound;
}

/*
 * decides - does the accepted domain that decides for the name D itself
 * (not only for its subdomains) do what TEST says?  For "*.x" that is x's
 * own match: an exact "x" of another type decides for x.
 */
static int
decides(const struct acceptdom_list *l, const struct acceptdom *d,
	int (*test)(const struct acceptdom *))
{
	const struct acceptdom *m = acceptdom_match(l, d->name);

	return m != NULL && test(m);
}

/* domains_apply - see domains.h */
size_t
domains_apply(const struct acceptdom_list *l, struct addrset *set,
	      const char *value)
{
	struct keeper k = {l, "", 0};
	size_t dropped = addrset_filter(set, keep, &k);

	for (size_t i = 0; i < l->n; i++) {
		const struct acceptdom *d = &l->v[i];
		char key[KEY_MAX];
		int n;

		if (!acceptdom_is_relay(d) ||
		    !decides(l, d, acceptdom_is_relay))
			continue;
		n = snprintf(key, sizeof(key), "@%s", d->name);
		if (n > 0 && (size_t)n < sizeof(key))
			addrset_add(set, key, (size_t)n, value,
				    addrset_intern(set, d->origin));
	}
	return dropped;
}

/* domains_relay_warning - see domains.h */
int
domains_relay_warning(const struct acceptdom_list *l, const struct acceptdom *d,
		      char *buf, size_t size)
{
	const struct acceptdom *m;
	int n;

	if (!d->subdomains || !acceptdom_is_relay(d))
		return 0;
	/* what decides for x itself: "@x" is in the table only when that
	 * is a relay too (domains_apply) */
	m = acceptdom_match(l, d->name);
	if (m != NULL && acceptdom_is_relay(m))
		n = snprintf(buf, size,
			     "accepted domain *.%s is a relay domain: \"@%s\" "
			     "accepts every recipient of %s, but Postfix has "
			     "no such wild-card for its subdomains; there only "
			     "the addresses in the directory are accepted "
			     "(doc/exchange.md, \"Domains from Exchange\")",
			     d->name, d->name, d->name);
	else
		n = snprintf(buf, size,
			     "accepted domain *.%s is a relay domain for the "
			     "subdomains of %s (%s itself is %s), but Postfix "
			     "has no wild-card for subdomains in "
			     "relay_recipient_maps; there only the addresses "
			     "in the directory are accepted "
			     "(doc/exchange.md, \"Domains from Exchange\")",
			     d->name, d->name, d->name,
			     m != NULL ? acceptdom_type_name(m)
				       : "not accepted");
	return n > 0 && (size_t)n < size;
}

/* domains_relay_set - see domains.h */
struct addrset *
domains_relay_set(const struct acceptdom_list *l, const char *value)
{
	struct addrset *set = addrset_new();

	for (size_t i = 0; i < l->n; i++) {
		const struct acceptdom *d = &l->v[i];
		const char *origin;
		char key[KEY_MAX];
		int n;

		if (!acceptdom_inbound(d))
			continue;
		origin = addrset_intern(set, d->origin);
		if (decides(l, d, acceptdom_inbound))
			addrset_add(set, d->name, strlen(d->name), value,
				    origin);
		n = snprintf(key, sizeof(key), ".%s", d->name);
		if (d->subdomains && n > 0 && (size_t)n < sizeof(key))
			addrset_add(set, key, (size_t)n, value, origin);
	}
	addrset_finish(set);
	return set;
}

/* domains_gives - see domains.h */
const char *
domains_gives(const struct acceptdom_list *l, const struct acceptdom *d)
{
	if (!acceptdom_inbound(d))
		return "not accepted inbound";
	if (!acceptdom_is_relay(d))
		return "its recipients in the directory";
	if (!d->subdomains)
		return "every recipient (@domain)";
	/* relay_recipient_maps has no wild-card for subdomains */
	return decides(l, d, acceptdom_is_relay)
		       ? "every recipient of the domain itself (@domain); of "
			 "its subdomains, those in the directory"
		       : "of its subdomains, the recipients in the directory";
}
