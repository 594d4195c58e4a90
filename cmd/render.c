/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	render - the commands' results as text or as one JSON object
 * DESCRIPTION
 *	The one place that knows what "sync", "diff", "check", "status" and
 *	"explain" print.  The text is for people; with --json each command
 *	prints one JSON object whose field names are a documented interface
 *	(rcptsync(8)).  The object is built aside in memory and printed at
 *	the end, so that a command that fails part way prints instead an
 *	object with only "command", "exit" and "error".  Every string that
 *	came from the directory (a DN, a value) is escaped in the text
 *	(proxyaddr_escape) and in JSON (json.c).
 * OWNERSHIP
 *	Borrows the results; owns the JSON buffer and the "diff" lists.
 * DIAGNOSTICS
 *	The error line ("rcptsync: error: ..." and "advice: ...") through
 *	log.c; EX_IOERR when stdout could not take the JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "xalloc.h"
#include "log.h"
#include "domains.h"
#include "grace.h"
#include "json.h"
#include "proxyaddr.h"
#include "pfconf.h"
#include "exitcode.h"
#include "render.h"

/* How "diff" shows the changes of each kind of published table. */
static const struct diff_row {
	const char *prefix;	 /* text: "+PREFIXkey<TAB>DN" */
	const char *removed;	 /* text: "-PREFIXkey<TAB>REMOVED" */
	const char *json_add;	 /* --json: the list of keys added */
	const char *json_remove; /* ... and of keys removed */
	const char *json_key;	 /* the name of an added key */
	int json_value;		 /* its value is shown too */
} diff_rows[PUBTABLE_N] = {
	[PUBTABLE_RECIPIENTS] = {"", "table", "add", "remove", "address", 1},
	[PUBTABLE_DOMAINS] = {"domain ", "relay_domains", "domains_add",
			      "domains_remove", "domain", 0},
};

/* The changes of one table that "diff" covers (--json: gathered). */
struct diff_table {
	struct render *out;
	const struct diff_row *row;
	struct addrset *plus; /* NULL: the diff does not cover it */
	struct addrset *minus;
};

struct render {
	struct json json; /* with --json only */
	int is_json;
	FILE *buf;  /* the object is built here, */
	char *text; /* then printed */
	size_t len;
	struct diff_table diff[PUBTABLE_N]; /* diff: the changes */
};

/* render_open - see render.h */
struct render *
render_open(int json)
{
	struct render *out = xcalloc(1, sizeof(*out));

	if (!json)
		return out;
	out->is_json = 1;
	out->buf = open_memstream(&out->text, &out->len);
	if (out->buf == NULL)
		panic("open_memstream: out of memory");
	json_begin(&out->json, out->buf);
	return out;
}

/* render_is_json - see render.h */
int
render_is_json(const struct render *out)
{
	return out->is_json;
}

/* format_time - UTC, or "never" */
static const char *
format_time(time_t t, char *buf, size_t size)
{
	if (t == 0)
		return "never";
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	return buf;
}

/* json_strings - a list of strings as a JSON array */
static void
json_strings(struct json *j, const char *key, char *const *s, size_t n)
{
	json_open_array(j, key);
	for (size_t i = 0; i < n; i++)
		json_str(j, NULL, s[i]);
	json_close_array(j);
}

/* render_diff_table - see render.h */
void *
render_diff_table(struct render *out, enum pubtable_kind kind)
{
	struct diff_table *d = &out->diff[kind];

	if (d->plus == NULL) {
		d->out = out;
		d->row = &diff_rows[kind];
		d->plus = addrset_new();
		d->minus = addrset_new();
	}
	return d;
}

/* render_table_change - one diff line: "+key<TAB>DN" or "-key<TAB>table" */
void
render_table_change(void *ctx, char op, const struct addrset_entry *e)
{
	struct diff_table *d = ctx;
	char shown[600];

	if (d->out->is_json) {
		addrset_add(op == '+' ? d->plus : d->minus, e->key,
			    strlen(e->key), e->value, e->origin);
		return;
	}
	/* the DN is the directory's: a newline in it must not make a line
	 * of its own (the key is a checked address already) */
	printf("%c%s%s\t%s\n", op, d->row->prefix, e->key,
	       op == '+' ? proxyaddr_escape(e->origin, strlen(e->origin), shown,
					    sizeof(shown))
			 : d->row->removed);
}

/* json_changes - diff --json: the lists of each table the diff covers */
static void
json_changes(struct render *out)
{
	struct json *j = &out->json;

	for (size_t k = 0; k < PUBTABLE_N; k++) {
		struct diff_table *d = &out->diff[k];

		if (d->plus == NULL)
			continue;
		addrset_finish(d->plus);
		addrset_finish(d->minus);
		json_open_array(j, d->row->json_add);
		for (size_t i = 0; i < addrset_count(d->plus); i++) {
			const struct addrset_entry *e = addrset_get(d->plus, i);

			json_open_object(j, NULL);
			json_str(j, d->row->json_key, e->key);
			if (d->row->json_value)
				json_str(j, "value", e->value);
			json_str(j, "origin", e->origin);
			json_close_object(j);
		}
		json_close_array(j);
		json_open_array(j, d->row->json_remove);
		for (size_t i = 0; i < addrset_count(d->minus); i++)
			json_str(j, NULL, addrset_get(d->minus, i)->key);
		json_close_array(j);
	}
}

/* render_diff - the diff lines were printed already; JSON: the totals */
void
render_diff(struct render *out, const struct diff_result *r)
{
	struct json *j = &out->json;

	if (!out->is_json)
		return;
	json_str(j, "command", "diff");
	json_num(j, "exit", r->code);
	json_num(j, "recipients", r->recipients);
	json_num(j, "current", r->current);
	json_num(j, "added", r->counts.added);
	json_num(j, "removed", r->counts.removed);
	json_num(j, "changed", r->counts.revalued);
	json_num(j, "pending_removal", r->pending);
	json_bool(j, "map_stale", r->map_stale);
	json_str(j, "would_refuse", r->would_refuse);
	json_str(j, "digest", r->digest);
	json_changes(out);
}

static void json_graph(struct json *j, const struct graph_stats *g);

/* render_sync - sync prints nothing but its log line; JSON: the result */
void
render_sync(struct render *out, const struct sync_result *r)
{
	struct json *j = &out->json;

	if (!out->is_json)
		return;
	json_str(j, "command", "sync");
	json_num(j, "exit", 0);
	json_str(j, "server", r->server);
	json_num(j, "recipients", r->recipients);
	json_num(j, "added", r->counts.added);
	json_num(j, "removed", r->counts.removed);
	json_num(j, "changed", r->counts.revalued);
	json_num(j, "pending_removal", r->pending);
	json_num(j, "refused_values", r->refused);
	json_graph(j, r->graph);
	json_bool(j, "written", r->written);
	json_bool(j, "trusted", r->trusted);
	json_str(j, "map_type", r->map_type);
	json_str(j, "table", r->table);
	for (size_t k = PUBTABLE_RECIPIENTS + 1; k < PUBTABLE_N; k++) {
		char written[64];

		if (r->tables[k] == NULL)
			continue;
		snprintf(written, sizeof(written), "%s_written",
			 pubtable_rows[k].name);
		json_str(j, pubtable_rows[k].name, r->tables[k]);
		json_bool(j, written, r->tables_written[k]);
	}
	json_strings(j, "verify_purge_owed", r->verify_purge,
		     r->n_verify_purge);
	json_str(j, "metrics_textfile", r->metrics);
	json_bool(j, "metrics_written", r->metrics_written);
	json_str(j, "approved", r->approved);
}

/* json_dns - check --json: the SRV lookups and records (domain:) */
static void
json_dns(struct json *j, const struct source_discovery *d)
{
	if (d->n_lookups == 0)
		return;
	json_open_object(j, "dns");
	json_open_array(j, "lookups");
	for (size_t i = 0; i < d->n_lookups; i++) {
		json_open_object(j, NULL);
		json_str(j, "name", d->lookups[i].name);
		json_str(j, "outcome", d->lookups[i].outcome);
		json_close_object(j);
	}
	json_close_array(j);
	json_open_array(j, "records");
	for (size_t i = 0; i < d->n_srv; i++) {
		json_open_object(j, NULL);
		json_str(j, "name", d->srv[i].name);
		json_num(j, "priority", d->srv[i].priority);
		json_num(j, "weight", d->srv[i].weight);
		json_num(j, "port", d->srv[i].port);
		json_str(j, "target", d->srv[i].target);
		json_close_object(j);
	}
	json_close_array(j);
	json_str(j, "dc_chosen", d->chosen);
	json_num(j, "dc_kept", d->kept);
	json_close_object(j);
}

/* text_dns - check: the SRV lookups, and the records in the order tried */
static void
text_dns(const struct source_discovery *d)
{
	for (size_t i = 0; i < d->n_lookups; i++)
		printf("dns: %s SRV: %s\n", d->lookups[i].name,
		       d->lookups[i].outcome);
	for (size_t i = 0; i < d->n_srv; i++)
		printf("srv: %s priority %u weight %u port %u target %s\n",
		       d->srv[i].name, d->srv[i].priority, d->srv[i].weight,
		       d->srv[i].port, d->srv[i].target);
	if (d->chosen[0] != '\0')
		printf("dc chosen: %s\n", d->chosen);
}

/* json_domains - check --json: "accepted_domains" */
static void
json_domains(struct json *j, const struct check_result *r)
{
	json_str(j, "domains_from", r->domains_from);
	json_open_array(j, "accepted_domains");
	for (size_t i = 0; i < r->domains->n; i++) {
		const struct acceptdom *d = &r->domains->v[i];

		json_open_object(j, NULL);
		json_str(j, "domain", d->name);
		json_bool(j, "subdomains", d->subdomains);
		json_str(j, "type", acceptdom_type_name(d));
		json_bool(j, "default", d->is_default);
		json_bool(j, "inbound", acceptdom_inbound(d));
		json_str(j, "origin", d->origin);
		json_close_object(j);
	}
	json_close_array(j);
}

/* json_graph - check and sync --json: source.graph's collections */
static void
json_graph(struct json *j, const struct graph_stats *g)
{
	if (g == NULL || !g->done)
		return;
	json_open_object(j, "graph");
	json_str(j, "credential", g->credential);
	for (int i = 0; i < GRAPH_COLLECTIONS; i++)
		json_num(j, graph_collection_name(i), (long long)g->count[i]);
	json_num(j, "guests_left_out", (long long)g->guests);
	json_num(j, "throttled_retries", (long long)g->retries);
	json_num(j, "throttled_seconds", (long long)g->waited);
	json_num(j, "requests", (long long)g->requests);
	/* 0 pages: the collection was not read (not in include) */
	json_open_object(j, "pages");
	for (int i = 0; i < GRAPH_COLLECTIONS; i++)
		json_num(j, graph_collection_name(i), (long long)g->pages[i]);
	json_close_object(j);
	json_close_object(j);
}

/* text_graph - check: source.graph's collections */
static void
text_graph(const struct graph_stats *g)
{
	if (!g->done)
		return;
	printf("graph: token by %s; users %lu (%lu guests left out), groups "
	       "%lu, contacts %lu; %lu throttled answers waited out\n",
	       g->credential, g->count[0], g->guests, g->count[1], g->count[2],
	       g->retries);
}

/* json_protection - check --json: what protects the binds (counts) */
static void
json_protection(struct json *j, const struct source_protection *p)
{
	if (p->binds == 0)
		return;
	json_open_object(j, "protection");
	json_num(j, "binds", p->binds);
	json_num(j, "tls", p->tls);
	json_num(j, "sasl_signing", p->signing);
	json_num(j, "sasl_sealing", p->sealing);
	json_num(j, "channel_binding", p->cbinding);
	json_num(j, "channel_binding_unable", p->cb_unable);
	json_str(j, "text", p->text);
	json_close_object(j);
}

/* json_check - check --json */
static void
json_check(struct json *j, const struct check_result *r)
{
	const struct collect_stats *s = r->stats;

	json_str(j, "command", "check");
	json_num(j, "exit", 0);
	json_dns(j, &s->source.dns);
	json_str(j, "server", s->source.server);
	json_num(j, "entries", s->source.entries);
	if (s->source.bound_as[0] != '\0')
		json_str(j, "bind", s->source.bound_as);
	json_protection(j, &s->source.protection);
	if (s->pull[0] != '\0')
		json_str(j, "pull", s->pull);
	json_num(j, "pages", s->source.pages);
	json_num(j, "references_skipped", s->source.references);
	json_num(j, "ranged", s->source.ranged);
	json_num(j, "values", s->source.values);
	json_num(j, "kept", s->kept);
	json_num(j, "not_smtp", s->ignored);
	json_num(j, "refused", s->refused);
	json_num(j, "other_domains", s->other_domain);
	json_num(j, "excluded", s->excluded);
	json_num(j, "extra", s->extra);
	json_num(j, "duplicates", s->duplicates);
	json_num(j, "recipients", r->recipients);
	json_graph(j, &s->graph);
	json_bool(j, "table_dir_writable", r->writable);
	json_domains(j, r);
	json_str(j, "metrics_textfile", r->metrics);
	if (r->metrics != NULL)
		json_bool(j, "metrics_dir_writable", r->metrics_writable);
}

/* text_domains - check: the accepted domains and what each gives */
static void
text_domains(const struct check_result *r)
{
	char shown[600];

	if (r->domains->n == 0)
		return;
	printf("accepted domains (%s): %zu\n", r->domains_from, r->domains->n);
	for (size_t i = 0; i < r->domains->n; i++) {
		const struct acceptdom *d = &r->domains->v[i];

		printf("  %s%s: %s%s; %s (%s)\n", d->subdomains ? "*." : "",
		       d->name, acceptdom_type_name(d),
		       d->is_default ? ", default" : "",
		       domains_gives(r->domains, d),
		       proxyaddr_escape(d->origin, strlen(d->origin), shown,
					sizeof(shown)));
	}
}

/* render_check - what the source saw, and whether we could write */
void
render_check(struct render *out, const struct check_result *r)
{
	const struct collect_stats *s = r->stats;

	if (out->is_json) {
		json_check(&out->json, r);
		return;
	}
	text_dns(&s->source.dns);
	printf("source: %s\n", s->source.server);
	if (s->source.bound_as[0] != '\0')
		printf("bind: %s\n", s->source.bound_as);
	if (s->source.protection.binds > 0)
		printf("protection: %s\n", s->source.protection.text);
	if (s->pull[0] != '\0')
		printf("pull: %s\n", s->pull);
	printf("entries: %lu (pages %lu, references skipped %lu, ranged %lu)\n",
	       s->source.entries, s->source.pages, s->source.references,
	       s->source.ranged);
	printf("values: %lu (kept %lu, not smtp %lu, refused %lu, other "
	       "domains %lu, excluded %lu)\n",
	       s->source.values, s->kept, s->ignored, s->refused,
	       s->other_domain, s->excluded);
	printf("recipients: %zu (extra %lu, duplicates %lu)\n", r->recipients,
	       s->extra, s->duplicates);
	text_graph(&s->graph);
	text_domains(r);
	if (r->metrics != NULL)
		printf("metrics: %s (written by sync)%s\n", r->metrics,
		       r->metrics_writable ? ""
					   : ", its directory not writable");
}

/* json_status - status --json */
static void
json_status(struct json *j, const struct status_result *r)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL",
					    "UNKNOWN"};
	const struct sync_state *st = r->state;

	json_str(j, "command", "status");
	json_num(j, "exit", r->code);
	json_str(j, "status", names[r->code]);
	json_str(j, "state_file", r->state_file);
	if (r->reason == STATUS_NO_STATE)
		return;
	json_time(j, "last_run", st->last_run);
	json_num(j, "last_exit", st->last_exit);
	json_time(j, "last_success", st->last_success);
	if (st->last_success != 0)
		json_num(j, "age_seconds",
			 (long long)(r->now - st->last_success));
	json_str(j, "server", st->server[0] ? st->server : NULL);
	json_num(j, "recipients", st->recipients);
	json_num(j, "added", st->added);
	json_num(j, "removed", st->removed);
	json_num(j, "pending_removal", st->pending_count);
	json_bool(j, "written", st->written);
	json_str(j, "message", st->message[0] ? st->message : NULL);
	json_strings(j, "verify_purge_owed", st->verify_purge,
		     st->n_verify_purge);
	if (st->hook_owed != 0)
		json_time(j, "hook_owed_since", st->hook_owed);
	json_str(j, "not_published_by_rcptsync", r->not_ours);
}

/* status_verdict_line - the last line of the text: why this code */
static void
status_verdict_line(const struct status_result *r)
{
	const struct sync_state *st = r->state;
	char t[32];

	switch (r->reason) {
	case STATUS_NO_STATE:
		break; /* the whole text is one line, printed by the caller */
	case STATUS_FAILED:
		printf("CRITICAL: the last run failed (exit %d): %s\n",
		       st->last_exit, st->message);
		break;
	case STATUS_TOO_OLD:
		printf("CRITICAL: no successful sync for more than %ld s\n",
		       r->max_age);
		break;
	case STATUS_NOT_OURS:
		printf("WARNING: %s or its map is not the file rcptsync "
		       "published last (a backup restored, an edit or a "
		       "postmap by hand, an interrupted run); the next sync "
		       "rewrites both\n",
		       r->not_ours);
		break;
	case STATUS_HOOK_OWED:
		printf("WARNING: the map is written, but the after_change hook "
		       "has failed since %s and is retried every run: %s\n",
		       format_time(st->hook_owed, t, sizeof(t)), st->message);
		break;
	case STATUS_VERIFY_OWED:
		printf("WARNING: the verify cache still holds stale negative "
		       "entries for %zu added address%s (Postfix held the "
		       "lock; retried every run):",
		       st->n_verify_purge, st->n_verify_purge == 1 ? "" : "es");
		for (size_t i = 0; i < st->n_verify_purge; i++)
			printf(" %s", st->verify_purge[i]);
		printf("\n");
		break;
	case STATUS_OK: printf("OK\n"); break;
	}
}

/* render_status - the state file's last run, then the verdict */
void
render_status(struct render *out, const struct status_result *r)
{
	const struct sync_state *st = r->state;
	char t1[32], t2[32];

	if (out->is_json) {
		json_status(&out->json, r);
		return;
	}
	if (r->reason == STATUS_NO_STATE) {
		printf("UNKNOWN: no sync has run yet (no state file %s)\n",
		       r->state_file);
		return;
	}
	printf("last run: %s (exit %d)\nlast success: %s\nserver: %s\n",
	       format_time(st->last_run, t1, sizeof(t1)), st->last_exit,
	       format_time(st->last_success, t2, sizeof(t2)),
	       st->server[0] ? st->server : "-");
	printf("recipients: %zu (added %zu, removed %zu, pending removal "
	       "%zu, map %s)\n",
	       st->recipients, st->added, st->removed, st->pending_count,
	       st->written ? "written" : "unchanged");
	status_verdict_line(r);
}

/* render_explain_value - one directory value that bears on the address */
void
render_explain_value(void *ctx, const char *dn, const char *val, size_t len,
		     const char *verdict)
{
	char shown_dn[300], shown_val[300];
	int *count = ctx;

	(*count)++;
	printf("  %s\n    value \"%s\": %s\n",
	       proxyaddr_escape(dn, strlen(dn), shown_dn, sizeof(shown_dn)),
	       proxyaddr_escape(val, len, shown_val, sizeof(shown_val)),
	       verdict);
}

/* shown - S escaped for a line of output; the caller frees it */
static char *
shown(const char *s)
{
	size_t size = 4 * strlen(s) + 8;

	return proxyaddr_escape(s, strlen(s), xmalloc(size), size);
}

/* render_explain_begin - see render.h */
void
render_explain_begin(struct render *out, const struct explain_result *r,
		     const struct pfconf *pc, int one)
{
	char *arg, *addr;
	const char *why = NULL;
	char check[PROXYADDR_KEY_MAX];

	if (out->is_json)
		return;
	printf("Postfix settings (%s%s): recipient_delimiter = %s, "
	       "parent_domain_matches_subdomains %s relay_domains, "
	       "allow_untrusted_routing = %s, allow_min_user = %s; an "
	       "unauthorised destination gets %d (%s)\n",
	       pc->dir ? "postconf -c " : "Postfix's defaults, no main.cf",
	       pc->dir ? pc->dir : "", pc->recipient_delimiter,
	       pc->parent_relay ? "includes" : "leaves out",
	       pc->allow_untrusted_routing ? "yes" : "no",
	       pc->addr.allow_min_user ? "yes" : "no", pc->relay_code,
	       pc->relay_rule);
	if (!one || r->key == NULL)
		return;
	arg = shown(r->address);
	addr = shown(r->parsed.addr);
	printf("%s, as Postfix looks it up (lower case):\n", r->key);
	if (strcmp(arg, addr) != 0)
		printf("  smtpd reads %s as %s\n", arg, addr);
	if (strlen(r->key) < sizeof(check)) {
		strcpy(check, r->key);
		if (proxyaddr_check_key(check, strlen(check), 1, &why) < 0)
			printf("  note: no directory value gives such a key: "
			       "it %s\n",
			       why);
	}
	free(arg);
	free(addr);
}

static void explain_domain(const struct explain_result *r);

/* explain_answer_line - "  WHERE: KEY VALUE" or "  WHERE: not there" */
static void
explain_answer_line(const char *what, const char *path,
		    const struct explain_answer *a)
{
	char shown_path[600], shown_key[300], shown_val[300];

	proxyaddr_escape(path, strlen(path), shown_path, sizeof(shown_path));
	if (a->key == NULL) {
		printf("  %s %s: not there\n", what, shown_path);
		return;
	}
	printf("  %s %s: %s %s\n", what, shown_path,
	       proxyaddr_escape(a->key, strlen(a->key), shown_key,
				sizeof(shown_key)),
	       proxyaddr_escape(a->value, strlen(a->value), shown_val,
				sizeof(shown_val)));
}

/* same_answer - both absent, or the same key and value */
static int
same_answer(const struct explain_answer *a, const struct explain_answer *b)
{
	if (a->key == NULL || b->key == NULL)
		return a->key == b->key;
	return strcmp(a->key, b->key) == 0 && strcmp(a->value, b->value) == 0;
}

/* render_explain_published - see render.h */
void
render_explain_published(struct render *out, const struct explain_published *p)
{
	char shown[600];

	(void)out;
	explain_answer_line("published now in", p->table, &p->in_table);
	if (p->map != NULL && p->map_error[0] != '\0')
		printf("  its map %s cannot be read: %s\n",
		       proxyaddr_escape(p->map, strlen(p->map), shown,
					sizeof(shown)),
		       p->map_error);
	else if (p->map != NULL) {
		explain_answer_line("and in its map", p->map, &p->in_map);
		if (!same_answer(&p->in_table, &p->in_map))
			printf("  the map disagrees with the table: Postfix "
			       "answers from the map; the next sync rewrites "
			       "both\n");
	}
	if (p->replaced)
		printf("  the table or its map is not the file rcptsync "
		       "published last (a backup restored, an edit or a "
		       "postmap by hand, an interrupted run): the next sync "
		       "rewrites both\n");
}

/* explain_why - the verdict's reason after the code */
static void
explain_why(const struct explain_result *r, const struct pfconf *pc)
{
	const struct addrset_entry *e = r->matched;
	const char *text;

	(void)smtpaddr_reply(r->parsed.code, &text);
	if (r->parsed.code == SMTPADDR_POSTMASTER)
		printf("ACCEPTED (250: %s, whatever the tables say)",
		       r->parsed.why);
	else if (r->parsed.code != SMTPADDR_OK)
		printf("REJECTED (%d %s: %s)", r->code, text, r->parsed.why);
	else if (r->routed)
		printf("REJECTED (%d %s Relay access denied by %s: '%%', '!' "
		       "or '@' in the local part routes mail onwards, and "
		       "allow_untrusted_routing = no)",
		       pc->relay_code,
		       pc->relay_code == 554 ? "5.7.1" : "4.7.1",
		       pc->relay_rule);
	else if (r->local)
		printf("NOT DECIDED BY RCPTSYNC (its domain is local to the "
		       "gateway: mydestination or its own address; "
		       "local_recipient_maps decide, not rcptsync's tables)");
	else if (!r->domain_relayed)
		printf("REJECTED (its domain is not accepted: %d %s Relay "
		       "access denied by %s, relay_domains being rcptsync's "
		       "table%s)",
		       pc->relay_code,
		       pc->relay_code == 554 ? "5.7.1" : "4.7.1",
		       pc->relay_rule,
		       pc->parent_relay
			       ? ", subdomains of its domains included "
				 "(parent_domain_matches_subdomains)"
			       : "");
	else if (e != NULL && e->key[0] == '@')
		printf("ACCEPTED (in the map as %s): 250", e->key);
	else if (e != NULL && r->via_delimiter)
		printf("ACCEPTED (in the map as %s, without its extension: "
		       "recipient_delimiter = %s): 250",
		       e->key, pc->recipient_delimiter);
	else if (e != NULL)
		printf("ACCEPTED (in the map): 250");
	else
		printf("REJECTED (550 5.1.1 User unknown in relay recipient "
		       "table)");
}

/* explain_notes - with one address: where its entry comes from */
static void
explain_notes(const struct explain_result *r)
{
	const struct addrset_entry *e = r->matched;

	if (r->values == 0)
		printf("  no directory value carries this address\n");
	if (e != NULL && strcmp(e->origin, GRACE_ORIGIN) == 0)
		printf("  gone from the directory, but kept: pending removal "
		       "(safety.removal_grace)\n");
	else if (e != NULL && r->extra != NULL &&
		 strcmp(e->origin, r->extra) == 0)
		printf("  listed in the extra file %s\n", r->extra);
	explain_domain(r);
	if (!r->relay_known && r->parsed.code == SMTPADDR_OK)
		printf("  note: rcptsync does not write relay_domains "
		       "(output.relay_domains): its domain is taken as "
		       "relayed\n");
}

/* json_explain - explain --json */
static void
json_explain(struct json *j, const struct explain_result *r, size_t n,
	     const struct pfconf *pc, int rc)
{
	json_str(j, "command", "explain");
	json_num(j, "exit", rc);
	json_str(j, "postfix_config", pc->dir);
	json_open_array(j, "addresses");
	for (size_t i = 0; i < n; i++) {
		json_open_object(j, NULL);
		json_str(j, "address", r[i].address);
		json_str(j, "resolved", r[i].parsed.addr);
		json_num(j, "code", r[i].code);
		json_bool(j, "accepted", r[i].code == 250);
		json_str(j, "matched", r[i].matched ? r[i].matched->key : NULL);
		json_close_object(j);
	}
	json_close_array(j);
}

/* render_explain_end - see render.h */
void
render_explain_end(struct render *out, const struct explain_result *r, size_t n,
		   const struct pfconf *pc, int one, int rc)
{
	char *arg;

	if (out->is_json) {
		json_explain(&out->json, r, n, pc, rc);
		return;
	}
	if (one && r->key != NULL)
		explain_notes(r);
	for (size_t i = 0; i < n; i++) {
		arg = shown(r[i].key ? r[i].key : r[i].address);
		printf("%s: ", arg);
		explain_why(&r[i], pc);
		printf("\n");
		free(arg);
	}
}

/* explain_domain - which accepted domain decides, and what it gives */
static void
explain_domain(const struct explain_result *r)
{
	const struct acceptdom *d = r->domain;
	const char *at = strrchr(r->key, '@');
	char shown[600];

	if (!r->domains_known || at == NULL)
		return;
	if (d == NULL) {
		printf("  domain %s: not an accepted domain\n", at + 1);
		return;
	}
	printf("  domain %s: accepted domain %s%s, %s%s (%s)\n", at + 1,
	       d->subdomains ? "*." : "", d->name, acceptdom_type_name(d),
	       d->is_default ? ", default" : "",
	       proxyaddr_escape(d->origin, strlen(d->origin), shown,
				sizeof(shown)));
	if (acceptdom_is_relay(d))
		printf("  a relay domain: every recipient is accepted "
		       "(@%s) and relayed on by Exchange\n",
		       d->name);
}

/* json_error - the object a failed command prints instead */
static void
json_error(struct json *j, const char *command, int code,
	   const struct sync_err *err)
{
	json_begin(j, stdout);
	json_str(j, "command", command);
	json_num(j, "exit", code);
	json_open_object(j, "error");
	json_str(j, "kind", exitcode_kind_name(err->kind));
	json_str(j, "message", err->msg);
	if (err->hint != NULL)
		json_str(j, "advice", err->hint);
	json_close_object(j);
	json_end(j);
}

/* render_close - see render.h */
int
render_close(struct render *out, const char *command, int rc,
	     const struct sync_err *err)
{
	int code = rc;

	if (rc < 0) {
		log_error("%s", err->msg);
		if (err->hint != NULL)
			log_advice("%s", err->hint);
		code = exitcode_of(err->kind);
	}
	if (out->is_json) {
		json_end(&out->json);
		fclose(out->buf);
		if (rc >= 0)
			fwrite(out->text, 1, out->len, stdout);
		else /* what the failed command had written is dropped */
			json_error(&out->json, command, code, err);
		free(out->text);
		if (fflush(stdout) != 0 && code == 0)
			code = EX_IOERR;
	}
	for (size_t k = 0; k < PUBTABLE_N; k++) {
		addrset_free(out->diff[k].plus);
		addrset_free(out->diff[k].minus);
	}
	free(out);
	return code;
}
