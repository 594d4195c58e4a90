/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_PUBTABLE_H
#define RCPTSYNC_PUBTABLE_H

#include <stddef.h>

#include "addrset.h"
#include "config.h"
#include "mapcommit.h"
#include "mapdb.h"
#include "mapdiff.h"
#include "state.h"
#include "syncerr.h"

/*
 * The tables rcptsync publishes, in the order of pubtable_rows[]: the
 * order "diff" shows them, the digest hashes them and the state records
 * them.  A new published table is a kind here, a row in pubtable.c's
 * pubtable_rows[] (and its place in pubtable_order[]), a row in render.c's
 * diff_rows[], and the code that says what it should hold.
 */
enum pubtable_kind {
	PUBTABLE_RECIPIENTS, /* output.table: relay_recipient_maps */
	PUBTABLE_DOMAINS,    /* output.relay_domains */
	PUBTABLE_N
};

/* What one kind of table is: a row of pubtable_rows[]. */
struct pubtable_row {
	const char *name; /* "recipients", "relay_domains": in the
			     digest, the log and --json */
	const char *keys; /* what its keys are, in the log */
	const char *(*path)(const struct sync_conf *c); /* NULL: none */
	size_t recorded;	  /* offset in struct sync_state of the
				     mapcommit_files recorded for it */
	const char *header;	  /* the text's first line; NULL:
				     MAPTEXT_HEADER */
	const char *read_where;	  /* prefix of an error reading it */
	int unreadable_map_fatal; /* no text, and a map that cannot be
				     read: an error (else: a warning, and
				     compared with an empty table) */
	const char *safety_what;  /* its keys, in a safety message */
	const char *safety_where; /* prefix of a safety error, or NULL */
	int min_one;		  /* safety.min_recipients is 1 for it (a
				     count of addresses, not of its keys) */
};

extern const struct pubtable_row pubtable_rows[PUBTABLE_N];

/*
 * The publish order: the steps a sync takes, one table at a time, so that
 * Postfix never relays a domain without its recipients (pubtable.c): the
 * domains that go, then the recipients, then the domains that come.
 */
enum pubtable_part {
	PUBTABLE_REMOVALS, /* the table on disk without the keys that go
			      (and without the new ones yet) */
	PUBTABLE_WHOLE,	   /* the whole new table */
};
struct pubtable_step {
	enum pubtable_kind kind;
	enum pubtable_part part;
};
extern const struct pubtable_step pubtable_order[];
extern const size_t pubtable_n_steps;

/* One published table of this run: what it should hold and what it holds. */
struct pubtable {
	const struct pubtable_row *row; /* NULL: not configured (every call
					   then does nothing) */
	const char *path;
	enum mapdb_type type;
	const struct safety_limits *limits;
	struct addrset *want; /* what it should hold (finished) */
	int owns_want;	      /* want is freed with the table */
	struct addrset *old;  /* what it holds, when read into a set */
	size_t old_count;     /* how many keys it holds */
	int exists;	      /* there is a table (or a map Postfix serves) */
	int stale;	      /* rewrite it even unchanged: its map is
				 missing or older, or a file is not ours */
	int replaced;	      /* a file is not the one recorded as ours */
	struct mapdiff_counts counts;
	struct mapcommit_how *how; /* how its map is made; NULL: rebuild */
	int published;		   /* replaced in this run */
	int publish_failed;	   /* a publish of it failed in this run */
};

/*
 * pubtable_init - T as KIND of CONF: its path, type and limits; a kind
 *	CONF does not configure leaves T inert (row NULL).  Returns 1 when
 *	configured, else 0.
 */
int pubtable_init(struct pubtable *t, enum pubtable_kind kind,
		  const struct sync_conf *conf);

/* pubtable_recorded - where ST records the files of ROW's kind as
 *	published (in ST; const or not as ST is the caller's) */
struct mapcommit_files *pubtable_recorded(const struct pubtable_row *row,
					  const struct sync_state *st);

/*
 * pubtable_read - the table on disk into T->old (new, not finished), or
 *	when only its map is left (Postfix still serves it), the map's keys,
 *	with a warning; then T->exists.  The one way a table on disk is read
 *	into a set.  Returns 0, or -1 with an error prefixed with the row's
 *	read_where.
 */
int pubtable_read(struct pubtable *t, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * pubtable_ours - are the table and its map (when there is a table)
 *	exactly the files OURS records as published (mapcommit_replaced())?
 *	Returns 1, or 0 after marking it replaced and stale: it is then
 *	rewritten.
 */
int pubtable_ours(struct pubtable *t, const struct mapcommit_files *ours);

/* pubtable_changed - would a sync write it: keys or map to change? */
int pubtable_changed(const struct pubtable *t);

/* pubtable_settled - every publish of it in this run succeeded, and there
 *	was one: its files are ours as they are */
int pubtable_settled(const struct pubtable *t);

/*
 * pubtable_check - may the change be published: the safety limits (with
 *	the row's noun, and min_one).  Returns 0, or -1 with a DATA error.
 */
int pubtable_check(const struct pubtable *t, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * pubtable_publish - one step of the publish order for T.  REMOVALS: when
 *	keys go from a table that exists, the old table without them (not
 *	when none would be left).  WHOLE: the new table when it changed,
 *	unless the removals step wrote all of its change.  A step with
 *	nothing to do writes nothing.  Returns 0, or -1 with an OUTPUT error.
 */
int pubtable_publish(struct pubtable *t, enum pubtable_part part,
		     struct sync_err *err) __attribute__((warn_unused_result));

/* pubtable_free - its sets; T stays inert */
void pubtable_free(struct pubtable *t);

#endif
