/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	state - the small file a sync leaves for the next run and "status"
 * DESCRIPTION
 *	Next to the table (default TABLE.rcptsync-state), one "name values"
 *	line each: when the last run ended and how, when the last run
 *	succeeded, the server used, the counts, the last error, the
 *	identity (device, inode, size, ctime) of each text and map it
 *	published, as the after_change hook left them (mapcommit.h), one
 *	"removal" line per
 *	address in its removal grace period, and one "verify_purge" line
 *	per added address whose verify-cache purge is still to do.  Plain text
 *	so an admin can read it; written atomically (atomicfile_replace()).
 *	Keys and values in it were validated before they were stored, but
 *	it is parsed strictly all the same.
 * OWNERSHIP
 *	struct sync_state owns its pending list; state_free() releases it.
 * DIAGNOSTICS
 *	DATA error with PATH:LINE for a malformed file; OUTPUT when it
 *	cannot be read or written.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "atomicfile.h"
#include "state.h"

/* Version 2 ends with an "end" line: a file cut at a line boundary is
 * caught; version 1 (no end line) is still read */
#define STATE_MAGIC "# rcptsync state 2"

/* state_set_message - printable copy */
void
state_set_message(struct sync_state *st, const char *msg)
{
	size_t i;

	for (i = 0; msg[i] != '\0' && i < sizeof(st->message) - 1; i++)
		st->message[i] =
			(msg[i] < 0x20 || msg[i] == 0x7f) ? '?' : msg[i];
	st->message[i] = '\0';
}

/* add_pending - append one entry (the file is written sorted) */
static void
add_pending(struct sync_state *st, const char *key, const char *value,
	    time_t since, unsigned long runs)
{
	st->pending = xreallocarray(st->pending, st->n_pending + 1,
				    sizeof(*st->pending));
	st->pending[st->n_pending].key = xstrdup(key);
	st->pending[st->n_pending].value = xstrdup(value);
	st->pending[st->n_pending].since = since;
	st->pending[st->n_pending].runs = runs;
	st->n_pending++;
}

/*
 * The parsers of the lines, one per keyword.  Each gets the rest of the
 * line after its keyword (a space first, when well-formed), sets what it
 * holds and returns 0, or returns -1 when it is malformed.
 */

/* parse_last_run - "last_run TIME EXIT" */
static int
parse_last_run(struct sync_state *st, const char *rest)
{
	long long a, b;
	int n = -1;

	if (sscanf(rest, " %lld %lld%n", &a, &b, &n) != 2 || rest[n] != '\0')
		return -1;
	st->last_run = (time_t)a;
	st->last_exit = (int)b;
	return 0;
}

/* parse_last_success - "last_success TIME" */
static int
parse_last_success(struct sync_state *st, const char *rest)
{
	long long a;
	int n = -1;

	if (sscanf(rest, " %lld%n", &a, &n) != 1 || rest[n] != '\0')
		return -1;
	st->last_success = (time_t)a;
	return 0;
}

/* parse_server - "server URI": the rest of the line, as a list of
 * directories is "URI, URI" */
static int
parse_server(struct sync_state *st, const char *rest)
{
	if (rest[0] != ' ' || rest[1] == '\0')
		return -1;
	snprintf(st->server, sizeof(st->server), "%s", rest + 1);
	return 0;
}

/* parse_counts - "counts RECIPIENTS ADDED REMOVED PENDING WRITTEN" */
static int
parse_counts(struct sync_state *st, const char *rest)
{
	int n = -1;

	if (sscanf(rest, " %zu %zu %zu %zu %d%n", &st->recipients, &st->added,
		   &st->removed, &st->pending_count, &st->written, &n) != 5 ||
	    rest[n] != '\0')
		return -1;
	return 0;
}

/* parse_files - "files TEXT-INODE MAP-INODE": the inodes alone, which an
 * older version recorded; read and left unknown (they say too little:
 * the next run rebuilds once and records the identities) */
static int
parse_files(struct sync_state *st, const char *rest)
{
	unsigned long long text_ino, map_ino;
	int n = -1;

	(void)st;
	if (sscanf(rest, " %llu %llu%n", &text_ino, &map_ino, &n) != 2 ||
	    rest[n] != '\0')
		return -1;
	return 0;
}

/* The files whose identity is recorded, by the name on their line. */
static const struct state_ident {
	const char *name;
	size_t files; /* offset of the struct mapcommit_files */
	int is_map;   /* its map, else its text */
} state_idents[] = {
	{"table", offsetof(struct sync_state, table_files), 0},
	{"table.map", offsetof(struct sync_state, table_files), 1},
	{"relay_domains", offsetof(struct sync_state, relay_files), 0},
	{"relay_domains.map", offsetof(struct sync_state, relay_files), 1},
};

#define STATE_N_IDENTS (sizeof(state_idents) / sizeof(state_idents[0]))

/* ident_slot - where the identity named by ROW lives in ST */
static struct mapcommit_ident *
ident_slot(struct sync_state *st, const struct state_ident *row)
{
	struct mapcommit_files *f =
		(struct mapcommit_files *)((char *)st + row->files);

	if (!row->is_map)
		f->known = 1; /* a table is known by its text's line */
	return row->is_map ? &f->map : &f->text;
}

/* parse_ident - "ident NAME DEV INO SIZE CTIME-SEC.NSEC" */
static int
parse_ident(struct sync_state *st, const char *rest)
{
	char name[32];
	struct mapcommit_ident id;
	int n = -1;

	if (sscanf(rest, " %31s %llu %llu %llu %lld.%9ld%n", name, &id.dev,
		   &id.ino, &id.size, &id.ctime_sec, &id.ctime_nsec, &n) != 6 ||
	    rest[n] != '\0' || id.ctime_nsec < 0)
		return -1;
	for (size_t i = 0; i < STATE_N_IDENTS; i++)
		if (strcmp(name, state_idents[i].name) == 0) {
			*ident_slot(st, &state_idents[i]) = id;
			return 0;
		}
	return -1;
}

/* parse_map_updates - "map_updates N" */
static int
parse_map_updates(struct sync_state *st, const char *rest)
{
	int n = -1;

	if (sscanf(rest, " %lu%n", &st->map_updates, &n) != 1 ||
	    rest[n] != '\0')
		return -1;
	return 0;
}

/* parse_message - "message TEXT" */
static int
parse_message(struct sync_state *st, const char *rest)
{
	if (rest[0] != ' ')
		return -1;
	state_set_message(st, rest + 1);
	return 0;
}

/* parse_hook_owed - "hook_owed SINCE FAILED-LAST" */
static int
parse_hook_owed(struct sync_state *st, const char *rest)
{
	long long a, b;
	int n = -1;

	if (sscanf(rest, " %lld %lld%n", &a, &b, &n) != 2 || rest[n] != '\0')
		return -1;
	st->hook_owed = (time_t)a;
	st->hook_failed_last = b != 0;
	return 0;
}

/* parse_verify_purge - "verify_purge ADDRESS" */
static int
parse_verify_purge(struct sync_state *st, const char *rest)
{
	char key[256];
	int n = -1;

	if (sscanf(rest, " %255s%n", key, &n) != 1 || rest[n] != '\0')
		return -1;
	state_add_verify_purge(st, key);
	return 0;
}

/* parse_removal - "removal KEY SINCE RUNS VALUE": the value last, whole,
 * as the table allows it (a space in "550 5.1.1 mailbox moved") */
static int
parse_removal(struct sync_state *st, const char *rest)
{
	char key[256];
	long long a;
	unsigned long runs;
	int n = -1;

	if (sscanf(rest, " %255s %lld %lu %n", key, &a, &runs, &n) != 3 ||
	    n <= 0 || rest[n] == '\0')
		return -1;
	add_pending(st, key, rest + n, (time_t)a, runs);
	return 0;
}

/* parse_pending - "pending KEY VALUE SINCE RUNS": the earlier form of
 * "removal", whose value could hold no space */
static int
parse_pending(struct sync_state *st, const char *rest)
{
	char key[256], value[256];
	long long a;
	unsigned long runs;
	int n = -1;

	if (sscanf(rest, " %255s %255s %lld %lu%n", key, value, &a, &runs,
		   &n) != 4 ||
	    rest[n] != '\0')
		return -1;
	add_pending(st, key, value, (time_t)a, runs);
	return 0;
}

/* Every line the file may hold, by keyword; no keyword is the start of
 * another, so a line has one parser at most. */
static const struct state_line {
	const char *key;
	int (*parse)(struct sync_state *st, const char *rest);
} state_lines[] = {
	{"last_run", parse_last_run},
	{"last_success", parse_last_success},
	{"server", parse_server},
	{"counts", parse_counts},
	{"files", parse_files},
	{"ident", parse_ident},
	{"message", parse_message},
	{"hook_owed", parse_hook_owed},
	{"verify_purge", parse_verify_purge},
	{"removal", parse_removal},
	{"pending", parse_pending},
	{"map_updates", parse_map_updates},
};

/* parse_line - one line, by its keyword's parser; 0 or -1 */
static int
parse_line(struct sync_state *st, char *line)
{
	for (size_t i = 0; i < sizeof(state_lines) / sizeof(state_lines[0]);
	     i++) {
		size_t len = strlen(state_lines[i].key);

		if (strncmp(line, state_lines[i].key, len) == 0)
			return state_lines[i].parse(st, line + len);
	}
	return -1;
}

/* state_load - strict line parser */
int
state_load(const char *path, struct sync_state *st, int *exists,
	   struct sync_err *err)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned long lineno = 0;
	int ret = 0, v2 = 0, ended = 0;

	memset(st, 0, sizeof(*st));
	*exists = 0;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return sync_err_set(err, SYNC_ERR_OUTPUT,
				    "cannot open state file %s: %s", path,
				    strerror(errno));
	}
	*exists = 1;
	while ((got = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (got > 0 && line[got - 1] == '\n')
			line[got - 1] = '\0';
		if (strcmp(line, STATE_MAGIC) == 0)
			v2 = 1;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (ended || strcmp(line, "end") == 0) {
			if (!ended++)
				continue;
		}
		if (ended || parse_line(st, line) < 0) {
			ret = sync_err_set(
				err, SYNC_ERR_DATA,
				"%s:%lu: malformed state line (remove "
				"the file to start afresh)",
				path, lineno);
			break;
		}
	}
	free(line);
	fclose(fp);
	if (ret == 0 && v2 && !ended)
		ret = sync_err_set(err, SYNC_ERR_DATA,
				   "%s: cut short (no end line; remove the "
				   "file to start afresh)",
				   path);
	return ret;
}

/* write_idents - an "ident" line per file of each table known */
static void
write_idents(FILE *fp, const struct sync_state *st)
{
	for (size_t i = 0; i < STATE_N_IDENTS; i++) {
		const struct state_ident *row = &state_idents[i];
		const struct mapcommit_files *f =
			(const struct mapcommit_files *)((const char *)st +
							 row->files);
		const struct mapcommit_ident *id =
			row->is_map ? &f->map : &f->text;

		if (f->known)
			fprintf(fp, "ident %s %llu %llu %llu %lld.%09ld\n",
				row->name, id->dev, id->ino, id->size,
				id->ctime_sec, id->ctime_nsec);
	}
}

/* fill_state - atomicfile_fill_fn */
static int
fill_state(FILE *fp, const void *ctx, struct sync_err *err)
{
	const struct sync_state *st = ctx;

	(void)err;
	fprintf(fp, "%s\n", STATE_MAGIC);
	fprintf(fp, "last_run %lld %d\n", (long long)st->last_run,
		st->last_exit);
	fprintf(fp, "last_success %lld\n", (long long)st->last_success);
	if (st->server[0] != '\0')
		fprintf(fp, "server %s\n", st->server);
	fprintf(fp, "counts %zu %zu %zu %zu %d\n", st->recipients, st->added,
		st->removed, st->pending_count, st->written);
	write_idents(fp, st);
	if (st->map_updates != 0)
		fprintf(fp, "map_updates %lu\n", st->map_updates);
	if (st->message[0] != '\0')
		fprintf(fp, "message %s\n", st->message);
	for (size_t i = 0; i < st->n_pending; i++)
		fprintf(fp, "removal %s %lld %lu %s\n", st->pending[i].key,
			(long long)st->pending[i].since, st->pending[i].runs,
			st->pending[i].value);
	for (size_t i = 0; i < st->n_verify_purge; i++)
		fprintf(fp, "verify_purge %s\n", st->verify_purge[i]);
	if (st->hook_owed != 0)
		fprintf(fp, "hook_owed %lld %d\n", (long long)st->hook_owed,
			st->hook_failed_last);
	fputs("end\n", fp);
	return ferror(fp) ? -1 : 0;
}

/* state_save - atomically */
int
state_save(const char *path, const struct sync_state *st, struct sync_err *err)
{
	/* the temporary file beside PATH: "state" may be on another file
	 * system than the table (rename(2) does not cross them) */
	return atomicfile_replace(path, path, 0644, fill_state, st, err);
}

/* state_add_verify_purge - append a copy */
void
state_add_verify_purge(struct sync_state *st, const char *address)
{
	st->verify_purge =
		xreallocarray(st->verify_purge, st->n_verify_purge + 1,
			      sizeof(*st->verify_purge));
	st->verify_purge[st->n_verify_purge++] = xstrdup(address);
}

/* state_clear_verify_purge - free the list */
void
state_clear_verify_purge(struct sync_state *st)
{
	for (size_t i = 0; i < st->n_verify_purge; i++)
		free(st->verify_purge[i]);
	free(st->verify_purge);
	st->verify_purge = NULL;
	st->n_verify_purge = 0;
}

/* state_free_pending - release the grace-period list only */
void
state_free_pending(struct sync_state *st)
{
	for (size_t i = 0; i < st->n_pending; i++) {
		free(st->pending[i].key);
		free(st->pending[i].value);
	}
	free(st->pending);
	st->pending = NULL;
	st->n_pending = 0;
}

/* state_free - release both lists */
void
state_free(struct sync_state *st)
{
	state_free_pending(st);
	state_clear_verify_purge(st);
}
