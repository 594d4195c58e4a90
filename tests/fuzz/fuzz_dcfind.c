/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: dcfind_parse(), the input a DNS answer to the SRV query
 * for _ldap._tcp.dc._msdcs.corp.example.  Properties, not just "no
 * crash": at most MAX records (and at most 512 read), each one the name
 * asked for, a host name (dcfind_hostname_ok) in lower case, a port
 * other than 0; the notes NUL-terminated within their buffer and
 * printable ASCII only (they go to the log); and the same input parsed
 * twice gives the same records (no state between calls).
 */
#include <string.h>

#include "dcfind.h"
#include "fuzzutil.h"

#define QNAME "_ldap._tcp.dc._msdcs.corp.example"
#define MAX 600

/* check - the properties of one parse */
static void
check(const struct source_srv *recs, int n, const char *notes, size_t size)
{
	size_t len = strnlen(notes, size);

	FUZZ_ASSERT(n >= -1 && n <= 512);
	FUZZ_ASSERT(len < size);
	for (size_t i = 0; i < len; i++)
		FUZZ_ASSERT(notes[i] >= 0x20 && notes[i] < 0x7f);
	for (int i = 0; i < n; i++) {
		FUZZ_ASSERT(strcmp(recs[i].name, QNAME) == 0);
		FUZZ_ASSERT(dcfind_hostname_ok(recs[i].target));
		for (const char *c = recs[i].target; *c != '\0'; c++)
			FUZZ_ASSERT(!(*c >= 'A' && *c <= 'Z'));
		FUZZ_ASSERT(recs[i].port > 0 && recs[i].port <= 65535);
		FUZZ_ASSERT(recs[i].priority <= 65535);
		FUZZ_ASSERT(recs[i].weight <= 65535);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct source_srv recs[MAX], again[MAX];
	char notes[256] = "", notes2[256] = "";
	struct dcfind_records into = {recs, MAX, 0, notes, sizeof(notes)};
	struct dcfind_records into2 = {again, MAX, 0, notes2, sizeof(notes2)};
	int n, n2;

	n = dcfind_parse(data, size, QNAME, &into);
	check(recs, n, notes, sizeof(notes));
	n2 = dcfind_parse(data, size, QNAME, &into2);
	FUZZ_ASSERT(n2 == n && into2.bad == into.bad &&
		    strcmp(notes, notes2) == 0);
	for (int i = 0; i < n; i++)
		FUZZ_ASSERT(memcmp(&recs[i], &again[i], sizeof(recs[i])) == 0);
	return 0;
}
