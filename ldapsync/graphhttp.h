/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_GRAPHHTTP_H
#define RCPTSYNC_GRAPHHTTP_H

#include <stddef.h>

#include "syncerr.h"

/* One HTTPS connection (kept open between requests) to the token and
 * Graph endpoints; no libcurl type leaves graphhttp.c. */
struct graphhttp;

/* What a server answered.  BODY is NUL-terminated (LEN bytes before the
 * NUL, which the body itself may also hold); owned by the reply. */
struct graphhttp_reply {
	long status; /* HTTP status */
	char *body;  /* never NULL after a request */
	size_t len;
	long retry_after;    /* Retry-After in seconds; -1: none */
	char location[2048]; /* Location header; "": none (or too long) */
};

/*
 * graphhttp_new - a connection that verifies servers against CA_FILE
 *	(NULL: the system store), gives up after TIMEOUT seconds without a
 *	byte (and to connect) and at DEADLINE (CLOCK_MONOTONIC), and refuses
 *	a body over BODY_MAX bytes.  Free with graphhttp_free() (NULL ok).
 */
struct graphhttp *graphhttp_new(const char *ca_file, int timeout,
				double deadline, size_t body_max);
void graphhttp_free(struct graphhttp *h);

/*
 * graphhttp_get - GET URL (https only; redirects are not followed), with
 *	"Authorization: Bearer BEARER" unless BEARER is NULL; or with FORM
 *	(NULL-terminated name, value pairs, encoded here) a POST of
 *	application/x-www-form-urlencoded.  Any HTTP status is a reply:
 *	returns 0 with *R filled (free with graphhttp_reply_free()), or -1
 *	with ERR set when no complete answer came: TEMP for a timeout, the
 *	deadline, a body over the limit or a connection cut mid-answer;
 *	UNAVAILABLE when the server cannot be reached or its certificate
 *	is refused.  Messages name URL (escaped).
 */
int graphhttp_get(struct graphhttp *h, const char *url, const char *bearer,
		  struct graphhttp_reply *r, struct sync_err *err)
	__attribute__((warn_unused_result));
int graphhttp_post_form(struct graphhttp *h, const char *url,
			const char *const *form, struct graphhttp_reply *r,
			struct sync_err *err)
	__attribute__((warn_unused_result));

/* graphhttp_requests - requests H sent so far, answered or not */
unsigned long graphhttp_requests(const struct graphhttp *h);

/* graphhttp_reply_free - the reply's body; the reply may be reused */
void graphhttp_reply_free(struct graphhttp_reply *r);

#endif
