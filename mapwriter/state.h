/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_STATE_H
#define RCPTSYNC_STATE_H

#include <stddef.h>
#include <time.h>

#include "mapcommit.h"
#include "syncerr.h"

/* An address that vanished from the directory but is still published. */
struct state_pending {
	char *key;
	char *value;
	time_t since;	    /* first run that missed it */
	unsigned long runs; /* runs that missed it, this one included */
};

/* What the last sync run left for the next run and for "status". */
struct sync_state {
	time_t last_run;     /* 0: never */
	int last_exit;	     /* its exit code */
	time_t last_success; /* 0: never */
	char server[256];
	size_t recipients, added, removed, pending_count;
	int written;
	char message[256]; /* last error, printable ASCII */
	/* the files rcptsync last published, as the hook left them: the
	 * recipient table and output.relay_domains (mapcommit.h) */
	struct mapcommit_files table_files, relay_files;
	unsigned long map_updates;     /* times the map was updated from a
					  copy since it was last built */
	struct state_pending *pending; /* sorted by key */
	size_t n_pending;
	char **verify_purge;   /* added addresses whose verify-cache purge */
	size_t n_verify_purge; /* is still to do (Postfix held the lock) */
	time_t hook_owed;      /* since when the after_change hook is owed
				  (it failed after a publish), or 0 */
	int hook_failed_last;  /* the last run failed for the hook alone */
};

/*
 * state_load - read PATH into *ST (zeroed first).  A missing file sets
 *	*EXISTS to 0 and returns 0.  A malformed one is a DATA error naming
 *	PATH:LINE.  Free with state_free().
 */
int state_load(const char *path, struct sync_state *st, int *exists,
	       struct sync_err *err) __attribute__((warn_unused_result));

/*
 * state_save - write *ST to PATH atomically (atomicfile_replace(), its
 *	temporary file beside PATH).  Returns 0 or -1 with an OUTPUT error.
 */
int state_save(const char *path, const struct sync_state *st,
	       struct sync_err *err) __attribute__((warn_unused_result));

/* state_set_message - store MSG with control bytes replaced by '?' */
void state_set_message(struct sync_state *st, const char *msg);

/* state_add_verify_purge - remember ADDRESS (copied) for the next run */
void state_add_verify_purge(struct sync_state *st, const char *address);

/* state_clear_verify_purge - forget them all */
void state_clear_verify_purge(struct sync_state *st);

/* state_free_pending - the grace-period list only (grace replaces it) */
void state_free_pending(struct sync_state *st);

/* state_free - both lists; *ST may be reused after */
void state_free(struct sync_state *st);

#endif
