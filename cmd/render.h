/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_RENDER_H
#define RCPTSYNC_RENDER_H

#include <stddef.h>
#include <time.h>

#include "acceptdom.h"
#include "addrset.h"
#include "collect.h"
#include "mapdiff.h"
#include "pubtable.h"
#include "smtpaddr.h"
#include "state.h"
#include "syncerr.h"

/* The results the commands hand to render.c; all borrowed. */

struct sync_result {
	const char *server;
	size_t recipients;
	struct mapdiff_counts counts;
	size_t pending;			 /* kept in their grace period */
	unsigned long refused;		 /* directory values refused */
	const struct graph_stats *graph; /* source.graph's pull, or NULL */
	int written;
	const char *map_type;
	const char *table;
	const char *tables[PUBTABLE_N]; /* each published table's path,
					   or NULL: not configured */
	int tables_written[PUBTABLE_N]; /* ... written in this run */
	char *const *verify_purge;	/* still owed */
	size_t n_verify_purge;
	const char *metrics; /* metrics.textfile, or NULL */
	int metrics_written;
	const char *approved; /* sync --approve: the digest, or NULL */
	int trusted; /* the last run's table kept, not rebuilt (unchanged.c) */
};

struct diff_result {
	size_t recipients; /* from the directory */
	size_t current;	   /* in the table now */
	struct mapdiff_counts counts;
	size_t pending;
	int map_stale;		  /* the indexed map would be rebuilt */
	const char *would_refuse; /* why sync would refuse, or NULL */
	const char *digest;	  /* of the change (changedigest.h) */
	int code;		  /* 0, or EXIT_DIFF_CHANGES */
};

struct check_result {
	const struct collect_stats *stats;
	size_t recipients;
	int writable; /* the table's directory */
	const struct acceptdom_list *domains;
	const char *domains_from; /* "exchange", "domains", "none" */
	const char *metrics;	  /* metrics.textfile, or NULL */
	int metrics_writable;	  /* its directory */
};

/* The verdict of "status", in the order it is judged. */
enum status_reason {
	STATUS_NO_STATE,    /* UNKNOWN: no sync has run */
	STATUS_FAILED,	    /* CRITICAL: the last run failed */
	STATUS_TOO_OLD,	    /* CRITICAL: no success within --max-age */
	STATUS_NOT_OURS,    /* WARNING: a table or map is not the file
			       the last sync published */
	STATUS_HOOK_OWED,   /* WARNING: the after_change hook is owed */
	STATUS_VERIFY_OWED, /* WARNING: a verify-cache purge is owed */
	STATUS_OK,
};

struct status_result {
	const struct sync_state *state; /* loaded; unused for NO_STATE */
	const char *state_file;
	time_t now;
	long max_age;
	enum status_reason reason;
	int code;	      /* 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN */
	const char *not_ours; /* the table whose files are not the ones
				 recorded as published, or NULL */
};

/* Text on stdout, or one JSON object built aside and printed at the end. */
struct render;

/* render_open - for --json when JSON is non-zero; never NULL */
struct render *render_open(int json);

/* render_is_json - was --json given? */
int render_is_json(const struct render *out);

/*
 * render_diff_table - say that the diff covers the published table KIND
 *	(pubtable.h); returns the handle to pass as CTX to
 *	render_table_change, valid until render_close().
 */
void *render_diff_table(struct render *out, enum pubtable_kind kind);

/*
 * render_table_change - a mapdiff_fn for "diff" (CTX from
 *	render_diff_table): one change of that table, printed now as a text
 *	line, "+key<TAB>DN" or "-key<TAB>table" for the recipients,
 *	"+domain NAME<TAB>DN" or "-domain NAME<TAB>relay_domains" for
 *	output.relay_domains; or with --json an entry of its lists: "add"
 *	and "remove", "domains_add" and "domains_remove".
 */
void render_table_change(void *ctx, char op, const struct addrset_entry *e);

void render_sync(struct render *out, const struct sync_result *r);
void render_diff(struct render *out, const struct diff_result *r);
void render_check(struct render *out, const struct check_result *r);
void render_status(struct render *out, const struct status_result *r);

/* What "explain" found for one address. */
struct explain_result {
	const char *address;	/* as given */
	struct smtpaddr parsed; /* what smtpd makes of it */
	char *key;		/* parsed.addr in lower case, or NULL */
	int values;		/* directory values that carry it */
	const char *extra;	/* the extra file, or NULL */
	/* the accepted domain that decides (NULL: none, or no domains) */
	const struct acceptdom *domain;
	int domain_inbound;
	int domains_known;  /* domains: exchange, or output.relay_domains */
	int relay_known;    /* output.relay_domains: rcptsync's relay_domains */
	int domain_relayed; /* in it, as Postfix matches it */
	int routed;	    /* refused for '%', '!' or '@' in the local part */
	int local;	    /* a local domain: local_recipient_maps decide */
	int via_delimiter;  /* found without its extension */
	const struct addrset_entry *matched; /* what smtpd finds, or NULL */
	int code; /* smtpd's reply code; 0 when local */
};

/*
 * What the published table and its map answer for one address now: its
 * key's value, else its "@domain" catch-all's (KEY says which), else
 * NULL.  They disagree after a backup restored in place, an edit or a
 * postmap by hand, or an interrupted run; Postfix answers from the map.
 */
struct explain_answer {
	char *key, *value; /* both NULL: not there */
};
struct explain_published {
	const char *table; /* output.table */
	const char *map;   /* its map, or NULL (type text, or none) */
	struct explain_answer in_table, in_map;
	char map_error[sizeof(((struct sync_err *)0)->msg)]; /* why the map
						     cannot be read, or "" */
	int replaced; /* not the files rcptsync published last */
};

/* render_explain_published - the table's and the map's answers, and
 *	whether they disagree */
void render_explain_published(struct render *out,
			      const struct explain_published *p);

struct pfconf;

/* render_explain_begin - the Postfix settings followed; with ONE, the
 *	address as smtpd reads it, before the traced values */
void render_explain_begin(struct render *out, const struct explain_result *r,
			  const struct pfconf *pc, int one);

/* render_explain_value - a collect_trace fn (CTX: an int counter): one
 *	directory value that bears on the address */
void render_explain_value(void *ctx, const char *dn, const char *val,
			  size_t len, const char *verdict);

/* render_explain_end - the N verdicts (with ONE: why, in detail), and
 *	with --json the object; RC is the exit code */
void render_explain_end(struct render *out, const struct explain_result *r,
			size_t n, const struct pfconf *pc, int one, int rc);

/*
 * render_close - finish: with --json, print the object, or on an error
 *	(RC < 0) an object with only "command", "exit" and "error"; without,
 *	the "rcptsync: error:" line.  Frees OUT.  Returns the exit code: RC
 *	itself, or ERR's kind's code, or EX_IOERR when stdout failed.
 */
int render_close(struct render *out, const char *command, int rc,
		 const struct sync_err *err);

#endif
