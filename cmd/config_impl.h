/* SPDX-License-Identifier: MIT */
/*
 * Private to cmd/config*.c: the walker's state, the rows that describe
 * the keys, and the helpers that the files of the config loader share.
 * Every error is a CONFIG sync_err "PATH:LINE:COLUMN: ..." set through
 * fail_at(); the functions return 0, or -1 with that error set.  Strings
 * stored through OUT pointers are xstrdup'ed and replace (and free) what
 * was there: struct sync_conf owns them (config_free()).
 */
#ifndef RCPTSYNC_CONFIG_IMPL_H
#define RCPTSYNC_CONFIG_IMPL_H

#include <stddef.h>

#include <yaml.h>

#include "config.h"

/* Where the keys that checks across sections point at were; NULL: absent
 * (a default).  Filled through the rows' .at (CONFIG_AT). */
struct config_nodes {
	yaml_node_t *domains, *relay_domains, *metrics;
	/* the path keys (config_paths.c) */
	yaml_node_t *table, *state, *lock, *extra, *ldif, *verify_cache;
};

struct walker {
	const char *path;
	char *dir; /* for relative paths */
	yaml_document_t *doc;
	struct sync_err *err;
	struct config_nodes at;
};

/*
 * What a key's value is: how the loader parses it, stores it in the field
 * the row names, applies the row's default and frees it (config_value.c
 * has one parser per type).
 */
enum config_type {
	CONFIG_NONE,	 /* no field of its own: the row's parse does all */
	CONFIG_STRING,	 /* char *: a non-empty string */
	CONFIG_PATH,	 /* char *: a string; relative: under sync.yaml's dir */
	CONFIG_SECRET,	 /* char *: a path, or systemd's credential:NAME */
	CONFIG_BOOL,	 /* int: true/false, yes/no, on/off */
	CONFIG_INT,	 /* int: a whole number in [min, max] */
	CONFIG_LONG,	 /* long: a whole number in [min, max] */
	CONFIG_DURATION, /* long: seconds, from 90s, 30m, 24h, 2d; positive */
	CONFIG_ENUM,	 /* int: the index of the value in names */
	CONFIG_LIST,	 /* char **, NULL-terminated, and its size_t count */
	CONFIG_ADDRESSES, /* a LIST of addresses, checked */
	CONFIG_SECTION,	  /* a mapping of its section's keys, same struct */
};

struct config_section;

/* A row's own parser or check: 0, or -1 with fail_at()'s error. */
typedef int config_fn(struct walker *w, yaml_node_t *v, void *dst);

/*
 * One key of a section, as Postfix's CONFIG_*_TABLE rows describe a
 * parameter: its name, its type, where its value goes (the offset of a
 * field of DST, the struct the section fills: struct sync_conf, struct
 * ldapsync_conf, struct graph_conf), its default and its bounds.  A
 * section's table ends with a NULL name.  A row {"name", fn} is a key
 * parsed by FN alone.
 */
struct config_key {
	const char *name;
	config_fn *parse; /* instead of the type's parser; NULL: the type's */
	enum config_type type;
	size_t field;		  /* offsetof(DST's struct, value) */
	size_t count;		  /* LIST, ADDRESSES: of the count */
	long min, max;		  /* INT, LONG */
	const char *const *names; /* ENUM, NULL-terminated */
	const struct config_section *section; /* SECTION */
	/* the default, as sync.yaml would say it, applied by the parser
	 * before the file is read (its check is not run); NULL: zero, NULL */
	const char *def;
	config_fn *check; /* after the value was stored; NULL: none */
	size_t at;	  /* CONFIG_AT(): where its node is kept; 0: not kept */
};

/*
 * The rows' shapes: KEY of TYPE in the field at offset FIELD, then any of
 * .min, .max, .names, .section, .def, .check, .at; KEY parsed by FN
 * alone (or FN instead of TYPE's parser); the end of a table.
 */
#define CONFIG_KEY(key, t, f, ...)                                    \
	{                                                             \
		.name = (key), .type = (t), .field = (f), __VA_ARGS__ \
	}
#define CONFIG_FN(key, fn, ...)                           \
	{                                                 \
		.name = (key), .parse = (fn), __VA_ARGS__ \
	}
#define CONFIG_END           \
	{                    \
		.name = NULL \
	}

/* a row's .at: the member of the NODES struct given to walk_section()
 * that keeps the key's node, plus one (0: none) */
#define CONFIG_AT(type, member) (offsetof(type, member) + 1)

/* A mapping of keys: a top-level section, source.ldap, its tls, ... */
struct config_section {
	const char *name;   /* in "unknown key ... in NAME" */
	const char *prefix; /* before a key's name in its messages: "tls." */
	const struct config_key *keys;
	/* after every key was read: what spans them; NULL: nothing */
	int (*check)(struct walker *w, yaml_node_t *node, void *dst,
		     void *nodes);
};

/* config_value.c: the rows */

/*
 * walk_section - NODE must be a mapping of SECTION's keys (at most 32),
 *	each at most once; parses each key's value into DST in document
 *	order (a SECTION row: its keys, into DST too), keeps its node in
 *	NODES (rows with .at), runs the row's check, then the section's.
 *	Returns 0, or -1 when NODE is not a mapping, a key is unknown,
 *	repeated or not a plain name, or a value was refused.
 */
int walk_section(struct walker *w, yaml_node_t *node,
		 const struct config_section *section, void *dst, void *nodes);

/*
 * config_defaults - every default of SECTION's rows (and their sections')
 *	into DST, as if sync.yaml said them.  A default the row's parser
 *	refuses is a bug: panic.
 */
void config_defaults(struct walker *w, const struct config_section *section,
		     void *dst);

/* config_release - free every string and list SECTION's rows name in DST */
void config_release(const struct config_section *section, void *dst);

/* config_value.c: the values */

/*
 * config_parse_value - V into DST by K's type (SECTION aside), named WHAT
 *	in messages ("tls.ca_file")
 */
int config_parse_value(struct walker *w, yaml_node_t *v,
		       const struct config_key *k, const char *what, void *dst);

/* config_free_value - what K's type stored in DST (SECTION aside) */
void config_free_value(const struct config_key *k, void *dst);

/* fail_at - CONFIG error at NODE's position; returns -1 */
int fail_at(struct walker *w, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* scalar - NODE's text, or NULL when it is not a scalar */
const char *scalar(const yaml_node_t *node);

/* get_string - a non-empty scalar, copied */
int get_string(struct walker *w, const yaml_node_t *node, const char *what,
	       char **out);

/* get_path - a string; relative paths are under the config's dir */
int get_path(struct walker *w, const yaml_node_t *node, const char *what,
	     char **out);

/* free_list - a NULL-terminated string array; NULL is ok */
void free_list(char **list);

/* get_list - a sequence of strings, or one string; NULL-terminated */
int get_list(struct walker *w, yaml_node_t *node, const char *what, char ***out,
	     size_t *n);

/* get_long - a decimal integer within [MIN, MAX] */
int get_long(struct walker *w, const yaml_node_t *node, const char *what,
	     long min, long max, long *out);

/* get_int - get_long into an int */
int get_int(struct walker *w, const yaml_node_t *node, const char *what,
	    int min, int max, int *out);

/* get_addresses - a list of addresses, checked and lower-cased */
int get_addresses(struct walker *w, yaml_node_t *node, const char *what,
		  char ***out, size_t *n);

/* get_bool - YAML 1.1 booleans */
int get_bool(struct walker *w, const yaml_node_t *node, const char *what,
	     int *out);

/* get_secret_path - a path, or systemd's "credential:NAME" */
int get_secret_path(struct walker *w, yaml_node_t *v, const char *what,
		    char **out);

/* get_choice - one of NAMES (NULL-terminated); *OUT is its index */
int get_choice(struct walker *w, const yaml_node_t *node, const char *what,
	       const char *const *names, int *out);

/* get_duration - a positive duration such as 30m */
int get_duration(struct walker *w, yaml_node_t *v, const char *what, long *out);

/* config_paths.c */

/*
 * config_check_paths - no two path keys of C (defaults filled in) name
 *	one file, by directory identity and name (see config_paths.c).
 *	Returns 0, or -1 with a CONFIG error at the later key naming both.
 */
int config_check_paths(struct walker *w, const struct sync_conf *c);

/* config_ldap.c */

/* walk_ldap_list - source.ldap: one directory, or a list (a forest) */
int walk_ldap_list(struct walker *w, yaml_node_t *node, struct sync_conf *c);

/* config_ldap_free - one directory's strings and lists */
void config_ldap_free(struct ldapsync_conf *l);

/* config_graph.c */

/* walk_graph - source.graph: Exchange Online through Microsoft Graph */
int walk_graph(struct walker *w, yaml_node_t *node, struct sync_conf *c);

/* config_graph_free - source.graph's strings, and itself; NULL is ok */
void config_graph_free(struct graph_conf *g);

#endif
