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
 *	The naming context read is the pull's (pull_free() in incremental.c).
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

#include "objcache.h"
#include "session.h"
#include "position.h"

/* hex - BIN as lower-case hex into BUF */
static void
hex(const unsigned char *bin, size_t len, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < len && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", bin[i]);
}

/*
 * position_read - where this DC is: rootDSE's dnsHostName,
 * highestCommittedUSN and defaultNamingContext, and the invocationId of
 * its NTDS Settings object (MS-ADTS 3.1.1.1.9).
 */
int
position_read(struct pull *p, struct sync_err *err)
{
	struct ldapsync_session *s = p->s;
	char *host = NULL, *usn = NULL, *service = NULL;
	char *attrs[] = {"dnsHostName", "highestCommittedUSN", "dsServiceName",
			 "defaultNamingContext", NULL};
	LDAPMessage *res = NULL, *e;
	struct berval **inv = NULL;
	char *inv_attrs[] = {"invocationId", NULL};
	char a[SHOWN_MAX];
	int rc, ret = -1;

	session_arm(session_budget(s->conf) + 1);
	rc = ldap_search_ext_s(s->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
			       attrs, 0, NULL, NULL, &s->timeout, 1, &res);
	session_arm(0);
	if (rc != LDAP_SUCCESS || (e = ldap_first_entry(s->ld, res)) == NULL) {
		ldap_msgfree(res);
		return session_fail(err, SYNC_ERR_TEMP, s->ld, rc,
				    "reading the rootDSE of %s",
				    s->stats->server);
	}
	host = session_first_value(s->ld, e, "dnsHostName");
	usn = session_first_value(s->ld, e, "highestCommittedUSN");
	service = session_first_value(s->ld, e, "dsServiceName");
	p->naming_context =
		session_first_value(s->ld, e, "defaultNamingContext");
	ldap_msgfree(res);
	res = NULL;
	if (host == NULL || usn == NULL || service == NULL ||
	    p->naming_context == NULL) {
		sync_err_set(err, SYNC_ERR_CONFIG,
			     "%s: the rootDSE lacks dnsHostName, "
			     "highestCommittedUSN, dsServiceName or "
			     "defaultNamingContext: incremental pulls need an "
			     "AD domain controller",
			     s->stats->server);
		goto out;
	}
	session_arm(session_budget(s->conf) + 1);
	rc = ldap_search_ext_s(s->ld, service, LDAP_SCOPE_BASE,
			       "(objectClass=*)", inv_attrs, 0, NULL, NULL,
			       &s->timeout, 1, &res);
	session_arm(0);
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
	snprintf(p->dc, sizeof(p->dc), "%s", host);
	hex((unsigned char *)inv[0]->bv_val, inv[0]->bv_len, p->invocation,
	    sizeof(p->invocation));
	p->usn = strtoull(usn, NULL, 10);
	ret = 0;
out:
	ldap_value_free_len(inv);
	ldap_msgfree(res);
	free(host);
	free(usn);
	free(service);
	return ret;
}

/* position_decide - may this pull continue the last one?  Else why not */
void
position_decide(struct pull *p)
{
	const struct objcache_mark *m = p->prior;
	char a[SHOWN_MAX], b[SHOWN_MAX];

	p->incremental = 0;
	if (p->full)
		; /* why_full was said by the caller */
	else if (m->dc[0] == '\0')
		snprintf(p->why_full, sizeof(p->why_full),
			 "no earlier pull to continue");
	else if (strcasecmp(m->dc, p->dc) != 0)
		snprintf(p->why_full, sizeof(p->why_full),
			 "the last pull was from %s, this one is from %s",
			 shown(m->dc, a), shown(p->dc, b));
	else if (strcmp(m->invocation, p->invocation) != 0)
		snprintf(p->why_full, sizeof(p->why_full),
			 "the invocationId of %s changed (restored?)",
			 shown(p->dc, a));
	else if (p->usn < m->usn)
		snprintf(p->why_full, sizeof(p->why_full),
			 "the USN of %s went back", shown(p->dc, a));
	else if (p->l->incremental == LDAPSYNC_INCR_DIRSYNC &&
		 m->cookie_len == 0)
		snprintf(p->why_full, sizeof(p->why_full),
			 "no DirSync cookie yet");
	else
		p->incremental = 1;
}
