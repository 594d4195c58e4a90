/* SPDX-License-Identifier: MIT */
/* Unit tests: Exchange's accepted domains (common/addr/acceptdom.c):
 * what a value and its flags mean, how two forests' lists merge, which
 * domain decides an address; and what the two tables get (cmd/domains.c):
 * relay domains as "@domain" keys, relay_domains with ".x" for "*.x". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acceptdom.h"
#include "addrset.h"
#include "domains.h"

/* add - parse NAME/FLAGS as the object DN and append; fails on refusal */
static void
add(struct acceptdom_list *l, const char *name, const char *flags,
    const char *dn)
{
	struct acceptdom d;
	const char *why = NULL;

	if (acceptdom_parse(name, strlen(name), flags, dn, &d, &why) < 0)
		fail_msg("%s refused: %s", name, why);
	acceptdom_add(l, &d);
}

struct parse_row {
	const char *name;
	size_t len; /* 0: strlen */
	const char *flags;
	int ok, subdomains, type, is_default, outbound;
	const char *want_name;
};

static const struct parse_row parse_rows[] = {
	{"Corp.Example", 0, "4", 1, 0, ACCEPTDOM_AUTHORITATIVE, 1, 0,
	 "corp.example"},
	{"relay.example", 0, "2", 1, 0, ACCEPTDOM_INTERNAL_RELAY, 0, 0,
	 "relay.example"},
	{"ext.example", 0, "1", 1, 0, ACCEPTDOM_EXTERNAL_RELAY, 0, 0,
	 "ext.example"},
	{"out.example", 0, "258", 1, 0, ACCEPTDOM_INTERNAL_RELAY, 0, 1,
	 "out.example"},
	{"*.sub.example", 0, "0", 1, 1, ACCEPTDOM_AUTHORITATIVE, 0, 0,
	 "sub.example"},
	/* absent flags: 0, as Exchange reads them */
	{"noflags.example", 0, NULL, 1, 0, ACCEPTDOM_AUTHORITATIVE, 0, 0,
	 "noflags.example"},
	{"*", 0, "2", 0, 0, 0, 0, 0, NULL},		   /* an open relay */
	{"bad domain", 0, "0", 0, 0, 0, 0, 0, NULL},	   /* not LDH */
	{"x.example\0evil", 14, "0", 0, 0, 0, 0, 0, NULL}, /* NUL inside */
	{"*.", 0, "0", 0, 0, 0, 0, 0, NULL},
	{"", 0, "0", 0, 0, 0, 0, 0, NULL},
	{"three.example", 0, "3", 0, 0, 0, 0, 0, NULL}, /* no type 3 */
	{"nan.example", 0, "2x", 0, 0, 0, 0, 0, NULL},
	{"a.*.example", 0, "0", 0, 0, 0, 0, 0, NULL}, /* embedded wildcard */
	{"ws.example", 0, " 2", 0, 0, 0, 0, 0, NULL}, /* not AD's text */
	{"plus.example", 0, "+2", 0, 0, 0, 0, 0, NULL},
};

static void
test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]);
	     i++) {
		const struct parse_row *r = &parse_rows[i];
		struct acceptdom d;
		const char *why = NULL;
		size_t len = r->len ? r->len : strlen(r->name);
		int rc = acceptdom_parse(r->name, len, r->flags, "CN=x", &d,
					 &why);

		if ((rc == 0) != r->ok)
			fail_msg("row %zu (%s): rc %d", i, r->name, rc);
		if (rc < 0) {
			assert_non_null(why);
			/* only the lone "*" is read and refused (skipped);
			 * every other refusal cannot be read (fails the run) */
			assert_int_equal(rc, strcmp(r->name, "*") == 0
						     ? ACCEPTDOM_REFUSED
						     : -1);
			continue;
		}
		assert_string_equal(d.name, r->want_name);
		assert_int_equal(d.subdomains, r->subdomains);
		assert_int_equal(d.type, r->type);
		assert_int_equal(d.is_default, r->is_default);
		assert_int_equal(d.outbound_only, r->outbound);
		assert_string_equal(d.origin, "CN=x");
		acceptdom_clear(&d);
	}
}

/* The address's domain against the list: the most specific decides. */
static void
test_match(void **state)
{
	struct acceptdom_list l = {0};
	const struct acceptdom *d;

	(void)state;
	add(&l, "corp.example", "4", "CN=corp");
	add(&l, "*.corp.example", "2", "CN=corp-sub");
	add(&l, "lab.corp.example", "256", "CN=lab");
	add(&l, "*.deep.corp.example", "0", "CN=deep");
	assert_int_equal(acceptdom_finish(&l), 3);
	/* the exact name before "*." of the same name */
	d = acceptdom_match(&l, "corp.example");
	assert_string_equal(d->origin, "CN=corp");
	d = acceptdom_match(&l, "a.corp.example");
	assert_string_equal(d->origin, "CN=corp-sub");
	/* an outbound-only subdomain decides for itself: not inbound */
	d = acceptdom_match(&l, "lab.corp.example");
	assert_string_equal(d->origin, "CN=lab");
	assert_false(acceptdom_inbound(d));
	/* the longer "*." wins, and covers its own name */
	d = acceptdom_match(&l, "x.deep.corp.example");
	assert_string_equal(d->origin, "CN=deep");
	d = acceptdom_match(&l, "deep.corp.example");
	assert_string_equal(d->origin, "CN=deep");
	/* not a suffix at a label boundary */
	assert_null(acceptdom_match(&l, "xcorp.example"));
	assert_null(acceptdom_match(&l, "example"));
	acceptdom_list_free(&l);
}

/* An object sent again: its earlier copy's domains (of this directory
 * only) and skips go; another object's stay. */
static void
test_forget(void **state)
{
	struct acceptdom_list l = {0};

	(void)state;
	add(&l, "old.example", "0", "CN=Other");
	add(&l, "corp.example", "0", "CN=Corp");
	acceptdom_skip(&l, "CN=Star", "*", "is every domain");
	l.dir = 1; /* a second directory of the forest */
	add(&l, "old.example", "0", "CN=Other");
	assert_int_equal(acceptdom_forget(&l, "CN=Other"), 1);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].name, "old.example");
	assert_int_equal(l.v[0].dir, 0); /* the first directory's stays */
	assert_string_equal(l.v[1].name, "corp.example");
	assert_int_equal(acceptdom_forget(&l, "CN=Star"), 0);
	assert_int_equal(l.n_skip, 0);
	assert_int_equal(acceptdom_forget(&l, "CN=Nothing"), 0);
	assert_int_equal(l.n, 2);
	acceptdom_list_free(&l);
}

/* Two forests: each decides by its own most specific domain, and an
 * address is accepted when either accepts it. */
static void
test_forests(void **state)
{
	struct acceptdom_list l = {0};
	const struct acceptdom *d;

	(void)state;
	l.dir = 0;
	add(&l, "lab.corp.example", "256", "CN=a-lab");
	add(&l, "x.example", "0", "CN=a-x");
	l.dir = 1;
	add(&l, "*.corp.example", "0", "CN=b-corp");
	add(&l, "*.x.example", "2", "CN=b-x");
	acceptdom_finish(&l);
	/* A says outbound only, B (less specific) accepts: accepted */
	d = acceptdom_match(&l, "lab.corp.example");
	assert_string_equal(d->origin, "CN=b-corp");
	assert_true(acceptdom_inbound(d));
	/* A authoritative for x, B relays x and below: B's relay wins */
	d = acceptdom_match(&l, "x.example");
	assert_string_equal(d->origin, "CN=b-x");
	assert_true(acceptdom_is_relay(d));
	acceptdom_list_free(&l);
	/* one directory alone: A's outbound-only decides */
	add(&l, "lab.corp.example", "256", "CN=a-lab");
	add(&l, "*.corp.example", "0", "CN=a-corp");
	acceptdom_finish(&l);
	d = acceptdom_match(&l, "lab.corp.example");
	assert_string_equal(d->origin, "CN=a-lab");
	assert_false(acceptdom_inbound(d));
	acceptdom_list_free(&l);
}

/* Two forests name one domain: inbound and relay win (no real recipient
 * rejected). */
static void
test_merge(void **state)
{
	struct acceptdom_list l = {0};
	const struct acceptdom *d;

	(void)state;
	add(&l, "shared.example", "0", "CN=a");
	l.dir = 1;
	add(&l, "shared.example", "2", "CN=b");
	l.dir = 0;
	add(&l, "half.example", "256", "CN=c");
	l.dir = 1;
	add(&l, "half.example", "0", "CN=d");
	l.dir = 0;
	add(&l, "same.example", "1", "CN=e");
	add(&l, "same.example", "1", "CN=f"); /* twice in one: merged */
	assert_int_equal(acceptdom_finish(&l), 4);
	assert_int_equal(l.n, 5);
	d = acceptdom_match(&l, "shared.example");
	assert_string_equal(d->origin, "CN=b");
	assert_true(acceptdom_is_relay(d));
	d = acceptdom_match(&l, "half.example");
	assert_string_equal(d->origin, "CN=d");
	d = acceptdom_match(&l, "same.example");
	assert_string_equal(d->origin, "CN=e"); /* the first of equals */
	acceptdom_list_free(&l);
}

/* keys - the set's keys, space-separated */
static char *
keys(const struct addrset *set)
{
	static char buf[1024];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < addrset_count(set); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s",
					 i ? " " : "",
					 addrset_get(set, i)->key);
	return buf;
}

/* "*.x" next to an exact "x" of another type: x's own entry decides for
 * x, in both tables. */
static void
test_tables_exact(void **state)
{
	struct acceptdom_list l = {0};
	struct addrset *set = addrset_new(), *relay;

	(void)state;
	add(&l, "x.example", "0", "CN=x");	 /* authoritative */
	add(&l, "*.x.example", "2", "CN=x-sub"); /* relay below it */
	add(&l, "out.example", "256", "CN=out"); /* outbound only */
	add(&l, "*.out.example", "2", "CN=out-sub");
	acceptdom_finish(&l);
	addrset_add(set, "a@x.example", 11, "OK", "CN=o");
	domains_apply(&l, set, "OK");
	addrset_finish(set);
	/* no @x.example, no @out.example: those are not relay domains */
	assert_string_equal(keys(set), "a@x.example");
	relay = domains_relay_set(&l, "OK");
	assert_string_equal(keys(relay), ".out.example .x.example x.example");
	addrset_free(relay);
	addrset_free(set);
	acceptdom_list_free(&l);
}

/* What each table gets. */
static void
test_tables(void **state)
{
	struct acceptdom_list l = {0};
	struct addrset *set = addrset_new(), *relay;

	(void)state;
	add(&l, "corp.example", "4", "CN=corp");
	add(&l, "relay.example", "2", "CN=relay");
	add(&l, "ext.example", "1", "CN=ext");
	add(&l, "out.example", "256", "CN=out");
	add(&l, "*.sub.example", "0", "CN=sub");
	acceptdom_finish(&l);
	static const char *const in[] = {
		"a@corp.example",  "b@relay.example", "c@out.example",
		"d@x.sub.example", "e@sub.example",   "f@other.example",
		"g@xcorp.example",
	};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		addrset_add(set, in[i], strlen(in[i]), "OK", "CN=o");
	assert_int_equal(domains_apply(&l, set, "OK"), 3);
	addrset_finish(set);
	assert_string_equal(keys(set), "@ext.example @relay.example "
				       "a@corp.example b@relay.example "
				       "d@x.sub.example e@sub.example");
	assert_string_equal(addrset_find(set, "@relay.example")->origin,
			    "CN=relay");
	relay = domains_relay_set(&l, "OK");
	assert_string_equal(keys(relay), ".sub.example corp.example "
					 "ext.example relay.example "
					 "sub.example");
	addrset_free(relay);
	addrset_free(set);
	acceptdom_list_free(&l);
}

/* check's "*.x" relay warning follows what decides for x itself: "@x"
 * is claimed only when x is relayed; the subdomains are said either way. */
static void
test_relay_warning(void **state)
{
	struct acceptdom_list l = {0};
	char msg[1024];

	(void)state;
	add(&l, "x.example", "0", "CN=x");	   /* authoritative */
	add(&l, "*.x.example", "2", "CN=x-sub");   /* relay below it */
	add(&l, "*.r.example", "1", "CN=r-sub");   /* relay, nothing exact */
	add(&l, "y.example", "2", "CN=y");	   /* exact relay */
	add(&l, "*.y.example", "2", "CN=y-sub");   /* relay too */
	add(&l, "*.a.example", "0", "CN=a-sub");   /* authoritative */
	add(&l, "*.o.example", "258", "CN=o-sub"); /* outbound only */
	acceptdom_finish(&l);
	for (size_t i = 0; i < l.n; i++) {
		const struct acceptdom *d = &l.v[i];
		int said = domains_relay_warning(&l, d, msg, sizeof(msg));

		if (!d->subdomains || strcmp(d->name, "a.example") == 0 ||
		    strcmp(d->name, "o.example") == 0) {
			assert_int_equal(said, 0);
			continue;
		}
		assert_int_equal(said, 1);
		assert_non_null(strstr(msg, "subdomains"));
		if (strcmp(d->name, "x.example") == 0) {
			/* the exact x decides for x: no "@x.example" key */
			assert_null(strstr(msg, "\"@x.example\""));
			assert_non_null(strstr(msg, "authoritative"));
		} else {
			assert_non_null(strstr(msg, "accepts every recipient"));
		}
	}
	acceptdom_list_free(&l);
}

/* check's list says what each domain gives in relay_recipient_maps:
 * "@x" only where x itself is a relay, never for a subdomain */
static void
test_gives(void **state)
{
	static const struct {
		const char *name, *gives;
	} want[] = {
		{"x.example", "its recipients in the directory"},
		{"x.example", "of its subdomains, the recipients in the "
			      "directory"},
		{"r.example", "every recipient of the domain itself (@domain); "
			      "of its subdomains, those in the directory"},
		{"y.example", "every recipient (@domain)"},
		{"y.example", "every recipient of the domain itself (@domain); "
			      "of its subdomains, those in the directory"},
		{"o.example", "not accepted inbound"},
	};
	struct acceptdom_list l = {0};

	(void)state;
	add(&l, "x.example", "0", "CN=x");
	add(&l, "*.x.example", "2", "CN=x-sub");
	add(&l, "*.r.example", "1", "CN=r-sub");
	add(&l, "y.example", "2", "CN=y");
	add(&l, "*.y.example", "2", "CN=y-sub");
	add(&l, "*.o.example", "258", "CN=o-sub");
	acceptdom_finish(&l);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int found = 0;

		for (size_t j = 0; j < l.n; j++)
			if (strcmp(l.v[j].name, want[i].name) == 0 &&
			    strcmp(domains_gives(&l, &l.v[j]), want[i].gives) ==
				    0)
				found = 1;
		if (!found)
			fail_msg("%s: no entry gives \"%s\"", want[i].name,
				 want[i].gives);
	}
	acceptdom_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_forests),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_tables_exact),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_relay_warning),
		cmocka_unit_test(test_gives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
