/* SPDX-License-Identifier: MIT */
/* Unit tests: DC discovery's pure parts: RFC 2782 ordering with a
 * scripted random choice, the SRV names looked up, host name checks and
 * the URIs built from records. */
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_order_bounds),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hostnames),
		cmocka_unit_test(test_uri),
	};

	return cmocka_run_group_tests_name("dcfind", tests, NULL, NULL);
}
