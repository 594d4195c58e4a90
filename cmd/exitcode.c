/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	exitcode - error kinds to the documented exit codes
 * DESCRIPTION
 *	Library code says what kind of failure it met (syncerr.h); this
 *	table alone decides the exit code admins' scripts see, and the
 *	kind's name in --json output.  Both are a public interface.
 * DIAGNOSTICS
 *	An unknown kind is a bug: EX_SOFTWARE, "internal".
 */
#include <stddef.h>
#include <sysexits.h>

#include "syncerr.h"
#include "exitcode.h"

static const struct {
	int kind;
	int code;
	const char *name;
} kinds[] = {
	{SYNC_ERR_NONE, EX_SOFTWARE, "none"},
	{SYNC_ERR_USAGE, EX_USAGE, "usage"},
	{SYNC_ERR_DATA, EX_DATAERR, "data"},
	{SYNC_ERR_UNAVAILABLE, EX_UNAVAILABLE, "unavailable"},
	{SYNC_ERR_OUTPUT, EX_CANTCREAT, "output"},
	{SYNC_ERR_TEMP, EX_TEMPFAIL, "temporary"},
	{SYNC_ERR_AUTH, EX_NOPERM, "auth"},
	{SYNC_ERR_CONFIG, EX_CONFIG, "config"},
};

/* exitcode_of - see exitcode.h */
int
exitcode_of(int kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return kinds[i].code;
	return EX_SOFTWARE;
}

/* exitcode_kind_name - see exitcode.h */
const char *
exitcode_kind_name(int kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return "internal";
}
