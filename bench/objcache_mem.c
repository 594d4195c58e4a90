/* SPDX-License-Identifier: MIT */
/*
 * objcache_mem - what the incremental path's object cache costs for N
 * AD-like objects (one DN and four values each, as bench/ and a typical
 * mailbox: two SMTP, one X500, one SIP): its memory (peak RSS before and
 * after filling it), then, saved to a file, the local work of a pull
 * with nothing changed (the cache loaded, every value normalised into a
 * set, the set finished: what an incremental run does besides its two
 * small reads of the DC and the table compare), timed.  Not a test;
 * bench/README.md quotes it.  Build and run:
 *   cc -O2 -D_GNU_SOURCE -Icommon -Icommon/addr -Ildapsync -Imapwriter \
 *      bench/objcache_mem.c build-rel/librcptsync-core.a \
 *      -o /tmp/objcache_mem && /tmp/objcache_mem 1000000 /tmp/cachefile
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "addrset.h"
#include "objcache.h"
#include "proxyaddr.h"

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

/* into_set - one cached value normalised into the set, as collect.c */
static int
into_set(void *ctx, const char *dn, const char *val, size_t len)
{
	char key[PROXYADDR_KEY_MAX];
	const char *why;

	(void)dn;
	if (proxyaddr_normalise(val, len, key, &why) == PROXYADDR_KEEP)
		addrset_add(ctx, key, strlen(key), "OK", "dn");
	return 0;
}

/* seconds - the monotonic clock */
static double
seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	const char *path = argc > 2 ? argv[2] : "/tmp/objcache_mem.cache";
	struct objcache_mark mark = {.dc = "dc1.bench.example", .usn = 1};
	struct sync_err err;
	struct addrset *set;
	double t0, t1, t2;
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
	if (objcache_save(path, c, &mark, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	objcache_free(c);
	t0 = seconds();
	if (objcache_load(path, &c, &mark, &err) != 1) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	t1 = seconds();
	set = addrset_new();
	(void)objcache_walk(c, into_set, set);
	addrset_finish(set);
	t2 = seconds();
	printf("nothing changed: load %.3f s, normalise and sort %.3f s, "
	       "%zu keys\n",
	       t1 - t0, t2 - t1, addrset_count(set));
	addrset_free(set);
	objcache_free(c);
	return 0;
}
