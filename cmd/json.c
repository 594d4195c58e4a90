/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	json - the writer behind "--json"
 * DESCRIPTION
 *	Monitoring and configuration management parse this output, so it is
 *	strict JSON whatever the data: strings are escaped byte by byte, and
 *	the field names are a documented interface (rcptsync(8)).
 * OWNERSHIP
 *	Writes to the caller's stream; allocates nothing.
 * DIAGNOSTICS
 *	None here; the caller checks the stream with fflush()/ferror().
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"

/* put_string - a JSON string literal */
static void
put_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20 || *p > 0x7e)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

/* member - the comma, and "KEY": when inside an object */
static void
member(struct json *j, const char *key)
{
	if (j->count[j->depth]++ > 0)
		fputc(',', j->fp);
	if (key != NULL) {
		put_string(j->fp, key);
		fputc(':', j->fp);
	}
}

/* push - one level deeper; past JSON_DEPTH is a programming error */
static void
push(struct json *j, char open)
{
	fputc(open, j->fp);
	if (j->depth + 1 < JSON_DEPTH)
		j->depth++;
	j->count[j->depth] = 0;
}

void
json_begin(struct json *j, FILE *fp)
{
	j->fp = fp;
	j->depth = 0;
	j->count[0] = 0;
	push(j, '{');
}

void
json_end(struct json *j)
{
	fputs("}\n", j->fp);
	j->depth = 0;
	fflush(j->fp);
}

void
json_str(struct json *j, const char *key, const char *val)
{
	member(j, key);
	if (val == NULL)
		fputs("null", j->fp);
	else
		put_string(j->fp, val);
}

void
json_num(struct json *j, const char *key, long long val)
{
	member(j, key);
	fprintf(j->fp, "%lld", val);
}

void
json_bool(struct json *j, const char *key, int val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->fp);
}

void
json_time(struct json *j, const char *key, time_t t)
{
	char buf[32];

	if (t == 0) {
		json_str(j, key, NULL);
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	json_str(j, key, buf);
}

void
json_open_array(struct json *j, const char *key)
{
	member(j, key);
	push(j, '[');
}

void
json_close_array(struct json *j)
{
	fputc(']', j->fp);
	j->depth--;
}

void
json_open_object(struct json *j, const char *key)
{
	member(j, key);
	push(j, '{');
}

void
json_close_object(struct json *j)
{
	fputc('}', j->fp);
	j->depth--;
}
