/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	ldifsource - proxyAddresses from an LDIF export
 * DESCRIPTION
 *	For gateways in a DMZ that may not reach a domain controller: an
 *	export made inside ("ldifde -f export.ldf -r FILTER -l
 *	proxyAddresses" or "ldapsearch -LLL ... proxyAddresses") is copied
 *	over and read here.  Parsing is libldap's own (ldif_read_record() and
 *	ldap_parse_ldif_record()): RFC 2849 folding, base64 ("::") values,
 *	comments, "changetype: add" records from ldifde.  Attribute names
 *	match case-insensitively; options (";range=...") are ignored.
 *
 *	The file is treated as hostile data: libldap would follow
 *	"attr:< file:///..." URL values and "include:" lines, reading other
 *	files into our log messages, so records holding either are refused.
 * OWNERSHIP
 *	libldap buffers are freed before each next record.
 * DIAGNOSTICS
 *	UNAVAILABLE when the file cannot be opened, DATA with PATH:LINE when
 *	a record is malformed or unsafe.
 * SEE ALSO
 *	RFC 2849, ldif(5), ldifde(1) (Windows).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>
#include <ldif.h>

#include "proxyaddr.h"
#include "ldifsource.h"

/*
 * libldap reports the detail of an LDIF error through liblber's debug
 * print function, straight to stderr.  We capture the last such line and
 * put it into our one error message instead.  Process-global, like the
 * hook it fills.
 */
static char ldap_detail[256];

/* capture_detail - LBER_OPT_LOG_PRINT_FN: keep the line, print nothing */
static void
capture_detail(const char *msg)
{
	size_t n;

	snprintf(ldap_detail, sizeof(ldap_detail), "%s", msg);
	n = strlen(ldap_detail);
	while (n > 0 &&
	       (ldap_detail[n - 1] == '\n' || ldap_detail[n - 1] == ' '))
		ldap_detail[--n] = '\0';
}

/*
 * parse_quietly - ldap_parse_ldif_record() with its fprintf(stderr)
 * diagnostics captured into ldap_detail.  XXX: swaps the stderr stream
 * for the call; libldap offers no other way to get that text.
 */
static int
parse_quietly(struct berval *rbuf, unsigned long first, LDIFRecord *lr)
{
	FILE *saved = stderr, *mem;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if ((mem = open_memstream(&text, &len)) != NULL)
		stderr = mem;
	rc = ldap_parse_ldif_record(rbuf, first, lr, "LDIF",
				    LDIF_DEFAULT_ADD | LDIF_ENTRIES_ONLY |
					    LDIF_NO_CONTROLS);
	stderr = saved;
	if (mem != NULL) {
		fclose(mem);
		if (len > 0)
			capture_detail(text);
		free(text);
	}
	return rc;
}

/*
 * record_start - 1 when the record's first line that is not a comment or
 * the "version:" header is "dn:", 0 when it is something else, -1 when
 * there is no such line (the file's header alone).
 */
static int
record_start(const char *rec)
{
	while (*rec == '#' || *rec == '\n' ||
	       strncasecmp(rec, "version:", 8) == 0) {
		const char *nl = strchr(rec, '\n');

		if (nl == NULL)
			return -1;
		rec = nl + 1;
	}
	if (*rec == '\0')
		return -1;
	return strncasecmp(rec, "dn:", 3) == 0;
}

/* is_proxyaddresses - attribute description with any options */
static int
is_proxyaddresses(const char *type)
{
	static const char name[] = "proxyAddresses";
	size_t n = sizeof(name) - 1;

	return strncasecmp(type, name, n) == 0 &&
	       (type[n] == '\0' || type[n] == ';');
}

/*
 * unsafe_line - the first line in the record that asks libldap to read
 * another file ("attr:< URL", "include:"), or 0.  Continuation lines
 * start with a space and cannot hold the separator.
 */
static unsigned long
unsafe_line(const char *rec)
{
	unsigned long n = 0;

	for (const char *line = rec; line && *line; n++) {
		const char *colon, *nl = strchr(line, '\n');

		if (*line != ' ' && *line != '#') {
			if (strncasecmp(line, "include:", 8) == 0)
				return n + 1;
			colon = strchr(line, ':');
			if (colon && (!nl || colon < nl) && colon[1] == '<')
				return n + 1;
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* count_lines - lines in a record buffer, to find where it started */
static unsigned long
count_lines(const char *rec)
{
	unsigned long n = 0;

	for (; *rec; rec++)
		n += *rec == '\n';
	return n;
}

/* emit_record - pass the record's proxyAddresses values on */
static int
emit_record(LDIFRecord *lr, source_value_fn fn, void *ctx,
	    struct source_stats *stats)
{
	if (lr->lrop_mods == NULL)
		return 0;
	stats->entries++;
	stats->serial++;
	for (LDAPMod **m = lr->lrop_mods; *m != NULL; m++) {
		if (!is_proxyaddresses((*m)->mod_type))
			continue;
		for (struct berval **v = (*m)->mod_bvalues; v && *v; v++) {
			stats->values++;
			if (fn(ctx, lr->lr_dn.bv_val, (*v)->bv_val,
			       (*v)->bv_len) < 0)
				return -1;
		}
	}
	return 0;
}

/*
 * line_ok - RFC 2849's shape for one physical line: empty (a record
 * separator), a comment, a continuation (leading space), or an
 * AttributeDescription (letters, digits, '-', ';' options, '.' in an OID,
 * '=' in "range=") followed by ':'.
 */
static int
line_ok(const char *line, size_t len)
{
	size_t n;

	if (len == 0 || strcmp(line, "\n") == 0 || strcmp(line, "\r\n") == 0 ||
	    line[0] == '#' || line[0] == ' ')
		return 1;
	n = strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-;.=");
	return n > 0 && n < len && line[n] == ':';
}

/*
 * prescan - the first line of PATH that libldap must never see, or 0 with
 * *WHY set.  libldap 2.5 follows "include:" lines inside
 * ldif_read_record(), before we see the record; it dereferences NULL on a
 * line without an attribute type (": x", or "-" outside a modify record)
 * right after the dn (found by tests/fuzz); and a raw NUL byte silently
 * cuts a record short.  None of them has a place in an export of entries.
 */
static unsigned long
prescan(const char *path, const char **why)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long n = 0, found = 0;

	if (fp == NULL)
		return 0; /* ldif_open() reports it */
	while ((len = getline(&line, &cap, fp)) != -1) {
		n++;
		if (memchr(line, '\0', (size_t)len) != NULL)
			*why = "a NUL byte (binary values must be base64)";
		else if (strncasecmp(line, "include:", 8) == 0)
			*why = "an include: line";
		else if (!line_ok(line, (size_t)len))
			*why = "a line that is not \"attribute: value\"";
		else
			continue;
		found = n;
		break;
	}
	free(line);
	fclose(fp);
	return found;
}

/* One file being read: where it is, and where its values go. */
struct reader {
	const char *path;
	source_value_fn fn;
	void *ctx;
	struct source_stats *stats;
};

/*
 * take_record - one record of R's file (its lines FIRST to LAST), as
 * ldif_read_record() read it: refused when it asks for another file, does
 * not start with dn: or is not an entry; else its values to R's FN
 */

static int
take_record(const struct reader *r, char *buf, unsigned long first,
	    unsigned long last, struct sync_err *err)
{
	const char *path = r->path;
	struct berval rbuf;
	LDIFRecord lr;
	unsigned long bad;
	int start, rc;

	if ((bad = unsafe_line(buf)) != 0)
		return sync_err_set(err, SYNC_ERR_DATA,
				    "%s:%lu: LDIF URL values and include: "
				    "lines are not accepted",
				    path, first + bad - 1);
	if ((start = record_start(buf)) < 0)
		return 0;
	if (start == 0)
		return sync_err_set(err, SYNC_ERR_DATA,
				    "%s:%lu: LDIF record does not start with "
				    "dn:",
				    path, first);
	rbuf.bv_val = buf;
	rbuf.bv_len = strlen(buf);
	memset(&lr, 0, sizeof(lr));
	rc = parse_quietly(&rbuf, first, &lr);
	if (rc == LDAP_SUCCESS && lr.lr_op != LDAP_REQ_ADD)
		snprintf(ldap_detail, sizeof(ldap_detail),
			 "not an entry: a changetype other than add");
	if (rc != LDAP_SUCCESS || lr.lr_op != LDAP_REQ_ADD) {
		char shown[300]; /* libldap quotes the record */

		sync_err_set(err, SYNC_ERR_DATA,
			     "%s:%lu: malformed LDIF record (lines %lu-%lu): "
			     "%s",
			     path, first, first, last,
			     ldap_detail[0]
				     ? proxyaddr_escape(ldap_detail,
							strlen(ldap_detail),
							shown, sizeof(shown))
				     : "rejected by the LDIF parser");
		ldap_ldif_record_done(&lr);
		return -1;
	}
	rc = emit_record(&lr, r->fn, r->ctx, r->stats);
	ldap_ldif_record_done(&lr);
	return rc < 0 ? -1 : 0;
}

/* ldifsource_read - every record of the file */
int
ldifsource_read(const char *path, source_value_fn fn, void *ctx,
		struct source_stats *stats, struct sync_err *err)
{
	struct reader r = {path, fn, ctx, stats};
	LDIFFP *fp;
	unsigned long lineno = 0, bad;
	const char *why = NULL;
	char *buf = NULL;
	int buflen = 0, rc = 0, ret = 0;

	memset(stats, 0, sizeof(*stats));
	ldap_detail[0] = '\0';
	ber_set_option(NULL, LBER_OPT_LOG_PRINT_FN, (void *)capture_detail);
	snprintf(stats->server, sizeof(stats->server), "%s", path);
	if ((bad = prescan(path, &why)) != 0)
		return sync_err_set(
			err, SYNC_ERR_DATA,
			"%s:%lu: not accepted in an LDIF export: %s", path, bad,
			why);
	errno = 0;
	if ((fp = ldif_open(path, "r")) == NULL)
		return sync_err_set(err, SYNC_ERR_UNAVAILABLE,
				    "cannot open LDIF source %s: %s", path,
				    errno ? strerror(errno) : "unknown error");
	while (ret == 0 &&
	       (rc = ldif_read_record(fp, &lineno, &buf, &buflen)) > 0) {
		/* libldap may report a record and hand back no buffer (found by
		 * tests/fuzz): nothing to read in it. */
		if (buf != NULL)
			ret = take_record(&r, buf,
					  lineno - count_lines(buf) + 1, lineno,
					  err);
	}
	if (rc < 0 && ret == 0)
		ret = sync_err_set(err, SYNC_ERR_DATA,
				   "%s:%lu: cannot read LDIF record", path,
				   lineno);
	ber_memfree(buf);
	ldif_close(fp);
	return ret;
}
