/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	sync - the sync command: fetch, compare, check, publish, record
 * DESCRIPTION
 *	Under the lock: clear what an interrupted run left, fetch, compare
 *	with the table, apply the canaries and the safety limits, and only
 *	when something changed (or the files on disk are not the ones we
 *	last published) publish the table and its map atomically and run
 *	the after_change hook.  Then the verify-cache purge (repair.c), and
 *	the caches owed by an incremental pull are saved: only with a table
 *	that was published or found unchanged, never before the run is
 *	accepted.  Last, the outcome is recorded in the state file, and
 *	with metrics.textfile, in the metrics file (metrics.c).
 *
 *	This file is the one owner of struct sync_state: it loads it under
 *	the lock, lends it to the grace period (pipeline.c) and the verify
 *	cache (repair.c), and saves it once, also when the run failed.
 *	"status", "diff" and "explain" only read it.
 * OWNERSHIP
 *	The run's sets, state and caches owed are freed before return.
 * DIAGNOSTICS
 *	Errors in the caller's struct sync_err; a hook that fails after the
 *	map was published is an error (the map stays) and is owed: retried
 *	every run until it succeeds.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "grace.h"
#include "lock.h"
#include "mapcommit.h"
#include "mapdb.h"
#include "mapdelta.h"
#include "proxyaddr.h"
#include "maptype.h"
#include "safety.h"
#include "hook.h"
#include "repair.h"
#include "exitcode.h"
#include "metrics.h"
#include "pipeline.h"
#include "relaydomains.h"
#include "unchanged.h"
#include "commands.h"

/*
 * The most changes applied to a copy of the published map rather than
 * rebuilding it: DELTA_MIN, or one in DELTA_SHARE of the keys if that is
 * more (bench/README.md: at a million keys a rebuild takes seconds, a
 * copy and a few thousand changes a fraction of one).
 */
#define DELTA_MIN 1000
#define DELTA_SHARE 100

/* After this many updates from a copy in a row, the map is built anew
 * (a day of quarter-hourly syncs), so that its file cannot drift from
 * what a fresh build would give. */
#define MAP_UPDATES_MAX 96

/* What to do about a change the safety limits refused. */
#define APPROVE_HINT                                                        \
	"if the change is intended, review it with \"rcptsync diff\"; "     \
	"\"rcptsync sync --approve DIGEST\" with the digest it shows then " \
	"applies exactly that change"

/* One sync: the pipeline, plus what only a sync has. */
struct sync_run {
	struct pipeline p;
	struct sync_state state; /* loaded once, saved once */
	int state_loaded;
	struct incremental_commit *commit; /* the caches owed */
	struct addrset *added;		   /* with verify_cache only */
	struct mapdelta *delta;		   /* the changes, while few */
	const char *last_removed;	   /* the last '-' key seen */
	struct mapcommit_how how;	   /* the recipient map's */
	int map_updated;		   /* ... updated from a copy */
	int hook_ran;			   /* the after_change hook ran */
	int hook_failed;		   /* the after_change hook failed */
	int safety_refused;		   /* limits or canaries refused it */
	int metrics_written;		   /* metrics.textfile replaced */
	int written;
	/* sync --approve: this run's change, for its digest */
	struct changedigest *digest;
	void *digest_table[PUBTABLE_N]; /* its tables */
	const char *lift;     /* "--force", "--approve": no safety limits */
	const char *approved; /* the digest of the approved change */
	/* nothing moved: the sealed table trusted (unchanged.c) */
	struct unchanged_look look; /* the inputs as the run first saw them */
	int trusted;
	struct unchanged_result sealed;
	size_t n_released; /* the recipient set's size, once released */
};

/* n_recipients - the recipient table's keys: built, or as sealed */
static size_t
n_recipients(const struct sync_run *r)
{
	if (r->trusted)
		return r->sealed.recipients;
	return r->p.new_set != NULL ? addrset_count(r->p.new_set)
				    : r->n_released;
}

/*
 * owe_hook - a map was replaced: the after_change hook is owed from now
 * until it succeeds (the first reload after a map is made is the one
 * that clears Postfix's 451: doc/postfix-maps.md), also when a later step of
 * this run fails before it runs
 */
static void
owe_hook(struct sync_run *r)
{
	if (r->p.conf->after_change != NULL && r->state.hook_owed == 0)
		r->state.hook_owed = r->p.now;
}

/* run_hook - after the maps were published: the after_change hook */
static int
run_hook(struct sync_run *r, struct sync_err *err)
{
	const struct sync_conf *conf = r->p.conf;

	if (conf->after_change == NULL) {
		r->state.hook_owed = 0; /* no hook any more: none owed */
		return 0;
	}
	owe_hook(r);
	r->hook_ran = 1;
	if (hook_run(conf->after_change, conf->hook_timeout, err) < 0) {
		r->hook_failed = 1;
		return sync_err_prefix(err, "map written, but");
	}
	r->state.hook_owed = 0;
	return 0;
}

/* recipients - the recipient table of the run */
static struct pubtable *
recipients(struct sync_run *r)
{
	return &r->p.table[PUBTABLE_RECIPIENTS];
}

/* any_published - was a table replaced in this run? */
static int
any_published(const struct sync_run *r)
{
	for (size_t k = 0; k < PUBTABLE_N; k++)
		if (r->p.table[k].published)
			return 1;
	return 0;
}

/*
 * release_set - mapcommit_how's release: the recipient table's text is
 * written and its map is to be built anew, from that text (mapsrc.c).
 * The set and the DNs its entries point to (dnstore.c, attached to it)
 * are not read again in this run, so their memory goes before the
 * build's cache fills (a million keys: about 120 MB of a peak of 212 MiB;
 * bench/README.md, "Memory at 1M").  Its size is kept for the report;
 * what else the run reads after publishing was taken from it before
 * (repair_owed_in(), r->added's own copies).
 */
static void
release_set(void *arg)
{
	struct sync_run *r = arg;

	r->n_released = addrset_count(r->p.new_set);
	recipients(r)->want = NULL;
	addrset_free(r->p.new_set);
	r->p.new_set = NULL;
}

/*
 * choose_how - only a map that is ours and current may be updated from a
 * copy: the text and the map both exactly the files recorded as published
 * by us (pipeline_compare()), the map not older than its text
 */
static void
choose_how(struct sync_run *r)
{
	struct pubtable *t = recipients(r);

	if (r->delta != NULL && mapdelta_finish(r->delta) && !t->stale &&
	    r->state.table_files.known) {
		if (r->state.map_updates < MAP_UPDATES_MAX)
			r->how.delta = r->delta;
		else
			log_debug("map built anew after %lu updates from a "
				  "copy",
				  r->state.map_updates);
	}
	r->how.release = release_set;
	r->how.release_arg = r;
	t->how = &r->how;
}

/* report_how - the recipient map was published: how it was made */
static void
report_how(struct sync_run *r)
{
	r->map_updated = r->how.updated;
	if (r->how.updated)
		log_debug("map updated from a copy of the published one: %zu "
			  "deleted, %zu stored",
			  addrset_count(r->delta->dels),
			  addrset_count(r->delta->puts));
	else if (r->how.delta != NULL)
		log_warn("map rebuilt: updating a copy of the published one "
			 "failed: %s",
			 r->how.why.msg);
}

/* check_tables - the safety limits of every table to be written */
static int
check_tables(struct sync_run *r, struct sync_err *err)
{
	if (r->lift != NULL)
		return 0;
	for (size_t k = 0; k < PUBTABLE_N; k++) {
		const struct pubtable *t = &r->p.table[k];

		if (pubtable_changed(t) && pubtable_check(t, err) < 0) {
			r->safety_refused = 1;
			return sync_err_hint(err, APPROVE_HINT);
		}
	}
	return 0;
}

/*
 * publish_tables - the tables in their order (pubtable.c: never a domain
 * relayed without its recipients); each step with nothing to change
 * writes nothing.  From the first table replaced the hook is owed, also
 * when a later step fails.
 */
static int
publish_tables(struct sync_run *r, struct sync_err *err)
{
	for (size_t i = 0; i < pubtable_n_steps; i++) {
		struct pubtable *t = &r->p.table[pubtable_order[i].kind];
		int was = t->published;

		if (pubtable_publish(t, pubtable_order[i].part, err) < 0) {
			if (any_published(r))
				owe_hook(r);
			return -1;
		}
		if (t->published && !was)
			owe_hook(r);
		if (t->published && !was && t == recipients(r))
			report_how(r);
	}
	return 0;
}

/*
 * retry_owed_hook - the map did not change, but the hook that failed
 * after it was last published is still owed: every run tries it again,
 * until it succeeds (then never again for that change)
 */
static int
retry_owed_hook(struct sync_run *r, struct sync_err *err)
{
	const struct sync_conf *conf = r->p.conf;
	char since[32];

	if (r->state.hook_owed == 0)
		return 0;
	if (conf->after_change == NULL) { /* no hook any more: none owed */
		r->state.hook_owed = 0;
		return 0;
	}
	r->hook_ran = 1;
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

/*
 * note_change - mapdiff_fn: the delta for the map, and the keys new to
 * the table (not revalued) for the verify cache
 */
static void
note_change(void *ctx, char op, const struct addrset_entry *e)
{
	struct sync_run *r = ctx;
	int revalued;

	if (r->delta != NULL)
		mapdelta_note(r->delta, op, e);
	if (r->digest != NULL)
		changedigest_note(r->digest_table[PUBTABLE_RECIPIENTS], op, e);
	/* a revalued key comes as '-' then '+' (mapdiff.h) */
	revalued = op == '+' && r->last_removed != NULL &&
		   strcmp(r->last_removed, e->key) == 0;
	r->last_removed = op == '-' ? e->key : NULL;
	/* the key copied, the rest not kept: E's set may be released
	 * before r->added is read (release_set) */
	if (r->added != NULL && op == '+' && !revalued)
		addrset_add(r->added, e->key, strlen(e->key), "OK", "added");
}

/*
 * warn_not_ours - TABLE or its map is not what the state records as
 * published (pubtable_ours()): both are rewritten.
 * With nothing recorded (a state file from before identities were kept,
 * or none) that happens once, and is no warning.
 */
static void
warn_not_ours(const char *table, const struct mapcommit_files *ours)
{
	if (!ours->known)
		log_info("%s: no identity of its files recorded yet: "
			 "rewriting it and its map once",
			 table);
	else
		log_warn("%s or its map is not the file rcptsync published "
			 "last (an interrupted run, a backup restored, an "
			 "edit or a postmap by hand): rewriting both",
			 table);
}

/* compare - the state, then the diff (collecting the added keys) */
static int
compare(struct sync_run *r, struct sync_err *err)
{
	const struct sync_conf *conf = r->p.conf;
	int exists;

	if (!r->state_loaded &&
	    state_load(conf->state, &r->state, &exists, err) < 0)
		return -1;
	r->state_loaded = 1;
	if (maptype_get(conf->type)->update != NULL) {
		size_t n = addrset_count(r->p.new_set) / DELTA_SHARE;

		r->delta = mapdelta_new(n > DELTA_MIN ? n : DELTA_MIN);
	}
	if (pipeline_compare(&r->p, &r->state, note_change, r, err) < 0)
		return -1;
	if (pipeline_canaries(&r->p, err) < 0) {
		r->safety_refused = 1;
		return -1;
	}
	if (relaydomains_load(&r->p,
			      r->digest != NULL ? changedigest_note : NULL,
			      r->digest_table[PUBTABLE_DOMAINS], err) < 0)
		return -1;
	for (size_t k = PUBTABLE_RECIPIENTS + 1; k < PUBTABLE_N; k++) {
		struct pubtable *t = &r->p.table[k];
		const struct mapcommit_files *ours =
			pubtable_recorded(&pubtable_rows[k], &r->state);

		if (!pubtable_ours(t, ours))
			warn_not_ours(t->path, ours);
	}
	if (r->added != NULL)
		addrset_finish(r->added);
	/* compared: the old table's set is not needed to write the new one
	 * (a million addresses: ~100 MB less at the peak, bench/README.md) */
	addrset_free(recipients(r)->old);
	recipients(r)->old = NULL;
	if (recipients(r)->replaced)
		warn_not_ours(conf->table, &r->state.table_files);
	return 0;
}

/*
 * publish_and_save - when a table changed (or is stale): the safety
 * limits, the tables in their order, the hook.  Then the verify-cache
 * purge and the caches owed, which describe the recipient table: only
 * when it was published (added addresses are live once its map is:
 * purged even when a later step or the hook failed) or found unchanged
 * (and every table that changed was published), else nothing moves.  A
 * hook owed from an earlier run is tried again last.
 */
static int
publish_and_save(struct sync_run *r, struct sync_err *err)
{
	struct pubtable *rcpt = recipients(r);
	struct sync_err cache_err = {0};
	struct addrset *owed;
	int rc = 0, changed = 0;

	for (size_t k = 0; k < PUBTABLE_N; k++)
		changed |= pubtable_changed(&r->p.table[k]);
	/* XXX: said only when the recipient table changes, as it always
	 * was: a change of relay_domains alone is written unwarned */
	if (r->lift != NULL && pubtable_changed(rcpt))
		log_warn("%s: safety limits not applied", r->lift);
	if (pubtable_changed(rcpt))
		choose_how(r);
	/* before the set may go (release_set) */
	owed = repair_owed_in(&r->state, r->p.new_set);
	if (changed) {
		if (check_tables(r, err) < 0) {
			addrset_free(owed);
			return -1;
		}
		rc = publish_tables(r, err);
		for (size_t k = 0; k < PUBTABLE_N; k++)
			if (r->p.table[k].published)
				unchanged_published(r->p.conf, k, &r->look);
		if (rc < 0) {
			if (!rcpt->published) {
				addrset_free(owed);
				return -1;
			}
			rc = -1;
		} else {
			rc = run_hook(r, err);
		}
	}
	repair_verify_cache(r->p.conf, rcpt->published ? r->added : NULL, owed,
			    &r->state);
	addrset_free(owed);
	/* the caches describe the recipient table, hook or not */
	if (rc < 0) {
		if (incremental_commit_save(r->commit, &cache_err) < 0)
			log_error("%s", cache_err.msg);
		return -1;
	}
	if (incremental_commit_save(r->commit, err) < 0 ||
	    retry_owed_hook(r, err) < 0)
		return -1;
	r->written = any_published(r);
	return 0;
}

/* append - FMT at *LEN in BUF; cut (still NUL-terminated) when full */
static void __attribute__((format(printf, 4, 5)))
append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	*len = n < 0 ? size : *len + (size_t)n;
}

/*
 * describe - the change of D for a message: its counts per table and its
 * first keys, escaped (they come from the directory)
 */
static void
describe(const struct changedigest *d, char *buf, size_t size)
{
	size_t len = 0, shown = 0;
	char esc[80];

	buf[0] = '\0';
	for (size_t i = 0; i < changedigest_n_tables(d); i++)
		append(buf, size, &len, "%s%s: %zu to add, %zu to remove",
		       i ? "; " : "", changedigest_name(d, i),
		       addrset_count(changedigest_changes(d, i, '+')),
		       addrset_count(changedigest_changes(d, i, '-')));
	for (size_t i = 0; i < changedigest_n_tables(d); i++)
		for (const char *op = "+-"; *op != '\0'; op++) {
			const struct addrset *c =
				changedigest_changes(d, i, *op);

			for (size_t j = 0; j < addrset_count(c) && shown < 3;
			     j++, shown++) {
				const char *k = addrset_get(c, j)->key;

				append(buf, size, &len, "%s%c%s",
				       shown ? ", " : "; first: ", *op,
				       proxyaddr_escape(k, strlen(k), esc,
							sizeof(esc)));
			}
		}
}

/*
 * approved - sync --approve: the limits are lifted only for the change
 * the admin reviewed in "diff", the one with the digest given; any other
 * change (the directory moved on since) is refused, and nothing written
 */
static int
approved(struct sync_run *r, const char *want, struct sync_err *err)
{
	char hex[CHANGEDIGEST_HEX_LEN + 1], what[240];

	changedigest_hex(r->digest, hex);
	if (strcmp(hex, want) == 0) {
		log_info(
			"--approve: this run's change is the one approved (%s)",
			want);
		r->lift = "--approve";
		r->approved = want;
		return 0;
	}
	describe(r->digest, what, sizeof(what));
	r->safety_refused = 1;
	sync_err_set(err, SYNC_ERR_DATA,
		     "--approve: this run's change is not the one approved "
		     "(%s): its digest is %s (%s); nothing was written",
		     want, hex,
		     changedigest_empty(r->digest)
			     ? "nothing to change now: if the approved "
			       "change was applied already, a plain sync "
			       "does the rest"
			     : what);
	return sync_err_hint(err, "the directory or the table changed since "
				  "the diff: review the change again with "
				  "\"rcptsync diff\" and approve the digest "
				  "it shows");
}

/* written_also - "; NAME written: PATH" for each other table written */
static void
written_also(const struct sync_run *r, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t k = PUBTABLE_RECIPIENTS + 1; k < PUBTABLE_N; k++)
		if (r->p.table[k].published)
			append(buf, size, &len, "; %s written: %s",
			       r->p.table[k].row->name, r->p.table[k].path);
}

/*
 * trust_unchanged - a plain sync whose directories did not move since the
 * last accepted run, with nothing else the table depends on changed,
 * trusts that run's table instead of building it again (unchanged.c).
 * 1: trusted; 0: the seal is removed, the table is built; -1: a
 * directory could not be asked.
 */
static int
trust_unchanged(struct sync_run *r, const char *approve, struct sync_err *err)
{
	const struct sync_conf *conf = r->p.conf;
	int exists, rc = 0;

	if (r->lift == NULL && approve == NULL) {
		if (state_load(conf->state, &r->state, &exists, err) < 0)
			return -1;
		r->state_loaded = 1;
		pipeline_warn_unverified(&r->p);
		rc = unchanged_try(conf, &r->state, &r->look, &r->p.stats,
				   &r->p.domains, &r->sealed, err);
	}
	if (rc == 1) {
		r->trusted = 1;
		r->p.stats.refused = r->sealed.refused;
		log_info("nothing changed in the directory since the last "
			 "run: its table stands");
		if (r->sealed.warnings > 0)
			log_warn("the run that built the table gave %lu "
				 "warnings about the directory's data, which "
				 "still hold (\"rcptsync check\" shows them "
				 "again)",
				 r->sealed.warnings);
		return 1;
	}
	acceptdom_list_free(&r->p.domains);
	unchanged_forget(conf);
	return rc;
}

/* sync_locked - fetch, compare, check, publish when changed */
static int
sync_locked(struct sync_run *r, const char *approve, struct sync_err *err)
{
	const struct sync_conf *conf = r->p.conf;
	double t_compare, t_write, t_done;
	int removed = 0, rc;
	char more[(PUBTABLE_N - 1) * (PATH_MAX + 64)];

	for (size_t k = 0; k < PUBTABLE_N; k++)
		if (pubtable_rows[k].path(conf) != NULL)
			removed +=
				mapcommit_cleanup(pubtable_rows[k].path(conf));
	if (removed > 0)
		log_info("removed %d temporary files left by an interrupted "
			 "run",
			 removed);
	unchanged_look(conf, &r->look);
	if ((rc = trust_unchanged(r, approve, err)) != 0)
		goto done;
	if (conf->verify_cache != NULL)
		r->added = addrset_new();
	if (pipeline_fetch(&r->p, err) < 0)
		return -1;
	t_compare = clock_seconds(CLOCK_MONOTONIC);
	if (compare(r, err) < 0)
		return -1;
	if (approve != NULL && approved(r, approve, err) < 0)
		return -1;
	t_write = clock_seconds(CLOCK_MONOTONIC);
	if (publish_and_save(r, err) < 0)
		return -1;
	t_done = clock_seconds(CLOCK_MONOTONIC);
	log_debug("stages: fetch and normalise %.3f s (%.3f s CPU here), "
		  "sort %.3f s, read table and diff %.3f s, write %.3f s",
		  r->p.stats.fetch_seconds, r->p.stats.fetch_cpu,
		  r->p.stats.sort_seconds, t_write - t_compare,
		  t_done - t_write);
done:
	if (rc < 0)
		return -1;
	written_also(r, more, sizeof(more));
	log_info("sync: %zu recipients, %zu added, %zu removed, %zu changed, "
		 "%zu pending removal; %s %s:%s%s",
		 n_recipients(r), recipients(r)->counts.added,
		 recipients(r)->counts.removed, recipients(r)->counts.revalued,
		 r->p.grace.kept,
		 recipients(r)->published ? "map written" : "no change to",
		 mapdb_type_name(conf->type), conf->table, more);
	return 0;
}

/*
 * record_files - the identity of the files this run put in place, as the
 * hook left them (its chmod and chgrp are ours), also when the run then
 * failed (the hook, the caches): the next run must not take them for
 * someone else's.  A table this run did not publish is recorded anew only
 * when the hook ran and it was found ours before (a hook that ran means
 * every table not ours was published first: pubtable_order[]);
 * else its record stays, and a mismatch found stays found.
 */
static void
record_files(struct sync_run *r)
{
	const struct sync_conf *conf = r->p.conf;

	for (size_t k = 0; k < PUBTABLE_N; k++) {
		const struct pubtable_row *row = &pubtable_rows[k];
		const struct pubtable *t = &r->p.table[k];
		struct mapcommit_files *files =
			pubtable_recorded(row, &r->state);

		if (row->path(conf) == NULL)
			memset(files, 0, sizeof(*files));
		else if (pubtable_settled(t) || (r->hook_ran && !t->stale))
			mapcommit_files(row->path(conf), conf->type, files);
	}
}

/* record_state - what "status" and the next run's grace period need */
static int
record_state(struct sync_run *r, int rc, const struct sync_err *err,
	     struct sync_err *save_err)
{
	struct sync_state *st = &r->state;

	st->last_run = time(NULL);
	st->last_exit = rc < 0 ? exitcode_of(err->kind) : 0;
	st->hook_failed_last = rc < 0 && r->hook_failed;
	if (rc == 0) {
		st->last_success = st->last_run;
		st->message[0] = '\0';
		snprintf(st->server, sizeof(st->server), "%s",
			 r->p.stats.source.server);
		st->recipients = n_recipients(r);
		st->added = recipients(r)->counts.added;
		st->removed = recipients(r)->counts.removed;
		st->pending_count = r->p.grace.kept;
		st->written = r->written;
	} else {
		state_set_message(st, err->msg);
	}
	record_files(r);
	if (recipients(r)->published)
		st->map_updates = r->map_updated ? st->map_updates + 1 : 0;
	return state_save(r->p.conf->state, st, save_err);
}

/*
 * write_metrics - the metrics file, after the state (metrics.c): this
 * run's outcome, and what the state file keeps of the last success, so
 * that a failed run hands that on.  A failure to write it is a warning:
 * the run's exit code stays the sync's.
 */
static void
write_metrics(struct sync_run *r, int rc, const struct sync_err *err,
	      double started, const struct sync_state *on_disk)
{
	const struct sync_state *st = &r->state;
	struct metrics_run m = {
		.last_run = (double)st->last_run,
		.exit_code = rc < 0 ? exitcode_of(err->kind) : 0,
		.duration = clock_seconds(CLOCK_MONOTONIC) - started,
		.map_written = any_published(r),
		/* a refusal stands until a run succeeds or writes a map: a
		 * later failure of another kind keeps it (-1: the file's) */
		.safety_refused = r->safety_refused		? 1
				  : rc < 0 && !any_published(r) ? -1
								: 0,
		.hook_owed = st->hook_owed != 0,
		.verify_purge_owed = (double)st->n_verify_purge,
		.dc_kept = (double)r->p.stats.source.dns.kept,
		.dc_anew = (double)r->p.stats.source.dns.anew,
		/* the last success as the state file holds it: when only the
		 * state could not be saved (exit 73), the one before */
		.last_success = (double)on_disk->last_success,
		.recipients = (double)on_disk->recipients,
		.added = (double)on_disk->added,
		.removed = (double)on_disk->removed,
		.pending = (double)on_disk->pending_count,
		.refused = rc == 0 ? (double)r->p.stats.refused : -1,
	};
	const struct graph_stats *g = &r->p.stats.graph;
	struct sync_err merr = {0};

	if (r->p.conf->metrics_textfile == NULL)
		return;
	/* source.graph: this run's requests and waits; the objects of the
	 * last success (a failed run keeps the file's: -1) */
	m.graph = r->p.conf->graph != NULL;
	m.graph_requests = (double)g->requests;
	m.graph_throttled = (double)g->retries;
	m.graph_waited = g->waited;
	for (int i = 0; i < GRAPH_COLLECTIONS; i++)
		m.graph_objects[i] = rc == 0 ? (double)g->count[i] : -1;
	if (metrics_write(r->p.conf->metrics_textfile, &m, &merr) < 0)
		log_warn("metrics not written: %s", merr.msg);
	else
		r->metrics_written = 1;
}

/* result - what render.c shows of a finished sync */
static void
result(struct sync_run *r, struct sync_result *out)
{
	out->server = r->p.stats.source.server;
	out->recipients = n_recipients(r);
	out->counts = recipients(r)->counts;
	out->pending = r->p.grace.kept;
	out->refused = r->p.stats.refused;
	out->graph = r->p.conf->graph != NULL ? &r->p.stats.graph : NULL;
	out->written = r->written;
	out->map_type = mapdb_type_name(r->p.conf->type);
	out->table = r->p.conf->table;
	for (size_t k = 0; k < PUBTABLE_N; k++) {
		out->tables[k] = pubtable_rows[k].path(r->p.conf);
		out->tables_written[k] = r->p.table[k].published;
	}
	out->verify_purge = r->state.verify_purge;
	out->n_verify_purge = r->state.n_verify_purge;
	out->metrics = r->p.conf->metrics_textfile;
	out->metrics_written = r->metrics_written;
	out->approved = r->approved;
	out->trusted = r->trusted;
}

/*
 * seal - an accepted run whose state was saved: what a later run needs to
 * trust its table (unchanged.c), with the counts it showed
 */
static void
seal(struct sync_run *r)
{
	struct unchanged_result res = {
		.recipients = n_recipients(r),
		.refused = r->p.stats.refused,
		.warnings =
			r->trusted ? r->sealed.warnings : r->p.stats.warnings,
		.runs = r->trusted ? r->sealed.runs + 1 : 0,
	};

	unchanged_seal(r->p.conf, &r->state, &r->look, &r->p.domains, &res);
}

/* cmd_sync - under the lock: sync, then record the outcome */
int
cmd_sync(const struct cmd_args *a, struct render *out, struct sync_err *err)
{
	struct sync_run r = {.p = {.conf = a->conf, .now = a->now}};
	struct sync_err save_err = {0};
	struct sync_result res;
	struct sync_state prior;
	int lock_fd, rc, exists;
	double started;

	if ((lock_fd = lock_acquire(a->conf->lock, err)) < 0)
		return -1;
	started = clock_seconds(CLOCK_MONOTONIC);
	r.p.commit = &r.commit;
	if (a->force)
		r.lift = "--force";
	if (a->approve != NULL)
		r.digest = pipeline_digest(a->conf, r.digest_table);
	rc = sync_locked(&r, a->approve, err);
	/* A failure before the state was read: keep what it says. */
	if (!r.state_loaded &&
	    state_load(a->conf->state, &r.state, &exists, &save_err) < 0)
		log_warn("%s", save_err.msg);
	prior = r.state; /* the counts, as the state file holds them */
	if (record_state(&r, rc, err, &save_err) < 0) {
		log_error("cannot record the run: %s", save_err.msg);
		if (rc == 0) {
			*err = save_err;
			rc = -1;
		}
		write_metrics(&r, rc, err, started, &prior);
	} else {
		write_metrics(&r, rc, err, started, &r.state);
		if (rc == 0)
			seal(&r);
	}
	/* the caches not saved: their temporary files go under the lock */
	incremental_commit_free(r.commit);
	r.commit = NULL;
	lock_release(lock_fd);
	if (rc == 0) {
		result(&r, &res);
		render_sync(out, &res);
	}
	pipeline_free(&r.p);
	addrset_free(r.added);
	mapdelta_free(r.delta);
	changedigest_free(r.digest);
	state_free(&r.state);
	return rc;
}
