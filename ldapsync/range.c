/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	range - range retrieval: one entry's values across ranged chunks
 * DESCRIPTION
 *	A value list cut by MaxValRange ("proxyAddresses;range=0-1499") is
 *	completed with base searches for "proxyAddresses;range=1500-*"
 *	until the server tags a chunk "-*" (MS-ADTS 3.1.1.3.1.3.3), after
 *	the page; its values are held until then, so that the consumer
 *	sees the whole entry once, never a part (an incremental pull
 *	replaces an object by what it is handed).  An entry whose list came
 *	whole goes to the consumer at once.
 *	The loop over an entry's chunks is bounded: a server that sends a
 *	range that does not start where asked or does not advance, a chunk
 *	shorter than the first before the last one, or more than MAX_VALUES
 *	values for one entry, is refused (TEMP, naming the server and the
 *	entry); and over it stands the run's deadline (session_wait).
 * OWNERSHIP
 *	A held list (struct pending) holds copies of its values, owned by
 *	the search (struct range_state, range.h) until range_complete or
 *	range_free; every libldap object is freed before return.
 * DIAGNOSTICS
 *	sync_err naming the server and the entry ("range retrieval for
 *	CN=...").
 * SEE ALSO
 *	MS-ADTS 3.1.1.3.1.3.3 (range retrieval); search.c, which asks for
 *	the first chunk with the page.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "xalloc.h"
#include "session.h"
#include "watchdog.h"
#include "search.h"
#include "reply.h"
#include "range.h"

#define ATTR_NAME "proxyAddresses"

/* Values of one entry beyond which a server that never ends its ranged
 * list is refused (AD's own objects stay far below: an Exchange object
 * holds a few hundred addresses at most). */
#define MAX_VALUES 100000

/* One value list the server cut short, to finish after the page. */
struct pending {
	char *dn;
	long next;
	long chunk; /* values in the first chunk: the server's own size */
	unsigned char guid[32];
	size_t guid_len;
	int again;		     /* perhaps sent already (reply.c) */
	struct ldapsync_value *vals; /* copies, held until complete */
	size_t n_vals, alloc_vals;
};

/* range_first - see range.h */
void
range_first(char *attr, size_t size, const struct ldapsync_conf *conf)
{
	/* range_size: ask for the first chunk explicitly, as AD would cut
	 * the list by itself at MaxValRange (1500) values */
	if (conf->range_size > 0)
		snprintf(attr, size, ATTR_NAME ";range=0-%d",
			 conf->range_size - 1);
	else
		snprintf(attr, size, ATTR_NAME);
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
vbuf_room(struct range_state *r, size_t used, size_t n)
{
	if (used + n <= r->vbuf_alloc)
		return;
	r->vbuf_alloc = 2 * (used + n) + 16;
	r->vbuf = xreallocarray(r->vbuf, r->vbuf_alloc, sizeof(*r->vbuf));
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
	struct range_state *r = &x->range;
	struct pending *p;

	if (r->n_pending == r->alloc_pending) {
		r->alloc_pending = r->alloc_pending ? 2 * r->alloc_pending : 8;
		r->pending = xreallocarray(r->pending, r->alloc_pending,
					   sizeof(*r->pending));
	}
	p = &r->pending[r->n_pending++];
	memset(p, 0, sizeof(*p));
	p->dn = xstrdup(dn);
	memcpy(p->guid, x->guid, x->guid_len);
	p->guid_len = x->guid_len;
	p->again = x->again;
	x->s->stats->ranged++;
	return p;
}

/* free_pending - every held list */
static void
free_pending(struct range_state *r)
{
	for (size_t i = 0; i < r->n_pending; i++) {
		for (size_t j = 0; j < r->pending[i].n_vals; j++)
			free((char *)r->pending[i].vals[j].val);
		free(r->pending[i].vals);
		free(r->pending[i].dn);
	}
	r->n_pending = 0;
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
 * short_chunk - a chunk that is not the last but holds fewer values than
 * the first: AD cuts a list only at MaxValRange (or range_size when
 * smaller), the same for every chunk, and tags the rest "-*" (MS-ADTS
 * 3.1.1.3.1.3.3); a server that cuts shorter would take up to
 * MAX_VALUES round trips
 */
static int
short_chunk(struct search *x, const char *dn, const char *desc, size_t n,
	    long chunk, struct sync_err *err)
{
	char a[SHOWN_MAX], b[SHOWN_MAX];

	return sync_err_set(err, SYNC_ERR_TEMP,
			    "range retrieval for %s: %s sent %s (%zu value%s), "
			    "a chunk shorter than the first (%ld) before the "
			    "last (\"-*\"): AD never cuts one short",
			    shown(dn, a), x->s->stats->server, shown(desc, b),
			    n, n == 1 ? "" : "s", chunk);
}

/* deliver_whole - the entry DN with its N values VALS, all in one answer */
static int
deliver_whole(struct search *x, const char *dn, struct berval **vals, size_t n,
	      struct sync_err *err)
{
	vbuf_room(&x->range, 0, n);
	for (size_t i = 0; i < n; i++) {
		x->range.vbuf[i].val = vals[i]->bv_val;
		x->range.vbuf[i].len = vals[i]->bv_len;
	}
	return reply_deliver(x,
			     &(struct ldapsync_entry){.dn = dn,
						      .guid = x->guid,
						      .guid_len = x->guid_len,
						      .vals = x->range.vbuf,
						      .n_vals = n,
						      .again = x->again},
			     err);
}

/*
 * take_values - the proxyAddresses of ENTRY.  A first answer (P NULL)
 * that is complete goes to the consumer at once; one that is cut opens a
 * pending list.  A continuation (P set) must start at P->next; its values
 * join P, and P->next moves on (-1 when the server tagged it "-*").  A
 * chunk must say what it holds: it starts where asked (0 first), and a
 * cut one "LOW-HIGH" holds exactly HIGH-LOW+1 values; else the next
 * request would skip values, or ask for the same ones again.  A cut
 * continuation holds as many values as the first chunk (short_chunk).
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
			else if (ranged == 1 && high >= 0 && p != NULL &&
				 (long)n < p->chunk)
				ret = short_chunk(x, dn, desc, n, p->chunk,
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
	if (ret == 0 && p == NULL && ranged == 1 && high >= 0) {
		p = add_pending(x, dn);
		p->chunk = (long)n;
	}
	if (ret == 0 && p != NULL) {
		ret = hold(x, p, vals, err);
		p->next = ranged == 1 && high >= 0 ? high + 1 : -1;
	} else if (ret == 0) {
		ret = deliver_whole(x, dn, vals, n, err);
	}
	ldap_value_free_len(vals);
	return ret;
}

/* range_take - see range.h */
int
range_take(struct search *x, LDAPMessage *entry, const char *dn,
	   struct sync_err *err)
{
	return take_values(x, entry, dn, NULL, err);
}

/* range_once - one base search for P's chunk starting at P->next */
static int
range_once(struct search *x, struct pending *p, struct sync_err *err)
{
	struct ldapsync_session *s = x->s;
	char attr[64], shown_dn[SHOWN_MAX];
	char *what = x->range.what;
	char *attrs[] = {attr, NULL};
	LDAPMessage *msg;
	long low = p->next;
	int msgid, rc, got = 0, ret = 0;

	if (s->conf->range_size > 0)
		snprintf(attr, sizeof(attr), ATTR_NAME ";range=%ld-%ld", low,
			 low + s->conf->range_size - 1);
	else
		snprintf(attr, sizeof(attr), ATTR_NAME ";range=%ld-*", low);
	snprintf(x->range.what, sizeof(x->range.what), "range retrieval for %s",
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
	if (ret == 0 && reply_finish(x, msg, NULL, err) < 0) {
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
 * range_complete - the rest of every cut value list, then each entry
 * to the consumer at once
 */
int
range_complete(struct search *x, struct sync_err *err)
{
	const char *page_what = x->what;
	int ret = 0;

	for (size_t i = 0; i < x->range.n_pending && ret == 0; i++) {
		struct pending *p = &x->range.pending[i];

		while (p->next >= 0 && ret == 0)
			ret = range_once(x, p, err);
		if (ret == 0)
			ret = reply_deliver(x,
					    &(struct ldapsync_entry){
						    .dn = p->dn,
						    .guid = p->guid,
						    .guid_len = p->guid_len,
						    .vals = p->vals,
						    .n_vals = p->n_vals,
						    .again = p->again},
					    err);
	}
	free_pending(&x->range);
	x->what = page_what;
	return ret;
}

/* range_free - see range.h */
void
range_free(struct search *x)
{
	free_pending(&x->range);
	free(x->range.pending);
	free(x->range.vbuf);
}
