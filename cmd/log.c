/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	log - one-line messages on stderr
 * DESCRIPTION
 *	Every line starts with "rcptsync: " and a severity word other than
 *	for plain information, so that cron mail and the journal read
 *	clearly.  -q keeps warnings and errors; -v adds debug lines.
 *	Callers escape directory data before it reaches a format.
 * DIAGNOSTICS
 *	None: a failed write to stderr has nowhere to go.
 */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static int current_level = LOG_LEVEL_NORMAL;

/* log_init - remember the level */
void
log_init(int level)
{
	current_level = level;
}

/* vlog - prefix, message, newline */
static void
vlog(const char *severity, const char *fmt, va_list ap)
{
	fprintf(stderr, "rcptsync: %s", severity);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define LOG_FN(name, severity, min_level)        \
	void name(const char *fmt, ...)          \
	{                                        \
		va_list ap;                      \
		if (current_level < (min_level)) \
			return;                  \
		va_start(ap, fmt);               \
		vlog(severity, fmt, ap);         \
		va_end(ap);                      \
	}

LOG_FN(log_error, "error: ", LOG_LEVEL_QUIET)
LOG_FN(log_warn, "warning: ", LOG_LEVEL_QUIET)
LOG_FN(log_info, "", LOG_LEVEL_NORMAL)
LOG_FN(log_debug, "debug: ", LOG_LEVEL_VERBOSE)
