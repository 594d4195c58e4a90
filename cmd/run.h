/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_RUN_H
#define RCPTSYNC_RUN_H

#include <stdio.h>
#include <time.h>

#include "addrset.h"
#include "collect.h"
#include "config.h"
#include "grace.h"
#include "json.h"
#include "mapdiff.h"
#include "state.h"
#include "syncerr.h"

#define EXIT_DIFF_CHANGES 1
#define EXIT_STATUS_WARNING 1
#define EXIT_STATUS_CRITICAL 2
#define EXIT_STATUS_UNKNOWN 3

/* The recipient sets of one run: new from the directory, old from disk. */
struct run {
	const struct sync_conf *conf;
	struct addrset *new_set;
	struct addrset *old_set; /* freed by sync once compared */
	size_t old_count;	 /* its size */
	int compared;		 /* compare() read the table and state */
	struct collect_stats stats;
	int table_exists;
	int db_stale;
	struct mapdiff_counts counts;
	struct sync_state state;
	struct grace_counts grace;
	time_t now;
	const struct collect_trace *trace; /* explain only */
	struct addrset *added;		   /* sync with verify_cache only */
	int published;			   /* map replaced in this run */
	int hook_failed;		   /* the after_change hook failed */
	int keep_cache;			   /* sync: caches are owed */
	struct incremental_commit *commit; /* the caches owed, saved with
					      an accepted table */
	struct json *json;		   /* --json: the object, else NULL */
	FILE *json_buf;			   /* it is built here, then printed */
	char *json_text;
	size_t json_len;
	struct addrset *diff_plus; /* diff --json: the changes */
	struct addrset *diff_minus;
};

int fetch(struct run *r, struct sync_err *err);
int compare(struct run *r, mapdiff_fn fn, void *ctx, struct sync_err *err);
int canaries(const struct run *r, struct sync_err *err);
int replaced_behind_us(const struct run *r);
void published_files(const struct sync_conf *conf, unsigned long long *text_ino,
		     unsigned long long *map_ino);
int cmd_sync(struct run *r, int force, struct sync_err *err);
int cmd_status(struct run *r, long max_age, struct sync_err *err);
int cmd_diff(struct run *r, struct sync_err *err);
int cmd_dump(struct run *r, struct sync_err *err);
int cmd_check(struct run *r, struct sync_err *err);
int cmd_explain(struct run *r, const char *address, struct sync_err *err);
int exit_code(int kind);

#endif
