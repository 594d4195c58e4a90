/* SPDX-License-Identifier: MIT */
/*
 * objcache_mem - what the incremental path's object cache holds in memory
 * for N AD-like objects (one DN and four values each, as bench/ and a
 * typical mailbox: two SMTP, one X500, one SIP), by peak RSS before and
 * after filling it.  Not a test; bench/README.md quotes it.  Build and run:
 *   cc -O2 -D_GNU_SOURCE -Icommon -Ildapsync bench/objcache_mem.c \
 *      build-rel/librcptsync-core.a -o /tmp/objcache_mem && \
 *   /tmp/objcache_mem 1000000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objcache.h"

/* hwm - peak RSS so far, in KB */
static long
hwm(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[200];
	long kb = -1;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f != NULL)
		fclose(f);
	return kb;
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	struct objcache *c = objcache_new();
	long before = hwm();

	for (size_t i = 0; i < n; i++) {
		unsigned char g[16] = {0};
		char dn[100], v[4][100];

		memcpy(g, &i, sizeof(i));
		snprintf(dn, sizeof(dn),
			 "CN=Object %zu,OU=Sales,DC=corp,DC=example", i);
		snprintf(v[0], sizeof(v[0]), "SMTP:user%zu@corp.example", i);
		snprintf(v[1], sizeof(v[1]), "smtp:alias%zu@corp.example", i);
		snprintf(v[2], sizeof(v[2]),
			 "X500:/o=Corp/ou=Exchange/cn=Recipients/cn=user%zu",
			 i);
		snprintf(v[3], sizeof(v[3]), "SIP:user%zu@corp.example", i);
		objcache_put(c, g, sizeof(g), dn);
		for (int k = 0; k < 4; k++)
			objcache_add_value(c, g, sizeof(g), v[k], strlen(v[k]));
	}
	printf("%zu objects: peak RSS %ld KB before, %ld KB after (%.0f bytes "
	       "an object)\n",
	       objcache_count(c), before, hwm(),
	       (double)(hwm() - before) * 1024 / (double)(n ? n : 1));
	objcache_free(c);
	return 0;
}
