/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	rcptsync - keep Postfix's relay_recipients in step with Active
 *	Directory
 * SYNOPSIS
 *	rcptsync [-c FILE] [-v | -q] [--json] sync|diff|dump|check [--force]
 *	rcptsync [-c FILE] [--json] status [--max-age DURATION]
 *	rcptsync [-c FILE] explain ADDRESS
 * DESCRIPTION
 *	This file parses the command line, runs one command and maps the
 *	kind of any error to the documented sysexits code; the work itself
 *	is in ldapsync/ and mapwriter/.  The command line and exit codes
 *	are an interface admins' scripts depend on (README).
 * DIAGNOSTICS
 *	One "rcptsync: error: ..." line on stderr, and the exit code:
 *	64 usage, 65 data refused, 69 no directory server, 73 cannot write,
 *	75 temporary, 77 bind or secret refused, 78 configuration.
 *	"status" follows the monitoring-plugin convention instead: 0 OK,
 *	1 WARNING (verify-cache purge or hook still owed), 2 CRITICAL (last run
 *	failed, or last success too old), 3 UNKNOWN.
 */
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
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

#ifndef RCPTSYNC_VERSION
#define RCPTSYNC_VERSION "unknown"
#endif

#define EXIT_DIFF_CHANGES 1
#define EXIT_STATUS_WARNING 1
#define EXIT_STATUS_CRITICAL 2
#define EXIT_STATUS_UNKNOWN 3

enum command {
	CMD_SYNC,
	CMD_DIFF,
	CMD_DUMP,
	CMD_CHECK,
	CMD_STATUS,
	CMD_EXPLAIN
};

struct options {
	const char *config;
	int level;
	int force;
	long max_age;	     /* status --max-age, seconds; 0: none */
	int json;	     /* --json */
	const char *address; /* explain */
	enum command cmd;
};

/* The recipient sets of one run: new from the directory, old from disk. */
struct run {
	const struct sync_conf *conf;
	struct addrset *new_set;
	struct addrset *old_set; /* freed by sync once compared */
	size_t old_count;	 /* its size */
	int compared;		 /* compare() read the table and state */
	struct collect_stats stats;
	int table_exists;
	int db_stale;
	struct mapdiff_counts counts;
	struct sync_state state;
	struct grace_counts grace;
	time_t now;
	const struct collect_trace *trace; /* explain only */
	struct addrset *added;		   /* sync with verify_cache only */
	int published;			   /* map replaced in this run */
	int hook_failed;		   /* the after_change hook failed */
	int keep_cache;			   /* sync: caches are owed */
	struct incremental_commit *commit; /* the caches owed, saved with
					      an accepted table */
	struct json *json;		   /* --json: the object, else NULL */
	FILE *json_buf;			   /* it is built here, then printed */
	char *json_text;
	size_t json_len;
	struct addrset *diff_plus; /* diff --json: the changes */
	struct addrset *diff_minus;
};

static const char usage_text[] =
	"usage: rcptsync [-c FILE] [-v | -q] COMMAND [--force]\n"
	"  sync    fetch, and if the recipient set changed, atomically "
	"rewrite table + map;\n"
	"          run the after-change hook\n"
	"  diff    dry run: print what sync would change (exit 1 if "
	"anything); writes nothing\n"
	"  dump    print the normalised table (key<TAB>value) to stdout; "
	"writes nothing\n"
	"  check   validate the config, connect and bind, report counts; "
	"writes nothing\n"
	"  status  report the last sync from the state file (exit 0 OK, "
	"1 WARNING,\n"
	"          2 CRITICAL, 3 UNKNOWN); --max-age DURATION: CRITICAL if "
	"the last\n          success is older\n"
	"  explain ADDRESS  would ADDRESS be accepted, and why (exit 0 yes, "
	"1 no)\n"
	"options:\n"
	"  -c, --config FILE  configuration (default " CONFIG_DEFAULT_PATH ")\n"
	"  -v, --verbose      more detail on stderr\n"
	"  -q, --quiet        only warnings and errors\n"
	"  --force            sync: pass the safety limits for this run\n"
	"  --max-age DURATION status: e.g. 2h, 30m, 1d\n"
	"  --json             sync, diff, check, status: one JSON object on "
	"stdout\n"
	"  --help, --version\n";

/* exit_code - the documented code for an error kind */
static int
exit_code(int kind)
{
	switch (kind) {
	case SYNC_ERR_USAGE: return EX_USAGE;
	case SYNC_ERR_DATA: return EX_DATAERR;
	case SYNC_ERR_UNAVAILABLE: return EX_UNAVAILABLE;
	case SYNC_ERR_OUTPUT: return EX_CANTCREAT;
	case SYNC_ERR_TEMP: return EX_TEMPFAIL;
	case SYNC_ERR_AUTH: return EX_NOPERM;
	case SYNC_ERR_CONFIG: return EX_CONFIG;
	default: return EX_SOFTWARE;
	}
}

/* fail - report ERR and give its exit code */
static int
fail(const struct sync_err *err)
{
	log_error("%s", err->msg);
	if (err->hint != NULL)
		log_advice("%s", err->hint);
	return exit_code(err->kind);
}

/* usage_error - a bad command line */
static int
usage_error(const char *what)
{
	fprintf(stderr, "rcptsync: %s\n%s", what, usage_text);
	return EX_USAGE;
}

/* print_version - version and the map types built in */
static void
print_version(void)
{
	printf("rcptsync %s\nmap types:", RCPTSYNC_VERSION);
	for (int t = MAPDB_HASH; t <= MAPDB_CDB; t++)
		if (mapdb_available(t))
			printf(" %s", mapdb_type_name(t));
	printf("\n");
#ifdef RCPTSYNC_FAULT_INJECTION
	printf("fault injection: on (test build)\n");
#endif
}

/* parse_command - the word after the options */
static int
parse_command(const char *word, enum command *cmd)
{
	static const char *const names[] = {"sync",  "diff",   "dump",
					    "check", "status", "explain"};

	for (int i = 0; i < 6; i++)
		if (strcmp(word, names[i]) == 0) {
			*cmd = (enum command)i;
			return 0;
		}
	return -1;
}

/* parse_args - returns -1 to go on, or an exit code to stop with */
static int
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"max-age", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	int ch, verbose = 0, quiet = 0;

	o->config = CONFIG_DEFAULT_PATH;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:vq", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'v': verbose = 1; break;
		case 'q': quiet = 1; break;
		case 'f': o->force = 1; break;
		case 'j': o->json = 1; break;
		case 'm':
			if (config_parse_duration(optarg, &o->max_age) < 0 ||
			    o->max_age == 0)
				return usage_error("--max-age takes a duration "
						   "such as 2h");
			break;
		case 'h': fputs(usage_text, stdout); return EX_OK;
		case 'V': print_version(); return EX_OK;
		case ':': return usage_error("an option needs a value");
		default: return usage_error("unknown option");
		}
	}
	if (verbose && quiet)
		return usage_error("-v and -q exclude each other");
	o->level = verbose ? LOG_LEVEL_VERBOSE
		   : quiet ? LOG_LEVEL_QUIET
			   : LOG_LEVEL_NORMAL;
	if (optind == argc)
		return usage_error("no command given");
	if (parse_command(argv[optind], &o->cmd) < 0)
		return usage_error("unknown command");
	if (o->cmd == CMD_EXPLAIN && optind + 2 == argc)
		o->address = argv[optind + 1];
	else if (o->cmd == CMD_EXPLAIN)
		return usage_error("explain takes one ADDRESS");
	else if (optind != argc - 1)
		return usage_error("one command only");
	if (o->force && o->cmd != CMD_SYNC)
		return usage_error("--force goes with sync only");
	if (o->json && (o->cmd == CMD_DUMP || o->cmd == CMD_EXPLAIN))
		return usage_error("--json goes with sync, diff, check and "
				   "status");
	if (o->max_age && o->cmd != CMD_STATUS)
		return usage_error("--max-age goes with status only");
	return -1;
}

/* fetch - the new set, with a debug line of what the source saw */
static int
fetch(struct run *r, struct sync_err *err)
{
	const struct collect_stats *s = &r->stats;

	for (size_t i = 0;
	     r->conf->source == CONFIG_SOURCE_LDAP && i < r->conf->n_ldap; i++)
		if (!r->conf->ldap[i].verify)
			log_warn("tls.verify is false for %s: the directory "
				 "server's certificate is not checked",
				 r->conf->ldap[i].uris[0]);
	r->new_set = collect_recipients(r->conf, r->trace,
					r->keep_cache ? &r->commit : NULL,
					&r->stats, err);
	if (r->new_set == NULL)
		return -1;
	log_debug("fetched from %s: %lu entries, %lu values, %lu pages, "
		  "%lu references skipped, %lu ranged",
		  s->source.server, s->source.entries, s->source.values,
		  s->source.pages, s->source.references, s->source.ranged);
	log_debug("kept %lu, ignored %lu non-SMTP, refused %lu, %lu outside "
		  "domains, %lu excluded, %lu from extra, %lu duplicates",
		  s->kept, s->ignored, s->refused, s->other_domain, s->excluded,
		  s->extra, s->duplicates);
	return 0;
}

/* report_pending - one log line per address in its grace period */
static void
report_pending(void *ctx, const struct state_pending *p, time_t until)
{
	char since[32], end[32];

	(void)ctx;
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", gmtime(&p->since));
	if (until > 0) {
		strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%SZ",
			 gmtime(&until));
		log_info("pending removal: %s (missing since %s, kept until "
			 "%s)",
			 p->key, since, end);
	} else {
		log_info("pending removal: %s (missing since %s, in %lu "
			 "run%s)",
			 p->key, since, p->runs, p->runs == 1 ? "" : "s");
	}
}

/*
 * served_map - the text table is gone but its map is there: Postfix
 * serves the map, so the change (and the removal limit) is judged against
 * its keys, not against nothing
 */
static void
served_map(struct run *r)
{
	const char *suffix = mapdb_suffix(r->conf->type);
	struct sync_err err = {0};
	struct stat st;
	char *path;
	size_t len;

	if (r->table_exists || suffix == NULL)
		return;
	len = strlen(r->conf->table) + strlen(suffix) + 1;
	path = xmalloc(len);
	snprintf(path, len, "%s%s", r->conf->table, suffix);
	if (stat(path, &st) == 0) {
		if (mapread_keys(path, r->conf->type, r->old_set, "table",
				 &err) == 0) {
			r->table_exists = 1;
			log_warn("%s is missing, but %s is there: comparing "
				 "with what Postfix serves from it",
				 r->conf->table, path);
		} else {
			log_warn("%s is missing, and %s cannot be read (%s): "
				 "comparing with an empty table",
				 r->conf->table, path, err.msg);
		}
	}
	free(path);
}

/* compare - current table, grace period, then the diff against it */
static int
compare(struct run *r, mapdiff_fn fn, void *ctx, struct sync_err *err)
{
	int exists;

	r->old_set = addrset_new();
	if (maptext_read(r->conf->table, MAPTEXT_ANY_KEY, r->old_set, "table",
			 &r->table_exists, err) < 0)
		return sync_err_prefix(err, "current table");
	served_map(r);
	addrset_finish(r->old_set);
	r->old_count = addrset_count(r->old_set);
	if (state_load(r->conf->state, &r->state, &exists, err) < 0)
		return -1;
	r->compared = 1;
	grace_apply(&r->conf->grace, r->old_set, r->new_set, &r->state, r->now,
		    report_pending, NULL, &r->grace);
	r->db_stale = mapcommit_db_stale(r->conf->table, r->conf->type);
	mapdiff_run(r->old_set, r->new_set, fn, ctx, &r->counts);
	return 0;
}

/* inode_of - PATH's inode, or 0 */
static unsigned long long
inode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

/*
 * published_files - the inodes of TABLE and its map now (map 0 for text).
 * A rename by anyone but a finished sync (a crash between our two
 * renames, a hand-run postmap) changes one of them.
 */
static void
published_files(const struct sync_conf *conf, unsigned long long *text_ino,
		unsigned long long *map_ino)
{
	const char *suffix = mapdb_suffix(conf->type);
	char path[4096];

	*text_ino = inode_of(conf->table);
	*map_ino = 0;
	if (suffix != NULL &&
	    (size_t)snprintf(path, sizeof(path), "%s%s", conf->table, suffix) <
		    sizeof(path))
		*map_ino = inode_of(path);
}

/* replaced_behind_us - are the files not the ones we last published? */
static int
replaced_behind_us(const struct run *r)
{
	unsigned long long text_ino, map_ino;

	if (r->state.text_ino == 0)
		return 0; /* nothing recorded: first run, or state removed */
	published_files(r->conf, &text_ino, &map_ino);
	return text_ino != r->state.text_ino || map_ino != r->state.map_ino;
}

/* canaries - safety.must_exist and must_not_exist on the built set */
static int
canaries(const struct run *r, struct sync_err *err)
{
	const struct sync_conf *c = r->conf;

	return safety_canaries(c->must_exist, c->n_must_exist,
			       c->must_not_exist, c->n_must_not_exist,
			       r->new_set, err);
}

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
static int
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

/* publish - safety, write, hook; only called when something changed */
static int
publish(struct run *r, int force, struct sync_err *err)
{
	const struct sync_conf *conf = r->conf;

	if (!force &&
	    safety_check(&conf->safety, r->table_exists, r->old_count,
			 addrset_count(r->new_set), r->counts.removed, err) < 0)
		return -1;
	if (mapcommit_publish(conf->table, conf->type, r->new_set, err) < 0)
		return -1;
	r->published = 1;
	if (conf->after_change == NULL) {
		r->state.hook_owed = 0; /* no hook any more: none owed */
		return 0;
	}
	/* owed until it succeeds: the first reload after a map is made is
	 * the one that clears Postfix's 451 (postfix-maps.md) */
	if (r->state.hook_owed == 0)
		r->state.hook_owed = r->now;
	if (hook_run(conf->after_change, conf->hook_timeout, err) < 0) {
		r->hook_failed = 1;
		return sync_err_prefix(err, "map written, but");
	}
	r->state.hook_owed = 0;
	return 0;
}

/*
 * retry_owed_hook - the map did not change, but the hook that failed
 * after it was last published is still owed: every run tries it again,
 * until it succeeds (then never again for that change)
 */
static int
retry_owed_hook(struct run *r, struct sync_err *err)
{
	const struct sync_conf *conf = r->conf;
	char since[32];

	if (r->state.hook_owed == 0)
		return 0;
	if (conf->after_change == NULL) { /* no hook any more: none owed */
		r->state.hook_owed = 0;
		return 0;
	}
	if (hook_run(conf->after_change, conf->hook_timeout, err) == 0) {
		log_info("the after_change hook owed since the map was "
			 "published ran now");
		r->state.hook_owed = 0;
		return 0;
	}
	r->hook_failed = 1;
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ",
		 gmtime(&r->state.hook_owed));
	return sync_err_prefix(err,
			       "the after_change hook owed since %s "
			       "failed again",
			       since);
}

/* collect_added - mapdiff_fn: keys new to the table (not revalued) */
static void
collect_added(void *ctx, char op, const struct addrset_entry *e)
{
	struct run *r = ctx;

	if (op == '+' && addrset_find(r->old_set, e->key) == NULL)
		addrset_add(r->added, e->key, strlen(e->key), e->value,
			    e->origin);
}

/* sync_locked - fetch, compare, check, publish when changed */
static int
sync_locked(struct run *r, int force, int *written, struct sync_err *err)
{
	double t_compare, t_write, t_done;
	struct sync_err cache_err = {0};
	int removed, rc;

	if ((removed = mapcommit_cleanup(r->conf->table)) > 0)
		log_info("removed %d temporary files left by an interrupted "
			 "run",
			 removed);
	if (r->conf->verify_cache != NULL)
		r->added = addrset_new();
	r->keep_cache = 1;
	if (fetch(r, err) < 0)
		return -1;
	t_compare = clock_seconds(CLOCK_MONOTONIC);
	if (compare(r, r->added ? collect_added : NULL, r, err) < 0 ||
	    canaries(r, err) < 0)
		return -1;
	t_write = clock_seconds(CLOCK_MONOTONIC);
	if (r->added != NULL)
		addrset_finish(r->added);
	/* compared: the old table's set is not needed to write the new one
	 * (a million addresses: ~100 MB less at the peak, bench/README.md) */
	addrset_free(r->old_set);
	r->old_set = NULL;
	if (r->table_exists && replaced_behind_us(r)) {
		log_warn("%s or its map is not the file rcptsync published "
			 "last (an interrupted run, or postmap by hand): "
			 "rewriting both",
			 r->conf->table);
		r->db_stale = 1;
	}
	if (mapdiff_changed(&r->counts) || r->db_stale) {
		if (force)
			log_warn("--force: safety limits not applied");
		rc = publish(r, force, err);
		/* Added addresses are live once the map is: purge even when
		 * the hook failed after it. */
		if (r->published)
			repair_verify_cache(r->conf, r->added, r->new_set,
					    &r->state);
		/* the caches describe the published table, hook or not */
		if (r->published && rc == 0)
			rc = incremental_commit_save(r->commit, err);
		else if (r->published &&
			 incremental_commit_save(r->commit, &cache_err) < 0)
			log_error("%s", cache_err.msg);
		if (rc < 0)
			return -1;
		*written = 1;
	} else {
		repair_verify_cache(r->conf, NULL, r->new_set, &r->state);
		/* accepted unchanged: the caches may move on with it */
		if (incremental_commit_save(r->commit, err) < 0 ||
		    retry_owed_hook(r, err) < 0)
			return -1;
	}
	t_done = clock_seconds(CLOCK_MONOTONIC);
	log_debug("stages: fetch and normalise %.3f s (%.3f s CPU here), "
		  "sort %.3f s, read table and diff %.3f s, write %.3f s",
		  r->stats.fetch_seconds, r->stats.fetch_cpu,
		  r->stats.sort_seconds, t_write - t_compare, t_done - t_write);
	log_info("sync: %zu recipients, %zu added, %zu removed, %zu changed, "
		 "%zu pending removal; %s %s:%s",
		 addrset_count(r->new_set), r->counts.added, r->counts.removed,
		 r->counts.revalued, r->grace.kept,
		 *written ? "map written" : "no change to",
		 mapdb_type_name(r->conf->type), r->conf->table);
	return 0;
}

/* record_state - what "status" and the next run's grace period need */
static int
record_state(struct run *r, int rc, int written, const struct sync_err *err,
	     struct sync_err *save_err)
{
	struct sync_state *st = &r->state;

	st->last_run = time(NULL);
	st->last_exit = rc < 0 ? exit_code(err->kind) : 0;
	st->hook_failed_last = rc < 0 && r->hook_failed;
	if (rc == 0) {
		st->last_success = st->last_run;
		st->message[0] = '\0';
		snprintf(st->server, sizeof(st->server), "%s",
			 r->stats.source.server);
		st->recipients = addrset_count(r->new_set);
		st->added = r->counts.added;
		st->removed = r->counts.removed;
		st->pending_count = r->grace.kept;
		st->written = written;
	} else {
		state_set_message(st, err->msg);
	}
	/* the files this run put in place, also when it then failed (the
	 * hook, the caches): the next run must not take them for someone
	 * else's */
	if (rc == 0 || r->published)
		published_files(r->conf, &st->text_ino, &st->map_ino);
	return state_save(r->conf->state, st, save_err);
}

/* cmd_sync - under the lock: sync, then record the outcome */
static int
cmd_sync(struct run *r, int force, struct sync_err *err)
{
	struct sync_err save_err = {0};
	int lock_fd, written = 0, rc, exists;

	if ((lock_fd = lock_acquire(r->conf->lock, err)) < 0)
		return -1;
	rc = sync_locked(r, force, &written, err);
	/* A failure before compare() left the old state unread: keep it. */
	if (!r->compared &&
	    state_load(r->conf->state, &r->state, &exists, &save_err) < 0)
		log_warn("%s", save_err.msg);
	if (record_state(r, rc, written, err, &save_err) < 0) {
		log_error("cannot record the run: %s", save_err.msg);
		if (rc == 0) {
			*err = save_err;
			rc = -1;
		}
	}
	lock_release(lock_fd);
	if (r->json != NULL && rc == 0) {
		struct json *j = r->json;

		json_str(j, "command", "sync");
		json_num(j, "exit", 0);
		json_str(j, "server", r->stats.source.server);
		json_num(j, "recipients", addrset_count(r->new_set));
		json_num(j, "added", r->counts.added);
		json_num(j, "removed", r->counts.removed);
		json_num(j, "changed", r->counts.revalued);
		json_num(j, "pending_removal", r->grace.kept);
		json_num(j, "refused_values", r->stats.refused);
		json_bool(j, "written", written);
		json_str(j, "map_type", mapdb_type_name(r->conf->type));
		json_str(j, "table", r->conf->table);
		json_open_array(j, "verify_purge_owed");
		for (size_t i = 0; i < r->state.n_verify_purge; i++)
			json_str(j, NULL, r->state.verify_purge[i]);
		json_close_array(j);
	}
	return rc;
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

/* status_verdict - the monitoring code for a loaded state */
static int
status_verdict(const struct run *r, int exists, long max_age)
{
	const struct sync_state *st = &r->state;

	if (!exists)
		return EXIT_STATUS_UNKNOWN;
	if (st->last_exit != 0 && !st->hook_failed_last)
		return EXIT_STATUS_CRITICAL;
	if (max_age > 0 &&
	    (st->last_success == 0 || r->now - st->last_success > max_age))
		return EXIT_STATUS_CRITICAL;
	return st->n_verify_purge > 0 || st->hook_owed != 0
		       ? EXIT_STATUS_WARNING
		       : 0;
}

/* json_status - status --json */
static int
json_status(struct run *r, int exists, long max_age)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL",
					    "UNKNOWN"};
	const struct sync_state *st = &r->state;
	struct json *j = r->json;
	int code = status_verdict(r, exists, max_age);

	json_str(j, "command", "status");
	json_num(j, "exit", code);
	json_str(j, "status", names[code]);
	json_str(j, "state_file", r->conf->state);
	if (!exists)
		return code;
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
	json_open_array(j, "verify_purge_owed");
	for (size_t i = 0; i < st->n_verify_purge; i++)
		json_str(j, NULL, st->verify_purge[i]);
	json_close_array(j);
	if (st->hook_owed != 0)
		json_time(j, "hook_owed_since", st->hook_owed);
	return code;
}

/* cmd_status - the state file, judged for monitoring */
static int
cmd_status(struct run *r, long max_age, struct sync_err *err)
{
	struct sync_state *st = &r->state;
	char t1[32], t2[32];
	int exists;

	if (state_load(r->conf->state, st, &exists, err) < 0)
		return -1;
	if (r->json != NULL)
		return json_status(r, exists, max_age);
	if (!exists) {
		printf("UNKNOWN: no sync has run yet (no state file %s)\n",
		       r->conf->state);
		return EXIT_STATUS_UNKNOWN;
	}
	printf("last run: %s (exit %d)\nlast success: %s\nserver: %s\n",
	       format_time(st->last_run, t1, sizeof(t1)), st->last_exit,
	       format_time(st->last_success, t2, sizeof(t2)),
	       st->server[0] ? st->server : "-");
	printf("recipients: %zu (added %zu, removed %zu, pending removal "
	       "%zu, map %s)\n",
	       st->recipients, st->added, st->removed, st->pending_count,
	       st->written ? "written" : "unchanged");
	if (st->last_exit != 0 && !st->hook_failed_last) {
		printf("CRITICAL: the last run failed (exit %d): %s\n",
		       st->last_exit, st->message);
		return EXIT_STATUS_CRITICAL;
	}
	if (max_age > 0 &&
	    (st->last_success == 0 || r->now - st->last_success > max_age)) {
		printf("CRITICAL: no successful sync for more than %ld s\n",
		       max_age);
		return EXIT_STATUS_CRITICAL;
	}
	if (st->hook_owed != 0) {
		printf("WARNING: the map is written, but the after_change hook "
		       "has failed since %s and is retried every run: %s\n",
		       format_time(st->hook_owed, t1, sizeof(t1)), st->message);
		return EXIT_STATUS_WARNING;
	}
	if (st->n_verify_purge > 0) {
		printf("WARNING: the verify cache still holds stale negative "
		       "entries for %zu added address%s (Postfix held the "
		       "lock; retried every run):",
		       st->n_verify_purge, st->n_verify_purge == 1 ? "" : "es");
		for (size_t i = 0; i < st->n_verify_purge; i++)
			printf(" %s", st->verify_purge[i]);
		printf("\n");
		return EXIT_STATUS_WARNING;
	}
	printf("OK\n");
	return 0;
}

/* cmd_dump - the normalised table on stdout */
static int
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
static int
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
static int
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

/* finish - the exit code; with --json, close the object (on an error,
 * with "command", "exit" and "error" as the only members) */
static int
finish(struct run *r, enum command cmd, int rc, const struct sync_err *err)
{
	static const char *const names[] = {"sync",  "diff",   "dump",
					    "check", "status", "explain"};
	static const char *const kinds[] = {
		"none",	  "usage",     "data", "unavailable",
		"output", "temporary", "auth", "config"};
	int code = rc < 0 ? fail(err) : rc;

	if (r->json == NULL)
		return code;
	json_end(r->json);
	fclose(r->json_buf);
	if (rc >= 0)
		fwrite(r->json_text, 1, r->json_len, stdout);
	free(r->json_text);
	if (rc < 0) {
		/* What the failed command had written is dropped. */
		json_begin(r->json, stdout);
		json_str(r->json, "command", names[cmd]);
		json_num(r->json, "exit", code);
		json_open_object(r->json, "error");
		json_str(r->json, "kind",
			 err->kind >= 0 && err->kind <= SYNC_ERR_CONFIG
				 ? kinds[err->kind]
				 : "internal");
		json_str(r->json, "message", err->msg);
		if (err->hint != NULL)
			json_str(r->json, "advice", err->hint);
		json_close_object(r->json);
		json_end(r->json);
	}
	if (fflush(stdout) != 0 && code == 0)
		return EX_IOERR;
	return code;
}

/* main - options, config, one command, exit code */
int
main(int argc, char **argv)
{
	struct options opt = {0};
	struct sync_conf conf;
	struct sync_err err = {0};
	struct json json;
	struct run r;
	int rc;

	if ((rc = parse_args(argc, argv, &opt)) >= 0)
		return rc;
	/* A directory server that dies mid-search must be an error we can
	 * report (exit 75), not a SIGPIPE that kills us silently. */
	signal(SIGPIPE, SIG_IGN);
	log_init(opt.level);
	memset(&r, 0, sizeof(r));
	if (opt.json) {
		/* Built aside: a failure replaces it with the error object. */
		r.json_buf = open_memstream(&r.json_text, &r.json_len);
		if (r.json_buf == NULL)
			panic("open_memstream: out of memory");
		json_begin(&json, r.json_buf);
		r.json = &json;
	}
	if (config_load(opt.config, &conf, &err) < 0) {
		config_free(&conf);
		return finish(&r, opt.cmd, -1, &err);
	}
	r.conf = &conf;
	r.now = time(NULL);
	/* every loop over a server's answers ends by the run's deadline */
	for (size_t i = 0; i < conf.n_ldap; i++) {
		conf.ldap[i].deadline =
			clock_seconds(CLOCK_MONOTONIC) + (double)conf.deadline;
		conf.ldap[i].deadline_seconds = conf.deadline;
	}
	if (conf.log_syslog)
		log_syslog();
	switch (opt.cmd) {
	case CMD_SYNC: rc = cmd_sync(&r, opt.force, &err); break;
	case CMD_DIFF: rc = cmd_diff(&r, &err); break;
	case CMD_DUMP: rc = cmd_dump(&r, &err); break;
	case CMD_STATUS: rc = cmd_status(&r, opt.max_age, &err); break;
	case CMD_EXPLAIN: rc = cmd_explain(&r, opt.address, &err); break;
	default: rc = cmd_check(&r, &err); break;
	}
	addrset_free(r.new_set);
	incremental_commit_free(r.commit);
	addrset_free(r.old_set);
	addrset_free(r.added);
	addrset_free(r.diff_plus);
	addrset_free(r.diff_minus);
	state_free(&r.state);
	config_free(&conf);
	return finish(&r, opt.cmd, rc, &err);
}
