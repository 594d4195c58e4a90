/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

/* testutil_write_temp - a file holding TEXT */
void
testutil_write_temp(const char *text, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "/tmp/rcptsync-unit-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}
