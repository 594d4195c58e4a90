/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_ADDRFILTER_H
#define RCPTSYNC_ADDRFILTER_H

#include <stddef.h>

/*
 * addrfilter_domain_kept - does the normalised address KEY belong to one
 *	of DOMAINS?  "corp.example" keeps that domain; ".corp.example" keeps
 *	it and every subdomain.  N == 0 keeps everything.  Returns 1 or 0.
 */
int addrfilter_domain_kept(char *const *domains, size_t n, const char *key);

/*
 * addrfilter_excluded - the first of the fnmatch(3) PATTERNS (lower case,
 *	as KEY is) that KEY matches, or NULL.
 */
const char *addrfilter_excluded(char *const *patterns, size_t n,
				const char *key);

#endif
