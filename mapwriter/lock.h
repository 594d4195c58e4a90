/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_LOCK_H
#define RCPTSYNC_LOCK_H

#include "syncerr.h"

/*
 * lock_acquire - take an exclusive flock(2) on PATH (created 0600 if
 *	missing) without waiting.  Returns the descriptor to keep open for
 *	the run, or -1: TEMP error when another run holds it, OUTPUT error
 *	when the file cannot be opened.  Release with lock_release().
 */
int lock_acquire(const char *path, struct sync_err *err)
	__attribute__((warn_unused_result));

/* lock_release - drop the lock (closing the descriptor); -1 is ignored */
void lock_release(int fd);

#endif
