/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_PFCONF_H
#define RCPTSYNC_PFCONF_H

#include "smtpaddr.h"
#include "syncerr.h"

/* The Postfix settings that decide smtpd's answer to a RCPT TO. */
struct pfconf {
	char *dir; /* the configuration read, or NULL: Postfix's defaults */
	char *recipient_delimiter;   /* "" when unset */
	int parent_relay;	     /* parent_domain_matches_subdomains has
				      * relay_domains */
	int allow_untrusted_routing; /* allow_untrusted_routing */
	/* the code smtpd gives an unauthorised destination: 554 from
	 * reject_unauth_destination, 454 from defer_unauth_destination,
	 * whichever smtpd_relay_restrictions / smtpd_recipient_restrictions
	 * reach first for a client outside mynetworks */
	int relay_code;
	const char *relay_rule; /* the restriction that gives relay_code */
	char *myorigin;
	char *myhostname;
	char **local; /* mydestination names, [inet_interfaces] */
	struct smtpaddr_settings addr;
};

/*
 * pfconf_load - read the settings with "postconf -x -h", from DIR when not
 *	NULL ("postconf -c DIR"), else where postconf looks (MAIL_CONFIG, or
 *	its default directory).  Without a main.cf there, Postfix's defaults
 *	("postconf -d").  Returns 0, or -1 with a CONFIG error (postconf
 *	missing or failing).  pfconf_free() releases PC.
 */
int pfconf_load(struct pfconf *pc, const char *dir, struct sync_err *err)
	__attribute__((warn_unused_result));

/* pfconf_free - release PC; a zeroed PC is fine */
void pfconf_free(struct pfconf *pc);

#endif
