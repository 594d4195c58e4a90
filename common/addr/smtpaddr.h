/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_SMTPADDR_H
#define RCPTSYNC_SMTPADDR_H

#include <stddef.h>

/*
 * The Postfix settings that decide how smtpd reads a RCPT TO address
 * (postconf(5)); smtpaddr_settings_default() gives Postfix's defaults.
 */
struct smtpaddr_settings {
	int allow_min_user;	/* allow_min_user: a leading '-' is no error */
	int swap_bangpath;	/* swap_bangpath: "a!b" (no @) means b@a */
	int percent_hack;	/* allow_percent_hack: "a%b" (no @) means a@b */
	const char *myorigin;	/* appended to an address without @, or NULL */
	const char *myhostname; /* resolve.c's last resort, or NULL */
	/* the domains trivial-rewrite takes as local (mydestination and the
	 * machine's own [address]es), lower case; NULL-terminated or NULL */
	const char *const *local;
	size_t line_limit; /* line_length_limit; 0: none */
	int smtputf8;	   /* smtputf8_enable: the command must be UTF-8 */
};

/* Postfix's defaults, with MYORIGIN as myorigin and myhostname (may be
 * NULL). */
void smtpaddr_settings_default(struct smtpaddr_settings *s,
			       const char *myorigin);

/* What smtpd makes of one RCPT TO argument, before any table. */
enum smtpaddr_code {
	SMTPADDR_OK,	     /* an address: the tables decide */
	SMTPADDR_POSTMASTER, /* bare "postmaster": 250 by RFC 5321 3.6 */
	SMTPADDR_SYNTAX,     /* 501 5.1.3 Bad recipient address syntax */
	SMTPADDR_NOARG,	     /* 501 5.5.4 Syntax: RCPT TO:<address> */
	SMTPADDR_OPTION,     /* 555 5.5.4 Unsupported option */
	SMTPADDR_BADUTF8,    /* 500 5.5.2 Error: bad UTF-8 syntax */
};

struct smtpaddr {
	enum smtpaddr_code code;
	const char *why; /* static: the reason, for every code but OK */
	/* SMTPADDR_OK and _POSTMASTER: the address as smtpd resolves it
	 * (internal form: quotes, comments, source route, one trailing dot
	 * gone; @myorigin added), case kept; owned, smtpaddr_free() */
	char *addr;
	const char *domain; /* in addr, after its last '@' */
	int qualified;	    /* 0: had no @ (myorigin was appended) */
	int routed;	    /* '@', '!' or '%' in the local part */
	int literal;	    /* the domain is an [address] literal */
	int local;	    /* the domain is local (settings' local list) */
	int cut;	    /* "RCPT TO:ARG" was cut at line_length_limit */
};

/*
 * smtpaddr_parse - read ARG (LEN bytes, any length; "<...>" or bare, as
 *	after "RCPT TO:") as Postfix 3.7's smtpd does: its command
 *	tokenizer, extract_addr()'s RFC 822 parse (tok822), then the
 *	address checks of trivial-rewrite (rewrite.c, resolve.c,
 *	valid_hostname.c), for the command "RCPT TO:ARG".  Fills OUT;
 *	smtpaddr_free() releases it.  Pure.
 */
void smtpaddr_parse(const char *arg, size_t len,
		    const struct smtpaddr_settings *s, struct smtpaddr *out);

/*
 * smtpaddr_reply - smtpd's reply code for CODE (0 for SMTPADDR_OK: the
 *	tables decide), and in *TEXT its enhanced status and text (static)
 */
int smtpaddr_reply(enum smtpaddr_code code, const char **text);

/* smtpaddr_free - release OUT's address; OUT may be zeroed or NULL */
void smtpaddr_free(struct smtpaddr *out);

/*
 * smtpaddr_quote - the external (quoted) form of ADDR, as Postfix's
 *	quote_822_local() makes it: the local part quoted unless it is an
 *	RFC 822 dot-atom.  The caller frees the result with free().
 */
char *smtpaddr_quote(const char *addr);

/*
 * smtpaddr_strip_ext - ADDR without its address extension, as Postfix's
 *	strip_addr_internal() makes it for recipient_delimiter DELIMS (a set
 *	of characters), or NULL when there is none to strip (no delimiter,
 *	an empty result, postmaster, MAILER-DAEMON, owner-x or x-request
 *	with '-').  The caller frees the result with free().
 */
char *smtpaddr_strip_ext(const char *addr, const char *delims);

/*
 * smtpaddr_unreachable - why smtpd with Postfix's defaults refuses the
 *	table key KEY whatever the table says (a '%', '!' or '@' in its local
 *	part: allow_untrusted_routing = no, 554; a leading '-':
 *	allow_min_user = no, 501), or NULL.  The reason is static.
 */
const char *smtpaddr_unreachable(const char *key);

/* smtpaddr_valid_hostname - Postfix's valid_hostname(): 1 or 0 */
int smtpaddr_valid_hostname(const char *name);

/* smtpaddr_valid_literal - "[1.2.3.4]" or "[IPv6:...]": 1 or 0 */
int smtpaddr_valid_literal(const char *lit);

#endif
