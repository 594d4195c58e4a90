/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	graphconf - the names source.graph's configuration is made of
 * DESCRIPTION
 *	The collections a Graph pull reads and the hosts of each national
 *	cloud, in one place for the config loader (built with or without
 *	the graph feature) and the pull (graph.c).
 * OWNERSHIP
 *	Static strings only.
 * DIAGNOSTICS
 *	An index out of range is a bug (panic).
 * SEE ALSO
 *	doc/microsoft-graph.md (Clouds), graph.h.
 */
#include <stddef.h>

#include "xalloc.h"
#include "graph.h"

static const char *const collections[GRAPH_COLLECTIONS] = {
	"users",
	"groups",
	"contacts",
};

/* One row per enum graph_cloud, in its order. */
static const struct {
	const char *login, *graph;
} clouds[] = {
	{"https://login.microsoftonline.com", "https://graph.microsoft.com"},
	{"https://login.microsoftonline.us", "https://graph.microsoft.us"},
	{"https://login.microsoftonline.us", "https://dod-graph.microsoft.us"},
	{"https://login.partner.microsoftonline.cn",
	 "https://microsoftgraph.chinacloudapi.cn"},
};

/* graph_collection_name - see graph.h */
const char *
graph_collection_name(int i)
{
	if (i < 0 || i >= GRAPH_COLLECTIONS)
		panic("graph: no collection %d", i);
	return collections[i];
}

/* graph_cloud_urls - see graph.h */
void
graph_cloud_urls(int cloud, const char **login, const char **graph)
{
	if (cloud < 0 || (size_t)cloud >= sizeof(clouds) / sizeof(clouds[0]))
		panic("graph: no cloud %d", cloud);
	*login = clouds[cloud].login;
	*graph = clouds[cloud].graph;
}
