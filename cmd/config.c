/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	config - read sync.yaml into struct sync_conf
 * DESCRIPTION
 *	libyaml loads the document; this file walks it section by section.
 *	A section is a table of {key, handler} rows: walk_section() finds
 *	each key's row and calls its handler, which parses the value into
 *	the struct; the section's own function checks what spans its keys.
 *	The top-level sections are here, source.ldap is in config_ldap.c,
 *	and the value helpers the handlers use are in config_value.c.
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

#include <yaml.h>

#include "ascii.h"
#include "xalloc.h"
#include "adkinds.h"
#include "proxyaddr.h"
#include "maptype.h"
#include "config.h"
#include "config_impl.h"
#include "metrics.h"

#define VALUE_CHARS                                                            \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:@+" \
	"=/"

/* find_key - KEY's row in KEYS (once per mapping: SEEN), or -1 */
static int
find_key(struct walker *w, const yaml_node_t *key, const char *section,
	 const struct config_key *keys, unsigned *seen)
{
	const char *name = scalar(key);

	if (name == NULL)
		return fail_at(w, key, "keys of %s must be plain names",
			       section);
	for (int i = 0; keys[i].name != NULL; i++) {
		if (strcmp(keys[i].name, name) != 0)
			continue;
		if (i >= 32)
			panic("find_key: %s has more keys than SEEN has bits",
			      section);
		if (*seen & (1u << i))
			return fail_at(w, key, "duplicate key %s in %s", name,
				       section);
		*seen |= 1u << i;
		return i;
	}
	return fail_at(w, key, "unknown key \"%s\" in %s", name, section);
}

/* walk_section - every key of the mapping NODE through its row of KEYS */
int
walk_section(struct walker *w, yaml_node_t *node, const char *section,
	     const struct config_key *keys, void *dst)
{
	yaml_node_pair_t *pair;
	unsigned seen = 0;
	int i;

	if (node->type != YAML_MAPPING_NODE)
		return fail_at(w, node, "%s must be a mapping of keys",
			       section);
	for (pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);

		if ((i = find_key(w, key, section, keys, &seen)) < 0)
			return -1;
		if (keys[i].parse(w, v, dst) < 0)
			return -1;
	}
	return 0;
}

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
	w->ldif_at = v;
	return get_path(w, v, "source.ldif", &c->ldif);
}

/* source_graph - source.graph: Exchange Online, alone or with the other */
static int
source_graph(struct walker *w, yaml_node_t *v, void *dst)
{
	return walk_graph(w, v, dst);
}

static const struct config_key source_keys[] = {
	{"ldap", source_ldap},
	{"ldif", source_ldif},
	{"graph", source_graph},
	{NULL, NULL},
};

/* walk_source - at most one of ldap and ldif, and graph; at least one */
static int
walk_source(struct walker *w, yaml_node_t *node, void *dst)
{
	struct sync_conf *c = dst;

	if (walk_section(w, node, "source", source_keys, c) < 0)
		return -1;
	if (c->source == -1 && c->graph == NULL)
		return fail_at(w, node, "source needs ldap, ldif or graph");
	return 0;
}

/* output_table - output.table: the text table's path */
static int
output_table(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	w->table_at = v;
	return get_path(w, v, "output.table", &c->table);
}

/* output_type - output.type: a map type built into this rcptsync */
static int
output_type(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;
	const char *s = scalar(v);
	int t = s != NULL ? maptype_lookup(s) : -1;
	char names[128];

	if (t < 0) {
		maptype_names(names, sizeof(names), 0);
		return fail_at(w, v, "output.type must be %s", names);
	}
	if (!maptype_get(t)->built)
		return fail_at(w, v,
			       "output.type %s is not built into this "
			       "rcptsync (meson -D%s=enabled; see rcptsync "
			       "--version)",
			       s, maptype_get(t)->feature);
	c->type = t;
	return 0;
}

/* output_value - output.value: one word, the same for every key */
static int
output_value(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	if (get_string(w, v, "output.value", &c->value) < 0)
		return -1;
	/* The value must not split or comment out the line. */
	if (strspn(c->value, VALUE_CHARS) != strlen(c->value))
		return fail_at(w, v,
			       "output.value must be one "
			       "word of letters, digits "
			       "and .-_:@+=/");
	return 0;
}

/* output_relay_domains - output.relay_domains: the domains table's path */
static int
output_relay_domains(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	w->relay_domains_at = v;
	return get_path(w, v, "output.relay_domains", &c->relay_domains);
}

static const struct config_key output_keys[] = {
	{"table", output_table},
	{"relay_domains", output_relay_domains},
	{"type", output_type},
	{"value", output_value},
	{NULL, NULL},
};

/* walk_output - output.table, .relay_domains, .type, .value */
static int
walk_output(struct walker *w, yaml_node_t *node, void *dst)
{
	struct sync_conf *c = dst;

	if (walk_section(w, node, "output", output_keys, c) < 0)
		return -1;
	if (c->table == NULL)
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

/* safety_min_recipients - safety.min_recipients: a count */
static int
safety_min_recipients(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	return get_long(w, v, "safety.min_recipients", 0, 1000000000,
			&c->safety.min_recipients);
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

/* safety_must_exist - safety.must_exist: canaries that must be there */
static int
safety_must_exist(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	return get_addresses(w, v, "safety.must_exist", &c->must_exist,
			     &c->n_must_exist);
}

/* safety_must_not_exist - safety.must_not_exist: canaries that must not */
static int
safety_must_not_exist(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	return get_addresses(w, v, "safety.must_not_exist", &c->must_not_exist,
			     &c->n_must_not_exist);
}

static const struct config_key safety_keys[] = {
	{"max_removed", get_max_removed},
	{"min_recipients", safety_min_recipients},
	{"removal_grace", get_grace},
	{"must_exist", safety_must_exist},
	{"must_not_exist", safety_must_not_exist},
	{NULL, NULL},
};

/* walk_safety - safety.max_removed, .min_recipients, grace, canaries */
static int
walk_safety(struct walker *w, yaml_node_t *node, void *dst)
{
	return walk_section(w, node, "safety", safety_keys, dst) < 0 ? -1 : 0;
}

/* hooks_after_change - hooks.after_change: argv, absolute program path */
static int
hooks_after_change(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	if (get_list(w, v, "hooks.after_change", &c->after_change,
		     &c->n_after_change) < 0)
		return -1;
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

/* hooks_timeout - hooks.timeout: seconds */
static int
hooks_timeout(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	return get_int(w, v, "hooks.timeout", 1, 3600, &c->hook_timeout);
}

static const struct config_key hooks_keys[] = {
	{"after_change", hooks_after_change},
	{"timeout", hooks_timeout},
	{NULL, NULL},
};

/* walk_hooks - hooks.after_change, .timeout */
static int
walk_hooks(struct walker *w, yaml_node_t *node, void *dst)
{
	return walk_section(w, node, "hooks", hooks_keys, dst) < 0 ? -1 : 0;
}

/* verify_cache_path - verify_cache.path: address_verify_map's file */
static int
verify_cache_path(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	w->verify_cache_at = v;
	return get_path(w, v, "verify_cache.path", &c->verify_cache);
}

/* verify_cache_type - verify_cache.type: a map type built in */
static int
verify_cache_type(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;
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
	if (!maptype_get(t)->built)
		return fail_at(w, v,
			       "verify_cache.type %s is not built "
			       "into this rcptsync (see rcptsync "
			       "--version)",
			       s);
	c->verify_cache_type = t;
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

static const struct config_key verify_cache_keys[] = {
	{"path", verify_cache_path},
	{"type", verify_cache_type},
	{"recipient_delimiter", verify_cache_delimiter},
	{NULL, NULL},
};

/* walk_verify_cache - verify_cache.path, .type, .recipient_delimiter */
static int
walk_verify_cache(struct walker *w, yaml_node_t *node, void *dst)
{
	struct sync_conf *c = dst;

	if (walk_section(w, node, "verify_cache", verify_cache_keys, c) < 0)
		return -1;
	if (c->verify_cache == NULL)
		return fail_at(w, node, "verify_cache needs path");
	return 0;
}

/* log_syslog - log.syslog: also to syslog */
static int
log_syslog(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	return get_bool(w, v, "log.syslog", &c->log_syslog);
}

static const struct config_key log_keys[] = {
	{"syslog", log_syslog},
	{NULL, NULL},
};

/* walk_log - log.syslog */
static int
walk_log(struct walker *w, yaml_node_t *node, void *dst)
{
	return walk_section(w, node, "log", log_keys, dst) < 0 ? -1 : 0;
}

/* metrics_textfile - metrics.textfile: node_exporter's *.prom file */
static int
metrics_textfile(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;
	size_t n, suffix = strlen(METRICS_SUFFIX);

	w->metrics_at = v;
	if (get_path(w, v, "metrics.textfile", &c->metrics_textfile) < 0)
		return -1;
	/* the textfile collector reads *.prom alone: another name would
	 * never be scraped, and nothing would say so */
	n = strlen(c->metrics_textfile);
	if (n <= suffix || c->metrics_textfile[n - suffix - 1] == '/' ||
	    strcmp(c->metrics_textfile + n - suffix, METRICS_SUFFIX) != 0)
		return fail_at(w, v,
			       "metrics.textfile must be a file name ending "
			       "in " METRICS_SUFFIX " (node_exporter's "
			       "textfile collector reads no other)");
	return 0;
}

static const struct config_key metrics_keys[] = {
	{"textfile", metrics_textfile},
	{NULL, NULL},
};

/* walk_metrics - metrics.textfile */
static int
walk_metrics(struct walker *w, yaml_node_t *node, void *dst)
{
	struct sync_conf *c = dst;

	if (walk_section(w, node, "metrics", metrics_keys, c) < 0)
		return -1;
	if (c->metrics_textfile == NULL)
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

	w->domains_at = v;
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

/* get_exclude - exclude: fnmatch patterns, matched against lower case */
static int
get_exclude(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	if (get_list(w, v, "exclude", &c->exclude, &c->n_exclude) < 0)
		return -1;
	for (size_t i = 0; i < c->n_exclude; i++)
		ascii_fold(c->exclude[i], strlen(c->exclude[i]));
	return 0;
}

/* top_extra - extra: static lines merged into the table */
static int
top_extra(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	w->extra_at = v;
	return get_path(w, v, "extra", &c->extra);
}

/* top_lock - lock: the lock file */
static int
top_lock(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	w->lock_at = v;
	return get_path(w, v, "lock", &c->lock);
}

/* top_state - state: the state file */
static int
top_state(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	w->state_at = v;
	return get_path(w, v, "state", &c->state);
}

/* top_deadline - deadline: the longest a run may take */
static int
top_deadline(struct walker *w, yaml_node_t *v, void *dst)
{
	struct sync_conf *c = dst;

	return get_duration(w, v, "deadline", &c->deadline);
}

static const struct config_key root_keys[] = {
	{"source", walk_source},
	{"domains", get_domains},
	{"exclude", get_exclude},
	{"extra", top_extra},
	{"output", walk_output},
	{"safety", walk_safety},
	{"hooks", walk_hooks},
	{"metrics", walk_metrics},
	{"lock", top_lock},
	{"state", top_state},
	{"verify_cache", walk_verify_cache},
	{"log", walk_log},
	{"deadline", top_deadline},
	{NULL, NULL},
};

/*
 * check_domains - what domains and output.relay_domains need of each
 * other and of the source
 */
static int
check_domains(struct walker *w, const struct sync_conf *c)
{
	if (c->domains_exchange && c->source != CONFIG_SOURCE_LDAP)
		return fail_at(w, w->domains_at,
			       "domains: exchange needs source.ldap (the "
			       "accepted domains are read from the "
			       "directory)");
	if (c->relay_domains == NULL)
		return 0;
	if (!c->domains_exchange && c->n_domains == 0)
		return fail_at(w, w->relay_domains_at,
			       "output.relay_domains needs domains (a list, "
			       "or exchange): without it every domain "
			       "would be relayed");
	/* that it is not output.table: config_check_paths() */
	return 0;
}

/* walk_root - the top-level keys; source and output are required */
static int
walk_root(struct walker *w, yaml_node_t *root, struct sync_conf *c)
{
	if (walk_section(w, root, "the configuration", root_keys, c) < 0)
		return -1;
	if (c->source == -1 && c->graph == NULL)
		return fail_at(w, root, "the configuration needs source");
	if (c->table == NULL)
		return fail_at(w, root, "the configuration needs output");
	return check_domains(w, c);
}

/* set_defaults - what an absent key means (README, sync.yaml.example) */
static void
set_defaults(struct sync_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->source = -1;
	c->type = MAPDB_HASH;
	c->safety.max_removed_pct = 10;
	c->safety.min_recipients = 1;
	c->hook_timeout = 60;
	c->deadline = CONFIG_DEFAULT_DEADLINE;
	c->verify_cache_type = MAPDB_BTREE; /* Postfix's default */
}

/* fill_late_defaults - strings that default only when absent */
static void
fill_late_defaults(struct sync_conf *c)
{
	for (size_t i = 0; i < c->n_ldap; i++)
		if (c->ldap[i].filter == NULL)
			c->ldap[i].filter = adkinds_filter(ADKINDS_ALL);
	if (c->value == NULL)
		c->value = xstrdup("OK");
	if (c->lock == NULL)
		c->lock = xstrdup(CONFIG_DEFAULT_LOCK);
	if (c->verify_delimiters == NULL)
		c->verify_delimiters = xstrdup("");
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

/* config_load - read, parse, walk */
int
config_load(const char *path, struct sync_conf *conf, struct sync_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct walker w;
	char *copy, shown[256];
	FILE *fp;
	int ret = -1;

	set_defaults(conf);
	if ((fp = fopen(path, "r")) == NULL)
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "cannot open configuration %s: %s",
				    proxyaddr_escape(path, strlen(path), shown,
						     sizeof(shown)),
				    strerror(errno));
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
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
	if ((root = yaml_document_get_root_node(&doc)) == NULL)
		sync_err_set(err, SYNC_ERR_CONFIG,
			     "%s:1:1: the configuration is empty",
			     proxyaddr_escape(path, strlen(path), shown,
					      sizeof(shown)));
	else if (walk_root(&w, root, conf) == 0)
		ret = 0;
	fill_late_defaults(conf);
	if (ret == 0 && config_check_paths(&w, conf) < 0)
		ret = -1;
	free(copy);
	free(w.dir);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(fp);
	return ret;
}

/* config_free - every string and list */
void
config_free(struct sync_conf *c)
{
	for (size_t i = 0; i < c->n_ldap; i++) {
		struct ldapsync_conf *l = &c->ldap[i];

		free_list(l->uris);
		free(l->domain);
		free(l->site);
		free_list(l->bases);
		free(l->filter);
		free(l->ca_file);
		free(l->cert_file);
		free(l->key_file);
		free(l->bind_dn);
		free(l->password_file);
		free(l->keytab);
		free(l->principal);
	}
	free(c->ldap);
	free(c->ldif);
	config_graph_free(c->graph);
	free_list(c->domains);
	free(c->relay_domains);
	free_list(c->exclude);
	free(c->extra);
	free(c->table);
	free(c->value);
	free_list(c->after_change);
	free_list(c->must_exist);
	free_list(c->must_not_exist);
	free(c->lock);
	free(c->state);
	free(c->verify_cache);
	free(c->verify_delimiters);
	free(c->metrics_textfile);
	memset(c, 0, sizeof(*c));
}
