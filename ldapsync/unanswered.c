/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	unanswered - the directory servers that did not answer this run
 * DESCRIPTION
 *	A run may open the same directory more than once: the probe of a
 *	run that may trust its table (incremental_unmoved), then the pull
 *	when the directory moved.  A server that could not be reached (refused,
 *or silent for its timeout) is tried after the others at every later open of
 *the run (session.c open_session), so that a dead DC costs the run its connect
 *timeout once, not at each open.  It is still tried when no other server
 *answers: it may be back.  Its message is kept so that the failover warning
 *still names it.  Nothing outlives the run: the next run tries the servers in
 *their own order again. OWNERSHIP The caller owns the list, one for each
 *directory (what fails depends on the directory's own timeout, TLS and bind);
 *entries are copies (a message cut to fit; a URI too long for it is not
 *remembered). DIAGNOSTICS None: a list that is full remembers no more.
 */
#include <stdio.h>
#include <string.h>

#include "unanswered.h"

/* unanswered_add - see unanswered.h */
void
unanswered_add(struct ldapsync_unanswered *u, const char *uri, const char *msg)
{
	if (u == NULL || unanswered_find(u, uri) != NULL ||
	    u->n >= UNANSWERED_MAX || strlen(uri) >= sizeof(u->e[0].uri))
		return;
	snprintf(u->e[u->n].uri, sizeof(u->e[u->n].uri), "%s", uri);
	snprintf(u->e[u->n].msg, sizeof(u->e[u->n].msg), "%s", msg);
	u->n++;
}

/* unanswered_find - see unanswered.h */
const char *
unanswered_find(const struct ldapsync_unanswered *u, const char *uri)
{
	if (u == NULL)
		return NULL;
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->e[i].uri, uri) == 0)
			return u->e[i].msg;
	return NULL;
}
