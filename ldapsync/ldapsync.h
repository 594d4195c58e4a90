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
	int incremental;    /* enum ldapsync_incremental */
	long full_every;    /* seconds between full pulls (incremental) */
	int deletions;	    /* enum ldapsync_deletions */
	/* not from source.ldap: the run's deadline (top-level "deadline"),
	 * set by the caller when the run starts */
	double deadline;       /* CLOCK_MONOTONIC seconds; 0: none */
	long deadline_seconds; /* as configured, for the message */
};

/* How an incremental pull learns of objects that left the selection. */
enum ldapsync_deletions {
	/* list the GUIDs of every qualifying object (objectGUID only):
	 * works for any account */
	LDAPSYNC_DELETIONS_LISTING,
	/* changed objects of the naming context and tombstones (show
	 * deleted): needs read access to CN=Deleted Objects */
	LDAPSYNC_DELETIONS_TOMBSTONES,
};

enum ldapsync_incremental {
	LDAPSYNC_INCR_NONE,
	LDAPSYNC_INCR_USNCHANGED,
	/* DirSync control (MS-ADTS 3.1.1.3.4.1.3): changed objects,
	 * tombstones included, in one search from a cookie; needs the
	 * "Replicating Directory Changes" right on the naming context */
	LDAPSYNC_INCR_DIRSYNC,
};

/* the largest DirSync cookie kept: its up-to-dateness vector holds
 * 24 bytes per DC that ever wrote to the domain */
#define LDAPSYNC_COOKIE_MAX 16384

/*
 * An incremental pull (uSNChanged polling, MS-ADTS 3.1.1.1.9): the caller
 * passes where the last pull of this DC ended; the fetch says where this
 * one began, and whether it could continue.  Objects are told apart by
 * objectGUID: before each entry's values stats->guid holds it.
 */
struct ldapsync_incr {
	/* in: the last pull, or NULL/empty dc for a full pull */
	const char *prior_dc;	      /* its dnsHostName */
	const char *prior_invocation; /* its invocationId, hex */
	unsigned long long prior_usn; /* its highestCommittedUSN */
	/* deletions: tombstones, and dirsync: called for every object
	 * changed since then, qualifying or not (deleted, moved, renamed):
	 * the caller drops it unless it came back in the search of the
	 * bases (not made when none of them is under a base).
	 * deletions: listing: called for every object that qualifies now:
	 * the caller drops every other */
	void (*changed)(void *ctx, const unsigned char *guid, size_t len);
	/* incremental: dirsync: the cookie the last pull ended with (the
	 * objects are then those DirSync reports, deletions included) */
	const unsigned char *prior_cookie;
	size_t prior_cookie_len;
	/* out */
	unsigned char cookie[LDAPSYNC_COOKIE_MAX]; /* dirsync: continue here */
	size_t cookie_len;
	char dc[256];
	char invocation[64];
	unsigned long long usn; /* read before the search began */
	int incremental;	/* 1: only changes were fetched */
	int unchanged;		/* 1: the DC's USN had not moved: nothing
				   was searched, nothing changed */
	char why_full[600];	/* when 0: why (for the log) */
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
 * ldapsync_fetch_incr - the same, with INCR (NULL: ldapsync_fetch): also
 *	read the DC's position first (rootDSE dnsHostName,
 *	highestCommittedUSN; invocationId of its dsServiceName), ask for
 *	objectGUID with every entry, and when the DC and its invocationId
 *	are those of the last pull, fetch only (uSNChanged>=USN+1) in the
 *	bases and report every changed object of the naming context,
 *	tombstones included (show-deleted control), through INCR->changed.
 *	incremental: dirsync learns the changed objects from a DirSync
 *	search of the naming context instead, from INCR->prior_cookie, and
 *	returns the next cookie; a full pull first asks for a cookie of
 *	"now" (a DirSync search that matches nothing).  A DirSync refused
 *	for lack of the replication right is an AUTH error with advice.
 */
int ldapsync_fetch_incr(const struct ldapsync_conf *conf,
			struct ldapsync_incr *incr, source_value_fn fn,
			void *ctx, struct source_stats *stats,
			struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * ldapsync_parse_range - read the range option of an attribute
 *	description such as "proxyAddresses;range=0-1499" (any option order
 *	and case; MS-ADTS 3.1.1.3.1.3.3).  Returns 0 without a range option;
 *	1 with one (*HIGH = -1 for "*", the last chunk); -1 when malformed.
 */
int ldapsync_parse_range(const char *desc, long *low, long *high);

/*
 * ldapsync_dirsync_attrs - the attributes a DirSync search asks for with
 *	FILTER: DirSync reports an object only when one of them changed
 *	(MS-ADTS 3.1.1.3.4.1.3), so every attribute whose change can change
 *	the table must be there.  A NULL-terminated list the caller frees
 *	with filterattrs_free().
 */
char **ldapsync_dirsync_attrs(const char *filter);

/* ldapsync_uri_is_plain - ldap:// (not ldaps://, not ldapi://)? */
int ldapsync_uri_is_plain(const char *uri);

/* ldapsync_uri_is_gc - a Global Catalog port (3268, 3269)? */
int ldapsync_uri_is_gc(const char *uri);

#endif
