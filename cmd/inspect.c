/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	inspect - the commands that write nothing: diff, dump, check, explain
 * DESCRIPTION
 *	Each runs the shared stages (pipeline.c) and hands its result to
 *	render.c.  "diff" is the admin's dry run: the same fetch, compare
 *	and safety limits as "sync", without the lock, the write, the hook
 *	or any cache, position or state moving, and the digest of the
 *	change it shows, which "sync --approve" takes.  "explain" traces one
 *	address through the same normalisation.
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

/* fetch_compare - the new set, then the diff against the table (FN);
 * in *RELAY_FILES (unless NULL) the relay_domains files the state records
 * as published */
static int
fetch_compare(struct pipeline *p, mapdiff_fn fn, void *ctx,
	      struct mapcommit_files *relay_files, struct sync_err *err)
{
	struct sync_state st;
	int exists, rc;

	if (pipeline_fetch(p, err) < 0 ||
	    state_load(p->conf->state, &st, &exists, err) < 0)
		return -1;
	rc = pipeline_compare(p, &st, fn, ctx, err);
	if (relay_files != NULL)
		*relay_files = st.relay_files;
	state_free(&st);
	return rc;
}

/*
 * would_refuse - what sync would say no to, or NULL (LIMIT holds it);
 * *APPROVABLE says whether "sync --approve" would pass it (the limits,
 * not the canaries)
 */
static const char *
would_refuse(const struct pipeline *p, const struct relay_table *relay,
	     struct sync_err *limit, int *approvable)
{
	const struct sync_conf *c = p->conf;

	*approvable = 0;
	if (pipeline_canaries(p, limit) < 0)
		return limit->msg;
	*approvable = 1;
	if (mapdiff_changed(&p->counts) &&
	    safety_check(&c->safety, p->table_exists, p->old_count,
			 addrset_count(p->new_set), p->counts.removed,
			 limit) < 0)
		return limit->msg;
	if (relay_table_check(relay, limit) < 0)
		return limit->msg;
	return NULL;
}

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

/* cmd_diff - the dry run: exit 1 when sync would change anything */
int
cmd_diff(const struct cmd_args *a, struct render *out, struct sync_err *err)
{
	struct pipeline p = {.conf = a->conf, .now = a->now};
	const struct mapdiff_counts *c = &p.counts;
	struct diff_result r;
	struct relay_table relay = {0};
	struct mapcommit_files relay_files;
	struct sync_err limit;
	struct tee rcpt = {render_change, out, NULL};
	struct tee dom = {render_domain_change, out, NULL};
	struct changedigest *digest;
	char hex[CHANGEDIGEST_HEX_LEN + 1];
	int approvable;

	digest = pipeline_digest(a->conf, &rcpt.digest, &dom.digest);
	if (a->conf->relay_domains != NULL)
		render_domains_diff(out);
	if (fetch_compare(&p, tee_change, &rcpt, &relay_files, err) < 0 ||
	    relay_table_load(&relay, a->conf, &p.domains, p.new_set, tee_change,
			     &dom, err) < 0) {
		changedigest_free(digest);
		relay_table_free(&relay);
		pipeline_free(&p);
		return -1;
	}
	(void)relay_table_ours(&relay, &relay_files);
	changedigest_hex(digest, hex);
	fflush(stdout);
	r.recipients = addrset_count(p.new_set);
	r.current = p.old_count;
	r.counts = *c;
	r.pending = p.grace.kept;
	r.map_stale = p.db_stale && p.table_exists;
	r.code = mapdiff_changed(c) || p.db_stale || relay_table_changed(&relay)
			 ? EXIT_DIFF_CHANGES
			 : 0;
	log_info("diff: %zu recipients from the directory, %zu in %s: %zu to "
		 "add, %zu to remove, %zu to change%s",
		 r.recipients, r.current, a->conf->table, c->added, c->removed,
		 c->revalued,
		 r.map_stale ? p.replaced ? "; the table or its map is not "
					    "the file rcptsync published "
					    "last and would be rewritten"
					  : "; the indexed map is missing or "
					    "older than the text and would "
					    "be rebuilt"
			     : "");
	if (relay.conf != NULL)
		log_info(
			"diff: %zu domains for %s: %zu to add, %zu to remove%s",
			addrset_count(relay.want), a->conf->relay_domains,
			relay.counts.added, relay.counts.removed,
			relay.stale ? "; it or its map is missing, older "
				      "than the text or not the file "
				      "rcptsync published last, and would "
				      "be rewritten"
				    : "");
	r.would_refuse = would_refuse(&p, &relay, &limit, &approvable);
	report_digest(digest, hex, r.would_refuse, approvable);
	r.digest = hex;
	render_diff(out, &r);
	changedigest_free(digest);
	relay_table_free(&relay);
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
	render_check(out, &r);
	pipeline_free(&p);
	return r.writable ? 0 : -1;
}

/* catchall_of - the "@domain" entry Postfix would find for KEY, or NULL */
static const struct addrset_entry *
catchall_of(const struct addrset *set, const char *key)
{
	const char *at = strrchr(key, '@');

	return at != NULL && at != key ? addrset_find(set, at) : NULL;
}

/* What published_lookup() looks for in the text table. */
struct text_lookup {
	const char *key, *catchall; /* catchall may be NULL */
	struct explain_answer *found;
	char *catchall_value;
};

/* text_match - maptext_fn: remember the key's value and the catch-all's */
static int
text_match(void *ctx, const char *key, const char *value)
{
	struct text_lookup *l = ctx;

	if (strcmp(key, l->key) == 0 && l->found->key == NULL) {
		l->found->key = xstrdup(key);
		l->found->value = xstrdup(value);
	} else if (l->catchall != NULL && strcmp(key, l->catchall) == 0 &&
		   l->catchall_value == NULL) {
		l->catchall_value = xstrdup(value);
	}
	return 0;
}

/* answer_of - what SET (the map's pairs) answers for KEY, else CATCHALL */
static void
answer_of(const struct addrset *set, const char *key, const char *catchall,
	  struct explain_answer *a)
{
	const struct addrset_entry *e = addrset_find(set, key);

	if (e == NULL && catchall != NULL)
		e = addrset_find(set, catchall);
	if (e != NULL) {
		a->key = xstrdup(e->key);
		a->value = xstrdup(e->value);
	}
}

/*
 * published_lookup - what the table on disk and its map answer for KEY
 * now.  XXX reads both whole (a million keys: a second or two); a
 * lookup by key in each map library would not.
 */
static void
published_lookup(const struct sync_conf *conf, const char *key,
		 struct explain_published *pub)
{
	const char *at = strrchr(key, '@');
	struct text_lookup l = {key, at != NULL && at != key ? at : NULL,
				&pub->in_table, NULL};
	struct addrset *set = addrset_new();
	struct sync_err err = {0};
	int exists, rc;

	pub->table = conf->table;
	if (maptext_each(conf->table, MAPTEXT_ANY_KEY, text_match, &l, &exists,
			 &err) == 0 &&
	    pub->in_table.key == NULL && l.catchall_value != NULL) {
		pub->in_table.key = xstrdup(l.catchall);
		pub->in_table.value = l.catchall_value;
		l.catchall_value = NULL;
	}
	free(l.catchall_value);
	rc = mapread_served(conf->table, conf->type, set, "map", &pub->map,
			    &err);
	addrset_finish(set);
	if (rc > 0)
		answer_of(set, key, l.catchall, &pub->in_map);
	else if (mapdb_suffix(conf->type) == NULL)
		pub->map = NULL; /* type text: no map */
	else
		snprintf(pub->map_error, sizeof(pub->map_error), "%s",
			 rc < 0 ? err.msg : "it is missing");
	addrset_free(set);
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

/* cmd_explain - would ADDRESS be in the map, and why */
int
cmd_explain(const struct cmd_args *a, struct render *out, struct sync_err *err)
{
	struct pipeline p = {.conf = a->conf, .now = a->now};
	struct collect_trace trace;
	struct explain_result r = {.address = a->address};
	struct explain_published pub = {0};
	char key[PROXYADDR_KEY_MAX];
	size_t len = strlen(a->address);
	int rc;

	if (len >= sizeof(key))
		return sync_err_set(err, SYNC_ERR_USAGE,
				    "explain: address too long");
	memcpy(key, a->address, len + 1);
	r.key = ascii_fold(key, len);
	/* An invalid address is still traced: the admin wants to see the
	 * directory value that carries it and why it was refused. */
	if (proxyaddr_check_key(key, len, 1, &r.invalid) == 0)
		r.invalid = NULL;
	render_explain_begin(out, &r);
	trace.address = key;
	trace.fn = render_explain_value;
	trace.ctx = &r.values;
	p.trace = &trace;
	if (fetch_compare(&p, NULL, NULL, NULL, err) < 0) {
		pipeline_free(&p);
		return -1;
	}
	r.found = addrset_find(p.new_set, key);
	r.extra = a->conf->extra;
	r.domains_known =
		a->conf->domains_exchange || a->conf->relay_domains != NULL;
	r.relay_known = a->conf->relay_domains != NULL;
	r.domain = domains_decide(&p.domains, key, &r.domain_inbound);
	r.catchall = r.found == NULL ? catchall_of(p.new_set, key) : NULL;
	render_explain_end(out, &r);
	/* what Postfix answers now, which may not be what the directory
	 * says: the table and its map on disk */
	published_lookup(a->conf, key, &pub);
	pub.replaced = p.replaced;
	render_explain_published(out, &pub);
	published_free(&pub);
	/* r points into the sets: decide before they are freed */
	rc = (r.found != NULL || r.catchall != NULL) && explain_relayed(&r)
		     ? 0
		     : EXIT_DIFF_CHANGES;
	pipeline_free(&p);
	return rc;
}
