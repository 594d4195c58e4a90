/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	status - judge the last sync for monitoring
 * DESCRIPTION
 *	Reads the state file the last sync left (never writes it: sync.c
 *	owns it) and judges it by the monitoring-plugin convention: 0 OK,
 *	1 WARNING (the after_change hook or a verify-cache purge is still
 *	owed, or a table or its map is not the file the last sync published
 *	and recorded: mapcommit.h), 2 CRITICAL (the last run failed, or no
 *	success within --max-age), 3 UNKNOWN (no sync has run).  A run
 *	that failed for the hook alone published its map, so it is a
 *	WARNING, not CRITICAL.
 *	The verdict is computed here once; render.c words it.
 * DIAGNOSTICS
 *	A state file that cannot be read is an error (exit by its kind).
 */
#include <stddef.h>

#include "exitcode.h"
#include "mapcommit.h"
#include "pubtable.h"
#include "commands.h"

/* Each reason's code, indexed by enum status_reason. */
static const int reason_code[] = {
	[STATUS_NO_STATE] = EXIT_STATUS_UNKNOWN,
	[STATUS_FAILED] = EXIT_STATUS_CRITICAL,
	[STATUS_TOO_OLD] = EXIT_STATUS_CRITICAL,
	[STATUS_NOT_OURS] = EXIT_STATUS_WARNING,
	[STATUS_HOOK_OWED] = EXIT_STATUS_WARNING,
	[STATUS_VERIFY_OWED] = EXIT_STATUS_WARNING,
	[STATUS_OK] = 0,
};

/*
 * not_ours - the table (or output.relay_domains) whose text or map is not
 * the file the state records as published (a backup restored, an edit or
 * a postmap by hand, an interrupted run), or NULL.  Nothing recorded (a
 * state file from before identities) is no warning: the next sync
 * records them.
 */
static const char *
not_ours(const struct sync_conf *conf, const struct sync_state *st)
{
	for (size_t k = 0; k < PUBTABLE_N; k++) {
		const char *path = pubtable_rows[k].path(conf);
		const struct mapcommit_files *ours =
			pubtable_recorded(&pubtable_rows[k], st);

		if (path != NULL && ours->known &&
		    mapcommit_replaced(path, conf->type, ours))
			return path;
	}
	return NULL;
}

/* judge - the first reason that holds, in order of severity */
static enum status_reason
judge(const struct sync_state *st, int exists, long max_age, time_t now,
      const char *not_ours)
{
	if (!exists)
		return STATUS_NO_STATE;
	if (st->last_exit != 0 && !st->hook_failed_last)
		return STATUS_FAILED;
	if (max_age > 0 &&
	    (st->last_success == 0 || now - st->last_success > max_age))
		return STATUS_TOO_OLD;
	if (not_ours != NULL)
		return STATUS_NOT_OURS;
	if (st->hook_owed != 0)
		return STATUS_HOOK_OWED;
	if (st->n_verify_purge > 0)
		return STATUS_VERIFY_OWED;
	return STATUS_OK;
}

/* cmd_status - the state file, judged for monitoring */
int
cmd_status(const struct cmd_args *a, struct render *out, struct sync_err *err)
{
	struct sync_state st;
	struct status_result r;
	int exists;

	if (state_load(a->conf->state, &st, &exists, err) < 0)
		return -1;
	r.state = &st;
	r.state_file = a->conf->state;
	r.now = a->now;
	r.max_age = a->max_age;
	r.not_ours = exists ? not_ours(a->conf, &st) : NULL;
	r.reason = judge(&st, exists, a->max_age, a->now, r.not_ours);
	r.code = reason_code[r.reason];
	render_status(out, &r);
	state_free(&st);
	return r.code;
}
