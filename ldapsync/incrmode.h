/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_INCRMODE_H
#define RCPTSYNC_INCRMODE_H

/*
 * The ways of pulling incrementally, one row each (incrmode.c), for the
 * modules of incremental pulls (incremental.c, changes.c) and for the
 * configuration's checks (cmd/config_ldap.c): what a mode searches to
 * learn what changed, what the rest of the pull does with it, and what
 * configuration it refuses.  Code that depends on the mode reads its row.
 */
#include "incremental.h"
#include "syncerr.h"

struct pull;

/*
 * What else a mode does (struct incrmode's flags):
 * INCRMODE_LISTS_ALL: the change search lists every qualifying object, so
 *	a cached one not listed left, and one listed but neither cached nor
 *	fetched means the cache's view was partial: a full pull
 *	(self-healing); the changed objects are always fetched.
 * INCRMODE_TOMBSTONES: the change search reads deleted objects (show
 *	deleted, or DirSync); a changed object not fetched again left.
 * INCRMODE_COOKIE: it continues from a DirSync cookie, kept in the cache's
 *	mark; a full pull runs the change search too, for the cookie of now.
 * INCRMODE_CONTAINERS: an OU or container changed since the position
 *	means a full pull (changes.c, distrust_containers).
 * INCRMODE_ONE_DOMAIN: the change search reads the DC's own naming
 *	context only: on a Global Catalog the other domains' changes would
 *	go unseen, so the configuration refuses it (cmd/config_ldap.c).
 * A mode without INCRMODE_LISTS_ALL follows the objects that changed: a
 * filter on a back link (memberOf) is refused with it (cmd/config_ldap.c).
 */
#define INCRMODE_LISTS_ALL (1 << 0)
#define INCRMODE_TOMBSTONES (1 << 1)
#define INCRMODE_COOKIE (1 << 2)
#define INCRMODE_CONTAINERS (1 << 3)
#define INCRMODE_ONE_DOMAIN (1 << 4)

/* One incremental mode. */
struct incrmode {
	int incremental;  /* the source.ldap.incremental it stands for */
	int deletions;	  /* and deletions, or -1: any */
	const char *name; /* for messages */
	/* the configuration words that choose it, in the configuration's
	 * messages ("deletions: tombstones"); the key is deletions when
	 * the row has deletions (>= 0), else incremental */
	const char *config_words;
	/* deletions < 0: why a deletions key is refused with it */
	const char *no_deletions_why;
	const char *changed_what; /* what the change search found, in the
				     summary: "listed" */
	const char *pull_note;	  /* after "incremental" in check's line */
	int flags;		  /* INCRMODE_... */
	/* changes - the change search: the GUIDs changed (listed,
	 *	reported) into P->changed, from the prior position when
	 *	P->incremental, else (INCRMODE_COOKIE) only the cookie of now.
	 *	0, or -1 with the search's error */
	int (*changes)(struct pull *p, struct sync_err *err);
	/* the fallback: errors of the change search from the prior
	 * position (1 << SYNC_ERR_*) that mean a full pull in the same
	 * session, and the reason it gives before the error; 0: none */
	int fallback_kinds;
	const char *fallback_why;
};

/*
 * incrmode_get - the row of L's incremental mode (static).  L not
 *	incremental is a bug (panic).
 */
const struct incrmode *incrmode_get(const struct ldapsync_conf *l);

#endif
