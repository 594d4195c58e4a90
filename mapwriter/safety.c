/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	safety - refuse suspicious shrinkage of the recipient table
 * DESCRIPTION
 *	A directory that answers with a partial view (a wrong base, a
 *	filter typo, a half-restored DC) would otherwise make the gateway
 *	reject real recipients.  Two limits: how many keys one run may
 *	remove (a count or a share of the current table) and how few keys
 *	a table may have.  "--force" skips the check for one run; that is
 *	the caller's decision.
 * OWNERSHIP
 *	Pure.
 * DIAGNOSTICS
 *	A DATA sync_err that names the numbers and the limit.
 */
#include <string.h>

#include "addrset.h"
#include "safety.h"

/* safety_check - the recipient table */
int
safety_check(const struct safety_limits *limits, int old_exists,
	     size_t old_count, size_t new_count, size_t removed,
	     struct sync_err *err)
{
	struct safety_change c = {"recipients", old_exists, old_count,
				  new_count, removed};

	return safety_check_of(limits, &c, err);
}

/* safety_check_of - apply both limits to a table of C->what */
int
safety_check_of(const struct safety_limits *limits,
		const struct safety_change *c, struct sync_err *err)
{
	const char *what = c->what;
	int old_exists = c->old_exists;
	size_t old_count = c->old_count, new_count = c->new_count,
	       removed = c->removed;

	if ((long long)new_count < (long long)limits->min_recipients)
		return sync_err_set(err, SYNC_ERR_DATA,
				    "refusing to write %zu %s: fewer "
				    "than safety.min_recipients (%ld); use "
				    "--force once if this is intended",
				    new_count, what, limits->min_recipients);
	if (!old_exists || removed == 0)
		return 0;
	if (limits->max_removed_pct >= 0) {
		double share =
			old_count ? 100.0 * (double)removed / (double)old_count
				  : 100.0;

		if (share > limits->max_removed_pct)
			return sync_err_set(err, SYNC_ERR_DATA,
					    "refusing to remove %zu of %zu "
					    "%s (%.1f%%): over "
					    "safety.max_removed (%g%%); use "
					    "--force once if this is intended",
					    removed, old_count, what, share,
					    limits->max_removed_pct);
		return 0;
	}
	if ((long long)removed > (long long)limits->max_removed)
		return sync_err_set(
			err, SYNC_ERR_DATA,
			"refusing to remove %zu of %zu %s: "
			"over safety.max_removed (%ld); use --force "
			"once if this is intended",
			removed, old_count, what, limits->max_removed);
	return 0;
}

/* safety_canaries - known addresses in, known non-addresses out */
int
safety_canaries(char *const *must, size_t n_must, char *const *must_not,
		size_t n_must_not, const struct addrset *set,
		struct sync_err *err)
{
	for (size_t i = 0; i < n_must; i++)
		if (addrset_find(set, must[i]) == NULL)
			return sync_err_set(err, SYNC_ERR_DATA,
					    "refusing to write: canary %s "
					    "(safety.must_exist) is missing "
					    "from the result",
					    must[i]);
	for (size_t i = 0; i < n_must_not; i++) {
		const char *at = strrchr(must_not[i], '@');

		if (addrset_find(set, must_not[i]) != NULL)
			return sync_err_set(err, SYNC_ERR_DATA,
					    "refusing to write: %s "
					    "(safety.must_not_exist) is in "
					    "the result",
					    must_not[i]);
		/* Postfix would accept it through its domain's wild-card
		 * (doc/postfix-maps.md): "@domain" (a relay domain, or the
		 * extra file) */
		if (at != NULL && at != must_not[i] &&
		    addrset_find(set, at) != NULL)
			return sync_err_set(err, SYNC_ERR_DATA,
					    "refusing to write: %s "
					    "(safety.must_not_exist) would be "
					    "accepted through %s in the result",
					    must_not[i], at);
	}
	return 0;
}
