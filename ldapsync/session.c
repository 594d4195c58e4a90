/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	session - connect to one directory server of a list, and bind
 * DESCRIPTION
 *	The URIs are tried in order until one connects (TLS verified unless
 *	the config says otherwise) and binds; an AUTH or CONFIG failure
 *	stops at once (another DC would refuse the same credentials, and
 *	each try counts toward lockout).  Once a search has begun, any
 *	failure ends the run: results from two DCs are never mixed, since
 *	they may be at different replication states.
 *	Binds: simple (DN, UPN or DOMAIN\\user, with a password file), SASL
 *	GSSAPI with a keytab (krb5cred.c: a private ticket cache), SASL
 *	EXTERNAL with a TLS client certificate, or anonymous.  A refused
 *	bind carries AD's diagnostic and, where known, advice (adhint.c).
 *	libldap's ldap.conf and ~/.ldaprc are not read (LDAPNOINIT): what
 *	the run does is what sync.yaml says.  On a Global Catalog (ports
 *	3268/3269, or global_catalog: true) the schema must say that
 *	proxyAddresses is in the partial attribute set before anything is
 *	searched.
 *
 *	Timeouts: every blocking libldap call runs under the watchdog
 *	(watchdog.c: SIGALRM cuts a stalled socket), which a session owns
 *	from ldapsync_open() to ldapsync_close(); so do the DNS lookups of
 *	source.ldap.domain (dcfind.c), each bounded by timeout and the
 *	time left before the deadline.
 *	Over all of it stands the run's deadline (conf->deadline): waiting
 *	for an answer past it is a TEMP error, so no server can hold the
 *	lock forever.
 * OWNERSHIP
 *	The session is the caller's (ldapsync_close); the password is wiped
 *	right after the bind.
 * DIAGNOSTICS
 *	sync_err with ldap_err2string(), the server's diagnostic message
 *	(where AD puts "data 52e") and where it happened.
 * SEE ALSO
 *	RFC 4511, RFC 4513, MS-ADTS 5.1.2.1; watchdog.c.
 */
#include <errno.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <ldap.h>
#include <sasl/sasl.h>

#include "xalloc.h"
#include "secret.h"
#include "fault.h"
#include "adhint.h"
#include "proxyaddr.h"
#include "clock.h"
#include "krb5cred.h"
#include "dcfind.h"
#include "saslcb.h"
#include "session.h"
#include "unanswered.h"
#include "watchdog.h"

#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define ATTR_NAME "proxyAddresses"

/* session_fail - one message from rc, the diagnostic text and WHERE */
int
session_fail(struct sync_err *err, int kind, LDAP *ld, int rc, const char *fmt,
	     ...)
{
	char where[256], shown[300];
	char *diag = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(where, sizeof(where), fmt, ap);
	va_end(ap);
	if (ld != NULL)
		(void)ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	if (diag != NULL) /* the server's words: escaped (proxyaddr.h) */
		proxyaddr_escape(diag, strlen(diag), shown, sizeof(shown));
	sync_err_set(err, kind, "%s: %s%s%s%s", where, ldap_err2string(rc),
		     diag && *diag ? " (" : "", diag && *diag ? shown : "",
		     diag && *diag ? ")" : "");
	sync_err_hint(err, adhint_for(diag));
	ldap_memfree(diag);
	return -1;
}

/* ldapsync_uri_is_plain - unencrypted TCP unless StartTLS follows */
int
ldapsync_uri_is_plain(const char *uri)
{
	return strncasecmp(uri, "ldap://", 7) == 0;
}

/* ldapsync_uri_is_gc - the Global Catalog's ports */
int
ldapsync_uri_is_gc(const char *uri)
{
	LDAPURLDesc *lud = NULL;
	int gc;

	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS)
		return 0;
	gc = lud->lud_port == 3268 || lud->lud_port == 3269;
	ldap_free_urldesc(lud);
	return gc;
}

/* set_client_cert - the TLS client certificate for SASL EXTERNAL */
static int
set_client_cert(LDAP *ld, const struct ldapsync_conf *conf,
		struct sync_err *err)
{
	char key[4096];

	if (conf->cert_file == NULL)
		return 0;
	if (secret_check_path(conf->key_file, key, sizeof(key), err) < 0)
		return sync_err_prefix(err, "tls.key_file");
	if (access(conf->cert_file, R_OK) < 0)
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "tls.cert_file %s: %s", conf->cert_file,
				    strerror(errno));
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, conf->cert_file) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, key))
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "cannot set the TLS client certificate");
	return 0;
}

/* set_options - protocol, referrals, timeouts and TLS on a new handle */
static int
set_options(LDAP *ld, const struct ldapsync_conf *conf,
	    const struct timeval *tv, struct sync_err *err)
{
	int version = LDAP_VERSION3;
	int require =
		conf->verify ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
	int tls_min = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
	int zero = 0;
	const char *ca = conf->ca_file ? conf->ca_file : SYSTEM_CA_FILE;
	int rc;

	/* libldap reports a missing CA file as "Can't contact LDAP server" */
	if (access(ca, R_OK) < 0)
		return sync_err_set(err, SYNC_ERR_CONFIG, "tls.ca_file %s: %s",
				    ca, strerror(errno));
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, tv) ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, tv) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls_min) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ca) ||
	    ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &watchdog_conncb))
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "cannot set LDAP options");
	if (set_client_cert(ld, conf, err) < 0)
		return -1;
	/* The TLS options above apply only once a new context is made. */
	if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero)) != 0)
		return session_fail(err, SYNC_ERR_CONFIG, ld, rc,
				    "cannot set up TLS with CA file %s", ca);
	return 0;
}

/* bind_kind - what a failed connect/StartTLS/bind means for the run */
static int
bind_kind(int rc)
{
	if (watchdog_fired)
		return SYNC_ERR_TEMP;
	switch (rc) {
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_CONFIDENTIALITY_REQUIRED:
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_UNWILLING_TO_PERFORM: return SYNC_ERR_AUTH;
	case LDAP_TIMEOUT: return SYNC_ERR_TEMP;
	default: return SYNC_ERR_UNAVAILABLE;
	}
}

/* simple_bind - the DN (or UPN, or DOMAIN\\user) and the password file */
static int
simple_bind(LDAP *ld, const char *uri, const struct ldapsync_conf *conf,
	    struct sync_err *err)
{
	struct berval cred;
	char *password = NULL;
	size_t len = 0;
	int rc;

	if (secret_read(conf->password_file, &password, &len, err) < 0)
		return -1;
	cred.bv_val = password;
	cred.bv_len = len;
	watchdog_arm(session_budget(conf));
	rc = ldap_sasl_bind_s(ld, conf->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
			      NULL, NULL);
	watchdog_arm(0);
	secret_free(password, len);
	if (rc != LDAP_SUCCESS)
		return session_fail(err, bind_kind(rc), ld, rc,
				    "bind as %s to %s refused", conf->bind_dn,
				    uri);
	return 0;
}

/* sasl_defaults - no prompts: every SASL question gets its default */
static int
sasl_defaults(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	(void)ld, (void)flags, (void)defaults;
	for (sasl_interact_t *q = in; q->id != SASL_CB_LIST_END; q++) {
		/* authzid: none; act as the authenticated identity */
		q->result = q->defresult ? q->defresult : "";
		q->len = (unsigned)strlen(q->result);
	}
	return LDAP_SUCCESS;
}

/*
 * sasl_bind - GSSAPI or EXTERNAL.  Over TLS, AD refuses a SASL security
 * layer (MS-ADTS 5.1.2.1: "Sign or Seal are not allowed if TLS is
 * used"), so maxssf=0 and tls-endpoint channel bindings (ADV190023).
 * Over plain ldap:// GSSAPI must sign and seal: minssf=56.  The DC is
 * named as in the URI, never canonicalised through reverse DNS.
 */
static int
sasl_bind(LDAP *ld, const char *uri, const struct ldapsync_conf *conf, int tls,
	  struct sync_err *err)
{
	const char *mech = conf->bind_method == LDAPSYNC_BIND_GSSAPI
				   ? "GSSAPI"
				   : "EXTERNAL";
	int cbinding = LDAP_OPT_X_SASL_CBINDING_TLS_ENDPOINT;
	int rc;

	if (ldap_set_option(ld, LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON) ||
	    ldap_set_option(ld, LDAP_OPT_X_SASL_SECPROPS,
			    tls ? "maxssf=0" : "minssf=56"))
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "cannot set SASL options");
	/* (a test switch leaves it out: does the DC then refuse?) */
	if (tls && conf->bind_method == LDAPSYNC_BIND_GSSAPI &&
	    !FAULT_SWITCH(FAULT_SWITCH_NO_CBINDING))
		(void)ldap_set_option(ld, LDAP_OPT_X_SASL_CBINDING, &cbinding);
	watchdog_arm(session_budget(conf));
	rc = ldap_sasl_interactive_bind_s(ld, NULL, mech, NULL, NULL,
					  LDAP_SASL_QUIET, sasl_defaults, NULL);
	watchdog_arm(0);
	if (rc != LDAP_SUCCESS) {
		if (watchdog_fired)
			return sync_err_set(err, SYNC_ERR_TEMP,
					    "SASL %s bind to %s: no answer "
					    "within %d s",
					    mech, uri, conf->timeout);
		return session_fail(
			err,
			rc == LDAP_LOCAL_ERROR || rc == LDAP_AUTH_UNKNOWN ||
					rc == LDAP_NOT_SUPPORTED
				? SYNC_ERR_AUTH
				: bind_kind(rc),
			ld, rc, "SASL %s bind%s%s to %s refused", mech,
			conf->principal ? " as " : "",
			conf->principal ? conf->principal : "", uri);
	}
	return 0;
}

/* do_bind - the configured bind, or none */
static int
do_bind(LDAP *ld, const char *uri, const struct ldapsync_conf *conf, int tls,
	struct sync_err *err)
{
	switch (conf->bind_method) {
	case LDAPSYNC_BIND_NONE: return 0;
	case LDAPSYNC_BIND_SIMPLE: return simple_bind(ld, uri, conf, err);
	default: return sasl_bind(ld, uri, conf, tls, err);
	}
}

/*
 * connect_kind - what a failed connect or StartTLS means for the run:
 * never AUTH, as no credential was sent yet
 */
static int
connect_kind(int rc)
{
	int kind = bind_kind(rc);

	return kind == SYNC_ERR_AUTH ? SYNC_ERR_UNAVAILABLE : kind;
}

/* do_connect - TCP, and TLS on ldaps://, under the watchdog */
static int
do_connect(LDAP *ld, const char *uri, const struct ldapsync_conf *conf,
	   struct sync_err *err)
{
	int rc;

	watchdog_fired = 0;
	watchdog_tcp_connected = 0;
	watchdog_arm(session_budget(conf));
	rc = ldap_connect(ld);
	watchdog_arm(0);
	if (rc == LDAP_SUCCESS)
		return 0;
	if (watchdog_fired)
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "no answer from %s within %d s", uri,
				    conf->timeout);
	if (watchdog_tcp_connected)
		/* libldap 2.5 reports a failed verification only as
		 * "(unknown error code)"; say what it means. */
		return session_fail(err, SYNC_ERR_UNAVAILABLE, ld, rc,
				    "%s: TLS handshake failed (certificate not "
				    "trusted by tls.ca_file, expired, or not "
				    "issued for this host name)",
				    uri);
	return session_fail(err, connect_kind(rc), ld, rc,
			    "cannot connect to %s", uri);
}

/* start_tls - StartTLS on ldap:// when the config asks for it */
static int
start_tls(LDAP *ld, const char *uri, const struct ldapsync_conf *conf,
	  struct sync_err *err)
{
	int rc;

	if (!conf->starttls || !ldapsync_uri_is_plain(uri))
		return 0;
	watchdog_arm(session_budget(conf));
	rc = ldap_start_tls_s(ld, NULL, NULL);
	watchdog_arm(0);
	if (rc != LDAP_SUCCESS)
		return session_fail(err, connect_kind(rc), ld, rc,
				    "StartTLS with %s failed", uri);
	return 0;
}

/* open_one - connect, StartTLS if asked, bind; *LDP set on success */
static int
open_one(const char *uri, const struct ldapsync_conf *conf,
	 const struct timeval *tv, LDAP **ldp, struct sync_err *err)
{
	LDAP *ld = NULL;
	int tls = !ldapsync_uri_is_plain(uri) || conf->starttls;
	int rc;

	/* (a test switch sends it anyway: what does the DC answer?) */
	if (!tls && conf->bind_method == LDAPSYNC_BIND_SIMPLE &&
	    !FAULT_SWITCH(FAULT_SWITCH_PLAIN_SIMPLE))
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "%s: refusing a simple bind over plain "
				    "ldap://; use ldaps:// or starttls: true",
				    uri);
	if ((rc = ldap_initialize(&ld, uri)) != LDAP_SUCCESS)
		return session_fail(err, SYNC_ERR_CONFIG, NULL, rc,
				    "bad LDAP URI %s", uri);
	if (set_options(ld, conf, tv, err) < 0 ||
	    do_connect(ld, uri, conf, err) < 0 ||
	    start_tls(ld, uri, conf, err) < 0 ||
	    do_bind(ld, uri, conf, tls, err) < 0) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return -1;
	}
	*ldp = ld;
	return 0;
}

/*
 * describe_protection - what protects this bind: TLS, the SASL layer
 * (ssf 1 signs, more also seals), and for GSSAPI inside TLS the channel
 * binding, if this SASL library can send one (saslcb.c)
 */
static void
describe_protection(struct source_protection *p, int tls, int gssapi,
		    unsigned long ssf)
{
	char cb[240];

	memset(p, 0, sizeof(*p));
	p->binds = 1;
	p->tls = (unsigned)tls;
	p->signing = ssf == 1;
	p->sealing = ssf > 1;
	if (!tls || !gssapi)
		snprintf(cb, sizeof(cb), "not used (%s)",
			 !tls ? "no TLS" : "not a GSSAPI bind");
	else if (FAULT_SWITCH(FAULT_SWITCH_NO_CBINDING))
		snprintf(cb, sizeof(cb), "none (left out by a test switch)");
	else if (saslcb_gssapi(p->cb_why, sizeof(p->cb_why))) {
		p->cbinding = 1;
		snprintf(cb, sizeof(cb), "tls-endpoint (%s)", p->cb_why);
		p->cb_why[0] = '\0';
	} else {
		p->cb_unable = 1;
		snprintf(cb, sizeof(cb), "none: %s", p->cb_why);
	}
	snprintf(p->text, sizeof(p->text), "%s, %s, channel binding %s",
		 tls ? "TLS" : "no TLS",
		 ssf > 1    ? "SASL signing and sealing"
		 : ssf == 1 ? "SASL signing"
			    : "no SASL layer",
		 cb);
}

/* describe_bind - who we are to the server, and what protects the bind */
static void
describe_bind(struct ldapsync_session *s)
{
	const struct ldapsync_conf *conf = s->conf;
	char *user = NULL;
	ber_len_t ssf = 0;
	int tls = !ldapsync_uri_is_plain(s->stats->server) || conf->starttls;

	switch (conf->bind_method) {
	case LDAPSYNC_BIND_NONE:
		snprintf(s->stats->bound_as, sizeof(s->stats->bound_as),
			 "anonymous");
		describe_protection(&s->stats->protection, tls, 0, 0);
		return;
	case LDAPSYNC_BIND_SIMPLE:
		snprintf(s->stats->bound_as, sizeof(s->stats->bound_as),
			 "simple as %s%s", conf->bind_dn,
			 tls ? " (inside TLS)" : "");
		describe_protection(&s->stats->protection, tls, 0, 0);
		return;
	default: break;
	}
	(void)ldap_get_option(s->ld, LDAP_OPT_X_SASL_USERNAME, &user);
	(void)ldap_get_option(s->ld, LDAP_OPT_X_SASL_SSF, &ssf);
	snprintf(s->stats->bound_as, sizeof(s->stats->bound_as),
		 "SASL %s as %s, security layer %lu%s",
		 conf->bind_method == LDAPSYNC_BIND_GSSAPI ? "GSSAPI"
							   : "EXTERNAL",
		 user ? user : "(unknown)", (unsigned long)ssf,
		 tls ? " (inside TLS)" : "");
	ldap_memfree(user);
	describe_protection(&s->stats->protection, tls,
			    conf->bind_method == LDAPSYNC_BIND_GSSAPI,
			    (unsigned long)ssf);
}

/* append_cut - add "; MSG" to BUF, cutting what does not fit */
static void
append_cut(char *buf, size_t size, const char *msg)
{
	size_t used = strlen(buf), room, len = strlen(msg);

	if (used > 0 && used + 2 < size) {
		memcpy(buf + used, "; ", 3);
		used += 2;
	}
	room = size - used - 1;
	if (len > room)
		len = room;
	memcpy(buf + used, msg, len);
	buf[used + len] = '\0';
}

/* The failover's progress through one open_session. */
struct failover {
	const struct ldapsync_unanswered *before; /* the directory's list */
	char *const *uris;
	size_t n_uris;
	unsigned char *late;	      /* URIS[i] did not answer an earlier
					 open of this run: tried last */
	char fresh[SYNC_ERR_MSG_MAX]; /* "why; ..." of this open's failures */
	size_t asked;		      /* opens begun */
	int timed_out;		      /* one was silent, not refused */
};

/*
 * failover_tried - into BUF, why each server skipped was: those that did
 * not answer an earlier open of the run, said so (all but USED, the one
 * that answered now; USED NULL: all), then this open's failures
 */
static void
failover_tried(const struct failover *f, const char *used, char *buf,
	       size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < f->n_uris; i++) {
		char line[SYNC_ERR_MSG_MAX + 32];

		if (!f->late[i] ||
		    (used != NULL && strcmp(used, f->uris[i]) == 0))
			continue;
		snprintf(line, sizeof(line), "%s (earlier in this run)",
			 unanswered_find(f->before, f->uris[i]));
		append_cut(buf, size, line);
	}
	if (f->fresh[0] != '\0')
		append_cut(buf, size, f->fresh);
}

/*
 * try_uri - open_session's try of URIS[I]; 0 when it answered and is
 * bound, -1 when the failover stops (an AUTH or CONFIG error, the
 * deadline), 1 to go on
 */
static int
try_uri(struct ldapsync_session *s, struct failover *f, size_t i,
	struct sync_err *err)
{
	const struct ldapsync_conf *conf = s->conf;
	const char *uri = f->uris[i];
	char tried[SYNC_ERR_MSG_MAX];

	/* the deadline bounds the failover too: each URI may take its
	 * timeout, and there may be many */
	if (f->asked++ > 0 && conf->deadline > 0 &&
	    clock_seconds(CLOCK_MONOTONIC) >= conf->deadline) {
		failover_tried(f, NULL, tried, sizeof(tried));
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "the run's deadline (%ld s) passed before "
				    "a directory server answered: %s",
				    conf->deadline_seconds, tried);
	}
	if (open_one(uri, conf, &s->timeout, &s->ld, err) == 0) {
		snprintf(s->stats->server, sizeof(s->stats->server), "%s", uri);
		failover_tried(f, uri, s->stats->skipped,
			       sizeof(s->stats->skipped));
		describe_bind(s);
		return 0;
	}
	if (err->kind == SYNC_ERR_AUTH || err->kind == SYNC_ERR_CONFIG)
		return -1;
	f->timed_out |= err->kind == SYNC_ERR_TEMP;
	if (!f->late[i]) { /* a late one is named from the run's list */
		append_cut(f->fresh, sizeof(f->fresh), err->msg);
		unanswered_add(conf->unanswered, uri, err->msg);
	}
	return 1;
}

/*
 * open_session - the first of URIS that connects and binds.  An AUTH or
 * CONFIG failure stops at once: another DC of the same domain would
 * refuse the same credentials, and each try counts toward lockout.  A
 * server that could not be reached at an earlier open of this run (the
 * probe before a pull) is tried after the others and named among those
 * skipped (unanswered.c): a dead DC costs a run its timeout once.
 */
static int
open_session(struct ldapsync_session *s, char *const *uris, size_t n_uris,
	     struct sync_err *err)
{
	struct failover f = {.before = s->conf->unanswered,
			     .uris = uris,
			     .n_uris = n_uris,
			     .late = xcalloc(n_uris + 1, 1)};
	char tried[SYNC_ERR_MSG_MAX];
	int rc = 1;

	for (size_t i = 0; i < n_uris; i++)
		f.late[i] = unanswered_find(f.before, uris[i]) != NULL;
	for (unsigned char pass = 0; rc == 1 && pass <= 1; pass++)
		for (size_t i = 0; rc == 1 && i < n_uris; i++)
			if (f.late[i] == pass)
				rc = try_uri(s, &f, i, err);
	if (rc == 1) {
		failover_tried(&f, NULL, tried, sizeof(tried));
		rc = sync_err_set(
			err, f.timed_out ? SYNC_ERR_TEMP : SYNC_ERR_UNAVAILABLE,
			"no directory server reachable: %s", tried);
	}
	free(f.late);
	return rc;
}

/* session_budget - see session.h */
int
session_budget(const struct ldapsync_conf *conf)
{
	double left;

	if (conf->deadline <= 0)
		return conf->timeout;
	left = conf->deadline - clock_seconds(CLOCK_MONOTONIC);
	if (left >= conf->timeout)
		return conf->timeout;
	return left < 1 ? 1 : (int)left + 1;
}

/* session_result_kind - what a search result code means for the run */
int
session_result_kind(int code)
{
	switch (code) {
	case LDAP_SIZELIMIT_EXCEEDED:
	case LDAP_TIMELIMIT_EXCEEDED:
	case LDAP_ADMINLIMIT_EXCEEDED: return SYNC_ERR_DATA;
	case LDAP_NO_SUCH_OBJECT:
	case LDAP_REFERRAL:
	case LDAP_FILTER_ERROR:
	case LDAP_UNAVAILABLE_CRITICAL_EXTENSION:
	case LDAP_INVALID_DN_SYNTAX:
	case LDAP_PROTOCOL_ERROR: return SYNC_ERR_CONFIG;
	case LDAP_INSUFFICIENT_ACCESS: return SYNC_ERR_AUTH;
	default: return SYNC_ERR_TEMP;
	}
}

/*
 * session_past_deadline - has the run's deadline passed?  Every loop over
 * a server's answers asks this (through session_wait), so a server that
 * never stops answering cannot hold the lock forever.
 */
int
session_past_deadline(struct ldapsync_session *s, const char *what,
		      struct sync_err *err)
{
	if (s->conf->deadline <= 0 ||
	    clock_seconds(CLOCK_MONOTONIC) < s->conf->deadline)
		return 0;
	return sync_err_set(err, SYNC_ERR_TEMP,
			    "%s: the run's deadline (%ld s) passed while %s "
			    "was still answering",
			    what, s->conf->deadline_seconds, s->stats->server);
}

/* session_wait - next message for MSGID, or a TEMP error */
int
session_wait(struct ldapsync_session *s, int msgid, LDAPMessage **res,
	     const char *what, struct sync_err *err)
{
	struct timeval tv = s->timeout;
	int rc;

	if (session_past_deadline(s, what, err) < 0) {
		ldap_abandon_ext(s->ld, msgid, NULL, NULL);
		return -1;
	}
	if (s->conf->deadline > 0) {
		double left =
			s->conf->deadline - clock_seconds(CLOCK_MONOTONIC) + 1;

		if (left < (double)tv.tv_sec)
			tv.tv_sec = (time_t)left;
	}
	/* armed while answers keep coming; disarmed when the search ends */
	watchdog_kick(s->conf->timeout + 1);
	rc = ldap_result(s->ld, msgid, LDAP_MSG_ONE, &tv, res);
	if (rc > 0)
		return rc;
	if (rc == 0 && session_past_deadline(s, what, err) < 0) {
		ldap_abandon_ext(s->ld, msgid, NULL, NULL);
		return -1;
	}
	if (rc == 0 || watchdog_fired) {
		ldap_abandon_ext(s->ld, msgid, NULL, NULL);
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "%s: no answer from %s within %d s", what,
				    s->stats->server, s->conf->timeout);
	}
	(void)ldap_get_option(s->ld, LDAP_OPT_RESULT_CODE, &rc);
	return session_fail(err, SYNC_ERR_TEMP, s->ld, rc,
			    "%s: connection to %s lost", what,
			    s->stats->server);
}

/* session_first_value - the first value of ATTR in the entry (caller frees) */
char *
session_first_value(LDAP *ld, LDAPMessage *entry, const char *attr)
{
	struct berval **vals = ldap_get_values_len(ld, entry, attr);
	char *v = NULL;

	if (vals != NULL && vals[0] != NULL)
		v = xstrndup(vals[0]->bv_val, vals[0]->bv_len);
	ldap_value_free_len(vals);
	return v;
}

/* session_read_one - one attribute of one entry found by a synchronous search
 */
int
session_read_one(struct ldapsync_session *s, const struct session_read *r,
		 char **value, struct sync_err *err)
{
	char *attrs[] = {(char *)r->attr, NULL};
	LDAPMessage *res = NULL, *entry;
	int rc;

	*value = NULL;
	watchdog_arm(session_budget(s->conf) + 1);
	rc = ldap_search_ext_s(s->ld, r->base, r->scope, r->filter, attrs, 0,
			       NULL, NULL, &s->timeout, 2, &res);
	watchdog_arm(0);
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT) {
		ldap_msgfree(res);
		return session_fail(err, session_result_kind(rc), s->ld, rc,
				    "reading %s of %s", r->attr, r->base);
	}
	if ((entry = ldap_first_entry(s->ld, res)) != NULL)
		*value = session_first_value(s->ld, entry, r->attr);
	ldap_msgfree(res);
	return 0;
}

/*
 * check_gc_attribute - a Global Catalog holds only the attributes of the
 * partial attribute set; without proxyAddresses there, every object
 * would come back without addresses.  Read the flag from the schema.
 */
static int
check_gc_attribute(struct ldapsync_session *s, struct sync_err *err)
{
	char *schema = NULL, *flag = NULL;
	int ret = 0;

	if (session_read_one(s,
			     &(struct session_read){"", LDAP_SCOPE_BASE,
						    "(objectClass=*)",
						    "schemaNamingContext"},
			     &schema, err) < 0)
		return -1;
	if (schema == NULL)
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "%s: global_catalog: the server's rootDSE "
				    "names no schemaNamingContext; is it an "
				    "AD Global Catalog?",
				    s->stats->server);
	if (session_read_one(
		    s,
		    &(struct session_read){schema, LDAP_SCOPE_ONELEVEL,
					   "(&(objectClass=attributeSchema)"
					   "(lDAPDisplayName=" ATTR_NAME "))",
					   "isMemberOfPartialAttributeSet"},
		    &flag, err) < 0)
		ret = -1;
	else if (flag == NULL || strcasecmp(flag, "TRUE") != 0)
		ret = sync_err_set(err, SYNC_ERR_CONFIG,
				   "%s: " ATTR_NAME " is not in the Global "
				   "Catalog's partial attribute set "
				   "(isMemberOfPartialAttributeSet: %s in "
				   "%s): a GC search would return objects "
				   "without their addresses; search each "
				   "domain on port 389/636 instead",
				   s->stats->server, flag ? flag : "absent",
				   schema);
	free(schema);
	free(flag);
	return ret;
}

/* is_gc - search the Global Catalog? */
static int
is_gc(const struct ldapsync_conf *conf, const char *uri)
{
	return conf->global_catalog || ldapsync_uri_is_gc(uri);
}

/*
 * open_discovered - the DCs DNS names for conf->domain (dcfind.c), as
 * URIs through the same failover as a configured list: the URI's host is
 * the SRV target, the name TLS verifies and GSSAPI's SPN ldap/HOST.
 */
static int
open_discovered(struct ldapsync_session *s, struct sync_err *err)
{
	const struct ldapsync_conf *conf = s->conf;
	struct source_discovery *dns = &s->stats->dns;
	struct dcfind_query q = {
		.domain = conf->domain,
		.site = conf->site,
		.gc = conf->global_catalog,
		.starttls = conf->starttls,
		.timeout = conf->timeout,
		.deadline = conf->deadline,
	};
	char *uris[SOURCE_SRV_MAX] = {NULL};
	size_t n = 0;
	int rc;

	if (dcfind_lookup(&q, dns, err) < 0)
		return -1;
	dns->kept = dcfind_prefer(dns->srv, dns->n_srv, conf->prefer_dc,
				  dns->chosen, sizeof(dns->chosen));
	dns->anew = !dns->kept;
	for (size_t i = 0; i < dns->n_srv; i++) {
		char uri[SOURCE_DNS_NAME_MAX + 32];

		if (dcfind_uri(&q, &dns->srv[i], uri, sizeof(uri)) == 0)
			uris[n++] = xstrdup(uri);
	}
	rc = open_session(s, uris, n, err);
	for (size_t i = 0; i < n; i++)
		free(uris[i]);
	return rc;
}

/* connect_any - the configured URIs, or the DCs found in DNS */
static int
connect_any(struct ldapsync_session *s, struct sync_err *err)
{
	if (s->conf->domain != NULL)
		return open_discovered(s, err);
	return open_session(s, s->conf->uris, s->conf->n_uris, err);
}

/* ldapsync_open - see ldapsync.h */
int
ldapsync_open(const struct ldapsync_conf *conf, struct source_stats *stats,
	      struct ldapsync_session **out, struct sync_err *err)
{
	struct ldapsync_session *s = xcalloc(1, sizeof(*s));

	watchdog_install(&s->old_sa);
	/* Only sync.yaml configures the run: not ldap.conf, not ~/.ldaprc. */
	setenv("LDAPNOINIT", "1", 1);
	memset(stats, 0, sizeof(*stats));
	s->conf = conf;
	s->timeout.tv_sec = conf->timeout;
	s->stats = stats;
	*out = NULL;
	if ((conf->bind_method == LDAPSYNC_BIND_GSSAPI &&
	     krb5cred_acquire(conf->keytab, conf->principal, &s->krb, err) <
		     0) ||
	    connect_any(s, err) < 0 ||
	    (is_gc(conf, stats->server) && check_gc_attribute(s, err) < 0)) {
		ldapsync_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

/* ldapsync_close - unbind, release the ticket cache, give SIGALRM back */
void
ldapsync_close(struct ldapsync_session *s)
{
	if (s == NULL)
		return;
	watchdog_arm(0);
	if (s->ld != NULL)
		ldap_unbind_ext_s(s->ld, NULL, NULL);
	krb5cred_release(s->krb);
	watchdog_restore(&s->old_sa);
	free(s);
}
