/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	syncerr - error reports that library modules hand to cmd/
 * DESCRIPTION
 *	A struct sync_err holds one kind (what to do), one message (what
 *	happened, where) and optionally a hint (advice for the admin, such
 *	as what AD's "data 52e" means).  Library code fills it and returns
 *	-1; it never prints and never exits.
 * DIAGNOSTICS
 *	None: formatting cannot fail; a message that does not fit is cut
 *	and ends in "...".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "syncerr.h"

/* mark_cut - show that vsnprintf had to shorten the message */
static void
mark_cut(char *msg, int wanted)
{
	if (wanted >= SYNC_ERR_MSG_MAX)
		memcpy(msg + SYNC_ERR_MSG_MAX - 4, "...", 4);
}

/* sync_err_set - record kind and message */
int
sync_err_set(struct sync_err *err, int kind, const char *fmt, ...)
{
	va_list ap;
	int n;

	err->kind = kind;
	err->hint = NULL;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	mark_cut(err->msg, n);
	return -1;
}

/* sync_err_hint - attach advice */
int
sync_err_hint(struct sync_err *err, const char *hint)
{
	err->hint = hint;
	return -1;
}

/* sync_err_prefix - prepend context to the message */
int
sync_err_prefix(struct sync_err *err, const char *fmt, ...)
{
	char old[SYNC_ERR_MSG_MAX];
	char where[SYNC_ERR_MSG_MAX];
	va_list ap;
	int n;

	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(where, sizeof(where), fmt, ap);
	va_end(ap);
	n = snprintf(err->msg, sizeof(err->msg), "%s: %s", where, old);
	mark_cut(err->msg, n);
	return -1;
}
