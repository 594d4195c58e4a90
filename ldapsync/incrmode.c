/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	incrmode - the one table of incremental modes
 * DESCRIPTION
 *	source.ldap.incremental: usnchanged with deletions: listing or
 *	tombstones, or dirsync: each is one row, with its change search,
 *	whether it reads tombstones and lists every object, its cookie, its
 *	distrust of changed containers, its fallback to a full pull, the
 *	words the summary uses and what the configuration refuses with it.
 *	incremental.c, changes.c and cmd/config_ldap.c read the row instead
 *	of asking which mode they are in; a new mode is a row and its
 *	change search (changes.c).
 * OWNERSHIP
 *	The table is static and read-only.
 * DIAGNOSTICS
 *	None: a configuration without a row is a bug (panic).
 * SEE ALSO
 *	changes.c, incremental.c; doc/active-directory.md, "Incremental
 *	pulls".
 */
#include <stddef.h>

#include "xalloc.h"
#include "changes.h"
#include "incrmode.h"

static const struct incrmode incrmodes[] = {
	{
		.incremental = LDAPSYNC_INCR_USNCHANGED,
		.deletions = LDAPSYNC_DELETIONS_LISTING,
		.name = "usnchanged, deletions: listing",
		.config_words = "deletions: listing",
		.changed_what = "listed",
		.pull_note = "",
		.flags = INCRMODE_LISTS_ALL,
		.changes = changes_listing,
	},
	{
		.incremental = LDAPSYNC_INCR_USNCHANGED,
		.deletions = LDAPSYNC_DELETIONS_TOMBSTONES,
		.name = "usnchanged, deletions: tombstones",
		.config_words = "deletions: tombstones",
		.changed_what = "changed in the domain",
		.pull_note = "",
		.flags = INCRMODE_TOMBSTONES | INCRMODE_CONTAINERS |
			 INCRMODE_ONE_DOMAIN,
		.changes = changes_tombstones,
	},
	{
		.incremental = LDAPSYNC_INCR_DIRSYNC,
		.deletions = -1,
		.name = "dirsync",
		.config_words = "incremental: dirsync",
		.no_deletions_why = "DirSync reports deletions itself",
		.changed_what = "reported by DirSync",
		.pull_note = " (DirSync)",
		.flags = INCRMODE_TOMBSTONES | INCRMODE_COOKIE |
			 INCRMODE_CONTAINERS | INCRMODE_ONE_DOMAIN,
		.changes = changes_dirsync,
		/* a cookie the DC will not take (damaged, or from before a
		 * restore), or an answer we cannot use: any doubt, a full
		 * pull */
		.fallback_kinds = (1 << SYNC_ERR_CONFIG) | (1 << SYNC_ERR_DATA),
		.fallback_why = "DirSync from the cached cookie failed",
	},
};

/* incrmode_get - the first row that matches L */
const struct incrmode *
incrmode_get(const struct ldapsync_conf *l)
{
	for (size_t i = 0; i < sizeof(incrmodes) / sizeof(incrmodes[0]); i++)
		if (incrmodes[i].incremental == l->incremental &&
		    (incrmodes[i].deletions < 0 ||
		     incrmodes[i].deletions == l->deletions))
			return &incrmodes[i];
	panic("incrmode_get: no mode for incremental %d, deletions %d",
	      l->incremental, l->deletions);
}
