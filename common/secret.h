/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_SECRET_H
#define RCPTSYNC_SECRET_H

#include <stddef.h>

#include "syncerr.h"

/* "credential:NAME": the file NAME in $CREDENTIALS_DIRECTORY, where
 * systemd puts what a unit's LoadCredential= names (systemd.exec(5)). */
#define SECRET_CREDENTIAL "credential:"

/*
 * secret_read - read a password from PATH (or a "credential:NAME"), which
 *	must be a regular file owned by us or root with no group or other
 *	permission bits.  One trailing newline is dropped.  On success *OUT
 *	is a NUL-terminated copy (length *LEN) that the caller wipes with
 *	secret_free().  An unsafe or empty file is an AUTH error (exit 77);
 *	an unreadable one too, since the fix is the same (ownership and
 *	mode).
 */
int secret_read(const char *path, char **out, size_t *len, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * secret_check_path - the same checks for a secret that another library
 *	opens itself (a Kerberos keytab, a TLS client key): SPEC is a path
 *	or "credential:NAME"; the file's path is left in PATH (SIZE bytes).
 *	An unsafe or unreadable file is an AUTH error.
 */
int secret_check_path(const char *spec, char *path, size_t size,
		      struct sync_err *err) __attribute__((warn_unused_result));

/* secret_free - wipe and free a secret from secret_read(); NULL is ok */
void secret_free(char *secret, size_t len);

#endif
