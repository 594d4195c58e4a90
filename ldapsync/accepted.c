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
 *	An object whose value is not a domain is skipped and reported in
 *	the list (acceptdom_skip), for the caller to warn about.
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

	if (++r->seen > ACCEPTED_MAX) {
		free(name);
		free(flags);
		return sync_err_set(err, SYNC_ERR_DATA,
				    "%s sent more than %d accepted domains",
				    r->server, ACCEPTED_MAX);
	}
	if (name == NULL)
		why = "has no " NAME_ATTR;
	else if (n_names > 1)
		why = "has more than one " NAME_ATTR;
	else if (n_flags > 1)
		why = "has more than one " FLAGS_ATTR;
	else if (flags != NULL && strlen(flags) != flags_len)
		why = "has msExchAcceptedDomainFlags that are not a number";
	else if (acceptdom_parse(name, len, flags, e->dn, &d, &why) == 0)
		why = NULL;
	if (why != NULL) {
		acceptdom_skip(r->out, e->dn, name, why);
	} else {
		acceptdom_add(r->out, &d);
		r->added++;
	}
	free(name);
	free(flags);
	return 0;
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

	if (session_read_one(s, "", LDAP_SCOPE_BASE, "(objectClass=*)",
			     "configurationNamingContext", &config, err) < 0)
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
	ret = ldapsync_search(s, &q, one_object, &r, err);
	if (ret == 0 && r.added == 0) {
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
