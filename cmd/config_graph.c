/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	config_graph - the source.graph section of sync.yaml
 * DESCRIPTION
 *	Exchange Online's recipients through Microsoft Graph, into a
 *	struct graph_conf: the tenant and app registration, one
 *	credential (a certificate, or a client secret), the cloud or its
 *	URLs, the collections to read, the timeout and the CA.  Checks what
 *	cannot work (two credentials, a key without a certificate, a URL
 *	that is not https) before anything connects.  The secret files are
 *	checked where they are read, as bind.password_file is
 *	(secret_read(): a regular file, ours or root's, mode 0600 or less).
 * OWNERSHIP
 *	struct sync_conf owns the section and its strings (config_free(),
 *	through config_graph_free()).
 * DIAGNOSTICS
 *	CONFIG sync_err with FILE:LINE:COLUMN of the offending node.
 * SEE ALSO
 *	config_impl.h, graph.h, doc/microsoft-graph.md.
 */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "xalloc.h"
#include "graph.h"
#include "config.h"
#include "config_impl.h"

/* The node of each key a check across keys points at; NULL: absent. */
struct graph_walk {
	struct graph_conf *g;
	yaml_node_t *key, *secret;
};

/* only_of - is every byte of S in the set ALLOWED (and S not empty)? */
static int
only_of(const char *s, const char *allowed)
{
	return *s != '\0' && strspn(s, allowed) == strlen(s);
}

/* graph_tenant - tenant: an id or a domain, put into the token URL */
static int
graph_tenant(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_walk *gw = dst;

	if (get_string(w, v, "source.graph.tenant", &gw->g->tenant) < 0)
		return -1;
	if (!only_of(gw->g->tenant, "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"))
		return fail_at(w, v,
			       "source.graph.tenant must be a tenant id "
			       "(a GUID) or a domain such as "
			       "contoso.onmicrosoft.com");
	return 0;
}

/* graph_client_id - client_id: the application (client) id */
static int
graph_client_id(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_walk *gw = dst;

	if (get_string(w, v, "source.graph.client_id", &gw->g->client_id) < 0)
		return -1;
	if (!only_of(gw->g->client_id, "abcdefABCDEF0123456789-"))
		return fail_at(w, v,
			       "source.graph.client_id must be the "
			       "application (client) id, a GUID");
	return 0;
}

/* graph_certificate_file - certificate_file: PEM, a secret */
static int
graph_certificate_file(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_walk *gw = dst;

	return get_secret_path(w, v, "source.graph.certificate_file",
			       &gw->g->certificate_file);
}

/* graph_key_file - key_file: the certificate's RSA key, a secret */
static int
graph_key_file(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_walk *gw = dst;

	gw->key = v;
	return get_secret_path(w, v, "source.graph.key_file", &gw->g->key_file);
}

/* graph_client_secret_file - client_secret_file: a secret */
static int
graph_client_secret_file(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_walk *gw = dst;

	gw->secret = v;
	return get_secret_path(w, v, "source.graph.client_secret_file",
			       &gw->g->client_secret_file);
}

/* graph_cloud - cloud: which national cloud's hosts */
static int
graph_cloud(struct walker *w, yaml_node_t *v, void *dst)
{
	static const char *const names[] = {"global", "usgov", "usgov-dod",
					    "china", NULL};
	struct graph_walk *gw = dst;

	return get_choice(w, v, "source.graph.cloud", names, &gw->g->cloud);
}

/*
 * get_https_url - an https:// URL with a host and nothing after its path
 * (no query, no fragment: paths are appended), without a trailing '/'
 */
static int
get_https_url(struct walker *w, yaml_node_t *v, const char *what, char **out)
{
	size_t n;

	if (get_string(w, v, what, out) < 0)
		return -1;
	if (strncmp(*out, "https://", 8) != 0 || (*out)[8] == '\0' ||
	    (*out)[8] == '/' || strpbrk(*out, "?#@ \t\r\n") != NULL)
		return fail_at(w, v,
			       "%s must be an https:// URL without a query "
			       "or user name",
			       what);
	n = strlen(*out);
	while (n > 8 && (*out)[n - 1] == '/')
		(*out)[--n] = '\0';
	return 0;
}

/* graph_login_url - login_url: overrides the cloud's */
static int
graph_login_url(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_walk *gw = dst;

	return get_https_url(w, v, "source.graph.login_url", &gw->g->login_url);
}

/* graph_graph_url - graph_url: overrides the cloud's */
static int
graph_graph_url(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_walk *gw = dst;

	return get_https_url(w, v, "source.graph.graph_url", &gw->g->graph_url);
}

/* graph_include - include: users, groups, contacts */
static int
graph_include(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_walk *gw = dst;
	const char *names[GRAPH_COLLECTIONS + 1] = {NULL};
	char **picked = NULL;
	size_t n = 0;
	int pick, rc = 0;

	for (int i = 0; i < GRAPH_COLLECTIONS; i++)
		names[i] = graph_collection_name(i);
	if (get_list(w, v, "source.graph.include", &picked, &n) < 0)
		return -1;
	if (n == 0)
		rc = fail_at(w, v, "source.graph.include lists nothing");
	gw->g->include = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		/* the entry, with the mark of the include node */
		yaml_node_t el = *v;

		el.type = YAML_SCALAR_NODE;
		el.data.scalar.value = (yaml_char_t *)picked[i];
		el.data.scalar.length = strlen(picked[i]);
		rc = get_choice(w, &el, "source.graph.include entries", names,
				&pick);
		if (rc == 0)
			gw->g->include |= 1 << pick;
	}
	free_list(picked);
	return rc;
}

/* graph_incremental - incremental: none, or delta (doc/exchange-online.md) */
static int
graph_incremental(struct walker *w, yaml_node_t *v, void *dst)
{
	static const char *const names[] = {"none", "delta", NULL};
	struct graph_walk *gw = dst;

	return get_choice(w, v, "source.graph.incremental", names,
			  &gw->g->incremental);
}

/* graph_full_every - full_every: for incremental: delta */
static int
graph_full_every(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_walk *gw = dst;

	return get_duration(w, v, "source.graph.full_every",
			    &gw->g->full_every);
}

/* graph_timeout - timeout: seconds to connect, and of silence */
static int
graph_timeout(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_walk *gw = dst;

	return get_int(w, v, "source.graph.timeout", 1, 3600, &gw->g->timeout);
}

/* graph_tls_ca_file - tls.ca_file: the CAs; absent: the system's */
static int
graph_tls_ca_file(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_walk *gw = dst;

	return get_path(w, v, "source.graph.tls.ca_file", &gw->g->ca_file);
}

static const struct config_key graph_tls_keys[] = {
	CONFIG_FN("ca_file", graph_tls_ca_file),
	CONFIG_END,
};

static const struct config_section graph_tls_section = {
	"source.graph.tls", "source.graph.tls.", graph_tls_keys, NULL};

/* graph_tls - tls: the CA file only; verification is always on */
static int
graph_tls(struct walker *w, yaml_node_t *v, void *dst)
{
	return walk_section(w, v, &graph_tls_section, dst, NULL);
}

static const struct config_key graph_keys[] = {
	CONFIG_FN("tenant", graph_tenant),
	CONFIG_FN("client_id", graph_client_id),
	CONFIG_FN("certificate_file", graph_certificate_file),
	CONFIG_FN("key_file", graph_key_file),
	CONFIG_FN("client_secret_file", graph_client_secret_file),
	CONFIG_FN("cloud", graph_cloud),
	CONFIG_FN("login_url", graph_login_url),
	CONFIG_FN("graph_url", graph_graph_url),
	CONFIG_FN("include", graph_include),
	CONFIG_FN("incremental", graph_incremental),
	CONFIG_FN("full_every", graph_full_every),
	CONFIG_FN("timeout", graph_timeout),
	CONFIG_FN("tls", graph_tls),
	CONFIG_END,
};

static const struct config_section graph_section = {
	"source.graph", "source.graph.", graph_keys, NULL};

/* check_graph - what the keys need of each other */
static int
check_graph(struct walker *w, yaml_node_t *node, const struct graph_walk *gw)
{
	const struct graph_conf *g = gw->g;

	if (g->tenant == NULL || g->client_id == NULL)
		return fail_at(w, node,
			       "source.graph needs tenant and client_id");
	if (g->certificate_file != NULL && g->client_secret_file != NULL)
		return fail_at(w, gw->secret,
			       "source.graph takes certificate_file or "
			       "client_secret_file, not both");
	if (g->certificate_file == NULL && g->client_secret_file == NULL)
		return fail_at(w, node,
			       "source.graph needs a credential: "
			       "certificate_file (recommended) or "
			       "client_secret_file");
	if (g->key_file != NULL && g->certificate_file == NULL)
		return fail_at(w, gw->key,
			       "source.graph.key_file goes with "
			       "certificate_file");
	return 0;
}

/* graph_defaults - what absent keys mean */
static void
graph_defaults(struct graph_conf *g)
{
	memset(g, 0, sizeof(*g));
	g->cloud = GRAPH_CLOUD_GLOBAL;
	g->include = GRAPH_ALL;
	g->timeout = 30;
	g->full_every = 24 * 3600;
}

/* walk_graph - source.graph */
int
walk_graph(struct walker *w, yaml_node_t *node, struct sync_conf *c)
{
	struct graph_walk gw;
	const char *login, *graph;

#ifndef RCPTSYNC_HAVE_GRAPH
	return fail_at(w, node,
		       "source.graph: this rcptsync was built without "
		       "Microsoft Graph support (meson -Dgraph=enabled, "
		       "with libcurl, jansson and GnuTLS)");
#endif
	c->graph = xmalloc(sizeof(*c->graph));
	graph_defaults(c->graph);
	memset(&gw, 0, sizeof(gw));
	gw.g = c->graph;
	if (walk_section(w, node, &graph_section, &gw, NULL) < 0)
		return -1;
	if (check_graph(w, node, &gw) < 0)
		return -1;
	graph_cloud_urls(c->graph->cloud, &login, &graph);
	if (c->graph->login_url == NULL)
		c->graph->login_url = xstrdup(login);
	if (c->graph->graph_url == NULL)
		c->graph->graph_url = xstrdup(graph);
	return 0;
}

/* config_graph_free - source.graph's strings, and itself; NULL is ok */
void
config_graph_free(struct graph_conf *g)
{
	if (g == NULL)
		return;
	free(g->tenant);
	free(g->client_id);
	free(g->certificate_file);
	free(g->key_file);
	free(g->client_secret_file);
	free(g->login_url);
	free(g->graph_url);
	free(g->ca_file);
	free(g);
}
