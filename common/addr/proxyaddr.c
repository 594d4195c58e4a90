/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	proxyaddr - normalise Active Directory proxyAddresses values
 * DESCRIPTION
 *	Exchange stores every address of a recipient in proxyAddresses as
 *	"TYPE:address": "SMTP:" for the primary, "smtp:" for the others,
 *	and X500:, X400:, SIP:, EUM: ... for things that are not mail
 *	addresses.  This module keeps the SMTP ones and turns each into the
 *	exact key Postfix will look up.  The rules are part of rcptsync's
 *	interface (doc/postfix-maps.md, "Normalisation rules"):
 *	- the type before the first ':' must be "smtp" in any case;
 *	- ASCII letters are lower-cased: Postfix folds every
 *	  relay_recipient_maps query (DICT_FLAG_FOLD_FIX), so an upper-case
 *	  key could never match;
 *	- exactly one '@', a local part of 1..64 bytes, a domain of LDH
 *	  labels, at most 254 bytes in all;
 *	- no whitespace, control byte, NUL or non-ASCII byte, and no leading
 *	  '#': such a value could split a table line, start a comment or
 *	  need ICU case folding (smtputf8) that we cannot reproduce.
 *	Every directory value is treated as hostile input.
 * OWNERSHIP
 *	Pure functions over caller memory; nothing is allocated.
 * DIAGNOSTICS
 *	A refusal returns a static reason; the caller names the DN.
 * SEE ALSO
 *	RFC 5321 section 4.5.3.1 (size limits), RFC 1123 section 2.1 (LDH),
 *	MS-ADTS proxyAddresses, Postfix mail_addr_find.c.
 */
#include <stdio.h>
#include <string.h>

#include "ascii.h"
#include "proxyaddr.h"

#define LOCAL_PART_MAX 64
#define ADDRESS_MAX (PROXYADDR_KEY_MAX - 1)
#define LABEL_MAX 63

/* is_ldh - letter, digit or hyphen (lower case only: input is folded) */
static int
is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* proxyaddr_domain_ok - dot-separated LDH labels, none empty */
int
proxyaddr_domain_ok(const char *name, size_t len)
{
	size_t label = 0;

	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0 || name[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!is_ldh(name[i]))
			return 0;
		if (label == 0 && name[i] == '-')
			return 0;
		if (++label > LABEL_MAX)
			return 0;
	}
	return label != 0 && name[len - 1] != '-';
}

/* check_bytes - refuse anything that could corrupt a map line */
static int
check_bytes(const char *s, size_t len, const char **why)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0') {
			*why = "contains a NUL byte";
			return -1;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\v' || c == '\f') {
			*why = "contains white space";
			return -1;
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "contains a control character";
			return -1;
		}
		if (c >= 0x80) {
			*why = "contains a non-ASCII byte";
			return -1;
		}
	}
	return 0;
}

/* proxyaddr_check_key - the address rules on a bare key, folded in place */
int
proxyaddr_check_key(char *key, size_t len, int allow_catchall, const char **why)
{
	const char *at;
	size_t local_len;

	if (len == 0) {
		*why = "is empty";
		return -1;
	}
	if (check_bytes(key, len, why) < 0)
		return -1;
	if (len > ADDRESS_MAX) {
		*why = "is longer than 254 bytes";
		return -1;
	}
	if (key[0] == '#') {
		*why = "starts with '#'";
		return -1;
	}
	ascii_fold(key, len);
	at = memchr(key, '@', len);
	if (at == NULL || memchr(at + 1, '@', len - (size_t)(at - key) - 1)) {
		*why = "does not have exactly one '@'";
		return -1;
	}
	local_len = (size_t)(at - key);
	if (local_len == 0 && !allow_catchall) {
		*why = "has an empty local part";
		return -1;
	}
	if (local_len > LOCAL_PART_MAX) {
		*why = "has a local part longer than 64 bytes";
		return -1;
	}
	if (!proxyaddr_domain_ok(at + 1, len - local_len - 1)) {
		*why = "has a domain that is not dot-separated LDH labels";
		return -1;
	}
	return 0;
}

/*
 * unquote_local - "john"@corp.example to john@corp.example in place: the
 * key Postfix's smtpd looks up.  Measured with Postfix 3.7 (debug_peer
 * lookups of relay_recipient_maps): RCPT TO:<"john"@corp.example> looks
 * up john@corp.example only, so the quoted key would never match; for a
 * local part that needs its quotes (".lead", "a..b") smtpd tries the
 * quoted form, then the bare one, so the bare key serves both.  A quoted
 * part with a quote or backslash inside is left for check_key to judge.
 */
static void
unquote_local(char *key, size_t *len)
{
	char *end = memchr(key, '@', *len);

	if (key[0] != '"' || end == NULL || end - key < 2 || end[-1] != '"')
		return;
	for (const char *p = key + 1; p < end - 1; p++)
		if (*p == '"' || *p == '\\')
			return;
	memmove(end - 1, end, *len - (size_t)(end - key) + 1);
	memmove(key, key + 1, *len - 1);
	*len -= 2;
	key[*len] = '\0';
}

/* proxyaddr_normalise - one proxyAddresses value to a key, or why not */
enum proxyaddr_verdict
proxyaddr_normalise(const char *val, size_t len, char key[PROXYADDR_KEY_MAX],
		    const char **why)
{
	static const char smtp[] = "smtp:";
	const size_t prefix = sizeof(smtp) - 1;
	size_t addr_len;

	/* White space before an SMTP type: someone meant an address, and
	 * Exchange would not take it; warn rather than call it "not SMTP" */
	size_t lead = 0;

	while (lead < len && (val[lead] == ' ' || val[lead] == '\t'))
		lead++;
	if (lead > 0 && len - lead >= prefix && ascii_lower(val[lead]) == 's' &&
	    ascii_lower(val[lead + 1]) == 'm' &&
	    ascii_lower(val[lead + 2]) == 't' &&
	    ascii_lower(val[lead + 3]) == 'p' && val[lead + 4] == ':') {
		*why = "has white space before its SMTP: type";
		return PROXYADDR_REFUSE;
	}
	/* The type is everything before the first ':' (MS-ADTS). */
	if (len < prefix)
		return PROXYADDR_IGNORE;
	for (size_t i = 0; i < prefix; i++)
		if (ascii_lower(val[i]) != smtp[i])
			return PROXYADDR_IGNORE;

	addr_len = len - prefix;
	if (addr_len > ADDRESS_MAX) {
		*why = "is longer than 254 bytes";
		return PROXYADDR_REFUSE;
	}
	memcpy(key, val + prefix, addr_len);
	key[addr_len] = '\0';
	if (memchr(key, '\0', addr_len) == NULL)
		unquote_local(key, &addr_len);
	if (proxyaddr_check_key(key, addr_len, 0, why) < 0) {
		key[0] = '\0';
		return PROXYADDR_REFUSE;
	}
	return PROXYADDR_KEEP;
}

/* proxyaddr_escape - printable rendering of hostile bytes for logs */
char *
proxyaddr_escape(const char *val, size_t len, char *buf, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)val[i];
		char tmp[5];
		size_t n;

		if (c == '\n')
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\n");
		else if (c == '\r')
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\r");
		else if (c == '\t')
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\t");
		else if (c == '\\')
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\\\");
		else if (c < 0x20 || c >= 0x7f)
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		else
			n = (size_t)snprintf(tmp, sizeof(tmp), "%c", c);
		if (o + n + 4 > size) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		memcpy(buf + o, tmp, n);
		o += n;
	}
	buf[o] = '\0';
	return buf;
}
