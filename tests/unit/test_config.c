/* SPDX-License-Identifier: MIT */
/* Unit tests: sync.yaml errors carry file:line:column; defaults apply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "adkinds.h"
#include "config.h"
#include "testutil.h"

#include "config_rows.h"

/* load - write YAML to a temp file and load it */
static int
load(const char *yaml, struct sync_conf *c, struct sync_err *err, char *path)
{
	int rc;

	testutil_write_temp(yaml, path, 64);
	rc = config_load(path, c, err);
	unlink(path);
	return rc;
}

/* check_rows - each row loads, or fails with its error at its place */
static void
check_rows(const struct row *table, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &table[i];
		struct sync_conf c;
		struct sync_err err = {0};
		char path[64];
		int rc = load(r->yaml, &c, &err, path);

		if (r->want == NULL && rc != 0)
			fail_msg("row \"%s\": unexpected error: %s", r->name,
				 err.msg);
		if (r->want != NULL) {
			if (rc == 0)
				fail_msg("row \"%s\": loaded, want error",
					 r->name);
			if (err.kind != SYNC_ERR_CONFIG)
				fail_msg("row \"%s\": kind %d", r->name,
					 err.kind);
			if (strncmp(err.msg, path, strlen(path)) != 0 ||
			    strstr(err.msg, r->want) == NULL)
				fail_msg("row \"%s\": \"%s\" lacks \"%s\"",
					 r->name, err.msg, r->want);
			for (const char *p = err.msg; *p != '\0'; p++)
				if ((unsigned char)*p < 0x20 ||
				    (unsigned char)*p >= 0x7f)
					fail_msg("row \"%s\": byte 0x%02x in "
						 "the message",
						 r->name, (unsigned char)*p);
		}
		config_free(&c);
	}
}

static void
test_rows(void **state)
{
	(void)state;
	check_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

/* source.graph: its keys, errors and combinations */
static void
test_graph_rows(void **state)
{
	(void)state;
	check_rows(graph_rows, sizeof(graph_rows) / sizeof(graph_rows[0]));
}

/* source.graph: the cloud's hosts unless overridden, a trailing / cut */
static void
test_graph_defaults(void **state)
{
	struct sync_conf c;
	struct sync_err err;
	char path[64];

	(void)state;
	assert_int_equal(load(GRAPH_SRC GRAPH_CERT OUT, &c, &err, path), 0);
	assert_int_equal(c.source, -1);
	assert_non_null(c.graph);
	assert_string_equal(c.graph->login_url,
			    "https://login.microsoftonline.com");
	assert_string_equal(c.graph->graph_url, "https://graph.microsoft.com");
	assert_int_equal(c.graph->include, GRAPH_ALL);
	assert_int_equal(c.graph->timeout, 30);
	assert_null(c.graph->ca_file);
	config_free(&c);
	assert_int_equal(load(GRAPH_SRC GRAPH_CERT
			      "    cloud: usgov-dod\n"
			      "    graph_url: https://proxy.example//\n"
			      "    include: contacts\n" OUT,
			      &c, &err, path),
			 0);
	assert_string_equal(c.graph->login_url,
			    "https://login.microsoftonline.us");
	assert_string_equal(c.graph->graph_url, "https://proxy.example");
	assert_int_equal(c.graph->include, GRAPH_CONTACTS);
	config_free(&c);
}

static void
test_defaults(void **state)
{
	struct sync_conf c;
	struct sync_err err;
	char path[64], *all = adkinds_filter(ADKINDS_ALL);

	(void)state;
	assert_int_equal(load("source:\n  ldap:\n    uri: ldaps://dc1\n"
			      "    base: DC=corp,DC=example\n"
			      "    bind: {method: none}\n"
			      "output:\n  table: relay\n"
			      "domains: Corp.Example\n",
			      &c, &err, path),
			 0);
	assert_int_equal(c.source, CONFIG_SOURCE_LDAP);
	assert_int_equal(c.ldap[0].page_size, 1000);
	assert_int_equal(c.ldap[0].timeout, 30);
	assert_int_equal(c.ldap[0].verify, 1);
	assert_string_equal(c.ldap[0].filter, all);
	assert_int_equal(c.type, MAPDB_HASH);
	assert_string_equal(c.value, "OK");
	assert_string_equal(c.lock, CONFIG_DEFAULT_LOCK);
	assert_true(c.safety.max_removed_pct == 10);
	assert_int_equal(c.safety.min_recipients, 1);
	assert_string_equal(c.domains[0], "corp.example");
	assert_string_equal(c.table, "/tmp/relay"); /* relative to the file */
	assert_string_equal(c.state, "/tmp/relay.rcptsync-state");
	assert_null(c.metrics_textfile); /* no metrics unless asked */
	config_free(&c);
	free(all);
}

/* Every documented top-level path key is accepted and resolved. */
static void
test_paths(void **state)
{
	struct sync_conf c;
	struct sync_err err;
	char path[64];

	(void)state;
	assert_int_equal(load(LDIF_SRC OUT "lock: run/l\nstate: st\n"
					   "extra: ex\n"
					   "metrics: {textfile: prom/r.prom}\n",
			      &c, &err, path),
			 0);
	assert_string_equal(c.metrics_textfile, "/tmp/prom/r.prom");
	assert_string_equal(c.lock, "/tmp/run/l");
	assert_string_equal(c.state, "/tmp/st");
	assert_string_equal(c.extra, "/tmp/ex");
	config_free(&c);
}

/*
 * issue 24 item 5: two keys naming one file through another directory
 * name (a symbolic link to it, or "..") are the same file: directories
 * are compared by identity, not by spelling.
 */
static void
test_path_identity(void **state)
{
	char dir[] = "/tmp/rcptsync-conf.XXXXXX", yaml[1024], sub[100],
	     lnk[128], path[64];
	struct sync_conf c;
	struct sync_err err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/real", dir);
	snprintf(lnk, sizeof(lnk), "%s/link", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(symlink(sub, lnk), 0);
	/* the domains table through the link is the recipient table */
	snprintf(yaml, sizeof(yaml),
		 LDIF_SRC "domains: [a.example]\noutput:\n  table: %s/t\n"
			  "  relay_domains: %s/t\n",
		 sub, lnk);
	assert_int_equal(load(yaml, &c, &err, path), -1);
	assert_int_equal(err.kind, SYNC_ERR_CONFIG);
	assert_non_null(strstr(err.msg,
			       ":6:18: output.relay_domains must not be "
			       "output.table ("));
	assert_non_null(strstr(err.msg, ":5:10)")); /* where the table is */
	config_free(&c);
	/* the state through "..": real/../real/s is real/s */
	snprintf(yaml, sizeof(yaml),
		 LDIF_SRC OUT "state: %s/s\nlock: %s/../real/s\n", sub, sub);
	assert_int_equal(load(yaml, &c, &err, path), -1);
	assert_non_null(strstr(err.msg, ":6:7: lock must not be state ("));
	config_free(&c);
	/* a hard link to the table is the table */
	snprintf(yaml, sizeof(yaml), "%s/t", sub);
	snprintf(lnk, sizeof(lnk), "%s/t2", sub);
	assert_int_equal(close(open(yaml, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(link(yaml, lnk), 0);
	snprintf(yaml, sizeof(yaml),
		 LDIF_SRC "output:\n  table: %s/t\nextra: %s\n", sub, lnk);
	assert_int_equal(load(yaml, &c, &err, path), -1);
	assert_non_null(
		strstr(err.msg, ":5:8: extra must not be output.table"));
	config_free(&c);
	/* different names in one directory are different files */
	snprintf(yaml, sizeof(yaml),
		 LDIF_SRC "domains: [a.example]\noutput:\n  table: %s/t\n"
			  "  relay_domains: %s/../link/d\n",
		 sub, sub);
	assert_int_equal(load(yaml, &c, &err, path), 0);
	config_free(&c);
	snprintf(yaml, sizeof(yaml), "%s/t", sub);
	unlink(yaml);
	unlink(lnk);
	snprintf(yaml, sizeof(yaml), "%s/link", dir);
	unlink(yaml);
	rmdir(sub);
	rmdir(dir);
}

static void
test_include_and_forest(void **state)
{
	struct sync_conf c;
	struct sync_err err;
	char path[64], *all = adkinds_filter(ADKINDS_ALL);

	(void)state;
	assert_int_equal(load("source:\n  ldap:\n"
			      "    - uri: ldaps://dc1.a\n      base: dc=a\n"
			      "      include: [contacts, users]\n"
			      "      bind: {method: none}\n"
			      "    - uri: ldaps://dc1.b\n      base: dc=b\n"
			      "      bind: {method: gssapi, keytab: k, "
			      "principal: s@B}\n" OUT,
			      &c, &err, path),
			 0);
	assert_int_equal(c.n_ldap, 2);
	/* the kinds in the default filter's order, whatever the list's */
	assert_string_equal(c.ldap[0].filter,
			    "(&(proxyAddresses=smtp:*)(|(objectClass=user)"
			    "(objectClass=contact)))");
	assert_string_equal(c.ldap[1].filter, all);
	assert_int_equal(c.ldap[1].bind_method, LDAPSYNC_BIND_GSSAPI);
	assert_string_equal(c.ldap[1].keytab, "/tmp/k");
	assert_int_equal(c.ldap[1].timeout, 30);
	config_free(&c);
	/* all five kinds: exactly the default filter */
	assert_int_equal(load("source:\n  ldap:\n    uri: ldaps://dc\n"
			      "    base: dc=x\n    include: [dynamic_lists, "
			      "public_folders, contacts, groups, users]\n"
			      "    bind: {method: none}\n" OUT,
			      &c, &err, path),
			 0);
	assert_string_equal(c.ldap[0].filter, all);
	config_free(&c);
	free(all);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_graph_rows),
		cmocka_unit_test(test_graph_defaults),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_include_and_forest),
		cmocka_unit_test(test_path_identity),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
