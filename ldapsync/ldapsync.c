/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	ldapsync - fetch every proxyAddresses value from Active Directory
 * DESCRIPTION
 *	One session per run: the URIs are tried in order until one connects
 *	(TLS verified unless the config says otherwise) and binds.  Once the
 *	search has begun, any failure ends the run: results from two DCs are
 *	never mixed, since they may be at different replication states.
 *
 *	Completeness is the whole point: a partial list would make Postfix
 *	reject real recipients.  So:
 *	- every search carries the Simple Paged Results control (RFC 2696),
 *	  marked critical: AD answers an unpaged search with 1000 entries
 *	  and sizeLimitExceeded (MaxPageSize);
 *	- sizeLimitExceeded, timeLimitExceeded, adminLimitExceeded, a lost
 *	  connection or a timeout fail the fetch;
 *	- a value list cut by MaxValRange ("proxyAddresses;range=0-1499") is
 *	  completed with base searches for "proxyAddresses;range=1500-*"
 *	  until the server tags a chunk "-*" (MS-ADTS 3.1.1.3.1.3.3);
 *	- continuation references (Configuration, DomainDnsZones, ...) are
 *	  counted and skipped, never chased: referrals are off;
 *	- on a Global Catalog (ports 3268/3269, or global_catalog: true)
 *	  the schema must say proxyAddresses is in the partial attribute
 *	  set before anything is searched.
 *	Incremental pulls (ldapsync_fetch_incr) read the DC's position
 *	first and then search only (uSNChanged>=N); which objects changed
 *	in the naming context comes from a GUID listing, a show-deleted
 *	search, or DirSync (the one search without paging: DirSync has its
 *	own "more" flag and refuses the paging control).
 *	Binds: simple (DN, UPN or DOMAIN\user, with a password file), SASL
 *	GSSAPI with a keytab (krb5cred.c: a private ticket cache), SASL
 *	EXTERNAL with a TLS client certificate, or anonymous.  A refused
 *	bind carries AD's diagnostic and, where known, advice (adhint.c).
 *	libldap's ldap.conf and ~/.ldaprc are not read (LDAPNOINIT): what the
 *	run does is what sync.yaml says.
 *
 *	Timeouts: libldap 2.5 (Debian 12) busy-loops in the TLS handshake
 *	when a server accepts TCP but never answers (a hung or SIGSTOPped
 *	DC): LDAP_OPT_NETWORK_TIMEOUT does not bound that loop (2.6 does).
 *	So every blocking libldap call runs under a watchdog: SIGALRM after
 *	"timeout" seconds shuts the socket down (shutdown(2) is
 *	async-signal-safe), which turns the stall into an error that we
 *	report as a timeout.  The socket comes from LDAP_OPT_CONNECT_CB.
 *	This module owns SIGALRM while ldapsync_fetch() runs.
 * OWNERSHIP
 *	Every libldap object is freed before return; the password is wiped
 *	right after the bind.
 * DIAGNOSTICS
 *	sync_err with ldap_err2string(), the server's diagnostic message
 *	(where AD puts "data 52e") and where it happened.
 * SEE ALSO
 *	RFC 4511, RFC 2696, RFC 4513, MS-ADTS 3.1.1.3.
 */
#include <errno.h>
#include <unistd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <ldap.h>
#include <sasl/sasl.h>

#include "xalloc.h"
#include "secret.h"
#include "adhint.h"
#include "krb5cred.h"
#include "filterattrs.h"
#include "seen.h"
#include "clock.h"
#include "ldapsync.h"

#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define ATTR_NAME "proxyAddresses"

/* One value a ranged entry has so far (a copy). */
struct held_value {
	char *val;
	size_t len;
};

/*
 * One value list the server cut short, to finish after the page.  Its
 * values are held back until the list is complete: a consumer only ever
 * sees whole entries (an incremental pull replaces an object by what it
 * is handed, so a part would stand for the whole).
 */
struct pending_range {
	char *dn;
	long next;
	unsigned char guid[32]; /* incremental: the entry's objectGUID */
	size_t guid_len;
	struct held_value *vals;
	size_t n_vals, alloc_vals;
};

struct session {
	LDAP *ld;
	const struct ldapsync_conf *conf;
	struct timeval timeout;
	source_value_fn fn;
	void *ctx;
	struct source_stats *stats;
	struct pending_range *pending;
	size_t n_pending;
	size_t alloc_pending;
	struct ldapsync_incr *incr; /* NULL: a plain full pull */
	char *filter;		    /* the filter in use (owned) */
	int changed_only;	    /* this search reports GUIDs only */
	int show_deleted;	    /* with the show-deleted control */
	unsigned long n_changed;    /* GUIDs reported so far */
	unsigned long n_changed_in; /* of those, now under a base */
	char **norm_bases;	    /* the bases, normalised (dn_key) */
	int dirsync;		    /* this search carries DirSync */
	int dirsync_more;	    /* DirSync: the server has more */
	struct seen *seen;	    /* entries of the current search */
	const char *what;	    /* the current search, for messages */
};

/* Values of one entry beyond which a server that never ends its ranged
 * list is refused (AD's own objects stay far below: an Exchange object
 * holds a few hundred addresses at most). */
#define MAX_VALUES_PER_ENTRY 100000

#define GUID_ATTR "objectGUID"
/* LDAP_SERVER_SHOW_DELETED_OID: tombstones are returned too (MS-ADTS
 * 3.1.1.3.4.1.14) */
#define SHOW_DELETED_OID "1.2.840.113556.1.4.417"
/* GUID_DELETED_OBJECTS_CONTAINER_W (MS-ADTS 6.1.1.4) */
#define DELETED_OBJECTS_WKGUID "18e2ea80684f11d2b9aa00c04f79f805"

/* The socket of the current session and whether the watchdog fired. */
static volatile sig_atomic_t watchdog_fd = -1;
static volatile sig_atomic_t watchdog_fired;
/* Whether the timer is set (watchdog_kick). */
static int watchdog_armed;
/* Set once TCP is up: a failure after it on ldaps:// is TLS's. */
static volatile sig_atomic_t tcp_connected;

/* on_alarm - the watchdog: cut the stalled connection */
static void
on_alarm(int sig)
{
	(void)sig;
	watchdog_fired = 1;
	if (watchdog_fd >= 0)
		shutdown(watchdog_fd, SHUT_RDWR);
}

/* watchdog_arm - SIGALRM in SECONDS (0: disarm) */
static void
watchdog_arm(int seconds)
{
	struct itimerval it;

	watchdog_armed = seconds > 0;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = seconds;
	setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * watchdog_kick - keep SIGALRM SECONDS away while answers keep coming.
 * Re-arms at most once a second: setitimer(2) for each of a million
 * entries cost 8% of a full pull (bench/README.md).  A stall is thus cut
 * after SECONDS to SECONDS + 1.
 */
static void
watchdog_kick(int seconds)
{
	static struct timespec last;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec == last.tv_sec && watchdog_armed)
		return;
	last = now;
	watchdog_arm(seconds);
}

/* conn_add - LDAP_OPT_CONNECT_CB: remember the socket for the watchdog */
static int
conn_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
	 struct ldap_conncb *ctx)
{
	ber_socket_t fd;

	(void)ld, (void)srv, (void)addr, (void)ctx;
	if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) == 1)
		watchdog_fd = fd;
	tcp_connected = 1;
	return 0;
}

/* conn_del - the socket is going away */
static void
conn_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
	(void)ld, (void)sb, (void)ctx;
	watchdog_fd = -1;
}

static struct ldap_conncb watchdog_cb = {conn_add, conn_del, NULL};

/* ldap_fail - one message from rc, the diagnostic text and WHERE */
static int __attribute__((format(printf, 5, 6)))
ldap_fail(struct sync_err *err, int kind, LDAP *ld, int rc, const char *fmt,
	  ...)
{
	char where[256];
	char *diag = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(where, sizeof(where), fmt, ap);
	va_end(ap);
	if (ld != NULL)
		(void)ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	sync_err_set(err, kind, "%s: %s%s%s%s", where, ldap_err2string(rc),
		     diag && *diag ? " (" : "", diag && *diag ? diag : "",
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
	    ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &watchdog_cb))
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "cannot set LDAP options");
	if (set_client_cert(ld, conf, err) < 0)
		return -1;
	/* The TLS options above apply only once a new context is made. */
	if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero)) != 0)
		return ldap_fail(err, SYNC_ERR_CONFIG, ld, rc,
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
	watchdog_arm(conf->timeout);
	rc = ldap_sasl_bind_s(ld, conf->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
			      NULL, NULL);
	watchdog_arm(0);
	secret_free(password, len);
	if (rc != LDAP_SUCCESS)
		return ldap_fail(err, bind_kind(rc), ld, rc,
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
	if (tls && conf->bind_method == LDAPSYNC_BIND_GSSAPI)
		(void)ldap_set_option(ld, LDAP_OPT_X_SASL_CBINDING, &cbinding);
	watchdog_arm(conf->timeout);
	rc = ldap_sasl_interactive_bind_s(ld, NULL, mech, NULL, NULL,
					  LDAP_SASL_QUIET, sasl_defaults, NULL);
	watchdog_arm(0);
	if (rc != LDAP_SUCCESS) {
		if (watchdog_fired)
			return sync_err_set(err, SYNC_ERR_TEMP,
					    "SASL %s bind to %s: no answer "
					    "within %d s",
					    mech, uri, conf->timeout);
		return ldap_fail(err,
				 rc == LDAP_LOCAL_ERROR ||
						 rc == LDAP_AUTH_UNKNOWN ||
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

/* open_one - connect, StartTLS if asked, bind; *LDP set on success */
static int
open_one(const char *uri, const struct ldapsync_conf *conf,
	 const struct timeval *tv, LDAP **ldp, struct sync_err *err)
{
	LDAP *ld = NULL;
	int rc;

	if (ldapsync_uri_is_plain(uri) && !conf->starttls &&
	    conf->bind_method == LDAPSYNC_BIND_SIMPLE)
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "%s: refusing a simple bind over plain "
				    "ldap://; use ldaps:// or starttls: true",
				    uri);
	if ((rc = ldap_initialize(&ld, uri)) != LDAP_SUCCESS)
		return ldap_fail(err, SYNC_ERR_CONFIG, NULL, rc,
				 "bad LDAP URI %s", uri);
	if (set_options(ld, conf, tv, err) < 0)
		goto fail;
	watchdog_fired = 0;
	tcp_connected = 0;
	watchdog_arm(conf->timeout);
	rc = ldap_connect(ld);
	watchdog_arm(0);
	if (rc != LDAP_SUCCESS) {
		if (watchdog_fired)
			sync_err_set(err, SYNC_ERR_TEMP,
				     "no answer from %s within %d s", uri,
				     conf->timeout);
		else if (tcp_connected)
			/* libldap 2.5 reports a failed verification only as
			 * "(unknown error code)"; say what it means. */
			ldap_fail(err, SYNC_ERR_UNAVAILABLE, ld, rc,
				  "%s: TLS handshake failed (certificate not "
				  "trusted by tls.ca_file, expired, or not "
				  "issued for this host name)",
				  uri);
		else
			ldap_fail(err,
				  bind_kind(rc) == SYNC_ERR_AUTH
					  ? SYNC_ERR_UNAVAILABLE
					  : bind_kind(rc),
				  ld, rc, "cannot connect to %s", uri);
		goto fail;
	}
	watchdog_arm(conf->timeout);
	rc = conf->starttls && ldapsync_uri_is_plain(uri)
		     ? ldap_start_tls_s(ld, NULL, NULL)
		     : LDAP_SUCCESS;
	watchdog_arm(0);
	if (rc != LDAP_SUCCESS) {
		ldap_fail(err,
			  bind_kind(rc) == SYNC_ERR_AUTH ? SYNC_ERR_UNAVAILABLE
							 : bind_kind(rc),
			  ld, rc, "StartTLS with %s failed", uri);
		goto fail;
	}
	if (do_bind(ld, uri, conf,
		    !ldapsync_uri_is_plain(uri) || conf->starttls, err) < 0)
		goto fail;
	*ldp = ld;
	return 0;
fail:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return -1;
}

/* describe_bind - who we are to the server, and the SASL layer */
static void
describe_bind(struct session *s)
{
	const struct ldapsync_conf *conf = s->conf;
	char *user = NULL;
	ber_len_t ssf = 0;
	int tls = !ldapsync_uri_is_plain(s->stats->server) || conf->starttls;

	switch (conf->bind_method) {
	case LDAPSYNC_BIND_NONE:
		snprintf(s->stats->bound_as, sizeof(s->stats->bound_as),
			 "anonymous");
		return;
	case LDAPSYNC_BIND_SIMPLE:
		snprintf(s->stats->bound_as, sizeof(s->stats->bound_as),
			 "simple as %s%s", conf->bind_dn,
			 tls ? " (inside TLS)" : "");
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

/*
 * open_session - the first URI that connects and binds.  An AUTH or
 * CONFIG failure stops at once: another DC of the same domain would
 * refuse the same credentials, and each try counts toward lockout.
 */
static int
open_session(struct session *s, struct sync_err *err)
{
	const struct ldapsync_conf *conf = s->conf;
	char tried[SYNC_ERR_MSG_MAX] = "";
	int timed_out = 0;

	for (size_t i = 0; i < conf->n_uris; i++) {
		if (open_one(conf->uris[i], conf, &s->timeout, &s->ld, err) ==
		    0) {
			snprintf(s->stats->server, sizeof(s->stats->server),
				 "%s", conf->uris[i]);
			snprintf(s->stats->skipped, sizeof(s->stats->skipped),
				 "%s", tried);
			describe_bind(s);
			return 0;
		}
		if (err->kind == SYNC_ERR_AUTH || err->kind == SYNC_ERR_CONFIG)
			return -1;
		timed_out |= err->kind == SYNC_ERR_TEMP;
		append_cut(tried, sizeof(tried), err->msg);
	}
	return sync_err_set(err,
			    timed_out ? SYNC_ERR_TEMP : SYNC_ERR_UNAVAILABLE,
			    "no directory server reachable: %s", tried);
}

/* ldapsync_parse_range - the ";range=LOW-HIGH" option of a description */
int
ldapsync_parse_range(const char *desc, long *low, long *high)
{
	const char *opt;
	char *end;

	for (opt = strchr(desc, ';'); opt != NULL; opt = strchr(opt + 1, ';'))
		if (strncasecmp(opt + 1, "range=", 6) == 0)
			break;
	if (opt == NULL)
		return 0;
	errno = 0;
	*low = strtol(opt + 7, &end, 10);
	if (errno || end == opt + 7 || *end != '-' || *low < 0)
		return -1;
	if (end[1] == '*') {
		*high = -1;
		return 1;
	}
	*high = strtol(end + 1, &end, 10);
	if (errno || *high < *low || (*end != '\0' && *end != ';'))
		return -1;
	return 1;
}

/* is_attr - the attribute description names proxyAddresses */
static int
is_attr(const char *desc)
{
	size_t n = sizeof(ATTR_NAME) - 1;

	return strncasecmp(desc, ATTR_NAME, n) == 0 &&
	       (desc[n] == '\0' || desc[n] == ';');
}

/*
 * emit_values - hand each value of one attribute to the callback, or,
 * with HOLD, keep copies for when the entry is complete
 */
static int
emit_values(struct session *s, LDAPMessage *entry, const char *desc,
	    const char *dn, struct pending_range *hold, struct sync_err *err)
{
	struct berval **vals = ldap_get_values_len(s->ld, entry, desc);
	int ret = 0;

	for (struct berval **v = vals; v && *v && ret == 0; v++) {
		if (hold == NULL) {
			s->stats->values++;
			ret = s->fn(s->ctx, dn, (*v)->bv_val, (*v)->bv_len);
			continue;
		}
		if (hold->n_vals >= MAX_VALUES_PER_ENTRY) {
			ret = sync_err_set(err, SYNC_ERR_TEMP,
					   "range retrieval for %s: %s sent "
					   "more than %d values",
					   dn, s->stats->server,
					   MAX_VALUES_PER_ENTRY);
			break;
		}
		if (hold->n_vals == hold->alloc_vals) {
			hold->alloc_vals =
				hold->alloc_vals ? 2 * hold->alloc_vals : 64;
			hold->vals = xreallocarray(hold->vals, hold->alloc_vals,
						   sizeof(*hold->vals));
		}
		hold->vals[hold->n_vals].val =
			xmemdup((*v)->bv_val, (*v)->bv_len);
		hold->vals[hold->n_vals++].len = (*v)->bv_len;
	}
	ldap_value_free_len(vals);
	return ret;
}

static struct pending_range *add_pending(struct session *s, const char *dn);

/*
 * take_entry - emit the entry's values.  *NEXT is set to where a cut
 * value list continues, or -1 when it is complete.  EXPECT_LOW >= 0
 * demands a chunk starting there (a range continuation, whose values go
 * to *HOLD); a first chunk that is cut opens *HOLD (add_pending).  A
 * chunk must end at or after its start: one that does not would have us
 * ask for the same range again, forever.
 */
static int
take_entry(struct session *s, LDAPMessage *entry, const char *dn,
	   long expect_low, long *next, struct pending_range **hold,
	   struct sync_err *err)
{
	BerElement *ber = NULL;
	int ret = 0, seen = 0;

	*next = -1;
	for (char *desc = ldap_first_attribute(s->ld, entry, &ber);
	     desc != NULL && ret == 0;
	     desc = ldap_next_attribute(s->ld, entry, ber)) {
		long low = 0, high = -1;
		int ranged = is_attr(desc)
				     ? ldapsync_parse_range(desc, &low, &high)
				     : 0;

		if (!is_attr(desc)) {
			ldap_memfree(desc);
			continue;
		}
		/* a chunk must start where we asked and end at or after its
		 * start (ldapsync_parse_range); anything else would have us
		 * ask for the same range again, or skip values: the
		 * server's error */
		if (ranged < 0 ||
		    (expect_low >= 0 && (ranged == 0 || low != expect_low))) {
			ret = sync_err_set(err, SYNC_ERR_TEMP,
					   "range retrieval for %s: %s sent "
					   "%s when asked for values from "
					   "%ld on: the range does not "
					   "advance",
					   dn, s->stats->server, desc,
					   expect_low >= 0 ? expect_low : 0);
		} else {
			seen = 1;
			if (ranged == 1 && high >= 0) {
				*next = high + 1;
				if (*hold == NULL)
					*hold = add_pending(s, dn);
			}
			ret = emit_values(s, entry, desc, dn, *hold, err);
		}
		ldap_memfree(desc);
	}
	ber_free(ber, 0);
	if (ret == 0 && expect_low >= 0 && !seen)
		ret = sync_err_set(err, SYNC_ERR_DATA,
				   "entry %s: server did not return "
				   "proxyAddresses;range=%ld-*",
				   dn, expect_low);
	return ret;
}

/*
 * past_deadline - has the run's deadline passed?  Then a TEMP error that
 * names the search: every loop over a server's answers asks this, so a
 * server that never stops answering cannot hold the lock forever.
 */
static int
past_deadline(struct session *s, const char *what, struct sync_err *err)
{
	if (s->conf->deadline <= 0 ||
	    clock_seconds(CLOCK_MONOTONIC) < s->conf->deadline)
		return 0;
	return sync_err_set(err, SYNC_ERR_TEMP,
			    "%s: the run's deadline (%ld s) passed while %s "
			    "was still answering",
			    what, s->conf->deadline_seconds, s->stats->server);
}

/* wait_msg - next message for MSGID, or a TEMP error */
static int
wait_msg(struct session *s, int msgid, LDAPMessage **res, const char *what,
	 struct sync_err *err)
{
	struct timeval tv = s->timeout;
	int rc;

	if (past_deadline(s, what, err) < 0) {
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
	if (rc == 0 && past_deadline(s, what, err) < 0) {
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
	return ldap_fail(err, SYNC_ERR_TEMP, s->ld, rc,
			 "%s: connection to %s lost", what, s->stats->server);
}

/* result_kind - what a search result code means for the run */
static int
result_kind(int code)
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

/* finish_dirsync - take DirSync's cookie and "more" flag; frees CTRLS */
static int
finish_dirsync(struct session *s, LDAPControl **ctrls, struct berval *cookie,
	       const char *what, struct sync_err *err)
{
	LDAPControl *ds =
		ldap_control_find(LDAP_CONTROL_X_DIRSYNC, ctrls, NULL);
	int rc;

	if (ds == NULL) {
		ldap_controls_free(ctrls);
		return sync_err_set(err, SYNC_ERR_DATA,
				    "%s: %s sent no DirSync response", what,
				    s->stats->server);
	}
	ber_memfree(cookie->bv_val);
	cookie->bv_val = NULL;
	cookie->bv_len = 0;
	rc = ldap_parse_dirsync_control(s->ld, ds, &s->dirsync_more, cookie);
	ldap_controls_free(ctrls);
	if (rc != LDAP_SUCCESS || cookie->bv_len == 0)
		return sync_err_set(err, SYNC_ERR_DATA,
				    "%s: malformed DirSync response from %s",
				    what, s->stats->server);
	return 0;
}

/* finish_search - check the final result; take the paging cookie */
static int
finish_search(struct session *s, LDAPMessage *res, struct berval *cookie,
	      const char *what, struct sync_err *err)
{
	LDAPControl **ctrls = NULL, *page;
	char *diag = NULL;
	int code = LDAP_SUCCESS, rc;
	ber_int_t estimate;

	rc = ldap_parse_result(s->ld, res, &code, NULL, &diag, NULL, &ctrls, 1);
	if (rc != LDAP_SUCCESS)
		return ldap_fail(err, SYNC_ERR_TEMP, s->ld, rc, "%s", what);
	if (code != LDAP_SUCCESS) {
		sync_err_set(err, result_kind(code),
			     "%s: %s%s%s%s; the result is incomplete and "
			     "nothing was written",
			     what, ldap_err2string(code), diag ? " (" : "",
			     diag ? diag : "", diag ? ")" : "");
		ldap_memfree(diag);
		ldap_controls_free(ctrls);
		return -1;
	}
	ldap_memfree(diag);
	if (s->dirsync)
		return finish_dirsync(s, ctrls, cookie, what, err);
	if (cookie != NULL && ctrls != NULL &&
	    (page = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls,
				      NULL)) != NULL &&
	    ldap_parse_pageresponse_control(s->ld, page, &estimate, cookie) !=
		    LDAP_SUCCESS) {
		ldap_controls_free(ctrls);
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "%s: malformed paged results response",
				    what);
	}
	ldap_controls_free(ctrls);
	return 0;
}

/*
 * add_pending - remember a cut value list for after the page; the
 * pointer is valid until the next add_pending
 */
static struct pending_range *
add_pending(struct session *s, const char *dn)
{
	struct pending_range *p;

	if (s->n_pending == s->alloc_pending) {
		s->alloc_pending = s->alloc_pending ? 2 * s->alloc_pending : 8;
		s->pending = xreallocarray(s->pending, s->alloc_pending,
					   sizeof(*s->pending));
	}
	p = &s->pending[s->n_pending++];
	memset(p, 0, sizeof(*p));
	p->dn = xstrdup(dn);
	memcpy(p->guid, s->stats->guid, s->stats->guid_len);
	p->guid_len = s->stats->guid_len;
	s->stats->ranged++;
	return p;
}

/* free_pending - forget every remembered range and its held values */
static void
free_pending(struct session *s)
{
	for (size_t i = 0; i < s->n_pending; i++) {
		for (size_t j = 0; j < s->pending[i].n_vals; j++)
			free(s->pending[i].vals[j].val);
		free(s->pending[i].vals);
		free(s->pending[i].dn);
	}
	s->n_pending = 0;
}

/* take_guid - the entry's objectGUID into stats->guid */
static int
take_guid(struct session *s, LDAPMessage *msg, const char *dn,
	  struct sync_err *err)
{
	struct berval **v = ldap_get_values_len(s->ld, msg, GUID_ATTR);
	int ok = v != NULL && v[0] != NULL && v[0]->bv_len > 0 &&
		 v[0]->bv_len <= sizeof(s->stats->guid);

	if (ok) {
		memcpy(s->stats->guid, v[0]->bv_val, v[0]->bv_len);
		s->stats->guid_len = v[0]->bv_len;
	}
	ldap_value_free_len(v);
	if (!ok)
		return sync_err_set(err, SYNC_ERR_DATA,
				    "entry %s has no usable objectGUID; "
				    "incremental pulls need AD",
				    dn);
	return 0;
}

/*
 * dn_key - DN in one spelling (RFC 4514 via ldap_dn_normalize, ASCII
 * lower-cased: AD's names are case-insensitive), or NULL when it does not
 * parse.  Caller frees.
 */
static char *
dn_key(const char *dn)
{
	char *out = NULL;

	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &out,
			      LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return NULL;
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

/*
 * dn_in_bases - may DN (a changed object's name now) be under one of the
 * bases?  An object changed elsewhere (not moved in) cannot qualify, so
 * when no changed object is under a base, the bases need no search: the
 * ones that moved out are dropped as changed and not fetched again.  Any
 * doubt (a DN that does not parse) answers yes.
 */
static int
dn_in_bases(struct session *s, const char *dn)
{
	char *key;
	size_t len;
	int in = 0;

	if (s->norm_bases == NULL)
		return 1;
	if ((key = dn_key(dn)) == NULL)
		return 1;
	len = strlen(key);
	for (size_t i = 0; i < s->conf->n_bases && !in; i++) {
		const char *b = s->norm_bases[i];
		size_t bl = b ? strlen(b) : 0;

		in = b == NULL || bl == 0 ||
		     (len >= bl && strcmp(key + len - bl, b) == 0 &&
		      (len == bl || key[len - bl - 1] == ','));
	}
	ldap_memfree(key);
	return in;
}

/* norm_bases_free - the normalised bases */
static void
norm_bases_free(struct session *s)
{
	if (s->norm_bases == NULL)
		return;
	for (size_t i = 0; i < s->conf->n_bases; i++)
		ldap_memfree(s->norm_bases[i]);
	free(s->norm_bases);
	s->norm_bases = NULL;
}

/* handle_entry - one search entry of a page */
static int
handle_entry(struct session *s, LDAPMessage *msg, struct sync_err *err)
{
	char *dn = ldap_get_dn(s->ld, msg);
	struct pending_range *hold = NULL;
	long next;
	int ret;

	if (dn == NULL)
		return ldap_fail(err, SYNC_ERR_TEMP, s->ld, LDAP_DECODING_ERROR,
				 "entry without a DN from %s",
				 s->stats->server);
	if (s->incr != NULL && take_guid(s, msg, dn, err) < 0) {
		ldap_memfree(dn);
		return -1;
	}
	/* a server that sends an entry twice in one search is looping (or
	 * would have us count an object twice): refuse the whole result */
	if (s->seen != NULL && seen_add(s->seen, dn, strlen(dn))) {
		sync_err_set(err, SYNC_ERR_TEMP,
			     "%s: %s sent entry %s twice in one search",
			     s->what, s->stats->server, dn);
		ldap_memfree(dn);
		return -1;
	}
	if (s->changed_only) {
		s->incr->changed(s->ctx, s->stats->guid, s->stats->guid_len);
		s->n_changed++;
		if (dn_in_bases(s, dn))
			s->n_changed_in++;
		ldap_memfree(dn);
		return 0;
	}
	s->stats->entries++;
	s->stats->serial++;
	ret = take_entry(s, msg, dn, -1, &next, &hold, err);
	if (ret == 0 && hold != NULL)
		hold->next = next;
	ldap_memfree(dn);
	return ret;
}

/* read_results - every message of one search until its final result */
static int
read_messages(struct session *s, int msgid, struct berval *cookie,
	      const char *what, struct sync_err *err)
{
	LDAPMessage *msg;

	for (;;) {
		if (wait_msg(s, msgid, &msg, what, err) < 0)
			return -1;
		switch (ldap_msgtype(msg)) {
		case LDAP_RES_SEARCH_ENTRY:
			if (handle_entry(s, msg, err) < 0) {
				ldap_msgfree(msg);
				ldap_abandon_ext(s->ld, msgid, NULL, NULL);
				return -1;
			}
			break;
		case LDAP_RES_SEARCH_REFERENCE: s->stats->references++; break;
		case LDAP_RES_SEARCH_RESULT:
			return finish_search(s, msg, cookie, what, err);
		default: break;
		}
		ldap_msgfree(msg);
	}
}

/* read_results - read_messages() under the watchdog, disarmed after */
static int
read_results(struct session *s, int msgid, struct berval *cookie,
	     const char *what, struct sync_err *err)
{
	int ret;

	watchdog_fired = 0;
	ret = read_messages(s, msgid, cookie, what, err);
	watchdog_arm(0);
	return ret;
}

/* range_once - one base search for P's chunk starting at P->next */
static int
range_once(struct session *s, struct pending_range *p, struct sync_err *err)
{
	const char *dn = p->dn;
	long *next = &p->next;
	char attr[64];
	char *attrs[] = {attr, NULL};
	LDAPMessage *msg;
	long low = *next;
	int msgid, rc, got = 0;

	if (s->conf->range_size > 0)
		snprintf(attr, sizeof(attr), ATTR_NAME ";range=%ld-%ld", low,
			 low + s->conf->range_size - 1);
	else
		snprintf(attr, sizeof(attr), ATTR_NAME ";range=%ld-*", low);
	rc = ldap_search_ext(s->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
			     attrs, 0, NULL, NULL, &s->timeout, 0, &msgid);
	if (rc != LDAP_SUCCESS)
		return ldap_fail(err, SYNC_ERR_TEMP, s->ld, rc,
				 "range retrieval for %s", dn);
	watchdog_fired = 0;
	for (;;) {
		if (wait_msg(s, msgid, &msg, "range retrieval", err) < 0) {
			watchdog_arm(0);
			return -1;
		}
		if (ldap_msgtype(msg) == LDAP_RES_SEARCH_RESULT)
			break;
		if (ldap_msgtype(msg) == LDAP_RES_SEARCH_ENTRY && !got) {
			got = 1;
			if (take_entry(s, msg, dn, low, next, &p, err) < 0) {
				watchdog_arm(0);
				ldap_msgfree(msg);
				ldap_abandon_ext(s->ld, msgid, NULL, NULL);
				return -1;
			}
		}
		ldap_msgfree(msg);
	}
	watchdog_arm(0);
	if (finish_search(s, msg, NULL, "range retrieval", err) < 0)
		return sync_err_prefix(err, "entry %s", dn);
	if (!got)
		return sync_err_set(err, SYNC_ERR_DATA,
				    "entry %s vanished during range retrieval",
				    dn);
	return 0;
}

/*
 * complete_ranges - fetch the rest of every cut value list, then hand
 * each entry's values over at once, as one entry (a serial of its own)
 */
static int
complete_ranges(struct session *s, struct sync_err *err)
{
	int ret = 0;

	for (size_t i = 0; i < s->n_pending && ret == 0; i++) {
		struct pending_range *p = &s->pending[i];

		while (p->next >= 0 && ret == 0)
			ret = range_once(s, p, err);
		memcpy(s->stats->guid, p->guid, p->guid_len);
		s->stats->guid_len = p->guid_len;
		s->stats->serial++;
		for (size_t j = 0; j < p->n_vals && ret == 0; j++) {
			s->stats->values++;
			ret = s->fn(s->ctx, p->dn, p->vals[j].val,
				    p->vals[j].len);
		}
	}
	free_pending(s);
	return ret;
}

/* search_base - the paging loop for one base */
static int
search_base(struct session *s, const char *base, struct sync_err *err)
{
	char attr[64];
	char *attrs[] = {attr, s->incr ? GUID_ATTR : NULL, NULL};
	struct berval cookie = {0, NULL}, last = {0, NULL};
	unsigned long page_no = 0;
	char what[256];
	int ret = 0;

	/* range_size: ask for the first chunk explicitly, as AD would cut
	 * the list by itself at MaxValRange (1500) values */
	if (s->changed_only) {
		snprintf(attr, sizeof(attr), GUID_ATTR);
		attrs[1] = NULL;
	} else if (s->conf->range_size > 0) {
		snprintf(attr, sizeof(attr), ATTR_NAME ";range=0-%d",
			 s->conf->range_size - 1);
	} else {
		snprintf(attr, sizeof(attr), ATTR_NAME);
	}
	seen_free(s->seen);
	s->seen = seen_new();
	do {
		LDAPControl *page = NULL, *ctrls[3] = {NULL, NULL, NULL};
		LDAPControl deleted = {SHOW_DELETED_OID, {0, NULL}, 1};
		int msgid, rc;

		page_no++;
		snprintf(what, sizeof(what), "page %lu of search under %s",
			 page_no, base);
		s->what = what;
		rc = ldap_create_page_control(s->ld, s->conf->page_size,
					      &cookie, 1, &page);
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		if (rc != LDAP_SUCCESS) {
			ret = ldap_fail(err, SYNC_ERR_TEMP, s->ld, rc, "%s",
					what);
			break;
		}
		ctrls[0] = page;
		if (s->show_deleted)
			ctrls[1] = &deleted;
		rc = ldap_search_ext(s->ld, base, LDAP_SCOPE_SUBTREE, s->filter,
				     attrs, 0, ctrls, NULL, &s->timeout, 0,
				     &msgid);
		ldap_control_free(page);
		if (rc != LDAP_SUCCESS) {
			ret = ldap_fail(err, SYNC_ERR_TEMP, s->ld, rc, "%s",
					what);
			break;
		}
		if (read_results(s, msgid, &cookie, what, err) < 0 ||
		    complete_ranges(s, err) < 0) {
			ret = -1;
			break;
		}
		s->stats->pages++;
		/* RFC 2696: the cookie moves on with every page; the same
		 * one again would bring the same page again, forever */
		if (cookie.bv_len > 0 && cookie.bv_len == last.bv_len &&
		    memcmp(cookie.bv_val, last.bv_val, cookie.bv_len) == 0) {
			ret = sync_err_set(err, SYNC_ERR_TEMP,
					   "%s: %s sent the same paging cookie "
					   "twice",
					   what, s->stats->server);
			break;
		}
		free(last.bv_val);
		last.bv_len = cookie.bv_len;
		last.bv_val = cookie.bv_len
				      ? xmemdup(cookie.bv_val, cookie.bv_len)
				      : NULL;
	} while (cookie.bv_len > 0);
	ber_memfree(cookie.bv_val);
	free(last.bv_val);
	seen_free(s->seen);
	s->seen = NULL;
	s->what = NULL;
	return ret;
}

/* first_value - the first value of ATTR in the entry (caller frees) */
static char *
first_value(LDAP *ld, LDAPMessage *entry, const char *attr)
{
	struct berval **vals = ldap_get_values_len(ld, entry, attr);
	char *v = NULL;

	if (vals != NULL && vals[0] != NULL)
		v = xstrndup(vals[0]->bv_val, vals[0]->bv_len);
	ldap_value_free_len(vals);
	return v;
}

/* read_one - one attribute of one entry found by a synchronous search */
static int
read_one(struct session *s, const char *base, int scope, const char *filter,
	 const char *attr, char **value, struct sync_err *err)
{
	char *attrs[] = {(char *)attr, NULL};
	LDAPMessage *res = NULL, *entry;
	int rc;

	*value = NULL;
	watchdog_arm(s->conf->timeout + 1);
	rc = ldap_search_ext_s(s->ld, base, scope, filter, attrs, 0, NULL, NULL,
			       &s->timeout, 2, &res);
	watchdog_arm(0);
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT) {
		ldap_msgfree(res);
		return ldap_fail(err, result_kind(rc), s->ld, rc,
				 "reading %s of %s", attr, base);
	}
	if ((entry = ldap_first_entry(s->ld, res)) != NULL)
		*value = first_value(s->ld, entry, attr);
	ldap_msgfree(res);
	return 0;
}

/*
 * check_gc_attribute - a Global Catalog holds only the attributes of the
 * partial attribute set; without proxyAddresses there, every object
 * would come back without addresses.  Read the flag from the schema.
 */
static int
check_gc_attribute(struct session *s, struct sync_err *err)
{
	char *schema = NULL, *flag = NULL;
	int ret = 0;

	if (read_one(s, "", LDAP_SCOPE_BASE, "(objectClass=*)",
		     "schemaNamingContext", &schema, err) < 0)
		return -1;
	if (schema == NULL)
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "%s: global_catalog: the server's rootDSE "
				    "names no schemaNamingContext; is it an "
				    "AD Global Catalog?",
				    s->stats->server);
	if (read_one(s, schema, LDAP_SCOPE_ONELEVEL,
		     "(&(objectClass=attributeSchema)"
		     "(lDAPDisplayName=" ATTR_NAME "))",
		     "isMemberOfPartialAttributeSet", &flag, err) < 0)
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

/* hex - BIN as lower-case hex into BUF */
static void
hex(const unsigned char *bin, size_t len, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < len && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", bin[i]);
}

/*
 * read_position - where this DC is: rootDSE's dnsHostName,
 * highestCommittedUSN and defaultNamingContext, and the invocationId of
 * its NTDS Settings object (a restored DC gets a new one: its USNs then
 * mean something else, MS-ADTS 3.1.1.1.9).
 */
static int
read_position(struct session *s, char **naming_context, struct sync_err *err)
{
	struct ldapsync_incr *in = s->incr;
	char *host = NULL, *usn = NULL, *service = NULL;
	char *attrs[] = {"dnsHostName", "highestCommittedUSN", "dsServiceName",
			 "defaultNamingContext", NULL};
	LDAPMessage *res = NULL, *e;
	struct berval **inv = NULL;
	char *inv_attrs[] = {"invocationId", NULL};
	int rc, ret = -1;

	watchdog_arm(s->conf->timeout + 1);
	rc = ldap_search_ext_s(s->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
			       attrs, 0, NULL, NULL, &s->timeout, 1, &res);
	watchdog_arm(0);
	if (rc != LDAP_SUCCESS || (e = ldap_first_entry(s->ld, res)) == NULL) {
		ldap_msgfree(res);
		return ldap_fail(err, SYNC_ERR_TEMP, s->ld, rc,
				 "reading the rootDSE of %s", s->stats->server);
	}
	host = first_value(s->ld, e, "dnsHostName");
	usn = first_value(s->ld, e, "highestCommittedUSN");
	service = first_value(s->ld, e, "dsServiceName");
	*naming_context = first_value(s->ld, e, "defaultNamingContext");
	ldap_msgfree(res);
	res = NULL;
	if (host == NULL || usn == NULL || service == NULL ||
	    *naming_context == NULL) {
		sync_err_set(err, SYNC_ERR_CONFIG,
			     "%s: the rootDSE lacks dnsHostName, "
			     "highestCommittedUSN, dsServiceName or "
			     "defaultNamingContext: incremental: usnchanged "
			     "needs an AD domain controller",
			     s->stats->server);
		goto out;
	}
	watchdog_arm(s->conf->timeout + 1);
	rc = ldap_search_ext_s(s->ld, service, LDAP_SCOPE_BASE,
			       "(objectClass=*)", inv_attrs, 0, NULL, NULL,
			       &s->timeout, 1, &res);
	watchdog_arm(0);
	if (rc == LDAP_SUCCESS && (e = ldap_first_entry(s->ld, res)) != NULL)
		inv = ldap_get_values_len(s->ld, e, "invocationId");
	if (inv == NULL || inv[0] == NULL) {
		sync_err_set(err, SYNC_ERR_CONFIG,
			     "%s: cannot read the invocationId of %s",
			     s->stats->server, service);
		goto out;
	}
	snprintf(in->dc, sizeof(in->dc), "%s", host);
	hex((unsigned char *)inv[0]->bv_val, inv[0]->bv_len, in->invocation,
	    sizeof(in->invocation));
	in->usn = strtoull(usn, NULL, 10);
	ret = 0;
out:
	ldap_value_free_len(inv);
	ldap_msgfree(res);
	free(host);
	free(usn);
	free(service);
	return ret;
}

/* decide_incremental - may this pull continue the last one? */
static void
decide_incremental(struct ldapsync_incr *in, int dirsync)
{
	in->incremental = 0;
	if (in->prior_dc == NULL || in->prior_dc[0] == '\0')
		snprintf(in->why_full, sizeof(in->why_full),
			 "no earlier pull to continue");
	else if (strcasecmp(in->prior_dc, in->dc) != 0)
		snprintf(in->why_full, sizeof(in->why_full),
			 "the last pull was from %s, this one is from %s",
			 in->prior_dc, in->dc);
	else if (strcmp(in->prior_invocation, in->invocation) != 0)
		snprintf(in->why_full, sizeof(in->why_full),
			 "the invocationId of %s changed (restored?)", in->dc);
	else if (in->usn < in->prior_usn)
		snprintf(in->why_full, sizeof(in->why_full),
			 "the USN of %s went back", in->dc);
	else if (dirsync && in->prior_cookie_len == 0)
		snprintf(in->why_full, sizeof(in->why_full),
			 "no DirSync cookie yet");
	else
		in->incremental = 1;
}

/* incremental_filter - (&(uSNChanged>=N)FILTER) */
static char *
incremental_filter(unsigned long long from, const char *filter)
{
	size_t len = strlen(filter) + 64;
	char *f = xmalloc(len);

	snprintf(f, len, "(&(uSNChanged>=%llu)%s)", from, filter);
	return f;
}

/* ldapsync_fetch - a plain full pull */
int
ldapsync_fetch(const struct ldapsync_conf *conf, source_value_fn fn, void *ctx,
	       struct source_stats *stats, struct sync_err *err)
{
	return ldapsync_fetch_incr(conf, NULL, fn, ctx, stats, err);
}

/* search_bases - FILTER under every base */
static int
search_bases(struct session *s, char *filter, struct sync_err *err)
{
	int ret = 0;

	s->filter = filter;
	for (size_t i = 0; i < s->conf->n_bases && ret == 0; i++)
		ret = search_base(s, s->conf->bases[i], err);
	free(s->filter);
	s->filter = NULL;
	return ret;
}

/*
 * search_changed - deletions: tombstones: the GUID of every object of the
 * naming context changed since the last pull, tombstones included.
 * Tombstones live in the Deleted Objects container (found by its
 * well-known GUID, MS-ADTS 6.1.1.4); AD also returns them in the subtree
 * search of the naming context, Samba only there.
 */
static int
search_changed(struct session *s, const char *naming_context,
	       struct sync_err *err)
{
	size_t len = strlen(naming_context) + 64;
	char *deleted = xmalloc(len);
	int ret;

	snprintf(deleted, len, "<WKGUID=%s,%s>", DELETED_OBJECTS_WKGUID,
		 naming_context);
	s->changed_only = 1;
	s->show_deleted = 1;
	s->filter =
		incremental_filter(s->incr->prior_usn + 1, "(objectClass=*)");
	ret = search_base(s, naming_context, err);
	if (ret == 0)
		ret = search_base(s, deleted, err);
	free(s->filter);
	s->filter = NULL;
	s->changed_only = 0;
	s->show_deleted = 0;
	free(deleted);
	return ret;
}

/* DirSync asks no more than this per answer; "more" brings the rest */
#define DIRSYNC_MAX_BYTES (1 << 20)
/* matches no object (objectGUID is indexed): a full pull's DirSync search
 * only asks for the cookie of now */
#define DIRSYNC_NOTHING                                                \
	"(objectGUID=\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00" \
	"\\00\\00\\00\\00)"

/* ldapsync_dirsync_attrs - see ldapsync.h */
char **
ldapsync_dirsync_attrs(const char *filter)
{
	char **attrs = NULL;
	size_t n = 0;

	filterattrs_add_one(&attrs, &n, GUID_ATTR, strlen(GUID_ATTR));
	filterattrs_add_one(&attrs, &n, "isDeleted", 9);
	filterattrs_add_one(&attrs, &n, "name", 4);
	/* the addresses themselves: a new alias changes nothing else */
	filterattrs_add_one(&attrs, &n, ATTR_NAME, strlen(ATTR_NAME));
	filterattrs_add(&attrs, &n, filter);
	return attrs;
}

static const char dirsync_advice[] =
	"DirSync needs the \"Replicating Directory Changes\" right on the "
	"naming context for the bind account (README, \"Incremental "
	"pulls\"), or use incremental: usnchanged";

/*
 * search_dirsync - the GUID of every object of the naming context changed
 * since the prior cookie, tombstones included, through incr->changed;
 * the new cookie into incr->cookie.  DirSync takes only a naming
 * context's root as base; it reports an object only when one of the
 * requested attributes changed, so it asks for proxyAddresses (the
 * addresses), those the filter tests (leaving or joining it), name
 * (rename, move) and isDeleted (ldapsync_dirsync_attrs).
 */
static int
search_dirsync(struct session *s, const char *naming_context, int from_prior,
	       struct sync_err *err)
{
	struct ldapsync_incr *in = s->incr;
	struct berval cookie = {0, NULL}, sent = {0, NULL};
	char **attrs;
	unsigned long round = 0;
	char what[300];
	int ret = 0;

	attrs = ldapsync_dirsync_attrs(s->conf->filter);
	if (from_prior) {
		cookie.bv_val = ber_memalloc(in->prior_cookie_len);
		memcpy(cookie.bv_val, in->prior_cookie, in->prior_cookie_len);
		cookie.bv_len = in->prior_cookie_len;
	}
	s->dirsync = 1;
	s->changed_only = 1;
	do {
		LDAPControl *ctrl = NULL, *ctrls[2] = {NULL, NULL};
		int msgid, rc;

		snprintf(what, sizeof(what), "DirSync search %lu of %s",
			 ++round, naming_context);
		free(sent.bv_val);
		sent.bv_len = cookie.bv_len;
		sent.bv_val = xmemdup(cookie.bv_val ? cookie.bv_val : "",
				      cookie.bv_len);
		rc = ldap_create_dirsync_control(s->ld, 0, DIRSYNC_MAX_BYTES,
						 &cookie, &ctrl);
		if (rc != LDAP_SUCCESS) {
			ret = ldap_fail(err, SYNC_ERR_TEMP, s->ld, rc, "%s",
					what);
			break;
		}
		ctrl->ldctl_iscritical = 1; /* AD and Samba insist */
		ctrls[0] = ctrl;
		rc = ldap_search_ext(
			s->ld, naming_context, LDAP_SCOPE_SUBTREE,
			from_prior ? "(objectClass=*)" : DIRSYNC_NOTHING, attrs,
			0, ctrls, NULL, &s->timeout, 0, &msgid);
		ldap_control_free(ctrl);
		if (rc != LDAP_SUCCESS) {
			ret = ldap_fail(err, SYNC_ERR_TEMP, s->ld, rc, "%s",
					what);
			break;
		}
		if ((ret = read_results(s, msgid, &cookie, what, err)) < 0) {
			if (err->kind == SYNC_ERR_AUTH)
				sync_err_hint(err, dirsync_advice);
			break;
		}
		/* "more" with the cookie we sent would bring the same
		 * answer again, forever (MS-ADTS 3.1.1.3.4.1.3) */
		if (s->dirsync_more && cookie.bv_len == sent.bv_len &&
		    (cookie.bv_len == 0 ||
		     memcmp(cookie.bv_val, sent.bv_val, cookie.bv_len) == 0)) {
			ret = sync_err_set(err, SYNC_ERR_TEMP,
					   "%s: %s said it has more, but sent "
					   "back the same DirSync cookie",
					   what, s->stats->server);
			break;
		}
	} while (s->dirsync_more);
	free(sent.bv_val);
	s->dirsync = 0;
	s->changed_only = 0;
	if (ret == 0 && cookie.bv_len > sizeof(in->cookie))
		ret = sync_err_set(err, SYNC_ERR_DATA,
				   "%s: a DirSync cookie of %lu bytes is more "
				   "than rcptsync keeps (%d)",
				   s->stats->server,
				   (unsigned long)cookie.bv_len,
				   LDAPSYNC_COOKIE_MAX);
	if (ret == 0) {
		memcpy(in->cookie, cookie.bv_val, cookie.bv_len);
		in->cookie_len = cookie.bv_len;
	}
	ber_memfree(cookie.bv_val);
	filterattrs_free(attrs);
	return ret;
}

/* searches - the bases, and for an incremental pull the changed GUIDs */
static int
searches(struct session *s, struct sync_err *err)
{
	const struct ldapsync_conf *conf = s->conf;
	char *naming_context = NULL;
	int ret;

	if (s->incr == NULL)
		return search_bases(s, xstrdup(conf->filter), err);
	if (read_position(s, &naming_context, err) < 0) {
		free(naming_context);
		return -1;
	}
	decide_incremental(s->incr, conf->incremental == LDAPSYNC_INCR_DIRSYNC);
	if (s->incr->incremental && s->incr->usn == s->incr->prior_usn) {
		/* highestCommittedUSN is where the DC's last change of any
		 * object went (a deletion too): unchanged, so nothing
		 * changed anywhere, and no search is needed */
		s->incr->unchanged = 1;
		if (conf->incremental == LDAPSYNC_INCR_DIRSYNC) {
			memcpy(s->incr->cookie, s->incr->prior_cookie,
			       s->incr->prior_cookie_len);
			s->incr->cookie_len = s->incr->prior_cookie_len;
		}
		ret = 0;
	} else if (conf->incremental == LDAPSYNC_INCR_DIRSYNC) {
		/* the cookie first: a change made during the pull is seen
		 * again next time, never missed */
		ret = search_dirsync(s, naming_context, s->incr->incremental,
				     err);
		if (ret < 0 && s->incr->incremental &&
		    (err->kind == SYNC_ERR_CONFIG ||
		     err->kind == SYNC_ERR_DATA)) {
			/* a cookie the DC will not take (damaged, or from
			 * before a restore), or an answer we cannot use: any
			 * doubt, a full pull */
			snprintf(s->incr->why_full, sizeof(s->incr->why_full),
				 "DirSync from the cached cookie failed: %s",
				 err->msg);
			s->incr->incremental = 0;
			s->n_changed = s->n_changed_in = 0;
			ret = search_dirsync(s, naming_context, 0, err);
		}
		if (ret == 0 && !s->incr->incremental)
			ret = search_bases(s, xstrdup(conf->filter), err);
		else if (ret == 0 && s->n_changed_in > 0)
			ret = search_bases(
				s,
				incremental_filter(s->incr->prior_usn + 1,
						   conf->filter),
				err);
	} else if (!s->incr->incremental) {
		ret = search_bases(s, xstrdup(conf->filter), err);
	} else if (conf->deletions == LDAPSYNC_DELETIONS_LISTING) {
		ret = search_bases(s,
				   incremental_filter(s->incr->prior_usn + 1,
						      conf->filter),
				   err);
		/* then every object that qualifies now, by GUID only */
		s->changed_only = 1;
		if (ret == 0)
			ret = search_bases(s, xstrdup(conf->filter), err);
		s->changed_only = 0;
	} else {
		/* changed GUIDs first: when nothing changed anywhere in the
		 * naming context, the bases need no search at all */
		ret = search_changed(s, naming_context, err);
		if (ret == 0 && s->n_changed_in > 0)
			ret = search_bases(
				s,
				incremental_filter(s->incr->prior_usn + 1,
						   conf->filter),
				err);
	}
	free(naming_context);
	return ret;
}

/* ldapsync_fetch_incr - session, every base, close */
int
ldapsync_fetch_incr(const struct ldapsync_conf *conf,
		    struct ldapsync_incr *incr, source_value_fn fn, void *ctx,
		    struct source_stats *stats, struct sync_err *err)
{
	struct sigaction sa, old_sa;
	struct krb5cred *krb = NULL;
	struct session s;
	int ret = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old_sa);
	/* Only sync.yaml configures the run: not ldap.conf, not ~/.ldaprc. */
	setenv("LDAPNOINIT", "1", 1);
	memset(stats, 0, sizeof(*stats));
	memset(&s, 0, sizeof(s));
	s.conf = conf;
	s.incr = incr;
	s.timeout.tv_sec = conf->timeout;
	s.fn = fn;
	s.ctx = ctx;
	s.stats = stats;
	if (conf->bind_method == LDAPSYNC_BIND_GSSAPI &&
	    krb5cred_acquire(conf->keytab, conf->principal, &krb, err) < 0) {
		sigaction(SIGALRM, &old_sa, NULL);
		return -1;
	}
	if (open_session(&s, err) < 0) {
		krb5cred_release(krb);
		sigaction(SIGALRM, &old_sa, NULL);
		return -1;
	}
	if (incr != NULL) {
		s.norm_bases = xcalloc(conf->n_bases, sizeof(char *));
		for (size_t i = 0; i < conf->n_bases; i++)
			s.norm_bases[i] = dn_key(conf->bases[i]);
	}
	if (is_gc(conf, s.stats->server))
		ret = check_gc_attribute(&s, err);
	if (ret == 0)
		ret = searches(&s, err);
	free_pending(&s);
	free(s.pending);
	norm_bases_free(&s);
	ldap_unbind_ext_s(s.ld, NULL, NULL);
	krb5cred_release(krb);
	sigaction(SIGALRM, &old_sa, NULL);
	return ret;
}
