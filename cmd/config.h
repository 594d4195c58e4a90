/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_CONFIG_H
#define RCPTSYNC_CONFIG_H

#include <stddef.h>

#include "graph.h"
#include "ldapsync.h"
#include "grace.h"
#include "mapdb.h"
#include "safety.h"
#include "syncerr.h"

#define CONFIG_DEFAULT_PATH "/etc/rcptsync/sync.yaml"
#define CONFIG_DEFAULT_LOCK "/run/rcptsync.lock"

enum config_source {
	CONFIG_SOURCE_LDAP,
	CONFIG_SOURCE_LDIF,
};

/* Everything sync.yaml says, defaults filled in.  Paths are absolute
 * or relative to the config file's directory, resolved at load. */
struct sync_conf {
	int source;		    /* enum config_source; -1: neither */
	struct graph_conf *graph;   /* source.graph; NULL: none */
	struct ldapsync_conf *ldap; /* source.ldap: one directory each */
	size_t n_ldap;		    /* several: a forest's domains */
	char *ldif;
	char **domains; /* lower case; ".x" = x and below */
	size_t n_domains;
	int domains_exchange; /* domains: exchange (accepted domains) */
	char **exclude;	      /* fnmatch patterns, lower case */
	size_t n_exclude;
	char *extra; /* NULL: none */
	char *table;
	char *relay_domains; /* output.relay_domains; NULL: none */
	int type;	     /* enum mapdb_type */
	char *value;
	struct safety_limits safety;
	struct grace_rule grace; /* safety.removal_grace; 0, 0: none */
	char **must_exist;	 /* safety canaries, lower case */
	size_t n_must_exist;
	char **must_not_exist;
	size_t n_must_not_exist;
	char **after_change; /* argv, NULL-terminated; NULL: none */
	size_t n_after_change;
	int hook_timeout; /* seconds */
	char *lock;
	long deadline;		 /* seconds a run may take from its start */
	char *state;		 /* default: TABLE.rcptsync-state */
	char *verify_cache;	 /* address_verify_map name; NULL: off */
	int verify_cache_type;	 /* MAPDB_BTREE, MAPDB_HASH, MAPDB_LMDB */
	char *verify_delimiters; /* recipient_delimiter; "" for none */
	int log_syslog;		 /* log.syslog: also to syslog, facility mail */
	char *metrics_textfile;	 /* metrics.textfile (*.prom); NULL: none */
	unsigned char digest[32]; /* SHA-256 of the bytes read (unchanged.c) */
};

/*
 * config_parse_duration - "90s", "30m", "24h", "2d" or plain seconds into
 *	*SECONDS.  Returns 0, or -1 when S is not such a duration.
 */
int config_parse_duration(const char *s, long *seconds);

/*
 * config_load - parse and check the YAML file at PATH into *CONF.
 *	Returns 0, or -1 with a CONFIG error "PATH:LINE:COLUMN: ..." (an
 *	unreadable file is a CONFIG error too).  Free with config_free(),
 *	also after a failure.
 */
int config_load(const char *path, struct sync_conf *conf, struct sync_err *err)
	__attribute__((warn_unused_result));

/* config_free - release everything config_load() allocated */
void config_free(struct sync_conf *conf);

#endif
