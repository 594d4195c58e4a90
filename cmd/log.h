/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_LOG_H
#define RCPTSYNC_LOG_H

enum log_level {
	LOG_LEVEL_QUIET = -1,  /* -q: warnings and errors only */
	LOG_LEVEL_NORMAL = 0,  /* summary lines */
	LOG_LEVEL_VERBOSE = 1, /* -v: stages, servers, timings */
};

/* log_init - set the level for this run */
void log_init(int level);

/* log_error, log_warn, log_info, log_debug - one line each on stderr */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
