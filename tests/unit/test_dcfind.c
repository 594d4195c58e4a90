/* SPDX-License-Identifier: MIT */
/* Unit tests: DC discovery's pure parts: RFC 2782 ordering with a
 * scripted random choice, the SRV names looked up, host name checks, the
 * URIs built from records, and reading answers (dcfind_parse) built here
 * byte by byte, hostile ones included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dcfind.h"

/* A scripted pick: the numbers in turn; also records each bound. */
struct script {
	const unsigned long *draws;
	size_t n, next;
	unsigned long bounds[16];
};

static unsigned long
scripted(void *ctx, unsigned long bound)
{
	struct script *s = ctx;
	unsigned long v = s->next < s->n ? s->draws[s->next] : 0;

	if (s->next < 16)
		s->bounds[s->next] = bound;
	s->next++;
	return v > bound ? bound : v;
}

static void
set(struct source_srv *r, const char *target, unsigned prio, unsigned weight)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->target, sizeof(r->target), "%s", target);
	r->priority = prio;
	r->weight = weight;
	r->port = 389;
}

struct order_row {
	const char *name;
	struct {
		const char *target;
		unsigned prio, weight;
	} in[6];
	size_t n;
	unsigned long draws[6];
	size_t n_draws;
	const char *want[6];
};

static const struct order_row order_rows[] = {
	{"priority first, whatever the DNS order",
	 {{"c", 20, 0}, {"a", 0, 0}, {"b", 10, 0}},
	 3,
	 {0},
	 0,
	 {"a", "b", "c"}},
	/* weights 10 and 90, sum 100: 0..10 takes the first, 11..100 the
	 * second (RFC 2782: the first whose running sum >= the number) */
	{"a weighted draw of 10 takes the first",
	 {{"a", 0, 10}, {"b", 0, 90}},
	 2,
	 {10},
	 1,
	 {"a", "b"}},
	{"a weighted draw of 11 takes the second",
	 {{"a", 0, 10}, {"b", 0, 90}},
	 2,
	 {11},
	 1,
	 {"b", "a"}},
	/* zero weights go first, so only a draw of 0 picks them */
	{"weight 0 is chosen only by a draw of 0",
	 {{"heavy", 0, 100}, {"zero", 0, 0}},
	 2,
	 {1},
	 1,
	 {"heavy", "zero"}},
	{"weight 0 chosen by a draw of 0",
	 {{"heavy", 0, 100}, {"zero", 0, 0}},
	 2,
	 {0},
	 1,
	 {"zero", "heavy"}},
	/* each priority is ordered on its own: the better one first even
	 * when the draw favours a heavier record of a worse priority */
	{"groups ordered separately",
	 {{"p10-a", 10, 50},
	  {"p0-a", 0, 1},
	  {"p10-b", 10, 50},
	  {"p0-b", 0, 1000}},
	 4,
	 {2, 60},
	 2,
	 {"p0-b", "p0-a", "p10-b", "p10-a"}},
	{"a dead DC with a better priority comes first",
	 {{"dc1", 10, 100}, {"deaddc", 0, 100}},
	 2,
	 {0},
	 0,
	 {"deaddc", "dc1"}},
};

static void
test_order(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(order_rows) / sizeof(order_rows[0]);
	     i++) {
		const struct order_row *row = &order_rows[i];
		struct source_srv srv[6];
		struct script sc = {row->draws, row->n_draws, 0, {0}};

		for (size_t j = 0; j < row->n; j++)
			set(&srv[j], row->in[j].target, row->in[j].prio,
			    row->in[j].weight);
		dcfind_order(srv, row->n, scripted, &sc);
		for (size_t j = 0; j < row->n; j++)
			if (strcmp(srv[j].target, row->want[j]) != 0)
				fail_msg("%s: position %zu is %s, want %s",
					 row->name, j, srv[j].target,
					 row->want[j]);
	}
}

/* the draw's bound is the sum of the weights not yet placed */
static void
test_order_bounds(void **state)
{
	struct source_srv srv[3];
	unsigned long draws[] = {0, 0};
	struct script sc = {draws, 2, 0, {0}};

	(void)state;
	set(&srv[0], "a", 0, 10);
	set(&srv[1], "b", 0, 20);
	set(&srv[2], "c", 0, 30);
	dcfind_order(srv, 3, scripted, &sc);
	assert_int_equal(sc.next, 2); /* the last one needs no draw */
	assert_int_equal(sc.bounds[0], 60);
	assert_int_equal(sc.bounds[1], 50); /* "a" placed: 20 + 30 */
	assert_string_equal(srv[0].target, "a");
	assert_string_equal(srv[1].target, "b");
	assert_string_equal(srv[2].target, "c");
}

static void
test_names(void **state)
{
	char names[SOURCE_LOOKUPS_MAX][SOURCE_DNS_NAME_MAX];
	struct dcfind_query q = {"corp.example", NULL, 0, 0, 5, 0};
	char longname[300];

	(void)state;
	assert_int_equal(dcfind_names(&q, names), 1);
	assert_string_equal(names[0], "_ldap._tcp.dc._msdcs.corp.example");
	q.site = "Branch-1";
	assert_int_equal(dcfind_names(&q, names), 2);
	assert_string_equal(
		names[0], "_ldap._tcp.Branch-1._sites.dc._msdcs.corp.example");
	assert_string_equal(names[1], "_ldap._tcp.dc._msdcs.corp.example");
	q.gc = 1;
	assert_int_equal(dcfind_names(&q, names), 2);
	assert_string_equal(names[0], "_gc._tcp.Branch-1._sites.corp.example");
	assert_string_equal(names[1], "_gc._tcp.corp.example");
	memset(longname, 'a', 250);
	memcpy(longname + 250, ".com", 5);
	q.domain = longname;
	assert_int_equal(dcfind_names(&q, names), 0);
}

static void
test_hostnames(void **state)
{
	static const struct {
		const char *name;
		int ok;
	} rows[] = {
		{"dc1.corp.example", 1},
		{"DC1.Corp.Example", 1},
		{"dc1", 1},
		{"", 0},
		{"dc1.corp.example.", 0},
		{".corp", 0},
		{"dc1..corp", 0},
		{"-dc1.corp", 0},
		{"dc1-.corp", 0},
		{"dc_1.corp", 0},
		{"dc1.corp/x", 0},
		{"dc1.corp:636", 0},
		{"dc1 corp", 0},
		{"dc1.corp\n", 0},
		{"dc1.c\xc3\xb6rp", 0},
		{"[::1]", 0},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaa."
		 "corp",
		 0}, /* a 64-byte label */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (dcfind_hostname_ok(rows[i].name) != rows[i].ok)
			fail_msg("\"%s\": %d, want %d", rows[i].name,
				 !rows[i].ok, rows[i].ok);
}

static void
test_uri(void **state)
{
	struct dcfind_query q = {"corp.example", NULL, 0, 0, 5, 0};
	struct source_srv r;
	char buf[300], tiny[10];

	(void)state;
	set(&r, "dc1.corp.example", 0, 100);
	assert_int_equal(dcfind_uri(&q, &r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ldaps://dc1.corp.example:636");
	q.starttls = 1; /* the port DNS gave */
	assert_int_equal(dcfind_uri(&q, &r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ldap://dc1.corp.example:389");
	q.gc = 1;
	r.port = 3268;
	assert_int_equal(dcfind_uri(&q, &r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ldap://dc1.corp.example:3268");
	q.starttls = 0;
	assert_int_equal(dcfind_uri(&q, &r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ldaps://dc1.corp.example:3269");
	assert_int_equal(dcfind_uri(&q, &r, tiny, sizeof(tiny)), -1);
}

/* A DNS message under construction. */
struct msg {
	unsigned char b[65536];
	size_t len;
};

#define QNAME "_ldap._tcp.dc._msdcs.corp.example"
#define QOFF 12 /* where the question's name starts: for pointers */

static void
put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->len + n <= sizeof(m->b));
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void
put16(struct msg *m, unsigned v)
{
	unsigned char b[2] = {(unsigned char)(v >> 8), (unsigned char)v};

	put(m, b, 2);
}

/* put_name - a name in presentation form, without escapes */
static void
put_name(struct msg *m, const char *name)
{
	while (*name != '\0') {
		size_t n = strcspn(name, ".");
		unsigned char len = (unsigned char)n;

		put(m, &len, 1);
		put(m, name, n);
		name += n + (name[n] == '.');
	}
	put(m, "", 1);
}

/* header - the header for ANCOUNT answers and the question for QNAME */
static void
header(struct msg *m, unsigned ancount)
{
	m->len = 0;
	put16(m, 0x1234);
	put16(m, 0x8180);
	put16(m, 1);
	put16(m, ancount);
	put16(m, 0);
	put16(m, 0);
	put_name(m, QNAME);
	put16(m, 33);
	put16(m, 1);
}

/* srv - an SRV record owned by OWNER (NULL: a pointer to the question),
 * its target TLEN raw bytes of wire-format name */
static void
srv_raw(struct msg *m, const char *owner, unsigned port, const void *target,
	size_t tlen)
{
	if (owner == NULL)
		put16(m, 0xc000 | QOFF);
	else
		put_name(m, owner);
	put16(m, 33);
	put16(m, 1);
	put16(m, 0);
	put16(m, 60);
	put16(m, (unsigned)(6 + tlen));
	put16(m, 0);
	put16(m, 100);
	put16(m, port);
	put(m, target, tlen);
}

/* srv - the same with a target in presentation form */
static void
srv(struct msg *m, const char *owner, unsigned port, const char *target)
{
	struct msg t = {.len = 0};

	put_name(&t, target);
	srv_raw(m, owner, port, t.b, t.len);
}

static void
build_two(struct msg *m)
{
	header(m, 2);
	srv(m, NULL, 389, "DC1.corp.example");
	srv(m, NULL, 3268, "dc2.corp.example");
}

static void
build_loop(struct msg *m)
{
	unsigned char self[2];
	size_t at;

	header(m, 1);
	/* the target is a pointer to itself: 2 + 10 + 6 bytes on */
	at = m->len + 2 + 10 + 6;
	self[0] = (unsigned char)(0xc0 | (at >> 8));
	self[1] = (unsigned char)at;
	srv_raw(m, NULL, 389, self, 2);
}

static void
build_count(struct msg *m)
{
	header(m, 65535);
	srv(m, NULL, 389, "dc1.corp.example");
}

static void
build_odd(struct msg *m)
{
	/* a\000b, a\010 and a%b, each in corp.example */
	static const unsigned char nul[] = {3,	 'a', 0,   'b', 4,   'c',
					    'o', 'r', 'p', 7,	'e', 'x',
					    'a', 'm', 'p', 'l', 'e', 0};
	static const unsigned char nl[] = {2,	'a', '\n', 4,	'c', 'o',
					   'r', 'p', 7,	   'e', 'x', 'a',
					   'm', 'p', 'l',  'e', 0};
	static const unsigned char pct[] = {3,	 'a', '%', 'b', 4,   'c',
					    'o', 'r', 'p', 7,	'e', 'x',
					    'a', 'm', 'p', 'l', 'e', 0};

	header(m, 4);
	srv_raw(m, NULL, 389, nul, sizeof(nul));
	srv_raw(m, NULL, 389, nl, sizeof(nl));
	srv_raw(m, NULL, 389, pct, sizeof(pct));
	srv(m, NULL, 389, "dc1.corp.example");
}

static void
build_port0(struct msg *m)
{
	header(m, 2);
	srv(m, NULL, 0, "dc0.corp.example");
	srv(m, NULL, 389, "dc1.corp.example");
}

static void
build_owner(struct msg *m)
{
	header(m, 3);
	srv(m, "_ldap._tcp.dc._msdcs.evil.example", 389, "evil.example");
	srv(m, "_LDAP._tcp.DC._msdcs.corp.example", 389, "dc1.corp.example");
	srv(m, "_ldap._tcp.dc._msdcs", 389, "dc2.corp.example");
}

static void
build_cname(struct msg *m)
{
	struct msg t = {.len = 0};

	header(m, 2);
	put_name(&t, "alias.corp.example");
	put16(m, 0xc000 | QOFF);
	put16(m, 5);
	put16(m, 1);
	put16(m, 0);
	put16(m, 60);
	put16(m, (unsigned)t.len);
	put(m, t.b, t.len);
	srv(m, "Alias.corp.example.", 389, "dc1.corp.example");
}

static void
build_many(struct msg *m)
{
	char name[64];

	header(m, 1000);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "x%d.corp.example", i);
		srv(m, NULL, 389, name);
	}
}

static void
build_cut(struct msg *m)
{
	header(m, 20);
	for (int i = 0; i < 20; i++)
		srv(m, NULL, 389, "dc_with_a_rather_long_name.corp.example");
}

static void
test_parse(void **state)
{
	static const struct {
		const char *name;
		void (*build)(struct msg *);
		int want; /* records, or -1 */
		int bad;
		const char *first;    /* the first record's target */
		const char *notes[3]; /* each in the notes once */
		const char *lacks;    /* not in the notes, or NULL */
	} rows[] = {
		{"two records",
		 build_two,
		 2,
		 0,
		 "dc1.corp.example",
		 {NULL},
		 NULL},
		{"a compression pointer loop",
		 build_loop,
		 0,
		 1,
		 NULL,
		 {NULL},
		 NULL},
		{"more answers counted than present",
		 build_count,
		 -1,
		 0,
		 NULL,
		 {NULL},
		 NULL},
		{"NUL, newline and % in a label",
		 build_odd,
		 1,
		 0,
		 "dc1.corp.example",
		 {QNAME ": target a\\000b.corp.example is not a host name",
		  "target a\\010.corp.example is not",
		  "target a%b.corp.example is not"},
		 "\\\\"},
		{"port 0",
		 build_port0,
		 1,
		 0,
		 "dc1.corp.example",
		 {QNAME ": target dc0.corp.example port 0"},
		 NULL},
		{"an SRV record of another name",
		 build_owner,
		 1,
		 0,
		 "dc1.corp.example",
		 {NULL},
		 "evil"},
		{"a CNAME on the way",
		 build_cname,
		 1,
		 0,
		 "dc1.corp.example",
		 {NULL},
		 NULL},
		{"1000 records",
		 build_many,
		 512,
		 0,
		 "x0.corp.example",
		 {NULL},
		 NULL},
		{"a list of notes cut", build_cut, 0, 0, NULL, {"; ..."}, NULL},
	};
	static struct msg m;
	static struct source_srv recs[1000];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char notes[256] = "";
		struct dcfind_records into = {.recs = recs,
					      .max = 1000,
					      .bad = -7,
					      .notes = notes,
					      .size = sizeof(notes)};
		int bad, n;

		rows[i].build(&m);
		n = dcfind_parse(m.b, m.len, QNAME, &into);
		bad = into.bad;
		if (n != rows[i].want || (n >= 0 && bad != rows[i].bad))
			fail_msg("%s: %d records (%d malformed), want %d (%d); "
				 "notes: %s",
				 rows[i].name, n, bad, rows[i].want,
				 rows[i].bad, notes);
		if (rows[i].first != NULL &&
		    strcmp(recs[0].target, rows[i].first) != 0)
			fail_msg("%s: first %s, want %s", rows[i].name,
				 recs[0].target, rows[i].first);
		for (int j = 0; j < n; j++)
			if (recs[j].port == 0 ||
			    strcmp(recs[j].name, QNAME) != 0)
				fail_msg("%s: record %d: port %u, name %s",
					 rows[i].name, j, recs[j].port,
					 recs[j].name);
		for (size_t k = 0; k < 3 && rows[i].notes[k] != NULL; k++) {
			const char *want = rows[i].notes[k];
			const char *at = strstr(notes, want);

			if (at == NULL || strstr(at + 1, want) != NULL)
				fail_msg("%s: notes \"%s\": want \"%s\" once",
					 rows[i].name, notes, want);
		}
		if (rows[i].lacks != NULL && strstr(notes, rows[i].lacks))
			fail_msg("%s: notes \"%s\" hold \"%s\"", rows[i].name,
				 notes, rows[i].lacks);
	}
}

/* A cut list of notes ends with "..." after whole notes, and takes
 * nothing after it. */
static void
test_parse_cut(void **state)
{
	static struct msg m;
	struct source_srv recs[4];
	char notes[256] = "";
	const char *one = QNAME ": target dc_with_a_rather_long_name.corp."
				"example is not a host name";
	size_t len, per = strlen(one) + 2;
	struct dcfind_records into = {
		.recs = recs, .max = 4, .notes = notes, .size = sizeof(notes)};

	(void)state;
	build_cut(&m);
	assert_int_equal(dcfind_parse(m.b, m.len, QNAME, &into), 0);
	len = strlen(notes);
	assert_true(len < sizeof(notes));
	assert_string_equal(notes + len - 5, "; ...");
	/* whole notes only: the length is k notes plus "; ..." */
	assert_int_equal((len - 5 + 2) % per, 0);
	/* and nothing is added to a cut list */
	assert_int_equal(dcfind_parse(m.b, m.len, QNAME, &into), 0);
	assert_int_equal(strlen(notes), len);
}

/* The site's DCs first, each DC once: by target over LDAPS, by target and
 * port with StartTLS (the port is in the URI). */
static void
test_merge(void **state)
{
	struct dcfind_query q = {"corp.example", "Site", 0, 0, 5, 0};
	static struct source_discovery out;
	struct source_srv site[2], dom[3];
	char uri[300];

	(void)state;
	set(&site[0], "dc1.corp.example", 0, 100);
	set(&site[1], "dc2.corp.example", 0, 100);
	set(&dom[0], "dc2.corp.example", 0, 100);
	set(&dom[1], "dc1.corp.example", 0, 100);
	dom[1].port = 3268;
	set(&dom[2], "dc3.corp.example", 0, 100);
	memset(&out, 0, sizeof(out));
	dcfind_merge(&q, &out, site, 2);
	dcfind_merge(&q, &out, dom, 3);
	assert_int_equal(out.n_srv, 3);
	assert_string_equal(out.srv[0].target, "dc1.corp.example");
	assert_string_equal(out.srv[1].target, "dc2.corp.example");
	assert_string_equal(out.srv[2].target, "dc3.corp.example");
	/* with StartTLS dc1:3268 is another URI than dc1:389 */
	q.starttls = 1;
	memset(&out, 0, sizeof(out));
	dcfind_merge(&q, &out, site, 2);
	dcfind_merge(&q, &out, dom, 3);
	assert_int_equal(out.n_srv, 4);
	assert_int_equal(dcfind_uri(&q, &out.srv[2], uri, sizeof(uri)), 0);
	assert_string_equal(uri, "ldap://dc1.corp.example:3268");
}

/*
 * issue 24 item 9: with an incremental cache, the DC it was taken from
 * goes first when it is among the best-priority records of the first
 * lookup (the site's, when there is one); else the RFC 2782 order stays
 */
struct prefer_row {
	const char *name;
	struct {
		const char *target, *lookup;
		unsigned prio;
	} in[4];
	size_t n;
	const char *prefer;
	int kept;
	const char *want[4];
	const char *why; /* a substring of the reason */
};

static const struct prefer_row prefer_rows[] = {
	{"the cache's DC is second of equal priority: it goes first",
	 {{"dc2.corp.example", "d", 0},
	  {"dc1.corp.example", "d", 0},
	  {"dc3.corp.example", "d", 10}},
	 3,
	 "dc1.corp.example",
	 1,
	 {"dc1.corp.example", "dc2.corp.example", "dc3.corp.example"},
	 "kept dc1.corp.example: the DC the incremental cache was taken from"},
	{"already first: kept, nothing moves",
	 {{"dc1.corp.example", "d", 0}, {"dc2.corp.example", "d", 0}},
	 2,
	 "dc1.corp.example",
	 1,
	 {"dc1.corp.example", "dc2.corp.example"},
	 "among the 2 records of the best priority (0)"},
	{"dnsHostName in another case, with a trailing dot",
	 {{"dc2.corp.example", "d", 5},
	  {"dc3.corp.example", "d", 5},
	  {"dc1.corp.example", "d", 5}},
	 3,
	 "DC1.Corp.Example.",
	 1,
	 {"dc1.corp.example", "dc2.corp.example", "dc3.corp.example"},
	 "kept"},
	{"the cache's DC has a worse priority: RFC 2782 order",
	 {{"dc2.corp.example", "d", 0}, {"dc1.corp.example", "d", 10}},
	 2,
	 "dc1.corp.example",
	 0,
	 {"dc2.corp.example", "dc1.corp.example"},
	 "is not among the best-priority records"},
	{"the cache's DC is only in the domain's lookup, not the site's",
	 {{"dc2.corp.example", "s", 0}, {"dc1.corp.example", "d", 0}},
	 2,
	 "dc1.corp.example",
	 0,
	 {"dc2.corp.example", "dc1.corp.example"},
	 "is not among the best-priority records"},
	{"the cache's DC is gone from DNS",
	 {{"dc2.corp.example", "d", 0}, {"dc3.corp.example", "d", 0}},
	 2,
	 "dc1.corp.example",
	 0,
	 {"dc2.corp.example", "dc3.corp.example"},
	 "is not in DNS"},
	{"no cache",
	 {{"dc2.corp.example", "d", 0}, {"dc1.corp.example", "d", 0}},
	 2,
	 NULL,
	 0,
	 {"dc2.corp.example", "dc1.corp.example"},
	 "RFC 2782 order"},
	{"a hostile dnsHostName is shown escaped, never matched",
	 {{"dc2.corp.example", "d", 0}, {"dc1.corp.example", "d", 0}},
	 2,
	 "dc1.corp.example\n",
	 0,
	 {"dc2.corp.example", "dc1.corp.example"},
	 "dc1.corp.example\\n"},
};

static void
test_prefer(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(prefer_rows) / sizeof(prefer_rows[0]);
	     i++) {
		const struct prefer_row *r = &prefer_rows[i];
		struct source_srv srv[4];
		char why[400] = "";
		int kept;

		for (size_t k = 0; k < r->n; k++) {
			set(&srv[k], r->in[k].target, r->in[k].prio, 100);
			snprintf(srv[k].name, sizeof(srv[k].name), "%s",
				 r->in[k].lookup);
		}
		kept = dcfind_prefer(srv, r->n, r->prefer, why, sizeof(why));
		if (kept != r->kept)
			fail_msg("row \"%s\": kept %d, want %d (%s)", r->name,
				 kept, r->kept, why);
		for (size_t k = 0; k < r->n; k++)
			if (strcmp(srv[k].target, r->want[k]) != 0)
				fail_msg("row \"%s\": [%zu] is %s, want %s",
					 r->name, k, srv[k].target, r->want[k]);
		if (strstr(why, r->why) == NULL)
			fail_msg("row \"%s\": \"%s\" lacks \"%s\"", r->name,
				 why, r->why);
		if (strchr(why, '\n') != NULL)
			fail_msg("row \"%s\": a raw newline", r->name);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_order_bounds),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hostnames),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_cut),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_prefer),
	};

	return cmocka_run_group_tests_name("dcfind", tests, NULL, NULL);
}
