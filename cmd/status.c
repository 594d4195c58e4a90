/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	status - the status command
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
int
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
