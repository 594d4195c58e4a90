/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_GRAPHTOKEN_H
#define RCPTSYNC_GRAPHTOKEN_H

#include "graph.h"
#include "graphhttp.h"
#include "syncerr.h"

/* The run's access token for Graph (client credentials); no GnuTLS or
 * jansson type leaves graphtoken.c. */
struct graphtoken;

/*
 * graphtoken_new - a token source for CONF (which must outlive it); no
 *	file is read and nothing is sent until graphtoken_get().  Free with
 *	graphtoken_free() (NULL ok), which wipes the secret and the token.
 */
struct graphtoken *graphtoken_new(const struct graph_conf *conf);
void graphtoken_free(struct graphtoken *t);

/*
 * graphtoken_get - the access token, in *BEARER (valid until the next
 *	call or graphtoken_free()): the one got earlier in this run, or a
 *	new one when there is none yet or RENEW is set (after a 401).
 *	Returns 0, or -1 with ERR: AUTH when the credential file is unsafe
 *	or unusable or the endpoint refuses the credentials (its error code
 *	and description, escaped), TEMP when it is throttled or down for
 *	now, UNAVAILABLE when it cannot be reached or answers nonsense.
 */
int graphtoken_get(struct graphtoken *t, struct graphhttp *h, int renew,
		   const char **bearer, struct sync_err *err)
	__attribute__((warn_unused_result));

/* graphtoken_credential - how the token is got, for "check" */
const char *graphtoken_credential(const struct graphtoken *t);

/*
 * graphtoken_base64url - LEN bytes of DATA as unpadded base64url (RFC
 *	4648 section 5), NUL-terminated.  The caller frees the result.
 */
char *graphtoken_base64url(const unsigned char *data, size_t len);

#endif
