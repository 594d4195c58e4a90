/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_TESTUTIL_H
#define RCPTSYNC_TESTUTIL_H

#include <stddef.h>

/*
 * testutil_write_temp - write TEXT to a new file under /tmp and put its
 *	name in PATH (at least 64 bytes).  Fails the test on error.  The
 *	caller unlinks it.
 */
void testutil_write_temp(const char *text, char *path, size_t size);

#endif
