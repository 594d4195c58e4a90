/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	sync - the sync command: publish, hook, state
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
int
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
