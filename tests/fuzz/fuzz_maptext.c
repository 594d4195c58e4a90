/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the table reader, both key modes.  Property: whatever it
 * accepts, rendered with maptext_write() and read back, is the same set
 * (no key or field can appear or vanish through a round trip).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addrset.h"
#include "fuzzutil.h"
#include "maptext.h"

static void
roundtrip(const char *path, enum maptext_keys mode)
{
	struct addrset *a = addrset_new(), *b = addrset_new();
	struct sync_err err;
	char *buf = NULL, back_path[64];
	size_t len = 0;
	int exists, fd;
	FILE *fp;

	if (maptext_read(path, mode, a, "t", &exists, &err) < 0) {
		FUZZ_ASSERT(err.kind == SYNC_ERR_DATA);
		goto out;
	}
	addrset_finish(a);
	fp = open_memstream(&buf, &len);
	FUZZ_ASSERT(maptext_write(fp, a, &err) == 0);
	fclose(fp);
	fd = fuzz_file((const uint8_t *)buf, len, back_path, sizeof(back_path));
	FUZZ_ASSERT(maptext_read(back_path, MAPTEXT_ANY_KEY, b, "t", &exists,
				 &err) == 0);
	close(fd);
	addrset_finish(b);
	FUZZ_ASSERT(addrset_count(a) == addrset_count(b));
	for (size_t i = 0; i < addrset_count(a); i++) {
		FUZZ_ASSERT(strcmp(addrset_get(a, i)->key,
				   addrset_get(b, i)->key) == 0);
		FUZZ_ASSERT(strcmp(addrset_get(a, i)->value,
				   addrset_get(b, i)->value) == 0);
	}
out:
	free(buf);
	addrset_free(a);
	addrset_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	roundtrip(path, MAPTEXT_ANY_KEY);
	roundtrip(path, MAPTEXT_ADDRESS_KEY);
	close(fd);
	return 0;
}
