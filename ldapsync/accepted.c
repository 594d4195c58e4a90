/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	accepted - Exchange's accepted domains, over a pull's own session
 * DESCRIPTION
 *	"domains: exchange" (doc/exchange.md, "Domains from Exchange"):
 *	after the
 *	bind, before the recipients, read every msExchAcceptedDomain object
 *	of the Configuration naming context (its DN from the rootDSE's
 *	configurationNamingContext; Exchange keeps them under CN=Accepted
 *	Domains,CN=Transport Settings,CN=<org>,CN=Microsoft Exchange,
 *	CN=Services).  One paged search (search.c: bounded like every other),
 *	on the connection and bind the recipients then come through, so the
 *	domains and the addresses are one DC's view.
 *
 *	An object whose value cannot be read (not a domain, flags that are
 *	not a number, a type Exchange does not define, two names) fails the
 *	run (DATA): skipped, its domain would be taken as gone.  Only a lone
 *	"*" (every domain, which rcptsync never relays) is skipped and
 *	reported in the list (acceptdom_skip), for the caller to warn about.
 *	An object the search perhaps sent already (search.c's "again": a
 *	hit on its DN's fingerprint) first drops what an earlier copy of
 *	that very DN left in the list (compared exactly: another DN with
 *	the same fingerprint drops nothing), so the last copy counts and a
 *	skip is reported once.
 *	An access refusal on the Configuration naming context is AUTH, and
 *	says that the account may not read it (not that the bind failed).
 *
 *	An account that may not read the organisation sees no objects at
 *	all rather than an error: an empty answer is refused, never taken
 *	for "no domains" (that would reject all mail, or publish an empty
 *	relay_domains).
 * OWNERSHIP
 *	Appends to the caller's list.
 * DIAGNOSTICS
 *	sync_err; skipped objects in the list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "proxyaddr.h"
#include "session.h"
#include "search.h"
#include "accepted.h"

#define CLASS_FILTER "(objectClass=msExchAcceptedDomain)"
#define NAME_ATTR "msExchAcceptedDomainName"
#define FLAGS_ATTR "msExchAcceptedDomainFlags"
/* More accepted domains than any organisation has (Exchange Online
 * allows 5,000 per tenant): a server that sends more is refused. */
#define ACCEPTED_MAX 100000
#define SHOWN 320 /* a DN from the server, escaped */

struct reader {
	struct acceptdom_list *out;
	const char *server;
	size_t added, seen;
};

/*
 * unreadable - an object whose value cannot be read fails the run (DATA):
 * skipped, the domain would be taken as gone (its mail 554), and an
 * object a tool broke or a type a later Exchange adds is no reason to
 * stop relaying a domain.  N and FL: its name and flags (val NULL: none).
 */
static int
unreadable(const struct ldapsync_entry *e, const struct ldapsync_value *n,
	   const struct ldapsync_value *fl, const char *why,
	   struct sync_err *err)
{
	const char *name = n->val, *flags = fl->val;
	char dn[200], value[120], f[40];

	proxyaddr_escape(e->dn, strlen(e->dn), dn, sizeof(dn));
	if (name != NULL)
		proxyaddr_escape(name, n->len, value, sizeof(value));
	if (flags != NULL)
		proxyaddr_escape(flags, fl->len, f, sizeof(f));
	return sync_err_set(err, SYNC_ERR_DATA,
			    "domains: exchange: accepted domain object %s: it "
			    "%s (" NAME_ATTR " %s%s%s, " FLAGS_ATTR
			    " %s%s%s); a domain that cannot be read is not "
			    "taken as gone: nothing was written",
			    dn, why, name ? "\"" : "", name ? value : "none",
			    name ? "\"" : "", flags ? "\"" : "",
			    flags ? f : "none", flags ? "\"" : "");
}

/* one_object - an msExchAcceptedDomain entry into the list */
static int
one_object(void *ctx, const struct ldapsync_entry *e, struct sync_err *err)
{
	struct reader *r = ctx;
	struct acceptdom d;
	size_t n_names, len, flags_len, n_flags;
	char *name = ldapsync_entry_value(e, NAME_ATTR, &len, &n_names);
	char *flags = ldapsync_entry_value(e, FLAGS_ATTR, &flags_len, &n_flags);
	const char *why = NULL;
	int rc = -1, ret = 0;

	if (++r->seen > ACCEPTED_MAX) {
		free(name);
		free(flags);
		return sync_err_set(err, SYNC_ERR_DATA,
				    "%s sent more than %d accepted domains",
				    r->server, ACCEPTED_MAX);
	}
	if (e->again) /* the last copy wins (the list is short) */
		r->added -= acceptdom_forget(r->out, e->dn);
	if (name == NULL)
		why = "has no " NAME_ATTR;
	else if (n_names > 1)
		why = "has more than one " NAME_ATTR;
	else if (n_flags > 1)
		why = "has more than one " FLAGS_ATTR;
	else if (flags != NULL && strlen(flags) != flags_len)
		why = "has msExchAcceptedDomainFlags that are not a number";
	else
		rc = acceptdom_parse(name, len, flags, e->dn, &d, &why);
	if (rc == 0) {
		acceptdom_add(r->out, &d);
		r->added++;
	} else if (rc == ACCEPTDOM_REFUSED) {
		acceptdom_skip(r->out, e->dn, name, why); /* reported */
	} else {
		ret = unreadable(e, &(struct ldapsync_value){name, len},
				 &(struct ldapsync_value){flags, flags_len},
				 why, err);
	}
	free(name);
	free(flags);
	return ret;
}

/*
 * refused - AD answers an account that may not read the Configuration
 * naming context with insufficientAccessRights, or with noSuchObject
 * where it may not even see the base (whose DN came from the rootDSE, so
 * it is no typo): a matter of the account's rights, not of the bind or
 * the configuration (exit 77, README "Exit codes")
 */
static int
refused(struct ldapsync_session *s, const char *config, struct sync_err *err)
{
	char shown[SHOWN], detail[SYNC_ERR_MSG_MAX];

	snprintf(detail, sizeof(detail), "%s", err->msg);
	sync_err_set(
		err, SYNC_ERR_AUTH,
		"domains: exchange: the account may not read the "
		"accepted domains under %s on %s (the bind succeeded): "
		"%s",
		proxyaddr_escape(config, strlen(config), shown, sizeof(shown)),
		s->stats->server, detail);
	return sync_err_hint(err,
			     "grant the bind account read access to "
			     "CN=Microsoft Exchange,CN=Services in the "
			     "Configuration naming context (Exchange's default "
			     "lets Authenticated Users read it), or list the "
			     "domains in sync.yaml (domains: [...])");
}

/* accepted_read - see accepted.h */
int
accepted_read(struct ldapsync_session *s, struct acceptdom_list *out,
	      struct sync_err *err)
{
	char *attrs[] = {NAME_ATTR, FLAGS_ATTR, NULL};
	struct reader r = {out, s->stats->server, 0, 0};
	struct ldapsync_query q = {0};
	char *config = NULL;
	int ret;

	if (session_read_one(s,
			     &(struct session_read){
				     "", LDAP_SCOPE_BASE, "(objectClass=*)",
				     "configurationNamingContext"},
			     &config, err) < 0)
		return -1;
	if (config == NULL)
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "domains: exchange: the rootDSE of %s "
				    "names no configurationNamingContext; is "
				    "it an Active Directory DC?",
				    s->stats->server);
	q.base = config;
	q.filter = CLASS_FILTER;
	q.attrs = attrs;
	s->last_result = 0;
	ret = ldapsync_search(s, &q, one_object, &r, err);
	if (ret < 0 && (s->last_result == LDAP_INSUFFICIENT_ACCESS ||
			s->last_result == LDAP_NO_SUCH_OBJECT))
		ret = refused(s, config, err);
	else if (ret == 0 && r.added == 0) {
		char shown[SHOWN];
		int gc = s->conf->global_catalog ||
			 ldapsync_uri_is_gc(s->stats->server);

		ret = sync_err_set(
			err, SYNC_ERR_DATA,
			"domains: exchange: %s shows no usable accepted domain "
			"under %s (%zu objects " CLASS_FILTER "); %s Nothing "
			"was written",
			s->stats->server,
			proxyaddr_escape(config, strlen(config), shown,
					 sizeof(shown)),
			r.seen,
			gc ? "a Global Catalog port may not serve them: use "
			     "the DC's port 389 or 636."
			   : "can the account read CN=Microsoft "
			     "Exchange,CN=Services there?");
	}
	free(config);
	return ret < 0 ? -1 : (int)r.added;
}
