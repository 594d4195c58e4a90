/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fnv - the FNV-1a hash, 64 bits
 * DESCRIPTION
 *	One implementation for every hash of the program: the object
 *	cache file's marks (ldapsync/cachefile.c) and the seen set
 *	(ldapsync/seen.c).  Each
 *	caller chooses its starting value and what it does with the result.
 * OWNERSHIP
 *	None: memory in, a number out.
 * DIAGNOSTICS
 *	None.
 * SEE ALSO
 *	draft-eastlake-fnv (the FNV hash, its offset bases and primes).
 */
#include <stddef.h>
#include <stdint.h>

#include "fnv.h"

/* fnv1a_64 - H continued over DATA: xor each byte in, then multiply */
uint64_t
fnv1a_64(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV1A_64_PRIME;
	return h;
}
