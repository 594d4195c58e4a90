/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_GRAPHPAGE_H
#define RCPTSYNC_GRAPHPAGE_H

#include <stddef.h>

#include "syncerr.h"

/* The longest object id taken (Graph's are GUIDs: 36 bytes). */
#define GRAPHPAGE_ID_MAX 128

/* One object of a page, valid during the callback only.  Values may
 * hold any byte, NUL included (JSON's \u0000). */
struct graphpage_object {
	const char *id;	 /* NUL-terminated, no NUL inside */
	int guest;	 /* userType is "Guest" */
	int removed;	 /* a delta round's "@removed" (either reason) */
	size_t n_values; /* proxyAddresses values */
	const char **values;
	const size_t *lens;
};

/* Called for each object in page order; return 0 to go on, or -1 to
 * stop (the callback sets the caller's error). */
typedef int (*graphpage_fn)(void *ctx, const struct graphpage_object *o);

/* A page's links (graphpage_parse): the caller frees them with free(). */
struct graphpage_links {
	char *next;  /* "@odata.nextLink", or NULL */
	char *delta; /* "@odata.deltaLink", or NULL */
};

/*
 * graphpage_parse - one page of a Graph collection or of a delta round
 *	(LEN bytes of JSON): each object of its "value" array to FN, its
 *	"@odata.nextLink" into LINKS->next and its "@odata.deltaLink" into
 *	LINKS->delta (the caller frees them; NULL when there is none; a page
 *	with both is malformed).  An object with "@removed" (an object,
 *	whatever its reason) has REMOVED set.  The JSON must be valid UTF-8
 *	without duplicate keys; an object needs a string id (at most
 *	GRAPHPAGE_ID_MAX bytes, no NUL); proxyAddresses, when there, is an
 *	array of strings.  Returns 0, or -1 with ERR: UNAVAILABLE
 *	"malformed page: ..." (the caller adds the URL), or whatever FN
 *	set.
 */
int graphpage_parse(const char *body, size_t len, graphpage_fn fn, void *ctx,
		    struct graphpage_links *links, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * graphpage_error - the "error" of a Graph error answer: its code and
 *	message, escaped for printing, into CODE and MSG ("" when absent or
 *	when BODY is no such answer).
 */
void graphpage_error(const char *body, size_t len, char *code, size_t code_size,
		     char *msg, size_t msg_size);

#endif
