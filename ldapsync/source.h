/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_SOURCE_H
#define RCPTSYNC_SOURCE_H

#include <stddef.h>

/*
 * What every directory source (LDAP, LDIF) hands to its caller: each raw
 * proxyAddresses value, with the DN of its entry.  DN and VAL are valid
 * only during the call; VAL may hold any byte, NUL included.  Return 0
 * to go on, -1 to stop the fetch (the source then fails with the error
 * the callback left in the caller's sync_err).
 */
typedef int (*source_value_fn)(void *ctx, const char *dn, const char *val,
			       size_t len);

/* Room for a DNS name (253 bytes, and the NUL), as found or looked up. */
#define SOURCE_DNS_NAME_MAX 256
/* SRV names looked up: two per directory (a site's, the domain's), and
 * room for a few directories in the run's totals (check) */
#define SOURCE_LOOKUPS_MAX 8
/* SRV records kept, in the order tried (dcfind.c); the rest are dropped. */
#define SOURCE_SRV_MAX 32

/* One SRV record (RFC 2782) of a DC, as DNS gave it. */
struct source_srv {
	char name[SOURCE_DNS_NAME_MAX];	  /* the name looked up */
	char target[SOURCE_DNS_NAME_MAX]; /* the DC's host name (LDH) */
	unsigned priority, weight, port;
};

/* One SRV lookup and what came of it. */
struct source_lookup {
	char name[SOURCE_DNS_NAME_MAX];
	char outcome[128]; /* "2 records", "no such name", ... */
	size_t found;	   /* usable records it gave */
};

/* What DC discovery (source.ldap.domain) found; n_lookups 0: none done. */
struct source_discovery {
	struct source_lookup lookups[SOURCE_LOOKUPS_MAX];
	size_t n_lookups;
	struct source_srv srv[SOURCE_SRV_MAX]; /* the DCs in the order tried */
	size_t n_srv;
	char ignored[256]; /* records not used, and why ("" if none) */
	char chosen[600];  /* why srv[0] is first (dcfind_prefer) */
	/* directories whose DC was kept, or chosen in RFC 2782 order (a
	 * run's totals add them up; one directory's: 1 and 0, or 0 and 1) */
	unsigned kept, anew;
};

/*
 * What protects the binds of a fetch (LDAP; a run adds up its
 * directories'), for "check": each count is of directories bound.
 */
struct source_protection {
	unsigned binds;	    /* directories bound (0: no LDAP bind) */
	unsigned tls;	    /* over TLS (ldaps:// or StartTLS) */
	unsigned signing;   /* with a SASL integrity layer only */
	unsigned sealing;   /* with a SASL confidentiality layer */
	unsigned cbinding;  /* GSSAPI inside TLS, tls-endpoint binding */
	unsigned cb_unable; /* GSSAPI inside TLS, but the SASL library
			       cannot send a binding: cb_why says why */
	char text[320];	    /* one directory's, as "check" prints it */
	char cb_why[200];
};

/* What a fetch saw; for "check", the log and "-v". */
struct source_stats {
	unsigned long entries;	  /* entries returned */
	unsigned long values;	  /* proxyAddresses values returned */
	unsigned long pages;	  /* paged-results pages (LDAP) */
	unsigned long references; /* continuation references skipped */
	unsigned long ranged;	  /* entries needing range retrieval */
	unsigned long serial;	  /* bumped before each entry's values:
				     tells a callback "new entry" without
				     a strcmp */
	/* the current entry was perhaps sent already in its search
	 * (ldapsync_entry's again) */
	int again;
	char server[256];   /* URI or file actually used */
	char bound_as[256]; /* how the bind went, for "check" */
	char skipped[512];  /* URIs that failed before SERVER, and why */
	struct source_discovery dns; /* the DCs found in DNS (domain:) */
	/* what protects the bind, for "check" */
	struct source_protection protection;
};

#endif
