/* SPDX-License-Identifier: MIT */
/*
 * objcache_mem - what the incremental path's object cache costs for N
 * AD-like objects (one DN and four values each, as bench/ and a typical
 * mailbox: two SMTP, one X500, one SIP), side by side in one run: the
 * local work of an incremental pull with nothing changed (every cached
 * value normalised into the set, the set finished: what a run does
 * besides its small reads of the DC and the table compare), two ways,
 * each in a child of its own so that each has its own peak RSS:
 *   set      the values made up in memory, no cache: the set alone
 *   (held    the cache loaded whole, then walked: how the LDAP and
 *            Graph paths did it until issue 27, measured beside the
 *            others at a19019c, where objcache.c still was; see
 *            bench/README.md)
 *   streamed pass 1 and pass 2 over the file (cachescan.c), each object
 *            written to a new cache file as it goes (cachewrite.c: what
 *            a changed run writes; incremental.c)
 * ROUNDS rounds (default 3), the ways interleaved; medians printed.  Not a
 * test; bench/README.md quotes it.  Build and run:
 *   cc -O2 -D_GNU_SOURCE -Icommon -Icommon/addr -Ildapsync -Imapwriter \
 *      bench/objcache_mem.c build-rel/librcptsync-core.a \
 *      -o /tmp/objcache_mem && /tmp/objcache_mem 1000000 /tmp/cachefile
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addrset.h"
#include "cacheformat.h"
#include "cachescan.h"
#include "cachewrite.h"
#include "spill.h"
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

/* seconds - the monotonic clock */
static double
seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
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

/* object - the I-th object's GUID, DN and values */
static void
object(size_t i, unsigned char g[16], char *dn, char v[4][100])
{
	memset(g, 0, 16);
	memcpy(g, &i, sizeof(i));
	snprintf(dn, 100, "CN=Object %zu,OU=Sales,DC=corp,DC=example", i);
	snprintf(v[0], 100, "SMTP:user%zu@corp.example", i);
	snprintf(v[1], 100, "smtp:alias%zu@corp.example", i);
	snprintf(v[2], 100, "X500:/o=Corp/ou=Exchange/cn=Recipients/cn=user%zu",
		 i);
	snprintf(v[3], 100, "SIP:user%zu@corp.example", i);
}

/* make_cache - N objects at PATH, written as they are made */
static int
make_cache(size_t n, const char *path)
{
	struct objcache_mark mark = {.dc = "dc1.bench.example", .usn = 1};
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		return -1;
	cacheformat_header(fp, &mark);
	for (size_t i = 0; i < n; i++) {
		unsigned char g[16];
		char dn[100], v[4][100];

		object(i, g, dn, v);
		cacheformat_object_line(fp, g, sizeof(g), dn);
		for (int k = 0; k < 4; k++)
			cacheformat_value_line(fp, v[k], strlen(v[k]));
	}
	cacheformat_end(fp, n, 4 * n);
	return fclose(fp);
}

/* take - cachewrite's take: an object's values into the set */
static int
take(void *ctx, const struct cacheobj *o, struct sync_err *err)
{
	(void)err;
	for (size_t i = 0; i < o->n; i++)
		into_set(ctx, o->dn, o->vals[i], o->lens[i]);
	return 0;
}

/* way_set - the values without a cache */
static int
way_set(size_t n, const char *path, struct addrset *set)
{
	(void)path;
	for (size_t i = 0; i < n; i++) {
		unsigned char g[16];
		char dn[100], v[4][100];

		object(i, g, dn, v);
		for (int k = 0; k < 4; k++)
			into_set(set, dn, v[k], strlen(v[k]));
	}
	return 0;
}

/* way_streamed - two passes, a new cache written, as incremental.c */
static int
way_streamed(size_t n, const char *path, struct addrset *set)
{
	struct objcache_mark mark;
	struct sync_err err;
	struct cachescan *c;
	struct spill *none;
	struct cachewrite w = {.mark = &mark, .take = take, .ctx = set};
	char *tmp = NULL;
	int rc;

	(void)n;
	if (cachescan_open(path, 16, &c, &mark, &err) != 1 ||
	    (none = spill_new(path, 16, &err)) == NULL)
		return -1;
	if (spill_seal(none, &err) < 0)
		return -1;
	w.old = c;
	w.fresh = none;
	rc = cachewrite_run(&w, path, &tmp, &err);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	spill_free(none);
	cachescan_free(c);
	return rc;
}

static const struct {
	const char *name;
	int (*run)(size_t n, const char *path, struct addrset *set);
} ways[] = {
	{"set", way_set},
	{"streamed", way_streamed},
};
#define N_WAYS (sizeof(ways) / sizeof(ways[0]))

/* child - one way, timed, in a process of its own; its result on FD */
static void
child(size_t w, size_t n, const char *path, int fd)
{
	struct addrset *set = addrset_new();
	double t0 = seconds(), t;
	char line[200];
	int len;

	if (ways[w].run(n, path, set) < 0)
		_exit(1);
	addrset_finish(set);
	t = seconds() - t0;
	len = snprintf(line, sizeof(line), "%.3f %ld %zu\n", t, hwm(),
		       addrset_count(set));
	if (write(fd, line, (size_t)len) != len)
		_exit(1);
	_exit(0);
}

/* by_double - qsort */
static int
by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	const char *path = argc > 2 ? argv[2] : "/tmp/objcache_mem.cache";
	int rounds = argc > 3 ? atoi(argv[3]) : 3;
	double t[N_WAYS][16], kb[N_WAYS][16];
	size_t keys[N_WAYS] = {0};

	if (rounds < 1 || rounds > 16 || make_cache(n, path) != 0) {
		fprintf(stderr, "usage: objcache_mem N PATH [ROUNDS]\n");
		return 1;
	}
	for (int r = 0; r < rounds; r++)
		for (size_t w = 0; w < N_WAYS; w++) {
			int fds[2], status;
			pid_t pid;
			FILE *f;

			if (pipe(fds) < 0 || (pid = fork()) < 0)
				return 1;
			if (pid == 0) {
				close(fds[0]);
				child(w, n, path, fds[1]);
			}
			close(fds[1]);
			f = fdopen(fds[0], "r");
			if (f == NULL ||
			    fscanf(f, "%lf %lf %zu", &t[w][r], &kb[w][r],
				   &keys[w]) != 3 ||
			    waitpid(pid, &status, 0) != pid || status != 0) {
				fprintf(stderr, "%s failed\n", ways[w].name);
				return 1;
			}
			fclose(f);
		}
	printf("%zu objects, %d rounds, medians:\n", n, rounds);
	for (size_t w = 0; w < N_WAYS; w++) {
		qsort(t[w], (size_t)rounds, sizeof(double), by_double);
		qsort(kb[w], (size_t)rounds, sizeof(double), by_double);
		printf("  %-9s %7.3f s  peak RSS %8.0f KB  (%.2f x set's "
		       "memory)  %zu keys\n",
		       ways[w].name, t[w][rounds / 2], kb[w][rounds / 2],
		       kb[w][rounds / 2] / kb[0][rounds / 2], keys[w]);
	}
	unlink(path);
	return 0;
}
