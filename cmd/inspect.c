/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	inspect - the read-only commands: diff, dump, check, explain
 * DESCRIPTION
 *	Moved from main.c unchanged (see the next commits).
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ascii.h"
#include "xalloc.h"
#include "addrset.h"
#include "lock.h"
#include "mapcommit.h"
#include "mapread.h"
#include "mapdb.h"
#include "mapdiff.h"
#include "maptext.h"
#include "safety.h"
#include "grace.h"
#include "state.h"
#include "proxyaddr.h"
#include "clock.h"
#include "collect.h"
#include "config.h"
#include "hook.h"
#include "log.h"
#include "json.h"
#include "repair.h"
#include "run.h"

/* print_change - one diff line: "+key<TAB>DN" or "-key<TAB>table" */
static void
print_change(void *ctx, char op, const struct addrset_entry *e)
{
	struct run *r = ctx;
	char shown[600];

	/* the DN is the directory's: a newline in it must not make a line
	 * of its own (the key is a checked address already) */
	if (r->json != NULL)
		addrset_add(op == '+' ? r->diff_plus : r->diff_minus, e->key,
			    strlen(e->key), e->value, e->origin);
	else
		printf("%c%s\t%s\n", op, e->key,
		       op == '+'
			       ? proxyaddr_escape(e->origin, strlen(e->origin),
						  shown, sizeof(shown))
			       : "table");
}

/* json_changes - diff --json: "add" and "remove" lists */
static void
json_changes(struct run *r)
{
	struct json *j = r->json;

	addrset_finish(r->diff_plus);
	addrset_finish(r->diff_minus);
	json_open_array(j, "add");
	for (size_t i = 0; i < addrset_count(r->diff_plus); i++) {
		const struct addrset_entry *e = addrset_get(r->diff_plus, i);

		json_open_object(j, NULL);
		json_str(j, "address", e->key);
		json_str(j, "value", e->value);
		json_str(j, "origin", e->origin);
		json_close_object(j);
	}
	json_close_array(j);
	json_open_array(j, "remove");
	for (size_t i = 0; i < addrset_count(r->diff_minus); i++)
		json_str(j, NULL, addrset_get(r->diff_minus, i)->key);
	json_close_array(j);
}

/* cmd_diff - the dry run */
int
cmd_diff(struct run *r, struct sync_err *err)
{
	const struct mapdiff_counts *c = &r->counts;
	struct sync_err limit;
	const char *refuse = NULL;
	int changed;

	if (r->json != NULL) {
		r->diff_plus = addrset_new();
		r->diff_minus = addrset_new();
	}
	if (fetch(r, err) < 0 || compare(r, print_change, r, err) < 0)
		return -1;
	fflush(stdout);
	changed = mapdiff_changed(c) || r->db_stale;
	log_info("diff: %zu recipients from the directory, %zu in %s: %zu to "
		 "add, %zu to remove, %zu to change%s",
		 addrset_count(r->new_set), r->old_count, r->conf->table,
		 c->added, c->removed, c->revalued,
		 r->db_stale && r->table_exists
			 ? "; the indexed map is missing or older than the "
			   "text and would be rebuilt"
			 : "");
	if (mapdiff_changed(c) &&
	    safety_check(&r->conf->safety, r->table_exists, r->old_count,
			 addrset_count(r->new_set), c->removed, &limit) < 0) {
		log_warn("sync would refuse: %s", limit.msg);
		refuse = limit.msg;
	}
	if (refuse == NULL && canaries(r, &limit) < 0) {
		log_warn("sync would refuse: %s", limit.msg);
		refuse = limit.msg;
	}
	if (r->json != NULL) {
		json_str(r->json, "command", "diff");
		json_num(r->json, "exit", changed ? EXIT_DIFF_CHANGES : 0);
		json_num(r->json, "recipients", addrset_count(r->new_set));
		json_num(r->json, "current", r->old_count);
		json_num(r->json, "added", c->added);
		json_num(r->json, "removed", c->removed);
		json_num(r->json, "changed", c->revalued);
		json_num(r->json, "pending_removal", r->grace.kept);
		json_bool(r->json, "map_stale", r->db_stale && r->table_exists);
		json_str(r->json, "would_refuse", refuse);
		json_changes(r);
	}
	return changed ? EXIT_DIFF_CHANGES : 0;
}

/* cmd_dump - the normalised table on stdout */
int
cmd_dump(struct run *r, struct sync_err *err)
{
	size_t n;

	if (fetch(r, err) < 0)
		return -1;
	n = addrset_count(r->new_set);
	for (size_t i = 0; i < n; i++) {
		const struct addrset_entry *e = addrset_get(r->new_set, i);

		printf("%s\t%s\n", e->key, e->value);
	}
	if (fflush(stdout) != 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "writing stdout");
	return 0;
}

/* json_check - check --json */
static void
json_check(struct run *r, int writable)
{
	const struct collect_stats *s = &r->stats;
	struct json *j = r->json;

	json_str(j, "command", "check");
	json_num(j, "exit", 0);
	json_str(j, "server", s->source.server);
	json_num(j, "entries", s->source.entries);
	if (s->source.bound_as[0] != '\0')
		json_str(j, "bind", s->source.bound_as);
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
	json_num(j, "recipients", addrset_count(r->new_set));
	json_bool(j, "table_dir_writable", writable);
}

/* cmd_check - config, connection, bind, counts; and can we write? */
int
cmd_check(struct run *r, struct sync_err *err)
{
	const struct collect_stats *s = &r->stats;
	char *copy;
	int writable;

	if (fetch(r, err) < 0)
		return -1;
	copy = xstrdup(r->conf->table);
	writable = access(dirname(copy), W_OK) == 0;
	if (!writable)
		sync_err_set(err, SYNC_ERR_OUTPUT,
			     "cannot write to the table's directory %s", copy);
	free(copy);
	if (r->json != NULL) {
		json_check(r, writable);
		return writable ? 0 : -1;
	}
	printf("source: %s\n", s->source.server);
	if (s->source.bound_as[0] != '\0')
		printf("bind: %s\n", s->source.bound_as);
	if (s->pull[0] != '\0')
		printf("pull: %s\n", s->pull);
	printf("entries: %lu (pages %lu, references skipped %lu, ranged %lu)\n",
	       s->source.entries, s->source.pages, s->source.references,
	       s->source.ranged);
	printf("values: %lu (kept %lu, not smtp %lu, refused %lu, other "
	       "domains %lu, excluded %lu)\n",
	       s->source.values, s->kept, s->ignored, s->refused,
	       s->other_domain, s->excluded);
	printf("recipients: %zu (extra %lu, duplicates %lu)\n",
	       addrset_count(r->new_set), s->extra, s->duplicates);
	return writable ? 0 : -1;
}

/* explain_value - one directory value that bears on the address */
static void
explain_value(void *ctx, const char *dn, const char *val, size_t len,
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

/* cmd_explain - would ADDRESS be in the map, and why */
int
cmd_explain(struct run *r, const char *address, struct sync_err *err)
{
	char key[PROXYADDR_KEY_MAX];
	const struct addrset_entry *e;
	struct collect_trace trace;
	const char *why;
	int values = 0;
	size_t len = strlen(address);

	if (len >= sizeof(key))
		return sync_err_set(err, SYNC_ERR_USAGE,
				    "explain: address too long");
	memcpy(key, address, len + 1);
	ascii_fold(key, len);
	/* An invalid address is still traced: the admin wants to see the
	 * directory value that carries it and why it was refused. */
	if (proxyaddr_check_key(key, len, 1, &why) < 0)
		printf("%s: not a valid address: it %s\n", address, why);
	trace.address = key;
	trace.fn = explain_value;
	trace.ctx = &values;
	r->trace = &trace;
	printf("%s, as Postfix looks it up (lower case):\n", key);
	if (fetch(r, err) < 0 || compare(r, NULL, NULL, err) < 0)
		return -1;
	if (values == 0)
		printf("  no directory value carries this address\n");
	e = addrset_find(r->new_set, key);
	if (e != NULL && strcmp(e->origin, "pending removal") == 0)
		printf("  gone from the directory, but kept: pending removal "
		       "(safety.removal_grace)\n");
	else if (e != NULL && r->conf->extra != NULL &&
		 strcmp(e->origin, r->conf->extra) == 0)
		printf("  listed in the extra file %s\n", r->conf->extra);
	if (e == NULL && strchr(key, '+') != NULL)
		printf("  note: with recipient_delimiter = +, Postfix also "
		       "tries the address without its +extension\n");
	printf("%s: %s\n", key,
	       e != NULL ? "ACCEPTED (in the map)"
			 : "REJECTED (550 5.1.1 User unknown in relay "
			   "recipient table)");
	return e != NULL ? 0 : EXIT_DIFF_CHANGES;
}
