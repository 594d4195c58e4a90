/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	relaydomains - output.relay_domains: what the domains table holds
 * DESCRIPTION
 *	main.cf can say "relay_domains = hash:/var/lib/rcptsync/
 *	relay_domains": a second published table (pubtable.c, which also
 *	says the order it is published in around the recipient table), of
 *	the output type, from the run's accepted domains (domains.c).  This
 *	file says what it should hold: never nothing, and a domain that goes
 *	stays while the recipient table still holds an address in it that
 *	safety.removal_grace keeps.
 * OWNERSHIP
 *	The table's sets are the pipeline's, freed by pipeline_free().
 * DIAGNOSTICS
 *	sync_err: DATA (empty, malformed table), OUTPUT.
 */
#include <stdlib.h>
#include <string.h>

#include "domains.h"
#include "grace.h"
#include "log.h"
#include "mapcommit.h"
#include "xalloc.h"
#include "relaydomains.h"

/* in_domain - is KEY an address (or "@domain") in DOMAIN, or below it? */
static int
in_domain(const char *key, const char *domain, int below)
{
	const char *at = strrchr(key, '@');
	size_t lk, ld = strlen(domain);

	if (at == NULL)
		return 0;
	if (strcmp(at + 1, domain) == 0)
		return 1;
	lk = strlen(at + 1);
	return below && lk > ld && at[lk - ld] == '.' &&
	       strcmp(at + 1 + lk - ld, domain) == 0;
}

/* has_pending - does RECIPIENTS hold an address pending removal in
 * NAME (or below it)? */
static int
has_pending(const struct addrset *recipients, const char *name, int below)
{
	size_t n = addrset_count(recipients);

	for (size_t j = 0; j < n; j++) {
		const struct addrset_entry *r = addrset_get(recipients, j);

		if (strcmp(r->origin, GRACE_ORIGIN) == 0 &&
		    in_domain(r->key, name, below))
			return 1;
	}
	return 0;
}

/*
 * keep_pending - a domain that goes while the recipient table still
 * holds addresses in it kept by safety.removal_grace stays listed until
 * they go: Postfix must not answer 554 for addresses it is told to
 * accept.  (Only those: an extra-file line does not keep a domain;
 * collect.c warns about it.)  Adds such entries of OLD to WANT.  WANT
 * is only looked up while it is finished: the kept keys are gathered
 * first (pointers into OLD, which does not change here), then added
 * and WANT finished once.
 */
static void
keep_pending(struct pubtable *t, const char *value,
	     const struct addrset *recipients)
{
	size_t n_old = addrset_count(t->old), kept = 0;
	const char **keep;

	if (n_old == 0)
		return;
	keep = xcalloc(n_old, sizeof(*keep));
	for (size_t i = 0; i < n_old; i++) {
		const struct addrset_entry *e = addrset_get(t->old, i);
		int below = e->key[0] == '.';

		if (addrset_find(t->want, e->key) == NULL &&
		    has_pending(recipients, below ? e->key + 1 : e->key, below))
			keep[kept++] = e->key;
	}
	for (size_t i = 0; i < kept; i++)
		addrset_add(t->want, keep[i], strlen(keep[i]), value,
			    GRACE_ORIGIN);
	if (kept > 0)
		addrset_finish(t->want);
	free(keep);
}

/* relaydomains_load - see relaydomains.h */
int
relaydomains_load(struct pipeline *p, mapdiff_fn fn, void *ctx,
		  struct sync_err *err)
{
	struct pubtable *t = &p->table[PUBTABLE_DOMAINS];
	const struct sync_conf *conf = p->conf;

	if (!pubtable_init(t, PUBTABLE_DOMAINS, conf))
		return 0;
	t->want = domains_relay_set(&p->domains, conf->value);
	t->owns_want = 1;
	if (addrset_count(t->want) == 0)
		return sync_err_set(err, SYNC_ERR_DATA,
				    "no domain is accepted inbound: %s would "
				    "be empty and Postfix would refuse all "
				    "mail; nothing was written",
				    t->path);
	if (pubtable_read(t, err) < 0)
		return -1;
	addrset_finish(t->old);
	t->old_count = addrset_count(t->old);
	t->stale =
		t->stale || (t->exists && mapcommit_db_stale(t->path, t->type));
	keep_pending(t, conf->value, p->new_set);
	mapdiff_run(t->old, t->want, fn, ctx, &t->counts);
	return 0;
}
