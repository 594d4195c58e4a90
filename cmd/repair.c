/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	repair - the verify-cache step of a sync, and what to tell the admin
 * DESCRIPTION
 *	mapwriter/verifycache.c does the purge; this decides which
 *	addresses to purge (the ones added now plus those an earlier run
 *	could not do; an "@domain" key added, a domain that became a relay
 *	domain, purges every address of that domain), logs each deletion,
 *	and when Postfix holds the lock
 *	prints the exact commands that do it with Postfix stopped.  The
 *	addresses owed are kept in the state file, so every later run (also
 *	one with no change) tries again, and "status" reports them.
 * OWNERSHIP
 *	Borrows the sets; owns only its temporary target set.
 * DIAGNOSTICS
 *	Warnings only: a purge that cannot be done does not fail the sync.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "maptype.h"
#include "repair.h"
#include "verifycache.h"

#define COMMANDS_MAX 20 /* print at most this many postmap lines */

/* report_deleted - verifycache_fn: one line per stale entry removed */
static void
report_deleted(void *ctx, const char *key, const char *value)
{
	(void)ctx;
	/* KEY matched a validated address, so it is printable; the value's
	 * status is the digits before the first ':'. */
	log_info("verify cache: deleted stale entry %s (status %.*s)", key,
		 (int)strcspn(value, ":"), value);
}

/* shell_quote - 'ADDR' for a POSIX shell; addresses may hold ' $ ` & */
static const char *
shell_quote(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	buf[o++] = '\'';
	for (; *s != '\0' && o + 5 < size; s++) {
		if (*s == '\'') {
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else {
			buf[o++] = *s;
		}
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

/* tell_commands - what the admin can run now, with Postfix stopped */
static void
tell_commands(const struct sync_conf *conf, const struct addrset *targets)
{
	const char *type = mapdb_type_name(conf->verify_cache_type);
	size_t n = addrset_count(targets);
	char quoted[600];

	log_warn("verify cache: rcptsync tries again at every run; to purge "
		 "now, as root (-f: exactly this spelling; rcptsync's own "
		 "purge also catches other letter cases):");
	log_warn("  postfix stop");
	for (size_t i = 0; i < n && i < COMMANDS_MAX; i++) {
		const char *key = addrset_get(targets, i)->key;

		shell_quote(key, quoted, sizeof(quoted));
		if (key[0] != '@') {
			log_warn("  postmap -f -d %s %s:%s", quoted, type,
				 conf->verify_cache);
			continue;
		}
		/* "@domain": every negative entry of the domain, in any
		 * letter case (postmap -s prints "key<TAB>value") */
		log_warn("  postmap -s %s:%s | awk -v d=%s 'length($1) > "
			 "length(d) && tolower(substr($1, length($1) - "
			 "length(d) + 1)) == d && $2 !~ /^0:/ {print $1}' | "
			 "while read -r k; do postmap -f -d \"$k\" %s:%s; "
			 "done",
			 type, conf->verify_cache, quoted, type,
			 conf->verify_cache);
	}
	if (n > COMMANDS_MAX)
		log_warn("  ... and %zu more (rcptsync status lists them)",
			 n - COMMANDS_MAX);
	log_warn("  postfix start");
}

/* repair_owed_in - see repair.h */
struct addrset *
repair_owed_in(const struct sync_state *st, const struct addrset *set)
{
	struct addrset *owed = addrset_new();

	for (size_t i = 0; set != NULL && i < st->n_verify_purge; i++)
		if (addrset_find(set, st->verify_purge[i]) != NULL)
			addrset_add(owed, st->verify_purge[i],
				    strlen(st->verify_purge[i]), "OK", "owed");
	addrset_finish(owed);
	return owed;
}

/* add_keys - every key of SET (or none: NULL) to TARGETS, with ORIGIN */
static void
add_keys(struct addrset *targets, const struct addrset *set, const char *origin)
{
	for (size_t i = 0; set != NULL && i < addrset_count(set); i++) {
		const char *key = addrset_get(set, i)->key;

		addrset_add(targets, key, strlen(key), "OK", origin);
	}
}

/* repair_verify_cache - purge, or remember and tell */
void
repair_verify_cache(const struct sync_conf *conf, const struct addrset *added,
		    const struct addrset *owed, struct sync_state *st)
{
	struct verifycache_conf vc = {conf->verify_cache,
				      conf->verify_cache_type,
				      conf->verify_delimiters};
	struct verifycache_result res;
	struct sync_err err = {0};
	struct addrset *targets;
	size_t n;

	if (conf->verify_cache == NULL)
		return;
	targets = addrset_new();
	add_keys(targets, added, "added");
	/* owed from earlier runs, unless the address has gone again */
	add_keys(targets, owed, "owed");
	addrset_finish(targets);
	state_clear_verify_purge(st);
	if ((n = addrset_count(targets)) == 0) {
		addrset_free(targets);
		return;
	}
	if (verifycache_purge(&vc, targets, report_deleted, NULL, &res, &err) ==
	    0) {
		log_info("verify cache %s:%s: %zu stale negative entr%s "
			 "deleted for %zu added address%s (%zu entries read)",
			 mapdb_type_name(vc.type), vc.path, res.purged,
			 res.purged == 1 ? "y" : "ies", n, n == 1 ? "" : "es",
			 res.scanned);
		addrset_free(targets);
		return;
	}
	log_warn("verify cache %s:%s not purged: %s; %zu added address%s may "
		 "still be rejected by reject_unverified_recipient",
		 mapdb_type_name(vc.type), vc.path, err.msg, n,
		 n == 1 ? "" : "es");
	for (size_t i = 0; i < n; i++)
		state_add_verify_purge(st, addrset_get(targets, i)->key);
	/* Only a cache verify(8) keeps locked needs Postfix stopped. */
	if (err.kind == SYNC_ERR_TEMP &&
	    !(maptype_get(vc.type)->flags & MAPTYPE_VERIFY_ONLINE))
		tell_commands(conf, targets);
	addrset_free(targets);
}
