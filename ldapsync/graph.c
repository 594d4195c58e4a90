/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	graph - Exchange Online's recipients from Microsoft Graph
 * DESCRIPTION
 *	A directory source like the LDAP one: a full pull of /users,
 *	/groups and /contacts (as source.graph.include says), each with
 *	$select=id,proxyAddresses (and userType for users) and $top=999,
 *	following @odata.nextLink until there is none; an empty page with a
 *	nextLink is not the end.  Every value goes to the caller's
 *	callback with its object named "graph:users/ID" (groups/,
 *	contacts/): the address rules are the caller's, the same as AD's.
 *	Guests (userType Guest) are left out: their addresses belong to
 *	other organisations.  accountEnabled is never looked at: shared
 *	and room mailboxes are disabled accounts.
 *	incremental: delta reads /users/delta (groups/, contacts/) with the
 *	same $select instead, from each collection's stored deltaLink, into
 *	the object cache (graphdelta.c), then hands the whole cache on as
 *	a full pull would: an object that comes back replaces its entry,
 *	@removed (either reason) and a guest drop it, a repeated one is
 *	taken again (the last wins).  410 Gone or 400 syncStateNotFound
 *	start one full round from nothing (the Location is not needed:
 *	a full round is what it points to), under the same limits.
 *
 *	Bounded, and all or nothing: 429, 503 and 504 are waited out
 *	(Retry-After, else a doubling backoff) only within the run's
 *	deadline; a nextLink seen twice in one pull (its exact text: a
 *	fingerprint's hit is only a reason to compare), more pages than
 *	GRAPH_PAGES_MAX, a body over GRAPH_BODY_MAX or the deadline end the
 *	pull with TEMP; a nextLink back to the deltaLink a round began
 *	from is such a repeat.  A nextLink or deltaLink must stay under
 *	graph_url (the token is never sent elsewhere).  A 401 gets one
 *	new token and one retry.
 * OWNERSHIP
 *	Everything is freed before graph_fetch() returns; the callback
 *	gets strings valid during the call only.
 * DIAGNOSTICS
 *	sync_err as graph.h says; every string from Graph is escaped.
 * SEE ALSO
 *	doc/microsoft-graph.md, graphhttp.c, graphtoken.c, graphpage.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "proxyaddr.h"
#include "seen.h"
#include "xalloc.h"
#include "graphdelta.h"
#include "graphhttp.h"
#include "graphpage.h"
#include "graphtoken.h"
#include "graph.h"

/* A page of 999 objects with their addresses is well under 2 MB. */
#define GRAPH_BODY_MAX (64UL << 20)
/* Per collection: 20 million objects at 999 a page. */
#define GRAPH_PAGES_MAX 20000UL
#define GRAPH_TOP 999
/* Throttled answers waited out for one page, and the longest backoff. */
#define GRAPH_THROTTLED_MAX 10
#define GRAPH_BACKOFF_MAX 60

/* One row per collection, in graph_collection_name()'s order. */
static const struct {
	int flag;
	const char *select;
	const char *permission; /* the application permission it needs */
} collections[GRAPH_COLLECTIONS] = {
	{GRAPH_USERS, "id,proxyAddresses,userType", "User.Read.All"},
	{GRAPH_GROUPS, "id,proxyAddresses", "Group.Read.All"},
	{GRAPH_CONTACTS, "id,proxyAddresses", "OrgContact.Read.All"},
};

/* One run's pull. */
struct pull {
	const struct graph_conf *conf;
	struct graphhttp *http;
	struct graphtoken *token;
	source_value_fn fn;
	void *ctx;
	struct source_stats *stats;
	struct graph_stats *gs;
	int coll; /* the collection being read */
	unsigned long pages_max;
	size_t body_max;
	struct graphdelta *delta;	/* incremental: delta; else NULL */
	char *links[GRAPH_COLLECTIONS]; /* the round's deltaLinks */
	int reset; /* Graph asked for a full round (410, syncStateNotFound) */
};

/* shown_url - URL escaped for a message */
static const char *
shown_url(const char *url, char *buf, size_t size)
{
	return proxyaddr_escape(url, strlen(url), buf, size);
}

/*
 * throttled - wait out a 429/503/504 if the deadline allows: Retry-After
 * when given, else 1, 2, 4 ... seconds.  Returns 0 to retry, or -1 (TEMP)
 */
static int
throttled(struct pull *p, const char *url, const struct graphhttp_reply *r,
	  int *attempts, struct sync_err *err)
{
	long wait = r->retry_after >= 0 ? r->retry_after
					: 1L << (*attempts < 6 ? *attempts : 6);
	char shown[300];
	struct timespec ts;

	if (wait > GRAPH_BACKOFF_MAX && r->retry_after < 0)
		wait = GRAPH_BACKOFF_MAX;
	shown_url(url, shown, sizeof(shown));
	if (++*attempts > GRAPH_THROTTLED_MAX)
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "%s: still HTTP %ld after %d retries",
				    shown, r->status, GRAPH_THROTTLED_MAX);
	if (clock_seconds(CLOCK_MONOTONIC) + (double)wait >= p->conf->deadline)
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "%s: HTTP %ld, retry after %ld s: past the "
				    "run's deadline (%ld s)",
				    shown, r->status, wait,
				    p->conf->deadline_seconds);
	p->gs->retries++;
	p->gs->waited += (double)wait;
	ts.tv_sec = wait;
	ts.tv_nsec = 0;
	nanosleep(&ts, NULL);
	return 0;
}

/* refused - a status that ends the pull, as the error it means */
static int
refused(struct pull *p, const char *url, const struct graphhttp_reply *r,
	struct sync_err *err)
{
	char shown[300], code[80], msg[200];

	shown_url(url, shown, sizeof(shown));
	graphpage_error(r->body, r->len, code, sizeof(code), msg, sizeof(msg));
	if (r->status == 403)
		return sync_err_set(err, SYNC_ERR_AUTH,
				    "%s: HTTP 403 %s: the app lacks the "
				    "application permission %s (or "
				    "Directory.Read.All), with admin consent",
				    shown, code,
				    collections[p->coll].permission);
	if (r->status == 401)
		return sync_err_set(err, SYNC_ERR_AUTH,
				    "%s: HTTP 401 %s even with a new token: %s",
				    shown, code, msg);
	return sync_err_set(err, SYNC_ERR_UNAVAILABLE, "%s: HTTP %ld %s%s%s",
			    shown, r->status, code, msg[0] ? ": " : "", msg);
}

/*
 * resync - a delta round Graph no longer continues: 410 Gone, or 400
 * syncStateNotFound (doc/microsoft-graph.md, "Listing and delta").
 * Returns 1 (with P->reset and a TEMP error) or 0 when R is no such answer.
 */
static int
resync(struct pull *p, const char *url, const struct graphhttp_reply *r,
       struct sync_err *err)
{
	char shown[300], code[80], msg[200];

	if (p->delta == NULL || (r->status != 410 && r->status != 400))
		return 0;
	graphpage_error(r->body, r->len, code, sizeof(code), msg, sizeof(msg));
	if (r->status == 400 && strcmp(code, "syncStateNotFound") != 0)
		return 0;
	p->reset = 1;
	sync_err_set(err, SYNC_ERR_TEMP,
		     "%s: HTTP %ld %s: Graph asks for a full round",
		     shown_url(url, shown, sizeof(shown)), r->status,
		     r->status == 410 ? "Gone" : code);
	return 1;
}

/* get_page - one page with the run's token: 200, or -1 with ERR */
static int
get_page(struct pull *p, const char *url, struct graphhttp_reply *r,
	 struct sync_err *err)
{
	int renewed = 0, attempts = 0;
	const char *bearer;

	for (;;) {
		if (graphtoken_get(p->token, p->http, 0, &bearer, err) < 0 ||
		    graphhttp_get(p->http, url, bearer, r, err) < 0)
			return -1;
		if (r->status == 200)
			return 0;
		if (r->status == 401 && !renewed) {
			/* expired or revoked: one new token, one retry */
			renewed = 1;
			graphhttp_reply_free(r);
			if (graphtoken_get(p->token, p->http, 1, &bearer, err) <
			    0)
				return -1;
			continue;
		}
		if (r->status == 429 || r->status == 503 || r->status == 504) {
			int rc = throttled(p, url, r, &attempts, err);

			graphhttp_reply_free(r);
			if (rc == 0)
				continue;
			return -1;
		}
		if (!resync(p, url, r, err))
			refused(p, url, r, err);
		graphhttp_reply_free(r);
		return -1;
	}
}

/* take_object - one object of a page: its values to the callback */
static int
take_object(void *ctx, const struct graphpage_object *o)
{
	struct pull *p = ctx;
	char name[GRAPHPAGE_ID_MAX + 32];
	int guest = p->coll == 0 && o->guest && !o->removed;

	if (guest)
		p->gs->guests++;
	snprintf(name, sizeof(name), "graph:%s/%s",
		 graph_collection_name(p->coll), o->id);
	if (p->delta != NULL) {
		graphdelta_take(p->delta, name, o, guest || o->removed);
		return 0;
	}
	if (guest || o->removed) /* a listing has no @removed */
		return 0;
	p->stats->entries++;
	p->stats->serial++;
	p->gs->count[p->coll]++;
	for (size_t i = 0; i < o->n_values; i++) {
		p->stats->values++;
		if (p->fn(p->ctx, name, o->values[i], o->lens[i]) < 0)
			return -1;
	}
	return 0;
}

/* next_link - NEXT must stay under graph_url: the token goes with it */
static int
next_link(struct pull *p, const char *url, const char *what, const char *next,
	  struct sync_err *err)
{
	size_t n = strlen(p->conf->graph_url);
	char shown[300], shown_next[300];

	if (strncmp(next, p->conf->graph_url, n) == 0 && next[n] == '/')
		return 0;
	return sync_err_set(err, SYNC_ERR_UNAVAILABLE,
			    "%s: @odata.%s %s is not under %s",
			    shown_url(url, shown, sizeof(shown)), what,
			    shown_url(next, shown_next, sizeof(shown_next)),
			    p->conf->graph_url);
}

/*
 * read_page - fetch URL and pass its objects on; *NEXT its nextLink, and
 * a delta round's last page's deltaLink into P->links
 */
static int
read_page(struct pull *p, const char *url, char **next, struct sync_err *err)
{
	struct graphhttp_reply r;
	struct graphpage_links links;
	char shown[300], *delta;
	int rc;

	if (get_page(p, url, &r, err) < 0)
		return -1;
	rc = graphpage_parse(r.body, r.len, take_object, p, &links, err);
	*next = links.next;
	delta = links.delta;
	graphhttp_reply_free(&r);
	if (rc < 0)
		return err->kind == SYNC_ERR_UNAVAILABLE
			       ? sync_err_prefix(
					 err, "%s",
					 shown_url(url, shown, sizeof(shown)))
			       : -1;
	if (delta != NULL && p->delta != NULL) {
		if (next_link(p, url, "deltaLink", delta, err) < 0) {
			free(delta);
			return -1;
		}
		free(p->links[p->coll]);
		p->links[p->coll] = delta;
		delta = NULL;
	}
	free(delta);
	if (*next != NULL && next_link(p, url, "nextLink", *next, err) < 0) {
		free(*next);
		*next = NULL;
		return -1;
	}
	return 0;
}

/*
 * first_url - where collection I begins: the listing, a delta round from
 * nothing ($top is not for delta: the service picks the page size), or
 * the stored deltaLink.  The caller frees it.
 */
static char *
first_url(const struct pull *p, int i)
{
	size_t n = strlen(p->conf->graph_url) + 128;
	char *url;

	if (p->delta != NULL && !p->delta->full)
		return xstrdup(p->delta->links[i]);
	url = xmalloc(n);
	if (p->delta != NULL)
		snprintf(url, n, "%s/v1.0/%s/delta?$select=%s",
			 p->conf->graph_url, graph_collection_name(i),
			 collections[i].select);
	else
		snprintf(url, n, "%s/v1.0/%s?$select=%s&$top=%d",
			 p->conf->graph_url, graph_collection_name(i),
			 collections[i].select, GRAPH_TOP);
	return url;
}

/* The links a collection's pull has followed, for link_again. */
struct links {
	struct seen *seen; /* their fingerprints */
	char **v;	   /* and their text */
	size_t n, alloc;
};

/*
 * link_again - was URL followed already in this pull?  A hit on the
 * fingerprint (seen.c) can be another link's: only the text says yes
 */
static int
link_again(struct links *l, const char *url)
{
	if (seen_add(l->seen, url, strlen(url)) != 0)
		for (size_t k = 0; k < l->n; k++)
			if (strcmp(l->v[k], url) == 0)
				return 1;
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 16;
		l->v = xreallocarray(l->v, l->alloc, sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(url);
	return 0;
}

/* pull_collection - every page of collection I */
static int
pull_collection(struct pull *p, int i, struct sync_err *err)
{
	struct links links = {seen_new(), NULL, 0, 0};
	char *url, *next = NULL, shown[300];
	int rc = 0;

	p->coll = i;
	url = first_url(p, i);
	while (url != NULL && rc == 0) {
		if (link_again(&links, url))
			rc = sync_err_set(err, SYNC_ERR_TEMP,
					  "%s: @odata.nextLink seen twice in "
					  "one pull: the server loops",
					  shown_url(url, shown, sizeof(shown)));
		else if (p->gs->pages[i] >= p->pages_max)
			rc = sync_err_set(err, SYNC_ERR_TEMP,
					  "%s: more than %lu pages of %s",
					  p->conf->graph_url, p->pages_max,
					  graph_collection_name(i));
		else if ((rc = read_page(p, url, &next, err)) == 0) {
			p->gs->pages[i]++;
			p->stats->pages++;
		}
		free(url);
		url = next;
		next = NULL;
	}
	free(url);
	seen_free(links.seen);
	for (size_t k = 0; k < links.n; k++)
		free(links.v[k]);
	free(links.v);
	if (rc == 0 && p->delta != NULL && p->links[i] == NULL)
		rc = sync_err_set(err, SYNC_ERR_UNAVAILABLE,
				  "%s/v1.0/%s/delta: the round ended without "
				  "an @odata.deltaLink",
				  p->conf->graph_url, graph_collection_name(i));
	return rc;
}

/* pull_round - every included collection, once */
static int
pull_round(struct pull *p, struct sync_err *err)
{
	int rc = 0;

	for (int i = 0; rc == 0 && i < GRAPH_COLLECTIONS; i++)
		if (p->conf->include & collections[i].flag)
			rc = pull_collection(p, i, err);
	return rc;
}

/*
 * pull_delta - a delta round from the cache; when Graph asks for a full
 * round (410, syncStateNotFound), one from nothing, under the same
 * bounds.  Then every cached value to the caller, and the cache owed.
 */
static int
pull_delta(struct pull *p, struct incremental_commit **commit,
	   struct sync_err *err)
{
	struct graphdelta *d = p->delta;
	int rc = pull_round(p, err);

	if (rc < 0 && p->reset && !d->full) {
		char why[sizeof(d->why)];

		snprintf(why, sizeof(why), "%s", err->msg);
		graphdelta_restart(d, why);
		for (int i = 0; i < GRAPH_COLLECTIONS; i++) {
			free(p->links[i]);
			p->links[i] = NULL;
		}
		p->reset = 0;
		p->gs->guests = 0;
		/* the abandoned round's pages count neither here nor there */
		for (int i = 0; i < GRAPH_COLLECTIONS; i++)
			p->stats->pages -= p->gs->pages[i];
		memset(p->gs->pages, 0, sizeof(p->gs->pages));
		memset(err, 0, sizeof(*err));
		rc = pull_round(p, err);
	}
	graphdelta_seal(d);
	p->gs->delta = 1;
	p->gs->full = d->full;
	p->gs->changed = d->changed;
	p->gs->removed = d->removed;
	snprintf(p->gs->why_full, sizeof(p->gs->why_full), "%s", d->why);
	snprintf(p->gs->cache_problem, sizeof(p->gs->cache_problem), "%s",
		 d->problem);
	if (rc == 0) {
		struct graphdelta_feed_args a = {p->conf, p->links, commit,
						 p->fn,	  p->ctx,   p->stats,
						 p->gs};

		rc = graphdelta_feed(d, &a, err);
	}
	return rc;
}

/* limits - the bounds; a test build may lower them (graph.sh) */
static void
limits(struct pull *p)
{
	p->pages_max = GRAPH_PAGES_MAX;
	p->body_max = GRAPH_BODY_MAX;
#ifdef RCPTSYNC_FAULT_INJECTION
	const char *s = getenv("RCPTSYNC_GRAPH_LIMITS"); /* PAGES,BYTES */
	unsigned long pages, bytes;

	if (s != NULL && sscanf(s, "%lu,%lu", &pages, &bytes) == 2) {
		p->pages_max = pages;
		p->body_max = bytes;
	}
#endif
}

/* graph_fetch - see graph.h */
int
graph_fetch(const struct graph_request *r, struct source_stats *stats,
	    struct graph_stats *gstats, struct sync_err *err)
{
	const struct graph_conf *conf = r->conf;
	struct graphdelta delta;
	struct pull p = {.conf = conf,
			 .fn = r->fn,
			 .ctx = r->ctx,
			 .stats = stats,
			 .gs = gstats};
	const char *bearer;
	int rc = 0;

	memset(stats, 0, sizeof(*stats));
	memset(gstats, 0, sizeof(*gstats));
	gstats->done = 1;
	limits(&p);
	if (conf->incremental) {
		graphdelta_load(&delta, conf, r->table);
		p.delta = &delta;
	}
	snprintf(stats->server, sizeof(stats->server), "%s", conf->graph_url);
	p.http = graphhttp_new(conf->ca_file, conf->timeout, conf->deadline,
			       p.body_max);
	p.token = graphtoken_new(conf);
	rc = graphtoken_get(p.token, p.http, 0, &bearer, err);
	snprintf(gstats->credential, sizeof(gstats->credential), "%s",
		 graphtoken_credential(p.token));
	snprintf(stats->bound_as, sizeof(stats->bound_as), "app %s with a %s",
		 conf->client_id, graphtoken_credential(p.token));
	if (rc == 0)
		rc = p.delta != NULL ? pull_delta(&p, r->commit, err)
				     : pull_round(&p, err);
	else if (p.delta != NULL) /* -v says why, even when it failed */
		snprintf(gstats->why_full, sizeof(gstats->why_full), "%s",
			 delta.why);
	gstats->requests = graphhttp_requests(p.http);
	for (int i = 0; i < GRAPH_COLLECTIONS; i++)
		free(p.links[i]);
	if (p.delta != NULL)
		graphdelta_free(p.delta);
	graphtoken_free(p.token);
	graphhttp_free(p.http);
	return rc;
}
