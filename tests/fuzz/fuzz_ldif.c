/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the LDIF source (libldap's parser behind our checks), each
 * value then through the normaliser.  Every DN handed out must be a
 * NUL-terminated string and every kept key a valid address.
 */
#include <string.h>
#include <unistd.h>

#include "fuzzutil.h"
#include "ldifsource.h"
#include "proxyaddr.h"

static int
take(void *ctx, const char *dn, const char *val, size_t len)
{
	char key[PROXYADDR_KEY_MAX];
	const char *why;

	(void)ctx;
	FUZZ_ASSERT(dn != NULL);
	(void)strlen(dn);
	if (proxyaddr_normalise(val, len, key, &why) == PROXYADDR_KEEP)
		FUZZ_ASSERT(strchr(key, '\n') == NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct source_stats stats;
	struct sync_err err;
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	if (ldifsource_read(path, take, NULL, &stats, &err) < 0)
		FUZZ_ASSERT(err.kind == SYNC_ERR_DATA ||
			    err.kind == SYNC_ERR_UNAVAILABLE);
	close(fd);
	return 0;
}
