/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	lock - one sync at a time
 * DESCRIPTION
 *	Two overlapping runs (a slow cron run and a manual one) must never
 *	interleave their renames.  flock(2) on a lock file is released by
 *	the kernel when the process dies, so a crash never leaves a stale
 *	lock behind.  The second run does not wait: it fails at once and
 *	the next scheduled run picks up.
 * OWNERSHIP
 *	The caller keeps the returned descriptor for the run.
 * DIAGNOSTICS
 *	TEMP when held by another run, OUTPUT when the file cannot be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lock.h"

/* lock_acquire - open and flock, never block */
int
lock_acquire(const char *path, struct sync_err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT,
				    "cannot open lock file %s: %s", path,
				    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int saved = errno;

		close(fd);
		if (saved == EWOULDBLOCK)
			return sync_err_set(err, SYNC_ERR_TEMP,
					    "another rcptsync run holds the "
					    "lock %s",
					    path);
		return sync_err_set(err, SYNC_ERR_OUTPUT, "cannot lock %s: %s",
				    path, strerror(saved));
	}
	return fd;
}

/* lock_release - closing drops the flock */
void
lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
