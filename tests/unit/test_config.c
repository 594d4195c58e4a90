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

struct row {
	const char *name;
	const char *yaml;
	const char *want; /* NULL: loads; else "LINE:COL: ..." substring */
};

#define LDIF_SRC "source:\n  ldif: /x.ldif\n"
#define OUT "output:\n  table: /tmp/t\n"
#define LDAP_X                                                    \
	"source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n" \
	"    bind: {method: none}\n"

static const struct row rows[] = {
	{"minimal ldif", LDIF_SRC OUT, NULL},
	{"unknown top key", LDIF_SRC OUT "colour: blue\n",
	 ":5:1: unknown key \"colour\" in the configuration"},
	{"unknown nested key", LDIF_SRC "output:\n  table: /t\n  typo: 1\n",
	 ":5:3: unknown key \"typo\" in output"},
	{"unknown top key before source and output",
	 "colour: blue\n" LDIF_SRC OUT,
	 ":1:1: unknown key \"colour\" in the configuration"},
	{"unknown key in source.ldap after uri, base and bind",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    bind: {method: none}\n    pagesize: 500\n"
	 "    include: [users]\n" OUT,
	 ":6:5: unknown key \"pagesize\" in source.ldap"},
	{"duplicate key in source.ldap",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    bind: {method: none}\n    uri: ldaps://dc2\n" OUT,
	 ":6:5: duplicate key uri in source.ldap"},
	{"unknown key first in source.ldap",
	 "source:\n  ldap:\n    pagesize: 500\n    uri: ldaps://dc\n"
	 "    base: dc=x\n    bind: {method: none}\n" OUT,
	 ":3:5: unknown key \"pagesize\" in source.ldap"},
	{"duplicate key", LDIF_SRC OUT "lock: /a\nlock: /b\n",
	 ":6:1: duplicate key lock"},
	{"wrong type: mapping for string",
	 LDIF_SRC "output:\n  table:\n    a: b\n",
	 ":5:5: output.table must be a non-empty string"},
	{"bad type value", LDIF_SRC OUT "  type: cdbx\n",
	 ":5:9: output.type must be hash, btree, lmdb, cdb or text"},
	{"page_size not a number",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    page_size: lots\n    bind: {method: none}\n" OUT,
	 ":5:16: page_size must be a whole number"},
	{"page_size range",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    page_size: 0\n    bind: {method: none}\n" OUT,
	 ":5:16: page_size must be between"},
	{"plain ldap simple bind refused",
	 "source:\n  ldap:\n    uri: [ldap://dc]\n    base: dc=x\n"
	 "    bind: {method: simple, dn: a, password_file: /p}\n" OUT,
	 ":3:10: uri ldap://dc: a simple bind over plain"},
	{"plain ldap with starttls ok",
	 "source:\n  ldap:\n    uri: [ldap://dc]\n    base: dc=x\n"
	 "    starttls: true\n"
	 "    bind: {method: simple, dn: a, password_file: /p}\n" OUT,
	 NULL},
	{"bind simple needs dn",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    bind: {method: simple}\n" OUT,
	 ":5:11: bind.method simple needs dn"},
	{"domains: exchange needs source.ldap",
	 LDIF_SRC OUT "domains: exchange\n",
	 ":5:10: domains: exchange needs source.ldap"},
	{"domains: exchange with source.ldap",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    bind: {method: none}\n"
	 "domains: exchange\n"
	 "output:\n  table: /tmp/t\n  relay_domains: /tmp/d\n",
	 NULL},
	{"relay_domains needs domains",
	 LDIF_SRC "output:\n  table: /tmp/t\n  relay_domains: /tmp/d\n",
	 ":5:18: output.relay_domains needs domains"},
	{"relay_domains with a domains list",
	 LDIF_SRC "domains: [a.example]\n"
		  "output:\n  table: /tmp/t\n  relay_domains: /tmp/d\n",
	 NULL},
	{"relay_domains is not the table",
	 LDIF_SRC "domains: [a.example]\n"
		  "output:\n  table: /tmp/t\n  relay_domains: /tmp/t\n",
	 ":6:18: output.relay_domains must not be output.table"},
	/* issue 24 item 5: the same file spelt another way */
	{"relay_domains is the table, spelt ./",
	 LDIF_SRC "domains: [a.example]\n"
		  "output:\n  table: out/t\n  relay_domains: ./out/t\n",
	 ":6:18: output.relay_domains must not be output.table ("},
	{"relay_domains is the table, spelt with //",
	 LDIF_SRC "domains: [a.example]\n"
		  "output:\n  table: /tmp/t\n  relay_domains: /tmp//t\n",
	 ":6:18: output.relay_domains must not be output.table ("},
	{"relay_domains is the table's map",
	 LDIF_SRC "domains: [a.example]\n"
		  "output:\n  table: /tmp/t\n  relay_domains: /tmp/t.db\n",
	 ":6:18: output.relay_domains must not be output.table's map"},
	{"relay_domains's map is the table",
	 LDIF_SRC "domains: [a.example]\n"
		  "output:\n  table: /tmp/t.lmdb\n  relay_domains: /tmp/t\n"
		  "  type: lmdb\n",
	 ":6:18: output.relay_domains's map must not be output.table"},
	{"the table is the default state of relay_domains' neighbour",
	 LDIF_SRC "domains: [a.example]\n"
		  "output:\n  table: /tmp/t\n"
		  "  relay_domains: /tmp/./t.rcptsync-state\n",
	 ":6:18: output.relay_domains must not be state"},
	{"lock is the state, spelt ./", LDIF_SRC OUT "state: st\nlock: ./st\n",
	 ":6:7: lock must not be state ("},
	{"state is the table's map", LDIF_SRC OUT "state: /tmp/./t.db\n",
	 ":5:8: state must not be output.table's map"},
	{"extra is the table, spelt ./", LDIF_SRC OUT "extra: ././t\n",
	 ":5:8: extra must not be output.table ("},
	{"metrics is the state, spelt ./",
	 LDIF_SRC OUT "state: /tmp/s.prom\nmetrics:\n  textfile: ./s.prom\n",
	 ":7:13: metrics.textfile must not be state ("},
	{"verify_cache's map is the table's map",
	 LDIF_SRC "output:\n  table: /tmp/t\n  type: btree\n"
		  "verify_cache:\n  path: ./t\n",
	 ":7:9: verify_cache.path's map must not be output.table's map"},
	{"source.ldif is the table", "source:\n  ldif: ./t\n" OUT,
	 ":2:9: source.ldif must not be output.table ("},
	{"extra and source.ldif may be one file (both only read)",
	 "source:\n  ldif: ./x\n" OUT "extra: x\n", NULL},
	/* issue 24 item 7: memberOf changes on the group, not the user */
	{"memberOf filter with tombstones",
	 LDAP_X "    filter: \"(&(mail=*)(memberOf=CN=G,DC=x))\"\n"
		"    incremental: usnchanged\n    deletions: tombstones\n" OUT,
	 ":6:13: filter tests memberOf, which deletions: tombstones (at "},
	{"memberOf filter with dirsync",
	 LDAP_X "    incremental: dirsync\n"
		"    filter: \"(memberof=CN=G,DC=x)\"\n" OUT,
	 ":7:13: filter tests memberOf, which incremental: dirsync (at "},
	{"memberOf in a matching rule, negated, with tombstones",
	 LDAP_X "    deletions: tombstones\n    incremental: usnchanged\n"
		"    filter: \"(!(MEMBEROF:1.2.840.113556.1.4.1941:=CN=G,DC=x))"
		"\"\n" OUT,
	 ":8:13: filter tests memberOf, which deletions: tombstones (at "},
	{"the advice names deletions: listing",
	 LDAP_X "    filter: \"(memberOf=CN=G,DC=x)\"\n"
		"    incremental: usnchanged\n    deletions: tombstones\n" OUT,
	 "use incremental: usnchanged with deletions: listing"},
	{"memberOf filter with deletions: listing",
	 LDAP_X "    filter: \"(memberOf=CN=G,DC=x)\"\n"
		"    incremental: usnchanged\n    deletions: listing\n" OUT,
	 NULL},
	{"memberOf filter with usnchanged (listing by default)",
	 LDAP_X "    filter: \"(memberOf=CN=G,DC=x)\"\n"
		"    incremental: usnchanged\n" OUT,
	 NULL},
	{"memberOf filter without incremental",
	 LDAP_X "    filter: \"(memberOf=CN=G,DC=x)\"\n" OUT, NULL},
	{"an attribute that only contains memberOf",
	 LDAP_X "    filter: \"(xmemberOfx=1)\"\n"
		"    incremental: dirsync\n" OUT,
	 NULL},
	{"domain instead of uri",
	 "source:\n  ldap:\n    domain: corp.example\n    base: dc=x\n"
	 "    site: Branch-1\n"
	 "    bind: {method: simple, dn: a, password_file: /p}\n" OUT,
	 NULL},
	{"domain and uri together",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    domain: corp.example\n    bind: {method: none}\n" OUT,
	 ":5:13: source.ldap takes uri or domain, not both"},
	{"domain and uri together, domain first",
	 "source:\n  ldap:\n    domain: corp.example\n    base: dc=x\n"
	 "    uri: ldaps://dc\n    bind: {method: none}\n" OUT,
	 ":3:13: source.ldap takes uri or domain, not both"},
	{"neither uri nor domain",
	 "source:\n  ldap:\n    base: dc=x\n    bind: {method: none}\n" OUT,
	 ":3:5: source.ldap needs uri (the DCs) or domain"},
	{"site without domain",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    site: Branch-1\n"
	 "    base: dc=x\n    bind: {method: none}\n" OUT,
	 ":4:11: site needs domain"},
	{"domain not a DNS name",
	 "source:\n  ldap:\n    domain: corp_example.\n    base: dc=x\n"
	 "    bind: {method: none}\n" OUT,
	 ":3:13: domain corp_example.: must be a DNS domain name"},
	{"site with a dot",
	 "source:\n  ldap:\n    domain: corp.example\n    site: a.b\n"
	 "    base: dc=x\n    bind: {method: none}\n" OUT,
	 ":4:11: site a.b: must be an AD site name"},
	{"domain, a misspelt key",
	 "source:\n  ldap:\n    domain: corp.example\n    sites: x\n"
	 "    base: dc=x\n    bind: {method: none}\n" OUT,
	 ":4:5: unknown key \"sites\" in source.ldap"},
	{"bad uri scheme",
	 "source:\n  ldap:\n    uri: http://dc\n    base: dc=x\n"
	 "    bind: {method: none}\n" OUT,
	 ":3:10: uri http://dc: must start"},
	{"both sources",
	 "source:\n  ldif: /a\n  ldap:\n    uri: ldaps://x\n    base: b\n"
	 "    bind: {method: none}\n" OUT,
	 ":4:5: source takes ldap or ldif"},
	{"no source", OUT, ":1:1: the configuration needs source"},
	{"no output table", LDIF_SRC "output:\n  type: hash\n",
	 ":4:3: output needs table"},
	{"bad percentage", LDIF_SRC OUT "safety:\n  max_removed: 150%\n",
	 ":6:16: safety.max_removed: \"150%\" is not a percentage"},
	{"bad count", LDIF_SRC OUT "safety:\n  max_removed: -3\n",
	 ":6:16: safety.max_removed"},
	{"nan percentage", LDIF_SRC OUT "safety:\n  max_removed: \"nan%\"\n",
	 ":6:16: safety.max_removed: \"nan%\" is not a percentage"},
	{"inf percentage", LDIF_SRC OUT "safety:\n  max_removed: \"inf%\"\n",
	 ":6:16: safety.max_removed: \"inf%\" is not a percentage"},
	{"hex percentage", LDIF_SRC OUT "safety:\n  max_removed: \"0x10%\"\n",
	 ":6:16: safety.max_removed: \"0x10%\" is not a percentage"},
	{"empty hook", LDIF_SRC OUT "hooks:\n  after_change: []\n",
	 ":6:17: hooks.after_change: an empty list"},
	{"bad domain", LDIF_SRC OUT "domains: [corp.example, \"bad domain\"]\n",
	 ":5:10: domains: \"bad domain\" is not a domain name"},
	{"relative hook",
	 LDIF_SRC OUT "hooks:\n  after_change: [postfix, reload]\n",
	 ":6:17: hooks.after_change: the program must be an absolute path"},
	{"value with space",
	 LDIF_SRC "output:\n  table: /t\n  value: \"O K\"\n",
	 ":5:10: output.value must be one word"},
	{"bad bool",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    starttls: maybe\n    bind: {method: none}\n" OUT,
	 ":5:15: starttls must be true or false"},
	{"yaml syntax", "source: [unclosed\n", ":2:1: YAML error"},
	{"empty file", "", ":1:1: the configuration is empty"},
	{"grace duration", LDIF_SRC OUT "safety:\n  removal_grace: 24h\n",
	 NULL},
	{"grace runs", LDIF_SRC OUT "safety:\n  removal_grace: 3 runs\n", NULL},
	{"bad grace", LDIF_SRC OUT "safety:\n  removal_grace: soon\n",
	 ":6:18: safety.removal_grace must be a duration"},
	{"bad canary", LDIF_SRC OUT "safety:\n  must_exist: [postmaster]\n",
	 ":6:15: safety.must_exist: \"postmaster\" does not have exactly one"},
	{"hook timeout range", LDIF_SRC OUT "hooks:\n  timeout: 0\n",
	 ":6:12: hooks.timeout must be between 1 and 3600"},
	{"verify cache", LDIF_SRC OUT "verify_cache: {path: vc, type: lmdb}\n",
	 NULL},
	{"verify cache needs path",
	 LDIF_SRC OUT "verify_cache: {type: btree}\n",
	 ":5:15: verify_cache needs path"},
	{"verify cache type",
	 LDIF_SRC OUT "verify_cache:\n  path: vc\n  type: proxy:btree\n",
	 ":7:9: verify_cache.type must be hash, btree or lmdb"},
	{"verify cache delimiter",
	 LDIF_SRC OUT "verify_cache: {path: vc, recipient_delimiter: \"@\"}\n",
	 ":5:47: verify_cache.recipient_delimiter must be characters"},
	{"credential",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    bind: {method: simple, dn: a, password_file: credential:b}\n" OUT,
	 NULL},
	{"credential with a slash",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    bind: {method: simple, dn: a, password_file: "
	 "credential:../b}\n" OUT,
	 ":5:50: bind.password_file: credential:NAME needs a NAME without"},
	{"unquoted DN in a flow list",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: [OU=A,DC=x,DC=y]\n"
	 "    bind: {method: none}\n" OUT,
	 ":4:11: base \"OU=A\" has no DC= component; inside [ ] a DN must "
	 "be quoted"},
	{"gssapi needs keytab and principal",
	 "source:\n  ldap:\n    uri: ldap://dc\n    base: dc=x\n"
	 "    bind: {method: gssapi}\n" OUT,
	 ":5:11: bind.method gssapi needs keytab and principal"},
	{"gssapi over plain ldap is fine (sign and seal)",
	 "source:\n  ldap:\n    uri: ldap://dc\n    base: dc=x\n"
	 "    bind: {method: gssapi, keytab: k, principal: s@R}\n" OUT,
	 NULL},
	{"unknown bind method",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    bind: {method: kerberos}\n" OUT,
	 ":5:20: bind.method must be simple, none, gssapi or external"},
	{"external needs a client certificate",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    bind: {method: external}\n" OUT,
	 ":5:11: bind.method external needs tls.cert_file and tls.key_file"},
	{"client certificate without key",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    tls: {cert_file: c.pem}\n    bind: {method: external}\n" OUT,
	 ":5:10: tls.cert_file and tls.key_file go together"},
	{"unknown include kind",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    include: [users, mailboxes]\n    bind: {method: none}\n" OUT,
	 "include entries must be users, groups, contacts, public_folders or "
	 "dynamic_lists"},
	{"include and filter",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    filter: (cn=*)\n    include: [users]\n    bind: {method: "
	 "none}\n" OUT,
	 ":6:14: source.ldap takes filter or include, not both"},
	{"empty base without a Global Catalog",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: ''\n"
	 "    bind: {method: none}\n" OUT,
	 ":4:11: an empty base (the whole forest) needs a Global Catalog"},
	{"empty base on the GC port",
	 "source:\n  ldap:\n    uri: ldaps://dc:3269\n    base: ''\n"
	 "    bind: {method: none}\n" OUT,
	 NULL},
	{"several directories",
	 "source:\n  ldap:\n    - uri: ldaps://dc1.a\n      base: dc=a\n"
	 "      bind: {method: none}\n"
	 "    - uri: ldaps://dc1.b\n      base: dc=b\n"
	 "      bind: {method: none}\n" OUT,
	 NULL},
	{"incremental",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    incremental: usnchanged\n    deletions: tombstones\n"
	 "    full_every: 6h\n    bind: {method: none}\n" OUT,
	 NULL},
	{"incremental: dirsync",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    incremental: dirsync\n    bind: {method: none}\n" OUT,
	 NULL},
	{"dirsync takes no deletions",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    incremental: dirsync\n    deletions: listing\n"
	 "    bind: {method: none}\n" OUT,
	 ":6:16: deletions is for incremental: usnchanged"},
	{"dirsync on a Global Catalog",
	 "source:\n  ldap:\n    uri: ldaps://gc:3269\n    base: dc=x\n"
	 "    incremental: dirsync\n    bind: {method: none}\n" OUT,
	 ":3:5: on a Global Catalog, incremental takes usnchanged with "
	 "deletions: listing"},
	{"tombstones on a Global Catalog",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    global_catalog: true\n    incremental: usnchanged\n"
	 "    deletions: tombstones\n    bind: {method: none}\n" OUT,
	 ":3:5: on a Global Catalog"},
	{"listing on a Global Catalog",
	 "source:\n  ldap:\n    uri: ldaps://gc:3269\n    base: dc=x\n"
	 "    incremental: usnchanged\n    bind: {method: none}\n" OUT,
	 NULL},
	{"unknown incremental mode",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    incremental: syncrepl\n    bind: {method: none}\n" OUT,
	 ":5:18: incremental must be none, usnchanged or dirsync"},
	{"bad full_every",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    full_every: often\n    bind: {method: none}\n" OUT,
	 ":5:17: full_every must be a duration"},
	{"incremental over a list of directories",
	 "source:\n  ldap:\n    - uri: ldaps://dc1.a\n      base: dc=a\n"
	 "      incremental: usnchanged\n      bind: {method: none}\n"
	 "    - uri: ldaps://dc1.b\n      base: dc=b\n"
	 "      bind: {method: none}\n" OUT,
	 NULL},
	{"an empty list of directories", "source:\n  ldap: []\n" OUT,
	 ":2:9: source.ldap lists no directory"},
	{"top level list", "- a\n- b\n",
	 ":1:1: the configuration must be a mapping"},
	{"metrics textfile", LDIF_SRC OUT "metrics:\n  textfile: /m/r.prom\n",
	 NULL},
	{"unknown key in metrics",
	 LDIF_SRC OUT "metrics:\n  textfile: /m/r.prom\n  port: 9100\n",
	 ":7:3: unknown key \"port\" in metrics"},
	{"duplicate key in metrics",
	 LDIF_SRC OUT
	 "metrics:\n  textfile: /m/a.prom\n  textfile: /m/b.prom\n",
	 ":7:3: duplicate key textfile in metrics"},
	{"metrics without textfile", LDIF_SRC OUT "metrics: {}\n",
	 ":5:10: metrics needs textfile"},
	{"metrics over the table",
	 LDIF_SRC
	 "output:\n  table: /m/t.prom\nmetrics:\n  textfile: /m/t.prom\n",
	 ":6:13: metrics.textfile must not be output.table"},
	{"metrics over the state",
	 LDIF_SRC OUT "state: /m/s.prom\nmetrics:\n  textfile: /m/s.prom\n",
	 ":7:13: metrics.textfile must not be state"},
	{"metrics not a mapping", LDIF_SRC OUT "metrics: /m/r.prom\n",
	 ":5:10: metrics must be a mapping of keys"},
	{"metrics textfile not *.prom",
	 LDIF_SRC OUT "metrics: {textfile: r.txt}\n",
	 ":5:21: metrics.textfile must be a file name ending in .prom"},
	{"metrics textfile only .prom",
	 LDIF_SRC OUT "metrics: {textfile: .prom}\n",
	 ":5:21: metrics.textfile must be a file name ending in .prom"},
	{"metrics textfile empty", LDIF_SRC OUT "metrics: {textfile: \"\"}\n",
	 ":5:21: metrics.textfile must be a non-empty string"},
	/* the admin's values are escaped in messages (proxyaddr_escape):
	 * a newline or a terminal escape cannot forge or hide a line */
	{"a domain with a newline, escaped",
	 LDIF_SRC OUT "domains: [\"bad\\nX-Forged: line.example\"]\n",
	 "domains: \"bad\\nx-forged: line.example\" is not a domain name"},
	{"an unknown key with an escape byte, escaped",
	 LDIF_SRC OUT "\"col\\eour\": blue\n",
	 "unknown key \"col\\x1bour\" in the configuration"},
	{"a base with a tab, escaped",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: [\"OU=a\\tb\"]\n"
	 "    bind: {method: none}\n" OUT,
	 "base \"OU=a\\tb\" has no DC= component"},
	{"a number with a carriage return, escaped",
	 "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
	 "    bind: {method: none}\n    timeout: \"5\\r\"\n" OUT,
	 "must be a whole number, not \"5\\r\""},
	{"a non-ASCII value, escaped",
	 LDIF_SRC OUT "domains: [\"b\\u00e4d\\x7f.example\"]\n",
	 "domains: \"b\\xc3\\xa4d\\x7f.example\" is not a domain name"},
};

#define GRAPH_SRC                                                  \
	"source:\n  graph:\n    tenant: contoso.onmicrosoft.com\n" \
	"    client_id: 0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b\n"
#define GRAPH_CERT "    certificate_file: /etc/rcptsync/graph.pem\n"

static const struct row graph_rows[] = {
	{"graph alone", GRAPH_SRC GRAPH_CERT OUT, NULL},
	{"graph and ldif", GRAPH_SRC GRAPH_CERT "  ldif: /x.ldif\n" OUT, NULL},
	{"graph and ldap",
	 GRAPH_SRC GRAPH_CERT "  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
			      "    bind: {method: none}\n" OUT,
	 NULL},
	{"graph: incremental delta",
	 GRAPH_SRC GRAPH_CERT "    incremental: delta\n" OUT, NULL},
	{"graph: incremental, an unknown kind",
	 GRAPH_SRC GRAPH_CERT "    incremental: dirsync\n" OUT,
	 ":6:18: source.graph.incremental must be none or delta"},
	{"graph: two credentials",
	 GRAPH_SRC GRAPH_CERT "    client_secret_file: /s\n" OUT,
	 ":6:25: source.graph takes certificate_file or client_secret_file, "
	 "not both"},
	{"graph: no credential", GRAPH_SRC OUT,
	 ":3:5: source.graph needs a credential"},
	{"graph: key_file without a certificate",
	 GRAPH_SRC "    key_file: /k\n    client_secret_file: /s\n" OUT,
	 ":5:15: source.graph.key_file goes with certificate_file"},
	{"graph: no tenant",
	 "source:\n  graph:\n    client_id: 0c1f\n" GRAPH_CERT OUT,
	 ":3:5: source.graph needs tenant and client_id"},
	{"graph: a tenant that would change the URL",
	 "source:\n  graph:\n    tenant: a/../b\n    client_id: "
	 "0c1f\n" GRAPH_CERT OUT,
	 ":3:13: source.graph.tenant must be a tenant id"},
	{"graph: http login_url",
	 GRAPH_SRC GRAPH_CERT "    login_url: http://login.example\n" OUT,
	 ":6:16: source.graph.login_url must be an https:// URL"},
	{"graph: a graph_url with a query",
	 GRAPH_SRC GRAPH_CERT "    graph_url: https://g.example/?a=b\n" OUT,
	 ":6:16: source.graph.graph_url must be an https:// URL"},
	{"graph: unknown collection",
	 GRAPH_SRC GRAPH_CERT "    include: [users, mailboxes]\n" OUT,
	 ":6:14: source.graph.include entries must be users, groups or "
	 "contacts"},
	{"graph: unknown cloud", GRAPH_SRC GRAPH_CERT "    cloud: mars\n" OUT,
	 ":6:12: source.graph.cloud must be"},
	{"graph: unknown key", GRAPH_SRC GRAPH_CERT "    verify: false\n" OUT,
	 ":6:5: unknown key \"verify\" in source.graph"},
	{"graph: tls takes ca_file only",
	 GRAPH_SRC GRAPH_CERT "    tls: {verify: false}\n" OUT,
	 ":6:11: unknown key \"verify\" in source.graph.tls"},
	{"graph: domains exchange needs ldap",
	 GRAPH_SRC GRAPH_CERT OUT "domains: exchange\n",
	 "domains: exchange needs source.ldap"},
	{"source needs one of them", "source: {}\n" OUT,
	 "source needs ldap, ldif or graph"},
};

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
