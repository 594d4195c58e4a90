# SPDX-License-Identifier: MIT
# The strictest DC (issue 28): LDAP signing and channel binding, against the
# suite's Samba DC (bash; sourced by samba.sh while the DC runs, with its
# helpers: conf, rs, in_ns, check, contains, table_is, synced).
#
# The DC runs Samba 4.20.3 or later with "ldap server require strong auth =
# yes" (samba-dc.sh): a simple bind only inside TLS, a SASL bind over plain
# ldap:// only with signing, and a SASL bind inside TLS only with correct
# channel bindings (AD's LDAPServerIntegrity 2 with
# LdapEnforceChannelBinding 2).  Each proof has its control, so that none
# passes because the DC checks nothing:
#   - GSSAPI inside TLS (LDAPS, StartTLS) binds and syncs, and check says
#     it sent a tls-endpoint binding; the same bind without one (the test
#     switch RCPTSYNC_FAULT_NO_CBINDING of a -Dfault_injection build) is
#     refused by the DC: exit 77, advice naming channel binding, the map
#     untouched.  ldapsearch shows the same with and without its own
#     SASL_CBINDING.
#   - A simple bind inside TLS works (samba.sh's simple binds); over plain
#     ldap:// rcptsync refuses it before connecting; sent anyway (the test
#     switch RCPTSYNC_FAULT_PLAIN_SIMPLE), the DC refuses it, reported with
#     advice (exit 77).
#   - GSSAPI over plain ldap:// signs and seals, and works; ldapsearch's
#     GSSAPI bind without a security layer is refused.
require kinit ldapsearch
HARD_SAVED=("${CONF:-}" "${TABLE:-}")
HARD_FAULT=0
# hard_synced NAME : sync exits 0 and writes what a full pull writes now
# (the directory has changed since $D/expected)
hard_synced() {
	expect_rc "$1: sync" 0 rs -c "$CONF" sync
	expect_rc "$1: the full reference" 0 rs -c "$FULL_CONF" sync
	check "$1: table = the full reference's" table_is "$TABLE" <(grep -v '^#' "$FULL_TABLE")
}
if "$RCPTSYNC" --version | grep -q 'fault injection: on'; then
	HARD_FAULT=1
elif [ "${CI:-}" = true ]; then
	bad "hardening: CI needs a -Dfault_injection=true build for the controls"
else
	echo "# hardening: build without -Dfault_injection: the controls that need its test switches are skipped"
fi

# --- GSSAPI inside TLS: channel binding --------------------------------------
for how in ldaps starttls; do
	if [ $how = ldaps ]; then uri=ldaps://127.0.0.1 st=; else uri=ldap://127.0.0.1 st="
    starttls: true"; fi
	conf hard-gss-$how "  ldap:
    uri: $uri$st
    base: $CORP
$TLS
$GSS"
	hard_synced "strict DC, GSSAPI over $how (channel binding)"
	expect_rc "strict DC, GSSAPI over $how: check" 0 rs -c "$CONF" check
	contains "GSSAPI over $how: check shows the protections" \
		"protection: TLS, no SASL layer, channel binding tls-endpoint (Cyrus SASL"
	expect_rc "strict DC, GSSAPI over $how: check --json" 0 rs -c "$CONF" --json check
	contains "GSSAPI over $how: --json counts the binding" \
		'"protection":{"binds":1,"tls":1,"sasl_signing":0,"sasl_sealing":0,"channel_binding":1,"channel_binding_unable":0,'
	[ $HARD_FAULT = 1 ] || continue
	before=$(md5sum < "$TABLE"; md5sum < "$TABLE.db")
	expect_rc "control: GSSAPI over $how without channel binding: refused (exit 77)" 77 \
		in_ns env RCPTSYNC_FAULT_NO_CBINDING=1 "$RCPTSYNC" -c "$CONF" sync
	contains "control, $how: the DC's refusal is shown" "SASL GSSAPI bind as $SDC_SVC@$SDC_REALM to $uri refused"
	contains "control, $how: the advice names channel binding" "advice: the DC enforces LDAP channel binding"
	check "control, $how: table and map untouched" \
		test "$(md5sum < "$TABLE"; md5sum < "$TABLE.db")" = "$before"
done

# the same with OpenLDAP's own client: the DC checks the binding, whoever
# binds (a ticket from the keytab, in a cache of the test's own)
HARD_CC=FILE:$D/hard-ccache
in_ns env KRB5CCNAME="$HARD_CC" kinit -k -t "$SDC_KEYTAB" "$SDC_SVC@$SDC_REALM" ||
	bad "kinit from the keytab"
# hard_ldapsearch [CBINDING] ARGS... : libldap's SASL_CBINDING from its
# environment (LDAPSASL_CBINDING; no ~/.ldaprc: HOME is the test's)
hard_ldapsearch() {
	local cb=none
	case $1 in -*) ;; *) cb=$1; shift ;; esac
	in_ns env KRB5CCNAME="$HARD_CC" LDAPTLS_CACERT="$SDC_CA" HOME="$D" \
		LDAPRC="$D/no-ldaprc" LDAPSASL_CBINDING=$cb \
		ldapsearch -N -Q -LLL -Y GSSAPI "$@" -b "$CORP" -s base dn
}
expect_rc "ldapsearch: GSSAPI over LDAPS with SASL_CBINDING tls-endpoint" 0 \
	hard_ldapsearch tls-endpoint -H ldaps://127.0.0.1 -O maxssf=0
expect_rc "ldapsearch control: GSSAPI over LDAPS without channel binding: refused" 49 \
	hard_ldapsearch none -H ldaps://127.0.0.1 -O maxssf=0
HARD_CB_REFUSAL=$OUT
echo "# the DC's answer to a GSSAPI bind without channel binding: $(printf '%s' "$HARD_CB_REFUSAL" | tr '\n' ' ')"

# --- simple binds: only inside TLS -------------------------------------------
# (samba.sh's simple binds over LDAPS and StartTLS work on this DC)
conf hard-simple-plain "  ldap:
    uri: ldap://127.0.0.9
    base: $CORP
    bind: {method: simple, dn: $SDC_SVC@corp.example, password_file: $SDC_PW}"
expect_rc "a simple bind over plain ldap:// is refused by rcptsync" 78 rs -c "$CONF" check
contains "refused before it is sent (nothing listens at 127.0.0.9)" \
	"uri ldap://127.0.0.9: a simple bind over plain ldap:// would send the password in clear; use ldaps:// or starttls: true"
if [ $HARD_FAULT = 1 ]; then
	sed -i 's|ldap://127.0.0.9|ldap://127.0.0.1|' "$CONF"
	expect_rc "control: a simple bind over plain ldap:// sent anyway: the DC refuses (exit 77)" 77 \
		in_ns env RCPTSYNC_FAULT_PLAIN_SIMPLE=1 "$RCPTSYNC" -c "$CONF" check
	contains "the DC's refusal: strong authentication required" "Strong(er) authentication required"
	echo "# the DC's answer to a simple bind over ldap://: $(printf '%s' "$OUT" | head -1)"
	contains "the refusal's advice" "advice: the DC refuses"
	check "the refusal wrote no table" test ! -e "$TABLE"
fi

# --- GSSAPI over plain ldap://: signing and sealing ----------------------------
conf hard-gss-plain "  ldap:
    uri: ldap://127.0.0.1
    base: $CORP
$GSS"
hard_synced "strict DC, GSSAPI over ldap:// (signing and sealing)"
expect_rc "GSSAPI over ldap://: check" 0 rs -c "$CONF" check
contains "GSSAPI over ldap://: check shows signing and sealing" \
	"protection: no TLS, SASL signing and sealing, channel binding not used (no TLS)"
expect_rc "ldapsearch control: GSSAPI over ldap:// without a security layer: refused" 8 \
	hard_ldapsearch -H ldap://127.0.0.1 -O minssf=0,maxssf=0
contains "the DC asks for signing" "Strong(er) authentication required"

CONF=${HARD_SAVED[0]} TABLE=${HARD_SAVED[1]}
