/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	adkinds - the kinds of AD object that receive mail, and the search
 *	filter for a set of them
 * DESCRIPTION
 *	One table: the name sync.yaml's source.ldap.include uses for a
 *	kind, and the objectClass that selects it.  The default filter
 *	(no filter or include in sync.yaml) is the one for every kind;
 *	sync.yaml.example spells it out.  Shared and room mailboxes are
 *	(disabled) users: userAccountControl is not tested.
 * OWNERSHIP
 *	adkinds_filter() returns memory the caller frees.
 * DIAGNOSTICS
 *	None; allocation failure is fatal (xalloc).
 * SEE ALSO
 *	MS-ADSC (the classes), config_ldap.c (include).
 */
#include <string.h>

#include "xalloc.h"
#include "adkinds.h"

#define FILTER_HEAD "(&(proxyAddresses=smtp:*)(|"
#define FILTER_TAIL "))"
#define CLASS_HEAD "(objectClass="
#define CLASS_TAIL ")"

const struct adkind adkinds[ADKINDS_COUNT] = {
	{"users", "user"},
	{"groups", "group"},
	{"contacts", "contact"},
	{"public_folders", "publicFolder"},
	{"dynamic_lists", "msExchDynamicDistributionList"},
};

/* adkinds_filter - the filter's head, a term per kind in KINDS, its tail */
char *
adkinds_filter(unsigned kinds)
{
	size_t size = sizeof(FILTER_HEAD FILTER_TAIL);
	char *filter, *p;

	for (int i = 0; i < ADKINDS_COUNT; i++)
		if (kinds & (1u << i))
			size += strlen(CLASS_HEAD CLASS_TAIL) +
				strlen(adkinds[i].object_class);
	p = filter = xmalloc(size);
	p = stpcpy(p, FILTER_HEAD);
	for (int i = 0; i < ADKINDS_COUNT; i++) {
		if (!(kinds & (1u << i)))
			continue;
		p = stpcpy(p, CLASS_HEAD);
		p = stpcpy(p, adkinds[i].object_class);
		p = stpcpy(p, CLASS_TAIL);
	}
	stpcpy(p, FILTER_TAIL);
	return filter;
}
