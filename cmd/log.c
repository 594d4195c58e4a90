/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	log - one-line messages on stderr, and optionally to syslog
 * DESCRIPTION
 *	Every line starts with "rcptsync: " and a severity word other than
 *	for plain information, so that cron mail and the journal read
 *	clearly.  -q keeps warnings and errors; -v adds debug lines.
 *	Callers escape directory data before it reaches a format.
 *
 *	Under systemd (JOURNAL_STREAM names the very file stderr is, as
 *	sd-daemon(3) says to check), each line starts with "<N>", the
 *	syslog priority, so the journal records levels.  With log.syslog,
 *	each line also goes to syslog, facility mail, in Postfix's style
 *	("rcptsync[PID]: warning: ..."), where admins read maillog.
 *
 *	On a terminal, a transient status line (the fetch progress) is
 *	redrawn in place with "\r" and erased before any real line; it
 *	never reaches a pipe, a file, the journal or syslog.
 * DIAGNOSTICS
 *	None: a failed write to stderr has nowhere to go.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static int current_level = LOG_LEVEL_NORMAL;
static int journal_prefix; /* stderr is the journal's stream */
static int to_syslog;
static int status_shown;       /* a transient status line is on the TTY */
static char status_text[200];  /* it, to redraw below a real line */
static unsigned long warnings; /* log_warnings() */

/* stderr_is_journal - JOURNAL_STREAM "DEV:INO" matches fd 2 */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int n = -1;

	if (js == NULL || sscanf(js, "%llu:%llu%n", &dev, &ino, &n) != 2 ||
	    js[n] != '\0' || fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/* log_init - remember the level; is stderr the journal? */
void
log_init(int level)
{
	current_level = level;
	journal_prefix = stderr_is_journal();
}

/* log_syslog - from now on also to syslog, facility mail */
void
log_syslog(void)
{
	if (!to_syslog)
		openlog("rcptsync", LOG_PID, LOG_MAIL);
	to_syslog = 1;
}

/* log_warnings - see log.h */
unsigned long
log_warnings(void)
{
	return warnings;
}

/* vlog - prefix, message, newline; and the syslog copy, which -q does
 * not thin out: maillog keeps the summary line of every run */
static void
vlog(int priority, const char *severity, int on_stderr, const char *fmt,
     va_list ap)
{
	va_list copy;
	int redraw;

	if (priority == LOG_WARNING)
		warnings++;
	if (to_syslog && (priority != LOG_DEBUG || on_stderr)) {
		char msg[1024];

		va_copy(copy, ap);
		vsnprintf(msg, sizeof(msg), fmt, copy);
		va_end(copy);
		syslog(priority, "%s%s", severity, msg);
	}
	if (!on_stderr)
		return;
	redraw = status_shown;
	log_status_clear();
	if (journal_prefix)
		fprintf(stderr, "<%d>", priority);
	fprintf(stderr, "rcptsync: %s", severity);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	/* Keep the status line at the bottom, under the real lines. */
	if (redraw) {
		fputs(status_text, stderr);
		fflush(stderr);
		status_shown = 1;
	}
}

/* log_status_enabled - would log_status() show anything? */
int
log_status_enabled(void)
{
	return current_level >= LOG_LEVEL_NORMAL && !journal_prefix &&
	       isatty(2);
}

/* log_status - replace the transient line (TTY only, never in logs) */
void
log_status(const char *fmt, ...)
{
	va_list ap;

	if (!log_status_enabled())
		return;
	va_start(ap, fmt);
	vsnprintf(status_text, sizeof(status_text), fmt, ap);
	va_end(ap);
	fprintf(stderr, "\r\033[K%s", status_text);
	fflush(stderr);
	status_shown = 1;
}

/* log_status_clear - erase it before a real line, or at the end */
void
log_status_clear(void)
{
	if (!status_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	status_shown = 0;
}

#define LOG_FN(name, priority, severity, min_level)    \
	void name(const char *fmt, ...)                \
	{                                              \
		va_list ap;                            \
		int on = current_level >= (min_level); \
		if (!on && !to_syslog)                 \
			return;                        \
		va_start(ap, fmt);                     \
		vlog(priority, severity, on, fmt, ap); \
		va_end(ap);                            \
	}

LOG_FN(log_error, LOG_ERR, "error: ", LOG_LEVEL_QUIET)
LOG_FN(log_warn, LOG_WARNING, "warning: ", LOG_LEVEL_QUIET)
LOG_FN(log_info, LOG_INFO, "", LOG_LEVEL_NORMAL)
LOG_FN(log_debug, LOG_DEBUG, "debug: ", LOG_LEVEL_VERBOSE)
LOG_FN(log_advice, LOG_ERR, "advice: ", LOG_LEVEL_QUIET)
