/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_INCREMENTAL_H
#define RCPTSYNC_INCREMENTAL_H

#include <stddef.h>

#include "acceptdom.h"
#include "ldapsync.h"

/* How an incremental pull learns of objects that left the selection. */
enum ldapsync_deletions {
	/* list the GUIDs of every qualifying object (objectGUID only):
	 * works for any account */
	LDAPSYNC_DELETIONS_LISTING,
	/* changed objects of the naming context and tombstones (show
	 * deleted): needs read access to CN=Deleted Objects */
	LDAPSYNC_DELETIONS_TOMBSTONES,
};

enum ldapsync_incremental {
	LDAPSYNC_INCR_NONE,
	LDAPSYNC_INCR_USNCHANGED,
	/* DirSync control (MS-ADTS 3.1.1.3.4.1.3): changed objects,
	 * tombstones included, in one search from a cookie; needs the
	 * "Replicating Directory Changes" right on the naming context */
	LDAPSYNC_INCR_DIRSYNC,
};

/* What an incremental pull did, for the log and "check". */
struct incremental_stats {
	int incremental; /* 0: it was a full pull */
	unsigned long long from_usn, to_usn;
	size_t fetched;		       /* objects fetched (changed ones) */
	unsigned long fetched_entries; /* entries the DC sent */
	size_t changed;		       /* GUIDs changed, listed or reported */
	unsigned long dropped;	       /* left the selection */
	size_t cached;		       /* objects in the cache now */
	size_t healed;		       /* listed, but not in the cache: the
					  reason for a full pull, or 0 */
	char summary[1200];	       /* how it pulled, for the -v log */
	char pull[1200];	       /* the same, as "check" says it */
	char cache_problem[SYNC_ERR_MSG_MAX]; /* why the cache could not
						 be read, or "" */
};

/*
 * What a pull leaves to be kept once its run is accepted: the new object
 * cache and position of each incremental directory, in a list.
 */
struct incremental_commit;
struct objcache_mark;

/* What one incremental pull is asked to do (incremental_fetch). */
struct incremental_request {
	const struct ldapsync_conf *l; /* the directory */
	const char *table;	       /* the cache lives next to it */
	size_t index; /* L is the INDEX-th of the source, 0: the only */
	struct acceptdom_list *accepted;    /* or NULL */
	struct incremental_commit **commit; /* or NULL: read the cache only */
	source_value_fn fn;		    /* every cached value goes here */
	void *ctx;			    /* FN's */
};

/*
 * incremental_fetch - pull directory R->l (the R->index-th of the source,
 *	0 when it is the only one) incrementally through its object cache
 *	next to R->table (TABLE.rcptsync-cache, or TABLE.rcptsync-cache.INDEX
 *	in a list: each remembers its own DC and selection, so a reordered
 *	list only means full pulls), then pass every cached value to R->fn
 *	as a full pull would, counting entries and values in STATS.  Errors
 *	as ldapsync_fetch; a DirSync refused for lack of the replication
 *	right is an AUTH error with advice.  Nothing is written: with
 *	R->commit (sync), the new cache and position are added to
 *	*R->commit, to be saved by incremental_commit_save() only once the
 *	table they describe was published or found unchanged; a refused or
 *	failed run drops them, so its next run starts from yesterday's
 *	cache, never from a view that was not accepted.  R->commit NULL
 *	(diff, check, explain): the cache is only read.  R->accepted
 *	(unless NULL): the accepted domains are read first, over the same
 *	session (accepted_read).
 */
int incremental_fetch(const struct incremental_request *r,
		      struct source_stats *stats, struct incremental_stats *is,
		      struct sync_err *err) __attribute__((warn_unused_result));

/*
 * incremental_unmoved - has directory R->l stayed where the cache of its
 *	last pull left it?  Reads only the cache's mark, then asks the DC
 *	for its position (and, with R->accepted, appends the accepted
 *	domains to it, as incremental_fetch would), over a session of its
 *	own that it closes.  Returns 1 when the pull would continue the
 *	cache and find nothing changed (the same DC and invocationId, the
 *	USN where the cache's pull began: changes_search's test), so that
 *	a run may trust the table it made from that cache, WHY (SIZE
 *	bytes) naming the server and USN; 0 when not, WHY saying why; -1
 *	with ERR as ldapsync_open.  STATS
 *	gets the session's server and discovery.  Nothing is written.
 */
int incremental_unmoved(const struct incremental_request *r,
			struct source_stats *stats, char *why, size_t size,
			struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * incremental_owe_file - the new cache written already as the temporary
 *	file TMP, to be renamed over PATH once the run is accepted (TMP
 *	NULL: PATH holds it already); *LIST takes PATH and TMP over, and
 *	removes TMP unless it was saved.  The LDAP pulls and the Graph
 *	delta round (graphdelta.c) owe their caches through this one list.
 */
void incremental_owe_file(struct incremental_commit **list, char *path,
			  char *tmp);

/*
 * incremental_owe_failed - the new cache for PATH could not be written
 *	(E): the old one stays, to be continued next run (which fetches
 *	again what changed since: more work, the same table), and
 *	incremental_commit_save reports E once the table is published, as
 *	it would a cache it could not rename; *LIST takes PATH over
 */
void incremental_owe_failed(struct incremental_commit **list, char *path,
			    const struct sync_err *e);

/*
 * incremental_commit_save - put every new cache of LIST in place (each
 *	renamed over its cache, the directory fsynced).  Returns 0, or -1 with
 *an OUTPUT error; the caches not yet written keep their old contents, which the
 *next run continues from (it then fetches again what changed since: more work,
 *same table).
 */
int incremental_commit_save(struct incremental_commit *list,
			    struct sync_err *err)
	__attribute__((warn_unused_result));

/* incremental_commit_free - the list, unsaved; NULL is ok */
void incremental_commit_free(struct incremental_commit *list);

#endif
