/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fault - deterministic crash points for tests (see fault.h)
 * DESCRIPTION
 *	Counts every FAULT_POINT() reached in this process; when the count
 *	equals RCPTSYNC_CRASH_AT, raises SIGKILL (no cleanup, no atexit, no
 *	buffered output), so the test sees what a real crash leaves.
 *	Compiled only with -Dfault_injection=true.
 */
#include <signal.h>
#include <stdlib.h>

#include "fault.h"

#ifdef RCPTSYNC_FAULT_INJECTION
/* fault_point - die here if asked to */
void
fault_point(int step)
{
	static int reached;
	const char *at = getenv("RCPTSYNC_CRASH_AT");

	reached++;
	(void)step;
	if (at != NULL && atoi(at) == reached)
		raise(SIGKILL);
}
#endif
