/* SPDX-License-Identifier: MIT */
/*
 * Private to cmd/config*.c: the walker's state and the helpers that the
 * files of the config loader share.  Every error is a CONFIG sync_err
 * "PATH:LINE:COLUMN: ..." set through fail_at(); the functions return 0,
 * or -1 with that error set.  Strings stored through OUT pointers are
 * xstrdup'ed and replace (and free) what was there: struct sync_conf
 * owns them (config_free()).
 */
#ifndef RCPTSYNC_CONFIG_IMPL_H
#define RCPTSYNC_CONFIG_IMPL_H

#include <stddef.h>

#include <yaml.h>

#include "config.h"

struct walker {
	const char *path;
	char *dir; /* for relative paths */
	yaml_document_t *doc;
	struct sync_err *err;
	/* where keys that other sections depend on were, for messages */
	yaml_node_t *domains_at, *relay_domains_at, *metrics_at;
	/* where each path key was (config_paths.c); NULL: a default */
	yaml_node_t *table_at, *state_at, *lock_at, *extra_at, *ldif_at,
		*verify_cache_at;
};

/*
 * One key of a section: its name, and the function that parses its
 * value into DST, the struct the section fills (struct sync_conf,
 * struct ldapsync_conf, ...).  A section's table ends with a NULL name.
 */
struct config_key {
	const char *name;
	int (*parse)(struct walker *w, yaml_node_t *value, void *dst);
};

/* config.c */

/*
 * walk_section - NODE must be a mapping of SECTION's KEYS (at most 32),
 *	each at most once; calls each key's parse in document order.
 *	Returns 0, or -1 when NODE is not a mapping, a key is unknown,
 *	repeated or not a plain name, or a value was refused.
 */
int walk_section(struct walker *w, yaml_node_t *node, const char *section,
		 const struct config_key *keys, void *dst);

/* config_value.c */

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

/* config_graph.c */

/* walk_graph - source.graph: Exchange Online through Microsoft Graph */
int walk_graph(struct walker *w, yaml_node_t *node, struct sync_conf *c);

/* config_graph_free - source.graph's strings, and itself; NULL is ok */
void config_graph_free(struct graph_conf *g);

#endif
