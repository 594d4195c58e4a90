/* SPDX-License-Identifier: MIT */
/* Helpers for the fuzz targets (see fuzzutil.h). */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzzutil.h"

/* fuzz_file - memfd holding the input */
int
fuzz_file(const uint8_t *data, size_t size, char *path, size_t path_size)
{
	int fd = memfd_create("rcptsync-fuzz", MFD_CLOEXEC);

	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(write(fd, data, size) == (ssize_t)size);
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	return fd;
}
