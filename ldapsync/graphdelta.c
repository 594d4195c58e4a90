/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	graphdelta - source.graph's object cache and deltaLinks
 * DESCRIPTION
 *	incremental: delta keeps every object of the last delta round
 *	(id -> its raw proxyAddresses) and each collection's
 *	@odata.deltaLink, in the same object cache file as an LDAP
 *	incremental pull (cacheformat.c: written atomically, its object
 *	and value counts checked when read), TABLE.rcptsync-cache.graph.
 *	An object keyed by the SHA-256 of its name "graph:users/ID".  The
 *	deltaLinks are the mark's cookie: one NUL-terminated URL per
 *	collection, in graph_collection_name()'s order ("" when not
 *	included).
 *	The cache is streamed as the LDAP one is (incremental.c): pass 1
 *	at load keeps its keys, the round's objects and @removed go to a
 *	spill as they come (spill.c: the last of a put or a removal
 *	counts), and graphdelta_feed streams the objects the round did not
 *	touch, then the round's, to the pipeline and a new cache file
 *	(cachewrite.c).  Memory grows with the round, not the tenant.
 *	Any doubt means a full round: no cache, an unreadable one, one
 *	made for another tenant, client_id, graph_url or include set,
 *	full_every passed, a deltaLink missing or not under graph_url.
 *	Like the LDAP cache, the new one is only owed
 *	(incremental_owe_file) and saved with a table that was published
 *	or found unchanged.
 * OWNERSHIP
 *	struct graphdelta owns its scan, spill, path and links until
 *	graphdelta_feed() hands the new file and the path to the commit
 *	list.
 * DIAGNOSTICS
 *	A cache that cannot be continued is a reason for a full round
 *	(D->why), never an error; a spill that cannot be made or written,
 *	or a cache that no longer reads as it did, fails the round.
 * SEE ALSO
 *	doc/microsoft-graph.md (Listing and delta), doc/exchange-online.md,
 *	cacheformat.c, cachescan.c, spill.c, cachewrite.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>

#include "xalloc.h"
#include "cachefile.h"
#include "cachescan.h"
#include "cachewrite.h"
#include "graphdelta.h"
#include "incremental.h"

#define GRAPHDELTA_SUFFIX ".rcptsync-cache.graph"
#define GRAPHDELTA_KEY 32 /* SHA-256 */

/* sha256 - of S (LEN bytes) into OUT */
static void
sha256(const void *s, size_t len, unsigned char out[GRAPHDELTA_KEY])
{
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, s, len, out) < 0)
		panic("graphdelta: SHA-256 unavailable");
}

/* hash_hex - the first 8 bytes of SHA-256 of S (LEN bytes), as hex */
static void
hash_hex(const void *s, size_t len, char out[17])
{
	unsigned char h[GRAPHDELTA_KEY];

	sha256(s, len, h);
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/*
 * mark_config - what the cache is for: the selection (the include set)
 * as config, whose view (tenant, client_id, graph_url) as account
 */
static void
mark_config(const struct graph_conf *conf, struct objcache_mark *m)
{
	char buf[1200];
	int n;

	n = snprintf(buf, sizeof(buf), "graph delta 1 include %d",
		     conf->include);
	hash_hex(buf, (size_t)n, m->config);
	n = snprintf(buf, sizeof(buf), "%s%c%s%c%s", conf->tenant, 0,
		     conf->client_id, 0, conf->graph_url);
	hash_hex(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1,
		 m->account);
	snprintf(m->dc, sizeof(m->dc), "graph");
}

/* under - is URL under graph_url (the token goes with it)? */
static int
under(const struct graph_conf *conf, const char *url)
{
	size_t n = strlen(conf->graph_url);

	return strncmp(url, conf->graph_url, n) == 0 && url[n] == '/';
}

/* links_from_mark - the cookie's deltaLinks; why not, or NULL when good */
static const char *
links_from_mark(struct graphdelta *d, const struct graph_conf *conf)
{
	const unsigned char *p = d->mark.cookie, *end = p + d->mark.cookie_len;

	for (int i = 0; i < GRAPH_COLLECTIONS; i++) {
		const unsigned char *nul = memchr(p, '\0', (size_t)(end - p));

		if (nul == NULL)
			return "the cache holds no deltaLinks";
		if (conf->include & (1 << i)) {
			if (nul == p || !under(conf, (const char *)p))
				return "the cache lacks a deltaLink under "
				       "graph_url";
			d->links[i] = xstrdup((const char *)p);
		}
		p = nul + 1;
	}
	return p == end ? NULL : "the cache's deltaLinks are malformed";
}

/* new_spill - an empty spill for the round; none: the error, for feed */
static void
new_spill(struct graphdelta *d)
{
	spill_free(d->fresh);
	d->fresh = spill_new(d->path, GRAPHDELTA_KEY, &d->spill_err);
}

/* graphdelta_restart - see graphdelta.h */
void
graphdelta_restart(struct graphdelta *d, const char *why)
{
	cachescan_free(d->old);
	d->old = NULL;
	new_spill(d);
	for (int i = 0; i < GRAPH_COLLECTIONS; i++) {
		free(d->links[i]);
		d->links[i] = NULL;
	}
	memset(&d->mark, 0, sizeof(d->mark));
	d->full = 1;
	d->changed = d->removed = 0;
	snprintf(d->why, sizeof(d->why), "%s", why);
}

/* graphdelta_load - see graphdelta.h */
void
graphdelta_load(struct graphdelta *d, const struct graph_conf *conf,
		const char *table)
{
	struct objcache_mark want = {0};
	struct sync_err err = {0};
	size_t n = strlen(table) + sizeof(GRAPHDELTA_SUFFIX);
	const char *why = NULL;
	time_t now = time(NULL);
	int rc;

	memset(d, 0, sizeof(*d));
	d->path = xmalloc(n);
	snprintf(d->path, n, "%s%s", table, GRAPHDELTA_SUFFIX);
	rc = cachescan_open(d->path, GRAPHDELTA_KEY, &d->old, &d->mark, &err);
	mark_config(conf, &want);
	if (rc < 0)
		snprintf(d->problem, sizeof(d->problem), "%s", err.msg);
	if (rc <= 0)
		why = rc == 0 ? "no cache yet" : err.msg;
	else if (strcmp(d->mark.dc, "graph") != 0)
		why = "the cache is not a Graph cache";
	else if (strcmp(d->mark.account, want.account) != 0)
		why = "tenant, client_id or graph_url changed";
	else if (strcmp(d->mark.config, want.config) != 0)
		why = "include changed";
	else if (now - d->mark.full_at >= conf->full_every ||
		 now < d->mark.full_at)
		why = "full_every passed";
	else
		why = links_from_mark(d, conf);
	if (why == NULL) {
		new_spill(d);
		return;
	}
	{
		char copy[sizeof(d->why)];

		snprintf(copy, sizeof(copy), "%s", why);
		graphdelta_restart(d, copy);
	}
}

/* graphdelta_take - see graphdelta.h */
void
graphdelta_take(struct graphdelta *d, const char *name,
		const struct graphpage_object *o, int drop)
{
	unsigned char key[GRAPHDELTA_KEY];

	if (d->fresh == NULL)
		return; /* no spill: graphdelta_feed fails the round */
	sha256(name, strlen(name), key);
	if (drop) { /* a removal counts only if it was cached (seal) */
		if (spill_remove(d->fresh, key, sizeof(key)) < 0)
			panic("graphdelta: a key of %zu bytes", sizeof(key));
		return;
	}
	d->changed++;
	if (spill_put(d->fresh, key, sizeof(key), name, &d->spill_err) < 0)
		panic("graphdelta: %s", d->spill_err.msg);
	for (size_t i = 0; i < o->n_values; i++)
		spill_value(d->fresh, o->values[i], o->lens[i]);
}

/* graphdelta_seal - see graphdelta.h */
void
graphdelta_seal(struct graphdelta *d)
{
	const struct guidset *old;

	d->removed = 0;
	if (d->fresh == NULL)
		return;
	if (spill_seal(d->fresh, &d->spill_err) < 0) {
		/* the round's objects are not all kept: feed fails it */
		spill_free(d->fresh);
		d->fresh = NULL;
		return;
	}
	if (d->old == NULL)
		return;
	old = cachescan_guids(d->old);
	for (size_t i = 0; i < guidset_count(old); i++) {
		const unsigned char *k = guidset_key(old, i);

		d->removed += spill_touched(d->fresh, k, GRAPHDELTA_KEY) &&
			      !spill_has(d->fresh, k, GRAPHDELTA_KEY);
	}
}

struct feed_ctx {
	const struct graphdelta *d;
	source_value_fn fn;
	void *ctx;
	struct source_stats *stats;
	struct graph_stats *gs;
};

/* keeps - cachescan_select's keep: an object this round did not touch */
static int
keeps(void *ctx, const unsigned char *guid, size_t len)
{
	const struct graphdelta *d = ctx;

	return !spill_touched(d->fresh, guid, len);
}

/* feed - cachewrite's take: one object to the pipeline, as a full pull
 * gives it, counted by its collection */
static int
feed(void *ctx, const struct cacheobj *o, struct sync_err *err)
{
	struct feed_ctx *f = ctx;

	(void)err;
	f->stats->serial++;
	f->stats->entries++;
	for (int i = 0; i < GRAPH_COLLECTIONS; i++) {
		const char *c = graph_collection_name(i);
		size_t cl = strlen(c);

		if (strncmp(o->dn, "graph:", 6) == 0 &&
		    strncmp(o->dn + 6, c, cl) == 0 && o->dn[6 + cl] == '/')
			f->gs->count[i]++;
	}
	for (size_t i = 0; i < o->n; i++) {
		f->stats->values++;
		if (f->fn(f->ctx, o->dn, o->vals[i], o->lens[i]) < 0)
			return -1;
	}
	return 0;
}

/* new_mark - the new cache's mark with LINKS; the bytes they would take
 * when that is more than a cache keeps, else 0 */
static size_t
new_mark(const struct graphdelta *d, const struct graph_conf *conf,
	 char *const *links, struct objcache_mark *m)
{
	size_t used = 0, need = 0;

	mark_config(conf, m);
	m->full_at = d->full ? time(NULL) : d->mark.full_at;
	for (int i = 0; i < GRAPH_COLLECTIONS; i++)
		need += strlen(links[i] != NULL ? links[i] : "") + 1;
	/* too long to keep: no deltaLinks, so the next run is a full round
	 * (links_from_mark), and the caller says why */
	for (int i = 0; need <= sizeof(m->cookie) && i < GRAPH_COLLECTIONS;
	     i++) {
		const char *l = links[i] != NULL ? links[i] : "";
		size_t n = strlen(l) + 1;

		memcpy(m->cookie + used, l, n);
		used += n;
	}
	m->cookie_len = used;
	return need <= sizeof(m->cookie) ? 0 : need;
}

/* graphdelta_feed - see graphdelta.h */
int
graphdelta_feed(struct graphdelta *d, const struct graphdelta_feed_args *a,
		struct sync_err *err)
{
	struct feed_ctx f = {d, a->fn, a->ctx, a->stats, a->gs};
	struct objcache_mark *m = xcalloc(1, sizeof(*m));
	struct cachewrite cw = {.mark = m,
				.old = d->old,
				.fresh = d->fresh,
				.take = feed,
				.ctx = &f};
	char *tmp = NULL;
	int rc;

	if (d->fresh == NULL) {
		free(m);
		*err = d->spill_err;
		return -1;
	}
	a->stats->entries = a->stats->values = 0;
	memset(a->gs->count, 0, sizeof(a->gs->count));
	if (d->old != NULL)
		cachescan_select(d->old, keeps, d);
	a->gs->links_dropped = new_mark(d, a->conf, a->links, m);
	rc = cachewrite_run(&cw, d->path, a->commit != NULL ? &tmp : NULL, err);
	free(m);
	if (rc == 0 && a->commit != NULL) {
		if (cw.write_err.kind != SYNC_ERR_NONE)
			incremental_owe_failed(a->commit, d->path,
					       &cw.write_err);
		else
			incremental_owe_file(a->commit, d->path, tmp);
		d->path = NULL;
	}
	return rc;
}

/* graphdelta_free - see graphdelta.h */
void
graphdelta_free(struct graphdelta *d)
{
	if (d == NULL)
		return;
	cachescan_free(d->old);
	spill_free(d->fresh);
	free(d->path);
	for (int i = 0; i < GRAPH_COLLECTIONS; i++)
		free(d->links[i]);
}
