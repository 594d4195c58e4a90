/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	maptext - render and parse the relay_recipients text table
 * DESCRIPTION
 *	The text table is what postmap(1) reads: "key value" per line,
 *	'#' comments.  We write one "address<TAB>value" line per key,
 *	sorted, after a fixed one-line header.  We read both our own
 *	output (to diff against) and the admin's "extra" file.
 *	Continuation lines (leading white space, which postmap joins to the
 *	previous line) are refused: a recipient table never needs them and
 *	silently joining them would hide a mistake.
 * OWNERSHIP
 *	maptext_read() copies keys and values into the set.
 * DIAGNOSTICS
 *	sync_err: DATA for a malformed line (with file:line), OUTPUT when
 *	the stream fails.
 * SEE ALSO
 *	postmap(1) "INPUT FILE FORMAT", Postfix DATABASE_README.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "xalloc.h"
#include "proxyaddr.h"
#include "maptext.h"

/* maptext_write - the recipient table's header, then the sorted lines */
int
maptext_write(FILE *fp, const struct addrset *set, struct sync_err *err)
{
	return maptext_write_header(fp, set, MAPTEXT_HEADER, err);
}

/*
 * maptext_write_header - HEADER, then the sorted lines.  The lines are
 * put together in a buffer and go to stdio MAPTEXT_CHUNK bytes at a time;
 * a line longer than that goes on its own.  With four stdio calls a line
 * (fputs, fputc) the write stage of a changed sync at a million
 * recipients took some 0.14 s longer (bench/README.md).  The first write
 * that fails ends the loop; the stream's error is the result.
 */
int
maptext_write_header(FILE *fp, const struct addrset *set, const char *header,
		     struct sync_err *err)
{
	size_t n = addrset_count(set), used = 0;
	char *buf = xmalloc(MAPTEXT_CHUNK);

	fputs(header, fp);
	for (size_t i = 0; i < n && !ferror(fp); i++) {
		const struct addrset_entry *e = addrset_get(set, i);
		size_t kl, vl;

		addrset_prefetch(set, i + ADDRSET_AHEAD);
		kl = strlen(e->key);
		vl = strlen(e->value);

		if (used + kl + vl + 2 > MAPTEXT_CHUNK) {
			if (fwrite(buf, 1, used, fp) != used)
				break;
			used = 0;
		}
		if (kl + vl + 2 > MAPTEXT_CHUNK) {
			if (fwrite(e->key, 1, kl, fp) == kl &&
			    fputc('\t', fp) != EOF &&
			    fwrite(e->value, 1, vl, fp) == vl)
				fputc('\n', fp);
			continue;
		}
		memcpy(buf + used, e->key, kl);
		used += kl;
		buf[used++] = '\t';
		memcpy(buf + used, e->value, vl);
		used += vl;
		buf[used++] = '\n';
	}
	if (!ferror(fp))
		(void)fwrite(buf, 1, used, fp);
	free(buf);
	if (fflush(fp) != 0 || ferror(fp))
		return sync_err_set(err, SYNC_ERR_OUTPUT, "writing table: %s",
				    strerror(errno));
	return 0;
}

/* is_space - the white space postmap splits on */
static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* parse_line - split one line into key and value, in place */
static int
parse_line(char *line, size_t len, enum maptext_keys keys, char **key,
	   char **value, const char **why)
{
	char *p = line, *end = line + len;

	if (memchr(line, '\0', len) != NULL) {
		*why = "contains a NUL byte";
		return -1;
	}
	if (is_space(*p)) {
		*why = "starts with white space (continuation lines are "
		       "not supported)";
		return -1;
	}
	*key = p;
	while (p < end && !is_space(*p))
		p++;
	size_t key_len = (size_t)(p - *key);

	while (p < end && is_space(*p))
		*p++ = '\0';
	while (end > p && is_space(end[-1]))
		*--end = '\0';
	if (p == end) {
		*why = "has a key but no value";
		return -1;
	}
	*value = p;
	if (keys == MAPTEXT_ADDRESS_KEY)
		return proxyaddr_check_key(*key, key_len, 1, why);
	if (keys == MAPTEXT_ANY_KEY)
		ascii_fold(*key, key_len);
	return 0;
}

/* maptext_each - every entry of a table, in file order */
int
maptext_each(const char *path, enum maptext_keys keys, maptext_fn fn, void *ctx,
	     int *exists, struct sync_err *err)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned long lineno = 0;
	int ret = 0;

	*exists = 0;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return sync_err_set(err, SYNC_ERR_OUTPUT, "cannot open %s: %s",
				    path, strerror(errno));
	}
	*exists = 1;
	while ((got = getline(&line, &cap, fp)) != -1) {
		size_t len = (size_t)got;
		char *key, *value;
		const char *why;

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		size_t skip = strspn(line, " \t\r");

		if (skip == len || line[skip] == '#')
			continue;
		if (parse_line(line, len, keys, &key, &value, &why) < 0) {
			char shown[128];

			ret = sync_err_set(err, SYNC_ERR_DATA,
					   "%s:%lu: line %s: %s", path, lineno,
					   why,
					   proxyaddr_escape(line, len, shown,
							    sizeof(shown)));
			goto out;
		}
		if ((ret = fn(ctx, key, value)) != 0)
			goto out;
	}
	if (ferror(fp))
		ret = sync_err_set(err, SYNC_ERR_OUTPUT, "reading %s: %s", path,
				   strerror(errno));
out:
	free(line);
	fclose(fp);
	return ret;
}

/* What maptext_read's callback adds to. */
struct into_set {
	struct addrset *set;
	const char *origin;
	const char *last_value; /* interned once per run of equal values */
};

/* add_entry - maptext_fn: one entry into the set */
static int
add_entry(void *ctx, const char *key, const char *value)
{
	struct into_set *in = ctx;

	if (in->last_value == NULL || strcmp(in->last_value, value) != 0)
		in->last_value = addrset_intern(in->set, value);
	addrset_add(in->set, key, strlen(key), in->last_value, in->origin);
	return 0;
}

/* maptext_read - load a table into SET */
int
maptext_read(const char *path, enum maptext_keys keys, struct addrset *set,
	     const char *origin, int *exists, struct sync_err *err)
{
	struct into_set in = {set, origin, NULL};

	return maptext_each(path, keys, add_entry, &in, exists, err);
}
