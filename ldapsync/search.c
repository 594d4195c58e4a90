/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	search - one search of a session: its requests, entries and pages
 * DESCRIPTION
 *	Completeness is the whole point: a partial list would make Postfix
 *	reject real recipients.  So:
 *	- every search carries the Simple Paged Results control (RFC 2696),
 *	  marked critical: AD answers an unpaged search with 1000 entries
 *	  and sizeLimitExceeded (MaxPageSize); a DirSync search instead has
 *	  DirSync's own "more" flag (DirSync refuses the paging control;
 *	  dirsync.c);
 *	- sizeLimitExceeded, timeLimitExceeded, adminLimitExceeded, a lost
 *	  connection or a timeout fail the search;
 *	- a value list cut by MaxValRange is completed after the page, and
 *	  the consumer sees the whole entry once, never a part (range.c);
 *	- continuation references (Configuration, DomainDnsZones, ...) are
 *	  counted and skipped, never chased: referrals are off.
 *	The paging loop is one request ahead: a page's entries are held
 *	until its final result is in, then the next page is asked for, and
 *	only then are they taken, so that the server makes the next page
 *	while rcptsync normalises this one (ask_next; a page of 2000
 *	entries held at the most, reply.c's HELD_MAX, bench/README.md).
 *	Every loop over the server's answers is bounded: a server that
 *	sends the same paging cookie twice, says DirSync has more but sends
 *	the cookie back (dirsync.c), sends a range that does not start where
 *	asked or does not advance, more than MAX_VALUES values for one entry
 *	(range.c), or two pages in a row of nothing but entries it sent
 *	already (seen.c, page_loops), is refused (TEMP, naming the server
 *	and the search); and over all of it stands the run's deadline
 *	(session_wait).
 * OWNERSHIP
 *	Entries handed to the callback are valid during the call; every
 *	libldap object is freed before return.
 * DIAGNOSTICS
 *	sync_err naming the server and the search ("page 3 of search under
 *	OU=...", "range retrieval for CN=...", "DirSync search 2 of DC=...").
 * SEE ALSO
 *	RFC 2696, MS-ADTS 3.1.1.3.4.1.14 (show deleted); range.c (MS-ADTS
 *	3.1.1.3.1.3.3), dirsync.c (MS-ADTS 3.1.1.3.4.1.3), and reply.c,
 *	which reads the replies of every request for all three.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "xalloc.h"
#include "seen.h"
#include "session.h"
#include "watchdog.h"
#include "search.h"
#include "reply.h"
#include "range.h"
#include "dirsync.h"

/* LDAP_SERVER_SHOW_DELETED_OID: tombstones are returned too (MS-ADTS
 * 3.1.1.3.4.1.14) */
#define SHOW_DELETED_OID "1.2.840.113556.1.4.417"

/*
 * send_page - the request for the page after COOKIE (none: the first),
 * paged (critical) and, when asked, with tombstones; *MSGID its id
 */
static int
send_page(struct search *x, char **attrs, struct berval *cookie, int *msgid,
	  struct sync_err *err)
{
	struct ldapsync_session *s = x->s;
	LDAPControl *page = NULL, *ctrls[3] = {NULL, NULL, NULL};
	LDAPControl deleted = {SHOW_DELETED_OID, {0, NULL}, 1};
	int rc;

	rc = ldap_create_page_control(s->ld, s->conf->page_size, cookie, 1,
				      &page);
	if (rc != LDAP_SUCCESS)
		return session_fail(err, SYNC_ERR_TEMP, s->ld, rc, "%s",
				    x->what);
	ctrls[0] = page;
	if (x->q->show_deleted)
		ctrls[1] = &deleted;
	rc = ldap_search_ext(s->ld, x->q->base, LDAP_SCOPE_SUBTREE,
			     x->q->filter, attrs, 0, ctrls, NULL, &s->timeout,
			     0, msgid);
	ldap_control_free(page);
	if (rc != LDAP_SUCCESS)
		return session_fail(err, SYNC_ERR_TEMP, s->ld, rc, "%s",
				    x->what);
	return 0;
}

/*
 * page_loops - does the page just read show a server going round in
 * circles: the second page in a row of nothing but entries it sent
 * already, or the paging cookie LAST it was sent (COOKIE)?  Then a TEMP
 * error.  "Sent already" is a hit on a fingerprint (seen.c), which
 * another DN can share: it is for this check only, and one false hit
 * cannot trip it: that needs every entry of two pages in a row to hit,
 * so at least two false hits with nothing new between (any false hit
 * at all is about 2^-25 for a million names).  A server that loops is
 * refused a page later than a check on one page would.
 */
static int
page_loops(struct search *x, const struct berval *cookie,
	   const struct berval *last, struct sync_err *err)
{
	if (x->page_repeated > 0 && x->page_new == 0)
		x->stale_pages++;
	else if (x->page_new > 0)
		x->stale_pages = 0;
	if (x->stale_pages >= 2)
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "%s: %s sent a page of entries it had "
				    "sent already",
				    x->what, x->s->stats->server);
	/* RFC 2696: the cookie moves on with every page; the same one
	 * again would bring the same page again, forever */
	if (reply_same_cookie(cookie, last))
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "%s: %s sent the same paging cookie twice",
				    x->what, x->s->stats->server);
	return 0;
}

/*
 * ask_next - reply.c's page_read: the request for the page after COOKIE,
 * sent once this page's final result is in and before its entries are
 * taken, so that the server makes the next page while rcptsync takes
 * this one (bench/README.md); none after the last page, nor with the
 * cookie this page was asked with (page_loops refuses that)
 */
static int
ask_next(struct search *x, const struct berval *cookie, struct sync_err *err)
{
	struct berval next = *cookie;
	const char *page_what = x->what;
	char what[300];
	int rc;

	if (cookie->bv_len == 0 || reply_same_cookie(cookie, x->last))
		return 0;
	/* a failed request is the next page's */
	snprintf(what, sizeof(what), "page %lu of search under %s",
		 x->page_no + 1, x->q->base);
	x->what = what;
	rc = send_page(x, x->attrs, &next, &x->next_msgid, err);
	x->what = page_what;
	return rc;
}

/* search_paged - the paging loop, one request ahead */
static int
search_paged(struct search *x, char **attrs, struct sync_err *err)
{
	struct berval cookie = {0, NULL}, last = {0, NULL};
	unsigned long page_no = 0;
	char what[300];
	int ret = 0, msgid;

	x->attrs = attrs;
	x->last = &last;
	x->next_msgid = -1;
	snprintf(what, sizeof(what), "page 1 of search under %s", x->q->base);
	x->what = what;
	if (send_page(x, attrs, &cookie, &msgid, err) < 0)
		return -1;
	do {
		x->page_no = ++page_no;
		snprintf(what, sizeof(what), "page %lu of search under %s",
			 page_no, x->q->base);
		x->what = what;
		reply_keep_cookie(&last, &cookie);
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		x->page_new = x->page_repeated = 0;
		x->next_msgid = -1;
		x->page_read = ask_next;
		if (reply_read(x, msgid, &cookie, err) < 0 ||
		    range_complete(x, err) < 0) {
			ret = -1;
			break;
		}
		x->s->stats->pages++;
		if ((ret = page_loops(x, &cookie, &last, err)) < 0)
			break;
		if (cookie.bv_len > 0 && x->next_msgid < 0)
			panic("search_paged: no request for the next page");
		msgid = x->next_msgid;
	} while (cookie.bv_len > 0);
	if (ret < 0 && x->next_msgid >= 0) /* asked for, not wanted */
		ldap_abandon_ext(x->s->ld, x->next_msgid, NULL, NULL);
	ber_memfree(cookie.bv_val);
	free(last.bv_val);
	return ret;
}

/* ldapsync_entry_value - see search.h */
char *
ldapsync_entry_value(const struct ldapsync_entry *e, const char *attr,
		     size_t *len, size_t *n_vals)
{
	struct berval **v;
	char *first = NULL;

	*len = 0;
	if (n_vals != NULL)
		*n_vals = 0;
	if (e->msg == NULL)
		return NULL;
	v = ldap_get_values_len(e->ld, e->msg, attr);
	if (v != NULL && v[0] != NULL) {
		first = xmemdup(v[0]->bv_val, v[0]->bv_len);
		*len = v[0]->bv_len;
	}
	if (n_vals != NULL)
		*n_vals = v != NULL ? (size_t)ldap_count_values_len(v) : 0;
	ldap_value_free_len(v);
	return first;
}

/* ldapsync_search - see search.h */
int
ldapsync_search(struct ldapsync_session *s, const struct ldapsync_query *q,
		ldapsync_entry_fn fn, void *ctx, struct sync_err *err)
{
	struct search x;
	char attr[64];
	char *attrs[3] = {NULL, NULL, NULL};
	size_t n = 0;
	int ret;

	if (q->dirsync != NULL && q->values)
		panic("ldapsync_search: DirSync does not complete ranged "
		      "values");
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.q = q;
	x.fn = fn;
	x.ctx = ctx;
	x.seen = seen_new();
	x.what = q->base;
	/* the layers the replies go up to (reply.h) */
	x.take_values = q->values ? range_take : NULL;
	x.take_control = q->dirsync != NULL ? dirsync_finish : NULL;
	if (q->values) {
		range_first(attr, sizeof(attr), s->conf);
		attrs[n++] = attr;
	}
	if (q->guid)
		attrs[n++] = GUID_ATTR;
	if (n == 0 && q->attrs == NULL)
		attrs[n++] = LDAP_NO_ATTRS; /* "1.1": the DN only */
	ret = q->dirsync != NULL
		      ? dirsync_search(&x, err)
		      : search_paged(&x, n > 0 ? attrs : q->attrs, err);
	range_free(&x);
	seen_free(x.seen);
	return ret;
}
