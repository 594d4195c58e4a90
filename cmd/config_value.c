/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	config_value - the rows of sync.yaml's keys, and its values:
 *	strings, paths, lists, numbers, durations, booleans, choices,
 *	addresses
 * DESCRIPTION
 *	walk_section() walks a mapping through its section's rows
 *	(config_impl.h): each key's value goes to the parser of the row's
 *	type (one per type, in config_types[]) or to the row's own, then to
 *	the row's check; config_defaults() and config_release() walk the
 *	rows to set the defaults and to free.  Each get_ helper checks one
 *	YAML node against what a key takes and stores it.  WHAT names the
 *	key in messages ("tls.ca_file").
 * OWNERSHIP
 *	A string or list stored through OUT replaces (and frees) what was
 *	there; struct sync_conf owns it (config_free()).
 * DIAGNOSTICS
 *	CONFIG sync_err with FILE:LINE:COLUMN of the node (fail_at()).
 * SEE ALSO
 *	config_impl.h, config.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "xalloc.h"
#include "proxyaddr.h"
#include "config.h"
#include "config_impl.h"
#include "secret.h"

/*
 * fail_at - CONFIG error at NODE's position.  The message quotes the
 * admin's values (keys, strings, the file's own name), so all of it goes
 * through the one escaper (proxyaddr_escape): a newline or a terminal
 * escape in a value cannot forge or hide a line.  The messages' own text
 * is printable ASCII without a backslash, which the escaper leaves alone.
 */
int
fail_at(struct walker *w, const yaml_node_t *node, const char *fmt, ...)
{
	char msg[SYNC_ERR_MSG_MAX], shown[SYNC_ERR_MSG_MAX], path[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sync_err_set(
		w->err, SYNC_ERR_CONFIG, "%s:%zu:%zu: %s",
		proxyaddr_escape(w->path, strlen(w->path), path, sizeof(path)),
		node->start_mark.line + 1, node->start_mark.column + 1,
		proxyaddr_escape(msg, strlen(msg), shown, sizeof(shown)));
}

/* scalar - NODE's text, or NULL when it is not a scalar */
const char *
scalar(const yaml_node_t *node)
{
	return node->type == YAML_SCALAR_NODE
		       ? (const char *)node->data.scalar.value
		       : NULL;
}

/* get_string - a non-empty scalar, copied */
int
get_string(struct walker *w, const yaml_node_t *node, const char *what,
	   char **out)
{
	const char *s = scalar(node);

	if (s == NULL || *s == '\0')
		return fail_at(w, node, "%s must be a non-empty string", what);
	free(*out);
	*out = xstrdup(s);
	return 0;
}

/* get_path - a string; relative paths are under the config's dir */
int
get_path(struct walker *w, const yaml_node_t *node, const char *what,
	 char **out)
{
	char *s = NULL;

	if (get_string(w, node, what, &s) < 0)
		return -1;
	if (s[0] != '/') {
		size_t n = strlen(w->dir) + strlen(s) + 2;
		char *abs = xmalloc(n);

		snprintf(abs, n, "%s/%s", w->dir, s);
		free(s);
		s = abs;
	}
	free(*out);
	*out = s;
	return 0;
}

/* free_list - a NULL-terminated string array */
void
free_list(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

/* get_list - a sequence of strings, or one string; NULL-terminated */
int
get_list(struct walker *w, yaml_node_t *node, const char *what, char ***out,
	 size_t *n)
{
	yaml_node_item_t *item;
	size_t count = 0;
	char **list;

	if (node->type == YAML_SCALAR_NODE) {
		list = xcalloc(2, sizeof(*list));
		if (get_string(w, node, what, &list[0]) < 0) {
			free(list);
			return -1;
		}
		count = 1;
	} else if (node->type == YAML_SEQUENCE_NODE) {
		size_t max = (size_t)(node->data.sequence.items.top -
				      node->data.sequence.items.start);

		list = xcalloc(max + 1, sizeof(*list));
		for (item = node->data.sequence.items.start;
		     item < node->data.sequence.items.top; item++) {
			yaml_node_t *el = yaml_document_get_node(w->doc, *item);

			if (get_string(w, el, what, &list[count]) < 0) {
				free_list(list);
				return -1;
			}
			count++;
		}
	} else {
		return fail_at(w, node,
			       "%s must be a string or a list of "
			       "strings",
			       what);
	}
	free_list(*out);
	*out = list;
	*n = count;
	return 0;
}

/* get_long - a decimal integer within [MIN, MAX] */
int
get_long(struct walker *w, const yaml_node_t *node, const char *what, long min,
	 long max, long *out)
{
	const char *s = scalar(node);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return fail_at(w, node, "%s must be a number", what);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0')
		return fail_at(w, node, "%s must be a whole number, not \"%s\"",
			       what, s);
	if (v < min || v > max)
		return fail_at(w, node, "%s must be between %ld and %ld", what,
			       min, max);
	*out = v;
	return 0;
}

/* get_int - get_long into an int */
int
get_int(struct walker *w, const yaml_node_t *node, const char *what, int min,
	int max, int *out)
{
	long v;

	if (get_long(w, node, what, min, max, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* The units a duration may end in; a bare number is seconds. */
static const struct duration_unit {
	char suffix;
	long seconds;
} duration_units[] = {
	{'s', 1},
	{'m', 60},
	{'h', 3600},
	{'d', 86400},
};

/* config_parse_duration - a number with an optional s/m/h/d unit */
int
config_parse_duration(const char *s, long *seconds)
{
	const size_t n_units =
		sizeof(duration_units) / sizeof(duration_units[0]);
	char *end;
	long v, unit = 1;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	for (size_t i = 0; *end != '\0' && i < n_units; i++) {
		if (*end == duration_units[i].suffix) {
			unit = duration_units[i].seconds;
			end++;
			break;
		}
	}
	if (*end != '\0' || v > 100L * 365 * 86400 / unit)
		return -1;
	*seconds = v * unit;
	return 0;
}

/* get_addresses - a list of addresses, checked and lower-cased */
int
get_addresses(struct walker *w, yaml_node_t *node, const char *what,
	      char ***out, size_t *n)
{
	const char *why;

	if (get_list(w, node, what, out, n) < 0)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if (proxyaddr_check_key((*out)[i], strlen((*out)[i]), 0, &why) <
		    0)
			return fail_at(w, node, "%s: \"%s\" %s", what,
				       (*out)[i], why);
	return 0;
}

/* get_bool - YAML 1.1 booleans */
int
get_bool(struct walker *w, const yaml_node_t *node, const char *what, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", NULL};
	static const char *const no[] = {"false", "no", "off", NULL};
	const char *s = scalar(node);

	for (int i = 0; s && yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return fail_at(w, node, "%s must be true or false", what);
}

/* get_secret_path - a path, or systemd's "credential:NAME" */
int
get_secret_path(struct walker *w, yaml_node_t *v, const char *what, char **out)
{
	const char *s = scalar(v);

	if (s == NULL ||
	    strncmp(s, SECRET_CREDENTIAL, strlen(SECRET_CREDENTIAL)) != 0)
		return get_path(w, v, what, out);
	/* systemd LoadCredential=: resolved when read */
	s += strlen(SECRET_CREDENTIAL);
	if (*s == '\0' || strchr(s, '/') != NULL || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return fail_at(w, v,
			       "%s: credential:NAME needs a NAME without '/'",
			       what);
	return get_string(w, v, what, out);
}

/* get_choice - one of NAMES; *OUT is its index */
int
get_choice(struct walker *w, const yaml_node_t *node, const char *what,
	   const char *const *names, int *out)
{
	const char *s = scalar(node);
	char list[200] = "";

	for (int i = 0; names[i] != NULL; i++) {
		if (s != NULL && strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s",
			 i == 0		? ""
			 : names[i + 1] ? ", "
					: " or ",
			 names[i]);
	}
	return fail_at(w, node, "%s must be %s", what, list);
}

/* get_duration - a positive duration such as 30m */
int
get_duration(struct walker *w, yaml_node_t *v, const char *what, long *out)
{
	if (scalar(v) == NULL || config_parse_duration(scalar(v), out) < 0 ||
	    *out <= 0)
		return fail_at(w, v, "%s must be a duration such as 30m or 1h",
			       what);
	return 0;
}

/* The field of DST a row names, as a T */
#define FIELD(dst, k, t) ((t *)((char *)(dst) + (k)->field))

/*
 * Each type's parser: the get_ helper of its kind, on the row's field.
 * TYPE_PARSER(name, call) defines
 * static int name(w, v, k, what, dst) { return call; }.
 */
#define TYPE_PARSER(name, call)                                       \
	static int name(struct walker *w, yaml_node_t *v,             \
			const struct config_key *k, const char *what, \
			void *dst)                                    \
	{                                                             \
		return call;                                          \
	}
#define COUNT(dst, k) ((size_t *)((char *)(dst) + (k)->count))

TYPE_PARSER(type_string, get_string(w, v, what, FIELD(dst, k, char *)))
TYPE_PARSER(type_path, get_path(w, v, what, FIELD(dst, k, char *)))
TYPE_PARSER(type_secret, get_secret_path(w, v, what, FIELD(dst, k, char *)))
TYPE_PARSER(type_bool, get_bool(w, v, what, FIELD(dst, k, int)))
TYPE_PARSER(type_int,
	    get_int(w, v, what, (int)k->min, (int)k->max, FIELD(dst, k, int)))
TYPE_PARSER(type_long,
	    get_long(w, v, what, k->min, k->max, FIELD(dst, k, long)))
TYPE_PARSER(type_duration, get_duration(w, v, what, FIELD(dst, k, long)))
TYPE_PARSER(type_enum, get_choice(w, v, what, k->names, FIELD(dst, k, int)))
TYPE_PARSER(type_list,
	    get_list(w, v, what, FIELD(dst, k, char **), COUNT(dst, k)))
TYPE_PARSER(type_addresses,
	    get_addresses(w, v, what, FIELD(dst, k, char **), COUNT(dst, k)))

/* free_string - a string type's field */
static void
free_string(const struct config_key *k, void *dst)
{
	free(*FIELD(dst, k, char *));
	*FIELD(dst, k, char *) = NULL;
}

/* free_strings - a list type's field */
static void
free_strings(const struct config_key *k, void *dst)
{
	free_list(*FIELD(dst, k, char **));
	*FIELD(dst, k, char **) = NULL;
}

/* Each type's parser, and what frees its field (NULL: nothing). */
static const struct config_type_ops {
	int (*parse)(struct walker *w, yaml_node_t *v,
		     const struct config_key *k, const char *what, void *dst);
	void (*release)(const struct config_key *k, void *dst);
} config_types[] = {
	[CONFIG_NONE] = {NULL, NULL},
	[CONFIG_STRING] = {type_string, free_string},
	[CONFIG_PATH] = {type_path, free_string},
	[CONFIG_SECRET] = {type_secret, free_string},
	[CONFIG_BOOL] = {type_bool, NULL},
	[CONFIG_INT] = {type_int, NULL},
	[CONFIG_LONG] = {type_long, NULL},
	[CONFIG_DURATION] = {type_duration, NULL},
	[CONFIG_ENUM] = {type_enum, NULL},
	[CONFIG_LIST] = {type_list, free_strings},
	[CONFIG_ADDRESSES] = {type_addresses, free_strings},
	[CONFIG_SECTION] = {NULL, NULL},
};

/* config_parse_value - the row's own parser, or its type's */
int
config_parse_value(struct walker *w, yaml_node_t *v, const struct config_key *k,
		   const char *what, void *dst)
{
	if (k->parse != NULL)
		return k->parse(w, v, dst);
	if (config_types[k->type].parse == NULL)
		panic("config: key %s has neither a parser nor a type", what);
	return config_types[k->type].parse(w, v, k, what, dst);
}

/* config_free_value - what the row's type owns */
void
config_free_value(const struct config_key *k, void *dst)
{
	if (config_types[k->type].release != NULL)
		config_types[k->type].release(k, dst);
}

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

/* walk_key - one key's value V through its row K */
static int
walk_key(struct walker *w, yaml_node_t *v, const struct config_section *sec,
	 const struct config_key *k, void *dst, void *nodes)
{
	char what[128];

	if (k->at != 0)
		*(yaml_node_t **)((char *)nodes + k->at - 1) = v;
	snprintf(what, sizeof(what), "%s%s", sec->prefix, k->name);
	if (k->type == CONFIG_SECTION && k->parse == NULL) {
		if (walk_section(w, v, k->section, dst, nodes) < 0)
			return -1;
	} else if (config_parse_value(w, v, k, what, dst) < 0) {
		return -1;
	}
	return k->check != NULL ? k->check(w, v, dst) : 0;
}

/* walk_section - every key of the mapping NODE through its row */
int
walk_section(struct walker *w, yaml_node_t *node,
	     const struct config_section *sec, void *dst, void *nodes)
{
	yaml_node_pair_t *pair;
	unsigned seen = 0;
	int i;

	if (node->type != YAML_MAPPING_NODE)
		return fail_at(w, node, "%s must be a mapping of keys",
			       sec->name);
	for (pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);

		if ((i = find_key(w, key, sec->name, sec->keys, &seen)) < 0)
			return -1;
		if (walk_key(w, v, sec, &sec->keys[i], dst, nodes) < 0)
			return -1;
	}
	return sec->check != NULL ? sec->check(w, node, dst, nodes) : 0;
}

/* config_defaults - each row's default, parsed as if sync.yaml said it */
void
config_defaults(struct walker *w, const struct config_section *sec, void *dst)
{
	for (const struct config_key *k = sec->keys; k->name != NULL; k++) {
		yaml_node_t v;

		if (k->type == CONFIG_SECTION)
			config_defaults(w, k->section, dst);
		if (k->def == NULL)
			continue;
		memset(&v, 0, sizeof(v));
		v.type = YAML_SCALAR_NODE;
		v.data.scalar.value = (yaml_char_t *)k->def;
		v.data.scalar.length = strlen(k->def);
		if (config_parse_value(w, &v, k, k->name, dst) < 0)
			panic("config: the default of %s%s: %s", sec->prefix,
			      k->name, w->err->msg);
	}
}

/* config_release - every string and list the rows name */
void
config_release(const struct config_section *sec, void *dst)
{
	for (const struct config_key *k = sec->keys; k->name != NULL; k++)
		if (k->type == CONFIG_SECTION)
			config_release(k->section, dst);
		else
			config_free_value(k, dst);
}
