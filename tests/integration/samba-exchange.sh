# SPDX-License-Identifier: MIT
# The part of Exchange's schema and configuration that accepted domains need,
# on the test Samba AD DC of samba-dc.sh (bash; sourced after lib.sh and
# samba-dc.sh, with the DC running; not run).  For `domains: exchange`.
#
# Everything goes through the DC's own database ($SDC/private/sam.ldb, as
# samba_dc_load does) while the DC runs: ldbadd/ldbmodify/ldbdel, no
# samba-tool, a fraction of a second per call; clients see it at once.
#
#   exch_schema_extend          msExchAcceptedDomainName, ...Flags and the
#                               class msExchAcceptedDomain (once per DC)
#   exch_org_create ORG         CN=ORG,CN=Microsoft Exchange,CN=Services in
#                               Configuration, down to CN=Accepted Domains;
#                               sets EXCH_ORG_DN and EXCH_AD_BASE
#   exch_domain_add NAME DOMAIN FLAGS   CN=NAME,$EXCH_AD_BASE
#   exch_domain_set_flags NAME FLAGS
#   exch_domain_del NAME
#   exch_deny_read ACCOUNT      a deny-read ACE for ACCOUNT on the
#                               organisation and the two containers below:
#                               the list disappears for it
#   exch_allow_read ACCOUNT     removes those ACEs again
#   exch_rootdse ATTR           ATTR of the rootDSE, read by ldapsearch as
#                               the service account (LDAPS, in the namespace)
#
# What a denied account sees (Samba 4.17.12, seen): its subtree search of
# the Configuration NC for (objectClass=msExchAcceptedDomain), paged or
# not, succeeds (result 0) with no entry at all, only the usual
# continuation reference to CN=Schema: exactly what a forest without
# accepted domains returns.  A search based at or below Transport Settings
# answers 32 noSuchObject ("dsdb_access: Access check failed on <parent>");
# the organisation's own DN still shows in a one-level search of
# CN=Microsoft Exchange (its parent lets Authenticated Users list).
#
# The flags (msExchAcceptedDomainFlags): flags & 3 is the type (0
# Authoritative, 1 ExternalRelay, 2 InternalRelay), 4 the default domain,
# 256 outbound only.

EXCH_CONFIG_DN="CN=Configuration,$SDC_DOMAIN_DN"
EXCH_SCHEMA_DN="CN=Schema,$EXCH_CONFIG_DN"
EXCH_ORG_DN=
EXCH_AD_BASE=

# _exch_ldb TOOL ARGS... : an ldb tool on the DC's database, its output in
# $SDC/exch.log, shown (tail) when it fails
_exch_ldb() {
	local tool=$1; shift
	"$tool" -H "$SDC/private/sam.ldb" "$@" > "$SDC/exch.log" 2>&1 ||
		{ echo "$tool failed:" >&2; tail -5 "$SDC/exch.log" >&2; return 1; }
}

# exch_schema_extend : the two attributes and the class, with Exchange's
# names (cn and lDAPDisplayName) and Exchange's schemaIDGUIDs.
# The schemaIDGUIDs are binary in LDIF: base64 of the GUID's little-endian
# bytes, python3 -c 'import uuid,base64; print(base64.b64encode(
# uuid.UUID("9d71afc6-2c40-4c23-8cd7-e55b7d3129bd").bytes_le).decode())'.
# The OIDs (attributeID, governsID) are not Exchange's (those are not
# needed, only the names): they lie in the arc Samba reserves for its
# self-test's made-up schema, 1.3.6.1.4.1.7165.4.6.1.x (attributes) and
# .4.6.2.x (classes), in a sub-arc (.100) that no Samba test and no
# provisioned schema uses.  Not 1.3.6.1.4.1.7165.4.255.x: that arc is
# Samba's own (OIDs mapped where AD and the standards collide, .1 to .11
# allocated in 4.17's schema_samba4.ldif), not a test arc.
# Samba's rules: new attributes must be loaded (rootDSE schemaUpdateNow)
# before a class can name them in mayContain, hence two ldbmodify calls;
# both need 'dsdb:schema update allowed' (Samba refuses schema changes
# otherwise).
exch_schema_extend() {
	local s=$EXCH_SCHEMA_DN
	# once per DC: a second run would fail on the existing entries
	ldbsearch -H "$SDC/private/sam.ldb" -b "$s" -s one \
		'(lDAPDisplayName=msExchAcceptedDomain)' dn 2>/dev/null |
		grep -q '^dn: ' && return 0
	cat > "$SDC/exch-schema-1.ldif" <<EOF
dn: CN=ms-Exch-Accepted-Domain-Name,$s
changetype: add
objectClass: top
objectClass: attributeSchema
cn: ms-Exch-Accepted-Domain-Name
adminDisplayName: ms-Exch-Accepted-Domain-Name
lDAPDisplayName: msExchAcceptedDomainName
attributeID: 1.3.6.1.4.1.7165.4.6.1.100.1
attributeSyntax: 2.5.5.12
oMSyntax: 64
isSingleValued: TRUE
searchFlags: 0
# 9a895c75-f88c-4fd0-a0da-91ff20affa2c
schemaIDGUID:: dVyJmoz40E+g2pH/IK/6LA==

dn: CN=ms-Exch-Accepted-Domain-Flags,$s
changetype: add
objectClass: top
objectClass: attributeSchema
cn: ms-Exch-Accepted-Domain-Flags
adminDisplayName: ms-Exch-Accepted-Domain-Flags
lDAPDisplayName: msExchAcceptedDomainFlags
attributeID: 1.3.6.1.4.1.7165.4.6.1.100.2
attributeSyntax: 2.5.5.9
oMSyntax: 2
isSingleValued: TRUE
searchFlags: 0
# c7b9a038-99d2-48da-b22c-8a5412cf7a81
schemaIDGUID:: OKC5x9KZ2kiyLIpUEs96gQ==

dn:
changetype: modify
add: schemaUpdateNow
schemaUpdateNow: 1
-
EOF
	cat > "$SDC/exch-schema-2.ldif" <<EOF
dn: CN=ms-Exch-Accepted-Domain,$s
changetype: add
objectClass: top
objectClass: classSchema
cn: ms-Exch-Accepted-Domain
adminDisplayName: ms-Exch-Accepted-Domain
lDAPDisplayName: msExchAcceptedDomain
governsID: 1.3.6.1.4.1.7165.4.6.2.100.1
objectClassCategory: 1
subClassOf: top
rDNAttID: cn
possSuperiors: container
mayContain: msExchAcceptedDomainName
mayContain: msExchAcceptedDomainFlags
# 9d71afc6-2c40-4c23-8cd7-e55b7d3129bd
schemaIDGUID:: xq9xnUAsI0yM1+VbfTEpvQ==

dn:
changetype: modify
add: schemaUpdateNow
schemaUpdateNow: 1
-
EOF
	_exch_ldb ldbmodify --option='dsdb:schema update allowed=true' \
		"$SDC/exch-schema-1.ldif" &&
		_exch_ldb ldbmodify --option='dsdb:schema update allowed=true' \
			"$SDC/exch-schema-2.ldif"
}

# exch_org_create ORG : Exchange's containers in the Configuration NC and
# the read ACE Exchange gives Authenticated Users on the organisation
# (without it, objects there are readable by administrators only).
# Exchange's organisation is of class msExchOrganizationContainer, and the
# containers below it have Exchange classes of their own; plain containers
# are enough here (the class msExchAcceptedDomain allows a container as
# parent): a client finds the accepted domains by their class, not by
# their parents'.
# CN=Services exists in every AD (and in Samba's provision).
exch_org_create() {
	local org=$1 dn
	EXCH_ORG_DN="CN=$org,CN=Microsoft Exchange,CN=Services,$EXCH_CONFIG_DN"
	EXCH_AD_BASE="CN=Accepted Domains,CN=Transport Settings,$EXCH_ORG_DN"
	: > "$SDC/exch-org.ldif"
	for dn in "CN=Microsoft Exchange,CN=Services,$EXCH_CONFIG_DN" \
		"$EXCH_ORG_DN" "CN=Transport Settings,$EXCH_ORG_DN" "$EXCH_AD_BASE"; do
		printf 'dn: %s\nobjectClass: top\nobjectClass: container\n\n' "$dn" \
			>> "$SDC/exch-org.ldif"
	done
	_exch_ldb ldbadd "$SDC/exch-org.ldif" &&
		_exch_ace_add '(A;CI;RPLCLORC;;;AU)' "$EXCH_ORG_DN"
}

# exch_domain_add NAME DOMAIN FLAGS
exch_domain_add() {
	printf 'dn: CN=%s,%s\nobjectClass: top\nobjectClass: msExchAcceptedDomain\nmsExchAcceptedDomainName: %s\nmsExchAcceptedDomainFlags: %s\n' \
		"$1" "$EXCH_AD_BASE" "$2" "$3" > "$SDC/exch-domain.ldif"
	_exch_ldb ldbadd "$SDC/exch-domain.ldif"
}

# exch_domain_set_flags NAME FLAGS
exch_domain_set_flags() {
	printf 'dn: CN=%s,%s\nchangetype: modify\nreplace: msExchAcceptedDomainFlags\nmsExchAcceptedDomainFlags: %s\n-\n' \
		"$1" "$EXCH_AD_BASE" "$2" > "$SDC/exch-domain.ldif"
	_exch_ldb ldbmodify "$SDC/exch-domain.ldif"
}

# exch_domain_del NAME
exch_domain_del() {
	_exch_ldb ldbdel "CN=$1,$EXCH_AD_BASE"
}

# _exch_sid ACCOUNT : the account's objectSid (S-1-5-21-...)
_exch_sid() {
	ldbsearch -H "$SDC/private/sam.ldb" -b "$SDC_DOMAIN_DN" \
		"(sAMAccountName=$1)" objectSid 2>/dev/null |
		awk '/^objectSid: S-/ {print $2; exit}'
}

# _exch_sd DN : the object's security descriptor, SDDL on one line
_exch_sd() {
	ldbsearch -H "$SDC/private/sam.ldb" -s base -b "$1" nTSecurityDescriptor \
		2>/dev/null | sed -n '/^nTSecurityDescriptor:/,/^$/p' |
		sed 's/^ //' | tr -d '\n' | sed 's/^nTSecurityDescriptor: //'
}

# _exch_sd_ldif DN SDDL : the modify record that writes it back; Samba
# drops the inherited ACEs (ID) of what is written, recomputes them and
# propagates the change to the children, in the same transaction
_exch_sd_ldif() {
	printf 'dn: %s\nchangetype: modify\nreplace: nTSecurityDescriptor\nnTSecurityDescriptor: %s\n-\n\n' \
		"$1" "$2"
}

# _exch_ace_re ACE : a basic regex ("(" and ")" literal) for the explicit
# ACE, its rights in any order (Samba 4.17 writes RPLCLORC back as given,
# 4.22 as LCRPLORC)
_exch_ace_re() {
	local type flags sid
	IFS=';' read -r type flags _ _ _ sid <<< "$1"
	printf '%s;%s;[A-Z]*;;;%s' "$type" "$flags" "$sid"
}

# _exch_ace_add ACE DN... : ACE first in each DACL (as samba-tool dsacl set
# does: a deny must come before the allows to count), unless present; one
# ldbmodify for all
_exch_ace_add() {
	local ace=$1 dn sd dacl head flags re; shift
	re=$(_exch_ace_re "$ace")
	: > "$SDC/exch-sd.ldif"
	for dn in "$@"; do
		sd=$(_exch_sd "$dn")
		case $sd in *'D:'*'('*) ;; *) echo "no DACL read for $dn" >&2; return 1 ;; esac
		printf '%s\n' "$sd" | grep -q "$re" && continue
		dacl=${sd#*D:}          # flags, then the ACEs, then maybe S:...
		head=${sd%%D:*}D: flags=${dacl%%(*}
		_exch_sd_ldif "$dn" "$head$flags$ace${dacl#"$flags"}" >> "$SDC/exch-sd.ldif"
	done
	[ -s "$SDC/exch-sd.ldif" ] || return 0
	_exch_ldb ldbmodify "$SDC/exch-sd.ldif"
}

# _exch_ace_del ACE DN... : removes the explicit ACE from each
_exch_ace_del() {
	local ace=$1 dn sd re; shift
	re=$(_exch_ace_re "$ace")
	: > "$SDC/exch-sd.ldif"
	for dn in "$@"; do
		sd=$(_exch_sd "$dn")
		printf '%s\n' "$sd" | grep -q "$re" || continue
		_exch_sd_ldif "$dn" "$(printf '%s\n' "$sd" | sed "s/$re//g")" >> "$SDC/exch-sd.ldif"
	done
	[ -s "$SDC/exch-sd.ldif" ] || return 0
	_exch_ldb ldbmodify "$SDC/exch-sd.ldif"
}

# exch_deny_read ACCOUNT : ACCOUNT can neither list nor read the
# organisation nor anything below it.  The deny ACE goes on the
# organisation (inherited by the accepted domains) and, explicitly, on the
# two containers below it: a container's own default descriptor (class
# container) carries an explicit (A;;RPLCLORC;;;AU), which comes before
# any inherited deny and would keep them listable, so that a subtree
# search for (objectClass=*) would still show each domain's DN (CN=the
# domain), without attributes.
exch_deny_read() {
	local sid
	sid=$(_exch_sid "$1")
	[ -n "$sid" ] || { echo "no such account $1" >&2; return 1; }
	_exch_ace_add "(D;CI;RPLCLORC;;;$sid)" "$EXCH_ORG_DN" \
		"CN=Transport Settings,$EXCH_ORG_DN" "$EXCH_AD_BASE"
}

# exch_allow_read ACCOUNT : undoes exch_deny_read
exch_allow_read() {
	local sid
	sid=$(_exch_sid "$1")
	[ -n "$sid" ] || { echo "no such account $1" >&2; return 1; }
	_exch_ace_del "(D;CI;RPLCLORC;;;$sid)" "$EXCH_ORG_DN" \
		"CN=Transport Settings,$EXCH_ORG_DN" "$EXCH_AD_BASE"
}

# exch_rootdse ATTR : ATTR of the rootDSE as the service account sees it
# (e.g. configurationNamingContext).  -w, not -y "$SDC_PW": ldapsearch -y
# sends the file's trailing newline as part of the password (data 52e).
exch_rootdse() {
	in_ns env LDAPTLS_CACERT="$SDC_CA" ldapsearch -LLL -o ldif-wrap=no -x \
		-H ldaps://127.0.0.1 -D "$SDC_SVC@corp.example" -w "$SDC_SVC_PASS" \
		-s base -b '' "$1" | sed -n "s/^$1: //p"
}
