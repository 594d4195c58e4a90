/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_EXITCODE_H
#define RCPTSYNC_EXITCODE_H

/* The exit codes beyond the sysexits ones an error kind maps to. */
#define EXIT_DIFF_CHANGES 1 /* diff: something would change; explain: no */
#define EXIT_STATUS_WARNING 1
#define EXIT_STATUS_CRITICAL 2
#define EXIT_STATUS_UNKNOWN 3

/*
 * exitcode_of - the documented exit code for an error KIND
 *	(SYNC_ERR_*): the one place that decides it (README, rcptsync(8)).
 */
int exitcode_of(int kind);

/* exitcode_kind_name - "usage", "data", ... for --json; "internal" */
const char *exitcode_kind_name(int kind);

#endif
