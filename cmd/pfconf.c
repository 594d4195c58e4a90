/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pfconf - the Postfix settings "explain" follows, from postconf
 * DESCRIPTION
 *	"explain" answers as the gateway's own smtpd would, so it reads the
 *	settings from the Postfix configuration it is pointed at: one
 *	"postconf -x -h" (values with $name expanded, defaults included) for
 *	recipient_delimiter, parent_domain_matches_subdomains,
 *	allow_untrusted_routing, allow_min_user, swap_bangpath,
 *	allow_percent_hack, myorigin, myhostname, mydestination,
 *	inet_interfaces, smtpd_relay_before_recipient_restrictions,
 *	smtpd_relay_restrictions, smtpd_recipient_restrictions,
 *	line_length_limit and smtputf8_enable.  No main.cf there:
 *	"postconf -d", the defaults Postfix itself would use.  postconf runs
 *	without a shell, stdin /dev/null, stderr discarded (it warns about a
 *	missing master.cf, which is no concern of ours).
 * OWNERSHIP
 *	struct pfconf owns its strings; pfconf_free() releases them.
 * DIAGNOSTICS
 *	CONFIG sync_err when postconf cannot be run or fails.
 * SEE ALSO
 *	postconf(1), postconf(5); doc/postfix-maps.md, "Postfix settings
 *	explain follows".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xalloc.h"
#include "pfconf.h"

/* The parameters asked, in the order postconf prints them. */
enum {
	P_DELIM,
	P_PARENT,
	P_UNTRUSTED,
	P_MIN_USER,
	P_BANG,
	P_PERCENT,
	P_MYORIGIN,
	P_MYDEST,
	P_INET,
	P_RELAY_FIRST,
	P_RELAY_RESTR,
	P_RCPT_RESTR,
	P_LINE_LIMIT,
	P_MYHOSTNAME,
	P_SMTPUTF8,
	P_COUNT
};
static const char *const params[P_COUNT] = {
	"recipient_delimiter",
	"parent_domain_matches_subdomains",
	"allow_untrusted_routing",
	"allow_min_user",
	"swap_bangpath",
	"allow_percent_hack",
	"myorigin",
	"mydestination",
	"inet_interfaces",
	"smtpd_relay_before_recipient_restrictions",
	"smtpd_relay_restrictions",
	"smtpd_recipient_restrictions",
	"line_length_limit",
	"myhostname",
	"smtputf8_enable",
};

/* run_postconf - postconf's output for ARGV, or NULL with ERR set */
static char *
run_postconf(char *const *argv, struct sync_err *err)
{
	int fds[2], status, null;
	pid_t pid;
	size_t len = 0, cap = 4096;
	ssize_t n;
	char *out;

	if (pipe(fds) < 0) {
		sync_err_set(err, SYNC_ERR_CONFIG, "pipe: %s", strerror(errno));
		return NULL;
	}
	if ((pid = fork()) < 0) {
		close(fds[0]), close(fds[1]);
		sync_err_set(err, SYNC_ERR_CONFIG, "fork: %s", strerror(errno));
		return NULL;
	}
	if (pid == 0) {
		null = open("/dev/null", O_RDWR);
		dup2(null, 0), dup2(fds[1], 1), dup2(null, 2);
		close(fds[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	out = xmalloc(cap);
	while ((n = read(fds[0], out + len, cap - len - 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if ((len += (size_t)n) + 1 == cap)
			out = xreallocarray(out, cap *= 2, 1);
	}
	out[len] = 0;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		sync_err_set(err, SYNC_ERR_CONFIG,
			     "postconf failed (exit %d): explain reads "
			     "Postfix's settings with it",
			     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		free(out);
		return NULL;
	}
	return out;
}

/* words - the entries of a Postfix list (commas and white space) */
static char **
words(const char *s, size_t *n)
{
	char **v = NULL, *copy = xstrdup(s), *save = NULL;

	*n = 0;
	for (char *w = strtok_r(copy, ", \t", &save); w != NULL;
	     w = strtok_r(NULL, ", \t", &save)) {
		v = xreallocarray(v, *n + 2, sizeof(*v));
		v[(*n)++] = xstrdup(w);
		v[*n] = NULL;
	}
	free(copy);
	return v;
}

/* free_words - what words() returned */
static void
free_words(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* yes - a Postfix boolean */
static int
yes(const char *v)
{
	return strcmp(v, "yes") == 0;
}

/* has_word - is W one of the list S's entries? */
static int
has_word(const char *s, const char *w)
{
	size_t n;
	char **v = words(s, &n);
	int found = 0;

	for (size_t i = 0; i < n; i++)
		found |= strcmp(v[i], w) == 0;
	free_words(v);
	return found;
}

/*
 * unauth_rule - the first restriction of LIST that decides an
 * unauthorised destination for a client outside mynetworks without SASL:
 * 554, 454, or 0 when none does (permit_mynetworks and
 * permit_sasl_authenticated pass such a client on)
 */
static int
unauth_rule(const char *list, const char **rule)
{
	size_t n;
	char **v = words(list, &n);
	int code = 0;

	for (size_t i = 0; i < n && code == 0; i++) {
		if (strcmp(v[i], "reject_unauth_destination") == 0)
			code = 554, *rule = "reject_unauth_destination";
		else if (strcmp(v[i], "defer_unauth_destination") == 0)
			code = 454, *rule = "defer_unauth_destination";
	}
	free_words(v);
	return code;
}

/* local_names - mydestination's names and inet_interfaces' [addresses] */
static char **
local_names(const char *mydest, const char *inet)
{
	size_t n, m;
	char **v = words(mydest, &n), **a = words(inet, &m);

	v = xreallocarray(v, n + m + 1, sizeof(*v));
	for (size_t i = 0; i < m; i++) {
		/* tables (type:name) and "all" cannot be judged: XXX */
		size_t len = strlen(a[i]);
		char *lit = xmalloc(len + 8);

		snprintf(lit, len + 8, "[%s%s]",
			 strchr(a[i], ':') ? "IPv6:" : "", a[i]);
		v[n++] = lit;
	}
	v[n] = NULL;
	free_words(a);
	return v;
}

/* fill - PC from postconf's lines V */
static void
fill(struct pfconf *pc, char **v)
{
	const char *first, *rule = NULL;
	int code;

	pc->recipient_delimiter = xstrdup(v[P_DELIM]);
	pc->parent_relay = has_word(v[P_PARENT], "relay_domains");
	pc->allow_untrusted_routing = yes(v[P_UNTRUSTED]);
	pc->myorigin = xstrdup(v[P_MYORIGIN]);
	pc->local = local_names(v[P_MYDEST], v[P_INET]);
	first = yes(v[P_RELAY_FIRST]) ? v[P_RELAY_RESTR] : v[P_RCPT_RESTR];
	if ((code = unauth_rule(first, &rule)) == 0)
		code = unauth_rule(first == v[P_RCPT_RESTR] ? v[P_RELAY_RESTR]
							    : v[P_RCPT_RESTR],
				   &rule);
	/* Postfix refuses to start without either: the README's 554 */
	pc->relay_code = code ? code : 554;
	pc->relay_rule = rule ? rule : "reject_unauth_destination";
	smtpaddr_settings_default(&pc->addr, pc->myorigin);
	pc->addr.allow_min_user = yes(v[P_MIN_USER]);
	pc->addr.swap_bangpath = yes(v[P_BANG]);
	pc->addr.percent_hack = yes(v[P_PERCENT]);
	pc->addr.local = (const char *const *)pc->local;
	pc->myhostname = xstrdup(v[P_MYHOSTNAME]);
	pc->addr.myhostname = pc->myhostname;
	pc->addr.line_limit = strtoul(v[P_LINE_LIMIT], NULL, 10);
	pc->addr.smtputf8 = yes(v[P_SMTPUTF8]);
}

/* pfconf_load - see pfconf.h */
int
pfconf_load(struct pfconf *pc, const char *dir, struct sync_err *err)
{
	char *argv[P_COUNT + 6], *out, *path, *lines[P_COUNT];
	const char *env = getenv("MAIL_CONFIG");
	const char *where = dir ? dir : env && *env ? env : "/etc/postfix";
	struct stat st;
	size_t k = 0, len = strlen(where) + sizeof("/main.cf");
	int n = 0;

	memset(pc, 0, sizeof(*pc));
	path = xmalloc(len);
	snprintf(path, len, "%s/main.cf", where);
	argv[k++] = "postconf";
	if (stat(path, &st) == 0) {
		pc->dir = xstrdup(where);
		argv[k++] = "-c";
		argv[k++] = pc->dir;
	} else {
		argv[k++] = "-d";
	}
	free(path);
	argv[k++] = "-xh";
	for (int i = 0; i < P_COUNT; i++)
		argv[k++] = (char *)params[i];
	argv[k] = NULL;
	if ((out = run_postconf(argv, err)) == NULL)
		return -1;
	/* one line per parameter, empty values included */
	for (char *l = out, *nl; n < P_COUNT; l = nl + 1, n++) {
		if ((nl = strchr(l, '\n')) == NULL)
			break;
		*nl = 0;
		lines[n] = l;
	}
	if (n != P_COUNT) {
		free(out);
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "postconf printed %d of %d settings", n,
				    P_COUNT);
	}
	fill(pc, lines);
	free(out);
	return 0;
}

/* pfconf_free - see pfconf.h */
void
pfconf_free(struct pfconf *pc)
{
	if (pc == NULL)
		return;
	free(pc->dir);
	free(pc->recipient_delimiter);
	free(pc->myorigin);
	free(pc->myhostname);
	free_words(pc->local);
	memset(pc, 0, sizeof(*pc));
}
