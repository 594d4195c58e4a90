/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	relaydomains - output.relay_domains: the domains table and its map
 * DESCRIPTION
 *	main.cf can say "relay_domains = hash:/var/lib/rcptsync/
 *	relay_domains": a second table, of the output type, made with the
 *	same atomic machinery (mapcommit.c) from the run's accepted domains
 *	(domains.c).  It is never published empty, its removals are held
 *	to safety.max_removed, and the two tables are published in an order
 *	that never leaves Postfix relaying a domain without its recipients
 *	(doc/exchange.md, "Domains from Exchange"):
 *	1. when domains go: relay_domains without them (and without the
 *	   new ones) first: mail to a domain no longer accepted gets 554;
 *	2. the recipient table (sync.c);
 *	3. the whole new relay_domains: a new domain is relayed only once
 *	   its recipients (or its "@domain") are in the map.
 *	A step with nothing to change writes nothing.  Its files are
 *	checked against the identities the state file records, as the
 *	recipient table's are (relay_table_ours()), so that a map left by a
 *	crash between two renames is rewritten even when the directory went
 *	back to what the text says.
 * OWNERSHIP
 *	The sets are freed by relay_table_free().
 * DIAGNOSTICS
 *	sync_err: DATA (empty, unsafe, malformed table), OUTPUT.
 */
#include <stdlib.h>
#include <string.h>

#include "domains.h"
#include "grace.h"
#include "log.h"
#include "mapread.h"
#include "mapcommit.h"
#include "maptext.h"
#include "safety.h"
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
keep_pending(struct relay_table *t, const struct addrset *recipients)
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
		addrset_add(t->want, keep[i], strlen(keep[i]), t->conf->value,
			    GRACE_ORIGIN);
	if (kept > 0)
		addrset_finish(t->want);
	free(keep);
}

/* relay_table_load - see relaydomains.h */
int
relay_table_load(struct relay_table *t, const struct sync_conf *conf,
		 const struct acceptdom_list *domains,
		 const struct addrset *recipients, mapdiff_fn fn, void *ctx,
		 struct sync_err *err)
{
	memset(t, 0, sizeof(*t));
	if (conf->relay_domains == NULL)
		return 0;
	t->conf = conf;
	t->want = domains_relay_set(domains, conf->value);
	if (addrset_count(t->want) == 0)
		return sync_err_set(err, SYNC_ERR_DATA,
				    "no domain is accepted inbound: %s would "
				    "be empty and Postfix would refuse all "
				    "mail; nothing was written",
				    conf->relay_domains);
	t->old = addrset_new();
	if (maptext_read(conf->relay_domains, MAPTEXT_ANY_KEY, t->old, "table",
			 &t->exists, err) < 0)
		return sync_err_prefix(err, "output.relay_domains");
	/* text gone, map there: Postfix serves the map, and the removal
	 * limit applies to what it serves (as for the recipient table) */
	if (!t->exists) {
		const char *map;
		int rc = mapread_served(conf->relay_domains, conf->type, t->old,
					"table", &map, err);

		if (rc < 0)
			return sync_err_prefix(err, "output.relay_domains");
		if (rc > 0) {
			t->exists = 1;
			t->stale = 1;
			log_warn("%s is missing, but %s is there: comparing "
				 "with what Postfix serves from it",
				 conf->relay_domains, map);
		}
	}
	addrset_finish(t->old);
	t->stale = t->stale ||
		   (t->exists &&
		    mapcommit_db_stale(conf->relay_domains, conf->type));
	keep_pending(t, recipients);
	mapdiff_run(t->old, t->want, fn, ctx, &t->counts);
	return 0;
}

/* relay_table_ours - see relaydomains.h */
int
relay_table_ours(struct relay_table *t, const struct mapcommit_files *ours)
{
	if (t->conf == NULL || !t->exists ||
	    !mapcommit_replaced(t->conf->relay_domains, t->conf->type, ours))
		return 1;
	t->stale = 1;
	return 0;
}

/* relay_table_settled - see relaydomains.h */
int
relay_table_settled(const struct relay_table *t)
{
	return t->published && !t->publish_failed;
}

/* relay_table_changed - see relaydomains.h */
int
relay_table_changed(const struct relay_table *t)
{
	return t->conf != NULL &&
	       (!t->exists || t->stale || mapdiff_changed(&t->counts));
}

/* relay_table_check - the recipients' limits; at least one domain */
int
relay_table_check(const struct relay_table *t, struct sync_err *err)
{
	struct safety_limits limits;

	if (t->conf == NULL || !mapdiff_changed(&t->counts))
		return 0;
	limits = t->conf->safety;
	limits.min_recipients = 1; /* a count of addresses, not domains */
	if (safety_check_of(&limits, "relay_domains entries", t->exists,
			    addrset_count(t->old), addrset_count(t->want),
			    t->counts.removed, err) < 0)
		return sync_err_prefix(err, "output.relay_domains");
	return 0;
}

/* publish - SET as the table and its map */
static int
publish(struct relay_table *t, const struct addrset *set, struct sync_err *err)
{
	struct mapcommit_how how = {.header = MAPTEXT_DOMAINS_HEADER};

	if (mapcommit_publish(t->conf->relay_domains, t->conf->type, set, &how,
			      err) < 0) {
		t->publish_failed = 1;
		return -1;
	}
	t->published = 1;
	return 0;
}

/* in_want - mapdiff's keep test: a domain the new table keeps */
static int
in_want(void *ctx, const struct addrset_entry *e)
{
	return addrset_find(ctx, e->key) != NULL;
}

/* relay_table_publish_removals - see relaydomains.h */
int
relay_table_publish_removals(struct relay_table *t, struct sync_err *err)
{
	struct addrset *first;
	int rc;

	if (t->conf == NULL || t->counts.removed == 0 || !t->exists)
		return 0;
	/* the old table without the domains that go: a copy of OLD, since
	 * OLD is what the final step compares against */
	first = addrset_new();
	for (size_t i = 0; i < addrset_count(t->old); i++) {
		const struct addrset_entry *e = addrset_get(t->old, i);

		if (in_want(t->want, e))
			addrset_add(first, e->key, strlen(e->key), e->value,
				    e->origin);
	}
	addrset_finish(first);
	rc = addrset_count(first) > 0 ? publish(t, first, err) : 0;
	addrset_free(first);
	return rc;
}

/* relay_table_publish - see relaydomains.h */
int
relay_table_publish(struct relay_table *t, struct sync_err *err)
{
	if (!relay_table_changed(t))
		return 0;
	/* removals only: step 1 already wrote this table */
	if (t->published && t->counts.added == 0 && t->counts.revalued == 0)
		return 0;
	return publish(t, t->want, err);
}

/* relay_table_free - see relaydomains.h */
void
relay_table_free(struct relay_table *t)
{
	addrset_free(t->want);
	addrset_free(t->old);
	t->want = t->old = NULL;
}
