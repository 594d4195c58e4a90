/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	ldapsync - a full pull: every proxyAddresses value under the bases
 * DESCRIPTION
 *	One session (session.c: the first URI that connects and binds),
 *	Exchange's accepted domains first when asked (accepted.c), then
 *	one paged search per base (search.c: complete entries, bounded
 *	loops), every value of every entry to the caller's callback.  The
 *	stateless reference that every incremental pull (incremental.c)
 *	must equal.
 * OWNERSHIP
 *	The session is closed before return.
 * DIAGNOSTICS
 *	The session's and the search's sync_err.
 * SEE ALSO
 *	session.c, search.c, incremental.c.
 */
#include <stdio.h>

#include "session.h"
#include "search.h"
#include "accepted.h"
#include "ldapsync.h"

struct adapter {
	source_value_fn fn;
	void *ctx;
	struct source_stats *stats;
};

/* one_entry - a complete entry as the values a source_value_fn takes */
static int
one_entry(void *ctx, const struct ldapsync_entry *e, struct sync_err *err)
{
	struct adapter *a = ctx;

	(void)err; /* the callback leaves its own error */
	a->stats->serial++;
	a->stats->again = e->again;
	for (size_t i = 0; i < e->n_vals; i++)
		if (a->fn(a->ctx, e->dn, e->vals[i].val, e->vals[i].len) < 0)
			return -1;
	return 0;
}

/* ldapsync_fetch - session, every base, close */
int
ldapsync_fetch(const struct ldapsync_conf *conf,
	       struct acceptdom_list *accepted, source_value_fn fn, void *ctx,
	       struct source_stats *stats, struct sync_err *err)
{
	struct ldapsync_session *s;
	struct adapter a = {fn, ctx, stats};
	int ret = 0;

	if (ldapsync_open(conf, stats, &s, err) < 0)
		return -1;
	if (accepted != NULL && accepted_read(s, accepted, err) < 0)
		ret = -1;
	for (size_t i = 0; i < conf->n_bases && ret == 0; i++) {
		struct ldapsync_query q = {0};

		q.base = conf->bases[i];
		q.filter = conf->filter;
		q.values = 1;
		ret = ldapsync_search(s, &q, one_entry, &a, err);
	}
	ldapsync_close(s);
	stats->again = 0; /* the next source's entries are its own */
	return ret;
}
