/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	verifycache - purge stale "undeliverable" entries from Postfix's
 *	address verification cache
 * DESCRIPTION
 *	Sites with reject_unverified_recipient keep verify(8)'s verdicts in
 *	address_verify_map.  An address probed before it existed in AD is
 *	cached as undeliverable for hours (address_verify_negative_*), so
 *	it keeps being rejected after rcptsync published it.  For each
 *	address the sync added, this deletes the negative entries: value
 *	"status:probed:updated:text" with a status other than 0, under any
 *	letter case of the key (the cache stores keys as the client wrote
 *	them) and, with recipient_delimiter, with any extension.  A target
 *	"@domain" (a domain that became a relay domain: its key accepts
 *	every address in it) stands for all the addresses of that domain.
 *
 *	The map is opened, locked the way Postfix locks it and walked by the
 *	live edit of the type's row in maptype.c (mapdb_bdb.c: verify(8)'s
 *	flock, tried without waiting, TEMP when it is held; mapdb_lmdb.c:
 *	Postfix's per-access fcntl lock, online), so the edit is never torn;
 *	this file decides which entries go and reports them.  Never through
 *	proxy:btree, which deadlocks proxywrite (see doc/postfix-maps.md).
 *	A type without a live edit is refused.
 * OWNERSHIP
 *	The cache's descriptor never leaves this file; database handles
 *	never leave the backends.
 * DIAGNOSTICS
 *	TEMP when Postfix holds the lock, OUTPUT when the cache cannot be
 *	opened or changed.  Berkeley DB deletes one entry at a time, so an
 *	OUTPUT error part way leaves the earlier deletions done (each is
 *	harmless: a new probe); LMDB commits all or nothing.
 * SEE ALSO
 *	verify(8), ADDRESS_VERIFICATION_README, Postfix src/util/dict_cache.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ascii.h"
#include "xalloc.h"
#include "maptype_impl.h"
#include "verifycache.h"

#define KEY_MAX 512 /* longer keys are no address rcptsync writes */

/* verifycache_file - the file Postfix opens for the map */
const char *
verifycache_file(const struct verifycache_conf *conf, char *buf, size_t size)
{
	const char *suffix = maptype_get(conf->type)->suffix;

	snprintf(buf, size, "%s%s", conf->path, suffix != NULL ? suffix : "");
	return buf;
}

/* negative - the status field (before the first ':') is not "0" */
static int
negative(const char *value, size_t len)
{
	const char *colon = memchr(value, ':', len);

	if (colon == NULL || colon == value)
		return 0; /* not a cache entry: leave it alone */
	return !(colon - value == 1 && value[0] == '0');
}

/* verifycache_stale - negative, and for an address in TARGETS */
int
verifycache_stale(const char *key, size_t key_len, const char *value,
		  size_t value_len, const struct addrset *targets,
		  const char *delimiters)
{
	char folded[KEY_MAX + 1];
	char *at, *ext;

	if (key_len == 0 || key_len > KEY_MAX ||
	    memchr(key, '\0', key_len) != NULL || !negative(value, value_len))
		return 0;
	memcpy(folded, key, key_len);
	ascii_fold(folded, key_len);
	folded[key_len] = '\0';
	if (addrset_find(targets, folded) != NULL)
		return 1;
	if ((at = strrchr(folded, '@')) == NULL)
		return 0;
	/* "@domain": every address in the domain (one that became a relay
	 * domain: relay_recipient_maps now accepts all of it) */
	if (at != folded && addrset_find(targets, at) != NULL)
		return 1;
	if (delimiters == NULL || *delimiters == '\0')
		return 0;
	/* user+ext@domain is user@domain (Postfix splits at the first
	 * delimiter; one at the very start is no extension). */
	*at = '\0';
	ext = strpbrk(folded, delimiters);
	*at = '@';
	if (ext == NULL || ext == folded)
		return 0;
	memmove(ext, at, strlen(at) + 1);
	return addrset_find(targets, folded) != NULL;
}

/* A purge in progress: what it looks for, the deletions, kept until they
 * are committed, then reported. */
struct purge {
	const struct verifycache_conf *conf;
	const struct addrset *targets;
	struct verifycache_result *res;
	char **kv; /* key, value, key, value, ... */
	size_t n;
};

/* drop - mapdb_edit's drop: count the entry; stale or not */
static int
drop(void *ctx, const char *key, size_t key_len, const char *value,
     size_t value_len)
{
	struct purge *p = ctx;

	p->res->scanned++;
	return verifycache_stale(key, key_len, value, value_len, p->targets,
				 p->conf->delimiters);
}

/* dropped - mapdb_edit's dropped: keep a copy to report, count it */
static void
dropped(void *ctx, const char *key, size_t key_len, const char *value,
	size_t value_len)
{
	struct purge *p = ctx;

	p->kv = xreallocarray(p->kv, p->n + 2, sizeof(*p->kv));
	p->kv[p->n++] = xstrndup(key, key_len);
	p->kv[p->n++] = xstrndup(value, value_len);
	p->res->purged++;
}

/* deleted_free - the copies of the deletions */
static void
deleted_free(struct purge *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->kv[i]);
	free(p->kv);
	p->kv = NULL;
	p->n = 0;
}

/* forget - mapdb_edit's restart: nothing seen, nothing deleted */
static void
forget(void *ctx)
{
	struct purge *p = ctx;

	deleted_free(p);
	p->res->scanned = p->res->purged = 0;
}

/* verifycache_purge - open, lock the Postfix way, delete, report */
int
verifycache_purge(const struct verifycache_conf *conf,
		  const struct addrset *targets, verifycache_fn fn, void *ctx,
		  struct verifycache_result *res, struct sync_err *err)
{
	const struct maptype *m = maptype_get(conf->type);
	struct purge p = {conf, targets, res, NULL, 0};
	struct mapdb_edit edit = {drop, dropped, forget, &p};
	char file[4096];
	int fd, ret;

	memset(res, 0, sizeof(*res));
	if (m->edit == NULL)
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "verify_cache.type %s is not supported "
				    "by this rcptsync",
				    m->name);
	verifycache_file(conf, file, sizeof(file));
	if (addrset_count(targets) == 0)
		return 0;
	if ((fd = open(file, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return 0; /* no cache yet: nothing is stale */
		return sync_err_set(err, SYNC_ERR_OUTPUT, "cannot open %s: %s",
				    file, strerror(errno));
	}
	ret = m->edit(file, fd, &edit, err);
	close(fd); /* this drops a flock */
	for (size_t i = 0; i + 1 < p.n; i += 2)
		if (fn != NULL)
			fn(ctx, p.kv[i], p.kv[i + 1]);
	deleted_free(&p);
	return ret;
}
