/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	confdump - what config_load() makes of each config, as text
 * SYNOPSIS
 *	confdump [CORPUS-DIR...]
 * DESCRIPTION
 *	The record of the config-equivalence check (scripts/config-equiv):
 *	for every row of tests/unit/config_rows.h and every file of the
 *	CORPUS-DIRs (in name order), writes the YAML to DIR/sync.yaml in a
 *	fresh directory, loads it, and prints config_load()'s return, the
 *	error's kind, exit code (exitcode_of()) and message (what rcptsync
 *	prints) and,
 *	when it loaded, every field of struct sync_conf.  A corpus file may
 *	say @DIR@ for that directory (the harvested configs of the
 *	integration suites do); the output says @DIR@ for it too, so that
 *	two runs print the same bytes.
 * DIAGNOSTICS
 *	Exit 0; 1 when a corpus cannot be read.
 * SEE ALSO
 *	scripts/config-equiv, doc/testing.md.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "exitcode.h"
#include "mapdb.h"
#include "maptype.h"

#include "../unit/config_rows.h"

/* Every field is printed below: a new field must be added there (and the
 * baseline regenerated), so its size is checked on LP64.  Not printed:
 * sync_conf.digest, the SHA-256 of the file's bytes, which hold the run's
 * own directory (a config means the same whatever its digest). */
#if defined(__LP64__)
_Static_assert(sizeof(struct sync_conf) == 312, "dump the new field");
_Static_assert(sizeof(struct ldapsync_conf) == 208, "dump the new field");
_Static_assert(sizeof(struct graph_conf) == 104, "dump the new field");
_Static_assert(sizeof(struct safety_limits) == 24, "dump the new field");
_Static_assert(sizeof(struct grace_rule) == 16, "dump the new field");
#endif

static char dir[] = "/tmp/confequiv.XXXXXX";

/* put - S with DIR as @DIR@ and every byte outside printable ASCII as \xNN */
static void
put(const char *s)
{
	size_t n = strlen(dir);

	if (s == NULL) {
		fputs("(null)", stdout);
		return;
	}
	putchar('"');
	while (*s != '\0') {
		unsigned char ch = (unsigned char)*s;

		if (strncmp(s, dir, n) == 0) {
			fputs("@DIR@", stdout);
			s += n;
			continue;
		}
		if (ch < 0x20 || ch >= 0x7f || ch == '\\')
			printf("\\x%02x", ch);
		else
			putchar(ch);
		s++;
	}
	putchar('"');
}

static void
str(const char *name, const char *s)
{
	printf("  %s ", name);
	put(s);
	putchar('\n');
}

static void
list(const char *name, char **l, size_t n)
{
	printf("  %s %zu [", name, n);
	for (size_t i = 0; l != NULL && l[i] != NULL; i++) {
		putchar(' ');
		put(l[i]);
	}
	puts(" ]");
}

static void
num(const char *name, long v)
{
	printf("  %s %ld\n", name, v);
}

/* dump_ldap - one directory of source.ldap */
static void
dump_ldap(const struct ldapsync_conf *l, size_t i)
{
	printf(" ldap[%zu]\n", i);
	list("uris", l->uris, l->n_uris);
	str("domain", l->domain);
	str("site", l->site);
	list("bases", l->bases, l->n_bases);
	str("filter", l->filter);
	num("page_size", l->page_size);
	num("timeout", l->timeout);
	num("starttls", l->starttls);
	str("ca_file", l->ca_file);
	num("verify", l->verify);
	str("cert_file", l->cert_file);
	str("key_file", l->key_file);
	num("bind_method", l->bind_method);
	str("bind_dn", l->bind_dn);
	str("password_file", l->password_file);
	str("keytab", l->keytab);
	str("principal", l->principal);
	num("range_size", l->range_size);
	num("global_catalog", l->global_catalog);
	num("incremental", l->incremental);
	num("full_every", l->full_every);
	num("deletions", l->deletions);
	printf("  deadline %g\n", l->deadline);
	num("deadline_seconds", l->deadline_seconds);
	str("prefer_dc", l->prefer_dc);
	printf("  unanswered %s\n", l->unanswered != NULL ? "(set)" : "(null)");
}

/* dump_graph - source.graph */
static void
dump_graph(const struct graph_conf *g)
{
	if (g == NULL) {
		puts(" graph (null)");
		return;
	}
	puts(" graph");
	str("tenant", g->tenant);
	str("client_id", g->client_id);
	str("certificate_file", g->certificate_file);
	str("key_file", g->key_file);
	str("client_secret_file", g->client_secret_file);
	str("login_url", g->login_url);
	str("graph_url", g->graph_url);
	str("ca_file", g->ca_file);
	num("cloud", g->cloud);
	num("include", g->include);
	num("timeout", g->timeout);
	num("incremental", g->incremental);
	num("full_every", g->full_every);
	printf("  deadline %g\n", g->deadline);
	num("deadline_seconds", g->deadline_seconds);
}

/* dump - every field of C */
static void
dump(const struct sync_conf *c)
{
	puts(" conf");
	num("source", c->source);
	num("n_ldap", (long)c->n_ldap);
	str("ldif", c->ldif);
	list("domains", c->domains, c->n_domains);
	num("domains_exchange", c->domains_exchange);
	list("exclude", c->exclude, c->n_exclude);
	str("extra", c->extra);
	str("table", c->table);
	str("relay_domains", c->relay_domains);
	num("type", c->type);
	str("value", c->value);
	num("safety.max_removed", c->safety.max_removed);
	printf("  safety.max_removed_pct %.17g\n", c->safety.max_removed_pct);
	num("safety.min_recipients", c->safety.min_recipients);
	num("grace.seconds", c->grace.seconds);
	num("grace.runs", c->grace.runs);
	list("must_exist", c->must_exist, c->n_must_exist);
	list("must_not_exist", c->must_not_exist, c->n_must_not_exist);
	list("after_change", c->after_change, c->n_after_change);
	num("hook_timeout", c->hook_timeout);
	str("lock", c->lock);
	num("deadline", c->deadline);
	str("state", c->state);
	str("verify_cache", c->verify_cache);
	num("verify_cache_type", c->verify_cache_type);
	str("verify_delimiters", c->verify_delimiters);
	num("log_syslog", c->log_syslog);
	str("metrics_textfile", c->metrics_textfile);
	for (size_t i = 0; i < c->n_ldap; i++)
		dump_ldap(&c->ldap[i], i);
	dump_graph(c->graph);
}

/* one - load TEXT (SIZE bytes) as DIR/sync.yaml and print what it gives */
static void
one(const char *name, const char *text, size_t size)
{
	char path[sizeof(dir) + 16];
	struct sync_conf c;
	struct sync_err err = {0};
	FILE *fp;
	int rc;

	snprintf(path, sizeof(path), "%s/sync.yaml", dir);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	/* @DIR@ is this directory */
	for (size_t i = 0; i < size; i++) {
		if (size - i >= 5 && memcmp(text + i, "@DIR@", 5) == 0) {
			fputs(dir, fp);
			i += 4;
		} else {
			fputc(text[i], fp);
		}
	}
	fclose(fp);
	rc = config_load(path, &c, &err);
	/* main.c: a failed load is printed, and exits by its kind */
	printf("== %s\n rc %d kind %d exit %d\n msg ", name, rc,
	       rc < 0 ? err.kind : 0, rc < 0 ? exitcode_of(err.kind) : 0);
	put(rc < 0 ? err.msg : "");
	putchar('\n');
	if (rc == 0)
		dump(&c);
	config_free(&c);
	unlink(path);
}

/*
 * Probes: every key with values of each kind a key may get wrong (a
 * mapping, a list, an empty string, a bound and one past it, each name
 * of a choice), so that each key's parsing, checks and messages are in
 * the record, not only those the rows happen to test.  KEY's YAML has
 * one %s, replaced by each value of VALUES ('|' between them).
 */
#define PL "source:\n  ldif: /x.ldif\n"
#define PO "output:\n  table: /tmp/t\n"
#define PD "source:\n  ldap:\n    uri: ldaps://dc\n    base: dc=x\n"
#define PB "    bind: {method: none}\n"
#define PG                                                                \
	"source:\n  graph:\n    tenant: t.example\n    client_id: 0c1f\n" \
	"    certificate_file: /c.pem\n"
#define V_ANY "{a: b}|[a, b]|\"\"|x y"
#define V_STR V_ANY "|a@b.example|-1|'a\\tb'"
#define V_PATH V_ANY "|rel/f|/abs/f|./f|../f|credential:c"
#define V_SECRET V_PATH "|credential:../c|credential:|credential:.."
#define V_BOOL V_ANY "|true|off|Yes|FALSE|maybe|1"
#define V_INT \
	V_ANY "|-1|0|1|60|3600|3601|100000|100001|x|5x|99999999999999999999"
#define V_DUR V_ANY "|30m|0|0s|45|24h|2d|1w|-1|x|m|3153600000|3153600001"
#define V_LIST V_ANY "|[]|a|[a, b]|[a, {b: c}]|[\"\"]|A.Example"

static const struct probe {
	const char *key;
	const char *yaml;
	const char *values;
} probes[] = {
	{"source", "source: %s\n" PO, V_ANY "|{}|{ldif: a, ldap: b}"},
	{"source.ldif", "source:\n  ldif: %s\n" PO, V_PATH},
	{"domains", PL PO "domains: %s\n",
	 V_LIST "|exchange|[exchange]|.a.example|[a.example, .B.example]|"
		"[a..b]|[-a.example]|[a_b.example]|[\"a b\"]"},
	{"exclude", PL PO "exclude: %s\n", V_LIST "|\"*@A.Example\""},
	{"extra", PL PO "extra: %s\n", V_PATH},
	{"lock", PL PO "lock: %s\n", V_PATH},
	{"state", PL PO "state: %s\n", V_PATH},
	{"deadline", PL PO "deadline: %s\n", V_DUR},
	{"output", PL "output: %s\n", V_ANY "|{}|{table: t}|{type: text}"},
	{"output.table", PL "output:\n  table: %s\n", V_PATH},
	{"output.type", PL PO "  type: %s\n",
	 V_ANY "|hash|btree|lmdb|cdb|text|HASH|proxy:hash|dbm|sdbm"},
	{"output.value", PL PO "  value: %s\n",
	 V_STR "|OK|relay:[mx.example]|a;b|a#b|\"\"|x=y/z"},
	{"output.relay_domains",
	 PL PO "domains: [a.example]\n"
	       "  relay_domains: %s\n",
	 V_PATH},
	{"safety.max_removed", PL PO "safety:\n  max_removed: %s\n",
	 V_INT "|10%|0%|100%|100.5%|5.5%|%|1e2%|.5%|5.%|10 %|-5%"},
	{"safety.min_recipients", PL PO "safety:\n  min_recipients: %s\n",
	 V_INT "|1000000000|1000000001"},
	{"safety.removal_grace", PL PO "safety:\n  removal_grace: %s\n",
	 V_DUR "|3 runs|1 run|0 runs|999999 runs|1000000 runs|3runs|3 runs x"},
	{"safety.must_exist", PL PO "safety:\n  must_exist: %s\n",
	 V_LIST "|a@b.example|[A@B.Example, c@d.example]|[a@b@c]|@b.example"},
	{"safety.must_not_exist", PL PO "safety:\n  must_not_exist: %s\n",
	 V_LIST "|a@b.example|[x@y.example]"},
	{"hooks.after_change", PL PO "hooks:\n  after_change: %s\n",
	 V_LIST "|/bin/true|[/usr/sbin/postfix, reload]|[postfix]|[\"\"]"},
	{"hooks.timeout", PL PO "hooks:\n  timeout: %s\n", V_INT},
	{"verify_cache.path", PL PO "verify_cache:\n  path: %s\n", V_PATH},
	{"verify_cache.type", PL PO "verify_cache:\n  path: vc\n  type: %s\n",
	 V_ANY "|hash|btree|lmdb|cdb|text|proxy:btree"},
	{"verify_cache.recipient_delimiter",
	 PL PO "verify_cache:\n  path: vc\n  recipient_delimiter: %s\n",
	 V_ANY "|+|+-|\"\"|@|+@|\"~&#=_\""},
	{"verify_cache", PL PO "verify_cache: %s\n", V_ANY "|{}|{path: vc}"},
	{"log.syslog", PL PO "log:\n  syslog: %s\n", V_BOOL},
	{"log", PL PO "log: %s\n", V_ANY "|{}"},
	{"metrics.textfile", PL PO "metrics:\n  textfile: %s\n",
	 V_PATH "|r.prom|.prom|/m/.prom|d/r.prom|r.prom.x|credential:c.prom"},
	{"metrics", PL PO "metrics: %s\n", V_ANY "|{}"},
	{"hooks", PL PO "hooks: %s\n", V_ANY "|{}"},
	{"safety", PL PO "safety: %s\n", V_ANY "|{}"},
	{"source.ldap", "source:\n  ldap: %s\n" PO,
	 V_ANY "|[]|{}|[{uri: ldaps://a, base: dc=a, bind: {method: none}}]"},
	{"uri", "source:\n  ldap:\n    uri: %s\n    base: dc=x\n" PB PO,
	 V_LIST "|ldaps://dc|[ldap://a, ldaps://b]|ldapi://x|http://x|"
		"ldap://gc:3268|LDAPS://DC|ldaps://gc:3269"},
	{"domain", "source:\n  ldap:\n    domain: %s\n    base: dc=x\n" PB PO,
	 V_STR "|corp.example|Corp.Example|corp_example|corp.example.|a|"
	       "-a.example"},
	{"site",
	 "source:\n  ldap:\n    domain: corp.example\n    site: %s\n"
	 "    base: dc=x\n" PB PO,
	 V_STR "|Branch-1|a.b|a_b"},
	{"base", PD PB PO "    base: %s\n",
	 V_LIST "|''|dc=y|[OU=A,DC=x]|['OU=A,DC=x', 'dc=y']|[\"\"]"},
	{"filter", PD PB PO "    filter: %s\n",
	 V_STR "|(cn=*)|\"(memberOf=x)\"|(!(cn=a))"},
	{"page_size", PD PB PO "    page_size: %s\n", V_INT},
	{"timeout", PD PB PO "    timeout: %s\n", V_INT},
	{"starttls",
	 "source:\n  ldap:\n    uri: ldap://dc\n    base: dc=x\n"
	 "    bind: {method: simple, dn: a, password_file: /p}\n"
	 "    starttls: %s\n" PO,
	 V_BOOL},
	{"range_size", PD PB PO "    range_size: %s\n", V_INT},
	{"global_catalog", PD PB PO "    global_catalog: %s\n", V_BOOL},
	{"incremental", PD PB PO "    incremental: %s\n",
	 V_ANY "|none|usnchanged|dirsync|USNChanged|delta"},
	{"full_every", PD PB PO "    full_every: %s\n", V_DUR},
	{"deletions",
	 PD PB PO "    incremental: usnchanged\n    deletions: %s\n",
	 V_ANY "|listing|tombstones|none"},
	{"include", PD PB PO "    include: %s\n",
	 V_LIST "|users|[groups, contacts]|[public_folders, dynamic_lists]|"
		"[users, users]|mailboxes"},
	{"tls", PD PB PO "    tls: %s\n",
	 V_ANY "|{}|{cert_file: c}|{key_file: k}|{cert_file: c, key_file: k}"},
	{"tls.ca_file", PD PB PO "    tls: {ca_file: %s}\n", V_PATH},
	{"tls.verify", PD PB PO "    tls: {verify: %s}\n", V_BOOL},
	{"tls.cert_file", PD PB PO "    tls: {key_file: k, cert_file: %s}\n",
	 V_PATH},
	{"tls.key_file", PD PB PO "    tls: {cert_file: c, key_file: %s}\n",
	 V_SECRET},
	{"bind", PD PO "    bind: %s\n",
	 V_ANY "|{}|{method: none}|{method: simple}|{method: simple, dn: a}|"
	       "{method: gssapi, keytab: k}|{method: gssapi, principal: p}|"
	       "{method: external}|{dn: a, password_file: p}"},
	{"bind.method", PD PO "    bind: {method: %s}\n",
	 V_ANY "|none|simple|gssapi|external|kerberos|NONE"},
	{"bind.dn", PD PO "    bind: {password_file: /p, dn: %s}\n", V_STR},
	{"bind.password_file", PD PO "    bind: {dn: a, password_file: %s}\n",
	 V_SECRET},
	{"bind.keytab",
	 PD PO "    bind: {method: gssapi, principal: p, keytab: %s}\n",
	 V_SECRET},
	{"bind.principal",
	 PD PO "    bind: {method: gssapi, keytab: k, principal: %s}\n", V_STR},
	{"external",
	 PD PO "    bind: {method: external}\n"
	       "    tls: {cert_file: c, key_file: %s}\n",
	 "k|credential:k"},
	{"source.graph", "source:\n  graph: %s\n" PO, V_ANY "|{}"},
	{"graph.tenant",
	 "source:\n  graph:\n    client_id: 0c1f\n"
	 "    certificate_file: /c.pem\n    tenant: %s\n" PO,
	 V_STR "|contoso.onmicrosoft.com|a/b|0c1f2e3d-4b5a-6978-8a9b-0c1d"},
	{"graph.client_id",
	 "source:\n  graph:\n    tenant: t.example\n"
	 "    certificate_file: /c.pem\n"
	 "    client_id: %s\n" PO,
	 V_STR "|0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b|0C1F|g|0c1f 2"},
	{"graph.certificate_file",
	 "source:\n  graph:\n    tenant: t.example\n"
	 "    client_id: 0c1f\n"
	 "    certificate_file: %s\n" PO,
	 V_SECRET},
	{"graph.key_file", PG "    key_file: %s\n" PO, V_SECRET},
	{"graph.client_secret_file",
	 "source:\n  graph:\n    tenant: t.example\n    client_id: 0c1f\n"
	 "    client_secret_file: %s\n" PO,
	 V_SECRET},
	{"graph.cloud", PG "    cloud: %s\n" PO,
	 V_ANY "|global|usgov|usgov-dod|china|mars|Global"},
	{"graph.login_url", PG "    login_url: %s\n" PO,
	 V_STR "|https://l.example|https://l.example/p//|http://l|https://|"
	       "https:///x|https://u@l|https://l/?q|https://l/#f"},
	{"graph.graph_url", PG "    graph_url: %s\n" PO,
	 V_STR "|https://g.example|https://g.example/v1.0/|ftp://g"},
	{"graph.include", PG "    include: %s\n" PO,
	 V_LIST "|users|[groups, contacts]|[users, users]|mailboxes"},
	{"graph.incremental", PG "    incremental: %s\n" PO,
	 V_ANY "|none|delta|full"},
	{"graph.full_every", PG "    full_every: %s\n" PO, V_DUR},
	{"graph.timeout", PG "    timeout: %s\n" PO, V_INT},
	{"graph.tls", PG "    tls: %s\n" PO, V_ANY "|{}|{verify: false}"},
	{"graph.tls.ca_file", PG "    tls: {ca_file: %s}\n" PO, V_PATH},
};

/* probe - every value of P in its key's place */
static void
probe(const struct probe *p)
{
	char *values = strdup(p->values), *v, *next, name[256], yaml[2048];
	const char *fmt = p->yaml;

	if (values == NULL || fmt == NULL) /* gcc -fsanitize asks */
		abort();
	for (v = values; v != NULL; v = next) {
		if ((next = strchr(v, '|')) != NULL)
			*next++ = '\0';
		snprintf(name, sizeof(name), "probe %s: %s", p->key, v);
		snprintf(yaml, sizeof(yaml), fmt, v);
		one(name, yaml, strlen(yaml));
	}
	free(values);
}

/* corpus - every file of CORPUS, in name order */
static int
corpus(const char *corpus)
{
	struct dirent **names;
	int n = scandir(corpus, &names, NULL, alphasort);

	if (n < 0) {
		perror(corpus);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096], name[4200], *text = NULL;
		size_t size = 0;
		FILE *fp, *mem;
		int ch;

		snprintf(path, sizeof(path), "%s/%s", corpus, names[i]->d_name);
		if (names[i]->d_name[0] == '.' ||
		    (fp = fopen(path, "r")) == NULL) {
			free(names[i]);
			continue;
		}
		mem = open_memstream(&text, &size);
		while ((ch = fgetc(fp)) != EOF)
			fputc(ch, mem);
		fclose(mem);
		fclose(fp);
		/* the corpus's last name: the dump is the same wherever it is
		 */
		snprintf(name, sizeof(name), "%s/%s",
			 strrchr(corpus, '/') ? strrchr(corpus, '/') + 1
					      : corpus,
			 names[i]->d_name);
		one(name, text, size);
		free(text);
		free(names[i]);
	}
	free(names);
	return 0;
}

int
main(int argc, char **argv)
{
	int status = 0;

	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return 1;
	}
	/* what the build has changes some answers ("not built into") */
	fputs("features:", stdout);
	for (int t = 0; t < maptype_count(); t++)
		if (maptype_get(t)->built)
			printf(" %s", maptype_get(t)->name);
#ifdef RCPTSYNC_HAVE_GRAPH
	fputs(" graph", stdout);
#endif
	putchar('\n');
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		one(rows[i].name, rows[i].yaml, strlen(rows[i].yaml));
	for (size_t i = 0; i < sizeof(graph_rows) / sizeof(graph_rows[0]); i++)
		one(graph_rows[i].name, graph_rows[i].yaml,
		    strlen(graph_rows[i].yaml));
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		probe(&probes[i]);
	for (int i = 1; i < argc; i++)
		if (corpus(argv[i]) < 0)
			status = 1;
	rmdir(dir);
	return status;
}
