/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fault - deterministic crash points for tests (see fault.h)
 * DESCRIPTION
 *	Counts every FAULT_POINT() reached in this process; when the count
 *	equals RCPTSYNC_CRASH_AT, raises SIGKILL (no cleanup, no atexit, no
 *	buffered output), so the test sees what a real crash leaves.
 *	Test switches (fault_switch) read RCPTSYNC_FAULT_<NAME>.
 *	Compiled only with -Dfault_injection=true.
 */
#include <signal.h>
#include <stdio.h>
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

/* fault_switch - is the test switch RCPTSYNC_FAULT_<NAME> on? */
int
fault_switch(const char *name)
{
	char var[64];
	const char *v;

	snprintf(var, sizeof(var), "RCPTSYNC_FAULT_%s", name);
	v = getenv(var);
	return v != NULL && *v != '\0';
}
#endif
