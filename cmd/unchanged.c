/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	unchanged - a sync that finds nothing moved trusts the table it made
 * DESCRIPTION
 *	An incremental pull whose directories did not move rebuilds the
 *	table from every cached value, only to find it equal to the one
 *	published: at a million objects that is most of a no-change run
 *	(bench/README.md, "The incremental path at 1M").  This module lets
 *	such a run skip the rebuild, and only when nothing the table was
 *	built from can differ (doc/design.md, "Trusting an unchanged run").
 *
 *	After every accepted sync (its tables published or found
 *	unchanged, its caches saved, its state recorded) sync.c seals it:
 *	the seal, TABLE.rcptsync-seal, holds a SHA-256 of each part below,
 *	everything the table depends on besides the directory, and the
 *	run's counts.  A later sync trusts the table, and skips reading the
 *	caches, only when, cheapest first:
 *	  - it is a plain sync (sync.c: not --force, not --approve);
 *	  - the seal reads, and fewer than SEAL_RUNS_MAX runs trusted it;
 *	  - the state owes nothing: no address in its removal grace period
 *	    (its clock and run count move when the directory does not), no
 *	    hook, no verify-cache purge; the last run succeeded;
 *	  - each table's text and map are the files the state records as
 *	    published by rcptsync, and the map is not older than its text;
 *	  - every part is as sealed: this program, the configuration's
 *	    bytes, the extra file, each directory's cache file, each
 *	    published file (its identity: a file rewritten, replaced or
 *	    touched is another).  A run seals what it saw before it used
 *	    the file (unchanged_look: the extra file before it was read,
 *	    each table before it was compared) or right after it wrote it
 *	    (unchanged_published, before the hook), never what the file
 *	    became later: an edit in between makes the next run rebuild;
 *	  - every directory is where its cache's pull began
 *	    (collect_unmoved: the same DC, invocationId and USN, the test
 *	    an incremental pull makes to search nothing), and under domains:
 *	    exchange, the accepted domains read now are the sealed ones.
 *	A rebuild would then read the same caches with the same rules and
 *	compare the result with the same files: no change.  The
 *	differential test holds this against full pulls over seeded random
 *	sequences of changes and faults (tests/integration/differential.py).
 *	A sync that does not trust the seal removes it before it fetches,
 *	and only a sync that ends accepted writes one again; one that
 *	trusted it rewrites it with one more run, so that after
 *	SEAL_RUNS_MAX the table is rebuilt from the caches anyway.
 * OWNERSHIP
 *	Nothing is kept between calls.
 * DIAGNOSTICS
 *	A seal that is missing, unreadable or not matching is a reason to
 *	rebuild (debug log), never an error; one that cannot be written or
 *	removed is a warning.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "xalloc.h"
#include "log.h"
#include "atomicfile.h"
#include "cachefile.h"
#include "mapcommit.h"
#include "pubtable.h"
#include "unchanged.h"

#define SEAL_MAGIC "# rcptsync seal 1"

/* Runs that may trust one table before it is rebuilt from the caches (a
 * day of quarter-hourly syncs, as mapcommit's updates from a copy). */
#define SEAL_RUNS_MAX 96

#define DIGEST_LEN SHA256_DIGEST_SIZE

/* What a part is hashed from: the run's configuration, what it saw of
 * its files, and its domains. */
struct inputs {
	const struct sync_conf *conf;
	const struct unchanged_look *look;
	const struct acceptdom_list *domains; /* NULL: not read yet */
};

/* hash_bytes - LEN bytes of S, then their length (parts never run on) */
static void
hash_bytes(struct sha256_ctx *h, const void *s, size_t len)
{
	unsigned long long n = len;

	sha256_update(h, len, s);
	sha256_update(h, sizeof(n), (const unsigned char *)&n);
}

/* hash_string - S, or "" for NULL */
static void
hash_string(struct sha256_ctx *h, const char *s)
{
	hash_bytes(h, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

/* hash_seen - PATH as F saw it; -1 when it could not be had: no file's
 * identity can stand for it */
static int
hash_seen(struct sha256_ctx *h, const char *path,
	  const struct mapcommit_ident *f)
{
	if (f->ino == 0) /* mapcommit_ident_of: not there */
		return -1;
	hash_string(h, path);
	hash_bytes(h, f, sizeof(*f));
	return 0;
}

/* hash_file - PATH's identity now */
static int
hash_file(struct sha256_ctx *h, const char *path)
{
	struct mapcommit_ident f;

	mapcommit_ident_of(path, &f);
	return hash_seen(h, path, &f);
}

/* unchanged_look - see unchanged.h */
void
unchanged_look(const struct sync_conf *conf, struct unchanged_look *l)
{
	memset(l, 0, sizeof(*l));
	mapcommit_ident_of("/proc/self/exe", &l->program);
	if (conf->extra != NULL)
		mapcommit_ident_of(conf->extra, &l->extra);
	for (size_t k = 0; k < PUBTABLE_N; k++)
		unchanged_published(conf, k, l);
}

/* unchanged_published - see unchanged.h */
void
unchanged_published(const struct sync_conf *conf, size_t k,
		    struct unchanged_look *l)
{
	const char *path = pubtable_rows[k].path(conf);

	memset(&l->tables[k], 0, sizeof(l->tables[k]));
	if (path != NULL)
		mapcommit_files(path, conf->type, &l->tables[k]);
}

/* part_program - this binary (a new build rebuilds) and its version */
static int
part_program(const struct inputs *in, struct sha256_ctx *h)
{
	hash_string(h, RCPTSYNC_VERSION);
	return hash_seen(h, "/proc/self/exe", &in->look->program);
}

/* part_config - the bytes the configuration was loaded from */
static int
part_config(const struct inputs *in, struct sha256_ctx *h)
{
	hash_bytes(h, in->conf->digest, sizeof(in->conf->digest));
	return 0;
}

/* part_extra - the extra file, merged into every table */
static int
part_extra(const struct inputs *in, struct sha256_ctx *h)
{
	if (in->conf->extra == NULL) {
		hash_string(h, "-");
		return 0;
	}
	return hash_seen(h, in->conf->extra, &in->look->extra);
}

/* part_caches - each directory's object cache: what the table comes from
 * (as it is now: only a run under the lock writes it) */
static int
part_caches(const struct inputs *in, struct sha256_ctx *h)
{
	const struct sync_conf *c = in->conf;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < c->n_ldap; i++) {
		char *path =
			cachefile_path(c->table, c->n_ldap > 1 ? i + 1 : 0);

		rc = hash_file(h, path);
		free(path);
	}
	return rc;
}

/* part_tables - every published text and map, as the run saw them
 * (mapcommit_files: device, inode, size, ctime; a write, a rename over
 * it, a chmod or a touch each moves the ctime) */
static int
part_tables(const struct inputs *in, struct sha256_ctx *h)
{
	for (size_t k = 0; k < PUBTABLE_N; k++) {
		const char *path = pubtable_rows[k].path(in->conf);
		const struct mapcommit_files *f = &in->look->tables[k];

		if (path == NULL) {
			hash_string(h, "-");
			continue;
		}
		if (!f->known)
			return -1;
		hash_string(h, path);
		hash_bytes(h, &f->text, sizeof(f->text));
		hash_bytes(h, &f->map, sizeof(f->map));
	}
	return 0;
}

/* part_domains - the accepted domains, as domains.c applies them */
static int
part_domains(const struct inputs *in, struct sha256_ctx *h)
{
	const struct acceptdom_list *d = in->domains;

	if (!in->conf->domains_exchange) {
		hash_string(h, "-");
		return 0;
	}
	if (d == NULL)
		return -1;
	for (size_t i = 0; i < d->n; i++) {
		const struct acceptdom *a = &d->v[i];
		long long v[5] = {a->subdomains, a->type, a->is_default,
				  a->outbound_only, a->dir};

		hash_string(h, a->name);
		hash_bytes(h, v, sizeof(v));
	}
	return 0;
}

/* The parts of a seal, by the name on their line; the directory's part
 * (domains) last, as it is known only once the directories were asked. */
static const struct part {
	const char *name;
	int (*hash)(const struct inputs *in, struct sha256_ctx *h);
} parts[] = {
	{"program", part_program}, {"config", part_config},
	{"extra", part_extra},	   {"caches", part_caches},
	{"tables", part_tables},   {"domains", part_domains},
};
#define N_PARTS (sizeof(parts) / sizeof(parts[0]))
#define LOCAL_PARTS (N_PARTS - 1) /* before the directories are asked */

/* A seal as its file holds it. */
struct seal {
	unsigned char digest[N_PARTS][DIGEST_LEN];
	struct unchanged_result res;
};

/* digest - part I of IN into OUT; -1 when it cannot be had */
static int
digest(size_t i, const struct inputs *in, unsigned char out[DIGEST_LEN])
{
	struct sha256_ctx h;

	sha256_init(&h);
	hash_string(&h, parts[i].name);
	if (parts[i].hash(in, &h) < 0)
		return -1;
	sha256_digest(&h, DIGEST_LEN, out);
	return 0;
}

/* unchanged_path - see unchanged.h */
char *
unchanged_path(const struct sync_conf *conf)
{
	size_t len = strlen(conf->table) + sizeof(".rcptsync-seal");
	char *path = xmalloc(len);

	snprintf(path, len, "%s.rcptsync-seal", conf->table);
	return path;
}

/* parse_hex - 64 hex digits into OUT; 0 or -1 */
static int
parse_hex(const char *s, unsigned char out[DIGEST_LEN])
{
	if (strlen(s) != 2 * DIGEST_LEN)
		return -1;
	for (size_t i = 0; i < DIGEST_LEN; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* parse_line - one line of a seal into *S, HAVE counting what was set */
static int
parse_line(const char *line, struct seal *s, unsigned *have)
{
	struct unchanged_result *r = &s->res;
	int n = -1;

	for (size_t i = 0; i < N_PARTS; i++) {
		size_t len = strlen(parts[i].name);

		if (strncmp(line, "part ", 5) == 0 &&
		    strncmp(line + 5, parts[i].name, len) == 0 &&
		    line[5 + len] == ' ') {
			if (parse_hex(line + 6 + len, s->digest[i]) < 0 ||
			    (*have & (1u << i)))
				return -1;
			*have |= 1u << i;
			return 0;
		}
	}
	if (sscanf(line, "result %zu %lu %lu %lu%n", &r->recipients,
		   &r->refused, &r->warnings, &r->runs, &n) == 4 &&
	    line[n] == '\0' && !(*have & (1u << N_PARTS))) {
		*have |= 1u << N_PARTS;
		return 0;
	}
	return -1;
}

/* seal_read - PATH into *S: 0, or -1 with WHY (missing, malformed) */
static int
seal_read(const char *path, struct seal *s, char *why, size_t size)
{
	FILE *fp = fopen(path, "r");
	char line[256];
	unsigned have = 0, lineno = 0;
	int ended = 0, whole;

	memset(s, 0, sizeof(*s));
	if (fp == NULL) {
		snprintf(why, size, "no seal (%s)", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strlen(line);

		lineno++;
		if (len == 0 || line[len - 1] != '\n' || ended)
			break;
		line[len - 1] = '\0';
		if (lineno == 1		       ? strcmp(line, SEAL_MAGIC) != 0
		    : strcmp(line, "end") == 0 ? (ended = 1, 0)
					       : parse_line(line, s, &have) < 0)
			break;
	}
	whole = ended && feof(fp) && !ferror(fp) &&
		have == (1u << (N_PARTS + 1)) - 1;
	fclose(fp);
	if (!whole) {
		snprintf(why, size, "%s:%u: not a whole seal", path, lineno);
		return -1;
	}
	return 0;
}

/* fill_seal - atomicfile_fill_fn */
static int
fill_seal(FILE *fp, const void *ctx, struct sync_err *err)
{
	const struct seal *s = ctx;

	(void)err;
	fprintf(fp, "%s\n", SEAL_MAGIC);
	for (size_t i = 0; i < N_PARTS; i++) {
		fprintf(fp, "part %s ", parts[i].name);
		for (size_t j = 0; j < DIGEST_LEN; j++)
			fprintf(fp, "%02x", s->digest[i][j]);
		fputc('\n', fp);
	}
	fprintf(fp, "result %zu %lu %lu %lu\nend\n", s->res.recipients,
		s->res.refused, s->res.warnings, s->res.runs);
	return ferror(fp) ? -1 : 0;
}

/* unchanged_forget - see unchanged.h */
void
unchanged_forget(const struct sync_conf *conf)
{
	char *path = unchanged_path(conf);

	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", path, strerror(errno));
	free(path);
}

/* eligible - could a later run trust this state's table?  1, or 0 with
 * WHY (the rules that move with no directory change, the DESCRIPTION) */
static int
eligible(const struct sync_conf *conf, const struct sync_state *st, char *why,
	 size_t size)
{
	const char *no = NULL;

	if (conf->source != CONFIG_SOURCE_LDAP || conf->graph != NULL)
		no = "not every source is an incremental directory";
	for (size_t i = 0; no == NULL && i < conf->n_ldap; i++)
		if (!conf->ldap[i].incremental)
			no = "not every source is an incremental directory";
	if (no == NULL && st->n_pending > 0)
		no = "addresses are in their removal grace period";
	if (no == NULL && st->hook_owed != 0)
		no = "the after_change hook is owed";
	if (no == NULL && st->n_verify_purge > 0)
		no = "verify-cache purges are owed";
	if (no == NULL && st->last_exit != 0)
		no = "the last run failed";
	if (no != NULL)
		snprintf(why, size, "%s", no);
	return no == NULL;
}

/* ours - each table's files are the ones ST records as rcptsync's, its
 * map not older than its text (what pipeline_compare would find) */
static int
ours(const struct sync_conf *conf, const struct sync_state *st, char *why,
     size_t size)
{
	for (size_t k = 0; k < PUBTABLE_N; k++) {
		const struct pubtable_row *row = &pubtable_rows[k];
		const char *path = row->path(conf);
		const struct mapcommit_files *rec;
		struct mapcommit_files now;

		if (path == NULL)
			continue;
		rec = pubtable_recorded(row, st);
		mapcommit_files(path, conf->type, &now);
		if (!rec->known || !mapcommit_files_equal(rec, &now) ||
		    mapcommit_db_stale(path, conf->type)) {
			snprintf(why, size,
				 "%s or its map is not as the last run left "
				 "it",
				 row->name);
			return 0;
		}
	}
	return 1;
}

/* local - the checks that need no directory, in order: 1, or 0 with WHY */
static int
local(const struct sync_conf *conf, const struct sync_state *st,
      const struct unchanged_look *look, const struct seal *s, char *why,
      size_t size)
{
	struct inputs in = {conf, look, NULL};
	unsigned char now[DIGEST_LEN];

	if (s->res.runs >= SEAL_RUNS_MAX) {
		snprintf(why, size, "%lu runs trusted the table: rebuilt",
			 s->res.runs);
		return 0;
	}
	if (!ours(conf, st, why, size))
		return 0;
	for (size_t i = 0; i < LOCAL_PARTS; i++)
		if (digest(i, &in, now) < 0 ||
		    memcmp(now, s->digest[i], DIGEST_LEN) != 0) {
			snprintf(why, size, "%s changed", parts[i].name);
			return 0;
		}
	return 1;
}

/* unchanged_try - see unchanged.h */
int
unchanged_try(const struct sync_conf *conf, const struct sync_state *st,
	      const struct unchanged_look *look, struct collect_stats *stats,
	      struct acceptdom_list *domains, struct unchanged_result *out,
	      struct sync_err *err)
{
	struct inputs in = {conf, look, domains};
	unsigned char now[DIGEST_LEN];
	struct seal s;
	char why[700], *path = unchanged_path(conf);
	int rc = eligible(conf, st, why, sizeof(why)) &&
		 seal_read(path, &s, why, sizeof(why)) == 0 &&
		 local(conf, st, look, &s, why, sizeof(why));

	free(path);
	if (rc == 1)
		rc = collect_unmoved(conf, stats, domains, why, sizeof(why),
				     err);
	if (rc == 1 && (digest(LOCAL_PARTS, &in, now) < 0 ||
			memcmp(now, s.digest[LOCAL_PARTS], DIGEST_LEN) != 0)) {
		snprintf(why, sizeof(why), "the accepted domains changed");
		rc = 0;
	}
	if (rc == 0)
		log_debug("the table is built again: %s", why);
	if (rc == 1)
		*out = s.res;
	return rc;
}

/* unchanged_seal - see unchanged.h */
void
unchanged_seal(const struct sync_conf *conf, const struct sync_state *st,
	       const struct unchanged_look *look,
	       const struct acceptdom_list *domains,
	       const struct unchanged_result *res)
{
	struct inputs in = {conf, look, domains};
	struct sync_err err = {0};
	struct seal s = {.res = *res};
	char why[200], *path;

	if (!eligible(conf, st, why, sizeof(why))) {
		unchanged_forget(conf);
		return;
	}
	for (size_t i = 0; i < N_PARTS; i++)
		if (digest(i, &in, s.digest[i]) < 0) {
			log_debug("not sealed: %s cannot be read",
				  parts[i].name);
			unchanged_forget(conf);
			return;
		}
	path = unchanged_path(conf);
	if (atomicfile_replace(path, path, 0644, fill_seal, &s, &err) < 0)
		log_warn("%s (the next run builds the table again)", err.msg);
	free(path);
}
