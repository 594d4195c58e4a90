/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	atomicfile - replace a file so that readers see the old one or the
 *	new one, never a part
 * DESCRIPTION
 *	The sequence every rcptsync file goes through: a temporary file in
 *	the target's directory (so that rename(2) is atomic), written,
 *	flushed and fsynced; renamed over the target; the directory
 *	fsynced so that the rename survives a power cut.  mapcommit.c adds
 *	the map's own steps around the same helpers; the state file and
 *	the object caches use atomicfile_replace() as it is.
 * OWNERSHIP
 *	Paths made here are freed before return.
 * DIAGNOSTICS
 *	OUTPUT errors naming the file and errno text.
 * SEE ALSO
 *	rename(2), fsync(2), Postfix DATABASE_README.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"
#include "fault.h"
#include "atomicfile.h"

#define WRITE_BUFFER (1 << 20)

/* atomicfile_dir_of - dirname(3) without touching PATH */
char *
atomicfile_dir_of(const char *path)
{
	char *copy = xstrdup(path);
	char *dir = xstrdup(dirname(copy));

	free(copy);
	return dir;
}

/* atomicfile_fsync_dir - make renames in DIR durable */
int
atomicfile_fsync_dir(const char *dir, struct sync_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		return sync_err_set(err, SYNC_ERR_OUTPUT,
				    "fsync directory %s: %s", dir,
				    strerror(saved));
	}
	close(fd);
	return 0;
}

/* atomicfile_fsync_path - a writer closed the file; make it durable */
int
atomicfile_fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -1;
	if (fsync(fd) < 0)
		ret = -1;
	if (close(fd) < 0)
		ret = -1;
	return ret;
}

/* atomicfile_write_temp - a new file at TMPL filled by FILL */
int
atomicfile_write_temp(char *tmpl, mode_t mode, atomicfile_fill_fn fill,
		      const void *ctx, struct sync_err *err)
{
	int fd = mkostemp(tmpl, O_CLOEXEC);
	FILE *fp;
	int ret = 0;

	if (fd < 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT,
				    "cannot create %s: %s", tmpl,
				    strerror(errno));
	if (fchmod(fd, mode) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		sync_err_set(err, SYNC_ERR_OUTPUT, "cannot set up %s: %s", tmpl,
			     strerror(errno));
		close(fd);
		(void)unlink(tmpl);
		return -1;
	}
	setvbuf(fp, NULL, _IOFBF, WRITE_BUFFER);
	FAULT_POINT(MAPCOMMIT_STEP_TEMP_OPEN);
	if (fill(fp, ctx, err) < 0 || fflush(fp) != 0) {
		if (err->kind == SYNC_ERR_NONE || ferror(fp))
			sync_err_set(err, SYNC_ERR_OUTPUT, "writing %s: %s",
				     tmpl, strerror(errno));
		ret = -1;
	} else if (fsync(fd) < 0) {
		ret = sync_err_set(err, SYNC_ERR_OUTPUT, "fsync %s: %s", tmpl,
				   strerror(errno));
	}
	if (fclose(fp) != 0 && ret == 0)
		ret = sync_err_set(err, SYNC_ERR_OUTPUT, "closing %s: %s", tmpl,
				   strerror(errno));
	if (ret < 0)
		(void)unlink(tmpl);
	return ret;
}

/* atomicfile_rename - the one rename(2) */
int
atomicfile_rename(const char *tmp, const char *path, struct sync_err *err)
{
	if (rename(tmp, path) < 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT,
				    "cannot rename %s to %s: %s", tmp, path,
				    strerror(errno));
	return 0;
}

/* atomicfile_replace - one file, atomically */
int
atomicfile_replace(const char *path, const char *prefix, mode_t mode,
		   atomicfile_fill_fn fill, const void *ctx,
		   struct sync_err *err)
{
	size_t len = strlen(prefix) + sizeof(ATOMICFILE_TMP_TAG "XXXXXX");
	char *tmp = xmalloc(len);
	char *dir = atomicfile_dir_of(path);
	int ret = -1;

	snprintf(tmp, len, "%s" ATOMICFILE_TMP_TAG "XXXXXX", prefix);
	if (atomicfile_write_temp(tmp, mode, fill, ctx, err) < 0)
		goto out;
	if (atomicfile_rename(tmp, path, err) < 0) {
		(void)unlink(tmp);
		goto out;
	}
	ret = atomicfile_fsync_dir(dir, err);
out:
	free(tmp);
	free(dir);
	return ret;
}
