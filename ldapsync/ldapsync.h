/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_LDAPSYNC_H
#define RCPTSYNC_LDAPSYNC_H

#include <stddef.h>

#include "acceptdom.h"
#include "source.h"
#include "syncerr.h"

enum ldapsync_bind {
	LDAPSYNC_BIND_SIMPLE,	/* DN, user@domain or DOMAIN\\user + password */
	LDAPSYNC_BIND_NONE,	/* anonymous */
	LDAPSYNC_BIND_GSSAPI,	/* Kerberos with a keytab (SASL GSSAPI) */
	LDAPSYNC_BIND_EXTERNAL, /* TLS client certificate (SASL EXTERNAL) */
};

/* The "source.ldap" part of sync.yaml; strings owned by the caller. */
struct ldapsync_conf {
	char **uris; /* tried in order */
	size_t n_uris;
	char *domain; /* instead of uris: the DCs from DNS (dcfind.h) */
	char *site;   /* with domain: this AD site's DCs first */
	char **bases; /* each searched, subtree */
	size_t n_bases;
	char *filter;	 /* default: adkinds_filter(ADKINDS_ALL) */
	int page_size;	 /* Simple Paged Results page size */
	int timeout;	 /* seconds: connect and each operation */
	int starttls;	 /* ldap:// must upgrade with StartTLS */
	char *ca_file;	 /* NULL: the system trust store */
	int verify;	 /* verify the server certificate and name */
	char *cert_file; /* TLS client certificate (EXTERNAL), or NULL */
	char *key_file;	 /* its private key, a secret file */
	int bind_method; /* enum ldapsync_bind */
	char *bind_dn;
	char *password_file;
	char *keytab;	    /* GSSAPI: the service account's keytab */
	char *principal;    /* GSSAPI: e.g. svc-rcptsync@CORP.EXAMPLE */
	int range_size;	    /* ask for proxyAddresses in chunks of this many
			       values (0: as the server decides) */
	int global_catalog; /* search the GC: check proxyAddresses is in
			       the partial attribute set first */
	int incremental;    /* enum ldapsync_incremental (incremental.h) */
	long full_every;    /* seconds between full pulls (incremental) */
	int deletions;	    /* enum ldapsync_deletions (incremental.h) */
	/* not from source.ldap: the run's deadline (top-level "deadline"),
	 * set by the caller when the run starts */
	double deadline;       /* CLOCK_MONOTONIC seconds; 0: none */
	long deadline_seconds; /* as configured, for the message */
	/* not from source.ldap: with domain, the DC to try first when it is
	 * among the best-priority records (dcfind_prefer): the one the
	 * incremental cache was taken from, set by incremental.c; NULL:
	 * none */
	const char *prefer_dc;
	/* not from source.ldap: this directory's servers that did not
	 * answer an earlier open of this run, tried after the others
	 * (unanswered.h); set by the caller; NULL: none kept */
	struct ldapsync_unanswered *unanswered;
};

/* A connection to one directory server, bound (session.c). */
struct ldapsync_session;

/*
 * ldapsync_open - connect to the first URI that connects and binds (TLS
 *	verified unless tls.verify is false), check a Global Catalog's
 *	partial attribute set, and fill STATS's server, bound_as and
 *	skipped.  With conf->domain the URIs are the DCs found in DNS
 *	(dcfind.h), in the order RFC 2782 gives, and STATS's dns says what
 *	was found.  Returns 0 with *OUT, or -1 with an error: UNAVAILABLE
 *	(no server could be used, no DC found in DNS), TEMP (a timeout),
 *	AUTH (bind refused, unsafe password file), CONFIG (bad URI, CA
 *	file, plain-text simple bind, proxyAddresses not in the Global
 *	Catalog).  A refused bind's error carries a hint when AD's
 *	diagnostic is known (adhint.h).  The session owns SIGALRM until
 *	ldapsync_close().
 */
int ldapsync_open(const struct ldapsync_conf *conf, struct source_stats *stats,
		  struct ldapsync_session **out, struct sync_err *err)
	__attribute__((warn_unused_result));

/* ldapsync_close - unbind and free; NULL is ok */
void ldapsync_close(struct ldapsync_session *s);

/*
 * ldapsync_fetch - a full pull: open, search every base with paged
 *	results and complete ranged values (search.h), pass every
 *	proxyAddresses value to FN, close.  Either every entry was
 *	delivered and 0 is returned, or -1 with an error; the caller must
 *	then throw away what FN collected.  Kinds: those of ldapsync_open,
 *	TEMP (timeout, connection lost, the run's deadline, a server that
 *	repeats itself), CONFIG (bad base or filter), DATA (the server
 *	truncated the result).  STATS is filled as far as the fetch got.
 *	ACCEPTED (unless NULL): Exchange's accepted domains are appended to
 *	it first, over the same session (accepted.h; DATA when none).
 */
int ldapsync_fetch(const struct ldapsync_conf *conf,
		   struct acceptdom_list *accepted, source_value_fn fn,
		   void *ctx, struct source_stats *stats, struct sync_err *err)
	__attribute__((warn_unused_result));

/* ldapsync_uri_is_plain - ldap:// (not ldaps://, not ldapi://)? */
int ldapsync_uri_is_plain(const char *uri);

/* ldapsync_uri_is_gc - a Global Catalog port (3268, 3269)? */
int ldapsync_uri_is_gc(const char *uri);

#endif
