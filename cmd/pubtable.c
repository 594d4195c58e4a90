/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pubtable - a published table: a text table and its map
 * DESCRIPTION
 *	The recipient table (output.table) and output.relay_domains are two
 *	kinds of one thing, each a row of pubtable_rows[]: a text table and
 *	its map of the output type, made with the same atomic machinery
 *	(mapcommit.c), read back into a set the same way (pubtable_read():
 *	when only the map is left, Postfix still serves it, so the change is
 *	judged against the map's keys, not against nothing), held to the
 *	safety limits, checked against the identities the state file
 *	records (pubtable_ours(): a map left by a crash between two renames
 *	is rewritten even when the directory went back to what the text
 *	says), and published in pubtable_order[]: an order that never
 *	leaves Postfix relaying a domain without its recipients
 *	(doc/exchange.md, "Domains from Exchange"):
 *	1. when domains go: relay_domains without them (and without the
 *	   new ones) first: mail to a domain no longer accepted gets 554;
 *	2. the recipient table;
 *	3. the whole new relay_domains: a new domain is relayed only once
 *	   its recipients (or its "@domain") are in the map.
 *	What a table should hold is its kind's own: the recipients come from
 *	the pipeline (pipeline.c, compared as the table is read), the
 *	domains from relaydomains.c.
 * OWNERSHIP
 *	A table owns its old set, and its wanted set when owns_want says so;
 *	pubtable_free() frees them.
 * DIAGNOSTICS
 *	sync_err: DATA (unsafe), OUTPUT (not written), and the errors of
 *	reading a malformed table; warnings through log.c.
 */
#include <stddef.h>
#include <string.h>

#include "log.h"
#include "mapcommit.h"
#include "mapread.h"
#include "maptext.h"
#include "safety.h"
#include "pubtable.h"

/* recipients_path - output.table */
static const char *
recipients_path(const struct sync_conf *c)
{
	return c->table;
}

/* domains_path - output.relay_domains, or NULL */
static const char *
domains_path(const struct sync_conf *c)
{
	return c->relay_domains;
}

const struct pubtable_row pubtable_rows[PUBTABLE_N] = {
	[PUBTABLE_RECIPIENTS] =
		{
			.name = "recipients",
			.keys = "recipients",
			.path = recipients_path,
			.recorded = offsetof(struct sync_state, table_files),
			.header = NULL,
			.read_where = "current table",
			.unreadable_map_fatal = 0,
			.safety_what = "recipients",
			.safety_where = NULL,
			.min_one = 0,
		},
	[PUBTABLE_DOMAINS] =
		{
			.name = "relay_domains",
			.keys = "domains",
			.path = domains_path,
			.recorded = offsetof(struct sync_state, relay_files),
			.header = MAPTEXT_DOMAINS_HEADER,
			.read_where = "output.relay_domains",
			.unreadable_map_fatal = 1,
			.safety_what = "relay_domains entries",
			.safety_where = "output.relay_domains",
			.min_one = 1,
		},
};

const struct pubtable_step pubtable_order[] = {
	{PUBTABLE_DOMAINS, PUBTABLE_REMOVALS},
	{PUBTABLE_RECIPIENTS, PUBTABLE_WHOLE},
	{PUBTABLE_DOMAINS, PUBTABLE_WHOLE},
};
const size_t pubtable_n_steps =
	sizeof(pubtable_order) / sizeof(pubtable_order[0]);

/* pubtable_init - see pubtable.h */
int
pubtable_init(struct pubtable *t, enum pubtable_kind kind,
	      const struct sync_conf *conf)
{
	const struct pubtable_row *row = &pubtable_rows[kind];

	memset(t, 0, sizeof(*t));
	if (row->path(conf) == NULL)
		return 0;
	t->row = row;
	t->path = row->path(conf);
	t->type = conf->type;
	t->limits = &conf->safety;
	return 1;
}

/* pubtable_recorded - see pubtable.h */
struct mapcommit_files *
pubtable_recorded(const struct pubtable_row *row, const struct sync_state *st)
{
	return (struct mapcommit_files *)((const char *)st + row->recorded);
}

/* served_map - no text table: compare with the keys its map serves */
static int
served_map(struct pubtable *t, struct sync_err *err)
{
	struct sync_err why = {0};
	const char *map;
	int rc;

	rc = mapread_served(t->path, t->type, t->old, "table", &map, &why);
	if (rc > 0) {
		t->exists = 1;
		t->stale = 1; /* no text: it is written anew */
		log_warn("%s is missing, but %s is there: comparing with what "
			 "Postfix serves from it",
			 t->path, map);
	} else if (rc < 0 && t->row->unreadable_map_fatal) {
		*err = why;
		return sync_err_prefix(err, "%s", t->row->read_where);
	} else if (rc < 0) {
		log_warn("%s is missing, and %s cannot be read (%s): comparing "
			 "with an empty table",
			 t->path, map, why.msg);
	}
	return 0;
}

/* pubtable_read - see pubtable.h */
int
pubtable_read(struct pubtable *t, struct sync_err *err)
{
	t->old = addrset_new();
	if (maptext_read(t->path, MAPTEXT_ANY_KEY, t->old, "table", &t->exists,
			 err) < 0)
		return sync_err_prefix(err, "%s", t->row->read_where);
	if (!t->exists && served_map(t, err) < 0)
		return -1;
	return 0;
}

/* pubtable_ours - see pubtable.h */
int
pubtable_ours(struct pubtable *t, const struct mapcommit_files *ours)
{
	if (t->row == NULL || !t->exists ||
	    !mapcommit_replaced(t->path, t->type, ours))
		return 1;
	t->replaced = 1;
	t->stale = 1;
	return 0;
}

/* pubtable_changed - see pubtable.h */
int
pubtable_changed(const struct pubtable *t)
{
	return t->row != NULL && (t->stale || mapdiff_changed(&t->counts));
}

/* pubtable_settled - see pubtable.h */
int
pubtable_settled(const struct pubtable *t)
{
	return t->published && !t->publish_failed;
}

/* pubtable_check - the safety limits for the row's keys */
int
pubtable_check(const struct pubtable *t, struct sync_err *err)
{
	struct safety_limits limits;
	struct safety_change c;

	if (t->row == NULL)
		return 0;
	limits = *t->limits;
	if (t->row->min_one)
		limits.min_recipients = 1;
	c = (struct safety_change){t->row->safety_what, t->exists, t->old_count,
				   addrset_count(t->want), t->counts.removed};
	if (safety_check_of(&limits, &c, err) < 0)
		return t->row->safety_where == NULL
			       ? -1
			       : sync_err_prefix(err, "%s",
						 t->row->safety_where);
	return 0;
}

/* publish - SET as the table and its map */
static int
publish(struct pubtable *t, const struct addrset *set,
	struct mapcommit_how *how, struct sync_err *err)
{
	struct mapcommit_how plain = {.header = t->row->header};

	if (mapcommit_publish(t->path, t->type, set, how ? how : &plain, err) <
	    0) {
		t->publish_failed = 1;
		return -1;
	}
	t->published = 1;
	return 0;
}

/* publish_removals - the old table without the keys that go */
static int
publish_removals(struct pubtable *t, struct sync_err *err)
{
	struct addrset *first;
	int rc;

	if (t->counts.removed == 0 || !t->exists)
		return 0;
	/* a copy of OLD, since OLD is what the final step compares against */
	first = addrset_new();
	for (size_t i = 0; i < addrset_count(t->old); i++) {
		const struct addrset_entry *e = addrset_get(t->old, i);

		if (addrset_find(t->want, e->key) != NULL)
			addrset_add(first, e->key, strlen(e->key), e->value,
				    e->origin);
	}
	addrset_finish(first);
	rc = addrset_count(first) > 0 ? publish(t, first, NULL, err) : 0;
	addrset_free(first);
	return rc;
}

/* pubtable_publish - see pubtable.h */
int
pubtable_publish(struct pubtable *t, enum pubtable_part part,
		 struct sync_err *err)
{
	if (t->row == NULL)
		return 0;
	if (part == PUBTABLE_REMOVALS)
		return publish_removals(t, err);
	if (!pubtable_changed(t))
		return 0;
	/* removals only: the removals step already wrote this table */
	if (t->published && t->counts.added == 0 && t->counts.revalued == 0)
		return 0;
	return publish(t, t->want, t->how, err);
}

/* pubtable_free - see pubtable.h */
void
pubtable_free(struct pubtable *t)
{
	if (t->owns_want)
		addrset_free(t->want);
	addrset_free(t->old);
	t->want = t->old = NULL;
	t->owns_want = 0;
}
