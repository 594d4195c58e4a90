/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_LDIFSOURCE_H
#define RCPTSYNC_LDIFSOURCE_H

#include "source.h"
#include "syncerr.h"

/*
 * ldifsource_read - read the LDIF export at PATH (ldifde or ldapsearch
 *	-LLL) and pass every proxyAddresses value to FN.  A missing or
 *	unreadable file is UNAVAILABLE (exit 69); a malformed one is DATA
 *	(exit 65) naming PATH:LINE.  STATS is filled (server = PATH).
 */
int ldifsource_read(const char *path, source_value_fn fn, void *ctx,
		    struct source_stats *stats, struct sync_err *err)
	__attribute__((warn_unused_result));

#endif
