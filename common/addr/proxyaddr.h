/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_PROXYADDR_H
#define RCPTSYNC_PROXYADDR_H

#include <stddef.h>

/* Longest key we keep (RFC 5321 path limit less the brackets), plus NUL. */
#define PROXYADDR_KEY_MAX (254 + 1)

enum proxyaddr_verdict {
	PROXYADDR_KEEP,	  /* key holds a normalised recipient */
	PROXYADDR_IGNORE, /* not an SMTP address (X500:, SIP:...): silent */
	PROXYADDR_REFUSE, /* SMTP type but unusable: warn, never write */
};

/*
 * proxyaddr_normalise - turn one proxyAddresses value into a map key.
 *	VAL/LEN is the raw attribute value (may hold any byte, NUL too).
 *	On PROXYADDR_KEEP, KEY holds the lower-cased address.  On
 *	PROXYADDR_REFUSE, *WHY points to a static reason.  Pure: no I/O.
 */
enum proxyaddr_verdict proxyaddr_normalise(const char *val, size_t len,
					   char key[PROXYADDR_KEY_MAX],
					   const char **why);

/*
 * proxyaddr_check_key - apply the address rules to an already-bare key
 *	(from the extra file or the current table), lower-casing it in place.
 *	Also accepts "@domain" when ALLOW_CATCHALL is non-zero.  Returns 0,
 *	or -1 with *WHY set.
 */
int proxyaddr_check_key(char *key, size_t len, int allow_catchall,
			const char **why);

/*
 * proxyaddr_escape - render hostile bytes printable for a log line:
 *	C escapes for control bytes, \xHH for the rest, "..." when cut.
 *	Always NUL-terminates BUF (SIZE >= 8).  Returns BUF.
 */
char *proxyaddr_escape(const char *val, size_t len, char *buf, size_t size);

/*
 * proxyaddr_domain_ok - is NAME (LEN bytes, already lower case) a
 *	dot-separated list of LDH labels?  Returns 1 or 0.
 */
int proxyaddr_domain_ok(const char *name, size_t len);

#endif
