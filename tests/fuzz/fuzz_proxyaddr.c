/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: proxyaddr_normalise().  Properties, not just "no crash":
 * a kept key is lower-case printable ASCII without white space, has one
 * '@', at most 254 bytes, does not start with '#', and normalising
 * "smtp:" + key again gives the same key.
 */
#include <string.h>

#include "fuzzutil.h"
#include "proxyaddr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char key[PROXYADDR_KEY_MAX], again[PROXYADDR_KEY_MAX + 8];
	char key2[PROXYADDR_KEY_MAX];
	const char *why = NULL;
	enum proxyaddr_verdict v;
	size_t len, ats = 0;

	v = proxyaddr_normalise((const char *)data, size, key, &why);
	if (v == PROXYADDR_REFUSE)
		FUZZ_ASSERT(why != NULL && *why != '\0');
	if (v != PROXYADDR_KEEP)
		return 0;
	len = strlen(key);
	FUZZ_ASSERT(len > 0 && len <= 254 && key[0] != '#');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];

		FUZZ_ASSERT(c > 0x20 && c < 0x7f);
		FUZZ_ASSERT(!(c >= 'A' && c <= 'Z'));
		ats += c == '@';
	}
	FUZZ_ASSERT(ats == 1);
	memcpy(again, "smtp:", 5);
	memcpy(again + 5, key, len);
	FUZZ_ASSERT(proxyaddr_normalise(again, len + 5, key2, &why) ==
		    PROXYADDR_KEEP);
	FUZZ_ASSERT(strcmp(key, key2) == 0);
	return 0;
}
