/* SPDX-License-Identifier: MIT */
/*
 * Corpus replay for builds without libFuzzer (gcc, valgrind): feed every
 * file of the directories named on the command line to the target once.
 * Prints how many inputs ran; a broken property traps.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"

/* run_file - one input */
static int
run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0) {
		perror(path);
		exit(1);
	}
	rewind(fp);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 1;
}

int
main(int argc, char **argv)
{
	int runs = 0;

	for (int i = 1; i < argc; i++) {
		DIR *dp = opendir(argv[i]);
		struct dirent *de;
		char path[4096];

		if (dp == NULL) {
			runs += run_file(argv[i]);
			continue;
		}
		while ((de = readdir(dp)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 de->d_name);
			runs += run_file(path);
		}
		closedir(dp);
	}
	printf("replayed %d inputs\n", runs);
	return runs > 0 ? 0 : 1;
}
