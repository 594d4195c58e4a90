/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_GRAPH_H
#define RCPTSYNC_GRAPH_H

#include "source.h"
#include "syncerr.h"

/* The collections source.graph.include may name (graph.c's table). */
#define GRAPH_USERS (1 << 0)
#define GRAPH_GROUPS (1 << 1)
#define GRAPH_CONTACTS (1 << 2)
#define GRAPH_ALL (GRAPH_USERS | GRAPH_GROUPS | GRAPH_CONTACTS)
#define GRAPH_COLLECTIONS 3

/* source.graph.cloud: the national clouds' hosts (doc: Clouds) */
enum graph_cloud {
	GRAPH_CLOUD_GLOBAL,
	GRAPH_CLOUD_USGOV,
	GRAPH_CLOUD_USGOV_DOD,
	GRAPH_CLOUD_CHINA,
};

/* source.graph, as config_graph.c fills it; strings owned by the config
 * (config_free()).  Exactly one of certificate_file and
 * client_secret_file is set; key_file only with certificate_file. */
struct graph_conf {
	char *tenant;		  /* tenant id or initial domain */
	char *client_id;	  /* the app registration's id */
	char *certificate_file;	  /* PEM certificate (and its RSA key) */
	char *key_file;		  /* PEM RSA key; NULL: in the certificate's */
	char *client_secret_file; /* the client secret */
	char *login_url;	  /* no trailing '/'; from cloud if absent */
	char *graph_url;	  /* no trailing '/'; from cloud if absent */
	char *ca_file;		  /* tls.ca_file; NULL: the system store */
	int cloud;		  /* enum graph_cloud */
	int include;		  /* GRAPH_USERS | ... */
	int timeout;		  /* seconds: to connect, and of silence */
	int incremental;	  /* 1: incremental: delta */
	long full_every;	  /* delta: seconds between full rounds */
	double deadline;	  /* CLOCK_MONOTONIC: the run's end */
	long deadline_seconds;	  /* the same, as configured (messages) */
};

/* What one pull saw of each collection, for "check" and the log. */
struct graph_stats {
	int done;				/* a pull ran */
	unsigned long count[GRAPH_COLLECTIONS]; /* objects, by collection */
	unsigned long pages[GRAPH_COLLECTIONS]; /* pages, by collection */
	unsigned long guests;			/* users left out (Guest) */
	unsigned long retries;			/* 429/503/504 waited out */
	int delta;				/* incremental: delta ran */
	int full;				/* delta: a full round */
	unsigned long changed, removed;		/* delta: objects sent */
	char why_full[SYNC_ERR_MSG_MAX];	/* delta: why full, or "" */
	char cache_problem[SYNC_ERR_MSG_MAX];	/* cache there, unreadable */
	size_t links_dropped;			/* delta: not kept, bytes */
	double waited;				/* seconds of those waits */
	unsigned long requests;			/* HTTP requests made */
	char credential[160];			/* how the token was got */
};

/*
 * graph_collection_name - "users", "groups", "contacts" for index I
 *	(0 .. GRAPH_COLLECTIONS - 1); a static string.
 */
const char *graph_collection_name(int i);

/*
 * graph_cloud_urls - the login and Graph hosts of CLOUD (static strings).
 */
void graph_cloud_urls(int cloud, const char **login, const char **graph);

struct incremental_commit;

#ifdef RCPTSYNC_HAVE_GRAPH
/* What one Graph pull is asked to do (graph_fetch). */
struct graph_request {
	const struct graph_conf *conf;	    /* the tenant and collections */
	const char *table;		    /* the cache lives next to it */
	struct incremental_commit **commit; /* or NULL: read only */
	source_value_fn fn;		    /* every value goes here */
	void *ctx;			    /* FN's */
};

/*
 * graph_fetch - a pull of R->conf's collections: every proxyAddresses
 *	value of every object (guests left out) to R->fn, the object named
 *	"graph:users/ID" (groups/, contacts/).  With incremental: delta,
 *	a delta round continuing the object cache beside R->table
 *	(graphdelta.h), or a full round when in doubt (GSTATS->why_full);
 *	410 Gone or 400 syncStateNotFound start a full round once.  The
 *	new cache and deltaLinks are added to *R->commit (sync) to be saved
 *	with the accepted table; R->commit NULL: only read.  All or
 *	nothing: returns 0, or -1 with ERR set: TEMP (75) for throttling
 *	past the deadline, a repeated nextLink, too many pages, a body
 *	over the limit, a server that stops answering; UNAVAILABLE (69)
 *	when the server cannot be reached or answers nonsense (naming the
 *	URL); AUTH (77) when the credentials are refused, the secret file
 *	is unsafe, or a permission is missing (named).  STATS and GSTATS
 *	are filled either way.
 */
int graph_fetch(const struct graph_request *r, struct source_stats *stats,
		struct graph_stats *gstats, struct sync_err *err)
	__attribute__((warn_unused_result));
#endif

#endif
