/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	config_paths - no two keys of sync.yaml name one file
 * DESCRIPTION
 *	The files rcptsync writes (the table and its map, relay_domains and
 *	its map, the state, the lock, the metrics textfile, the verify
 *	cache's map) must each be a file of their own, and none may be a
 *	file it reads (extra, source.ldif): a domains table written over
 *	the recipient table loses mail.  Two paths name one file when their
 *	directories are one directory and their last names are equal, or
 *	when both exist and are one inode (a hard link).  A directory is
 *	known by its identity (st_dev, st_ino): "out/t", "./out/t" and
 *	"link-to-out/t" are one file.  A directory that does not exist yet
 *	is known by its normalised name: the real path of its nearest
 *	existing ancestor followed by the rest, "." and "//" dropped.
 *	Files derived from a key are checked too: TABLE + the map type's
 *	suffix (t.db, t.lmdb, t.cdb) for output.table and relay_domains,
 *	and the defaults (state: TABLE.rcptsync-state, lock).
 * OWNERSHIP
 *	Reads struct sync_conf; allocates nothing that outlives a call.
 * DIAGNOSTICS
 *	CONFIG sync_err at the later key, naming the other with its
 *	FILE:LINE:COLUMN (or saying it is a default).
 * SEE ALSO
 *	config.c, maptype.h, stat(2), realpath(3).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "xalloc.h"
#include "maptype.h"
#include "proxyaddr.h"
#include "config.h"
#include "config_impl.h"

/* One file a key names: the key's path or a file derived from it. */
struct conf_file {
	const char *key;       /* "output.table" */
	const char *what;      /* "" or "'s map" */
	char *path;	       /* owned */
	const yaml_node_t *at; /* the key's node; NULL: a default */
	int writes;	       /* rcptsync writes it (else only reads) */
	int dir_found, file_found;
	dev_t dir_dev, file_dev;
	ino_t dir_ino, file_ino;
	char *dir_name;	  /* normalised; owned */
	const char *name; /* the last name, in path */
};

/* One key of sync.yaml that names a file, and the map type it has. */
struct conf_path_key {
	const char *key;
	const char *path;
	const yaml_node_t *at;
	int writes;
	int map_type; /* its map is PATH + this type's suffix; -1: none */
	int map_only; /* only the map is a file (verify_cache) */
};

#define MAX_FILES 32

/* canon_dir - DIR's real path, or its nearest existing ancestor's + rest */
static char *
canon_dir(const char *dir)
{
	char real[PATH_MAX], *copy, *slash, *base, *out;
	size_t n;

	if (realpath(dir, real) != NULL)
		return xstrdup(real);
	copy = xstrdup(dir);
	while ((n = strlen(copy)) > 1 && copy[n - 1] == '/')
		copy[n - 1] = '\0';
	if ((slash = strrchr(copy, '/')) == NULL || slash == copy) {
		/* "/x" with no /x: the root is there, x is not */
		out = xstrdup(copy);
		free(copy);
		return out;
	}
	*slash = '\0';
	base = canon_dir(copy);
	if (strcmp(slash + 1, ".") == 0 || slash[1] == '\0') {
		free(copy);
		return base;
	}
	n = strlen(base) + strlen(slash + 1) + 2;
	out = xmalloc(n);
	snprintf(out, n, "%s%s%s", base,
		 base[strlen(base) - 1] == '/' ? "" : "/", slash + 1);
	free(base);
	free(copy);
	return out;
}

/* file_identify - F's directory and file identity from F->path */
static void
file_identify(struct conf_file *f)
{
	char *dir = xstrdup(f->path), *slash;
	struct stat st;

	/* get_path() made every path absolute: there is a '/' */
	slash = strrchr(dir, '/');
	f->name = f->path + (slash - dir) + 1;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	f->dir_name = canon_dir(dir);
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		f->dir_found = 1;
		f->dir_dev = st.st_dev;
		f->dir_ino = st.st_ino;
	}
	if (stat(f->path, &st) == 0 && S_ISREG(st.st_mode)) {
		f->file_found = 1;
		f->file_dev = st.st_dev;
		f->file_ino = st.st_ino;
	}
	free(dir);
}

/* same_file - whether A and B name one file */
static int
same_file(const struct conf_file *a, const struct conf_file *b)
{
	if (a->file_found && b->file_found && a->file_dev == b->file_dev &&
	    a->file_ino == b->file_ino)
		return 1;
	if (strcmp(a->name, b->name) != 0)
		return 0;
	if (a->dir_found && b->dir_found)
		return a->dir_dev == b->dir_dev && a->dir_ino == b->dir_ino;
	return strcmp(a->dir_name, b->dir_name) == 0;
}

/* add_file - one file of KEY: PATH + SUFFIX */
static void
add_file(struct conf_file *files, size_t *n, const struct conf_path_key *k,
	 const char *suffix)
{
	struct conf_file *f = &files[*n];
	size_t len = strlen(k->path) + strlen(suffix) + 1;

	if (*n >= MAX_FILES)
		panic("config_paths: more than %d files", MAX_FILES);
	memset(f, 0, sizeof(*f));
	f->key = k->key;
	f->what = *suffix != '\0' ? "'s map" : "";
	f->path = xmalloc(len);
	snprintf(f->path, len, "%s%s", k->path, suffix);
	f->at = k->at;
	f->writes = k->writes;
	file_identify(f);
	(*n)++;
}

/* refuse - the CONFIG error for LATER and EARLIER, one file */
static int
refuse(struct walker *w, const struct conf_file *later,
       const struct conf_file *earlier)
{
	char where[PATH_MAX + 64], shown[256];
	const struct conf_file *at = later, *other = earlier;

	if (at->at == NULL) { /* a default has no place of its own */
		at = earlier;
		other = later;
	}
	if (other->at != NULL)
		snprintf(where, sizeof(where), "%s:%zu:%zu", w->path,
			 other->at->start_mark.line + 1,
			 other->at->start_mark.column + 1);
	else
		snprintf(where, sizeof(where), "not set: the default");
	proxyaddr_escape(at->path, strlen(at->path), shown, sizeof(shown));
	return fail_at(w, at->at,
		       "%s%s must not be %s%s (%s): both are the file %s; "
		       "give each its own file",
		       at->key, at->what, other->key, other->what, where,
		       shown);
}

/* config_check_paths - no two keys' files are one (see the contract) */
int
config_check_paths(struct walker *w, const struct sync_conf *c)
{
	const struct conf_path_key keys[] = {
		{"output.table", c->table, w->at.table, 1, c->type, 0},
		{"output.relay_domains", c->relay_domains, w->at.relay_domains,
		 1, c->type, 0},
		{"state", c->state, w->at.state, 1, -1, 0},
		{"lock", c->lock, w->at.lock, 1, -1, 0},
		{"extra", c->extra, w->at.extra, 0, -1, 0},
		{"metrics.textfile", c->metrics_textfile, w->at.metrics, 1, -1,
		 0},
		{"verify_cache.path", c->verify_cache, w->at.verify_cache, 1,
		 c->verify_cache_type, 1},
		{"source.ldif", c->ldif, w->at.ldif, 0, -1, 0},
	};
	struct conf_file files[MAX_FILES];
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct conf_path_key *k = &keys[i];
		const char *suffix = k->map_type >= 0
					     ? maptype_get(k->map_type)->suffix
					     : NULL;

		if (k->path == NULL)
			continue;
		if (!k->map_only)
			add_file(files, &n, k, "");
		if (suffix != NULL)
			add_file(files, &n, k, suffix);
	}
	for (size_t j = 1; j < n && rc == 0; j++)
		for (size_t i = 0; i < j && rc == 0; i++)
			/* one key's own files differ by construction */
			if (files[i].key != files[j].key &&
			    (files[i].writes || files[j].writes) &&
			    (files[i].at != NULL || files[j].at != NULL) &&
			    same_file(&files[i], &files[j]))
				rc = refuse(w, &files[j], &files[i]);
	for (size_t i = 0; i < n; i++) {
		free(files[i].path);
		free(files[i].dir_name);
	}
	return rc;
}
