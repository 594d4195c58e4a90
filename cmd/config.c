/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	config - read sync.yaml into struct sync_conf
 * DESCRIPTION
 *	libyaml loads the document; walk_section() (config_value.c) walks
 *	it section by section.  A section is a table of rows, one per key,
 *	as Postfix's CONFIG_*_TABLE rows: the key's name, its type, the
 *	offset of its field, its default (as sync.yaml would say it), its
 *	bounds or names, an optional check and where its node is kept for
 *	checks across keys.  One parser per type stores the value; a row
 *	has a function of its own only where a key truly needs one.  The
 *	defaults are the rows' (config_defaults()), and config_free()
 *	releases what the rows name.  The top-level sections are here,
 *	source.ldap is in config_ldap.c, source.graph in config_graph.c.
 *	Unknown keys, duplicate keys, wrong types and bad values are errors
 *	with FILE:LINE:COLUMN of the offending node (libyaml's marks are
 *	0-based; we print 1-based, as compilers do).  Nothing is guessed: a
 *	gateway that syncs against the wrong base or domain loses mail.
 *	Relative paths are taken relative to the directory of sync.yaml,
 *	so a config and its files can move together.
 * OWNERSHIP
 *	struct sync_conf owns every string; config_free() releases them.
 * DIAGNOSTICS
 *	CONFIG sync_err.
 * SEE ALSO
 *	config_impl.h, sync.yaml.example, rcptsync.yaml(5), README
 *	"Configuration", yaml.h.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>
#include <yaml.h>

#include "ascii.h"
#include "xalloc.h"
#include "proxyaddr.h"
#include "maptype.h"
#include "config.h"
#include "config_impl.h"
#include "metrics.h"

#define VALUE_CHARS                                                            \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:@+" \
	"=/"

/* source_set - the first of source.ldap and source.ldif */
static int
source_set(struct walker *w, yaml_node_t *v, struct sync_conf *c, int source)
{
	if (c->source != -1)
		return fail_at(w, v, "source takes ldap or ldif, not both");
	c->source = source;
	return 0;
}

/* source_ldap - source.ldap: one directory or a list */
static int
source_ldap(struct walker *w, yaml_node_t *v, void *dst)
{
	if (source_set(w, v, dst, CONFIG_SOURCE_LDAP) < 0)
		return -1;
	return walk_ldap_list(w, v, dst);
}

/* source_ldif - source.ldif: a file */
static int
source_ldif(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	if (source_set(w, v, c, CONFIG_SOURCE_LDIF) < 0)
		return -1;
	return get_path(w, v, "source.ldif", &c->ldif);
}

/* source_graph - source.graph: Exchange Online, alone or with the other */
static int
source_graph(struct walker *w, yaml_node_t *v, void *dst)
{
	return walk_graph(w, v, dst);
}

/* check_source - at most one of ldap and ldif, and graph; at least one */
static int
check_source(struct walker *w, yaml_node_t *node, void *dst, void *nodes)
{
	struct sync_conf *c = dst;

	(void)nodes;
	if (c->source == -1 && c->graph == NULL)
		return fail_at(w, node, "source needs ldap, ldif or graph");
	return 0;
}

/* output_type - output.type: a map type */
static int
output_type(struct walker *w, yaml_node_t *v, void *dst)
{
	const char *s = scalar(v);
	int t = s != NULL ? maptype_lookup(s) : -1;
	char names[128];

	if (t < 0) {
		maptype_names(names, sizeof(names), 0);
		return fail_at(w, v, "output.type must be %s", names);
	}
	((struct sync_conf *)dst)->type = t;
	return 0;
}

/* output_type_built - output.type: one built into this rcptsync */
static int
output_type_built(struct walker *w, yaml_node_t *v, void *dst)
{
	const struct maptype *t = maptype_get(((struct sync_conf *)dst)->type);

	if (!t->built)
		return fail_at(w, v,
			       "output.type %s is not built into this "
			       "rcptsync (meson -D%s=enabled; see rcptsync "
			       "--version)",
			       scalar(v), t->feature);
	return 0;
}

/* output_value - output.value: one word, the same for every key */
static int
output_value(struct walker *w, yaml_node_t *v, void *dst)
{
	const char *value = ((struct sync_conf *)dst)->value;

	/* The value must not split or comment out the line. */
	if (strspn(value, VALUE_CHARS) != strlen(value))
		return fail_at(w, v,
			       "output.value must be one "
			       "word of letters, digits "
			       "and .-_:@+=/");
	return 0;
}

/* check_output - output needs table */
static int
check_output(struct walker *w, yaml_node_t *node, void *dst, void *nodes)
{
	(void)nodes;
	if (((struct sync_conf *)dst)->table == NULL)
		return fail_at(w, node, "output needs table");
	return 0;
}

/* get_max_removed - safety.max_removed: "500" or "10%" */
static int
get_max_removed(struct walker *w, yaml_node_t *v, void *dst)
{
	struct safety_limits *s = &((struct sync_conf *)dst)->safety;
	const char *str = scalar(v);
	size_t len = str ? strlen(str) : 0;
	char *end;
	double pct;

	if (len > 1 && str[len - 1] == '%') {
		errno = 0;
		pct = strtod(str, &end);
		/* digits and a point only: strtod also takes "nan", "inf"
		 * and hex, and a NaN passes every comparison */
		if (errno || end != str + len - 1 ||
		    strspn(str, "0123456789.") != len - 1 ||
		    !(pct >= 0 && pct <= 100))
			return fail_at(w, v,
				       "safety.max_removed: \"%s\" is "
				       "not a percentage from 0%% to "
				       "100%%",
				       str);
		s->max_removed_pct = pct;
		return 0;
	}
	s->max_removed_pct = -1;
	return get_long(w, v, "safety.max_removed (a count or N%)", 0,
			1000000000, &s->max_removed);
}

/* get_grace - safety.removal_grace: "24h" (a duration) or "3 runs" */
static int
get_grace(struct walker *w, yaml_node_t *node, void *dst)
{
	struct grace_rule *g = &((struct sync_conf *)dst)->grace;
	const char *s = scalar(node);
	char *end;
	long v;

	g->seconds = g->runs = 0;
	if (s != NULL && config_parse_duration(s, &g->seconds) == 0)
		return 0;
	if (s != NULL) {
		errno = 0;
		v = strtol(s, &end, 10);
		if (!errno && end != s && v > 0 && v < 1000000 &&
		    (strcmp(end, " runs") == 0 || strcmp(end, " run") == 0)) {
			g->runs = v;
			return 0;
		}
	}
	return fail_at(w, node,
		       "safety.removal_grace must be a duration "
		       "(24h, 30m, 2d) or a number of runs (3 runs)");
}

/* hooks_after_change - hooks.after_change: argv, absolute program path */
static int
hooks_after_change(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	if (c->n_after_change == 0)
		return fail_at(w, v,
			       "hooks.after_change: an empty list; "
			       "give the program and its arguments, "
			       "or leave the key out");
	if (c->after_change[0][0] != '/')
		return fail_at(w, v,
			       "hooks.after_change: the program "
			       "must be an absolute path (no "
			       "shell, no PATH search)");
	return 0;
}

/* verify_cache_type - verify_cache.type: a map type for the cache */
static int
verify_cache_type(struct walker *w, yaml_node_t *v, void *dst)
{
	const char *s = scalar(v);
	int t = s != NULL ? maptype_lookup(s) : -1;
	char names[128];

	if (t < 0 || !(maptype_get(t)->flags & MAPTYPE_VERIFY)) {
		maptype_names(names, sizeof(names), MAPTYPE_VERIFY);
		return fail_at(w, v,
			       "verify_cache.type must be %s "
			       "(address_verify_map; never proxy:)",
			       names);
	}
	((struct sync_conf *)dst)->verify_cache_type = t;
	return 0;
}

/* verify_cache_type_built - verify_cache.type: one built in */
static int
verify_cache_type_built(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	if (!maptype_get(c->verify_cache_type)->built)
		return fail_at(w, v,
			       "verify_cache.type %s is not built "
			       "into this rcptsync (see rcptsync "
			       "--version)",
			       scalar(v));
	return 0;
}

/* verify_cache_delimiter - verify_cache.recipient_delimiter */
static int
verify_cache_delimiter(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;
	const char *s = scalar(v);

	/* Postfix's recipient_delimiter: a set of characters,
	 * none of which can occur in a domain. */
	if (s == NULL || strspn(s, "+-_=#~&") != strlen(s))
		return fail_at(w, v,
			       "verify_cache.recipient_"
			       "delimiter must be characters "
			       "from +-_=#~& (as in main.cf)");
	free(c->verify_delimiters);
	c->verify_delimiters = xstrdup(s);
	return 0;
}

/* check_verify_cache - verify_cache needs path */
static int
check_verify_cache(struct walker *w, yaml_node_t *node, void *dst, void *nodes)
{
	(void)nodes;
	if (((struct sync_conf *)dst)->verify_cache == NULL)
		return fail_at(w, node, "verify_cache needs path");
	return 0;
}

/* metrics_textfile - metrics.textfile: node_exporter's *.prom file */
static int
metrics_textfile(struct walker *w, yaml_node_t *v, void *dst)
{
	const char *f = ((struct sync_conf *)dst)->metrics_textfile;
	size_t n = strlen(f), suffix = strlen(METRICS_SUFFIX);

	/* the textfile collector reads *.prom alone: another name would
	 * never be scraped, and nothing would say so */
	if (n <= suffix || f[n - suffix - 1] == '/' ||
	    strcmp(f + n - suffix, METRICS_SUFFIX) != 0)
		return fail_at(w, v,
			       "metrics.textfile must be a file name ending "
			       "in " METRICS_SUFFIX " (node_exporter's "
			       "textfile collector reads no other)");
	return 0;
}

/* check_metrics - metrics needs textfile */
static int
check_metrics(struct walker *w, yaml_node_t *node, void *dst, void *nodes)
{
	(void)nodes;
	if (((struct sync_conf *)dst)->metrics_textfile == NULL)
		return fail_at(w, node, "metrics needs textfile");
	return 0;
}

/*
 * get_domains - domains: LDH names, an optional leading dot, lower-cased;
 * or "exchange": Exchange's accepted domains, from the directory
 */
static int
get_domains(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;
	const char *s = scalar(v);

	if (s != NULL && strcmp(s, "exchange") == 0) {
		c->domains_exchange = 1;
		return 0;
	}
	if (get_list(w, v, "domains", &c->domains, &c->n_domains) < 0)
		return -1;
	for (size_t i = 0; i < c->n_domains; i++) {
		char *d = c->domains[i];
		const char *name = d[0] == '.' ? d + 1 : d;

		ascii_fold(d, strlen(d));
		if (!proxyaddr_domain_ok(name, strlen(name)))
			return fail_at(w, v,
				       "domains: \"%s\" is not a domain "
				       "name",
				       d);
	}
	return 0;
}

/* fold_exclude - exclude: fnmatch patterns, matched against lower case */
static int
fold_exclude(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	(void)w, (void)v;
	for (size_t i = 0; i < c->n_exclude; i++)
		ascii_fold(c->exclude[i], strlen(c->exclude[i]));
	return 0;
}

#define C(member) offsetof(struct sync_conf, member)
#define N(member) CONFIG_AT(struct walker, at.member)

static const struct config_key source_keys[] = {
	CONFIG_FN("ldap", source_ldap),
	CONFIG_FN("ldif", source_ldif, .type = CONFIG_PATH, .field = C(ldif),
		  .at = N(ldif)),
	CONFIG_FN("graph", source_graph),
	CONFIG_END,
};

static const struct config_key output_keys[] = {
	CONFIG_KEY("table", CONFIG_PATH, C(table), .at = N(table)),
	CONFIG_KEY("relay_domains", CONFIG_PATH, C(relay_domains),
		   .at = N(relay_domains)),
	CONFIG_FN("type", output_type, .def = "hash",
		  .check = output_type_built),
	CONFIG_KEY("value", CONFIG_STRING, C(value), .def = "OK",
		   .check = output_value),
	CONFIG_END,
};

static const struct config_key safety_keys[] = {
	CONFIG_FN("max_removed", get_max_removed, .def = "10%"),
	CONFIG_KEY("min_recipients", CONFIG_LONG, C(safety.min_recipients),
		   .min = 0, .max = 1000000000, .def = "1"),
	CONFIG_FN("removal_grace", get_grace),
	CONFIG_KEY("must_exist", CONFIG_ADDRESSES, C(must_exist),
		   .count = C(n_must_exist)),
	CONFIG_KEY("must_not_exist", CONFIG_ADDRESSES, C(must_not_exist),
		   .count = C(n_must_not_exist)),
	CONFIG_END,
};

static const struct config_key hooks_keys[] = {
	CONFIG_KEY("after_change", CONFIG_LIST, C(after_change),
		   .count = C(n_after_change), .check = hooks_after_change),
	CONFIG_KEY("timeout", CONFIG_INT, C(hook_timeout), .min = 1,
		   .max = 3600, .def = "60"),
	CONFIG_END,
};

static const struct config_key verify_cache_keys[] = {
	CONFIG_KEY("path", CONFIG_PATH, C(verify_cache), .at = N(verify_cache)),
	/* Postfix's default address_verify_map type */
	CONFIG_FN("type", verify_cache_type, .def = "btree",
		  .check = verify_cache_type_built),
	CONFIG_FN("recipient_delimiter", verify_cache_delimiter,
		  .type = CONFIG_STRING, .field = C(verify_delimiters),
		  .def = ""),
	CONFIG_END,
};

static const struct config_key log_keys[] = {
	CONFIG_KEY("syslog", CONFIG_BOOL, C(log_syslog)),
	CONFIG_END,
};

static const struct config_key metrics_keys[] = {
	CONFIG_KEY("textfile", CONFIG_PATH, C(metrics_textfile),
		   .at = N(metrics), .check = metrics_textfile),
	CONFIG_END,
};

static const struct config_section source_section = {"source", "source.",
						     source_keys, check_source};
static const struct config_section output_section = {"output", "output.",
						     output_keys, check_output};
static const struct config_section safety_section = {"safety", "safety.",
						     safety_keys, NULL};
static const struct config_section hooks_section = {"hooks", "hooks.",
						    hooks_keys, NULL};
static const struct config_section verify_cache_section = {
	"verify_cache", "verify_cache.", verify_cache_keys, check_verify_cache};
static const struct config_section log_section = {"log", "log.", log_keys,
						  NULL};
static const struct config_section metrics_section = {
	"metrics", "metrics.", metrics_keys, check_metrics};

static const struct config_key root_keys[] = {
	CONFIG_KEY("source", CONFIG_SECTION, 0, .section = &source_section),
	CONFIG_FN("domains", get_domains, .type = CONFIG_LIST,
		  .field = C(domains), .count = C(n_domains), .at = N(domains)),
	CONFIG_KEY("exclude", CONFIG_LIST, C(exclude), .count = C(n_exclude),
		   .check = fold_exclude),
	CONFIG_KEY("extra", CONFIG_PATH, C(extra), .at = N(extra)),
	CONFIG_KEY("output", CONFIG_SECTION, 0, .section = &output_section),
	CONFIG_KEY("safety", CONFIG_SECTION, 0, .section = &safety_section),
	CONFIG_KEY("hooks", CONFIG_SECTION, 0, .section = &hooks_section),
	CONFIG_KEY("metrics", CONFIG_SECTION, 0, .section = &metrics_section),
	CONFIG_KEY("lock", CONFIG_PATH, C(lock), .def = CONFIG_DEFAULT_LOCK,
		   .at = N(lock)),
	/* default: TABLE.rcptsync-state (derive_defaults) */
	CONFIG_KEY("state", CONFIG_PATH, C(state), .at = N(state)),
	CONFIG_KEY("verify_cache", CONFIG_SECTION, 0,
		   .section = &verify_cache_section),
	CONFIG_KEY("log", CONFIG_SECTION, 0, .section = &log_section),
	/* The longest a run may take from its start: a sync of a million
	 * objects takes under a minute (bench/README.md); a server that
	 * never stops answering must not hold the lock past the next runs. */
	CONFIG_KEY("deadline", CONFIG_DURATION, C(deadline), .def = "30m"),
	CONFIG_END,
};

/*
 * check_root - source and output are required; what domains and
 * output.relay_domains need of each other and of the source
 */
static int
check_root(struct walker *w, yaml_node_t *root, void *dst, void *nodes)
{
	struct sync_conf *c = dst;

	(void)nodes;
	if (c->source == -1 && c->graph == NULL)
		return fail_at(w, root, "the configuration needs source");
	if (c->table == NULL)
		return fail_at(w, root, "the configuration needs output");
	if (c->domains_exchange && c->source != CONFIG_SOURCE_LDAP)
		return fail_at(w, w->at.domains,
			       "domains: exchange needs source.ldap (the "
			       "accepted domains are read from the "
			       "directory)");
	if (c->relay_domains == NULL)
		return 0;
	if (!c->domains_exchange && c->n_domains == 0)
		return fail_at(w, w->at.relay_domains,
			       "output.relay_domains needs domains (a list, "
			       "or exchange): without it every domain "
			       "would be relayed");
	/* that it is not output.table: config_check_paths() */
	return 0;
}

static const struct config_section root_section = {"the configuration", "",
						   root_keys, check_root};

/* derive_defaults - the state file's default, from the table's path */
static void
derive_defaults(struct sync_conf *c)
{
	if (c->state == NULL && c->table != NULL) {
		size_t n = strlen(c->table) + sizeof(".rcptsync-state");

		c->state = xmalloc(n);
		snprintf(c->state, n, "%s.rcptsync-state", c->table);
	}
}

/* parse_error - libyaml's own syntax error, with its mark */
static int
parse_error(const char *path, yaml_parser_t *parser, struct sync_err *err)
{
	const yaml_mark_t *m =
		parser->problem ? &parser->problem_mark : &parser->context_mark;
	char shown[256];

	return sync_err_set(
		err, SYNC_ERR_CONFIG, "%s:%zu:%zu: YAML error: %s%s%s",
		proxyaddr_escape(path, strlen(path), shown, sizeof(shown)),
		m->line + 1, m->column + 1,
		parser->problem ? parser->problem : "unknown",
		parser->context ? " " : "",
		parser->context ? parser->context : "");
}

/* The file as libyaml reads it, hashed on the way (sync_conf.digest). */
struct hashed_input {
	FILE *fp;
	struct sha256_ctx sha;
};

/* read_hashed - yaml_read_handler_t: the next bytes, into the digest too */
static int
read_hashed(void *data, unsigned char *buf, size_t size, size_t *got)
{
	struct hashed_input *in = data;

	*got = fread(buf, 1, size, in->fp);
	sha256_update(&in->sha, *got, buf);
	return !ferror(in->fp);
}

/* config_load - read, parse, walk */
int
config_load(const char *path, struct sync_conf *conf, struct sync_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct walker w;
	struct hashed_input in;
	char *copy, shown[256];
	FILE *fp;
	int ret = -1;

	memset(conf, 0, sizeof(*conf));
	conf->source = -1;
	if ((fp = fopen(path, "r")) == NULL)
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "cannot open configuration %s: %s",
				    proxyaddr_escape(path, strlen(path), shown,
						     sizeof(shown)),
				    strerror(errno));
	yaml_parser_initialize(&parser);
	in.fp = fp;
	sha256_init(&in.sha);
	yaml_parser_set_input(&parser, read_hashed, &in);
	if (!yaml_parser_load(&parser, &doc)) {
		parse_error(path, &parser, err);
		yaml_parser_delete(&parser);
		fclose(fp);
		return -1;
	}
	copy = xstrdup(path);
	memset(&w, 0, sizeof(w));
	w.path = path;
	w.dir = xstrdup(dirname(copy));
	w.doc = &doc;
	w.err = err;
	config_defaults(&w, &root_section, conf);
	if ((root = yaml_document_get_root_node(&doc)) == NULL)
		sync_err_set(err, SYNC_ERR_CONFIG,
			     "%s:1:1: the configuration is empty",
			     proxyaddr_escape(path, strlen(path), shown,
					      sizeof(shown)));
	else if (walk_section(&w, root, &root_section, conf, &w) == 0)
		ret = 0;
	derive_defaults(conf);
	/* of every byte the one document loaded was read from (what follows
	 * it is never read, nor meant: a pipe's writer need not close) */
	sha256_digest(&in.sha, sizeof(conf->digest), conf->digest);
	if (ret == 0 && config_check_paths(&w, conf) < 0)
		ret = -1;
	free(copy);
	free(w.dir);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(fp);
	return ret;
}

/* config_free - every string and list: the rows', the directories' */
void
config_free(struct sync_conf *c)
{
	for (size_t i = 0; i < c->n_ldap; i++)
		config_ldap_free(&c->ldap[i]);
	free(c->ldap);
	config_graph_free(c->graph);
	config_release(&root_section, c);
	memset(c, 0, sizeof(*c));
}
