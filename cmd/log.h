/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_LOG_H
#define RCPTSYNC_LOG_H

enum log_level {
	LOG_LEVEL_QUIET = -1,  /* -q: warnings and errors only */
	LOG_LEVEL_NORMAL = 0,  /* summary lines */
	LOG_LEVEL_VERBOSE = 1, /* -v: stages, servers, timings */
};

/* log_init - set the level for this run; "<N>" prefixes under systemd */
void log_init(int level);

/* log_syslog - also log to syslog, facility mail (log.syslog: true) */
void log_syslog(void);

/* log_error, log_warn, log_info, log_debug - one line each on stderr */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_advice - what the admin should do about the error just logged */
void log_advice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_warnings - how many warnings were logged so far in this process */
unsigned long log_warnings(void);

/* log_status - a transient line on a TTY stderr, redrawn in place;
 * nothing when stderr is not a terminal, under -q, or in the journal */
void log_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_status_enabled - is there a terminal to draw it on? */
int log_status_enabled(void);

/* log_status_clear - erase the transient line, if shown */
void log_status_clear(void);

#endif
