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
	char server[256];	  /* URI or file actually used */
	char bound_as[256];	  /* how the bind went, for "check" */
	char skipped[512];	  /* URIs that failed before SERVER, and why */
};

#endif
