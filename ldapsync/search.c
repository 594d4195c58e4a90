/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	search - one search of a session: paging, range retrieval, DirSync
 * DESCRIPTION
 *	Completeness is the whole point: a partial list would make Postfix
 *	reject real recipients.  So:
 *	- every search carries the Simple Paged Results control (RFC 2696),
 *	  marked critical: AD answers an unpaged search with 1000 entries
 *	  and sizeLimitExceeded (MaxPageSize); a DirSync search instead has
 *	  DirSync's own "more" flag (DirSync refuses the paging control);
 *	- sizeLimitExceeded, timeLimitExceeded, adminLimitExceeded, a lost
 *	  connection or a timeout fail the search;
 *	- a value list cut by MaxValRange ("proxyAddresses;range=0-1499") is
 *	  completed with base searches for "proxyAddresses;range=1500-*"
 *	  until the server tags a chunk "-*" (MS-ADTS 3.1.1.3.1.3.3), after
 *	  the page; its values are held until then, so that the consumer
 *	  sees the whole entry once, never a part (an incremental pull
 *	  replaces an object by what it is handed);
 *	- continuation references (Configuration, DomainDnsZones, ...) are
 *	  counted and skipped, never chased: referrals are off.
 *	Every loop over the server's answers is bounded: a server that
 *	sends the same paging cookie twice, says DirSync has more but sends
 *	the cookie back, sends a range that does not start where asked or
 *	does not advance, more than MAX_VALUES values for one entry, or one
 *	entry twice in one search (seen.c), is refused (TEMP, naming the
 *	server and the search); and over all of it stands the run's
 *	deadline (session_wait).
 * OWNERSHIP
 *	Entries handed to the callback are valid during the call; every
 *	libldap object is freed before return.
 * DIAGNOSTICS
 *	sync_err naming the server and the search ("page 3 of search under
 *	OU=...", "range retrieval for CN=...", "DirSync search 2 of DC=...").
 * SEE ALSO
 *	RFC 2696, MS-ADTS 3.1.1.3.1.3.3 (range), 3.1.1.3.4.1.3 (DirSync),
 *	3.1.1.3.4.1.14 (show deleted).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "xalloc.h"
#include "proxyaddr.h"
#include "seen.h"
#include "session.h"
#include "watchdog.h"
#include "search.h"

#define ATTR_NAME "proxyAddresses"
#define GUID_ATTR "objectGUID"
/* LDAP_SERVER_SHOW_DELETED_OID: tombstones are returned too (MS-ADTS
 * 3.1.1.3.4.1.14) */
#define SHOW_DELETED_OID "1.2.840.113556.1.4.417"
/* DirSync asks no more than this per answer; "more" brings the rest */
#define DIRSYNC_MAX_BYTES (1 << 20)
/* Values of one entry beyond which a server that never ends its ranged
 * list is refused (AD's own objects stay far below: an Exchange object
 * holds a few hundred addresses at most). */
#define MAX_VALUES 100000

/* One value list the server cut short, to finish after the page. */
struct pending {
	char *dn;
	long next;
	unsigned char guid[32];
	size_t guid_len;
	struct ldapsync_value *vals; /* copies, held until complete */
	size_t n_vals, alloc_vals;
};

/* The state of one ldapsync_search() call. */
struct search {
	struct ldapsync_session *s;
	const struct ldapsync_query *q;
	ldapsync_entry_fn fn;
	void *ctx;
	struct pending *pending;
	size_t n_pending, alloc_pending;
	struct seen *seen;
	const char *what;	     /* the current request, for messages */
	int dirsync_more;	     /* DirSync: the server has more */
	struct ldapsync_value *vbuf; /* an entry's values, for the callback */
	size_t vbuf_alloc;
	unsigned char guid[32];
	size_t guid_len;
	char range_what[400];	     /* "range retrieval for DN" */
	unsigned long page_new;	     /* entries new to this search ... */
	unsigned long page_repeated; /* ... and sent again, this page */
};

/* Room for a DN or attribute description from the server, escaped. */
#define SHOWN_MAX 320

/* shown - S from the server, made safe to print (proxyaddr_escape) */
static const char *
shown(const char *s, char *buf)
{
	return proxyaddr_escape(s, strlen(s), buf, SHOWN_MAX);
}

/* ldapsync_parse_range - the ";range=LOW-HIGH" option of a description */
int
ldapsync_parse_range(const char *desc, long *low, long *high)
{
	const char *opt;
	char *end;

	for (opt = strchr(desc, ';'); opt != NULL; opt = strchr(opt + 1, ';'))
		if (strncasecmp(opt + 1, "range=", 6) == 0)
			break;
	if (opt == NULL)
		return 0;
	errno = 0;
	*low = strtol(opt + 7, &end, 10);
	if (errno || end == opt + 7 || *end != '-' || *low < 0)
		return -1;
	if (end[1] == '*') {
		*high = -1;
		return 1;
	}
	*high = strtol(end + 1, &end, 10);
	if (errno || *high < *low || (*end != '\0' && *end != ';'))
		return -1;
	return 1;
}

/* is_attr - the attribute description names proxyAddresses */
static int
is_attr(const char *desc)
{
	size_t n = sizeof(ATTR_NAME) - 1;

	return strncasecmp(desc, ATTR_NAME, n) == 0 &&
	       (desc[n] == '\0' || desc[n] == ';');
}

/* vbuf_room - room for N more values in the callback's buffer */
static void
vbuf_room(struct search *x, size_t used, size_t n)
{
	if (used + n <= x->vbuf_alloc)
		return;
	x->vbuf_alloc = 2 * (used + n) + 16;
	x->vbuf = xreallocarray(x->vbuf, x->vbuf_alloc, sizeof(*x->vbuf));
}

/* deliver - one complete entry to the consumer */
static int
deliver(struct search *x, const char *dn, const unsigned char *guid,
	size_t guid_len, const struct ldapsync_value *vals, size_t n,
	struct sync_err *err)
{
	struct ldapsync_entry e = {dn, x->q->guid ? guid : NULL, guid_len, vals,
				   n};

	x->s->stats->values += n;
	return x->fn(x->ctx, &e, err);
}

/* hold - keep copies of VALS in P until its list is complete */
static int
hold(struct search *x, struct pending *p, struct berval **vals,
     struct sync_err *err)
{
	for (struct berval **v = vals; v && *v; v++) {
		char dn[SHOWN_MAX];

		if (p->n_vals >= MAX_VALUES)
			return sync_err_set(err, SYNC_ERR_TEMP,
					    "range retrieval for %s: %s sent "
					    "more than %d values",
					    shown(p->dn, dn),
					    x->s->stats->server, MAX_VALUES);
		if (p->n_vals == p->alloc_vals) {
			p->alloc_vals = p->alloc_vals ? 2 * p->alloc_vals : 64;
			p->vals = xreallocarray(p->vals, p->alloc_vals,
						sizeof(*p->vals));
		}
		p->vals[p->n_vals].val = xmemdup((*v)->bv_val, (*v)->bv_len);
		p->vals[p->n_vals++].len = (*v)->bv_len;
	}
	return 0;
}

/* add_pending - a cut value list, held until after the page */
static struct pending *
add_pending(struct search *x, const char *dn)
{
	struct pending *p;

	if (x->n_pending == x->alloc_pending) {
		x->alloc_pending = x->alloc_pending ? 2 * x->alloc_pending : 8;
		x->pending = xreallocarray(x->pending, x->alloc_pending,
					   sizeof(*x->pending));
	}
	p = &x->pending[x->n_pending++];
	memset(p, 0, sizeof(*p));
	p->dn = xstrdup(dn);
	memcpy(p->guid, x->guid, x->guid_len);
	p->guid_len = x->guid_len;
	x->s->stats->ranged++;
	return p;
}

/* free_pending - every held list */
static void
free_pending(struct search *x)
{
	for (size_t i = 0; i < x->n_pending; i++) {
		for (size_t j = 0; j < x->pending[i].n_vals; j++)
			free((char *)x->pending[i].vals[j].val);
		free(x->pending[i].vals);
		free(x->pending[i].dn);
	}
	x->n_pending = 0;
}

/* range_error - a chunk that does not continue where we asked */
static int
range_error(struct search *x, const char *dn, const char *desc, long want,
	    struct sync_err *err)
{
	char a[SHOWN_MAX], b[SHOWN_MAX];

	return sync_err_set(err, SYNC_ERR_TEMP,
			    "range retrieval for %s: %s sent %s when asked "
			    "for values from %ld on: the range does not "
			    "advance",
			    shown(dn, a), x->s->stats->server, shown(desc, b),
			    want);
}

/*
 * take_values - the proxyAddresses of ENTRY.  A first answer (P NULL)
 * that is complete goes to the consumer at once; one that is cut opens a
 * pending list.  A continuation (P set) must start at P->next; its values
 * join P, and P->next moves on (-1 when the server tagged it "-*").  A
 * chunk must say what it holds: it starts where asked (0 first), and a
 * cut one "LOW-HIGH" holds exactly HIGH-LOW+1 values; else the next
 * request would skip values, or ask for the same ones again.
 */
static int
take_values(struct search *x, LDAPMessage *entry, const char *dn,
	    struct pending *p, struct sync_err *err)
{
	struct berval **vals = NULL;
	BerElement *ber = NULL;
	long low = 0, high = -1;
	int ret = 0, ranged = 0, descs = 0;
	size_t n = 0;

	for (char *desc = ldap_first_attribute(x->s->ld, entry, &ber);
	     desc != NULL && ret == 0;
	     desc = ldap_next_attribute(x->s->ld, entry, ber)) {
		if (is_attr(desc) && descs++ == 0) {
			ranged = ldapsync_parse_range(desc, &low, &high);
			vals = ldap_get_values_len(x->s->ld, entry, desc);
			n = (size_t)ldap_count_values_len(vals);
			if (ranged < 0 || (ranged == 0 && p != NULL) ||
			    (ranged == 1 &&
			     (low != (p ? p->next : 0) ||
			      (high >= 0 && (size_t)(high - low) + 1 != n))))
				ret = range_error(x, dn, desc, p ? p->next : 0,
						  err);
		} else if (is_attr(desc)) {
			char a[SHOWN_MAX];

			ret = sync_err_set(
				err, SYNC_ERR_TEMP,
				"%s: %s sent " ATTR_NAME " twice in entry %s",
				x->what, x->s->stats->server, shown(dn, a));
		}
		ldap_memfree(desc);
	}
	ber_free(ber, 0);
	if (ret == 0 && p != NULL && descs == 0) {
		char a[SHOWN_MAX];

		ret = sync_err_set(
			err, SYNC_ERR_TEMP,
			"range retrieval for %s: %s did not return " ATTR_NAME
			";range=%ld-*",
			shown(dn, a), x->s->stats->server, p->next);
	}
	if (ret == 0 && p == NULL && ranged == 1 && high >= 0)
		p = add_pending(x, dn);
	if (ret == 0 && p != NULL) {
		ret = hold(x, p, vals, err);
		p->next = ranged == 1 && high >= 0 ? high + 1 : -1;
	} else if (ret == 0) {
		vbuf_room(x, 0, n);
		for (size_t i = 0; i < n; i++) {
			x->vbuf[i].val = vals[i]->bv_val;
			x->vbuf[i].len = vals[i]->bv_len;
		}
		ret = deliver(x, dn, x->guid, x->guid_len, x->vbuf, n, err);
	}
	ldap_value_free_len(vals);
	return ret;
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

/* handle_entry - one search entry */
static int
handle_entry(struct search *x, LDAPMessage *msg, struct sync_err *err)
{
	char *dn = ldap_get_dn(x->s->ld, msg);
	int ret = 0;

	if (dn == NULL)
		return session_fail(err, SYNC_ERR_TEMP, x->s->ld,
				    LDAP_DECODING_ERROR,
				    "%s: entry without a DN from %s", x->what,
				    x->s->stats->server);
	x->guid_len = 0;
	if (x->q->guid)
		ret = take_guid(x, msg, dn, err);
	/* An entry sent again in one search: AD walks an index while the
	 * search goes on, so an object changed meanwhile can come again
	 * (its change is fetched next run: the position was read before).
	 * Kept once; a page of nothing but such entries is a loop
	 * (search_paged). */
	if (ret == 0 && seen_add(x->seen, dn, strlen(dn))) {
		x->page_repeated++;
		ldap_memfree(dn);
		return 0;
	}
	x->page_new++;
	if (ret == 0 && x->q->values) {
		x->s->stats->entries++;
		ret = take_values(x, msg, dn, NULL, err);
	} else if (ret == 0) {
		ret = deliver(x, dn, x->guid, x->guid_len, NULL, 0, err);
	}
	ldap_memfree(dn);
	return ret;
}

/* finish_dirsync - take DirSync's cookie and "more" flag; frees CTRLS */
static int
finish_dirsync(struct search *x, LDAPControl **ctrls, struct berval *cookie,
	       struct sync_err *err)
{
	LDAPControl *ds =
		ldap_control_find(LDAP_CONTROL_X_DIRSYNC, ctrls, NULL);
	int rc;

	if (ds == NULL) {
		ldap_controls_free(ctrls);
		return sync_err_set(err, SYNC_ERR_DATA,
				    "%s: %s sent no DirSync response", x->what,
				    x->s->stats->server);
	}
	ber_memfree(cookie->bv_val);
	cookie->bv_val = NULL;
	cookie->bv_len = 0;
	rc = ldap_parse_dirsync_control(x->s->ld, ds, &x->dirsync_more, cookie);
	ldap_controls_free(ctrls);
	if (rc != LDAP_SUCCESS || cookie->bv_len == 0)
		return sync_err_set(err, SYNC_ERR_DATA,
				    "%s: malformed DirSync response from %s",
				    x->what, x->s->stats->server);
	return 0;
}

/* finish_search - check the final result; take the paging cookie */
static int
finish_search(struct search *x, LDAPMessage *res, struct berval *cookie,
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
	if (x->q->dirsync != NULL)
		return finish_dirsync(x, ctrls, cookie, err);
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

/* read_messages - every message of one request until its final result */
static int
read_messages(struct search *x, int msgid, struct berval *cookie,
	      struct sync_err *err)
{
	LDAPMessage *msg;

	for (;;) {
		if (session_wait(x->s, msgid, &msg, x->what, err) < 0)
			return -1;
		switch (ldap_msgtype(msg)) {
		case LDAP_RES_SEARCH_ENTRY:
			if (handle_entry(x, msg, err) < 0) {
				ldap_msgfree(msg);
				ldap_abandon_ext(x->s->ld, msgid, NULL, NULL);
				return -1;
			}
			break;
		case LDAP_RES_SEARCH_REFERENCE:
			x->s->stats->references++;
			break;
		case LDAP_RES_SEARCH_RESULT:
			return finish_search(x, msg, cookie, err);
		default: break;
		}
		ldap_msgfree(msg);
	}
}

/* read_results - read_messages() under the watchdog, disarmed after */
static int
read_results(struct search *x, int msgid, struct berval *cookie,
	     struct sync_err *err)
{
	int ret;

	watchdog_fired = 0;
	ret = read_messages(x, msgid, cookie, err);
	watchdog_arm(0);
	return ret;
}

/* range_once - one base search for P's chunk starting at P->next */
static int
range_once(struct search *x, struct pending *p, struct sync_err *err)
{
	struct ldapsync_session *s = x->s;
	char attr[64], shown_dn[SHOWN_MAX];
	char *what = x->range_what;
	char *attrs[] = {attr, NULL};
	LDAPMessage *msg;
	long low = p->next;
	int msgid, rc, got = 0, ret = 0;

	if (s->conf->range_size > 0)
		snprintf(attr, sizeof(attr), ATTR_NAME ";range=%ld-%ld", low,
			 low + s->conf->range_size - 1);
	else
		snprintf(attr, sizeof(attr), ATTR_NAME ";range=%ld-*", low);
	snprintf(x->range_what, sizeof(x->range_what), "range retrieval for %s",
		 shown(p->dn, shown_dn));
	x->what = what;
	rc = ldap_search_ext(s->ld, p->dn, LDAP_SCOPE_BASE, "(objectClass=*)",
			     attrs, 0, NULL, NULL, &s->timeout, 0, &msgid);
	if (rc != LDAP_SUCCESS)
		return session_fail(err, SYNC_ERR_TEMP, s->ld, rc, "%s", what);
	watchdog_fired = 0;
	for (;;) {
		if (session_wait(s, msgid, &msg, what, err) < 0) {
			watchdog_arm(0);
			return -1;
		}
		if (ldap_msgtype(msg) == LDAP_RES_SEARCH_RESULT)
			break;
		if (ldap_msgtype(msg) == LDAP_RES_SEARCH_ENTRY && !got &&
		    ret == 0) {
			got = 1;
			ret = take_values(x, msg, p->dn, p, err);
		}
		ldap_msgfree(msg);
	}
	watchdog_arm(0);
	/* the DN came from the server: an object deleted or renamed since
	 * its page is a race to retry, not a configuration to fix */
	if (ret == 0 && finish_search(x, msg, NULL, err) < 0) {
		if (err->kind == SYNC_ERR_CONFIG || err->kind == SYNC_ERR_DATA)
			err->kind = SYNC_ERR_TEMP;
		ret = -1;
	} else if (ret != 0) {
		ldap_msgfree(msg);
	}
	if (ret == 0 && !got)
		ret = sync_err_set(err, SYNC_ERR_TEMP, "%s: the entry vanished",
				   what);
	return ret;
}

/*
 * complete_ranges - the rest of every cut value list, then each entry
 * to the consumer at once
 */
static int
complete_ranges(struct search *x, struct sync_err *err)
{
	const char *page_what = x->what;
	int ret = 0;

	for (size_t i = 0; i < x->n_pending && ret == 0; i++) {
		struct pending *p = &x->pending[i];

		while (p->next >= 0 && ret == 0)
			ret = range_once(x, p, err);
		if (ret == 0)
			ret = deliver(x, p->dn, p->guid, p->guid_len, p->vals,
				      p->n_vals, err);
	}
	free_pending(x);
	x->what = page_what;
	return ret;
}

/* same_cookie - are the two cookies equal (and not empty)? */
static int
same_cookie(const struct berval *a, const struct berval *b)
{
	return a->bv_len > 0 && a->bv_len == b->bv_len &&
	       memcmp(a->bv_val, b->bv_val, a->bv_len) == 0;
}

/* keep_cookie - *COPY = a copy of COOKIE (freed with free()) */
static void
keep_cookie(struct berval *copy, const struct berval *cookie)
{
	free(copy->bv_val);
	copy->bv_len = cookie->bv_len;
	copy->bv_val =
		xmemdup(cookie->bv_val ? cookie->bv_val : "", cookie->bv_len);
}

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
 * circles: nothing but entries it sent already, or the paging cookie
 * LAST it was sent (COOKIE)?  Then a TEMP error.
 */
static int
page_loops(struct search *x, const struct berval *cookie,
	   const struct berval *last, struct sync_err *err)
{
	if (x->page_repeated > 0 && x->page_new == 0)
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "%s: %s sent a page of entries it had "
				    "sent already",
				    x->what, x->s->stats->server);
	/* RFC 2696: the cookie moves on with every page; the same one
	 * again would bring the same page again, forever */
	if (same_cookie(cookie, last))
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "%s: %s sent the same paging cookie twice",
				    x->what, x->s->stats->server);
	return 0;
}

/* search_paged - the paging loop */
static int
search_paged(struct search *x, char **attrs, struct sync_err *err)
{
	struct berval cookie = {0, NULL}, last = {0, NULL};
	unsigned long page_no = 0;
	char what[300];
	int ret = 0;

	do {
		int msgid;

		snprintf(what, sizeof(what), "page %lu of search under %s",
			 ++page_no, x->q->base);
		x->what = what;
		if (send_page(x, attrs, &cookie, &msgid, err) < 0) {
			ret = -1;
			break;
		}
		keep_cookie(&last, &cookie);
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		x->page_new = x->page_repeated = 0;
		if (read_results(x, msgid, &cookie, err) < 0 ||
		    complete_ranges(x, err) < 0) {
			ret = -1;
			break;
		}
		x->s->stats->pages++;
		if ((ret = page_loops(x, &cookie, &last, err)) < 0)
			break;
	} while (cookie.bv_len > 0);
	ber_memfree(cookie.bv_val);
	free(last.bv_val);
	return ret;
}

/*
 * send_dirsync - the DirSync request from COOKIE (critical, as AD and
 * Samba insist); *MSGID its id
 */
static int
send_dirsync(struct search *x, struct berval *cookie, int *msgid,
	     struct sync_err *err)
{
	struct ldapsync_session *s = x->s;
	LDAPControl *ctrl = NULL, *ctrls[2] = {NULL, NULL};
	int rc;

	rc = ldap_create_dirsync_control(s->ld, 0, DIRSYNC_MAX_BYTES, cookie,
					 &ctrl);
	if (rc != LDAP_SUCCESS)
		return session_fail(err, SYNC_ERR_TEMP, s->ld, rc, "%s",
				    x->what);
	ctrl->ldctl_iscritical = 1;
	ctrls[0] = ctrl;
	rc = ldap_search_ext(s->ld, x->q->base, LDAP_SCOPE_SUBTREE,
			     x->q->filter, x->q->attrs, 0, ctrls, NULL,
			     &s->timeout, 0, msgid);
	ldap_control_free(ctrl);
	if (rc != LDAP_SUCCESS)
		return session_fail(err, SYNC_ERR_TEMP, s->ld, rc, "%s",
				    x->what);
	return 0;
}

/* keep_dirsync - COOKIE, the one to continue from, into DS->next */
static int
keep_dirsync(struct search *x, struct ldapsync_dirsync *ds,
	     const struct berval *cookie, struct sync_err *err)
{
	if (cookie->bv_len > sizeof(ds->next))
		return sync_err_set(err, SYNC_ERR_DATA,
				    "%s: a DirSync cookie of %lu bytes is more "
				    "than rcptsync keeps (%d)",
				    x->s->stats->server,
				    (unsigned long)cookie->bv_len,
				    LDAPSYNC_COOKIE_MAX);
	memcpy(ds->next, cookie->bv_val, cookie->bv_len);
	ds->next_len = cookie->bv_len;
	return 0;
}

/* search_dirsync - DirSync rounds while the server has more */
static int
search_dirsync(struct search *x, struct sync_err *err)
{
	struct ldapsync_dirsync *ds = x->q->dirsync;
	struct berval cookie = {0, NULL}, sent = {0, NULL};
	unsigned long round = 0;
	char what[300];
	int ret = 0;

	if (ds->cookie_len > 0) {
		cookie.bv_val = ber_memalloc(ds->cookie_len);
		memcpy(cookie.bv_val, ds->cookie, ds->cookie_len);
		cookie.bv_len = ds->cookie_len;
	}
	do {
		int msgid;

		snprintf(what, sizeof(what), "DirSync search %lu of %s",
			 ++round, x->q->base);
		x->what = what;
		keep_cookie(&sent, &cookie);
		/* an object changed between two rounds comes again */
		seen_free(x->seen);
		x->seen = seen_new();
		if ((ret = send_dirsync(x, &cookie, &msgid, err)) < 0 ||
		    (ret = read_results(x, msgid, &cookie, err)) < 0)
			break;
		/* "more" with the cookie we sent would bring the same
		 * answer again, forever (MS-ADTS 3.1.1.3.4.1.3) */
		if (x->dirsync_more &&
		    (cookie.bv_len == 0 || same_cookie(&cookie, &sent))) {
			ret = sync_err_set(err, SYNC_ERR_TEMP,
					   "%s: %s said it has more, but sent "
					   "back the same DirSync cookie",
					   what, x->s->stats->server);
			break;
		}
	} while (x->dirsync_more);
	if (ret == 0)
		ret = keep_dirsync(x, ds, &cookie, err);
	ber_memfree(cookie.bv_val);
	free(sent.bv_val);
	return ret;
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
	/* range_size: ask for the first chunk explicitly, as AD would cut
	 * the list by itself at MaxValRange (1500) values */
	if (q->values && s->conf->range_size > 0)
		snprintf(attr, sizeof(attr), ATTR_NAME ";range=0-%d",
			 s->conf->range_size - 1);
	else
		snprintf(attr, sizeof(attr), ATTR_NAME);
	if (q->values)
		attrs[n++] = attr;
	if (q->guid)
		attrs[n++] = GUID_ATTR;
	if (n == 0)
		attrs[n++] = LDAP_NO_ATTRS; /* "1.1": the DN only */
	ret = q->dirsync != NULL ? search_dirsync(&x, err)
				 : search_paged(&x, attrs, err);
	free_pending(&x);
	free(x.pending);
	free(x.vbuf);
	seen_free(x.seen);
	return ret;
}
