/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_HOOK_H
#define RCPTSYNC_HOOK_H

#include "syncerr.h"

/*
 * hook_run - run ARGV[0] (an absolute path) with ARGV, no shell, stdin
 *	from /dev/null, a minimal environment, and wait at most TIMEOUT
 *	seconds (then SIGTERM, then SIGKILL).  Returns 0 when it exited 0,
 *	else -1 with a TEMP error saying how it ended.
 */
int hook_run(char *const *argv, int timeout, struct sync_err *err)
	__attribute__((warn_unused_result));

#endif
