/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_SYNCERR_H
#define RCPTSYNC_SYNCERR_H

/*
 * What a library module tells its caller when it fails.  The kind says
 * what the caller must do about it; only cmd/ turns a kind into an exit
 * code (see cmd/main.c and the README's exit code table).
 */
enum sync_err_kind {
	SYNC_ERR_NONE = 0,
	SYNC_ERR_USAGE,	      /* bad command line */
	SYNC_ERR_DATA,	      /* refused result: truncated, invalid, unsafe */
	SYNC_ERR_UNAVAILABLE, /* no directory server could be used */
	SYNC_ERR_OUTPUT,      /* cannot write the table or the map */
	SYNC_ERR_TEMP,	      /* try again next run: timeout, lock held */
	SYNC_ERR_AUTH,	      /* bind refused, unsafe secret file */
	SYNC_ERR_CONFIG,      /* fix the configuration */
};

#define SYNC_ERR_MSG_MAX 512

struct sync_err {
	int kind;
	char msg[SYNC_ERR_MSG_MAX];
	const char *hint; /* static advice on what to do, or NULL */
};

/*
 * sync_err_set - record an error and return -1, so that library code can
 * say "return sync_err_set(err, SYNC_ERR_DATA, ...);".  A message longer
 * than the buffer is cut and marked with "...".  Clears the hint.
 */
int sync_err_set(struct sync_err *err, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * sync_err_hint - attach static advice (a string literal: it is not
 * copied) to the error already recorded; NULL clears it.  Returns -1.
 */
int sync_err_hint(struct sync_err *err, const char *hint);

/*
 * sync_err_prefix - put "WHERE: " in front of the message already there,
 * keeping its kind.  Returns -1.
 */
int sync_err_prefix(struct sync_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
