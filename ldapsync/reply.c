/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	reply - the replies to one request of a search: its entries to the
 *	consumer, its final result
 * DESCRIPTION
 *	The floor under search.c (paging), range.c (range retrieval) and
 *	dirsync.c (DirSync rounds): each sends its requests and reads the
 *	replies through this file.  An entry brings its objectGUID when the
 *	query asks for it; an entry perhaps sent already in the search (a
 *	hit on its DN's fingerprint, seen.c) is delivered marked "again"
 *	and counted toward the loop check, never dropped (the consumer
 *	tells a repeat by its DN); continuation references are counted,
 *	never chased.  What a layer above does with an entry's values (range.c:
 *	take them, complete them) and with the final result's controls
 *	(dirsync.c: its cookie and "more") is reached through struct
 *	search's take_values and take_control, set by search.c, so this
 *	file calls none of them: search.c uses range.c, dirsync.c and this
 *	file; range.c and dirsync.c use this file only.
 * OWNERSHIP
 *	Entries handed to the consumer are valid during the call; every
 *	libldap message is freed before return.
 * DIAGNOSTICS
 *	sync_err naming the server and the request (struct search's what);
 *	a failed result carries the server's diagnostic, escaped.
 * SEE ALSO
 *	search.c, range.c, dirsync.c; RFC 2696 (the paging cookie).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "xalloc.h"
#include "seen.h"
#include "session.h"
#include "watchdog.h"
#include "reply.h"

/* reply_deliver - one complete entry to the consumer */
int
reply_deliver(struct search *x, const struct ldapsync_entry *entry,
	      struct sync_err *err)
{
	struct ldapsync_entry e = *entry;

	if (!x->q->guid)
		e.guid = NULL;
	e.ld = x->msg ? x->s->ld : NULL;
	e.msg = x->msg;
	x->s->stats->values += e.n_vals;
	return x->fn(x->ctx, &e, err);
}

/* take_guid - the entry's objectGUID into x->guid */
static int
take_guid(struct search *x, LDAPMessage *msg, const char *dn,
	  struct sync_err *err)
{
	struct berval **v = ldap_get_values_len(x->s->ld, msg, GUID_ATTR);
	int ok = v != NULL && v[0] != NULL && v[0]->bv_len > 0 &&
		 v[0]->bv_len <= sizeof(x->guid);

	if (ok) {
		memcpy(x->guid, v[0]->bv_val, v[0]->bv_len);
		x->guid_len = v[0]->bv_len;
	}
	ldap_value_free_len(v);
	if (!ok) {
		char a[SHOWN_MAX];

		return sync_err_set(err, SYNC_ERR_DATA,
				    "entry %s has no usable objectGUID; "
				    "incremental pulls need AD",
				    shown(dn, a));
	}
	return 0;
}

/*
 * entry_seen - one search entry, its DN (DN, ldap_get_dn's, freed here)
 * and whether the repeat guard had it (AGAIN).
 *
 * An entry sent again in one search: AD walks an index while the search
 * goes on, so an object changed meanwhile can come again (its change is
 * fetched next run: the position was read before).  The guard holds
 * fingerprints, not names (seen.c), so a hit may be another object: the
 * entry is delivered all the same, marked, and not counted here: the
 * consumer tells a repeat from another object by its DN, and counts the
 * other object (cmd/collect.c, resolve_again).  The hit counts toward the
 * loop check only: two pages in a row of nothing but such entries are a
 * loop (search.c, page_loops).
 */
static int
entry_seen(struct search *x, LDAPMessage *msg, char *dn, int again,
	   struct sync_err *err)
{
	int ret = 0;

	if (dn == NULL)
		return session_fail(err, SYNC_ERR_TEMP, x->s->ld,
				    LDAP_DECODING_ERROR,
				    "%s: entry without a DN from %s", x->what,
				    x->s->stats->server);
	x->guid_len = 0;
	if (x->q->guid)
		ret = take_guid(x, msg, dn, err);
	x->again = ret == 0 && again;
	if (x->again)
		x->page_repeated++;
	else
		x->page_new++;
	if (ret == 0 && x->q->values) {
		if (!x->again)
			x->s->stats->entries++;
		ret = x->take_values(x, msg, dn, err);
	} else if (ret == 0) {
		struct ldapsync_entry e = {.dn = dn,
					   .guid = x->guid,
					   .guid_len = x->guid_len,
					   .again = x->again};

		x->msg = msg; /* whole: the consumer may read its attributes */
		ret = reply_deliver(x, &e, err);
		x->msg = NULL;
	}
	ldap_memfree(dn);
	return ret;
}

/* handle_entry - one search entry as it comes */
static int
handle_entry(struct search *x, LDAPMessage *msg, struct sync_err *err)
{
	char *dn = ldap_get_dn(x->s->ld, msg);

	return entry_seen(x, msg, dn,
			  dn != NULL && seen_add(x->seen, dn, strlen(dn)), err);
}

/* reply_finish - check the final result; take the paging cookie */
int
reply_finish(struct search *x, LDAPMessage *res, struct berval *cookie,
	     struct sync_err *err)
{
	LDAPControl **ctrls = NULL, *page;
	char *diag = NULL;
	int code = LDAP_SUCCESS, rc;
	ber_int_t estimate;

	rc = ldap_parse_result(x->s->ld, res, &code, NULL, &diag, NULL, &ctrls,
			       1);
	if (rc != LDAP_SUCCESS)
		return session_fail(err, SYNC_ERR_TEMP, x->s->ld, rc, "%s",
				    x->what);
	if (code != LDAP_SUCCESS) {
		char shown_diag[SHOWN_MAX];

		x->s->last_result = code;
		sync_err_set(err, session_result_kind(code),
			     "%s: %s%s%s%s; the result is incomplete and "
			     "nothing was written",
			     x->what, ldap_err2string(code), diag ? " (" : "",
			     diag ? shown(diag, shown_diag) : "",
			     diag ? ")" : "");
		ldap_memfree(diag);
		ldap_controls_free(ctrls);
		return -1;
	}
	ldap_memfree(diag);
	if (x->take_control != NULL)
		return x->take_control(x, ctrls, cookie, err);
	if (cookie != NULL && ctrls != NULL &&
	    (page = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls,
				      NULL)) != NULL &&
	    ldap_parse_pageresponse_control(x->s->ld, page, &estimate,
					    cookie) != LDAP_SUCCESS) {
		ldap_controls_free(ctrls);
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "%s: malformed paged results response",
				    x->what);
	}
	ldap_controls_free(ctrls);
	return 0;
}

/* Entries held at the most: AD's pages are 1000 (MaxPageSize); a server
 * that sends larger ones has the rest taken as they come, so that
 * memory does not grow with page_size (up to 100,000). */
#define HELD_MAX 2000

/* A page's entries held until its final result (search.c's page_read),
 * with room for their DNs and repeat-guard hits when they are taken. */
struct held {
	LDAPMessage **v;
	char **dn;
	unsigned char *again;
	size_t n, alloc;
};

/* hold - one more entry message, freed by drop_held */
static void
hold(struct held *h, LDAPMessage *msg)
{
	if (h->n == h->alloc) {
		h->alloc = h->alloc ? 2 * h->alloc : 256;
		h->v = xreallocarray(h->v, h->alloc, sizeof(*h->v));
		h->dn = xreallocarray(h->dn, h->alloc, sizeof(*h->dn));
		h->again = xreallocarray(h->again, h->alloc, sizeof(*h->again));
	}
	h->v[h->n++] = msg;
}

/* take_held - the held entries to the consumer, in the order they came;
 * the list is empty after (each freed).  Their DNs go to the repeat
 * guard together, in that order (seen_add_many: the same answers as one
 * by one, its memory read once for the page). */
static int
take_held(struct search *x, struct held *h, struct sync_err *err)
{
	int ret = 0;

	for (size_t i = 0; i < h->n; i++)
		h->dn[i] = ldap_get_dn(x->s->ld, h->v[i]);
	seen_add_many(x->seen, (const char *const *)h->dn, h->n, h->again);
	for (size_t i = 0; i < h->n; i++) {
		if (ret == 0)
			ret = entry_seen(x, h->v[i], h->dn[i], h->again[i],
					 err);
		else
			ldap_memfree(h->dn[i]);
		ldap_msgfree(h->v[i]);
	}
	h->n = 0;
	return ret;
}

/* drop_held - free the held messages */
static void
drop_held(struct held *h)
{
	for (size_t i = 0; i < h->n; i++)
		ldap_msgfree(h->v[i]);
	free(h->v);
	free(h->dn);
	free(h->again);
}

/*
 * read_messages - every message of one request until its final result:
 * each entry to the consumer as it comes, or, with PAGE_READ, held until
 * the result was read and PAGE_READ (the next page asked for) returned 0
 */
static int
read_messages(struct search *x, int msgid, struct berval *cookie,
	      int (*page_read)(struct search *, const struct berval *,
			       struct sync_err *),
	      struct sync_err *err)
{
	struct held h = {NULL, NULL, NULL, 0, 0};
	LDAPMessage *msg;
	int ret = -1;

	for (;;) {
		if (session_wait(x->s, msgid, &msg, x->what, err) < 0)
			break;
		switch (ldap_msgtype(msg)) {
		case LDAP_RES_SEARCH_ENTRY:
			if (page_read != NULL && h.n < HELD_MAX) {
				hold(&h, msg);
				continue;
			}
			/* past HELD_MAX: the held first, then this one */
			if (take_held(x, &h, err) < 0 ||
			    handle_entry(x, msg, err) < 0) {
				drop_held(&h);
				ldap_msgfree(msg);
				ldap_abandon_ext(x->s->ld, msgid, NULL, NULL);
				return -1;
			}
			break;
		case LDAP_RES_SEARCH_REFERENCE:
			x->s->stats->references++;
			break;
		case LDAP_RES_SEARCH_RESULT:
			ret = reply_finish(x, msg, cookie, err);
			if (ret == 0 && page_read != NULL &&
			    (ret = page_read(x, cookie, err)) == 0) {
				/* no answer is awaited while they are taken:
				 * the watchdog is for the server */
				watchdog_arm(0);
				ret = take_held(x, &h, err);
			}
			drop_held(&h);
			return ret;
		default: break;
		}
		ldap_msgfree(msg);
	}
	drop_held(&h);
	return ret;
}

/* reply_read - read_messages() under the watchdog, disarmed after */
int
reply_read(struct search *x, int msgid, struct berval *cookie,
	   struct sync_err *err)
{
	int (*page_read)(struct search *, const struct berval *,
			 struct sync_err *) = x->page_read;
	int ret;

	x->page_read = NULL; /* this request's only: not a range's after */
	watchdog_fired = 0;
	ret = read_messages(x, msgid, cookie, page_read, err);
	watchdog_arm(0);
	return ret;
}

/* reply_same_cookie - are the two cookies equal (and not empty)? */
int
reply_same_cookie(const struct berval *a, const struct berval *b)
{
	return a->bv_len > 0 && a->bv_len == b->bv_len &&
	       memcmp(a->bv_val, b->bv_val, a->bv_len) == 0;
}

/* reply_keep_cookie - *COPY = a copy of COOKIE (freed with free()) */
void
reply_keep_cookie(struct berval *copy, const struct berval *cookie)
{
	free(copy->bv_val);
	copy->bv_len = cookie->bv_len;
	copy->bv_val =
		xmemdup(cookie->bv_val ? cookie->bv_val : "", cookie->bv_len);
}
