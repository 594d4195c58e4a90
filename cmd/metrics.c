/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	metrics - the Prometheus textfile a sync leaves for node_exporter
 * DESCRIPTION
 *	After every sync that took the lock, successful or failed, sync.c
 *	hands its outcome here and metrics_write() replaces the file named
 *	by metrics.textfile: the text exposition format (version 0.0.4),
 *	each metric with its HELP and TYPE lines, every one a gauge and
 *	every value a number, so nothing from the directory ever reaches
 *	the file.  The metrics are one table, metrics[]: adding one is a
 *	row and its field in struct metrics_run.  The rows of source.graph
 *	are written only when it is configured; one of them has a sample
 *	per collection, labelled collection="users" (groups, contacts):
 *	the one label, its values the fixed names of graph.h, never a
 *	string from Graph.  The others have no label.
 *
 *	The file is replaced as every rcptsync file is (atomicfile.c): a
 *	temporary PATH.rcptsync-tmp.XXXXXX beside it, fsynced, renamed over
 *	it, the directory fsynced.  node_exporter's textfile collector reads
 *	only *.prom, so it never sees the temporary file, and a scrape reads
 *	the old file or the new one, never a part.  Temporary files that a
 *	killed run left are removed first (mapcommit_cleanup()).
 *
 *	The values of the last success that the state file does not hold
 *	(the refused values) are read back from the file the last run left,
 *	so that a failed run hands them on.
 * OWNERSHIP
 *	Borrows the caller's struct; keeps nothing.
 * DIAGNOSTICS
 *	OUTPUT sync_err.  The caller warns and keeps the run's exit code: a
 *	metrics file that cannot be written must not turn a good sync into
 *	a failed one, nor hide why a sync failed.
 * SEE ALSO
 *	Prometheus "Exposition formats"; node_exporter's textfile collector
 *	(--collector.textfile.directory); rcptsync.yaml(5); sync.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "mapcommit.h"
#include "metrics.h"

/* The refused values: kept from the last file by a failed run. */
#define METRICS_REFUSED "rcptsync_refused_values"
#define METRICS_SAFETY "rcptsync_safety_refused"
#define METRICS_GRAPH_OBJECTS "rcptsync_graph_objects"

/* Which runs a row is written for, and how many samples it has. */
enum metric_scope {
	METRIC_ALWAYS,	 /* every run: one sample */
	METRIC_GRAPH,	 /* with source.graph: one sample */
	METRIC_BY_GRAPH, /* with source.graph: one per collection */
};

/* Every metric, in the order the file lists them: one row each. */
static const struct metric {
	const char *name;
	const char *help; /* no backslash, no newline: not escaped */
	size_t field;	  /* offsetof(struct metrics_run, ...) */
	int scope;	  /* enum metric_scope */
} metrics[] = {
	{"rcptsync_last_run_timestamp_seconds",
	 "When the last sync that took the lock ended, successful or not "
	 "(Unix time).",
	 offsetof(struct metrics_run, last_run), METRIC_ALWAYS},
	{"rcptsync_last_success_timestamp_seconds",
	 "When the last successful sync ended (Unix time; 0: never).",
	 offsetof(struct metrics_run, last_success), METRIC_ALWAYS},
	{"rcptsync_last_exit_code",
	 "Exit code of the last sync (sysexits(3), rcptsync(8)): 0 success, "
	 "65 data refused, 69 no directory server, 73 cannot write, 75 "
	 "temporary, 77 bind refused, 78 configuration.",
	 offsetof(struct metrics_run, exit_code), METRIC_ALWAYS},
	{"rcptsync_duration_seconds",
	 "How long the last sync took, from taking the lock to its end.",
	 offsetof(struct metrics_run, duration), METRIC_ALWAYS},
	{"rcptsync_map_written",
	 "1 if the last sync replaced a table and its map (the recipients' "
	 "or output.relay_domains'), else 0.",
	 offsetof(struct metrics_run, map_written), METRIC_ALWAYS},
	{METRICS_SAFETY,
	 "1 if the last sync was refused by the safety limits (max_removed, "
	 "also of relay_domains; min_recipients, must_exist, "
	 "must_not_exist), else 0.",
	 offsetof(struct metrics_run, safety_refused), METRIC_ALWAYS},
	{"rcptsync_hook_owed",
	 "1 while the after_change hook is owed (it failed after the map was "
	 "published; every run retries it), else 0.",
	 offsetof(struct metrics_run, hook_owed), METRIC_ALWAYS},
	{"rcptsync_verify_purge_owed",
	 "Added addresses whose verify-cache purge is still owed (Postfix "
	 "held the lock; every run retries it).",
	 offsetof(struct metrics_run, verify_purge_owed), METRIC_ALWAYS},
	{"rcptsync_dc_kept",
	 "Directories found in DNS (source.ldap.domain) whose DC the last "
	 "sync kept: the one its incremental cache was taken from, among the "
	 "best-priority SRV records (check says which).",
	 offsetof(struct metrics_run, dc_kept), METRIC_ALWAYS},
	{"rcptsync_dc_drawn",
	 "Directories found in DNS whose DC the last sync took in RFC 2782 "
	 "order: no cache, or its DC not among the best-priority records (an "
	 "incremental pull then pulls in full; check says why).",
	 offsetof(struct metrics_run, dc_anew), METRIC_ALWAYS},
	{"rcptsync_recipients",
	 "Recipients in the table the last successful sync published or "
	 "found unchanged.",
	 offsetof(struct metrics_run, recipients), METRIC_ALWAYS},
	{"rcptsync_last_added", "Addresses the last successful sync added.",
	 offsetof(struct metrics_run, added), METRIC_ALWAYS},
	{"rcptsync_last_removed", "Addresses the last successful sync removed.",
	 offsetof(struct metrics_run, removed), METRIC_ALWAYS},
	{"rcptsync_pending_removal",
	 "Addresses gone from the directory but kept in their removal grace "
	 "period, as of the last successful sync.",
	 offsetof(struct metrics_run, pending), METRIC_ALWAYS},
	{METRICS_REFUSED,
	 "Directory values the last successful sync refused (not a valid "
	 "address; one warning each in its log).",
	 offsetof(struct metrics_run, refused), METRIC_ALWAYS},
	{METRICS_GRAPH_OBJECTS,
	 "Objects of each Microsoft Graph collection (source.graph: users "
	 "without guests, groups, contacts) that the last successful sync "
	 "read; 0 for one not in source.graph.include.",
	 offsetof(struct metrics_run, graph_objects), METRIC_BY_GRAPH},
	{"rcptsync_graph_requests",
	 "HTTP requests the last sync made to Microsoft Graph and its token "
	 "endpoint, retries included.",
	 offsetof(struct metrics_run, graph_requests), METRIC_GRAPH},
	{"rcptsync_graph_throttled",
	 "Throttled answers of Microsoft Graph (HTTP 429, 503, 504) that the "
	 "last sync waited out.",
	 offsetof(struct metrics_run, graph_throttled), METRIC_GRAPH},
	{"rcptsync_graph_throttled_seconds",
	 "Seconds the last sync waited for throttled Microsoft Graph "
	 "answers (Retry-After, or its backoff).",
	 offsetof(struct metrics_run, graph_waited), METRIC_GRAPH},
};

/* value_of - ROW's field of *M, its Ith double (a collection's) */
static double
value_of(const struct metrics_run *m, const struct metric *row, int i)
{
	double v;

	memcpy(&v, (const char *)m + row->field + (size_t)i * sizeof(v),
	       sizeof(v));
	return v;
}

/* sample_name - NAME{collection="..."} of collection I into BUF */
static const char *
sample_name(const char *name, int i, char *buf, size_t size)
{
	snprintf(buf, size, "%s{collection=\"%s\"}", name,
		 graph_collection_name(i));
	return buf;
}

/* fill - atomicfile_fill_fn: every row of the run, HELP, TYPE, samples */
static int
fill(FILE *fp, const void *ctx, struct sync_err *err)
{
	const struct metrics_run *m = ctx;
	char name[128];

	(void)err; /* a write error is the stream's: atomicfile says it */
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		const struct metric *row = &metrics[i];

		if (row->scope != METRIC_ALWAYS && !m->graph)
			continue;
		fprintf(fp, "# HELP %s %s\n# TYPE %s gauge\n", row->name,
			row->help, row->name);
		if (row->scope != METRIC_BY_GRAPH)
			fprintf(fp, "%s %.15g\n", row->name,
				value_of(m, row, 0));
		else
			for (int c = 0; c < GRAPH_COLLECTIONS; c++)
				fprintf(fp, "%s %.15g\n",
					sample_name(row->name, c, name,
						    sizeof(name)),
					value_of(m, row, c));
	}
	return ferror(fp) ? -1 : 0;
}

/* previous_value - NAME's sample in the file at PATH, or 0 */
static double
previous_value(const char *path, const char *name)
{
	FILE *fp = fopen(path, "r");
	size_t n = strlen(name);
	char line[512], *end;
	double v = 0, d;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, name, n) != 0 || line[n] != ' ')
			continue;
		d = strtod(line + n + 1, &end);
		/* ours is a count: anything else (NaN too) counts as none */
		if (end != line + n + 1 && (*end == '\n' || *end == '\0') &&
		    d >= 0 && d < 1e15)
			v = d;
		break;
	}
	fclose(fp);
	return v;
}

/* metrics_write - see metrics.h */
int
metrics_write(const char *path, const struct metrics_run *m,
	      struct sync_err *err)
{
	struct metrics_run now = *m;
	char name[128];

	if (now.refused < 0)
		now.refused = previous_value(path, METRICS_REFUSED);
	for (int c = 0; c < GRAPH_COLLECTIONS; c++)
		if (now.graph_objects[c] < 0)
			now.graph_objects[c] = previous_value(
				path, sample_name(METRICS_GRAPH_OBJECTS, c,
						  name, sizeof(name)));
	if (now.safety_refused < 0)
		now.safety_refused = previous_value(path, METRICS_SAFETY);
	/* milliseconds are enough, and keep the sample short */
	now.duration = (double)(long long)(now.duration * 1000 + 0.5) / 1000;
	(void)mapcommit_cleanup(path);
	return atomicfile_replace(path, path, 0644, fill, &now, err);
}
