/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_JSON_H
#define RCPTSYNC_JSON_H

#include <stdio.h>
#include <time.h>

/*
 * A streaming writer for the one JSON object "--json" prints.  Commas and
 * nesting are tracked here; every string is escaped (control bytes and
 * bytes over 0x7e as \u00XX), so any text, also from the directory, is
 * safe to pass.
 */
#define JSON_DEPTH 8

struct json {
	FILE *fp;
	int depth;
	int count[JSON_DEPTH]; /* members written at each level */
};

void json_begin(struct json *j, FILE *fp); /* { */
void json_end(struct json *j);		   /* }\n and flush */

/* Members of the current object (KEY) or array items (KEY NULL). */
void json_str(struct json *j, const char *key,
	      const char *val); /* NULL: null */
void json_num(struct json *j, const char *key, long long val);
void json_bool(struct json *j, const char *key, int val);
void json_time(struct json *j, const char *key, time_t t); /* 0: null */
void json_open_array(struct json *j, const char *key);
void json_close_array(struct json *j);
void json_open_object(struct json *j, const char *key);
void json_close_object(struct json *j);

#endif
