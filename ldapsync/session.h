/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_SESSION_H
#define RCPTSYNC_SESSION_H

/*
 * The connection to one directory server, for the modules of ldapsync/
 * only (search.c, range.c, dirsync.c, ldapsync.c, position.c): cmd/ sees
 * the session as
 * the opaque struct ldapsync_session of ldapsync.h.  No modal state: a
 * search says what it wants in its own arguments (search.h).
 */
#include <signal.h>
#include <sys/time.h>

#include <ldap.h>

#include "ldapsync.h"

struct krb5cred;

struct ldapsync_session {
	LDAP *ld;
	const struct ldapsync_conf *conf;
	struct timeval timeout;	    /* conf->timeout, for libldap */
	struct source_stats *stats; /* server, bound_as, skipped; counters */
	struct krb5cred *krb;	    /* GSSAPI: the private ticket cache */
	struct sigaction old_sa;    /* SIGALRM as it was before the open */
	int last_result; /* the LDAP result code of the last search that
			    failed with one (reply_finish), else 0 */
};

/*
 * session_fail - ERR of KIND: "WHERE: ldap_err2string(RC) (the server's
 *	diagnostic)", with AD's advice for it (adhint.h).  LD may be NULL.
 *	Returns -1.
 */
int session_fail(struct sync_err *err, int kind, LDAP *ld, int rc,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* session_result_kind - what a search result code means for the run */
int session_result_kind(int code);

/*
 * session_wait - the next message for MSGID (ldap_result, one at a time,
 *	under the watchdog and the run's deadline).  Returns > 0 with *RES,
 *	or -1 with a TEMP error naming WHAT (the search abandoned).
 */
int session_wait(struct ldapsync_session *s, int msgid, LDAPMessage **res,
		 const char *what, struct sync_err *err);

/*
 * session_budget - the seconds a blocking call (connect, bind, a read)
 *	may take: the timeout, or what is left of the run's deadline when
 *	that is less (at least 1)
 */
int session_budget(const struct ldapsync_conf *conf);

/* session_past_deadline - 0, or -1 with a TEMP error naming WHAT */
int session_past_deadline(struct ldapsync_session *s, const char *what,
			  struct sync_err *err);

/* session_first_value - ATTR's first value in ENTRY, or NULL (free()) */
char *session_first_value(LDAP *ld, LDAPMessage *entry, const char *attr);

/* What session_read_one() reads: ATTR of the entry FILTER finds. */
struct session_read {
	const char *base;
	int scope; /* LDAP_SCOPE_* */
	const char *filter;
	const char *attr;
};

/*
 * session_read_one - R->attr of the one entry a synchronous search of
 *	R->base finds (*VALUE NULL when none), or -1 with an error.
 */
int session_read_one(struct ldapsync_session *s, const struct session_read *r,
		     char **value, struct sync_err *err)
	__attribute__((warn_unused_result));

#endif
