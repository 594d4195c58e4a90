/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	rcptsync - keep Postfix's relay_recipients in step with Active
 *	Directory
 * SYNOPSIS
 *	rcptsync [-c FILE] [-v | -q] [--json] sync [--force]
 *	rcptsync [-c FILE] [-v | -q] [--json] diff|dump|check
 *	rcptsync [-c FILE] [-v | -q] [--json] sync --approve DIGEST
 *	rcptsync [-c FILE] [--json] status [--max-age DURATION]
 *	rcptsync [-c FILE] [--json] explain [--postfix-config DIR] [--]
 *		ADDRESS...
 * DESCRIPTION
 *	This file parses the command line, loads the configuration, runs
 *	one command from the table below and returns its exit code.  The
 *	commands are in sync.c, inspect.c, explain.c and status.c, what
 *	they print in render.c, and the exit code of each error kind in
 *	exitcode.c.  The command line and exit codes are an interface
 *	admins' scripts depend on (README, rcptsync(8)): extend them, never
 *	change them.
 * DIAGNOSTICS
 *	One "rcptsync: error: ..." line on stderr, and the exit code:
 *	64 usage, 65 data refused, 69 no directory server, 73 cannot write,
 *	75 temporary, 77 bind or secret refused, 78 configuration.
 *	"status" follows the monitoring-plugin convention instead: 0 OK,
 *	1 WARNING (verify-cache purge or hook still owed), 2 CRITICAL (last run
 *	failed, or last success too old), 3 UNKNOWN.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "changedigest.h"
#include "clock.h"
#include "xalloc.h"
#include "maptype.h"
#include "config.h"
#include "log.h"
#include "commands.h"
#include "render.h"
#include "unanswered.h"

#ifndef RCPTSYNC_VERSION
#define RCPTSYNC_VERSION "unknown"
#endif

/* The options a command accepts beyond -c, -v and -q. */
#define OPT_FORCE (1 << 0)   /* --force */
#define OPT_JSON (1 << 1)    /* --json */
#define OPT_MAX_AGE (1 << 2) /* --max-age DURATION */
#define OPT_ADDRESS (1 << 3) /* ADDRESS... after the command word */
#define OPT_POSTFIX (1 << 4) /* --postfix-config DIR */
#define OPT_APPROVE (1 << 5) /* --approve DIGEST */

/* The commands: adding one is one row here and its cmd_fn. */
static const struct command {
	const char *name;
	cmd_fn *run;
	unsigned options;
} commands[] = {
	{"sync", cmd_sync, OPT_FORCE | OPT_JSON | OPT_APPROVE},
	{"diff", cmd_diff, OPT_JSON},
	{"dump", cmd_dump, 0},
	{"check", cmd_check, OPT_JSON},
	{"status", cmd_status, OPT_JSON | OPT_MAX_AGE},
	{"explain", cmd_explain, OPT_ADDRESS | OPT_JSON | OPT_POSTFIX},
};

/* An option given to a command that does not take it, and what to say. */
static const struct {
	unsigned option;
	const char *misuse;
} option_rules[] = {
	{OPT_FORCE, "--force goes with sync only"},
	{OPT_JSON, "--json goes with sync, diff, check, status and explain"},
	{OPT_POSTFIX, "--postfix-config goes with explain only"},
	{OPT_MAX_AGE, "--max-age goes with status only"},
	{OPT_APPROVE, "--approve goes with sync only"},
};

struct options {
	const char *config;
	int level;
	unsigned given; /* OPT_* */
	long max_age;
	char approve[CHANGEDIGEST_HEX_LEN + 1]; /* lower case */
	char **addresses;
	size_t n_addresses;
	int addresses_read; /* from stdin: free them */
	const char *postfix_config;
	const struct command *cmd;
};

static const char usage_text[] =
	"usage: rcptsync [-c FILE] [-v | -q] COMMAND [--force | --approve "
	"DIGEST]\n"
	"  sync    fetch, and if the recipient set changed, atomically "
	"rewrite table + map;\n"
	"          run the after-change hook\n"
	"  diff    dry run: print what sync would change (exit 1 if "
	"anything); writes nothing\n"
	"  dump    print the normalised table (key<TAB>value) to stdout; "
	"writes nothing\n"
	"  check   validate the config, connect and bind, report counts; "
	"writes nothing\n"
	"  status  report the last sync from the state file (exit 0 OK, "
	"1 WARNING,\n"
	"          2 CRITICAL, 3 UNKNOWN); --max-age DURATION: CRITICAL if "
	"the last\n          success is older\n"
	"  explain [--postfix-config DIR] [--] ADDRESS...\n"
	"          would smtpd accept each RCPT TO address, and why (exit 0 "
	"all yes,\n          1 any no); \"-\": one address a line from "
	"stdin\n"
	"options:\n"
	"  -c, --config FILE  configuration (default " CONFIG_DEFAULT_PATH ")\n"
	"  -v, --verbose      more detail on stderr\n"
	"  -q, --quiet        only warnings and errors\n"
	"  --force            sync: pass the safety limits for this run\n"
	"  --approve DIGEST   sync: pass them only for the change diff showed "
	"with\n                     this digest; any other change is "
	"refused (65)\n"
	"  --max-age DURATION status: e.g. 2h, 30m, 1d\n"
	"  --json             sync, diff, check, status, explain: one JSON "
	"object on\n                     stdout\n"
	"  --postfix-config DIR  explain: the Postfix settings of DIR's "
	"main.cf\n                     (default: $MAIL_CONFIG, else "
	"/etc/postfix)\n"
	"  --help, --version\n";

/* usage_error - a bad command line */
static int
usage_error(const char *what)
{
	fprintf(stderr, "rcptsync: %s\n%s", what, usage_text);
	return EX_USAGE;
}

/* print_version - version and the map types built in */
static void
print_version(void)
{
	printf("rcptsync %s\nmap types:", RCPTSYNC_VERSION);
	for (int t = 0; t < maptype_count(); t++)
		if (maptype_get(t)->built)
			printf(" %s", maptype_get(t)->name);
	printf("\nsources: ldap ldif");
#ifdef RCPTSYNC_HAVE_GRAPH
	printf(" graph");
#endif
	printf("\n");
#ifdef RCPTSYNC_FAULT_INJECTION
	printf("fault injection: on (test build)\n");
#endif
}

/* find_command - the row for WORD, or NULL */
static const struct command *
find_command(const char *word)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(word, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* check_command - the words after the options, and the options given */
static int
check_command(int argc, char **argv, struct options *o)
{
	if (optind == argc)
		return usage_error("no command given");
	if ((o->cmd = find_command(argv[optind])) == NULL)
		return usage_error("unknown command");
	if ((o->cmd->options & OPT_ADDRESS) && optind + 2 <= argc) {
		o->addresses = argv + optind + 1;
		o->n_addresses = (size_t)(argc - optind - 1);
	} else if (o->cmd->options & OPT_ADDRESS) {
		return usage_error("explain takes an ADDRESS (\"--\" before "
				   "one that starts with '-')");
	} else if (optind != argc - 1)
		return usage_error("one command only");
	for (size_t i = 0; i < sizeof(option_rules) / sizeof(option_rules[0]);
	     i++)
		if ((o->given & option_rules[i].option) &&
		    !(o->cmd->options & option_rules[i].option))
			return usage_error(option_rules[i].misuse);
	return -1;
}

/* parse_args - returns -1 to go on, or an exit code to stop with */
static int
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"max-age", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{"approve", required_argument, NULL, 'a'},
		{"postfix-config", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	int ch, verbose = 0, quiet = 0;

	o->config = CONFIG_DEFAULT_PATH;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:vq", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'v': verbose = 1; break;
		case 'q': quiet = 1; break;
		case 'f': o->given |= OPT_FORCE; break;
		case 'j': o->given |= OPT_JSON; break;
		case 'a':
			if (changedigest_parse(optarg, o->approve) < 0)
				return usage_error("--approve takes the digest "
						   "that diff shows (64 hex "
						   "digits)");
			o->given |= OPT_APPROVE;
			break;
		case 'p':
			o->postfix_config = optarg;
			o->given |= OPT_POSTFIX;
			break;
		case 'm':
			if (config_parse_duration(optarg, &o->max_age) < 0 ||
			    o->max_age == 0)
				return usage_error("--max-age takes a duration "
						   "such as 2h");
			o->given |= OPT_MAX_AGE;
			break;
		case 'h': fputs(usage_text, stdout); return EX_OK;
		case 'V': print_version(); return EX_OK;
		case ':': return usage_error("an option needs a value");
		default: return usage_error("unknown option");
		}
	}
	if (verbose && quiet)
		return usage_error("-v and -q exclude each other");
	/* --force passes any change; --approve only the one reviewed */
	if ((o->given & OPT_FORCE) && (o->given & OPT_APPROVE))
		return usage_error("--force and --approve exclude each other");
	o->level = verbose ? LOG_LEVEL_VERBOSE
		   : quiet ? LOG_LEVEL_QUIET
			   : LOG_LEVEL_NORMAL;
	return check_command(argc, argv, o);
}

/* read_addresses - explain -: one address a line from stdin, any length
 * (the line break is no part of it) */
static void
read_addresses(struct options *o)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	o->addresses = NULL;
	o->n_addresses = 0;
	o->addresses_read = 1;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = 0;
		o->addresses = xreallocarray(o->addresses, o->n_addresses + 1,
					     sizeof(*o->addresses));
		o->addresses[o->n_addresses++] = xmemdup(line, (size_t)n + 1);
	}
	free(line);
}

/* main - options, config, one command, exit code */
int
main(int argc, char **argv)
{
	struct options opt = {0};
	struct sync_conf conf;
	struct sync_err err = {0};
	struct cmd_args args = {0};
	struct render *out;
	/* each directory's servers that did not answer this run: tried last
	 * at its next open (the pull after a probe); one list a directory,
	 * since its own timeout, TLS and bind decide what failed */
	struct ldapsync_unanswered *unanswered = NULL;
	int rc;

	if ((rc = parse_args(argc, argv, &opt)) >= 0)
		return rc;
	/* A directory server that dies mid-search must be an error we can
	 * report (exit 75), not a SIGPIPE that kills us silently. */
	signal(SIGPIPE, SIG_IGN);
	log_init(opt.level);
	out = render_open((opt.given & OPT_JSON) != 0);
	if (config_load(opt.config, &conf, &err) < 0) {
		config_free(&conf);
		return render_close(out, opt.cmd->name, -1, &err);
	}
	unanswered = xcalloc(conf.n_ldap + 1, sizeof(*unanswered));
	/* every loop over a server's answers ends by the run's deadline */
	for (size_t i = 0; i < conf.n_ldap; i++) {
		conf.ldap[i].deadline =
			clock_seconds(CLOCK_MONOTONIC) + (double)conf.deadline;
		conf.ldap[i].deadline_seconds = conf.deadline;
		conf.ldap[i].unanswered = &unanswered[i];
	}
	if (conf.graph != NULL) {
		conf.graph->deadline =
			clock_seconds(CLOCK_MONOTONIC) + (double)conf.deadline;
		conf.graph->deadline_seconds = conf.deadline;
	}
	if (conf.log_syslog)
		log_syslog();
	args.conf = &conf;
	args.now = time(NULL);
	args.force = (opt.given & OPT_FORCE) != 0;
	args.approve = (opt.given & OPT_APPROVE) ? opt.approve : NULL;
	args.max_age = opt.max_age;
	if (opt.n_addresses == 1 && strcmp(opt.addresses[0], "-") == 0)
		read_addresses(&opt);
	args.addresses = opt.addresses;
	args.n_addresses = opt.n_addresses;
	args.postfix_config = opt.postfix_config;
	if (opt.n_addresses > 0 || !(opt.cmd->options & OPT_ADDRESS))
		rc = opt.cmd->run(&args, out, &err);
	else
		rc = sync_err_set(&err, SYNC_ERR_USAGE,
				  "explain: no address on stdin");
	config_free(&conf);
	free(unanswered);
	if (opt.addresses_read) {
		for (size_t i = 0; i < opt.n_addresses; i++)
			free(opt.addresses[i]);
		free(opt.addresses);
	}
	return render_close(out, opt.cmd->name, rc, &err);
}
