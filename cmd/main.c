/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	rcptsync - keep Postfix's relay_recipients in step with Active
 *	Directory
 * SYNOPSIS
 *	rcptsync [-c FILE] [-v | -q] [--json] sync|diff|dump|check [--force]
 *	rcptsync [-c FILE] [--json] status [--max-age DURATION]
 *	rcptsync [-c FILE] explain ADDRESS
 * DESCRIPTION
 *	This file parses the command line, runs one command and maps the
 *	kind of any error to the documented sysexits code; the work itself
 *	is in ldapsync/ and mapwriter/.  The command line and exit codes
 *	are an interface admins' scripts depend on (README).
 * DIAGNOSTICS
 *	One "rcptsync: error: ..." line on stderr, and the exit code:
 *	64 usage, 65 data refused, 69 no directory server, 73 cannot write,
 *	75 temporary, 77 bind or secret refused, 78 configuration.
 *	"status" follows the monitoring-plugin convention instead: 0 OK,
 *	1 WARNING (verify-cache purge or hook still owed), 2 CRITICAL (last run
 *	failed, or last success too old), 3 UNKNOWN.
 */
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "ascii.h"
#include "xalloc.h"
#include "addrset.h"
#include "lock.h"
#include "mapcommit.h"
#include "mapread.h"
#include "mapdb.h"
#include "mapdiff.h"
#include "maptext.h"
#include "safety.h"
#include "grace.h"
#include "state.h"
#include "proxyaddr.h"
#include "clock.h"
#include "collect.h"
#include "config.h"
#include "hook.h"
#include "log.h"
#include "json.h"
#include "repair.h"
#include "run.h"

#ifndef RCPTSYNC_VERSION
#define RCPTSYNC_VERSION "unknown"
#endif

enum command {
	CMD_SYNC,
	CMD_DIFF,
	CMD_DUMP,
	CMD_CHECK,
	CMD_STATUS,
	CMD_EXPLAIN
};

struct options {
	const char *config;
	int level;
	int force;
	long max_age;	     /* status --max-age, seconds; 0: none */
	int json;	     /* --json */
	const char *address; /* explain */
	enum command cmd;
};

static const char usage_text[] =
	"usage: rcptsync [-c FILE] [-v | -q] COMMAND [--force]\n"
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
	"  explain ADDRESS  would ADDRESS be accepted, and why (exit 0 yes, "
	"1 no)\n"
	"options:\n"
	"  -c, --config FILE  configuration (default " CONFIG_DEFAULT_PATH ")\n"
	"  -v, --verbose      more detail on stderr\n"
	"  -q, --quiet        only warnings and errors\n"
	"  --force            sync: pass the safety limits for this run\n"
	"  --max-age DURATION status: e.g. 2h, 30m, 1d\n"
	"  --json             sync, diff, check, status: one JSON object on "
	"stdout\n"
	"  --help, --version\n";

/* exit_code - the documented code for an error kind */
int
exit_code(int kind)
{
	switch (kind) {
	case SYNC_ERR_USAGE: return EX_USAGE;
	case SYNC_ERR_DATA: return EX_DATAERR;
	case SYNC_ERR_UNAVAILABLE: return EX_UNAVAILABLE;
	case SYNC_ERR_OUTPUT: return EX_CANTCREAT;
	case SYNC_ERR_TEMP: return EX_TEMPFAIL;
	case SYNC_ERR_AUTH: return EX_NOPERM;
	case SYNC_ERR_CONFIG: return EX_CONFIG;
	default: return EX_SOFTWARE;
	}
}

/* fail - report ERR and give its exit code */
static int
fail(const struct sync_err *err)
{
	log_error("%s", err->msg);
	if (err->hint != NULL)
		log_advice("%s", err->hint);
	return exit_code(err->kind);
}

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
	for (int t = MAPDB_HASH; t <= MAPDB_CDB; t++)
		if (mapdb_available(t))
			printf(" %s", mapdb_type_name(t));
	printf("\n");
#ifdef RCPTSYNC_FAULT_INJECTION
	printf("fault injection: on (test build)\n");
#endif
}

/* parse_command - the word after the options */
static int
parse_command(const char *word, enum command *cmd)
{
	static const char *const names[] = {"sync",  "diff",   "dump",
					    "check", "status", "explain"};

	for (int i = 0; i < 6; i++)
		if (strcmp(word, names[i]) == 0) {
			*cmd = (enum command)i;
			return 0;
		}
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
		case 'f': o->force = 1; break;
		case 'j': o->json = 1; break;
		case 'm':
			if (config_parse_duration(optarg, &o->max_age) < 0 ||
			    o->max_age == 0)
				return usage_error("--max-age takes a duration "
						   "such as 2h");
			break;
		case 'h': fputs(usage_text, stdout); return EX_OK;
		case 'V': print_version(); return EX_OK;
		case ':': return usage_error("an option needs a value");
		default: return usage_error("unknown option");
		}
	}
	if (verbose && quiet)
		return usage_error("-v and -q exclude each other");
	o->level = verbose ? LOG_LEVEL_VERBOSE
		   : quiet ? LOG_LEVEL_QUIET
			   : LOG_LEVEL_NORMAL;
	if (optind == argc)
		return usage_error("no command given");
	if (parse_command(argv[optind], &o->cmd) < 0)
		return usage_error("unknown command");
	if (o->cmd == CMD_EXPLAIN && optind + 2 == argc)
		o->address = argv[optind + 1];
	else if (o->cmd == CMD_EXPLAIN)
		return usage_error("explain takes one ADDRESS");
	else if (optind != argc - 1)
		return usage_error("one command only");
	if (o->force && o->cmd != CMD_SYNC)
		return usage_error("--force goes with sync only");
	if (o->json && (o->cmd == CMD_DUMP || o->cmd == CMD_EXPLAIN))
		return usage_error("--json goes with sync, diff, check and "
				   "status");
	if (o->max_age && o->cmd != CMD_STATUS)
		return usage_error("--max-age goes with status only");
	return -1;
}

/* finish - the exit code; with --json, close the object (on an error,
 * with "command", "exit" and "error" as the only members) */
static int
finish(struct run *r, enum command cmd, int rc, const struct sync_err *err)
{
	static const char *const names[] = {"sync",  "diff",   "dump",
					    "check", "status", "explain"};
	static const char *const kinds[] = {
		"none",	  "usage",     "data", "unavailable",
		"output", "temporary", "auth", "config"};
	int code = rc < 0 ? fail(err) : rc;

	if (r->json == NULL)
		return code;
	json_end(r->json);
	fclose(r->json_buf);
	if (rc >= 0)
		fwrite(r->json_text, 1, r->json_len, stdout);
	free(r->json_text);
	if (rc < 0) {
		/* What the failed command had written is dropped. */
		json_begin(r->json, stdout);
		json_str(r->json, "command", names[cmd]);
		json_num(r->json, "exit", code);
		json_open_object(r->json, "error");
		json_str(r->json, "kind",
			 err->kind >= 0 && err->kind <= SYNC_ERR_CONFIG
				 ? kinds[err->kind]
				 : "internal");
		json_str(r->json, "message", err->msg);
		if (err->hint != NULL)
			json_str(r->json, "advice", err->hint);
		json_close_object(r->json);
		json_end(r->json);
	}
	if (fflush(stdout) != 0 && code == 0)
		return EX_IOERR;
	return code;
}

/* main - options, config, one command, exit code */
int
main(int argc, char **argv)
{
	struct options opt = {0};
	struct sync_conf conf;
	struct sync_err err = {0};
	struct json json;
	struct run r;
	int rc;

	if ((rc = parse_args(argc, argv, &opt)) >= 0)
		return rc;
	/* A directory server that dies mid-search must be an error we can
	 * report (exit 75), not a SIGPIPE that kills us silently. */
	signal(SIGPIPE, SIG_IGN);
	log_init(opt.level);
	memset(&r, 0, sizeof(r));
	if (opt.json) {
		/* Built aside: a failure replaces it with the error object. */
		r.json_buf = open_memstream(&r.json_text, &r.json_len);
		if (r.json_buf == NULL)
			panic("open_memstream: out of memory");
		json_begin(&json, r.json_buf);
		r.json = &json;
	}
	if (config_load(opt.config, &conf, &err) < 0) {
		config_free(&conf);
		return finish(&r, opt.cmd, -1, &err);
	}
	r.conf = &conf;
	r.now = time(NULL);
	/* every loop over a server's answers ends by the run's deadline */
	for (size_t i = 0; i < conf.n_ldap; i++) {
		conf.ldap[i].deadline =
			clock_seconds(CLOCK_MONOTONIC) + (double)conf.deadline;
		conf.ldap[i].deadline_seconds = conf.deadline;
	}
	if (conf.log_syslog)
		log_syslog();
	switch (opt.cmd) {
	case CMD_SYNC: rc = cmd_sync(&r, opt.force, &err); break;
	case CMD_DIFF: rc = cmd_diff(&r, &err); break;
	case CMD_DUMP: rc = cmd_dump(&r, &err); break;
	case CMD_STATUS: rc = cmd_status(&r, opt.max_age, &err); break;
	case CMD_EXPLAIN: rc = cmd_explain(&r, opt.address, &err); break;
	default: rc = cmd_check(&r, &err); break;
	}
	addrset_free(r.new_set);
	incremental_commit_free(r.commit);
	addrset_free(r.old_set);
	addrset_free(r.added);
	addrset_free(r.diff_plus);
	addrset_free(r.diff_minus);
	state_free(&r.state);
	config_free(&conf);
	return finish(&r, opt.cmd, rc, &err);
}
