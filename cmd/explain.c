/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	explain - would smtpd accept these RCPT TO addresses, and why
 * DESCRIPTION
 *	"explain ADDRESS..." answers as the gateway's smtpd would after the
 *	next sync, for a client outside mynetworks: each address is read
 *	as smtpd reads it (smtpaddr.c), then judged in smtpd's order
 *	(smtpd_check.c, smtpd_check_rcpt): bare postmaster 250; routing
 *	characters in the local part refused by reject_unauth_destination
 *	unless allow_untrusted_routing; a domain that is the gateway's own
 *	(mydestination) is local delivery, not rcptsync's; a domain that is
 *	not in rcptsync's relay_domains (with parent_domain_matches_
 *	subdomains as Postfix reads it) refused; then relay_recipient_maps
 *	as mail_addr_find() searches it: the address (quoted form first),
 *	without its extension (recipient_delimiter), then "@domain".  The
 *	settings come from postconf (pfconf.c).  With one address every
 *	directory value that carries it is traced too.
 * OWNERSHIP
 *	Everything made here is freed before cmd_explain returns.
 * DIAGNOSTICS
 *	Errors in the caller's struct sync_err (fetch, postconf); the
 *	verdicts on stdout (render.c); exit 0 when every address is
 *	accepted, 1 when any is not.
 * SEE ALSO
 *	Postfix smtpd_check.c, mail_addr_find.c, match_ops.c;
 *	doc/postfix-maps.md, "Postfix settings explain follows"; rcptsync(8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "xalloc.h"
#include "log.h"
#include "exitcode.h"
#include "domains.h"
#include "grace.h"
#include "pipeline.h"
#include "pfconf.h"
#include "mapdb.h"
#include "mapread.h"
#include "maptext.h"
#include "relaydomains.h"
#include "smtpaddr.h"
#include "commands.h"

/* find_folded - the entry for KEY in lower case, or NULL */
static const struct addrset_entry *
find_folded(const struct addrset *set, const char *key)
{
	char *k = xstrdup(key);
	const struct addrset_entry *e =
		addrset_find(set, ascii_fold(k, strlen(k)));

	free(k);
	return e;
}

/* find_addr - mail_addr_find's find_addr(): the quoted form, then the
 * bare one (MA_FORM_EXTERNAL_FIRST) */
static const struct addrset_entry *
find_addr(const struct addrset *set, const char *addr)
{
	char *q = smtpaddr_quote(addr);
	const struct addrset_entry *e = find_folded(set, q);

	if (e == NULL && strcmp(q, addr) != 0)
		e = find_folded(set, addr);
	free(q);
	return e;
}

/* lookup - relay_recipient_maps as smtpd searches it (MA_FIND_DEFAULT):
 * the address, without its extension, then "@domain" */
static const struct addrset_entry *
lookup(const struct addrset *set, const struct pfconf *pc,
       struct explain_result *r)
{
	const struct addrset_entry *e;
	char *bare;

	if ((e = find_addr(set, r->parsed.addr)) != NULL)
		return e;
	bare = smtpaddr_strip_ext(r->parsed.addr, pc->recipient_delimiter);
	if (bare != NULL && (e = find_addr(set, bare)) != NULL) {
		r->via_delimiter = 1;
		free(bare);
		return e;
	}
	free(bare);
	return find_folded(set, r->parsed.domain - 1);
}

/*
 * relayed - is DOMAIN in rcptsync's relay_domains as Postfix matches a
 * table (match_ops.c, match_hostname): the name, then its parents, as
 * "parent" with parent_domain_matches_subdomains, else as ".parent"
 */
static int
relayed(const struct addrset *want, const char *domain, int parent)
{
	char *d = ascii_fold(xstrdup(domain), strlen(domain));
	const char *next;
	int found = 0;

	for (const char *e = d; *e && !found; e = next) {
		found = addrset_find(want, e) != NULL;
		if ((next = strchr(e + 1, '.')) == NULL)
			break;
		if (parent)
			next++;
	}
	free(d);
	return found;
}

/* judge - R's code and why, in smtpd's order (smtpd_check_rcpt) */
static void
judge(struct explain_result *r, const struct pipeline *p,
      const struct pfconf *pc)
{
	const struct pubtable *relay = &p->table[PUBTABLE_DOMAINS];
	const struct smtpaddr *a = &r->parsed;

	const char *text;

	if ((r->code = smtpaddr_reply(a->code, &text)) != 0)
		return;
	r->relay_known = relay->row != NULL;
	r->domain = domains_decide(&p->domains, r->key, &r->domain_inbound);
	if (a->routed && !pc->allow_untrusted_routing) {
		r->code = pc->relay_code;
		r->routed = 1;
		return;
	}
	if (a->local) {
		r->local = 1;
		return;
	}
	r->domain_relayed = !r->relay_known ||
			    relayed(relay->want, a->domain, pc->parent_relay);
	if (!r->domain_relayed) {
		r->code = pc->relay_code;
		return;
	}
	r->matched = lookup(p->new_set, pc, r);
	r->code = r->matched != NULL ? 250 : 550;
}

/* setup - read ARG into R: what smtpd makes of it, lower-cased key */
static void
setup(struct explain_result *r, const char *arg, const struct pfconf *pc)
{
	memset(r, 0, sizeof(*r));
	r->address = arg;
	smtpaddr_parse(arg, strlen(arg), &pc->addr, &r->parsed);
	if (r->parsed.addr != NULL)
		r->key = ascii_fold(xstrdup(r->parsed.addr),
				    strlen(r->parsed.addr));
}

/* answer_of - what SET answers for R's address, as smtpd searches it */
static void
answer_of(const struct addrset *set, const struct pfconf *pc,
	  const struct explain_result *r, struct explain_answer *a)
{
	struct explain_result probe = *r;
	const struct addrset_entry *e = lookup(set, pc, &probe);

	if (e != NULL) {
		a->key = xstrdup(e->key);
		a->value = xstrdup(e->value);
	}
}

/*
 * published_lookup - what the table on disk and its map answer for R's
 * address now, which may not be what the directory says.  XXX reads both
 * whole (a million keys: a second or two); a lookup by key in each map
 * library would not.
 */
static void
published_lookup(const struct sync_conf *conf, const struct pfconf *pc,
		 const struct explain_result *r, struct explain_published *pub)
{
	struct addrset *text = addrset_new(), *map = addrset_new();
	struct sync_err err = {0};
	int exists, rc;

	pub->table = conf->table;
	if (maptext_read(conf->table, MAPTEXT_ANY_KEY, text, "table", &exists,
			 &err) == 0) {
		addrset_finish(text);
		answer_of(text, pc, r, &pub->in_table);
	}
	rc = mapread_served(conf->table, conf->type, map, "map", &pub->map,
			    &err);
	addrset_finish(map);
	if (rc > 0)
		answer_of(map, pc, r, &pub->in_map);
	else if (mapdb_suffix(conf->type) == NULL)
		pub->map = NULL; /* type text: no map */
	else
		snprintf(pub->map_error, sizeof(pub->map_error), "%s",
			 rc < 0 ? err.msg : "it is missing");
	addrset_free(text);
	addrset_free(map);
}

/* published_free - the answers' strings */
static void
published_free(struct explain_published *pub)
{
	free(pub->in_table.key);
	free(pub->in_table.value);
	free(pub->in_map.key);
	free(pub->in_map.value);
}

/* fetch_all - the new set, the relay_domains table, and the state */
static int
fetch_all(struct pipeline *p, const struct sync_conf *conf,
	  struct sync_err *err)
{
	struct sync_state st;
	int exists, rc;

	if (pipeline_fetch(p, err) < 0 ||
	    state_load(conf->state, &st, &exists, err) < 0)
		return -1;
	rc = pipeline_compare(p, &st, NULL, NULL, err);
	state_free(&st);
	if (rc < 0)
		return -1;
	return relaydomains_load(p, NULL, NULL, err);
}

/* cmd_explain - see commands.h */
int
cmd_explain(const struct cmd_args *a, struct render *out, struct sync_err *err)
{
	struct pipeline p = {.conf = a->conf, .now = a->now};
	struct collect_trace trace;
	struct pfconf pc;
	struct explain_result *r;
	size_t n = a->n_addresses;
	int rc = 0, one = n == 1;

	if (pfconf_load(&pc, a->postfix_config, err) < 0)
		return -1;
	r = xcalloc(n, sizeof(*r));
	for (size_t i = 0; i < n; i++)
		setup(&r[i], a->addresses[i], &pc);
	render_explain_begin(out, &r[0], &pc, one);
	if (one && r[0].key != NULL && !render_is_json(out)) {
		trace.address = r[0].key;
		trace.fn = render_explain_value;
		trace.ctx = &r[0].values;
		p.trace = &trace;
	}
	if (fetch_all(&p, a->conf, err) < 0) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		r[i].extra = a->conf->extra;
		r[i].domains_known = a->conf->domains_exchange ||
				     a->conf->relay_domains != NULL;
		judge(&r[i], &p, &pc);
		if (r[i].code != 250)
			rc = EXIT_DIFF_CHANGES;
	}
	/* r points into the sets: render before they are freed */
	render_explain_end(out, r, n, &pc, one, rc);
	if (one && r[0].key != NULL && r[0].parsed.domain != NULL &&
	    !render_is_json(out)) {
		/* what Postfix answers now: the table and its map on disk */
		struct explain_published pub = {0};

		published_lookup(a->conf, &pc, &r[0], &pub);
		pub.replaced = p.table[PUBTABLE_RECIPIENTS].replaced;
		render_explain_published(out, &pub);
		published_free(&pub);
	}
out:
	for (size_t i = 0; i < n; i++) {
		smtpaddr_free(&r[i].parsed);
		free(r[i].key);
	}
	free(r);
	pipeline_free(&p);
	pfconf_free(&pc);
	return rc;
}
