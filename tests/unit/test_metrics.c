/* SPDX-License-Identifier: MIT */
/* Unit tests: the metrics textfile's lines, and the refused values a
 * failed run hands on from the file it replaces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"

/* slurp - the whole file at PATH (the caller frees it) */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 8192);
	size_t n;

	assert_non_null(fp);
	assert_non_null(buf);
	n = fread(buf, 1, 8191, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* has_line - LINE is one whole line of TEXT */
static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

struct dir {
	char path[64];
	char file[96];
};

static void
make_dir(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/test_metrics.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->file, sizeof(d->file), "%s/rcptsync.prom", d->path);
}

static void
remove_dir(struct dir *d)
{
	unlink(d->file);
	assert_int_equal(rmdir(d->path), 0); /* no temporary file left */
}

static void
test_lines(void **state)
{
	struct metrics_run m = {
		.last_run = 1700000100,
		.exit_code = 65,
		.duration = 0.12349,
		.safety_refused = 1,
		.last_success = 1700000000,
		.recipients = 1000000,
		.refused = 3,
	};
	struct sync_err err = {0};
	struct stat st;
	struct dir d;
	char *text;

	(void)state;
	make_dir(&d);
	assert_int_equal(metrics_write(d.file, &m, &err), 0);
	text = slurp(d.file);
	assert_true(has_line(text, "rcptsync_last_run_timestamp_seconds "
				   "1700000100"));
	assert_true(has_line(text, "# TYPE rcptsync_last_success_timestamp_"
				   "seconds gauge"));
	assert_true(has_line(text, "rcptsync_last_success_timestamp_seconds "
				   "1700000000"));
	assert_true(has_line(text, "rcptsync_last_exit_code 65"));
	assert_true(has_line(text, "rcptsync_duration_seconds 0.123"));
	assert_true(has_line(text, "rcptsync_safety_refused 1"));
	assert_true(has_line(text, "rcptsync_recipients 1000000"));
	assert_true(has_line(text, "rcptsync_refused_values 3"));
	assert_true(has_line(text, "rcptsync_map_written 0"));
	assert_int_equal(stat(d.file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	free(text);
	remove_dir(&d);
}

/* A negative refused count takes the file's; a file that says no count
 * (or none at all) gives 0. */
static void
test_refused_kept(void **state)
{
	static const struct {
		const char *before; /* NULL: no file */
		const char *want;
	} rows[] = {
		{NULL, "rcptsync_refused_values 0"},
		{"rcptsync_refused_values 7\n", "rcptsync_refused_values 7"},
		{"rcptsync_refused_values_x 9\nrcptsync_refused_values 4\n",
		 "rcptsync_refused_values 4"},
		{"rcptsync_refused_values NaN\n", "rcptsync_refused_values 0"},
		{"rcptsync_refused_values -2\n", "rcptsync_refused_values 0"},
		{"rcptsync_refused_values 5 1700000000\n",
		 "rcptsync_refused_values 0"},
	};
	struct metrics_run m = {.refused = -1};
	struct sync_err err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct dir d;
		char *text;
		FILE *fp;

		make_dir(&d);
		if (rows[i].before != NULL) {
			assert_non_null(fp = fopen(d.file, "w"));
			fputs(rows[i].before, fp);
			fclose(fp);
		}
		assert_int_equal(metrics_write(d.file, &m, &err), 0);
		text = slurp(d.file);
		if (!has_line(text, rows[i].want))
			fail_msg("row %zu: no line \"%s\"", i, rows[i].want);
		free(text);
		remove_dir(&d);
	}
}

/* A directory that is not there: an OUTPUT error, nothing written. */
static void
test_no_dir(void **state)
{
	struct metrics_run m = {0};
	struct sync_err err = {0};

	(void)state;
	assert_int_equal(
		metrics_write("/nonexistent-rcptsync/r.prom", &m, &err), -1);
	assert_int_equal(err.kind, SYNC_ERR_OUTPUT);
	assert_non_null(strstr(err.msg, "/nonexistent-rcptsync/r.prom"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_refused_kept),
		cmocka_unit_test(test_no_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
