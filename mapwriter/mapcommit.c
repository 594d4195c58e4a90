/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	mapcommit - publish a new text table and map atomically
 * DESCRIPTION
 *	postmap(1) rewrites a .db in place (same inode, O_TRUNC): a failure
 *	half way leaves a broken table, and readers wait for the whole
 *	build.  Postfix's DATABASE_README recommends building aside and
 *	renaming.  The sequence here:
 *	  1. write TABLE.rcptsync-tmp.XXXXXX (mkstemp), fsync it;
 *	  2. build TABLE.rcptsync-tmp.XXXXXX.db (mapdb), fsync it: from
 *	     the set, or, when the caller lets the set go first (a
 *	     rebuild's memory, mapcommit.h), from the text of step 1;
 *	  3. rename the db into place, then the text, then fsync the
 *	     directory so that both renames are durable.
 *	A running smtpd notices the rename by itself: the inode it has open
 *	now has st_nlink == 0, so it logs "table ... has changed --
 *	restarting" before its next connection (dict_db.c, dict_open.c);
 *	no reload is needed.  The db goes first so that a crash between
 *	the renames leaves the text older than what it describes; the
 *	next run sees the text differ from the directory and rewrites both.
 *	When the directory went back meanwhile, the text agrees with it:
 *	then the identity of each file (mapcommit_files(), kept in the
 *	state file after the hook ran) shows the map is not ours.
 *	Temporary names all start with TABLE.rcptsync-tmp., so the next
 *	run can remove what a crash left behind.
 * OWNERSHIP
 *	Reads the set until the caller's release; every path it makes is
 *	freed before return.
 * DIAGNOSTICS
 *	OUTPUT errors naming the file and errno text.
 * SEE ALSO
 *	rename(2), fsync(2), Postfix DATABASE_README, postmap(1).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"
#include "maptext.h"
#include "mapcommit.h"
#include "maptype.h"
#include "fault.h"
#include "atomicfile.h"

#define TMP_TAG ATOMICFILE_TMP_TAG

/* concat - a freshly allocated A followed by B */
static char *
concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = xmalloc(la + lb + 1);

	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

/* table_mode - keep the permissions of the table we replace */
static mode_t
table_mode(const char *table)
{
	struct stat st;

	if (stat(table, &st) == 0)
		return st.st_mode & 07777;
	return 0644;
}

/* What the text table is written from. */
struct text_fill {
	const struct addrset *set;
	const char *header;
};

/* fill_table - atomicfile_fill_fn for the text table */
static int
fill_table(FILE *fp, const void *ctx, struct sync_err *err)
{
	const struct text_fill *f = ctx;

	return maptext_write_header(fp, f->set, f->header, err);
}

/*
 * refuse_link - PATH must not be a symbolic link: rename(2) over it would
 * replace the link, not its target, and the target (which main.cf may
 * name) would keep the old addresses forever
 */
static int
refuse_link(const char *path, struct sync_err *err)
{
	char target[512];
	ssize_t n;
	struct stat st;

	if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
		return 0;
	n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	return sync_err_set(err, SYNC_ERR_CONFIG,
			    "%s is a symbolic link (to %s): rcptsync replaces "
			    "the file by rename, which would break the link "
			    "and leave its target stale; name the target in "
			    "output.table (and in main.cf)",
			    path, target);
}

/* copy_bytes - the rest of IN into OUT: copy_file_range, else read/write */
static int
copy_bytes(int in, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n == 0)
		return 0;
	if (errno != ENOSYS && errno != EXDEV && errno != EINVAL &&
	    errno != EOPNOTSUPP)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		ssize_t w = write(out, buf, (size_t)n);

		if (w != n) {
			if (w >= 0)
				errno = EIO; /* short write: no errno of its own
					      */
			return -1;
		}
	}
	return n == 0 ? 0 : -1;
}

/* same_size - the two open files are as long as each other */
static int
same_size(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_size == sb.st_size;
}

/* copy_map - a private copy of the published map FROM, made at TO */
static int
copy_map(const char *from, const char *to, struct sync_err *err)
{
	int in, out, ret = -1;

	if ((in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return sync_err_set(err, SYNC_ERR_OUTPUT, "cannot open %s: %s",
				    from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		sync_err_set(err, SYNC_ERR_OUTPUT, "cannot create %s: %s", to,
			     strerror(errno));
	else if (copy_bytes(in, out) < 0)
		sync_err_set(err, SYNC_ERR_OUTPUT, "copying %s: %s", from,
			     strerror(errno));
	else if (!same_size(in, out))
		sync_err_set(err, SYNC_ERR_OUTPUT,
			     "copying %s: the copy is not the same size", from);
	else
		ret = 0;
	if (out >= 0 && close(out) < 0 && ret == 0)
		ret = sync_err_set(err, SYNC_ERR_OUTPUT, "closing %s: %s", to,
				   strerror(errno));
	close(in);
	if (ret < 0 && out >= 0)
		(void)unlink(to);
	return ret;
}

/*
 * make_map - the new map at DB_TMP: the published map DB_FINAL copied
 * and HOW's delta applied to it, when there is one and the type allows;
 * else (or when that fails: HOW->why says why) built from SET, or, when
 * HOW has a release, from TEXT (SET's text table) once SET is released
 */
static int
make_map(const char *db_final, const char *db_tmp, enum mapdb_type type,
	 const struct addrset *set, const char *text, struct mapcommit_how *how,
	 struct sync_err *err)
{
	const struct maptype *t = maptype_get(type);
	struct mapsrc src;

	if (how != NULL && how->delta != NULL && t->update != NULL) {
		if (copy_map(db_final, db_tmp, &how->why) == 0) {
			if (t->update(db_tmp, how->delta, &how->why) == 0) {
				how->updated = 1;
				return 0;
			}
			(void)unlink(db_tmp);
		}
	}
	mapsrc_of_set(&src, set);
	if (how != NULL && how->release != NULL) {
		src.set = NULL;
		src.text = text;
		how->release(how->release_arg);
		how->release = NULL;
	}
	return mapdb_build_from(db_tmp, type, &src, err);
}

/* mapcommit_publish - steps 1 to 3 */
int
mapcommit_publish(const char *table, enum mapdb_type type,
		  const struct addrset *set, struct mapcommit_how *how,
		  struct sync_err *err)
{
	const char *suffix = mapdb_suffix(type);
	char *tmp = concat(table, TMP_TAG "XXXXXX");
	char *db_tmp = NULL, *db_final = NULL, *dir = atomicfile_dir_of(table);
	mode_t mode = table_mode(table);
	struct text_fill fill = {set, how != NULL && how->header != NULL
					      ? how->header
					      : MAPTEXT_HEADER};
	int text_made = 0, db_made = 0;
	int ret = -1;

	if (refuse_link(table, err) < 0)
		goto out;
	if (suffix != NULL) {
		db_final = concat(table, suffix);
		if (refuse_link(db_final, err) < 0)
			goto out;
	}
	if (atomicfile_write_temp(tmp, mode, fill_table, &fill, err) < 0)
		goto out;
	text_made = 1;
	FAULT_POINT(MAPCOMMIT_STEP_TEXT_DONE);
	if (suffix != NULL) {
		db_tmp = concat(tmp, suffix);
		if (make_map(db_final, db_tmp, type, set, tmp, how, err) < 0)
			goto out;
		db_made = 1;
		FAULT_POINT(MAPCOMMIT_STEP_DB_DONE);
		if (chmod(db_tmp, mode) < 0) {
			sync_err_set(err, SYNC_ERR_OUTPUT, "chmod %s: %s",
				     db_tmp, strerror(errno));
			goto out;
		}
		if (atomicfile_rename(db_tmp, db_final, err) < 0)
			goto out;
		db_made = 0;
		FAULT_POINT(MAPCOMMIT_STEP_DB_RENAMED);
	}
	if (atomicfile_rename(tmp, table, err) < 0)
		goto out;
	text_made = 0;
	FAULT_POINT(MAPCOMMIT_STEP_TEXT_RENAMED);
	ret = atomicfile_fsync_dir(dir, err);
	FAULT_POINT(MAPCOMMIT_STEP_DIR_SYNCED);
out:
	if (db_made)
		(void)unlink(db_tmp);
	if (text_made)
		(void)unlink(tmp);
	free(tmp);
	free(db_tmp);
	free(db_final);
	free(dir);
	return ret;
}

/* mapcommit_db_stale - missing, or older than the text it indexes */
int
mapcommit_db_stale(const char *table, enum mapdb_type type)
{
	const char *suffix = mapdb_suffix(type);
	struct stat text_st, db_st;
	char *db_path;
	int stale;

	if (suffix == NULL)
		return 0;
	db_path = concat(table, suffix);
	if (stat(db_path, &db_st) < 0)
		stale = 1;
	else if (stat(table, &text_st) < 0)
		stale = 0;
	else
		stale = db_st.st_mtim.tv_sec < text_st.st_mtim.tv_sec ||
			(db_st.st_mtim.tv_sec == text_st.st_mtim.tv_sec &&
			 db_st.st_mtim.tv_nsec < text_st.st_mtim.tv_nsec);
	free(db_path);
	return stale;
}

/*
 * strip_library_tmp - NAME without the prefix a map library gives a map
 * it is still creating (Berkeley DB builds "__db.NAME" and renames it):
 * the tmp_prefix of the map types' rows
 */
static const char *
strip_library_tmp(const char *name)
{
	for (int t = 0; t < maptype_count(); t++) {
		const char *prefix = maptype_get(t)->tmp_prefix;

		if (prefix != NULL &&
		    strncmp(name, prefix, strlen(prefix)) == 0)
			return name + strlen(prefix);
	}
	return name;
}

/* is_leftover - NAME is one of our temporaries for table BASE */
static int
is_leftover(const char *name, const char *base)
{
	size_t lb = strlen(base);

	name = strip_library_tmp(name);
	if (strncmp(name, base, lb) != 0)
		return 0;
	/* the state's temp file, when the state is next to the table, and
	 * the seal's (cmd/unchanged.c) */
	if (strncmp(name + lb, ".rcptsync-state" TMP_TAG,
		    15 + strlen(TMP_TAG)) == 0 ||
	    strncmp(name + lb, ".rcptsync-seal" TMP_TAG,
		    14 + strlen(TMP_TAG)) == 0)
		return 1;
	/* the object caches' temp files: TABLE.rcptsync-cache[.N]TMP_TAG,
	 * and source.graph's TABLE.rcptsync-cache.graphTMP_TAG */
	if (strncmp(name + lb, ".rcptsync-cache", 15) == 0) {
		const char *p = name + lb + 15;

		if (p[0] == '.' && p[1] >= '0' && p[1] <= '9')
			p += 1 + strspn(p + 1, "0123456789");
		else if (strncmp(p, ".graph", 6) == 0)
			p += 6;
		return strncmp(p, TMP_TAG, strlen(TMP_TAG)) == 0;
	}
	return strncmp(name + lb, TMP_TAG, strlen(TMP_TAG)) == 0;
}

/* mapcommit_cleanup - remove what an interrupted run left */
int
mapcommit_cleanup(const char *table)
{
	char *dir = atomicfile_dir_of(table);
	char *copy = xstrdup(table);
	const char *base = basename(copy);
	DIR *dp = opendir(dir);
	struct dirent *de;
	int removed = 0;

	while (dp != NULL && (de = readdir(dp)) != NULL) {
		if (!is_leftover(de->d_name, base))
			continue;
		if (unlinkat(dirfd(dp), de->d_name, 0) == 0)
			removed++;
	}
	if (dp != NULL)
		closedir(dp);
	free(copy);
	free(dir);
	return removed;
}

/* mapcommit_ident_of - see mapcommit.h */
void
mapcommit_ident_of(const char *path, struct mapcommit_ident *id)
{
	struct stat st;
	int fd, rc;

	/* opened (O_PATH: no read, no wait on a FIFO) and then fstat()ed,
	 * not stat()ed: under valgrind a stat of /proc/self/exe names
	 * valgrind's own tool, an open the program it runs */
	memset(id, 0, sizeof(*id));
	if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0)
		return;
	rc = fstat(fd, &st);
	(void)close(fd);
	if (rc < 0)
		return;
	id->dev = (unsigned long long)st.st_dev;
	id->ino = (unsigned long long)st.st_ino;
	id->size = (unsigned long long)st.st_size;
	id->ctime_sec = (long long)st.st_ctim.tv_sec;
	id->ctime_nsec = (long)st.st_ctim.tv_nsec;
}

/* mapcommit_files - TABLE and its map now (the map all 0: type text) */
void
mapcommit_files(const char *table, enum mapdb_type type,
		struct mapcommit_files *now)
{
	const char *suffix = mapdb_suffix(type);
	char *path;

	memset(now, 0, sizeof(*now));
	now->known = 1;
	mapcommit_ident_of(table, &now->text);
	if (suffix != NULL) {
		path = concat(table, suffix);
		mapcommit_ident_of(path, &now->map);
		free(path);
	}
}

/* same_ident - field by field (the struct may hold padding) */
static int
same_ident(const struct mapcommit_ident *a, const struct mapcommit_ident *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec;
}

/* mapcommit_files_equal - both known, and the same two files */
int
mapcommit_files_equal(const struct mapcommit_files *a,
		      const struct mapcommit_files *b)
{
	return a->known && b->known && same_ident(&a->text, &b->text) &&
	       same_ident(&a->map, &b->map);
}

/*
 * mapcommit_replaced - are the files not the ones recorded as ours?  Each
 * file is compared with its own record, not with the other file: a hook
 * that runs chmod on the text and then on the map leaves the map changed
 * after the text, and that is ours (recorded after the hook).
 * XXX a write within the file system's timestamp granularity of our
 * record that keeps the size is not seen; postmap and cp take longer.
 */
int
mapcommit_replaced(const char *table, enum mapdb_type type,
		   const struct mapcommit_files *ours)
{
	struct mapcommit_files now;

	if (!ours->known)
		return 1; /* nothing recorded: rebuild once to know */
	mapcommit_files(table, type, &now);
	return !mapcommit_files_equal(&now, ours);
}
