/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_UNANSWERED_H
#define RCPTSYNC_UNANSWERED_H

#include <stddef.h>

#include "syncerr.h"

/* How many servers a run remembers; more are tried in their order. */
#define UNANSWERED_MAX 16

/* The servers of one directory that did not answer an earlier open of
 * this run (unanswered.c); one a directory a run, owned by the caller
 * (cmd/main.c). */
struct ldapsync_unanswered {
	size_t n;
	struct {
		char uri[256];		    /* as source_stats.server */
		char msg[SYNC_ERR_MSG_MAX]; /* why, as it was said then */
	} e[UNANSWERED_MAX];
};

/*
 * unanswered_add - remember that URI did not answer, and MSG (why); a
 *	URI already there keeps its first message.  U NULL: nothing.
 */
void unanswered_add(struct ldapsync_unanswered *u, const char *uri,
		    const char *msg);

/*
 * unanswered_find - why URI did not answer earlier in this run, or NULL
 *	when it did not fail (or U is NULL)
 */
const char *unanswered_find(const struct ldapsync_unanswered *u,
			    const char *uri);

#endif
