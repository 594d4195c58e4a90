/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_LDAPSYNC_H
#define RCPTSYNC_LDAPSYNC_H

#include <stddef.h>

#include "source.h"
#include "syncerr.h"

enum ldapsync_bind {
	LDAPSYNC_BIND_SIMPLE,
	LDAPSYNC_BIND_NONE,
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
	int bind_method; /* enum ldapsync_bind */
	char *bind_dn;
	char *password_file;
};

/*
 * ldapsync_fetch - connect to the first URI that connects and binds,
 *	search every base with paged results, complete ranged values, and
 *	pass every proxyAddresses value to FN.  Either every entry was
 *	delivered and 0 is returned, or -1 with an error; the caller must
 *	then throw away what FN collected.  Kinds: UNAVAILABLE (no server
 *	could be used), TEMP (timeout, connection lost mid-search), AUTH
 *	(bind refused, unsafe password file), CONFIG (bad base, filter, CA
 *	file, plain-text simple bind), DATA (the server truncated the
 *	result).  STATS is filled as far as the fetch got.
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

#endif
