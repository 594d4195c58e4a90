/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_FILTERATTRS_H
#define RCPTSYNC_FILTERATTRS_H

/*
 * filterattrs_add - append to the NULL-terminated list *LIST (of *N
 *	names, grown with xreallocarray; names xstrdup'ed) every attribute
 *	named in the LDAP search FILTER (RFC 4515), without options, each
 *	once whatever its case.  Extensible matches without an attribute
 *	add nothing.  Used by DirSync, which reports an object only when a
 *	requested attribute changed: a change that makes an object leave
 *	or join the filter must be among them.
 */
void filterattrs_add(char ***list, size_t *n, const char *filter);

/* filterattrs_add_one - NAME, unless *LIST has it already */
void filterattrs_add_one(char ***list, size_t *n, const char *name, size_t len);

/* filterattrs_free - the names and the list */
void filterattrs_free(char **list);

#endif
