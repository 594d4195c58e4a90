/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pipeline - the stages every reading command shares: fetch, compare
 * DESCRIPTION
 *	pipeline_fetch() asks the source (collect.c) for the new set;
 *	pipeline_compare() reads the table on disk, applies the removal
 *	grace period and diffs the two.  sync, diff, check, dump and explain
 *	are these stages plus what each does with the result.  When the
 *	text table is gone but its indexed map is there, Postfix still
 *	serves the map, so the change (and the removal limit) is judged
 *	against the map's keys, not against nothing.
 * OWNERSHIP
 *	The pipeline owns its two sets; the state and the caches owed are
 *	the caller's (sync.c owns the state of a sync).
 * DIAGNOSTICS
 *	Errors in the caller's struct sync_err; warnings and debug lines
 *	through log.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "xalloc.h"
#include "log.h"
#include "mapcommit.h"
#include "mapdb.h"
#include "safety.h"
#include "tablediff.h"
#include "pipeline.h"

/* pipeline_warn_unverified - see pipeline.h */
void
pipeline_warn_unverified(struct pipeline *p)
{
	const struct sync_conf *c = p->conf;

	for (size_t i = 0; c->source == CONFIG_SOURCE_LDAP && i < c->n_ldap &&
			   !p->warned_unverified;
	     i++)
		if (!c->ldap[i].verify)
			log_warn("tls.verify is false for %s: the directory "
				 "server's certificate is not checked",
				 c->ldap[i].domain ? c->ldap[i].domain
						   : c->ldap[i].uris[0]);
	p->warned_unverified = 1;
}

/* pipeline_fetch - the new set, with a debug line of what the source saw */
int
pipeline_fetch(struct pipeline *p, struct sync_err *err)
{
	const struct sync_conf *c = p->conf;
	const struct collect_stats *s = &p->stats;

	pipeline_warn_unverified(p);
	p->new_set = collect_recipients(c, p->trace, p->commit, &p->domains,
					&p->stats, err);
	if (p->new_set == NULL)
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

/* grace_how_of - the removal grace period of P's run, with STATE */
static struct grace_how
grace_how_of(struct pipeline *p, struct sync_state *state)
{
	struct grace_how how = {.rule = &p->conf->grace,
				.st = state,
				.now = p->now,
				.fn = report_pending,
				.counts = &p->grace};

	return how;
}

/* compare_sets - the table read into a set, then the two sets compared */
static int
compare_sets(struct pipeline *p, struct sync_state *state, mapdiff_fn fn,
	     void *ctx, struct sync_err *err)
{
	struct pubtable *t = &p->table[PUBTABLE_RECIPIENTS];
	struct grace_how how = grace_how_of(p, state);

	if (pubtable_read(t, err) < 0)
		return -1;
	addrset_finish(t->old);
	t->old_count = addrset_count(t->old);
	grace_apply(&how, t->old, p->new_set);
	t->stale = t->stale || mapcommit_db_stale(t->path, t->type);
	mapdiff_run(t->old, p->new_set, fn, ctx, &t->counts);
	return 0;
}

/*
 * pipeline_compare - current table, grace period, then the diff.  A table
 * rcptsync wrote is sorted, so it is compared as it is read, never held
 * in memory (tablediff.c); one that is missing (its map may be there) or
 * out of order is read into a set first.
 */
int
pipeline_compare(struct pipeline *p, struct sync_state *state, mapdiff_fn fn,
		 void *ctx, struct sync_err *err)
{
	struct pubtable *t = &p->table[PUBTABLE_RECIPIENTS];
	struct grace_how how = grace_how_of(p, state);
	struct tablediff_result td;
	struct grace_run g;
	struct tablediff_walk walk = {NULL, p->new_set, &g, fn, ctx};
	struct stat st;
	int rc;

	(void)pubtable_init(t, PUBTABLE_RECIPIENTS, p->conf);
	walk.path = t->path;
	t->want = p->new_set;
	if (stat(t->path, &st) < 0) {
		rc = compare_sets(p, state, fn, ctx, err);
		goto ours;
	}
	grace_begin(&g, &how);
	rc = tablediff_stream(&walk, &td, err);
	if (rc == TABLEDIFF_UNSORTED) {
		log_debug("%s is not in rcptsync's order: comparing it as a "
			  "set",
			  t->path);
		rc = compare_sets(p, state, fn, ctx, err);
		goto ours;
	}
	if (rc < 0)
		return sync_err_prefix(err, "current table");
	t->exists = 1;
	t->old_count = td.old_count;
	t->counts = td.counts;
	t->stale = mapcommit_db_stale(t->path, t->type);
ours:
	/* the files Postfix reads must be exactly the ones the last run
	 * published (and its hook left): else both are rewritten, and never
	 * updated from a copy of a map that may hold another set */
	if (rc == 0)
		(void)pubtable_ours(t, pubtable_recorded(t->row, state));
	return rc;
}

/* pipeline_canaries - safety.must_exist and must_not_exist on the set */
int
pipeline_canaries(const struct pipeline *p, struct sync_err *err)
{
	const struct sync_conf *c = p->conf;

	return safety_canaries(c->must_exist, c->n_must_exist,
			       c->must_not_exist, c->n_must_not_exist,
			       p->new_set, err);
}

/* pipeline_digest - see pipeline.h */
struct changedigest *
pipeline_digest(const struct sync_conf *c, void *tables[PUBTABLE_N])
{
	struct changedigest *d = changedigest_new();

	for (size_t k = 0; k < PUBTABLE_N; k++)
		tables[k] =
			pubtable_rows[k].path(c) != NULL
				? changedigest_table(d, pubtable_rows[k].name)
				: NULL;
	return d;
}

/* pipeline_free - both sets; the pipeline may not be used after */
void
pipeline_free(struct pipeline *p)
{
	for (size_t k = 0; k < PUBTABLE_N; k++)
		pubtable_free(&p->table[k]);
	addrset_free(p->new_set);
	p->new_set = NULL;
	acceptdom_list_free(&p->domains);
}
