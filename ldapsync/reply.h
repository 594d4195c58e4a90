/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_REPLY_H
#define RCPTSYNC_REPLY_H

/*
 * Inside one search only: the state of one ldapsync_search() call, which
 * search.c (paging), range.c (range retrieval) and dirsync.c (DirSync
 * rounds) share, and reply.c's functions, through which all three read
 * the replies to their requests.  cmd/ and the rest of ldapsync/ see
 * search.h.
 */
#include <stddef.h>
#include <string.h>

#include <ldap.h>

#include "proxyaddr.h"
#include "search.h"
#include "range.h"

struct seen;

/* The state of one ldapsync_search() call. */
struct search {
	struct ldapsync_session *s;
	const struct ldapsync_query *q;
	ldapsync_entry_fn fn;
	void *ctx;
	struct seen *seen;
	const char *what; /* the current request, for messages */
	int dirsync_more; /* DirSync: the server has more */
	unsigned char guid[32];
	size_t guid_len;
	LDAPMessage *msg; /* the entry being delivered, when it is whole */
	struct range_state range; /* range.c's alone */
	/* The layers above reply.c, set by search.c so that reply.c calls
	 * none of them: take_values gets each entry of a search for values
	 * (range_take), take_control the final result's controls of a
	 * DirSync search (dirsync_finish), which it frees; else NULL. */
	int (*take_values)(struct search *x, LDAPMessage *entry, const char *dn,
			   struct sync_err *err);
	int (*take_control)(struct search *x, LDAPControl **ctrls,
			    struct berval *cookie, struct sync_err *err);
	/* search.c's, for the next paging request only: called once the
	 * final result of a page was read and found good, before its
	 * entries go to the consumer, so that the server makes the next
	 * page while this one is taken; NULL else (reply_read clears it) */
	int (*page_read)(struct search *x, const struct berval *cookie,
			 struct sync_err *err);
	char **attrs;		     /* search.c: the paging request's */
	const struct berval *last;   /* the cookie this page was asked with */
	int next_msgid;		     /* the next page's request, or -1 */
	unsigned long page_no;	     /* the page being read, from 1 */
	unsigned long page_new;	     /* entries new to this search ... */
	unsigned long page_repeated; /* ... and sent again, this page */
	unsigned long stale_pages;   /* pages in a row with none new */
	int again; /* the entry being read was perhaps sent already */
};

#define GUID_ATTR "objectGUID"

/* Room for a DN or attribute description from the server, escaped. */
#define SHOWN_MAX 320

/* shown - S from the server, made safe to print (proxyaddr_escape) */
static inline const char *
shown(const char *s, char *buf)
{
	return proxyaddr_escape(s, strlen(s), buf, SHOWN_MAX);
}

/*
 * reply_deliver - one complete entry to the consumer: E's DN, GUID
 *	(passed on when the query asked for it) and values (valid during
 *	the call; with the message being delivered, when whole); counts its
 *	values.  Returns what the consumer returned:
 *	0, or -1 with ERR set.
 */
int reply_deliver(struct search *x, const struct ldapsync_entry *e,
		  struct sync_err *err) __attribute__((warn_unused_result));

/*
 * reply_finish - check the final result RES (which it frees); take the
 *	paging cookie into COOKIE (none when NULL), or hand the controls to
 *	X->take_control (DirSync: its cookie and "more" flag).  Returns 0,
 *	or -1 with ERR.
 */
int reply_finish(struct search *x, LDAPMessage *res, struct berval *cookie,
		 struct sync_err *err) __attribute__((warn_unused_result));

/*
 * reply_read - every message of request MSGID until its final
 *	result, each entry to the consumer, under the watchdog (disarmed
 *	after); COOKIE as reply_finish.  With X->page_read, the entries are
 *	held (HELD_MAX at the most) until the final result was read and
 *	page_read returned 0.
 *	Returns 0, or -1 with ERR.
 */
int reply_read(struct search *x, int msgid, struct berval *cookie,
	       struct sync_err *err) __attribute__((warn_unused_result));

/* reply_same_cookie - are the two cookies equal (and not empty)? */
int reply_same_cookie(const struct berval *a, const struct berval *b);

/* reply_keep_cookie - *COPY = a copy of COOKIE (freed with free()) */
void reply_keep_cookie(struct berval *copy, const struct berval *cookie);

#endif
