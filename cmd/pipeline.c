/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pipeline - the stages every command shares: fetch, compare
 * DESCRIPTION
 *	Moved from main.c unchanged (see the next commits).
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ascii.h"
#include "xalloc.h"
#include "addrset.h"
#include "lock.h"
#include "mapcommit.h"
#include "mapread.h"
#include "mapdb.h"
#include "mapdiff.h"
#include "maptext.h"
#include "safety.h"
#include "grace.h"
#include "state.h"
#include "proxyaddr.h"
#include "clock.h"
#include "collect.h"
#include "config.h"
#include "hook.h"
#include "log.h"
#include "json.h"
#include "repair.h"
#include "run.h"

/* fetch - the new set, with a debug line of what the source saw */
int
fetch(struct run *r, struct sync_err *err)
{
	const struct collect_stats *s = &r->stats;

	for (size_t i = 0;
	     r->conf->source == CONFIG_SOURCE_LDAP && i < r->conf->n_ldap; i++)
		if (!r->conf->ldap[i].verify)
			log_warn("tls.verify is false for %s: the directory "
				 "server's certificate is not checked",
				 r->conf->ldap[i].uris[0]);
	r->new_set = collect_recipients(r->conf, r->trace,
					r->keep_cache ? &r->commit : NULL,
					&r->stats, err);
	if (r->new_set == NULL)
		return -1;
	log_debug("fetched from %s: %lu entries, %lu values, %lu pages, "
		  "%lu references skipped, %lu ranged",
		  s->source.server, s->source.entries, s->source.values,
		  s->source.pages, s->source.references, s->source.ranged);
	log_debug("kept %lu, ignored %lu non-SMTP, refused %lu, %lu outside "
		  "domains, %lu excluded, %lu from extra, %lu duplicates",
		  s->kept, s->ignored, s->refused, s->other_domain, s->excluded,
		  s->extra, s->duplicates);
	return 0;
}

/* report_pending - one log line per address in its grace period */
static void
report_pending(void *ctx, const struct state_pending *p, time_t until)
{
	char since[32], end[32];

	(void)ctx;
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", gmtime(&p->since));
	if (until > 0) {
		strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%SZ",
			 gmtime(&until));
		log_info("pending removal: %s (missing since %s, kept until "
			 "%s)",
			 p->key, since, end);
	} else {
		log_info("pending removal: %s (missing since %s, in %lu "
			 "run%s)",
			 p->key, since, p->runs, p->runs == 1 ? "" : "s");
	}
}

/*
 * served_map - the text table is gone but its map is there: Postfix
 * serves the map, so the change (and the removal limit) is judged against
 * its keys, not against nothing
 */
static void
served_map(struct run *r)
{
	const char *suffix = mapdb_suffix(r->conf->type);
	struct sync_err err = {0};
	struct stat st;
	char *path;
	size_t len;

	if (r->table_exists || suffix == NULL)
		return;
	len = strlen(r->conf->table) + strlen(suffix) + 1;
	path = xmalloc(len);
	snprintf(path, len, "%s%s", r->conf->table, suffix);
	if (stat(path, &st) == 0) {
		if (mapread_keys(path, r->conf->type, r->old_set, "table",
				 &err) == 0) {
			r->table_exists = 1;
			log_warn("%s is missing, but %s is there: comparing "
				 "with what Postfix serves from it",
				 r->conf->table, path);
		} else {
			log_warn("%s is missing, and %s cannot be read (%s): "
				 "comparing with an empty table",
				 r->conf->table, path, err.msg);
		}
	}
	free(path);
}

/* compare - current table, grace period, then the diff against it */
int
compare(struct run *r, mapdiff_fn fn, void *ctx, struct sync_err *err)
{
	int exists;

	r->old_set = addrset_new();
	if (maptext_read(r->conf->table, MAPTEXT_ANY_KEY, r->old_set, "table",
			 &r->table_exists, err) < 0)
		return sync_err_prefix(err, "current table");
	served_map(r);
	addrset_finish(r->old_set);
	r->old_count = addrset_count(r->old_set);
	if (state_load(r->conf->state, &r->state, &exists, err) < 0)
		return -1;
	r->compared = 1;
	grace_apply(&r->conf->grace, r->old_set, r->new_set, &r->state, r->now,
		    report_pending, NULL, &r->grace);
	r->db_stale = mapcommit_db_stale(r->conf->table, r->conf->type);
	mapdiff_run(r->old_set, r->new_set, fn, ctx, &r->counts);
	return 0;
}

/* inode_of - PATH's inode, or 0 */
static unsigned long long
inode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

/*
 * published_files - the inodes of TABLE and its map now (map 0 for text).
 * A rename by anyone but a finished sync (a crash between our two
 * renames, a hand-run postmap) changes one of them.
 */
void
published_files(const struct sync_conf *conf, unsigned long long *text_ino,
		unsigned long long *map_ino)
{
	const char *suffix = mapdb_suffix(conf->type);
	char path[4096];

	*text_ino = inode_of(conf->table);
	*map_ino = 0;
	if (suffix != NULL &&
	    (size_t)snprintf(path, sizeof(path), "%s%s", conf->table, suffix) <
		    sizeof(path))
		*map_ino = inode_of(path);
}

/* replaced_behind_us - are the files not the ones we last published? */
int
replaced_behind_us(const struct run *r)
{
	unsigned long long text_ino, map_ino;

	if (r->state.text_ino == 0)
		return 0; /* nothing recorded: first run, or state removed */
	published_files(r->conf, &text_ino, &map_ino);
	return text_ino != r->state.text_ino || map_ino != r->state.map_ino;
}

/* canaries - safety.must_exist and must_not_exist on the built set */
int
canaries(const struct run *r, struct sync_err *err)
{
	const struct sync_conf *c = r->conf;

	return safety_canaries(c->must_exist, c->n_must_exist,
			       c->must_not_exist, c->n_must_not_exist,
			       r->new_set, err);
}
