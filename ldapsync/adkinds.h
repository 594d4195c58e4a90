/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_ADKINDS_H
#define RCPTSYNC_ADKINDS_H

/* A kind of mail-enabled Active Directory object that rcptsync reads. */
struct adkind {
	const char *name;	  /* as written in include: "users" */
	const char *object_class; /* its objectClass: "user" */
};

#define ADKINDS_COUNT 5

/* adkinds - every kind, in the order of the default filter */
extern const struct adkind adkinds[ADKINDS_COUNT];

/* A set of kinds: (1 << i) stands for adkinds[i]. */
#define ADKINDS_ALL ((1u << ADKINDS_COUNT) - 1)

/*
 * adkinds_filter - the search filter for the set KINDS:
 *	"(&(proxyAddresses=smtp:*)(|(objectClass=...)...))", one term per
 *	kind in the table's order.  ADKINDS_ALL gives the default filter.
 *	The caller frees the result with free().
 */
char *adkinds_filter(unsigned kinds);

#endif
