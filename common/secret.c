/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	secret - read a bind password from a file with safe permissions
 * DESCRIPTION
 *	The password never comes from the command line or the environment
 *	(both visible in /proc).  The file must be ours or root's and
 *	closed to group and others, as ssh insists for private keys.  An
 *	empty password is refused: LDAP treats a simple bind with a DN and
 *	an empty password as an unauthenticated bind (RFC 4513 5.1.2), which
 *	would "succeed" and then read whatever anonymous may read.
 *	"credential:NAME" reads systemd's credential NAME, which the unit
 *	passes with LoadCredential= (a private, unswappable copy that only
 *	this service can read) from $CREDENTIALS_DIRECTORY.
 * OWNERSHIP
 *	secret_read() returns memory the caller wipes with secret_free().
 * DIAGNOSTICS
 *	AUTH errors naming the file and the fix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"
#include "secret.h"

#define SECRET_MAX 4096

/* Whether we were dumpable before a secret came into memory. */
static int was_dumpable = -1;

/* check_file - regular, ours or root's (any, when we are root), no group or
 * other bits */
static int
check_file(int fd, const char *path, struct sync_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return sync_err_set(err, SYNC_ERR_AUTH, "cannot stat %s: %s",
				    path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return sync_err_set(err, SYNC_ERR_AUTH,
				    "secret file %s is not a regular file",
				    path);
	/* root may read it whoever owns it: the unit's user owns it, and
	 * an admin runs "check" as root */
	if (st.st_uid != geteuid() && st.st_uid != 0 && geteuid() != 0)
		return sync_err_set(err, SYNC_ERR_AUTH,
				    "secret file %s is owned by uid %u, not by "
				    "us (uid %u) or root",
				    path, (unsigned)st.st_uid,
				    (unsigned)geteuid());
	if (st.st_mode & 077)
		return sync_err_set(err, SYNC_ERR_AUTH,
				    "secret file %s has mode %04o: group and "
				    "others must have no access (chmod 600)",
				    path, (unsigned)(st.st_mode & 07777));
	return 0;
}

/*
 * open_secret - open PATH without waiting and without following a final
 * symlink: a FIFO (or a device) would block the run with the lock held
 * until someone writes to it; check_file then refuses what is not a
 * regular file
 */
static int
open_secret(const char *path)
{
	return open(path,
		    O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
}

/* resolve - a plain path, or the credential's file under systemd */
static const char *
resolve(const char *spec, char *buf, size_t size, struct sync_err *err)
{
	const char *dir;

	if (strncmp(spec, SECRET_CREDENTIAL, strlen(SECRET_CREDENTIAL)) != 0)
		return spec;
	if ((dir = getenv("CREDENTIALS_DIRECTORY")) == NULL || *dir != '/') {
		sync_err_set(err, SYNC_ERR_AUTH,
			     "%s: CREDENTIALS_DIRECTORY is not "
			     "set (run under systemd with LoadCredential=%s:"
			     "FILE)",
			     spec, spec + strlen(SECRET_CREDENTIAL));
		return NULL;
	}
	if ((size_t)snprintf(buf, size, "%s/%s", dir,
			     spec + strlen(SECRET_CREDENTIAL)) >= size) {
		sync_err_set(err, SYNC_ERR_AUTH, "credential path too long");
		return NULL;
	}
	return buf;
}

/* secret_check_path - the checks, for a file another library reads */
int
secret_check_path(const char *spec, char *path, size_t size,
		  struct sync_err *err)
{
	const char *resolved = resolve(spec, path, size, err);
	int fd, ret;

	if (resolved == NULL)
		return -1;
	if (resolved != path &&
	    (size_t)snprintf(path, size, "%s", resolved) >= size)
		return sync_err_set(err, SYNC_ERR_AUTH, "path too long: %s",
				    resolved);
	if ((fd = open_secret(path)) < 0)
		return sync_err_set(err, SYNC_ERR_AUTH,
				    "cannot open secret file %s: %s", path,
				    strerror(errno));
	ret = check_file(fd, path, err);
	close(fd);
	return ret;
}

/* secret_read - the checks, then the bytes */
int
secret_read(const char *spec, char **out, size_t *len, struct sync_err *err)
{
	char pathbuf[4096];
	const char *path = resolve(spec, pathbuf, sizeof(pathbuf), err);
	int fd = path ? open_secret(path) : -1;
	char *buf = NULL;
	ssize_t got;
	size_t n = 0;

	if (path == NULL)
		return -1;
	if (fd < 0)
		return sync_err_set(err, SYNC_ERR_AUTH,
				    "cannot open secret file %s: %s", path,
				    strerror(errno));
	if (check_file(fd, path, err) < 0)
		goto fail;
	/* No core dump may hold the password while it is in memory. */
	was_dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	buf = xmalloc(SECRET_MAX + 1);
	while ((got = read(fd, buf + n, SECRET_MAX - n)) > 0)
		n += (size_t)got;
	if (got < 0) {
		sync_err_set(err, SYNC_ERR_AUTH, "reading %s: %s", path,
			     strerror(errno));
		goto fail;
	}
	if (n == SECRET_MAX) {
		sync_err_set(err, SYNC_ERR_AUTH, "secret file %s is too large",
			     path);
		goto fail;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (n == 0 || memchr(buf, '\0', n) != NULL) {
		sync_err_set(err, SYNC_ERR_AUTH,
			     "secret file %s is empty or holds a NUL byte "
			     "(an empty password would bind anonymously)",
			     path);
		goto fail;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
fail:
	secret_free(buf, n);
	close(fd);
	return -1;
}

/* secret_free - wipe before free so the password does not linger */
void
secret_free(char *secret, size_t len)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, len + 1);
	free(secret);
	if (was_dumpable > 0)
		(void)prctl(PR_SET_DUMPABLE, was_dumpable, 0, 0, 0);
	was_dumpable = -1;
}
