/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_COMMANDS_H
#define RCPTSYNC_COMMANDS_H

#include <time.h>

#include "config.h"
#include "render.h"
#include "syncerr.h"

/* What main() hands every command. */
struct cmd_args {
	const struct sync_conf *conf;
	time_t now;
	int force;		    /* sync --force */
	const char *approve;	    /* sync --approve: its digest, or NULL */
	long max_age;		    /* status --max-age, seconds; 0: none */
	char *const *addresses;	    /* explain ADDRESS... */
	size_t n_addresses;	    /* at least 1 for explain */
	const char *postfix_config; /* explain --postfix-config, or NULL */
};

/*
 * One command: its result goes to OUT (text, or --json); returns its exit
 * code (0, or 1..3 where the command documents one), or -1 with ERR set,
 * which main() turns into the error kind's exit code.
 */
typedef int cmd_fn(const struct cmd_args *args, struct render *out,
		   struct sync_err *err);

cmd_fn cmd_sync;    /* sync.c */
cmd_fn cmd_diff;    /* inspect.c */
cmd_fn cmd_dump;    /* inspect.c */
cmd_fn cmd_check;   /* inspect.c */
cmd_fn cmd_explain; /* explain.c */
cmd_fn cmd_status;  /* status.c */

#endif
