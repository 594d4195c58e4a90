/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	inspect - the commands that write nothing: diff, dump, check
 * DESCRIPTION
 *	Each runs the shared stages (pipeline.c) and hands its result to
 *	render.c.  "diff" is the admin's dry run: the same fetch, compare
 *	and safety limits as "sync", without the lock, the write, the hook
 *	or any cache, position or state moving, and the digest of the
 *	change it shows, which "sync --approve" takes.  "explain" is
 *	explain.c.
 * OWNERSHIP
 *	Each command frees what it made before it returns; the state is
 *	read into a private copy and never saved (sync.c owns it).
 * DIAGNOSTICS
 *	Errors in the caller's struct sync_err; "would refuse" as a warning.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ascii.h"
#include "xalloc.h"
#include "log.h"
#include "proxyaddr.h"
#include "mapdb.h"
#include "mapread.h"
#include "maptext.h"
#include "safety.h"
#include "exitcode.h"
#include "domains.h"
#include "pipeline.h"
#include "relaydomains.h"
#include "commands.h"

/* A change goes to the output and to the digest. */
struct tee {
	mapdiff_fn show;
	void *out;
	void *digest; /* a changedigest table */
};

/* tee_change - a mapdiff_fn: shown, and noted in the digest */
static void
tee_change(void *ctx, char op, const struct addrset_entry *e)
{
	const struct tee *t = ctx;

	t->show(t->out, op, e);
	changedigest_note(t->digest, op, e);
}

/* fetch_compare - the new set, then the diff of every published table
 * against the one on disk (each change to tee_change with TEES[kind]),
 * and whether its files are the ones the state records as published */
static int
fetch_compare(struct pipeline *p, struct tee tees[PUBTABLE_N],
	      struct sync_err *err)
{
	struct sync_state st;
	int exists, rc;

	if (pipeline_fetch(p, err) < 0 ||
	    state_load(p->conf->state, &st, &exists, err) < 0)
		return -1;
	rc = pipeline_compare(p, &st, tee_change, &tees[PUBTABLE_RECIPIENTS],
			      err);
	if (rc == 0)
		rc = relaydomains_load(p, tee_change, &tees[PUBTABLE_DOMAINS],
				       err);
	for (size_t k = PUBTABLE_RECIPIENTS + 1; rc == 0 && k < PUBTABLE_N; k++)
		(void)pubtable_ours(&p->table[k],
				    pubtable_recorded(&pubtable_rows[k], &st));
	state_free(&st);
	return rc;
}

/*
 * would_refuse - what sync would say no to, or NULL (LIMIT holds it);
 * *APPROVABLE says whether "sync --approve" would pass it (the limits,
 * not the canaries)
 */
static const char *
would_refuse(const struct pipeline *p, struct sync_err *limit, int *approvable)
{
	*approvable = 0;
	if (pipeline_canaries(p, limit) < 0)
		return limit->msg;
	*approvable = 1;
	for (size_t k = 0; k < PUBTABLE_N; k++)
		if (mapdiff_changed(&p->table[k].counts) &&
		    pubtable_check(&p->table[k], limit) < 0)
			return limit->msg;
	return NULL;
}

/* report_digest - the digest of the change shown, and how to apply it */
static void
report_digest(const struct changedigest *d, const char *hex,
	      const char *refused, int approvable)
{
	if (refused != NULL && approvable)
		log_warn("sync would refuse: %s; \"rcptsync sync --approve "
			 "%s\" applies exactly this change",
			 refused, hex);
	else if (refused != NULL)
		log_warn("sync would refuse: %s", refused);
	if (changedigest_empty(d))
		log_info("diff: nothing to change (digest %s)", hex);
	else
		log_info("diff: digest of this change %s", hex);
}

/* log_table - the diff's line for a published table after the first */
static void
log_table(const struct pubtable *t)
{
	if (t->row == NULL)
		return;
	log_info("diff: %zu %s for %s: %zu to add, %zu to remove%s",
		 addrset_count(t->want), t->row->keys, t->path, t->counts.added,
		 t->counts.removed,
		 t->stale ? "; it or its map is missing, older than the "
			    "text or not the file rcptsync published last, "
			    "and would be rewritten"
			  : "");
}

/* cmd_diff - the dry run: exit 1 when sync would change anything */
int
cmd_diff(const struct cmd_args *a, struct render *out, struct sync_err *err)
{
	struct pipeline p = {.conf = a->conf, .now = a->now};
	const struct pubtable *rcpt = &p.table[PUBTABLE_RECIPIENTS];
	const struct mapdiff_counts *c = &rcpt->counts;
	struct diff_result r;
	struct sync_err limit;
	struct tee tees[PUBTABLE_N];
	void *digest_tables[PUBTABLE_N];
	struct changedigest *digest;
	char hex[CHANGEDIGEST_HEX_LEN + 1];
	int approvable, changed = 0;

	digest = pipeline_digest(a->conf, digest_tables);
	for (size_t k = 0; k < PUBTABLE_N; k++) {
		tees[k].show = render_table_change;
		tees[k].out = digest_tables[k] != NULL
				      ? render_diff_table(out, k)
				      : NULL;
		tees[k].digest = digest_tables[k];
	}
	if (fetch_compare(&p, tees, err) < 0) {
		changedigest_free(digest);
		pipeline_free(&p);
		return -1;
	}
	changedigest_hex(digest, hex);
	fflush(stdout);
	for (size_t k = 0; k < PUBTABLE_N; k++)
		changed |= pubtable_changed(&p.table[k]);
	r.recipients = addrset_count(p.new_set);
	r.current = rcpt->old_count;
	r.counts = *c;
	r.pending = p.grace.kept;
	r.map_stale = rcpt->stale && rcpt->exists;
	r.code = changed ? EXIT_DIFF_CHANGES : 0;
	log_info("diff: %zu recipients from the directory, %zu in %s: %zu to "
		 "add, %zu to remove, %zu to change%s",
		 r.recipients, r.current, a->conf->table, c->added, c->removed,
		 c->revalued,
		 r.map_stale ? rcpt->replaced ? "; the table or its map is "
						"not the file rcptsync "
						"published last and would "
						"be rewritten"
					      : "; the indexed map is missing "
						"or older than the text and "
						"would be rebuilt"
			     : "");
	for (size_t k = PUBTABLE_RECIPIENTS + 1; k < PUBTABLE_N; k++)
		log_table(&p.table[k]);
	r.would_refuse = would_refuse(&p, &limit, &approvable);
	report_digest(digest, hex, r.would_refuse, approvable);
	r.digest = hex;
	render_diff(out, &r);
	changedigest_free(digest);
	pipeline_free(&p);
	return r.code;
}

/* cmd_dump - the normalised table on stdout */
int
cmd_dump(const struct cmd_args *a, struct render *out, struct sync_err *err)
{
	struct pipeline p = {.conf = a->conf, .now = a->now};
	int rc = 0;

	(void)out; /* text only: the table's own format */
	if (pipeline_fetch(&p, err) < 0) {
		pipeline_free(&p);
		return -1;
	}
	for (size_t i = 0; i < addrset_count(p.new_set); i++) {
		const struct addrset_entry *e = addrset_get(p.new_set, i);

		printf("%s\t%s\n", e->key, e->value);
	}
	if (fflush(stdout) != 0)
		rc = sync_err_set(err, SYNC_ERR_OUTPUT, "writing stdout");
	pipeline_free(&p);
	return rc;
}

/*
 * warn_relay_subdomains - a "*.x" relay domain: relay_recipient_maps has
 * no wild-card for subdomains (postfix-maps.md), so only the directory's
 * addresses in them are accepted; say so where the admin looks
 */
static void
warn_relay_subdomains(const struct acceptdom_list *l)
{
	char msg[1024];

	for (size_t i = 0; i < l->n; i++)
		if (domains_relay_warning(l, &l->v[i], msg, sizeof(msg)))
			log_warn("%s", msg);
}

/* dir_writable - may PATH's directory be written?  Else 0, ERR set */
static int
dir_writable(const char *path, const char *whose, struct sync_err *err)
{
	char *copy = xstrdup(path);
	int ok = access(dirname(copy), W_OK) == 0;

	if (!ok)
		sync_err_set(err, SYNC_ERR_OUTPUT,
			     "cannot write to %s directory %s", whose, copy);
	free(copy);
	return ok;
}

/*
 * warn_cbinding - a GSSAPI bind inside TLS without a channel binding: a DC
 * that enforces channel binding (LdapEnforceChannelBinding 2, and Samba
 * 4.20.3 and later with "ldap server require strong auth = yes") refuses
 * it (doc/active-directory.md, "AD hardening")
 */
static void
warn_cbinding(const struct source_protection *p)
{
	if (p->cb_unable == 0)
		return;
	log_warn("channel binding: %s: a DC that enforces LDAP channel "
		 "binding refuses a GSSAPI bind inside TLS without one; use "
		 "GSSAPI over ldap:// (signing and sealing) or a simple bind "
		 "over ldaps://",
		 p->cb_why);
}

/* cmd_check - config, connection, bind, counts; and can we write? */
int
cmd_check(const struct cmd_args *a, struct render *out, struct sync_err *err)
{
	struct pipeline p = {.conf = a->conf, .now = a->now};
	struct check_result r;
	char *copy;

	if (pipeline_fetch(&p, err) < 0) {
		pipeline_free(&p);
		return -1;
	}
	r.writable = dir_writable(a->conf->table, "the table's", err) &&
		     (a->conf->relay_domains == NULL ||
		      dir_writable(a->conf->relay_domains,
				   "output.relay_domains'", err));
	/* metrics are no part of the sync's result: a warning, not an
	 * error, as in sync */
	r.metrics = a->conf->metrics_textfile;
	r.metrics_writable = 0;
	if (r.metrics != NULL) {
		copy = xstrdup(r.metrics);
		r.metrics_writable = access(dirname(copy), W_OK) == 0;
		if (!r.metrics_writable)
			log_warn("cannot write to the metrics directory %s",
				 copy);
		free(copy);
	}
	r.stats = &p.stats;
	r.recipients = addrset_count(p.new_set);
	r.domains = &p.domains;
	r.domains_from = a->conf->domains_exchange ? "exchange"
			 : a->conf->n_domains > 0  ? "domains"
						   : "none";
	warn_relay_subdomains(&p.domains);
	warn_cbinding(&p.stats.source.protection);
	render_check(out, &r);
	pipeline_free(&p);
	return r.writable ? 0 : -1;
}
