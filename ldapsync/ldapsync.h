/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_LDAPSYNC_H
#define RCPTSYNC_LDAPSYNC_H

#include <stddef.h>

#include "source.h"
#include "syncerr.h"

enum ldapsync_bind {
	LDAPSYNC_BIND_SIMPLE,	/* DN, user@domain or DOMAIN\\user + password */
	LDAPSYNC_BIND_NONE,	/* anonymous */
	LDAPSYNC_BIND_GSSAPI,	/* Kerberos with a keytab (SASL GSSAPI) */
	LDAPSYNC_BIND_EXTERNAL, /* TLS client certificate (SASL EXTERNAL) */
};

#define LDAPSYNC_DEFAULT_FILTER                                            \
	"(&(proxyAddresses=smtp:*)(|(objectClass=user)(objectClass=group)" \
	"(objectClass=contact)(objectClass=publicFolder)"                  \
	"(objectClass=msExchDynamicDistributionList)))"

/* The "source.ldap" part of sync.yaml; strings owned by the caller. */
struct ldapsync_conf {
	char **uris; /* tried in order */
	size_t n_uris;
	char **bases; /* each searched, subtree */
	size_t n_bases;
	char *filter;
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
};

/*
 * ldapsync_fetch - connect to the first URI that connects and binds,
 *	search every base with paged results, complete ranged values, and
 *	pass every proxyAddresses value to FN.  Either every entry was
 *	delivered and 0 is returned, or -1 with an error; the caller must
 *	then throw away what FN collected.  Kinds: UNAVAILABLE (no server
 *	could be used), TEMP (timeout, connection lost mid-search), AUTH
 *	(bind refused, unsafe password file), CONFIG (bad base, filter, CA
 *	file, plain-text simple bind, proxyAddresses not in the Global
 *	Catalog), DATA (the server truncated the result).  A refused bind's
 *	error carries a hint when AD's diagnostic is known (adhint.h).
 *	STATS is filled as far as the fetch got.
 */
int ldapsync_fetch(const struct ldapsync_conf *conf, source_value_fn fn,
		   void *ctx, struct source_stats *stats, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * ldapsync_parse_range - read the range option of an attribute
 *	description such as "proxyAddresses;range=0-1499" (any option order
 *	and case; MS-ADTS 3.1.1.3.1.3.3).  Returns 0 without a range option;
 *	1 with one (*HIGH = -1 for "*", the last chunk); -1 when malformed.
 */
int ldapsync_parse_range(const char *desc, long *low, long *high);

/* ldapsync_uri_is_plain - ldap:// (not ldaps://, not ldapi://)? */
int ldapsync_uri_is_plain(const char *uri);

/* ldapsync_uri_is_gc - a Global Catalog port (3268, 3269)? */
int ldapsync_uri_is_gc(const char *uri);

#endif
