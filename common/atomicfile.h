/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_ATOMICFILE_H
#define RCPTSYNC_ATOMICFILE_H

#include <stdio.h>
#include <sys/types.h>

#include "syncerr.h"

/*
 * Every temporary file rcptsync makes carries this tag after the name of
 * the table it belongs to (TABLE.rcptsync-tmp.XXXXXX, and for a file
 * kept next to it, TABLE.SUFFIX.rcptsync-tmp.XXXXXX), so that the next
 * run finds what a crash left (mapcommit_cleanup).
 */
#define ATOMICFILE_TMP_TAG ".rcptsync-tmp."

/* Fills a temporary file; returns 0, or -1 with ERR set. */
typedef int (*atomicfile_fill_fn)(FILE *fp, const void *ctx,
				  struct sync_err *err);

/*
 * atomicfile_write_temp - create the file TMPL (a mkstemp template,
 *	rewritten in place) with MODE, fill it with FILL, flush and fsync
 *	it.  Returns 0, or -1 with an OUTPUT error (FILL's own error kept)
 *	and the file removed.
 */
int atomicfile_write_temp(char *tmpl, mode_t mode, atomicfile_fill_fn fill,
			  const void *ctx, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * atomicfile_replace - write PATH atomically: a temporary file PREFIX
 *	ATOMICFILE_TMP_TAG XXXXXX (PREFIX must be in PATH's directory:
 *	rename(2) does not cross file systems), filled by FILL, fsynced,
 *	renamed over PATH, the directory fsynced.  Returns 0, or -1 with an
 *	OUTPUT error: PATH untouched when it failed before the rename; when
 *	only the directory's fsync failed, PATH is the new file already,
 *	and may not survive a power cut.  The one
 *	way rcptsync replaces a file: the table (mapcommit), the state
 *	file, and the object caches.
 */
int atomicfile_replace(const char *path, const char *prefix, mode_t mode,
		       atomicfile_fill_fn fill, const void *ctx,
		       struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * atomicfile_rename - put the finished temporary file TMP in place as
 *	PATH (same directory), the one rename(2) in rcptsync.  Returns 0, or
 *	-1 with an OUTPUT error and TMP still there.  Durable only once the
 *	directory is fsynced (atomicfile_fsync_dir): a caller that renames
 *	two files (mapcommit: the map, then the text) syncs it once after.
 */
int atomicfile_rename(const char *tmp, const char *path, struct sync_err *err)
	__attribute__((warn_unused_result));

/* atomicfile_fsync_dir - make the renames in DIR durable; 0 or -1 */
int atomicfile_fsync_dir(const char *dir, struct sync_err *err)
	__attribute__((warn_unused_result));

/* atomicfile_fsync_path - fsync a closed file by name; 0 or -1 (errno) */
int atomicfile_fsync_path(const char *path);

/* atomicfile_dir_of - the directory holding PATH; the caller frees it */
char *atomicfile_dir_of(const char *path);

#endif
