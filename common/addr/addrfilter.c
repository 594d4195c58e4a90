/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	addrfilter - the "domains" and "exclude" rules of sync.yaml
 * DESCRIPTION
 *	Applied to normalised keys, in that order, before the "extra" file
 *	is merged (doc/postfix-maps.md, "Normalisation rules").  A gateway
 *	must list only the domains it relays for: an address in another
 *	domain would never be looked up, and keeping it only hides typos.
 * OWNERSHIP
 *	Pure; reads caller memory.
 * DIAGNOSTICS
 *	None.
 */
#include <fnmatch.h>
#include <string.h>

#include "addrfilter.h"

/* domain_matches - one "domains" entry against the address's domain */
static int
domain_matches(const char *rule, const char *domain)
{
	size_t lr, ld;

	if (rule[0] != '.')
		return strcmp(rule, domain) == 0;
	if (strcmp(rule + 1, domain) == 0)
		return 1;
	lr = strlen(rule);
	ld = strlen(domain);
	return ld > lr && strcmp(domain + ld - lr, rule) == 0;
}

/* addrfilter_domain_kept - any rule matches, or no rules */
int
addrfilter_domain_kept(char *const *domains, size_t n, const char *key)
{
	const char *at = strrchr(key, '@');

	if (n == 0)
		return 1;
	if (at == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (domain_matches(domains[i], at + 1))
			return 1;
	return 0;
}

/* addrfilter_excluded - the first pattern that matches */
const char *
addrfilter_excluded(char *const *patterns, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(patterns[i], key, 0) == 0)
			return patterns[i];
	return NULL;
}
