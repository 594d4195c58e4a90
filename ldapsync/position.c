/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	position - where a DC is, and whether a pull may continue from it
 * DESCRIPTION
 *	An incremental pull continues from a position: the DC's rootDSE
 *	dnsHostName, highestCommittedUSN and defaultNamingContext, and the
 *	invocationId of its dsServiceName (its NTDS Settings object).  A
 *	restored DC gets a new invocationId, and its USNs then mean
 *	something else (MS-ADTS 3.1.1.1.9), so a pull continues the cache
 *	only from the same DC with the same invocationId and a USN that has
 *	not gone back (and, with DirSync, only from a cookie).  The position
 *	is read before any search: a change made during the searches is seen
 *	again next time, never missed.
 * OWNERSHIP
 *	A position's naming context is the caller's (free()); the rest is
 *	in the struct.
 * DIAGNOSTICS
 *	TEMP when the rootDSE or the NTDS Settings object cannot be read (a
 *	connection that went); CONFIG when the server is not an AD DC (the
 *	rootDSE lacks a value, or the invocationId cannot be read).
 * SEE ALSO
 *	MS-ADTS 3.1.1.1.9 (USNs), incremental.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "proxyaddr.h"
#include "objcache.h"
#include "session.h"
#include "watchdog.h"
#include "position.h"

/* Room for a name from the server, escaped for a message. */
#define SHOWN_MAX 300

/* The rootDSE's values a position is made of (each NULL when absent). */
struct rootdse {
	char *host, *usn, *service, *naming_context;
};

/* shown - S from the server, made safe to print (proxyaddr_escape) */
static const char *
shown(const char *s, char *buf)
{
	return proxyaddr_escape(s, strlen(s), buf, SHOWN_MAX);
}

/* hex - BIN as lower-case hex into BUF */
static void
hex(const unsigned char *bin, size_t len, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < len && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", bin[i]);
}

/*
 * read_rootdse - its dnsHostName, highestCommittedUSN, dsServiceName and
 * defaultNamingContext, which every AD DC has: a server without one of
 * them is not a DC to pull from incrementally.  R's values are the
 * caller's to free, whatever the answer.
 */
static int
read_rootdse(struct ldapsync_session *s, struct rootdse *r,
	     struct sync_err *err)
{
	char *attrs[] = {"dnsHostName", "highestCommittedUSN", "dsServiceName",
			 "defaultNamingContext", NULL};
	LDAPMessage *res = NULL, *e;
	int rc;

	watchdog_arm(session_budget(s->conf) + 1);
	rc = ldap_search_ext_s(s->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
			       attrs, 0, NULL, NULL, &s->timeout, 1, &res);
	watchdog_arm(0);
	if (rc != LDAP_SUCCESS || (e = ldap_first_entry(s->ld, res)) == NULL) {
		ldap_msgfree(res);
		return session_fail(err, SYNC_ERR_TEMP, s->ld, rc,
				    "reading the rootDSE of %s",
				    s->stats->server);
	}
	r->host = session_first_value(s->ld, e, "dnsHostName");
	r->usn = session_first_value(s->ld, e, "highestCommittedUSN");
	r->service = session_first_value(s->ld, e, "dsServiceName");
	r->naming_context =
		session_first_value(s->ld, e, "defaultNamingContext");
	ldap_msgfree(res);
	if (r->host == NULL || r->usn == NULL || r->service == NULL ||
	    r->naming_context == NULL)
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "%s: the rootDSE lacks dnsHostName, "
				    "highestCommittedUSN, dsServiceName or "
				    "defaultNamingContext: incremental pulls "
				    "need an AD domain controller",
				    s->stats->server);
	return 0;
}

/*
 * read_invocation - the invocationId of SERVICE (the DC's NTDS Settings
 * object), as hex into BUF: a restored DC gets a new one
 */
static int
read_invocation(struct ldapsync_session *s, const char *service, char *buf,
		size_t size, struct sync_err *err)
{
	char *attrs[] = {"invocationId", NULL};
	LDAPMessage *res = NULL, *e;
	struct berval **inv = NULL;
	char a[SHOWN_MAX];
	int rc, ret = -1;

	watchdog_arm(session_budget(s->conf) + 1);
	rc = ldap_search_ext_s(s->ld, service, LDAP_SCOPE_BASE,
			       "(objectClass=*)", attrs, 0, NULL, NULL,
			       &s->timeout, 1, &res);
	watchdog_arm(0);
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT &&
	    rc != LDAP_INSUFFICIENT_ACCESS) {
		/* the connection went (a DC stopped now): try again, not a
		 * configuration to fix */
		session_fail(err, SYNC_ERR_TEMP, s->ld, rc,
			     "reading the invocationId of %s on %s",
			     shown(service, a), s->stats->server);
		goto out;
	}
	if ((e = ldap_first_entry(s->ld, res)) != NULL)
		inv = ldap_get_values_len(s->ld, e, "invocationId");
	if (inv == NULL || inv[0] == NULL) {
		sync_err_set(err, SYNC_ERR_CONFIG,
			     "%s: cannot read the invocationId of %s",
			     s->stats->server, shown(service, a));
		goto out;
	}
	hex((unsigned char *)inv[0]->bv_val, inv[0]->bv_len, buf, size);
	ret = 0;
out:
	ldap_value_free_len(inv);
	ldap_msgfree(res);
	return ret;
}

/* position_read - the rootDSE, then the invocationId it points to */
int
position_read(struct ldapsync_session *s, struct position *pos,
	      struct sync_err *err)
{
	struct rootdse r = {NULL, NULL, NULL, NULL};
	int ret = -1;

	memset(pos, 0, sizeof(*pos));
	if (read_rootdse(s, &r, err) == 0 &&
	    read_invocation(s, r.service, pos->invocation,
			    sizeof(pos->invocation), err) == 0) {
		snprintf(pos->dc, sizeof(pos->dc), "%s", r.host);
		pos->usn = strtoull(r.usn, NULL, 10);
		pos->naming_context = r.naming_context;
		r.naming_context = NULL;
		ret = 0;
	}
	free(r.host);
	free(r.usn);
	free(r.service);
	free(r.naming_context);
	return ret;
}

/* position_continues - the same DC, not restored, not gone back */
int
position_continues(const struct objcache_mark *m, const struct position *pos,
		   int dirsync, char *why, size_t size)
{
	char a[SHOWN_MAX], b[SHOWN_MAX];
	/* compared up front: GCC 12 with -fsanitize=undefined takes the
	 * compare inside the chain for a read of zero bytes */
	int restored = strcmp(m->invocation, pos->invocation) != 0;

	if (m->dc[0] == '\0')
		snprintf(why, size, "no earlier pull to continue");
	else if (strcasecmp(m->dc, pos->dc) != 0)
		snprintf(why, size,
			 "the last pull was from %s, this one is from %s",
			 shown(m->dc, a), shown(pos->dc, b));
	else if (restored)
		snprintf(why, size,
			 "the invocationId of %s changed (restored?)",
			 shown(pos->dc, a));
	else if (pos->usn < m->usn)
		snprintf(why, size, "the USN of %s went back",
			 shown(pos->dc, a));
	else if (dirsync && m->cookie_len == 0)
		snprintf(why, size, "no DirSync cookie yet");
	else
		return 1;
	return 0;
}
