/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cachefile - an incremental pull's cache on disk: where, and whether
 *	to continue it
 * DESCRIPTION
 *	Each directory's object cache (cacheformat.c: its format; cachescan.c:
 *	its two passes)
 *	lives next to the table: TABLE.rcptsync-cache, or
 *	TABLE.rcptsync-cache.N for the N-th directory of a list.  A cache is
 *	continued only when it was made with the same selection (a hash of
 *	the bases and the filter) and its last full pull is younger than
 *	full_every; else, or when it is missing or unreadable, the pull is
 *	a full one.
 *	Saving is not done here: a pull's new cache is owed until the run is
 *	accepted (incremental.c, struct incremental_commit).
 * OWNERSHIP
 *	cachefile_open's scan is the caller's.
 * DIAGNOSTICS
 *	A cache that cannot be read is a reason for a full pull, not an
 *	error.
 * SEE ALSO
 *	cachescan.c, incremental.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fnv.h"
#include "xalloc.h"
#include "cacheformat.h"
#include "cachescan.h"
#include "cachefile.h"

/* fnv_part - FNV-1a of PART (NULL: empty) into H, then a 0xff separator */
static unsigned long long
fnv_part(unsigned long long h, const char *part)
{
	static const unsigned char sep = 0xff;

	if (part != NULL)
		h = fnv1a_64(h, part, strlen(part));
	return fnv1a_64(h, &sep, 1);
}

/* cachefile_selection - what decides which objects and values are cached */
void
cachefile_selection(const struct ldapsync_conf *l, char *out, size_t size)
{
	unsigned long long h = FNV1A_64_SEED;

	/* every base, then the filter */
	for (size_t i = 0; i <= l->n_bases; i++)
		h = fnv_part(h, i < l->n_bases ? l->bases[i] : l->filter);
	snprintf(out, size, "%016llx", h);
}

/*
 * cachefile_account - who reads, and which view: another account may see
 * more or fewer objects (permissions), a Global Catalog (3268/3269) sees
 * the forest's partial attribute set; a cache made by one must not stand
 * for the other.  From the configuration: the bind method, DN, principal,
 * keytab and client certificate.  XXX A GSSAPI bind without principal
 * takes whatever the keytab or ticket cache holds; a different keytab
 * file is a change, a different first principal in the same one is not
 * seen here.
 */
void
cachefile_account(const struct ldapsync_conf *l, char *out, size_t size)
{
	unsigned long long h = FNV1A_64_SEED;
	int gc = l->global_catalog;
	char method[32];

	for (size_t i = 0; i < l->n_uris; i++)
		gc |= ldapsync_uri_is_gc(l->uris[i]);
	snprintf(method, sizeof(method), "bind method %d", l->bind_method);
	h = fnv_part(h, method);
	h = fnv_part(h, l->bind_dn);
	h = fnv_part(h, l->principal);
	h = fnv_part(h, l->keytab);
	h = fnv_part(h, l->cert_file);
	h = fnv_part(h, gc ? "global catalog" : "domain controller");
	snprintf(out, size, "%016llx", h);
}

/* cachefile_mark_config - MARK's selection and account, for L */
void
cachefile_mark_config(const struct ldapsync_conf *l, struct objcache_mark *mark)
{
	cachefile_selection(l, mark->config, sizeof(mark->config));
	cachefile_account(l, mark->account, sizeof(mark->account));
}

/* cachefile_path - TABLE.rcptsync-cache, or .N for the N-th of a list */
char *
cachefile_path(const char *table, size_t index)
{
	size_t len = strlen(table) + sizeof(".rcptsync-cache.") + 24;
	char *path = xmalloc(len);

	if (index > 0)
		snprintf(path, len, "%s.rcptsync-cache.%zu", table, index);
	else
		snprintf(path, len, "%s.rcptsync-cache", table);
	return path;
}

/* judge - may a pull for L continue from MARK?  1; or 0, WHY saying why not */
static int
judge(const struct ldapsync_conf *l, const struct objcache_mark *mark,
      char *why, size_t size)
{
	char hash[17], account[17];

	cachefile_selection(l, hash, sizeof(hash));
	cachefile_account(l, account, sizeof(account));
	if (strcmp(mark->config, hash) != 0) {
		snprintf(why, size, "base or filter changed");
	} else if (strcmp(mark->account, account) != 0) {
		snprintf(why, size, "%s",
			 mark->account[0] == '\0'
				 ? "the cache does not say which bind account "
				   "made it"
				 : "the bind account (method, DN, principal, "
				   "keytab or certificate) or the view (a "
				   "Global Catalog or not) changed");
	} else if (time(NULL) - mark->full_at >= l->full_every ||
		   time(NULL) < mark->full_at) {
		snprintf(why, size, "full_every (%lds) passed", l->full_every);
	} else {
		return 1;
	}
	return 0;
}

/*
 * cachefile_open - the cache's first pass, or why there is none to continue
 * from (and in PROBLEM, why an existing one could not be read)
 */
struct cachescan *
cachefile_open(const char *path, const struct ldapsync_conf *l,
	       struct objcache_mark *mark, struct cachefile_why *w)
{
	struct cachescan *cache = NULL;
	struct sync_err err = {0};
	int rc = cachescan_open(path, GUIDSET_KEY, &cache, mark, &err);

	w->problem[0] = '\0';
	if (rc < 0)
		snprintf(w->problem, sizeof(w->problem), "%s", err.msg);
	if (rc <= 0)
		snprintf(w->why, sizeof(w->why), "%s",
			 rc == 0 ? "no cache yet" : err.msg);
	else if (judge(l, mark, w->why, sizeof(w->why)))
		return cache;
	cachescan_free(cache);
	memset(mark, 0, sizeof(*mark));
	return NULL;
}

/* cachefile_mark - see cachefile.h */
int
cachefile_mark(const char *path, const struct ldapsync_conf *l,
	       struct objcache_mark *mark, char *why, size_t size)
{
	FILE *fp = fopen(path, "r");
	struct cachereader *r;
	struct sync_err err = {0};
	int rc;

	memset(mark, 0, sizeof(*mark));
	if (fp == NULL) {
		snprintf(why, size, "%s: %s", path, strerror(errno));
		return 0;
	}
	r = cachereader_new(fp, path, 1);
	rc = cachereader_header(r, mark, &err);
	cachereader_free(r);
	fclose(fp);
	if (rc < 0) {
		snprintf(why, size, "%s", err.msg);
		return 0;
	}
	return judge(l, mark, why, size);
}
