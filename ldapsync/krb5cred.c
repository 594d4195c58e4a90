/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	krb5cred - a Kerberos ticket from a keytab, in a private cache
 * DESCRIPTION
 *	For bind.method gssapi: get the service account's initial ticket
 *	with its key from the keytab (no password is stored anywhere), put
 *	it in a MEMORY: credential cache that only this process can see,
 *	and make that cache GSSAPI's default for this thread with
 *	gss_krb5_ccache_name().  Cyrus SASL's GSSAPI plugin, which libldap
 *	drives, then uses it without knowing.  The admin's own ticket cache
 *	(KRB5CCNAME, /tmp/krb5cc_UID) is never read or written, and nothing
 *	is left on disk: the cache dies with krb5cred_release() or the
 *	process.  krb5.conf comes from the usual place (KRB5_CONFIG or
 *	/etc/krb5.conf): the realm's KDCs are site configuration.
 * OWNERSHIP
 *	krb5cred_acquire() returns a handle the caller releases.
 * DIAGNOSTICS
 *	AUTH errors with libkrb5's message, the principal and the keytab.
 * SEE ALSO
 *	krb5_get_init_creds_keytab(3), gss_krb5_ccache_name (MIT krb5
 *	"GSSAPI extensions"), RFC 4752 (SASL GSSAPI).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include "xalloc.h"
#include "adhint.h"
#include "secret.h"
#include "krb5cred.h"

struct krb5cred {
	krb5_context ctx;
	krb5_ccache cache;
	char name[64]; /* "MEMORY:rcptsync-PID-N" */
};

/* krb_fail - an AUTH error with libkrb5's text for CODE */
static int
krb_fail(krb5_context ctx, krb5_error_code code, struct sync_err *err,
	 const char *what, const char *principal, const char *keytab)
{
	const char *msg = krb5_get_error_message(ctx, code);

	sync_err_set(err, SYNC_ERR_AUTH,
		     "Kerberos: %s for %s with keytab %s: %s", what, principal,
		     keytab, msg);
	sync_err_hint(err, adhint_for(msg));
	krb5_free_error_message(ctx, msg);
	return -1;
}

/*
 * get_ticket - the initial ticket of PRINCIPAL with its key from the keytab
 * at KEYTAB_PATH, into *CLIENT and *CREDS (the caller frees both)
 */
static int
get_ticket(struct krb5cred *kc, const char *principal, const char *keytab_path,
	   krb5_principal *client, krb5_creds *creds, struct sync_err *err)
{
	char kt_name[4200];
	krb5_keytab keytab = NULL;
	krb5_error_code code;

	snprintf(kt_name, sizeof(kt_name), "FILE:%s", keytab_path);
	if ((code = krb5_parse_name(kc->ctx, principal, client)) != 0) {
		krb_fail(kc->ctx, code, err, "bad principal", principal,
			 keytab_path);
		err->kind = SYNC_ERR_CONFIG;
		return -1;
	}
	if ((code = krb5_kt_resolve(kc->ctx, kt_name, &keytab)) != 0 ||
	    (code = krb5_get_init_creds_keytab(kc->ctx, creds, *client, keytab,
					       0, NULL, NULL)) != 0) {
		krb_fail(kc->ctx, code, err, "no initial ticket", principal,
			 keytab_path);
		/* No KDC answering is the network's fault, not the keytab's. */
		if (code == KRB5_KDC_UNREACH || code == KRB5_REALM_CANT_RESOLVE)
			err->kind = SYNC_ERR_UNAVAILABLE;
	}
	if (keytab != NULL)
		krb5_kt_close(kc->ctx, keytab);
	return code != 0 ? -1 : 0;
}

/*
 * store_ticket - CREDS into a new MEMORY: cache of this process, made
 * GSSAPI's default for this thread
 */
static int
store_ticket(struct krb5cred *kc, krb5_principal client, krb5_creds *creds,
	     const char *principal, const char *keytab_path,
	     struct sync_err *err)
{
	static unsigned serial;
	krb5_error_code code;
	OM_uint32 minor;

	snprintf(kc->name, sizeof(kc->name), "MEMORY:rcptsync-%ld-%u",
		 (long)getpid(), serial++);
	if ((code = krb5_cc_resolve(kc->ctx, kc->name, &kc->cache)) != 0 ||
	    (code = krb5_cc_initialize(kc->ctx, kc->cache, client)) != 0 ||
	    (code = krb5_cc_store_cred(kc->ctx, kc->cache, creds)) != 0)
		return krb_fail(kc->ctx, code, err, "cannot store the ticket",
				principal, keytab_path);
	if (gss_krb5_ccache_name(&minor, kc->name, NULL) != GSS_S_COMPLETE)
		return sync_err_set(err, SYNC_ERR_AUTH,
				    "Kerberos: GSSAPI refused the private "
				    "credential cache (minor %lu)",
				    (unsigned long)minor);
	return 0;
}

/* krb5cred_acquire - keytab -> ticket -> private cache -> GSSAPI default */
int
krb5cred_acquire(const char *keytab_spec, const char *principal,
		 struct krb5cred **out, struct sync_err *err)
{
	char keytab_path[4096];
	struct krb5cred *kc = xcalloc(1, sizeof(*kc));
	krb5_principal client = NULL;
	krb5_creds creds;
	krb5_error_code code;
	int have_creds = 0;

	memset(&creds, 0, sizeof(creds));
	/* A keytab is as good as a password: same ownership and mode. */
	if (secret_check_path(keytab_spec, keytab_path, sizeof(keytab_path),
			      err) < 0) {
		free(kc);
		return sync_err_prefix(err, "bind.keytab");
	}
	if ((code = krb5_init_context(&kc->ctx)) != 0) {
		free(kc);
		return sync_err_set(err, SYNC_ERR_CONFIG,
				    "Kerberos: cannot initialise (krb5.conf "
				    "unreadable?): error %ld",
				    (long)code);
	}
	if (get_ticket(kc, principal, keytab_path, &client, &creds, err) < 0)
		goto fail;
	have_creds = 1;
	if (store_ticket(kc, client, &creds, principal, keytab_path, err) < 0)
		goto fail;
	krb5_free_cred_contents(kc->ctx, &creds);
	krb5_free_principal(kc->ctx, client);
	*out = kc;
	return 0;
fail:
	if (have_creds)
		krb5_free_cred_contents(kc->ctx, &creds);
	krb5_free_principal(kc->ctx, client);
	kc->name[0] = '\0';
	krb5cred_release(kc);
	return -1;
}

/* krb5cred_release - destroy the cache; GSSAPI back to its default */
void
krb5cred_release(struct krb5cred *kc)
{
	OM_uint32 minor;

	if (kc == NULL)
		return;
	if (kc->name[0] != '\0')
		(void)gss_krb5_ccache_name(&minor, NULL, NULL);
	if (kc->cache != NULL)
		krb5_cc_destroy(kc->ctx, kc->cache);
	krb5_free_context(kc->ctx);
	free(kc);
}
