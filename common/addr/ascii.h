/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_ASCII_H
#define RCPTSYNC_ASCII_H

#include <stddef.h>

/*
 * Letter case the way Postfix folds a lookup key (lowercase(3) in
 * Postfix's util/, DICT_FLAG_FOLD_FIX; doc/postfix-maps.md): ASCII only, never
 * by locale, so a directory value's other bytes pass unchanged.  The one
 * place rcptsync folds case.
 */

/* ascii_lower - tolower(3) without the locale */
static inline char
ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* ascii_fold - lower-case S[0..LEN) in place; returns S */
static inline char *
ascii_fold(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		s[i] = ascii_lower(s[i]);
	return s;
}

#endif
