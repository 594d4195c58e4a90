/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	dirsync - the DirSync rounds of one search
 * DESCRIPTION
 *	A DirSync search (MS-ADTS 3.1.1.3.4.1.3) is not paged (DirSync
 *	refuses the paging control): it has DirSync's own "more" flag, and
 *	is asked again from the cookie of each answer while the server has
 *	more.  An object changed between two rounds comes again, so each
 *	round has its own set of the entries it has seen.  The loop is
 *	bounded: a server that says DirSync has more but sends the cookie
 *	back is refused (TEMP, naming the server and the search); and over
 *	it stands the run's deadline (session_wait).  The cookie to continue
 *	from goes to the query only when the last round is done.
 * OWNERSHIP
 *	The query's ldapsync_dirsync is the caller's; the cookies in between
 *	and every libldap object are freed before return.
 * DIAGNOSTICS
 *	sync_err naming the server and the search ("DirSync search 2 of
 *	DC=...").
 * SEE ALSO
 *	MS-ADTS 3.1.1.3.4.1.3 (DirSync); search.c, which reads each round's
 *	answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "seen.h"
#include "session.h"
#include "search.h"
#include "reply.h"
#include "dirsync.h"

/* DirSync asks no more than this per answer; "more" brings the rest */
#define DIRSYNC_MAX_BYTES (1 << 20)

/* dirsync_finish - take DirSync's cookie and "more" flag; frees CTRLS */
int
dirsync_finish(struct search *x, LDAPControl **ctrls, struct berval *cookie,
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

/* dirsync_search - DirSync rounds while the server has more */
int
dirsync_search(struct search *x, struct sync_err *err)
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
		reply_keep_cookie(&sent, &cookie);
		/* an object changed between two rounds comes again */
		seen_free(x->seen);
		x->seen = seen_new();
		if ((ret = send_dirsync(x, &cookie, &msgid, err)) < 0 ||
		    (ret = reply_read(x, msgid, &cookie, err)) < 0)
			break;
		/* "more" with the cookie we sent would bring the same
		 * answer again, forever (MS-ADTS 3.1.1.3.4.1.3) */
		if (x->dirsync_more &&
		    (cookie.bv_len == 0 || reply_same_cookie(&cookie, &sent))) {
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
