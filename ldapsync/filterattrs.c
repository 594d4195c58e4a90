/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	filterattrs - the attributes an LDAP filter tests
 * DESCRIPTION
 *	An RFC 4515 filter string has an attribute description right after
 *	every "(" that does not open "&", "|" or "!": up to the first of
 *	"=~<>:" (":" starts an extensible match's ":dn" or rule).  Values
 *	cannot hold a bare "(" (it is written \28), so the scan needs no
 *	parser; a malformed filter is the server's to refuse.
 * OWNERSHIP
 *	The list and its names belong to the caller (filterattrs_free).
 * DIAGNOSTICS
 *	None.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"
#include "filterattrs.h"

void
filterattrs_add_one(char ***list, size_t *n, const char *name, size_t len)
{
	if (len == 0)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strlen((*list)[i]) == len &&
		    strncasecmp((*list)[i], name, len) == 0)
			return;
	*list = xreallocarray(*list, *n + 2, sizeof(**list));
	(*list)[(*n)++] = xstrndup(name, len);
	(*list)[*n] = NULL;
}

void
filterattrs_add(char ***list, size_t *n, const char *filter)
{
	for (const char *p = strchr(filter, '('); p != NULL;
	     p = strchr(p, '(')) {
		size_t len;

		p++;
		while (*p == ' ')
			p++;
		if (*p == '&' || *p == '|' || *p == '!' || *p == '(')
			continue;
		len = strcspn(p, "=~<>:;()");
		filterattrs_add_one(list, n, p, len);
		p += len;
	}
}

void
filterattrs_free(char **list)
{
	if (list == NULL)
		return;
	for (char **p = list; *p != NULL; p++)
		free(*p);
	free(list);
}
