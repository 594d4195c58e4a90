/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	smtpaddr - read a RCPT TO address as Postfix's smtpd reads it
 * DESCRIPTION
 *	"rcptsync explain" must give the answer smtpd gives, so this module
 *	follows Postfix 3.7's own steps, in its order:
 *	- the SMTP command tokenizer (smtpd_token.c): "<...>" and "..."
 *	  kept whole, a missing end is a 501, a second word is an option;
 *	- extract_addr() (smtpd.c): the outer <> off, a source route
 *	  "@a,@b:" cut, then the RFC 822 parser (tok822_parse.c, ported
 *	  below): comments dropped, quotes and backslashes undone, more than
 *	  one address a 501, none a 501;
 *	- the checks smtpd_check_addr() asks trivial-rewrite for (rewrite.c,
 *	  resolve.c): a route again, one trailing dot of the domain, @myorigin
 *	  for an address without @, bang path and percent hack there only; a
 *	  domain that is no valid host name (valid_hostname.c) nor a valid
 *	  [address] (valid_mailhost_addr.c), no domain, a non-ASCII domain
 *	  (no SMTPUTF8) or a leading '-' (allow_min_user = no): 501;
 *	- RESOLVE_FLAG_ROUTED: '@', '!' or '%' left in the local part, which
 *	  reject_unauth_destination refuses (allow_untrusted_routing = no).
 *	What the tables then say is the caller's (cmd/inspect.c).
 * OWNERSHIP
 *	smtpaddr_parse() fills a caller's struct whose address it owns;
 *	smtpaddr_free() releases it.  Token trees are freed before return.
 * DIAGNOSTICS
 *	None: a refusal is a result (a code and a static reason).
 * SEE ALSO
 *	RFC 5321 sections 3.6 and 4.1.2, RFC 822 section 6; Postfix 3.7
 *	smtpd/smtpd.c, smtpd/smtpd_token.c, global/tok822_parse.c,
 *	global/quote_822_local.c, trivial-rewrite/rewrite.c and resolve.c,
 *	util/valid_hostname.c, global/strip_addr.c; doc/postfix-maps.md,
 *	"Postfix settings explain follows".
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"
#include "smtpaddr.h"

/* tok822's token types beyond single characters (tok822.h) */
enum {
	TOK_ATOM = 256,
	TOK_QSTRING,
	TOK_ADDR,
	TOK_DOMLIT,
	TOK_COMMENT,
	TOK_STARTGRP,
};

/* one token, or a group (TOK_ADDR) of them: tok822's TOK822 */
struct tok {
	int type;
	char *s;
	size_t len, cap;
	struct tok *prev, *next, *head, *tail, *owner;
};

#define SPECIALS_822 "()<>@,;:\\\".[]"
static const char opchar[] = "|%!" SPECIALS_822;

#define IS_SPACE_TAB_CR_LF(c) \
	((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/* tok_new - one empty token of TYPE */
static struct tok *
tok_new(int type)
{
	struct tok *t = xcalloc(1, sizeof(*t));

	t->type = type;
	return t;
}

/* tok_addch - append a byte to T's text */
static void
tok_addch(struct tok *t, int c)
{
	if (t->len + 2 > t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->s = xreallocarray(t->s, t->cap, 1);
	}
	t->s[t->len++] = (char)c;
	t->s[t->len] = 0;
}

/* tok_free_tree - T, what follows it, and their groups */
static void
tok_free_tree(struct tok *t)
{
	struct tok *next;

	for (; t != NULL; t = next) {
		tok_free_tree(t->head);
		next = t->next;
		free(t->s);
		free(t);
	}
}

/* tok_append - put the list T2 after T1; returns T2's last (tok822) */
static struct tok *
tok_append(struct tok *t1, struct tok *t2)
{
	struct tok *next = t1->next;

	t1->next = t2;
	t2->prev = t1;
	t2->owner = t1->owner;
	while (t2->next)
		(t2 = t2->next)->owner = t1->owner;
	t2->next = next;
	if (next)
		next->prev = t2;
	return t2;
}

/* tok_prepend - put the list T2 before T1; returns T2's last */
static struct tok *
tok_prepend(struct tok *t1, struct tok *t2)
{
	struct tok *prev = t1->prev;

	if (prev)
		prev->next = t2;
	t2->prev = prev;
	t2->owner = t1->owner;
	while (t2->next)
		(t2 = t2->next)->owner = t1->owner;
	t2->next = t1;
	t1->prev = t2;
	return t2;
}

/* tok_cut_before - split the list before T; returns the part's last */
static struct tok *
tok_cut_before(struct tok *t)
{
	struct tok *prev = t->prev;

	if (prev) {
		prev->next = NULL;
		t->prev = NULL;
	}
	return prev;
}

/* tok_unlink - take T out of its list; returns what came before it */
static struct tok *
tok_unlink(struct tok *t)
{
	struct tok *prev = t->prev, *next = t->next;

	if (prev)
		prev->next = next;
	if (next)
		next->prev = prev;
	t->prev = t->next = NULL;
	return prev;
}

/* tok_sub_append - the list T2 as the end of T1's group */
static void
tok_sub_append(struct tok *t1, struct tok *t2)
{
	if (t1->head) {
		t1->tail = tok_append(t1->tail, t2);
		return;
	}
	t1->head = t2;
	t2->owner = t1;
	while (t2->next)
		(t2 = t2->next)->owner = t1;
	t1->tail = t2;
}

/* tok_group - the tokens between LEFT and RIGHT into one group
 * (tok822_group), with a SYNC token after LEFT when not 0 */
static struct tok *
tok_group(int type, struct tok *left, struct tok *right, int sync)
{
	struct tok *group, *first;

	if (left != right && (first = left->next) != right) {
		tok_cut_before(right);
		tok_cut_before(first);
		group = tok_new(type);
		tok_sub_append(group, first);
		tok_append(left, group);
		tok_append(group, right);
		if (sync)
			tok_append(left, tok_new(sync));
	}
	return left;
}

/* collect - tok822's COLLECT: bytes while COND, a backslash quoting the
 * next; white space becomes a space.  STOP is the closing byte, or -1 for
 * an atom (which stops at white space and operators) */
static const char *
collect(struct tok *t, const char *s, int stop)
{
	int c;

	while ((c = *(const unsigned char *)s) != 0) {
		if (c == '\\') {
			if ((c = *(const unsigned char *)++s) == 0)
				break;
		} else if (stop >= 0 ? c == stop
				     : IS_SPACE_TAB_CR_LF(c) ||
					       strchr(opchar, c) != NULL) {
			break;
		}
		tok_addch(t, IS_SPACE_TAB_CR_LF(c) ? ' ' : c);
		s++;
	}
	return s;
}

/* comment - tok822_comment: a nested "(...)" kept whole */
static const char *
comment(struct tok *t, const char *s)
{
	int level = 1, c;

	tok_addch(t, '(');
	while ((c = *(const unsigned char *)s) != 0) {
		tok_addch(t, c);
		s++;
		if (c == '(') {
			level++;
		} else if (c == ')') {
			if (--level == 0)
				break;
		} else if (c == '\\') {
			if ((c = *(const unsigned char *)s) == 0)
				break;
			tok_addch(t, c);
			s++;
		}
	}
	return s;
}

/* scan_one - the token at S (not white space); *SP moves past it */
static struct tok *
scan_one(const char **sp)
{
	const char *s = *sp;
	int c = *(const unsigned char *)s++;
	struct tok *t;

	if (c == '(') {
		t = tok_new(TOK_COMMENT);
		s = comment(t, s);
	} else if (c == '[' || c == '"') {
		t = tok_new(c == '[' ? TOK_DOMLIT : TOK_QSTRING);
		s = collect(t, s, c == '[' ? ']' : '"');
		if (*s)
			s++;
	} else if (c != '\\' && strchr(opchar, c) != NULL) {
		t = tok_new(c);
	} else {
		t = tok_new(TOK_ATOM);
		s = collect(t, s - 1, -1);
		/* an escaped special makes it a quoted string (quote_atom) */
		for (size_t i = 0; i < t->len; i++)
			if (t->s[i] == ' ' || iscntrl((unsigned char)t->s[i]) ||
			    strchr(opchar, t->s[i]) != NULL) {
				t->type = TOK_QSTRING;
				break;
			}
	}
	*sp = s;
	return t;
}

/* scan - tok822_scan: the token list of S, *LAST its end; NULL if none */
static struct tok *
scan(const char *s, struct tok **last)
{
	struct tok *head = NULL, *tail = NULL, *t;

	while (*s) {
		if (IS_SPACE_TAB_CR_LF(*s)) {
			s++;
			continue;
		}
		t = scan_one(&s);
		if (head == NULL)
			head = tail = t;
		else
			tail = tok_append(tail, t);
	}
	*last = tail;
	return head;
}

#define DO_WORD (1 << 0)
#define DO_GROUP (1 << 1)

/* move_comment - a comment moved to the right of what is parsed */
static struct tok *
move_comment(struct tok **tp, struct tok **right)
{
	struct tok *prev = tok_unlink(*tp);

	*right = tok_prepend(*right, *tp);
	*tp = prev;
	return prev;
}

/* parse_angle - tok822_parse at a '>': the <route-addr> as a group */
static struct tok *
parse_angle(struct tok *tp, struct tok **right)
{
	*right = tok_group(TOK_ADDR, tp, *right, ',');
	while (tp->type && tp->type != '<') {
		if (tp->type == TOK_COMMENT)
			move_comment(&tp, right);
		else
			tp = tp->prev;
	}
	(void)tok_group(TOK_ADDR, tp, *right, 0);
	while (tp->type && (tp->type > 0xff || strchr(">;,:", tp->type) == 0))
		tp = tp->prev;
	*right = tp;
	return tp;
}

/*
 * parse - tok822_parse: S as a list of addresses (TOK_ADDR groups),
 * read right to left as Postfix does; NULL when S has no token
 */
static struct tok *
parse(const char *s)
{
	struct tok *first, *last, *head, *tail, *right, *tp;
	int state = DO_WORD;

	if ((first = scan(s, &last)) == NULL)
		return NULL;
	head = tok_new(0);
	head->next = first, first->prev = head;
	tail = tok_new(0);
	last->next = tail, tail->prev = last;
	right = tail;
	tp = tail->prev;
	while (tp->type) {
		if (tp->type == TOK_COMMENT) {
			move_comment(&tp, &right);
			continue;
		} else if (tp->type == ';') {
			right = tok_group(TOK_ADDR, tp, right, ',');
			state = DO_GROUP | DO_WORD;
		} else if (tp->type == ':' && (state & DO_GROUP) != 0) {
			tp->type = TOK_STARTGRP;
			(void)tok_group(TOK_ADDR, tp, right, 0);
			while (tp->type && tp->type != ',')
				tp = tp->prev;
			right = tp;
			continue;
		} else if (tp->type == '>') {
			tp = parse_angle(tp, &right);
			state |= DO_WORD;
			continue;
		} else if (tp->type == TOK_ATOM || tp->type == TOK_QSTRING ||
			   tp->type == TOK_DOMLIT) {
			if ((state & DO_WORD) == 0)
				right = tok_group(TOK_ADDR, tp, right, ',')
						->next;
			state &= ~DO_WORD;
		} else if (tp->type == ',') {
			right = tok_group(TOK_ADDR, tp, right, 0);
			state |= DO_WORD;
		} else {
			state |= DO_WORD;
		}
		tp = tp->prev;
	}
	(void)tok_group(TOK_ADDR, tp, right, 0);
	tp = head->next != tail ? head->next : NULL;
	tok_cut_before(head->next);
	free(head);
	tok_cut_before(tail);
	free(tail);
	return tp;
}

/* buf - a growing string */
struct buf {
	char *s;
	size_t len, cap;
};

/* buf_add - append LEN bytes of S */
static void
buf_add(struct buf *b, const char *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = 0;
}

/* internalize - tok822_internalize of a group's members (no spaces:
 * every member has an owner) */
static void
internalize(struct buf *b, const struct tok *t)
{
	char c;

	for (; t != NULL; t = t->next) {
		switch (t->type) {
		case TOK_ADDR: internalize(b, t->head); break;
		case TOK_COMMENT:
		case TOK_ATOM:
		case TOK_QSTRING: buf_add(b, t->s ? t->s : "", t->len); break;
		case TOK_DOMLIT:
			buf_add(b, "[", 1);
			buf_add(b, t->s ? t->s : "", t->len);
			buf_add(b, "]", 1);
			break;
		case TOK_STARTGRP: buf_add(b, ":", 1); break;
		default: c = (char)t->type; buf_add(b, &c, 1);
		}
	}
}

/*
 * smtp_token_count - smtpd_token.c's words in ARG, *SECOND the start of
 * the second: 0 when none, -1 when the first one's quote or bracket has
 * no end (SMTPD_TOK_ERROR: smtpd's 501; in a later word it is an option)
 */
static int
smtp_token_count(const char *s, const char **second)
{
	int n = 0, in = 0, err = 0;
	char stack[64];
	size_t depth;

	*second = NULL;
	while (*s) {
		if (IS_SPACE_TAB_CR_LF(*s) || *s == '\v' || *s == '\f') {
			in = 0;
			s++;
			continue;
		}
		if (!in) {
			if (++n == 2)
				*second = s;
			in = 1;
		}
		if (*s == '<' || *s == '"') {
			/* smtp_quoted: '"' nests inside <>, '<' inside <> */
			depth = 0;
			stack[depth++] = *s == '<' ? '>' : '"';
			for (s++; *s && depth > 0; s++) {
				if (*s == '\\') {
					if (*++s == 0)
						break;
				} else if (*s == stack[depth - 1]) {
					depth--;
				} else if (*s == '"' && depth < sizeof(stack)) {
					stack[depth++] = '"';
				} else if (*s == '<' &&
					   stack[depth - 1] == '>' &&
					   depth < sizeof(stack)) {
					stack[depth++] = '>';
				}
			}
			if (depth > 0 && n == 1)
				err = 1;
			continue;
		}
		if (*s == '\\' && s[1])
			s++;
		s++;
	}
	return err ? -1 : n;
}

/* is_dot_string - quote_822_local's is_822_dot_string over [S, END) */
static int
is_dot_string(const char *s, const char *end)
{
	const char *cp;

	if (s == end || *s == 0 || *s == '.')
		return 0;
	for (cp = s; cp < end && *cp; cp++) {
		unsigned char c = (unsigned char)*cp;

		/* QUOTE_FLAG_8BITCLEAN: bytes over 127 are text */
		if ((c == '.' && cp + 1 < end && cp[1] == '.') || c == ' ' ||
		    iscntrl(c) || strchr("()<>@,;:\\\"[]", c))
			return 0;
	}
	return cp[-1] != '.';
}

/* smtpaddr_quote - see smtpaddr.h */
char *
smtpaddr_quote(const char *addr)
{
	const char *start = addr, *end, *colon;
	struct buf b = {0};

	if (addr[0] == '@' && (colon = strchr(addr, ':')) != NULL)
		start = colon + 1;
	if ((end = strrchr(start, '@')) == NULL)
		end = start + strlen(start);
	buf_add(&b, addr, (size_t)(start - addr));
	if (is_dot_string(start, end)) {
		buf_add(&b, start, (size_t)(end - start));
	} else {
		buf_add(&b, "\"", 1);
		for (const char *cp = start; cp < end; cp++) {
			if (*cp == '"' || *cp == '\\' || *cp == '\r')
				buf_add(&b, "\\", 1);
			buf_add(&b, cp, 1);
		}
		buf_add(&b, "\"", 1);
	}
	buf_add(&b, end, strlen(end));
	return b.s;
}

/* smtpaddr_strip_ext - see smtpaddr.h */
char *
smtpaddr_strip_ext(const char *addr, const char *delims)
{
	const char *at = strrchr(addr, '@');
	size_t llen = at ? (size_t)(at - addr) : strlen(addr), n;
	char *local, *out;

	if (*delims == 0 || addr[strcspn(addr, delims)] == 0)
		return NULL;
	local = xstrndup(addr, llen);
	n = strcspn(local, delims);
	/* split_addr_internal: these are never split */
	if (strcasecmp(local, "postmaster") == 0 ||
	    strcasecmp(local, "mailer-daemon") == 0 ||
	    strcasecmp(local, "double-bounce") == 0 ||
	    (strchr(delims, '-') != NULL &&
	     (strncasecmp(local, "owner-", 6) == 0 ||
	      (llen > 8 && strcasecmp(local + llen - 8, "-request") == 0))) ||
	    n == 0 || local[n] == 0) {
		free(local);
		return NULL;
	}
	out = xmalloc(n + strlen(addr + llen) + 1);
	memcpy(out, addr, n);
	strcpy(out + n, addr + llen);
	free(local);
	return out;
}

/* smtpaddr_unreachable - see smtpaddr.h */
const char *
smtpaddr_unreachable(const char *key)
{
	const char *at = strrchr(key, '@');
	size_t n = at ? (size_t)(at - key) : strlen(key);

	if (key[0] == '-')
		return "it starts with '-': smtpd answers 501 (allow_min_user "
		       "= no)";
	if (strcspn(key, "%!@") < n)
		return "its local part holds '%', '!' or '@', which route "
		       "mail onwards: smtpd answers 554 Relay access denied "
		       "(allow_untrusted_routing = no)";
	return NULL;
}

/* smtpaddr_valid_hostname - see smtpaddr.h (valid_hostname.c) */
int
smtpaddr_valid_hostname(const char *name)
{
	const char *cp;
	int label = 0, non_numeric = 0;

	if (*name == 0)
		return 0;
	for (cp = name; *cp; cp++) {
		unsigned char c = (unsigned char)*cp;

		if (isalnum(c) || c == '_') {
			if (++label > 63)
				return 0;
			if (!isdigit(c))
				non_numeric = 1;
		} else if (c == '.') {
			if (label == 0 || cp[1] == 0)
				return 0;
			label = 0;
		} else if (c == '-') {
			non_numeric = 1;
			if (++label == 1 || cp[1] == 0 || cp[1] == '.')
				return 0;
		} else {
			return 0;
		}
	}
	return non_numeric && cp - name <= 255;
}

/* valid_ipv4 - valid_ipv4_hostaddr() */
static int
valid_ipv4(const char *addr)
{
	int in_byte = 0, count = 0, val = 0;

	for (const char *cp = addr; *cp; cp++) {
		if (isdigit((unsigned char)*cp)) {
			if (!in_byte)
				in_byte = 1, val = 0, count++;
			if ((val = val * 10 + (*cp - '0')) > 255)
				return 0;
		} else if (*cp == '.') {
			if (!in_byte || cp[1] == 0)
				return 0;
			if (count == 1 && val == 0 && addr[strspn(addr, "0.")])
				return 0;
			in_byte = 0;
		} else {
			return 0;
		}
	}
	return count == 4;
}

/* valid_ipv6 - valid_ipv6_hostaddr() */
static int
valid_ipv6(const char *addr)
{
	int null_field = 0, field = 0;
	size_t len = 0;
	const char *cp = addr;

	for (;;) {
		switch (*cp) {
		case 0:
			return field >= 2 &&
			       !(len == 0 && null_field != field - 1);
		case '.':
			if (field < 2 || field > 6)
				return 0;
			return valid_ipv4(cp - len);
		case ':':
			if (field == 0 && len == 0 &&
			    isalnum((unsigned char)cp[1]))
				return 0;
			if (++field > 7)
				return 0;
			cp++;
			len = 0;
			if (*cp == ':') {
				if (null_field > 0)
					return 0;
				null_field = field;
			}
			break;
		default:
			len = strspn(cp, "0123456789abcdefABCDEF");
			if (len == 0 || len > 4)
				return 0;
			cp += len;
			break;
		}
	}
}

/* smtpaddr_valid_literal - see smtpaddr.h (valid_mailhost_literal) */
int
smtpaddr_valid_literal(const char *lit)
{
	const char *last;
	char inner[100];
	size_t n;

	if (*lit != '[' || (last = strchr(lit, ']')) == NULL || last[1])
		return 0;
	if ((n = (size_t)(last - lit - 1)) >= sizeof(inner))
		return 0;
	memcpy(inner, lit + 1, n);
	inner[n] = 0;
	if (strncasecmp(inner, "IPv6:", 5) == 0)
		return valid_ipv6(inner + 5);
	return valid_ipv4(inner);
}

/* smtpaddr_settings_default - see smtpaddr.h */
void
smtpaddr_settings_default(struct smtpaddr_settings *s, const char *myorigin)
{
	s->allow_min_user = 0;
	s->swap_bangpath = 1;
	s->percent_hack = 1;
	s->myorigin = myorigin;
	s->myhostname = myorigin;
	s->local = NULL;
	s->line_limit = 2048;
	s->smtputf8 = 1;
}

/* refuse - OUT gets CODE and WHY, and no address */
static void
refuse(struct smtpaddr *out, enum smtpaddr_code code, const char *why)
{
	free(out->addr);
	out->addr = NULL;
	out->domain = NULL;
	out->code = code;
	out->why = why;
}

/* extract - extract_addr(): the one address in TEXT, internal form, or
 * NULL with *WHY set */
static char *
extract(char *text, const char **why)
{
	struct tok *tree, *t, *addr = NULL;
	struct buf b = {0};
	char *colon;
	size_t len = strlen(text);
	int naddr = 0;

	if (len > 0 && text[0] == '<' && text[len - 1] == '>') {
		text[len - 1] = 0;
		text++;
	}
	if (*text == '@' && (colon = strchr(text, ':')) != NULL)
		text = colon + 1;
	tree = parse(text);
	for (t = tree; t != NULL; t = t->next)
		if (t->type == TOK_ADDR)
			addr = t, naddr++;
	if (naddr > 1) {
		*why = "it holds more than one address (RFC 822 parse)";
		tok_free_tree(tree);
		return NULL;
	}
	buf_add(&b, "", 0);
	if (addr != NULL)
		internalize(&b, addr->head);
	tok_free_tree(tree);
	return b.s;
}

/* is_local - is DOMAIN in the settings' local list? */
static int
is_local(const struct smtpaddr_settings *s, const char *domain)
{
	for (const char *const *l = s->local; l != NULL && *l != NULL; l++)
		if (strcasecmp(*l, domain) == 0)
			return 1;
	return 0;
}

/* A flat token list, as tok822_scan_addr() gives it. */
struct toks {
	struct tok **v;
	size_t n;
};

/* toks_scan - the tokens of S */
static void
toks_scan(struct toks *t, const char *s)
{
	struct tok *last, *next;

	t->v = NULL;
	t->n = 0;
	for (struct tok *k = scan(s, &last); k != NULL; k = next) {
		next = k->next;
		k->prev = k->next = NULL;
		t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
		t->v[t->n++] = k;
	}
}

/* toks_text - tok822_internalize of the list; the caller frees it */
static char *
toks_text(const struct toks *t)
{
	struct buf b = {0};

	buf_add(&b, "", 0);
	for (size_t i = 0; i < t->n; i++)
		internalize(&b, t->v[i]);
	return b.s;
}

/* toks_free - the list and its tokens */
static void
toks_free(struct toks *t)
{
	for (size_t i = 0; i < t->n; i++)
		tok_free_tree(t->v[i]);
	free(t->v);
}

/* toks_drop - remove N tokens at I */
static void
toks_drop(struct toks *t, size_t i, size_t n)
{
	for (size_t k = i; k < i + n; k++)
		tok_free_tree(t->v[k]);
	memmove(t->v + i, t->v + i + n, (t->n - i - n) * sizeof(*t->v));
	t->n -= n;
}

/* toks_find - the first (or with LAST the last) token of TYPE, or -1 */
static long
toks_find(const struct toks *t, int type, int last)
{
	long found = -1;

	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->type == type) {
			found = (long)i;
			if (!last)
				break;
		}
	return found;
}

/* trailing_dot - one trailing '.' goes, not after '.' or '@' */
static void
trailing_dot(struct toks *t)
{
	if (t->n >= 2 && t->v[t->n - 1]->type == '.' &&
	    t->v[t->n - 2]->type != '.' && t->v[t->n - 2]->type != '@')
		toks_drop(t, t->n - 1, 1);
}

/* toks_push - K after T's tokens */
static void
toks_push(struct toks *t, struct tok *k)
{
	t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
	t->v[t->n++] = k;
}

/* toks_append - O's tokens after T's (O's array stays O's) */
static void
toks_append(struct toks *t, const struct toks *o)
{
	t->v = xreallocarray(t->v, t->n + o->n + 1, sizeof(*t->v));
	memcpy(t->v + t->n, o->v, o->n * sizeof(*o->v));
	t->n += o->n;
}

/* unqualified - rewrite_tree() without '@': the bang path, the percent
 * hack, or @myorigin; *QUALIFIED 0 for the last */
static void
unqualified(struct toks *t, const struct smtpaddr_settings *s, int *qualified)
{
	long bang = toks_find(t, '!', 0), pct = toks_find(t, '%', 1);
	struct toks o;
	struct tok **v;
	size_t b;

	if (s->swap_bangpath && bang >= 0) {
		/* "host!rest" is "rest@host" */
		b = (size_t)bang;
		v = xreallocarray(NULL, t->n, sizeof(*v));
		memcpy(v, t->v + b + 1, (t->n - b - 1) * sizeof(*v));
		v[t->n - b - 1] = t->v[b];
		t->v[b]->type = '@';
		memcpy(v + t->n - b, t->v, b * sizeof(*v));
		free(t->v);
		t->v = v;
	} else if (s->percent_hack && pct >= 0) {
		t->v[pct]->type = '@';
	} else if (s->myorigin != NULL && *s->myorigin != 0) {
		*qualified = 0;
		toks_scan(&o, s->myorigin);
		toks_push(t, tok_new('@'));
		toks_append(t, &o);
		free(o.v);
	} else {
		*qualified = 0;
	}
}

/* unquote - unquote_822_local(): quotes and backslashes of the local part
 * undone; the caller frees the result */
static char *
unquote(const char *mbox)
{
	const char *start = mbox, *colon, *cp, *bare_at = NULL;
	struct buf b = {0};
	size_t bare_at_pos = 0;
	int in_quote = 0;

	if (mbox[0] == '@' && (colon = strchr(mbox, ':')) != NULL)
		start = colon + 1;
	buf_add(&b, mbox, (size_t)(start - mbox));
	for (cp = start; *cp; cp++) {
		if (*cp == '"') {
			in_quote = !in_quote;
			continue;
		} else if (*cp == '@') {
			if (!in_quote) {
				bare_at_pos = b.len;
				bare_at = cp;
			}
		} else if (*cp == '\\') {
			if (cp[1] == 0)
				continue;
			cp++;
		}
		buf_add(&b, cp, 1);
	}
	if (bare_at != NULL) {
		b.len = bare_at_pos;
		buf_add(&b, bare_at, strlen(bare_at));
	}
	return b.s;
}

/* rewrite_tree - rewrite.c's rewrite_tree() in the "local" context: a
 * source route cut, @myorigin (or the bang path or percent hack) for an
 * address without '@', one trailing dot off */
static void
rewrite_tree(struct toks *t, const struct smtpaddr_settings *s, int *qualified)
{
	long colon;

	if (t->n == 1 && t->v[0]->type == TOK_QSTRING && t->v[0]->len == 0)
		return;
	if (t->n == 1 && t->v[0]->type == '@') {
		t->v[0]->type = TOK_QSTRING;
		return;
	}
	if (t->n > 0 && t->v[0]->type == '@' &&
	    (colon = toks_find(t, ':', 0)) >= 0 && (size_t)colon != t->n - 1)
		toks_drop(t, 0, (size_t)colon + 1);
	if (toks_find(t, '@', 0) < 0)
		unqualified(t, s, qualified);
	trailing_dot(t);
}

/*
 * rewrite - what smtpd_resolve_addr() asks trivial-rewrite for first
 * (rewrite_clnt_internal): A quoted, scanned, rewrite_tree(), then back
 * through tok822_externalize and unquote_822_local.  Frees A; returns
 * the new address.
 */
static char *
rewrite(char *a, const struct smtpaddr_settings *s, int *qualified)
{
	char *q = smtpaddr_quote(a), *r;
	struct toks t;

	toks_scan(&t, q);
	free(q);
	free(a);
	*qualified = 1;
	rewrite_tree(&t, s, qualified);
	a = toks_text(&t);
	toks_free(&t);
	q = smtpaddr_quote(a);
	r = unquote(q);
	free(q);
	free(a);
	return r;
}

/* domain_is_local - is the text of T's tokens from I on a local domain? */
static int
domain_is_local(const struct toks *t, size_t i,
		const struct smtpaddr_settings *s)
{
	struct toks d = {t->v + i, t->n - i};
	char *name = toks_text(&d);
	int local = is_local(s, name);

	free(name);
	return local;
}

/*
 * crack_quoted - resolve_dequoted: a local part that is one quoted string
 * with '@' (or '%', '!' as the settings allow) is opened and scanned
 * again.  Returns 1 when it was.
 */
static int
crack_quoted(struct toks *t, const struct smtpaddr_settings *s)
{
	char *local, *oper, *q;

	if (t->n != 1 || t->v[0]->type != TOK_QSTRING || t->v[0]->s == NULL)
		return 0;
	local = t->v[0]->s;
	if ((oper = strrchr(local, '@')) == NULL &&
	    (!s->percent_hack || (oper = strrchr(local, '%')) == NULL) &&
	    (!s->swap_bangpath || (oper = strrchr(local, '!')) == NULL))
		return 0;
	if (*oper == '%')
		*oper = '@';
	q = *oper == '@' ? smtpaddr_quote(local) : xstrdup(local);
	toks_free(t);
	toks_scan(t, q);
	free(q);
	return 1;
}

/*
 * resolve_loop - resolve.c's resolve_addr() loop on the rewritten A: one
 * trailing dot off; a domain that is neither local nor empty ends it;
 * else the domain is set aside and a local part with routing operators
 * rewritten and resolved again (so "path!host@" is path@host, "a%b@" is
 * a@b), and the domain set aside put back.  Frees A.
 * XXX an empty local part under a local domain (MAILER-DAEMON) is not
 * followed.
 */
static char *
resolve_loop(char *a, const struct smtpaddr_settings *s)
{
	char *q = smtpaddr_quote(a);
	struct toks t, saved = {0}, host;
	size_t limit = strlen(a) + 100;
	long at;
	int qualified, done = 0;

	toks_scan(&t, q);
	free(q);
	free(a);
	for (size_t loop = 0; loop <= limit && !done; loop++) {
		if (toks_find(&t, '@', 1) >= 0)
			trailing_dot(&t);
		if ((at = toks_find(&t, '@', 1)) >= 0) {
			if ((size_t)at + 1 < t.n &&
			    !domain_is_local(&t, (size_t)at + 1, s))
				break;
			toks_free(&saved);
			saved.v = xreallocarray(NULL, t.n - (size_t)at + 1,
						sizeof(*saved.v));
			saved.n = t.n - (size_t)at;
			memcpy(saved.v, t.v + at, saved.n * sizeof(*saved.v));
			t.n = (size_t)at;
		}
		if (toks_find(&t, '@', 1) >= 0 ||
		    (s->swap_bangpath && toks_find(&t, '!', 1) >= 0) ||
		    (s->percent_hack && toks_find(&t, '%', 1) >= 0)) {
			rewrite_tree(&t, s, &qualified);
			continue;
		}
		if (crack_quoted(&t, s)) {
			rewrite_tree(&t, s, &qualified);
			continue;
		}
		if (at < 0 && saved.n == 0 && s->myhostname != NULL) {
			toks_scan(&host, s->myhostname);
			toks_push(&t, tok_new('@'));
			toks_append(&t, &host);
			free(host.v);
			continue;
		}
		done = 1;
	}
	if (done && saved.n > 0) {
		toks_append(&t, &saved);
		free(saved.v);
		saved.v = NULL;
		saved.n = 0;
	}
	toks_free(&saved);
	a = toks_text(&t);
	toks_free(&t);
	return a;
}

/* check_domain - resolve.c's checks of the domain; NULL or the reason */
static const char *
check_domain(const char *d, int *literal)
{
	*literal = *d == '[';
	if (*d == 0)
		return "its domain is empty";
	for (const char *cp = d; *cp; cp++)
		if ((unsigned char)*cp > 127)
			return "its domain is not ASCII (no SMTPUTF8 asked)";
	if (*literal)
		return smtpaddr_valid_literal(d)
			       ? NULL
			       : "its domain is no valid [address] literal";
	if (!smtpaddr_valid_hostname(d))
		return "its domain is no valid host name (empty label, label "
		       "over 63 bytes, bad character or hyphen, all "
		       "numeric, or over 255 bytes)";
	return NULL;
}

/* resolve - rewrite.c and resolve.c on the internal address A (owned):
 * the route, @myorigin, one trailing dot; then the checks */
static void
resolve(char *a, const struct smtpaddr_settings *s, struct smtpaddr *out)
{
	char *at;

	a = resolve_loop(rewrite(a, s, &out->qualified), s);
	out->addr = a;
	if ((at = strrchr(a, '@')) == NULL) {
		refuse(out, SMTPADDR_SYNTAX, "it has no domain");
		return;
	}
	out->domain = at + 1;
	if ((out->why = check_domain(out->domain, &out->literal)) != NULL) {
		refuse(out, SMTPADDR_SYNTAX, out->why);
		return;
	}
	out->local = is_local(s, out->domain);
	out->routed = a + strcspn(a, "@!%") != at;
	if (!s->allow_min_user && a[0] == '-')
		refuse(out, SMTPADDR_SYNTAX,
		       "it starts with '-' (allow_min_user = no)");
}

/* valid_utf8 - Postfix's valid_utf8_string(), byte for byte */
static int
valid_utf8(const char *str, size_t len)
{
	const unsigned char *end = (const unsigned char *)str + len, *cp;
	unsigned char c0, ch;

	for (cp = (const unsigned char *)str; cp < end; cp++) {
		if ((c0 = *cp) <= 0x7f)
			continue;
		if (c0 <= 0xdf) {
			if (c0 < 0xc2 || cp + 1 >= end ||
			    ((ch = *++cp) & 0xc0) != 0x80)
				return 0;
		} else if (c0 <= 0xef) {
			if (cp + 2 >= end ||
			    (ch = *++cp) < (c0 == 0xe0 ? 0xa0 : 0x80) ||
			    ch > (c0 == 0xed ? 0x9f : 0xbf) ||
			    ((ch = *++cp) & 0xc0) != 0x80)
				return 0;
		} else if (c0 <= 0xf4) {
			if (cp + 3 >= end ||
			    (ch = *++cp) < (c0 == 0xf0 ? 0x90 : 0x80) ||
			    ch > (c0 == 0xf4 ? 0x8f : 0xbf) ||
			    ((ch = *++cp) & 0xc0) != 0x80 ||
			    ((ch = *++cp) & 0xc0) != 0x80)
				return 0;
		} else {
			return 0;
		}
	}
	return 1;
}

/* dsn_options - are the words of S all NOTIFY= or ORCPT= (RFC 3461)?
 * XXX their values are not checked as smtpd checks them */
static int
dsn_options(const char *s)
{
	while (*s) {
		s += strspn(s, " \t\r\v\f");
		if (*s == 0)
			break;
		if (strncasecmp(s, "NOTIFY=", 7) != 0 &&
		    strncasecmp(s, "ORCPT=", 6) != 0)
			return 0;
		s += strcspn(s, " \t\r\v\f");
	}
	return 1;
}

#define RCPT_TO_LEN (sizeof("RCPT TO:") - 1)

/* first_word - TEXT's first word (cut at SECOND, the next one's start,
 * unless NULL), without the white space around it; TEXT is changed */
static char *
first_word(char *text, const char *second)
{
	char *w = text + strspn(text, " \t\r\v\f");
	size_t wl;

	if (second != NULL)
		text[second - text] = 0;
	wl = strlen(w);
	while (wl > 0 && strchr(" \t\r\v\f", w[wl - 1]))
		w[--wl] = 0;
	return w;
}

/* smtpaddr_parse - see smtpaddr.h */
void
smtpaddr_parse(const char *arg, size_t len, const struct smtpaddr_settings *s,
	       struct smtpaddr *out)
{
	char *text, *a;
	const char *second, *why = NULL;
	int n;

	memset(out, 0, sizeof(*out));
	if (memchr(arg, 0, len) != NULL || memchr(arg, '\n', len) != NULL) {
		refuse(out, SMTPADDR_SYNTAX,
		       "it holds a NUL or a line break (no SMTP command can)");
		return;
	}
	/* smtpd reads line_length_limit bytes of "RCPT TO:ARG" and skips
	 * the rest (smtpd_chat_query_limit) */
	if (s->line_limit > 0 && len + RCPT_TO_LEN >= s->line_limit) {
		len = s->line_limit - RCPT_TO_LEN;
		out->cut = 1;
	}
	if (s->smtputf8 && !valid_utf8(arg, len)) {
		refuse(out, SMTPADDR_BADUTF8,
		       "the command is no valid UTF-8 (smtputf8_enable)");
		return;
	}
	text = xstrndup(arg, len);
	if ((n = smtp_token_count(text, &second)) == 0) {
		refuse(out, SMTPADDR_NOARG, "there is no address");
	} else if (n < 0) {
		refuse(out, SMTPADDR_SYNTAX,
		       out->cut ? "smtpd cut the command at line_length_limit, "
				  "and a quote or '<' has no end"
				: "a quote or '<' has no end");
	} else {
		if ((a = extract(first_word(text, n > 1 ? second : NULL),
				 &why)) == NULL) {
			refuse(out, SMTPADDR_SYNTAX, why);
		} else if (*a == 0) {
			free(a);
			refuse(out, SMTPADDR_SYNTAX, "the address is empty");
		} else {
			out->code = strcasecmp(a, "postmaster") == 0
					    ? SMTPADDR_POSTMASTER
					    : SMTPADDR_OK;
			resolve(a, s, out);
			if (out->code == SMTPADDR_POSTMASTER)
				out->why = "\"postmaster\" without a domain "
					   "(RFC 5321 section 4.5.1)";
			/* rcpt_cmd() reads the options after the address */
			if (n > 1 && out->code != SMTPADDR_SYNTAX &&
			    !dsn_options(arg + (second - text)))
				refuse(out, SMTPADDR_OPTION,
				       "white space outside quotes: smtpd "
				       "reads "
				       "what follows as an ESMTP option");
		}
	}
	free(text);
}

/* smtpd's replies, by code (smtpd.c, rcpt_cmd and smtpd_proto) */
static const struct {
	enum smtpaddr_code code;
	int reply;
	const char *text;
} replies[] = {
	{SMTPADDR_OK, 0, ""},
	{SMTPADDR_POSTMASTER, 250, "2.1.5 Ok"},
	{SMTPADDR_SYNTAX, 501, "5.1.3 Bad recipient address syntax"},
	{SMTPADDR_NOARG, 501, "5.5.4 Syntax: RCPT TO:<address>"},
	{SMTPADDR_OPTION, 555, "5.5.4 Unsupported option"},
	{SMTPADDR_BADUTF8, 500, "5.5.2 Error: bad UTF-8 syntax"},
};

/* smtpaddr_reply - see smtpaddr.h */
int
smtpaddr_reply(enum smtpaddr_code code, const char **text)
{
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
		if (replies[i].code == code) {
			*text = replies[i].text;
			return replies[i].reply;
		}
	panic("smtpaddr_reply: code %d", (int)code);
}

/* smtpaddr_free - see smtpaddr.h */
void
smtpaddr_free(struct smtpaddr *out)
{
	if (out == NULL)
		return;
	free(out->addr);
	out->addr = NULL;
	out->domain = NULL;
}
