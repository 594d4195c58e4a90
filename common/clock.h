/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_CLOCK_H
#define RCPTSYNC_CLOCK_H

#include <time.h>

/* clock_seconds - CLOCK_MONOTONIC (intervals) or CLOCK_PROCESS_CPUTIME_ID
 *	(CPU used) as seconds, for -v stage timings and the progress line */
static inline double
clock_seconds(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
