/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_FUZZUTIL_H
#define RCPTSYNC_FUZZUTIL_H

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry point every target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * fuzz_file - the input as a file (a memfd, named /proc/self/fd/N) for the
 *	code that reads files.  Returns the descriptor; close it after.
 */
int fuzz_file(const uint8_t *data, size_t size, char *path, size_t path_size);

/* FUZZ_ASSERT - a broken property is a crash the fuzzer reports */
#define FUZZ_ASSERT(cond)                 \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

#endif
