/* SPDX-License-Identifier: MIT */
/*
 * The rows of sync.yaml the config tests load: {name, yaml, want}.  Shared
 * by tests/unit/test_config.c (each loads, or fails with its error at its
 * place) and tests/confequiv/confdump.c (the config-equivalence check
 * records what each gives).  Included once per program.
 */
#ifndef RCPTSYNC_CONFIG_ROWS_H
#define RCPTSYNC_CONFIG_ROWS_H

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

#endif
