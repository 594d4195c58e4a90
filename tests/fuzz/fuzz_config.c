/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the config loader.  Every rejection is a CONFIG error that
 * names the file; nothing leaks (ASan's leak check) whatever the input.
 */
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzzutil.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sync_conf conf;
	struct sync_err err;
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	if (config_load(path, &conf, &err) < 0) {
		FUZZ_ASSERT(err.kind == SYNC_ERR_CONFIG);
		FUZZ_ASSERT(strncmp(err.msg, path, strlen(path)) == 0);
	} else {
		FUZZ_ASSERT(conf.table != NULL && conf.value != NULL);
	}
	config_free(&conf);
	close(fd);
	return 0;
}
