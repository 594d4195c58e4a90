/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_METRICS_H
#define RCPTSYNC_METRICS_H

#include "graph.h"
#include "syncerr.h"

/* The default name node_exporter's textfile collector looks for (*.prom). */
#define METRICS_SUFFIX ".prom"

/*
 * What the textfile says of a sync (rcptsync.yaml(5), "metrics"): every
 * value a number.  The run's own fields describe the sync that just
 * ended, whatever its outcome; the table's fields describe the last
 * successful one, and a failed run hands them on unchanged.
 */
struct metrics_run {
	/* the run that just ended */
	double last_run;	  /* Unix time */
	double exit_code;	  /* as rcptsync exits */
	double duration;	  /* seconds, under the lock */
	double map_written;	  /* 1: this run replaced table and map */
	double safety_refused;	  /* 1: refused by the safety limits;
				     < 0: keep the file's */
	double hook_owed;	  /* 1: the after_change hook is owed */
	double verify_purge_owed; /* addresses whose purge is owed */
	double dc_kept, dc_anew;  /* directories found in DNS whose DC was
				     kept (the cache's) or drawn anew */
	/* the last successful run */
	double last_success; /* Unix time; 0: never */
	double recipients, added, removed, pending;
	double refused; /* values refused; < 0: keep the file's */
	/* source.graph: its rows are written only when GRAPH is set */
	int graph;
	double graph_requests;	/* the run: HTTP requests made */
	double graph_throttled; /* the run: 429/503/504 waited out */
	double graph_waited;	/* the run: seconds of those waits */
	/* the last success: objects by collection; < 0: keep the file's */
	double graph_objects[GRAPH_COLLECTIONS];
};

/*
 * metrics_write - replace the textfile PATH (it ends in METRICS_SUFFIX)
 *	with *M, atomically and mode 0644: a temporary file PATH
 *	ATOMICFILE_TMP_TAG XXXXXX beside it, which node_exporter does not
 *	read, then the one rename.  A negative M->refused takes the value
 *	from the file PATH holds now (0 when there is none), and so does
 *	a negative M->graph_objects[i].  Call with the
 *	lock held.  Returns 0, or -1 with an OUTPUT error and PATH as it was.
 */
int metrics_write(const char *path, const struct metrics_run *m,
		  struct sync_err *err) __attribute__((warn_unused_result));

#endif
