/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	config_graph - the source.graph section of sync.yaml
 * DESCRIPTION
 *	Exchange Online's recipients through Microsoft Graph, into a
 *	struct graph_conf: the tenant and app registration, one
 *	credential (a certificate, or a client secret), the cloud or its
 *	URLs, the collections to read, the timeout and the CA.  Each key is
 *	a row (config_impl.h): its type, field, default and check.  Checks
 *	what cannot work (two credentials, a key without a certificate, a
 *	URL that is not https) before anything connects.  The secret files
 *	are checked where they are read, as bind.password_file is
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

/* The nodes the checks across keys point at (the rows' .at keep them);
 * NULL: absent. */
struct graph_walk {
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
	struct graph_conf *g = dst;

	if (!only_of(g->tenant, "abcdefghijklmnopqrstuvwxyz"
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
	struct graph_conf *g = dst;

	if (!only_of(g->client_id, "abcdefABCDEF0123456789-"))
		return fail_at(w, v,
			       "source.graph.client_id must be the "
			       "application (client) id, a GUID");
	return 0;
}

/*
 * check_https_url - *URL (a non-empty string) must be an https:// URL
 * with a host and nothing after its path (no query, no fragment: paths
 * are appended); its trailing '/'s are cut
 */
static int
check_https_url(struct walker *w, yaml_node_t *v, const char *what, char *url)
{
	size_t n;

	if (strncmp(url, "https://", 8) != 0 || url[8] == '\0' ||
	    url[8] == '/' || strpbrk(url, "?#@ \t\r\n") != NULL)
		return fail_at(w, v,
			       "%s must be an https:// URL without a query "
			       "or user name",
			       what);
	n = strlen(url);
	while (n > 8 && url[n - 1] == '/')
		url[--n] = '\0';
	return 0;
}

/* graph_login_url - login_url: overrides the cloud's */
static int
graph_login_url(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_conf *g = dst;

	return check_https_url(w, v, "source.graph.login_url", g->login_url);
}

/* graph_graph_url - graph_url: overrides the cloud's */
static int
graph_graph_url(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_conf *g = dst;

	return check_https_url(w, v, "source.graph.graph_url", g->graph_url);
}

/* graph_include - include: users, groups, contacts */
static int
graph_include(struct walker *w, yaml_node_t *v, void *dst)
{
	struct graph_conf *g = dst;
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
	g->include = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		/* the entry, with the mark of the include node */
		yaml_node_t el = *v;

		el.type = YAML_SCALAR_NODE;
		el.data.scalar.value = (yaml_char_t *)picked[i];
		el.data.scalar.length = strlen(picked[i]);
		rc = get_choice(w, &el, "source.graph.include entries", names,
				&pick);
		if (rc == 0)
			g->include |= 1 << pick;
	}
	free_list(picked);
	return rc;
}

/* check_graph - what the keys need of each other */
static int
check_graph(struct walker *w, yaml_node_t *node, void *dst, void *nodes)
{
	const struct graph_conf *g = dst;
	const struct graph_walk *gw = nodes;

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

/* Index = enum graph_cloud; incremental: 1 is delta (doc/exchange-online.md) */
static const char *const clouds[] = {"global", "usgov", "usgov-dod", "china",
				     NULL};
static const char *const incr_modes[] = {"none", "delta", NULL};

#define G(member) offsetof(struct graph_conf, member)
#define W(member) CONFIG_AT(struct graph_walk, member)

static const struct config_key graph_tls_keys[] = {
	/* absent: the system's CAs; verification is always on */
	CONFIG_KEY("ca_file", CONFIG_PATH, G(ca_file)),
	CONFIG_END,
};

static const struct config_section graph_tls_section = {
	"source.graph.tls", "source.graph.tls.", graph_tls_keys, NULL};

static const struct config_key graph_keys[] = {
	CONFIG_KEY("tenant", CONFIG_STRING, G(tenant), .check = graph_tenant),
	CONFIG_KEY("client_id", CONFIG_STRING, G(client_id),
		   .check = graph_client_id),
	CONFIG_KEY("certificate_file", CONFIG_SECRET, G(certificate_file)),
	/* NULL: the key is in the certificate's file */
	CONFIG_KEY("key_file", CONFIG_SECRET, G(key_file), .at = W(key)),
	CONFIG_KEY("client_secret_file", CONFIG_SECRET, G(client_secret_file),
		   .at = W(secret)),
	CONFIG_KEY("cloud", CONFIG_ENUM, G(cloud), .names = clouds,
		   .def = "global"),
	/* absent: the cloud's (walk_graph) */
	CONFIG_KEY("login_url", CONFIG_STRING, G(login_url),
		   .check = graph_login_url),
	CONFIG_KEY("graph_url", CONFIG_STRING, G(graph_url),
		   .check = graph_graph_url),
	/* default: every collection (walk_graph) */
	CONFIG_FN("include", graph_include),
	CONFIG_KEY("incremental", CONFIG_ENUM, G(incremental),
		   .names = incr_modes),
	/* for incremental: delta */
	CONFIG_KEY("full_every", CONFIG_DURATION, G(full_every), .def = "24h"),
	/* seconds to connect, and of silence */
	CONFIG_KEY("timeout", CONFIG_INT, G(timeout), .min = 1, .max = 3600,
		   .def = "30"),
	CONFIG_KEY("tls", CONFIG_SECTION, 0, .section = &graph_tls_section),
	CONFIG_END,
};

static const struct config_section graph_section = {
	"source.graph", "source.graph.", graph_keys, check_graph};

/* walk_graph - source.graph */
int
walk_graph(struct walker *w, yaml_node_t *node, struct sync_conf *c)
{
	struct graph_walk gw = {NULL, NULL};
	const char *login, *graph;

#ifndef RCPTSYNC_HAVE_GRAPH
	return fail_at(w, node,
		       "source.graph: this rcptsync was built without "
		       "Microsoft Graph support (meson -Dgraph=enabled, "
		       "with libcurl, jansson and GnuTLS)");
#endif
	c->graph = xcalloc(1, sizeof(*c->graph));
	config_defaults(w, &graph_section, c->graph);
	/* every collection; include replaces it */
	c->graph->include = GRAPH_ALL;
	if (walk_section(w, node, &graph_section, c->graph, &gw) < 0)
		return -1;
	graph_cloud_urls(c->graph->cloud, &login, &graph);
	if (c->graph->login_url == NULL)
		c->graph->login_url = xstrdup(login);
	if (c->graph->graph_url == NULL)
		c->graph->graph_url = xstrdup(graph);
	return 0;
}

/* config_graph_free - what the rows name, and the section; NULL is ok */
void
config_graph_free(struct graph_conf *g)
{
	if (g == NULL)
		return;
	config_release(&graph_section, g);
	free(g);
}
