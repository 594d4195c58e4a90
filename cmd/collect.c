/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	collect - from the directory to a finished recipient set
 * DESCRIPTION
 *	Glue between the directory sources (ldapsync/) and the set
 *	(mapwriter/): every raw proxyAddresses value goes through
 *	proxyaddr_normalise(), then the domains rule, then the exclude
 *	rule (with domains: exchange the domains rule comes after every
 *	directory was read, with all their accepted domains: domains.c);
 *	the extra file is merged last and is not filtered (the admin
 *	wrote it on purpose).  Each entry's DN is stored once and shared
 *	by its keys: whole for diff, dump and explain, which show it; for
 *	a sync, which shows it only in the first duplicate warnings, in
 *	the small store of dnstore.c (keep_dn, dn_text, same_dn).
 *
 *	An entry the LDAP search marks "again" (its DN's fingerprint was
 *	seen: a repeat, or another DN sharing it) waits until the
 *	directory's search is done (resolve_again).  Then it is a repeat
 *	when its DN is the origin of a key of that directory, or of an
 *	earlier marked entry: its values are taken with no counter and no
 *	warning, and the last copy's keys replace the earlier copies' (as
 *	the incremental path and Graph keep the last copy).  Else it is
 *	another object, taken as any.  An earlier copy that kept no key
 *	is not known (no DN is stored for it): its repeat is taken as a
 *	new object, so only its counters and warnings come twice.
 * OWNERSHIP
 *	Returns a set owned by the caller.
 * DIAGNOSTICS
 *	Returns the source's sync_err; logs one warning per refused value.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addrfilter.h"
#include "clock.h"
#include "ldapsync.h"
#include "graph.h"
#include "ldifsource.h"
#include "incremental.h"
#include "xalloc.h"
#include "maptext.h"
#include "proxyaddr.h"
#include "smtpaddr.h"
#include "log.h"
#include "domains.h"
#include "dnstore.h"
#include "collect.h"

struct collector {
	const struct sync_conf *conf;
	struct addrset *set;
	struct dnstore *dns; /* sync: the DNs kept small, else NULL */
	struct collect_stats *stats;
	const struct collect_trace *trace;
	const char *last_dn;	   /* interned copy of the current entry's DN */
	unsigned long last_serial; /* source_stats.serial of last_dn */
	const struct source_stats *live; /* the running fetch's counters */
	int progress;			 /* draw the fetch progress */
	double started, shown;
	const char *extra_origin;   /* the extra file's origin string */
	unsigned long dup_warnings; /* addresses on two objects */
	/* warnings about how this run fetched (discovery, failover, a cache
	 * pulled afresh), not about the data: collect_stats.warnings */
	unsigned long passing;
	struct incremental_commit **commit; /* sync: caches owed */
	struct acceptdom_list *domains;	    /* the run's accepted domains */
	struct held *held;		    /* exchange: traces until the */
	size_t n_held;			    /* domains are known */
	unsigned long unreachable;	    /* kept keys smtpd never accepts */
	struct deferred *deferred;	    /* values of entries marked */
	size_t n_deferred, alloc_deferred;  /* "again", till resolved */
	int quiet;			    /* a repeat: no counts, no warns */
	const char *dup_key;		    /* report_duplicate: the key, */
	const char **dup_dns;		    /* and the DNs seen with it */
	size_t n_dup_dns, alloc_dup_dns;
	unsigned long repeats; /* keys dropped as a repeat's */
};

/* One value of an entry marked "again", held until its search is done. */
struct deferred {
	char *dn;
	unsigned long serial; /* source_stats.serial: one per entry */
	char *val;
	size_t len;
};

/* resolve_again: a DN of the marked entries, and what became of it */
struct copy {
	const char *dn;
	int seen;	  /* delivered already: a later copy repeats it */
	const char *last; /* a repeat's: the last copy's origin */
};

/* A traced value whose domain is not decided yet (domains: exchange). */
struct held {
	char *dn, *val, *key; /* KEY: the normalised address, if kept */
	size_t len;
	char *verdict;
};

/* Warnings for addresses on several objects, before a summary line. */
#define DUP_WARNINGS_MAX 20
/* DNs a_repeat remembers for one key: past them, no repeat is told (a
 * key on thousands of objects must not make the sort's report
 * quadratic; resolve_again has dropped an LDAP repeat's keys already) */
#define DUP_DNS_MAX 64
/* Warnings for refused values; the rest are logged at -v. */
#define REFUSED_WARNINGS_MAX 50
#define UNREACHABLE_WARNINGS_MAX 50

#define PROGRESS_EVERY 0.25 /* seconds between redraws */

/* progress - objects and pages so far, and the rate; a few times a second */
static void
progress(struct collector *c)
{
	const struct source_stats *s = c->live;
	double t;

	if (!c->progress ||
	    (t = clock_seconds(CLOCK_MONOTONIC)) - c->shown < PROGRESS_EVERY)
		return;
	c->shown = t;
	log_status("rcptsync: fetching: %lu objects, %lu pages, %lu "
		   "addresses kept, %.0f objects/s",
		   s->entries, s->pages, c->stats->kept,
		   t > c->started ? (double)s->entries / (t - c->started) : 0);
}

/*
 * keep_dn - DN kept as a key's origin: whole for diff, dump and explain,
 * which show it; in the small store for a sync, which shows it only in a
 * duplicate warning (dn_text)
 */
static const char *
keep_dn(struct collector *c, const char *dn)
{
	return c->dns != NULL ? dnstore_add(c->dns, dn)
			      : addrset_intern(c->set, dn);
}

/* dn_text - the whole text of an origin, for the caller to free */
static char *
dn_text(const struct collector *c, const char *origin)
{
	return c->dns != NULL ? dnstore_text(c->dns, origin) : xstrdup(origin);
}

/* same_dn - do two origins stand for one text? */
static int
same_dn(const struct collector *c, const char *a, const char *b)
{
	return c->dns != NULL ? dnstore_same(c->dns, a, b) : strcmp(a, b) == 0;
}

/* origin_of - one kept DN per entry, shared by its keys */
static const char *
origin_of(struct collector *c, const char *dn)
{
	/* one serial per entry: no strcmp of the DN for every value */
	if (c->last_dn == NULL || c->last_serial != c->live->serial) {
		c->last_dn = keep_dn(c, dn);
		c->last_serial = c->live->serial;
	}
	return c->last_dn;
}

/*
 * warn_unreachable - a kept address that smtpd, with Postfix's defaults,
 * refuses before it looks at the table (smtpaddr_unreachable): it stays
 * in the table, but the admin must know that no mail reaches it
 */
static void
warn_unreachable(struct collector *c, const char *dn, const char *key)
{
	const char *why = smtpaddr_unreachable(key);
	char shown_dn[300], shown_key[300];

	if (why == NULL || c->quiet)
		return;
	(++c->unreachable <= UNREACHABLE_WARNINGS_MAX ? log_warn : log_debug)(
		"%s: %s can never receive mail through Postfix: %s",
		proxyaddr_escape(dn, strlen(dn), shown_dn, sizeof(shown_dn)),
		proxyaddr_escape(key, strlen(key), shown_key,
				 sizeof(shown_key)),
		why);
}

/* traced - is this raw value (or KEY, its normalised form, or NULL)
 * about the address being explained? */
static int
traced(const struct collector *c, const char *val, size_t len, const char *key)
{
	const char *colon = memchr(val, ':', len);
	size_t n;

	if (c->trace == NULL || colon == NULL)
		return 0;
	if (key != NULL && strcmp(key, c->trace->address) == 0)
		return 1;
	n = len - (size_t)(colon + 1 - val);
	return n == strlen(c->trace->address) &&
	       strncasecmp(colon + 1, c->trace->address, n) == 0;
}

/*
 * trace - report what became of a traced value; with domains: exchange
 * held until the accepted domains are known (replay_traces), so that
 * values come out in the directory's order with their final verdict
 */
static void
trace(struct collector *c, const char *dn, const char *val, size_t len,
      const char *key, const char *verdict)
{
	struct held *h;

	if (!traced(c, val, len, key))
		return;
	if (!c->conf->domains_exchange) {
		c->trace->fn(c->trace->ctx, dn, val, len, verdict);
		return;
	}
	c->held = xreallocarray(c->held, c->n_held + 1, sizeof(*c->held));
	h = &c->held[c->n_held++];
	h->dn = xstrdup(dn);
	h->val = xmemdup(val, len);
	h->len = len;
	h->key = key ? xstrdup(key) : NULL;
	h->verdict = xstrdup(verdict);
}

/* replay_traces - the held traces, a kept value's verdict now final */
static void
replay_traces(struct collector *c)
{
	for (size_t i = 0; i < c->n_held; i++) {
		struct held *h = &c->held[i];
		char verdict[600];
		const struct acceptdom *d = NULL;
		int inbound = 0;

		if (h->key != NULL)
			d = domains_decide(c->domains, h->key, &inbound);
		if (h->key == NULL)
			snprintf(verdict, sizeof(verdict), "%s", h->verdict);
		else if (d == NULL)
			snprintf(verdict, sizeof(verdict),
				 "dropped: its domain is not an accepted "
				 "domain in Exchange");
		else
			snprintf(verdict, sizeof(verdict),
				 "%s: accepted domain %s%s (%s)",
				 inbound ? "kept" : "dropped",
				 d->subdomains ? "*." : "", d->name,
				 acceptdom_type_name(d));
		c->trace->fn(c->trace->ctx, h->dn, h->val, h->len, verdict);
	}
}

/* free_held - the held traces */
static void
free_held(struct collector *c)
{
	for (size_t i = 0; i < c->n_held; i++) {
		free(c->held[i].dn);
		free(c->held[i].val);
		free(c->held[i].key);
		free(c->held[i].verdict);
	}
	free(c->held);
}

/* defer - one value of an entry marked "again" (resolve_again) */
static void
defer(struct collector *c, const char *dn, const char *val, size_t len)
{
	struct deferred *d;

	if (c->n_deferred == c->alloc_deferred) {
		c->alloc_deferred =
			c->alloc_deferred ? 2 * c->alloc_deferred : 16;
		c->deferred = xreallocarray(c->deferred, c->alloc_deferred,
					    sizeof(*c->deferred));
	}
	d = &c->deferred[c->n_deferred++];
	d->dn = xstrdup(dn);
	d->serial = c->live->serial;
	d->val = xmemdup(val, len);
	d->len = len;
}

/* drop_deferred - the held values, resolved or not */
static void
drop_deferred(struct collector *c)
{
	for (size_t i = 0; i < c->n_deferred; i++) {
		free(c->deferred[i].dn);
		free(c->deferred[i].val);
	}
	c->n_deferred = 0;
}

/* count - one more of counter N, unless the value is a repeat's */
static unsigned long
count(const struct collector *c, unsigned long *n)
{
	return c->quiet ? 0 : ++*n;
}

/* take_one - one raw value: normalised, filtered, kept */
static int
take_one(struct collector *c, const char *dn, const char *val, size_t len)
{
	char key[PROXYADDR_KEY_MAX];
	const char *why = NULL, *pattern;
	char verdict[160];

	progress(c);
	switch (proxyaddr_normalise(val, len, key, &why)) {
	case PROXYADDR_IGNORE:
		count(c, &c->stats->ignored);
		trace(c, dn, val, len, NULL, "ignored: its type is not SMTP");
		return 0;
	case PROXYADDR_REFUSE: {
		char shown_dn[300], shown_val[300];
		unsigned long n = count(c, &c->stats->refused);

		/* a cron mail of 30,000 lines helps nobody: the first ones
		 * as warnings, the rest under -v, and a count at the end */
		if (n > 0)
			(n <= REFUSED_WARNINGS_MAX ? log_warn : log_debug)(
				"%s: refusing proxyAddresses value \"%s\": %s",
				proxyaddr_escape(dn, strlen(dn), shown_dn,
						 sizeof(shown_dn)),
				proxyaddr_escape(val, len, shown_val,
						 sizeof(shown_val)),
				why);
		snprintf(verdict, sizeof(verdict), "refused: the address %s",
			 why);
		trace(c, dn, val, len, NULL, verdict);
		return 0;
	}
	case PROXYADDR_KEEP: break;
	}
	/* domains: exchange is applied once every directory was read
	 * (domains_apply): the accepted domains of all are used together */
	if (!c->conf->domains_exchange &&
	    !addrfilter_domain_kept(c->conf->domains, c->conf->n_domains,
				    key)) {
		count(c, &c->stats->other_domain);
		trace(c, dn, val, len, NULL,
		      "dropped: its domain is not listed in domains");
		return 0;
	}
	if ((pattern = addrfilter_excluded(c->conf->exclude, c->conf->n_exclude,
					   key)) != NULL) {
		count(c, &c->stats->excluded);
		snprintf(verdict, sizeof(verdict),
			 "dropped: excluded by the pattern \"%s\"", pattern);
		trace(c, dn, val, len, NULL, verdict);
		return 0;
	}
	count(c, &c->stats->kept);
	trace(c, dn, val, len, key, "kept");
	warn_unreachable(c, dn, key);
	addrset_add(c->set, key, strlen(key), c->conf->value, origin_of(c, dn));
	return 0;
}

/* take_value - the source callback: one raw value */
static int
take_value(void *ctx, const char *dn, const char *val, size_t len)
{
	struct collector *c = ctx;

	/* perhaps sent already (reply.c): resolve_again tells */
	if (c->live->again) {
		defer(c, dn, val, len);
		return 0;
	}
	return take_one(c, dn, val, len);
}

/* copy_cmp - qsort and bsearch of struct copy, by DN */
static int
copy_cmp(const void *a, const void *b)
{
	return strcmp(((const struct copy *)a)->dn,
		      ((const struct copy *)b)->dn);
}

/* find_copy - the copy of DN in M (N of them, sorted), or NULL */
static struct copy *
find_copy(struct copy *m, size_t n, const char *dn)
{
	struct copy k = {.dn = dn};

	return n > 0 ? bsearch(&k, m, n, sizeof(*m), copy_cmp) : NULL;
}

/* The head of a DN (dnstore_head_len), for marked's quick look. */
struct head {
	const char *s;
	size_t len;
};

/* The distinct DNs of the marked entries (resolve_again), sorted, and
 * their heads, sorted: most keys' origins are passed over by the head,
 * without their DNs put back together (dn_text). */
struct marked {
	struct copy *m;
	size_t n;
	struct head *heads;
};

/* head_cmp - qsort and bsearch of struct head, bytewise */
static int
head_cmp(const void *a, const void *b)
{
	const struct head *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* find_origin - the copy whose DN ORIGIN (a key's) stands for, or NULL */
static struct copy *
find_origin(const struct collector *c, const struct marked *k,
	    const char *origin)
{
	struct head h = {origin, dnstore_head_len(origin)};
	struct copy *p;
	char *dn;

	if (k->n == 0 ||
	    bsearch(&h, k->heads, k->n, sizeof(*k->heads), head_cmp) == NULL)
		return NULL; /* equal DNs have equal heads */
	dn = dn_text(c, origin);
	p = find_copy(k->m, k->n, dn);
	free(dn);
	return p;
}

/* marked_dns - the distinct DNs of the deferred values, and their heads */
static struct marked
marked_dns(const struct collector *c)
{
	struct marked k = {
		xreallocarray(NULL, c->n_deferred, sizeof(*k.m)), 0,
		xreallocarray(NULL, c->n_deferred, sizeof(*k.heads))};

	for (size_t i = 0; i < c->n_deferred; i++)
		k.m[i] = (struct copy){.dn = c->deferred[i].dn};
	qsort(k.m, c->n_deferred, sizeof(*k.m), copy_cmp);
	for (size_t i = 0; i < c->n_deferred; i++)
		if (k.n == 0 || strcmp(k.m[k.n - 1].dn, k.m[i].dn) != 0)
			k.m[k.n++] = k.m[i];
	for (size_t i = 0; i < k.n; i++)
		k.heads[i] =
			(struct head){k.m[i].dn, dnstore_head_len(k.m[i].dn)};
	qsort(k.heads, k.n, sizeof(*k.heads), head_cmp);
	return k;
}

/* A filter of the set: the keys of a repeated DN's earlier copies go. */
struct last_only {
	const struct collector *c;
	const struct marked *k;
	const char *origin; /* the last origin looked up ... */
	int keep;	    /* ... and its verdict */
};

/* keep_last - is E no key of an earlier copy of a repeated entry? */
static int
keep_last(void *ctx, const struct addrset_entry *e)
{
	struct last_only *l = ctx;
	const struct copy *p;

	/* an entry's keys are mostly together (sorted runs aside) */
	if (e->origin != l->origin) {
		l->origin = e->origin;
		p = find_origin(l->c, l->k, e->origin);
		l->keep = p == NULL || p->last == NULL || p->last == e->origin;
	}
	return l->keep;
}

/*
 * resolve_again - the deferred entries of one directory's search, whose
 * keys from the search start at index BEFORE of the set: each a repeat
 * of a copy delivered already (its DN an origin since BEFORE, or an
 * earlier deferred entry's), or another object.  ONE is the search's
 * counters: a repeat's values are not counted twice, and another
 * object is an entry (reply.c counts none marked).
 */
static void
resolve_again(struct collector *c, struct source_stats *one, size_t before)
{
	size_t end = addrset_count(c->set);
	struct marked k = marked_dns(c);
	struct last_only l = {c, &k, NULL, 1};
	struct copy *p = NULL;
	const char *origin = NULL;
	int repeats = 0;

	for (size_t i = before; i < end; i++) {
		const char *o = addrset_get(c->set, i)->origin;

		if (o != origin && (p = find_origin(c, &k, origin = o)) != NULL)
			p->seen = 1;
	}
	for (size_t i = 0; i < c->n_deferred; i++) {
		const struct deferred *d = &c->deferred[i];

		if (i == 0 || d->serial != d[-1].serial) { /* a new entry */
			p = find_copy(k.m, k.n, d->dn);
			c->quiet = p->seen;
			c->last_dn = keep_dn(c, d->dn);
			c->last_serial = c->live->serial;
			if (p->seen) {
				p->last = c->last_dn; /* the last wins */
				repeats = 1;
			} else {
				one->entries++;
			}
			p->seen = 1;
		}
		if (c->quiet)
			one->values--;
		(void)take_one(c, d->dn, d->val, d->len);
	}
	c->quiet = 0;
	c->last_dn = NULL;
	if (repeats)
		(void)addrset_filter(c->set, keep_last, &l);
	free(k.m);
	free(k.heads);
}

/* merge_extra - the admin's static lines, unfiltered */
static int
merge_extra(struct collector *c, struct sync_err *err)
{
	const char *origin = addrset_intern(c->set, c->conf->extra);
	size_t before = addrset_count(c->set);
	int exists;

	if (maptext_read(c->conf->extra, MAPTEXT_ADDRESS_KEY, c->set, origin,
			 &exists, err) < 0)
		return sync_err_prefix(err, "extra");
	if (!exists)
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "extra file %s does not exist (remove the "
				    "extra key if it is not wanted)",
				    c->conf->extra);
	c->stats->extra = addrset_count(c->set) - before;
	c->extra_origin = origin;
	return 0;
}

/*
 * warn_discovery - what DC discovery found that the admin should know:
 * records it could not use, and a site with no DC of its own (a
 * misspelt site would otherwise quietly send every run to any DC)
 */
static unsigned
warn_discovery(const struct ldapsync_conf *l, const struct source_discovery *d)
{
	unsigned n = 0;

	if (d->ignored[0] != '\0') {
		log_warn("DNS records not used: %s", d->ignored);
		n++;
	}
	if (l->site != NULL && d->n_lookups == 2 && d->lookups[0].found == 0) {
		log_warn("site %s has no DC in DNS (%s SRV: %s): used the "
			 "domain's",
			 l->site, d->lookups[0].name, d->lookups[0].outcome);
		n++;
	}
	return n;
}

/* add_discovery - one directory's DNS lookups and records, as room allows */
static void
add_discovery(struct source_discovery *sum, const struct source_discovery *one)
{
	for (size_t i = 0; i < one->n_lookups; i++)
		if (sum->n_lookups < SOURCE_LOOKUPS_MAX)
			sum->lookups[sum->n_lookups++] = one->lookups[i];
	for (size_t i = 0; i < one->n_srv; i++)
		if (sum->n_srv < SOURCE_SRV_MAX)
			sum->srv[sum->n_srv++] = one->srv[i];
	if (one->chosen[0] != '\0') {
		size_t used = strlen(sum->chosen);

		snprintf(sum->chosen + used, sizeof(sum->chosen) - used, "%s%s",
			 used ? "; " : "", one->chosen);
	}
	sum->kept += one->kept;
	sum->anew += one->anew;
}

/*
 * warn_extra_unrelayed - with output.relay_domains, an extra-file line
 * whose domain is not accepted inbound is in the map, but Postfix answers
 * 554 before it looks: say so (the admin wrote it on purpose; the
 * domain belongs in Exchange's accepted domains or the domains list)
 */
static void
warn_extra_unrelayed(const struct collector *c)
{
	unsigned long n = 0;

	if (c->conf->relay_domains == NULL)
		return;
	for (size_t i = 0; i < addrset_count(c->set); i++) {
		const struct addrset_entry *e = addrset_get(c->set, i);
		int inbound;

		if (e->origin != c->extra_origin)
			continue;
		domains_decide(c->domains, e->key, &inbound);
		if (!inbound && ++n <= DUP_WARNINGS_MAX)
			log_warn("%s: %s is in the table, but its domain is "
				 "not in output.relay_domains: Postfix answers "
				 "554 for it",
				 c->conf->extra, e->key);
	}
	if (n > DUP_WARNINGS_MAX)
		log_warn("%s: %lu more lines outside output.relay_domains",
			 c->conf->extra, n - DUP_WARNINGS_MAX);
}

/* add_protection - one directory's bind protections into the totals */
static void
add_protection(struct source_protection *sum,
	       const struct source_protection *one)
{
	size_t used = strlen(sum->text);

	sum->binds += one->binds;
	sum->tls += one->tls;
	sum->signing += one->signing;
	sum->sealing += one->sealing;
	sum->cbinding += one->cbinding;
	sum->cb_unable += one->cb_unable;
	if (one->text[0] != '\0')
		snprintf(sum->text + used, sizeof(sum->text) - used, "%s%s",
			 used ? "; " : "", one->text);
	if (sum->cb_why[0] == '\0')
		snprintf(sum->cb_why, sizeof(sum->cb_why), "%s", one->cb_why);
}

/* add_stats - one directory's fetch into the run's totals */
static void
add_stats(struct source_stats *sum, const struct source_stats *one)
{
	size_t used;

	sum->entries += one->entries;
	sum->values += one->values;
	sum->pages += one->pages;
	sum->references += one->references;
	sum->ranged += one->ranged;
	used = strlen(sum->bound_as);
	if (one->bound_as[0] != '\0')
		snprintf(sum->bound_as + used, sizeof(sum->bound_as) - used,
			 "%s%s", used ? "; " : "", one->bound_as);
	add_protection(&sum->protection, &one->protection);
	used = strlen(sum->server);
	snprintf(sum->server + used, sizeof(sum->server) - used, "%s%s",
		 used ? ", " : "", one->server);
	add_discovery(&sum->dns, &one->dns);
}

/* append_pull - one directory's pull into the summary ("; " between) */
static void __attribute__((format(printf, 3, 4)))
append_pull(struct collect_stats *st, size_t index, const char *fmt, ...)
{
	size_t used = strlen(st->pull);
	va_list ap;

	if (used > 0)
		used += (size_t)snprintf(st->pull + used,
					 sizeof(st->pull) - used, "; ");
	if (index > 0 && used < sizeof(st->pull))
		used += (size_t)snprintf(st->pull + used,
					 sizeof(st->pull) - used,
					 "directory %zu: ", index);
	if (used >= sizeof(st->pull))
		return;
	va_start(ap, fmt);
	vsnprintf(st->pull + used, sizeof(st->pull) - used, fmt, ap);
	va_end(ap);
}

/* fetch_incremental - directory I through its object cache */
static int
fetch_incremental(struct collector *c, size_t i, struct source_stats *one,
		  struct sync_err *err)
{
	size_t index = c->conf->n_ldap > 1 ? i + 1 : 0;
	struct incremental_request r = {
		.l = &c->conf->ldap[i],
		.table = c->conf->table,
		.index = index,
		.accepted = c->conf->domains_exchange ? c->domains : NULL,
		.commit = c->commit,
		.fn = take_value,
		.ctx = c,
	};
	struct incremental_stats is;

	if (incremental_fetch(&r, one, &is, err) < 0)
		return -1;
	if (is.cache_problem[0] != '\0') {
		log_warn("%s; pulling in full", is.cache_problem);
		c->passing++;
	}
	if (is.healed > 0) {
		log_warn("%s lists %zu qualifying objects that the cache of "
			 "the last pull lacks (was its view partial?): pulled "
			 "in full",
			 one->server, is.healed);
		c->passing++;
	}
	log_debug("%s", is.summary);
	append_pull(c->stats, index, "%s", is.pull);
	return 0;
}

/*
 * fetch_directories - every directory of source.ldap in turn (the
 * domains of a forest); all must complete, or the run has nothing.
 */
static int
fetch_directories(struct collector *c, struct sync_err *err)
{
	struct source_stats one;

	for (size_t i = 0; i < c->conf->n_ldap; i++) {
		size_t before;
		int rc;

		/* this search's keys stay at BEFORE and after (resolve_again):
		 * the runs sorted from here on are of its keys only */
		addrset_seal(c->set);
		before = addrset_count(c->set);
		c->live = &one;
		c->last_dn = NULL;
		c->domains->dir = (unsigned)i; /* its accepted domains */
		if (c->conf->ldap[i].incremental)
			rc = fetch_incremental(c, i, &one, err);
		else
			rc = ldapsync_fetch(
				&c->conf->ldap[i],
				c->conf->domains_exchange ? c->domains : NULL,
				take_value, c, &one, err);
		if (rc == 0 && c->n_deferred > 0)
			resolve_again(c, &one, before);
		drop_deferred(c);

		add_stats(&c->stats->source, &one);
		c->passing += warn_discovery(&c->conf->ldap[i], &one.dns);
		if (one.skipped[0] != '\0') {
			log_warn("used %s after: %s", one.server, one.skipped);
			c->passing++;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* collect_unmoved - see collect.h */
int
collect_unmoved(const struct sync_conf *conf, struct collect_stats *stats,
		struct acceptdom_list *domains, char *why, size_t size,
		struct sync_err *err)
{
	struct source_stats *each;
	size_t asked = 0;
	int rc = 1;

	memset(stats, 0, sizeof(*stats));
	memset(domains, 0, sizeof(*domains));
	if (conf->source != CONFIG_SOURCE_LDAP || conf->graph != NULL) {
		snprintf(why, size,
			 "not every source is an incremental "
			 "directory");
		return 0;
	}
	for (size_t i = 0; i < conf->n_ldap; i++)
		if (!conf->ldap[i].incremental) {
			snprintf(why, size,
				 "not every source is an "
				 "incremental directory");
			return 0;
		}
	each = xcalloc(conf->n_ldap, sizeof(*each));
	for (size_t i = 0; rc == 1 && i < conf->n_ldap; i++) {
		struct incremental_request r = {
			.l = &conf->ldap[i],
			.table = conf->table,
			.index = conf->n_ldap > 1 ? i + 1 : 0,
			.accepted = conf->domains_exchange ? domains : NULL,
		};

		domains->dir = (unsigned)i;
		rc = incremental_unmoved(&r, &each[i], why, size, err);
		if (rc == 1)
			log_debug("nothing changed at %s", why);
		add_stats(&stats->source, &each[i]);
		asked++;
	}
	/* what discovery and failover found, as a pull says it; not when a
	 * pull follows, which says it again */
	for (size_t i = 0; rc != 0 && i < asked; i++) {
		warn_discovery(&conf->ldap[i], &each[i].dns);
		if (each[i].skipped[0] != '\0')
			log_warn("used %s after: %s", each[i].server,
				 each[i].skipped);
	}
	free(each);
	if (rc == 1 && conf->domains_exchange)
		acceptdom_finish(domains);
	return rc;
}

/* fetch_ldif - source.ldif: one file, read as a directory would answer */
static int
fetch_ldif(struct collector *c, struct sync_err *err)
{
	return ldifsource_read(c->conf->ldif, take_value, c, &c->stats->source,
			       err);
}

#ifdef RCPTSYNC_HAVE_GRAPH
/* fetch_graph - source.graph: Exchange Online's users, groups, contacts */
static int
fetch_graph(struct collector *c, struct sync_err *err)
{
	const struct graph_stats *g = &c->stats->graph;
	const struct graph_request r = {.conf = c->conf->graph,
					.table = c->conf->table,
					.commit = c->commit,
					.fn = take_value,
					.ctx = c};
	struct source_stats one;
	int rc;

	c->live = &one;
	c->last_dn = NULL;
	rc = graph_fetch(&r, &one, &c->stats->graph, err);
	add_stats(&c->stats->source, &one);
	if (g->cache_problem[0] != '\0') {
		log_warn("%s; a full delta round", g->cache_problem);
		c->passing++;
	}
	if (g->why_full[0] != '\0')
		log_debug("graph: a full delta round: %s", g->why_full);
	if (g->links_dropped > 0) {
		log_warn("graph: this round's deltaLinks take %zu bytes, more "
			 "than the incremental cache keeps: they are not "
			 "saved, and the run after this one's cache is a full "
			 "delta round",
			 g->links_dropped);
		c->passing++;
	}
	if (rc == 0 && g->delta) {
		char how[200];

		snprintf(how, sizeof(how),
			 "%s delta round, %lu objects changed, %lu removed, "
			 "%lu cached",
			 g->full ? "a full" : "an incremental", g->changed,
			 g->removed, one.entries);
		log_debug("graph: %s", how);
		append_pull(c->stats, 0, "graph: %s", how);
	}
	return rc;
}
#endif

/* has_ldap, has_ldif, has_graph - is the source configured? */
static int
has_ldap(const struct sync_conf *conf)
{
	return conf->source == CONFIG_SOURCE_LDAP;
}

static int
has_ldif(const struct sync_conf *conf)
{
	return conf->source == CONFIG_SOURCE_LDIF;
}

#ifdef RCPTSYNC_HAVE_GRAPH
static int
has_graph(const struct sync_conf *conf)
{
	return conf->graph != NULL;
}
#endif

/*
 * The directory sources: adding one is a row here (and its reader in
 * ldapsync/, handing each raw value to take_value).  Every configured
 * one is read, in this order; the table is their union, and all must
 * complete or the run has nothing.
 */
static const struct {
	int (*configured)(const struct sync_conf *conf);
	int (*fetch)(struct collector *c, struct sync_err *err);
} sources[] = {
	{has_ldap, fetch_directories},
	{has_ldif, fetch_ldif},
#ifdef RCPTSYNC_HAVE_GRAPH
	{has_graph, fetch_graph},
#endif
};

/* fetch_source - every configured source's values, into the set */
static int
fetch_source(struct collector *c, struct sync_err *err)
{
	int read = 0;

	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		if (!sources[i].configured(c->conf))
			continue;
		if (sources[i].fetch(c, err) < 0)
			return -1;
		read++;
	}
	if (read == 0)
		panic("collect: no source has a reader");
	return 0;
}

/*
 * a_repeat - what is DROPPED, a copy of KEY, to the copies before it?
 * All copies of a key are together after the sort: the DNs seen with it
 * (from KEPT on) are remembered.  1: its DN is among them with another
 * origin, the same object delivered again (a repeat: no duplicate); 2:
 * its origin is among them, one object with the value twice (counted
 * as a duplicate, as always, but not warned again); 0: a new DN, or
 * one past the first DUP_DNS_MAX.
 */
static int
a_repeat(struct collector *c, const char *key, const char *kept,
	 const char *dropped)
{
	int same = 0, other = 0;

	if (c->dup_key == NULL || strcmp(c->dup_key, key) != 0) {
		c->dup_key = key;
		c->n_dup_dns = 0;
		c->alloc_dup_dns = c->alloc_dup_dns ? c->alloc_dup_dns : 4;
		c->dup_dns = xreallocarray(c->dup_dns, c->alloc_dup_dns,
					   sizeof(*c->dup_dns));
		c->dup_dns[c->n_dup_dns++] = kept;
	}
	for (size_t i = 0; i < c->n_dup_dns; i++)
		if (c->dup_dns[i] == dropped)
			same = 1;
		else if (same_dn(c, c->dup_dns[i], dropped))
			other = 1;
	if (same)
		return 2;
	if (c->n_dup_dns == DUP_DNS_MAX)
		return other;
	if (c->n_dup_dns == c->alloc_dup_dns) {
		c->alloc_dup_dns *= 2;
		c->dup_dns = xreallocarray(c->dup_dns, c->alloc_dup_dns,
					   sizeof(*c->dup_dns));
	}
	c->dup_dns[c->n_dup_dns++] = dropped;
	return other;
}

/*
 * report_duplicate - one address on two directory objects.  Exchange
 * refuses that within an organisation, so it is a mistake in AD (or two
 * forests claiming one address): Postfix needs the key once, the admin
 * needs to know.  An extra-file line repeating a directory address is
 * not news.
 */
static void
report_duplicate(void *ctx, const char *key, const char *kept,
		 const char *dropped)
{
	struct collector *c = ctx;
	char shown_kept[300], shown_dropped[300];
	int seen = a_repeat(c, key, kept, dropped);
	char *a, *b;

	if (seen == 1)
		c->repeats++; /* the server sent the entry twice */
	/* 0 also says DROPPED's DN is not KEPT's: a_repeat compared them
	 * (KEPT is the first DN it remembers for KEY) */
	if (seen != 0 || kept == c->extra_origin || dropped == c->extra_origin)
		return;
	if (++c->dup_warnings > DUP_WARNINGS_MAX)
		return;
	a = dn_text(c, kept);
	b = dn_text(c, dropped);
	/* in DN order: the server's order varies from run to run */
	if (strcmp(a, b) > 0) {
		char *t = a;

		a = b;
		b = t;
	}
	log_warn("%s is on two objects: %s and %s; written once", key,
		 proxyaddr_escape(a, strlen(a), shown_kept, sizeof(shown_kept)),
		 proxyaddr_escape(b, strlen(b), shown_dropped,
				  sizeof(shown_dropped)));
	free(a);
	free(b);
}

/*
 * settle_domains - the run's accepted domains: from Exchange (every
 * directory's, merged), applied to the set; or sync.yaml's list
 */
static void
settle_domains(struct collector *c)
{
	if (!c->conf->domains_exchange) {
		domains_from_conf(c->conf, c->domains);
		return;
	}
	domains_report(c->domains);
	acceptdom_finish(c->domains);
	c->stats->other_domain +=
		domains_apply(c->domains, c->set, c->conf->value);
	c->stats->accepted_domains = c->domains->n;
	if (c->trace != NULL)
		replay_traces(c);
}

/* collect_recipients - fetch, filter, merge, finish */
struct addrset *
collect_recipients(const struct sync_conf *conf,
		   const struct collect_trace *trace,
		   struct incremental_commit **commit,
		   struct acceptdom_list *domains, struct collect_stats *stats,
		   struct sync_err *err)
{
	struct collector c = {.conf = conf,
			      .set = addrset_new(),
			      /* sync shows no DN but in duplicate warnings */
			      .dns = commit != NULL ? dnstore_new() : NULL,
			      .stats = stats,
			      .trace = trace,
			      .live = &stats->source,
			      .commit = commit,
			      .domains = domains}; /* the rest 0 or NULL */
	double cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID), t;
	unsigned long warned = log_warnings();
	int rc;

	if (c.dns != NULL) /* the set's origins point into it */
		addrset_attach(c.set, c.dns, dnstore_free);
	memset(stats, 0, sizeof(*stats));
	memset(domains, 0, sizeof(*domains));
	c.progress = trace == NULL && log_status_enabled();
	c.started = clock_seconds(CLOCK_MONOTONIC);
	c.shown = c.started;
	rc = fetch_source(&c, err);
	log_status_clear();
	if (rc == 0)
		settle_domains(&c);
	free_held(&c);
	if (rc == 0 && conf->extra != NULL && (rc = merge_extra(&c, err)) == 0)
		warn_extra_unrelayed(&c);
	if (rc < 0) {
		free(c.deferred);
		addrset_free(c.set);
		return NULL;
	}
	t = clock_seconds(CLOCK_MONOTONIC);
	stats->fetch_seconds = t - c.started;
	stats->fetch_cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	free(c.deferred);
	/* a repeated entry's keys are not duplicates (a_repeat) */
	stats->duplicates =
		addrset_finish_report(c.set, report_duplicate, &c) - c.repeats;
	free(c.dup_dns);
	stats->sort_seconds = clock_seconds(CLOCK_MONOTONIC) - t;
	if (stats->refused > REFUSED_WARNINGS_MAX)
		log_warn("%lu more proxyAddresses values were refused (-v "
			 "lists them all)",
			 stats->refused - REFUSED_WARNINGS_MAX);
	if (c.unreachable > UNREACHABLE_WARNINGS_MAX)
		log_warn("%lu more directory addresses can never receive mail "
			 "through Postfix (-v lists them all)",
			 c.unreachable - UNREACHABLE_WARNINGS_MAX);
	if (c.dup_warnings > DUP_WARNINGS_MAX)
		log_warn("%lu more addresses are on more than one object "
			 "(\"rcptsync explain ADDRESS\" shows them all)",
			 c.dup_warnings - DUP_WARNINGS_MAX);
	stats->warnings = log_warnings() - warned - c.passing;
	return c.set;
}
