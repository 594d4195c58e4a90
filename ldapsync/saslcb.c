/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	saslcb - can this Cyrus SASL send a channel binding with GSSAPI?
 * DESCRIPTION
 *	rcptsync asks libldap for tls-endpoint channel bindings on a GSSAPI
 *	bind inside TLS (LDAP_OPT_X_SASL_CBINDING); libldap hands them to
 *	Cyrus SASL, and whether the GSSAPI plugin puts them into its
 *	Kerberos authenticator depends on how that plugin was built:
 *	- upstream 2.1.28 and older: never; the plugin does not declare
 *	  SASL_FEAT_CHANNEL_BINDING;
 *	- Debian's 2.1.28 (patch 0034, from 2.1.28+dfsg-10; Ubuntu's too):
 *	  whenever it is given them; the plugin declares the feature;
 *	- upstream after 2.1.28: the plugin declares the feature but sends
 *	  them only under the security flag SASL_SEC_NONSTD_CBIND, which
 *	  libldap sets only from OpenLDAP 2.7 (secprops "nonstdcbind"),
 *	  and rcptsync does not ask for yet.
 *	So the answer is read from the loaded plugin's declared features,
 *	then from the libraries' run-time versions.  Only a DC that enforces
 *	channel binding can prove they arrive (tests/integration/samba.sh).
 * DIAGNOSTICS
 *	A reason string when the answer is no; never an error.
 * SEE ALSO
 *	doc/active-directory.md ("AD hardening"; "The protocol"),
 *	RFC 5929 (tls-server-end-point), Microsoft ADV190023.
 */
#include <stdio.h>
#include <string.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "saslcb.h"

/* What the plugin list said about GSSAPI. */
struct probe {
	int found;
	int declares_cb;
};

/* probe_mech - sasl_client_plugin_info's callback, for GSSAPI only */
static void
probe_mech(client_sasl_mechanism_t *m, sasl_info_callback_stage_t stage,
	   void *rock)
{
	struct probe *p = rock;

	if (stage != SASL_INFO_LIST_MECH || m == NULL || m->plug == NULL ||
	    strcmp(m->plug->mech_name, "GSSAPI") != 0)
		return;
	p->found = 1;
	p->declares_cb = (m->plug->features & SASL_FEAT_CHANNEL_BINDING) != 0;
}

/* saslcb_gssapi - see saslcb.h */
int
saslcb_gssapi(char *why, size_t size)
{
	struct probe p = {0, 0};
	const char *impl = NULL, *ver = NULL;
	int major = 0, minor = 0, step = 0, patch = 0;
	int sasl_version;

	sasl_version_info(&impl, &ver, &major, &minor, &step, &patch);
	sasl_version = major * 10000 + minor * 100 + step;
	/* libldap has initialised the library for its bind: this only
	 * counts one more user, and sasl_client_done() one fewer */
	if (sasl_client_init(NULL) == SASL_OK) {
		(void)sasl_client_plugin_info("GSSAPI", probe_mech, &p);
		(void)sasl_client_done();
	}
	if (!p.found) {
		snprintf(why, size, "%s %s has no GSSAPI plugin loaded",
			 impl ? impl : "SASL", ver ? ver : "");
		return 0;
	}
	if (!p.declares_cb) {
		snprintf(why, size,
			 "the GSSAPI plugin of %s %s cannot send one (upstream "
			 "Cyrus SASL 2.1.28 and older; Debian's build carries "
			 "the patch that can)",
			 impl ? impl : "SASL", ver ? ver : "");
		return 0;
	}
	/* XXX OpenLDAP 2.7's secprops "nonstdcbind" would ask for it */
	if (sasl_version > 20128) {
		snprintf(why, size,
			 "%s %s sends one only when asked with "
			 "SASL_SEC_NONSTD_CBIND, which libldap passes on only "
			 "from OpenLDAP 2.7 and rcptsync does not set",
			 impl ? impl : "SASL", ver ? ver : "");
		return 0;
	}
	snprintf(why, size, "%s %s", impl ? impl : "SASL", ver ? ver : "");
	return 1;
}
