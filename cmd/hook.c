/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	hook - run the after-change command
 * DESCRIPTION
 *	Usually "postfix reload", needed once after the map is first
 *	created (a process that opened a missing map keeps answering 451
 *	until it restarts) and harmless later.  The command runs without a
 *	shell, with stdin from /dev/null and an environment of PATH only:
 *	nothing of ours, least of all a secret, reaches it.  It cannot roll
 *	back a published map; its failure is reported.  It runs in its own
 *	process group: on timeout the whole group is stopped (SIGTERM, then
 *	SIGKILL), so no child of the hook outlives it.
 * OWNERSHIP
 *	None.
 * DIAGNOSTICS
 *	TEMP sync_err: exit status, signal, or timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hook.h"

#define KILL_GRACE 5

/* child - set up stdin and environment, then exec */
static void __attribute__((noreturn)) child(char *const *argv)
{
	static char *const env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	int fd = open("/dev/null", O_RDONLY);

	/* Ignored signals stay ignored across exec: give SIGPIPE back. */
	signal(SIGPIPE, SIG_DFL);
	/* Its own process group, so a timeout stops its children too. */
	(void)setpgid(0, 0);

	if (fd >= 0 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	execve(argv[0], argv, env);
	_exit(127);
}

/* wait_for - waitpid with a deadline; 1 when it ended in time */
static int
wait_for(pid_t pid, int seconds, int *status)
{
	struct timespec tick = {0, 50 * 1000 * 1000};

	for (long waited = 0; waited <= seconds * 20L; waited++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return 1;
		nanosleep(&tick, NULL);
	}
	return 0;
}

/* hook_run - fork, exec, wait */
int
hook_run(char *const *argv, int timeout, struct sync_err *err)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "cannot fork for %s: %s", argv[0],
				    strerror(errno));
	if (pid == 0)
		child(argv);
	(void)setpgid(pid, pid); /* also here: no race with the child */
	if (!wait_for(pid, timeout, &status)) {
		kill(-pid, SIGTERM);
		if (!wait_for(pid, KILL_GRACE, &status)) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		/* The hook is gone; stop whatever it left running. */
		kill(-pid, SIGKILL);
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "after_change hook %s took longer than "
				    "%d s and was stopped",
				    argv[0], timeout);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "after_change hook %s exited with status "
				    "%d%s",
				    argv[0], WEXITSTATUS(status),
				    WEXITSTATUS(status) == 127
					    ? " (cannot execute it?)"
					    : "");
	return sync_err_set(err, SYNC_ERR_TEMP,
			    "after_change hook %s was killed by signal %d",
			    argv[0],
			    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
