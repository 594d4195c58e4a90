/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_FAULT_H
#define RCPTSYNC_FAULT_H

/*
 * Crash points for the test suite's crash-consistency proof.  Built only
 * with "meson -Dfault_injection=true": then RCPTSYNC_CRASH_AT=N makes the
 * process kill itself with SIGKILL when it reaches step N, exactly as a
 * power cut or the OOM killer would.  In normal builds FAULT_POINT() is
 * empty and the variable is ignored.
 */
enum mapcommit_step {
	MAPCOMMIT_STEP_TEMP_OPEN = 1, /* text temp created, empty */
	MAPCOMMIT_STEP_TEXT_DONE,     /* text temp written and fsynced */
	MAPCOMMIT_STEP_DB_DONE,	      /* db temp built and fsynced */
	MAPCOMMIT_STEP_DB_RENAMED,    /* new db in place, old text */
	MAPCOMMIT_STEP_TEXT_RENAMED,  /* both in place, dir not fsynced */
	MAPCOMMIT_STEP_DIR_SYNCED,    /* published */
	MAPCOMMIT_STEP_COUNT = MAPCOMMIT_STEP_DIR_SYNCED,
};

/*
 * An incremental pull's own points (ldapsync/incremental.c), reached
 * before and after the table's: the N in RCPTSYNC_CRASH_AT counts every
 * point the run passes, in the order it passes them (the new cache's
 * temporary file is made by atomicfile_write_temp, which passes
 * MAPCOMMIT_STEP_TEMP_OPEN first).
 */
enum incremental_step {
	INCREMENTAL_STEP_STREAMING = MAPCOMMIT_STEP_COUNT + 1, /* the new
						 cache's first object written,
						 the spill open */
	INCREMENTAL_STEP_CACHE_RENAMED, /* the new cache in place, its
					   directory not fsynced */
};

/*
 * Test switches, in the same builds only: FAULT_SWITCH("NAME") is true when
 * the environment variable RCPTSYNC_FAULT_NAME is set and non-empty; in
 * normal builds it is the constant 0.  They let a test make rcptsync do
 * what it never does (a bind without channel binding, a simple bind over
 * plain ldap://), to show what a DC does with it.
 */
#define FAULT_SWITCH_NO_CBINDING "NO_CBINDING"
#define FAULT_SWITCH_PLAIN_SIMPLE "PLAIN_SIMPLE"
/* every name one fingerprint in the repeat guard (ldapsync/seen.c) */
#define FAULT_SWITCH_SEEN_COLLIDE "SEEN_COLLIDE"
/* the probe of an unchanged run sees the USN where the cache left it
 * (ldapsync/incremental.c incremental_unmoved), so that what else it
 * checks (the accepted domains, cmd/unchanged.c) is seen to decide */
#define FAULT_SWITCH_USN_STILL "USN_STILL"

#ifdef RCPTSYNC_FAULT_INJECTION
/* fault_point - SIGKILL ourselves if RCPTSYNC_CRASH_AT names STEP */
void fault_point(int step);
#define FAULT_POINT(step) fault_point(step)
/* fault_switch - 1 if RCPTSYNC_FAULT_<NAME> is set and not empty */
int fault_switch(const char *name);
#define FAULT_SWITCH(name) fault_switch(name)
#else
#define FAULT_POINT(step) ((void)0)
#define FAULT_SWITCH(name) 0
#endif

#endif
