# SPDX-License-Identifier: MIT
# DC discovery (source.ldap.domain) against the suite's Samba DC (bash;
# sourced by samba.sh while the DC runs, with its helpers: conf, rs, in_ns,
# check, contains, table_is).
#
# Samba's internal DNS serves the SRV records AD registers.  rcptsync
# resolves through it with a private resolv.conf, bind-mounted over
# /etc/resolv.conf in a mount namespace of its own inside the DC's network
# namespace (rs_dns): the machine's /etc/resolv.conf is never written, and
# no query leaves the namespace.  A dead DC registered with a better
# priority than the live one must be skipped with a warning naming it;
# DNS with nothing to say is exit 69 with the map untouched.

require host
# what samba.sh had in CONF and TABLE, given back at the end
DNS_SAVED=("${CONF:-}" "${TABLE:-}")
DNS_RESOLV=$D/dns-resolv.conf
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' > "$DNS_RESOLV"
DNS_NORESOLVER=$D/dns-noresolver.conf
# nobody listens there: a DNS that does not answer
printf 'nameserver 127.0.0.9\noptions timeout:1 attempts:1\n' > "$DNS_NORESOLVER"
host_resolv_before=$(md5sum < /etc/resolv.conf)

# rs_dns [-r RESOLV.CONF] ARGS... : rcptsync in the namespace, resolving
# through RESOLV.CONF (default: the DC's DNS)
rs_dns() {
	local rc=$DNS_RESOLV
	if [ "$1" = -r ]; then rc=$2; shift 2; fi
	# shellcheck disable=SC2016
	in_ns unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$rc" "$RCPTSYNC" "$@"
}

# dns_rec VERB ZONE NAME TYPE DATA... : samba-tool dns on the DC, as an admin
dns_rec() {
	in_ns samba-tool dns "$1" 127.0.0.1 "${@:2}" -s "$SDC/etc/smb.conf" \
		-U "CORP\\Administrator%$SDC_ADMIN_PASS" > "$D/dns-tool.log" 2>&1 ||
		{ cat "$D/dns-tool.log"; return 1; }
}

# contains_block NAME TEXT : the last expect_rc output holds TEXT, lines
# and all, in one piece
contains_block() {
	if [[ $OUT == *"$2"* ]]; then ok "$1"
	else bad "$1: output lacks the lines"; printf '%s\n' "$OUT" | sed 's/^/    /' | tail -25; fi
}

# dns_synced NAME EXPECTED : sync through DNS, exit 0, exactly EXPECTED
dns_synced() {
	expect_rc "$1: sync" 0 rs_dns -c "$CONF" sync
	check "$1: table is exactly a full pull's" table_is "$TABLE" "$2"
}

# --- what the DC's DNS serves ------------------------------------------------
# Provisioning registered dc1 by its IPv6 address only (the namespace has
# none): give it the A record of the address it listens on.
dns_rec delete corp.example dc1 AAAA fd00::2 >/dev/null 2>&1
dns_rec add corp.example dc1 A 127.0.0.1 || bad "DNS: add dc1's A record"
check "DNS: Samba serves _ldap._tcp.dc._msdcs.corp.example" bash -c \
	"ip netns exec '$SDC_NS' host -t SRV _ldap._tcp.dc._msdcs.corp.example 127.0.0.1 |
	 grep -q 'SRV record 0 100 389 dc1.corp.example.'"
check "DNS: Samba serves the site's record" bash -c \
	"ip netns exec '$SDC_NS' host -t SRV _ldap._tcp.Default-First-Site-Name._sites.dc._msdcs.corp.example 127.0.0.1 |
	 grep -q 'dc1.corp.example.'"
check "DNS: dc1.corp.example is 127.0.0.1 in the DC's DNS" bash -c \
	"ip netns exec '$SDC_NS' host -t A dc1.corp.example 127.0.0.1 | grep -q 'has address 127.0.0.1'"
check "DNS: the DC's certificate names dc1.corp.example" bash -c \
	"openssl x509 -in '$SDC/dc.pem' -noout -ext subjectAltName | grep -q 'DNS:dc1.corp.example'"

# The reference: a full pull by URI, as the directory is now.
conf dns-ref "  ldap:
    uri: ldaps://127.0.0.1
    base: $CORP
$TLS
    bind: {method: simple, dn: $SDC_SVC@corp.example, password_file: $SDC_PW}"
expect_rc "DNS: the reference pull by uri" 0 rs -c "$CONF" sync
DNS_REF=$D/dns-expected
grep -v '^#' "$TABLE" > "$DNS_REF"

# --- the domain's DCs ----------------------------------------------------------
SIMPLE="    bind: {method: simple, dn: $SDC_SVC@corp.example, password_file: $SDC_PW}"
conf dns "  ldap:
    domain: corp.example
    base: $CORP
$TLS
$SIMPLE"
DNS_CONF=$CONF DNS_TABLE=$TABLE
dns_synced "DNS: domain, LDAPS" "$DNS_REF"
expect_rc "DNS: check" 0 rs_dns -c "$CONF" check
contains "DNS: check names the lookup" \
	"dns: _ldap._tcp.dc._msdcs.corp.example SRV: 1 record"
contains "DNS: check prints the record" \
	"srv: _ldap._tcp.dc._msdcs.corp.example priority 0 weight 100 port 389 target dc1.corp.example"
contains "DNS: LDAPS on 636 to the SRV target" "source: ldaps://dc1.corp.example:636"

# GSSAPI: the ticket is for ldap/<SRV target>.  A Windows DC registers
# ldap/HOST itself; this Samba lists only HOST/dc1.corp.example (and the
# suite's ldap/IP), so add it as Windows has it.
samba_tool spn add ldap/dc1.corp.example 'DC1$' >/dev/null ||
	bad "add the SPN ldap/dc1.corp.example"
conf dns-gss "  ldap:
    domain: corp.example
    base: $CORP
$TLS
$GSS"
dns_synced "DNS: domain, GSSAPI over LDAPS" "$DNS_REF"
expect_rc "DNS: GSSAPI check" 0 rs_dns -c "$CONF" check
contains "DNS: GSSAPI bound to the SRV target" \
	"bind: SASL GSSAPI as $SDC_SVC@$SDC_REALM"

# --- a dead DC with a better priority ------------------------------------------
# dc1 moves to priority 10; deaddc.corp.example (127.0.0.4: nothing
# listens there) takes priority 0, so it is tried first.
dns_rec update _msdcs.corp.example _ldap._tcp.dc SRV \
	'dc1.corp.example 389 0 100' 'dc1.corp.example 389 10 100' ||
	bad "DNS: move dc1 to priority 10"
dns_rec add _msdcs.corp.example _ldap._tcp.dc SRV 'deaddc.corp.example 389 0 100' ||
	bad "DNS: add the dead DC's record"
dns_rec add corp.example deaddc A 127.0.0.4 || bad "DNS: add the dead DC's A record"
CONF=$DNS_CONF TABLE=$DNS_TABLE
expect_rc "DNS, dead DC first: check" 0 rs_dns -c "$CONF" check
contains "DNS, dead DC first: two records" \
	"dns: _ldap._tcp.dc._msdcs.corp.example SRV: 2 records"
check "DNS, dead DC first: check lists the records by priority" bash -c \
	"grep '^srv: ' <<<\"\$0\" | cmp -s - <(printf '%s\n' \
	 'srv: _ldap._tcp.dc._msdcs.corp.example priority 0 weight 100 port 389 target deaddc.corp.example' \
	 'srv: _ldap._tcp.dc._msdcs.corp.example priority 10 weight 100 port 389 target dc1.corp.example')" "$OUT"
contains "DNS, dead DC first: check chose the live DC" "source: ldaps://dc1.corp.example:636"
contains "DNS, dead DC first: check warns naming the dead DC" \
	"warning: used ldaps://dc1.corp.example:636 after: cannot connect to ldaps://deaddc.corp.example:636"
rm -f "$TABLE" "$TABLE.db"
dns_synced "DNS, dead DC first" "$DNS_REF"
contains "DNS, dead DC first: sync warns naming the dead DC" \
	"cannot connect to ldaps://deaddc.corp.example:636"
expect_rc "DNS, dead DC first: check --json" 0 rs_dns --json -c "$CONF" check
check "DNS, dead DC first: --json has the records and the DC chosen" python3 -c '
import json, sys
o = json.loads(sys.argv[1].splitlines()[-1])
d = o["dns"]
assert d["lookups"] == [{"name": "_ldap._tcp.dc._msdcs.corp.example", "outcome": "2 records"}], d
assert [(r["name"], r["priority"], r["weight"], r["port"], r["target"]) for r in d["records"]] == [
    ("_ldap._tcp.dc._msdcs.corp.example", 0, 100, 389, "deaddc.corp.example"),
    ("_ldap._tcp.dc._msdcs.corp.example", 10, 100, 389, "dc1.corp.example")], d
assert o["server"] == "ldaps://dc1.corp.example:636", o["server"]
' "$(grep '^{' <<<"$OUT")"

# A DC that accepts TCP and never answers, between the two: cut off by the
# timeout, named, and the live DC used.
samba_dc_hang 127.0.0.5 636 || bad "DNS: start the hanging DC"
DNS_HANG_PID=$HANG_PID
dns_rec add _msdcs.corp.example _ldap._tcp.dc SRV 'hangdc.corp.example 389 5 100' ||
	bad "DNS: add the hanging DC's record"
dns_rec add corp.example hangdc A 127.0.0.5 || bad "DNS: add the hanging DC's A record"
conf dns-hang "  ldap:
    domain: corp.example
    base: $CORP
    timeout: 2
$TLS
$SIMPLE"
dns_synced "DNS, dead and hanging DCs first" "$DNS_REF"
contains "DNS, hanging DC: named as not answering" \
	"no answer from ldaps://hangdc.corp.example:636 within 2 s"
contains "DNS, hanging DC: the dead one named too" "ldaps://deaddc.corp.example:636"
stop_pid "$DNS_HANG_PID"
dns_rec delete _msdcs.corp.example _ldap._tcp.dc SRV 'hangdc.corp.example 389 5 100' ||
	bad "DNS: delete the hanging DC's record"

# --- StartTLS on the port DNS gives ------------------------------------------
conf dns-starttls "  ldap:
    domain: corp.example
    starttls: true
    base: $CORP
$TLS
$SIMPLE"
dns_synced "DNS, StartTLS" "$DNS_REF"
contains "DNS, StartTLS: the dead DC named, on the SRV port" \
	"cannot connect to ldap://deaddc.corp.example:389"
expect_rc "DNS, StartTLS: check" 0 rs_dns -c "$CONF" check
contains "DNS, StartTLS: ldap:// on the SRV port, upgraded" "source: ldap://dc1.corp.example:389"
contains "DNS, StartTLS: the bind was inside TLS" "(inside TLS)"

# --- a site's DCs first ------------------------------------------------------
conf dns-site "  ldap:
    domain: corp.example
    site: Default-First-Site-Name
    base: $CORP
$TLS
$SIMPLE"
dns_synced "DNS, site" "$DNS_REF"
check "DNS, site: the dead DC (not in the site) was not tried, no warning" \
	bash -c '! grep -q "deaddc\|warning: site" <<<"$0"' "$OUT"
expect_rc "DNS, site: check" 0 rs_dns -c "$CONF" check
contains_block "DNS, site: the site's record looked up first" \
	"dns: _ldap._tcp.Default-First-Site-Name._sites.dc._msdcs.corp.example SRV: 1 record
dns: _ldap._tcp.dc._msdcs.corp.example SRV: 2 records"
contains_block "DNS, site: the site's DC first, the domain's after it, once" \
	"srv: _ldap._tcp.Default-First-Site-Name._sites.dc._msdcs.corp.example priority 0 weight 100 port 389 target dc1.corp.example
srv: _ldap._tcp.dc._msdcs.corp.example priority 0 weight 100 port 389 target deaddc.corp.example
dc chosen: RFC 2782 order (priority, then weight at random): no DC to keep (no incremental cache)
source: ldaps://dc1.corp.example:636"
conf dns-nosite "  ldap:
    domain: corp.example
    site: Nowhere
    base: $CORP
$TLS
$SIMPLE"
dns_synced "DNS, a site without DCs: the domain's" "$DNS_REF"
contains "DNS, a site without DCs: warned" \
	"warning: site Nowhere has no DC in DNS (_ldap._tcp.Nowhere._sites.dc._msdcs.corp.example SRV: no such name): used the domain's"
expect_rc "DNS, a site without DCs: check" 0 rs_dns -c "$CONF" check
contains "DNS, a site without DCs: said so" \
	"dns: _ldap._tcp.Nowhere._sites.dc._msdcs.corp.example SRV: no such name"
contains "DNS, a site without DCs: the live DC chosen" "source: ldaps://dc1.corp.example:636"

# --- the Global Catalog ---------------------------------------------------------
# (proxyAddresses is in the partial attribute set since the GC test above)
conf dns-gc-ref "  ldap:
    uri: ldaps://127.0.0.1:3269
    base: ''
$TLS
$SIMPLE"
expect_rc "DNS, GC: the reference pull by uri" 0 rs -c "$CONF" sync
grep -v '^#' "$TABLE" > "$D/dns-expected-gc"
conf dns-gc "  ldap:
    domain: corp.example
    global_catalog: true
    base: ''
$TLS
$SIMPLE"
dns_synced "DNS, GC: _gc._tcp.corp.example" "$D/dns-expected-gc"
expect_rc "DNS, GC: check" 0 rs_dns -c "$CONF" check
contains "DNS, GC: the forest's GC record" \
	"srv: _gc._tcp.corp.example priority 0 weight 100 port 3268 target dc1.corp.example"
contains "DNS, GC: LDAPS on 3269" "source: ldaps://dc1.corp.example:3269"

# --- incremental: the cache is keyed to the DC used ----------------------------
conf dns-incr "  ldap:
    domain: corp.example
    base: $CORP
    incremental: usnchanged
$TLS
$SIMPLE"
expect_rc "DNS, incremental: first run" 0 rs_dns -v -c "$CONF" sync
contains "DNS, incremental: a full pull from the DC found" \
	"full pull from ldaps://dc1.corp.example:636 (no cache yet)"
check "DNS, incremental: the cache names the DC used" \
	grep -qx 'dc dc1.corp.example' "$TABLE.rcptsync-cache"
expect_rc "DNS, incremental: second run" 0 rs_dns -v -c "$CONF" sync
# (the second run finds nothing moved and trusts its table: the DC it
# asks is named the same way, "nothing changed at URI: USN N, ...")
contains "DNS, incremental: continues from the same DC" \
	"ldaps://dc1.corp.example:636: USN"
check "DNS, incremental: table is exactly a full pull's" table_is "$TABLE" "$DNS_REF"
# issue 24 item 9: DCs of equal priority and weight (as AD registers
# them).  dc1 joins the dead DC at priority 0: RFC 2782 alone draws the
# dead DC first every other run; the DC the cache was taken from (dc1)
# goes first, so every run continues the cache, and check says why.
expect_rc "DNS, incremental, dc1 of a worse priority: check" 0 rs_dns -c "$CONF" check
contains "DNS, incremental, dc1 of a worse priority: RFC 2782 order, said why" \
	"dc chosen: RFC 2782 order: dc1.corp.example, the DC the incremental cache was taken from, is not among the best-priority records"
dns_rec update _msdcs.corp.example _ldap._tcp.dc SRV \
	'dc1.corp.example 389 10 100' 'dc1.corp.example 389 0 100' ||
	bad "DNS: move dc1 to priority 0 beside the dead DC"
for i in 1 2 3 4 5; do
	expect_rc "DNS, equal priority, run $i: sync" 0 rs_dns -v -c "$CONF" sync
	contains "DNS, equal priority, run $i: continues from the cache's DC" \
		"ldaps://dc1.corp.example:636: USN"
	check "DNS, equal priority, run $i: the dead DC not tried" \
		bash -c '! grep -q "cannot connect to ldaps://deaddc" <<<"$0"' "$OUT"
done
expect_rc "DNS, equal priority: check" 0 rs_dns --json -c "$CONF" check
check "DNS, equal priority: check --json says the DC was kept, and why" python3 -c '
import json, sys
d = json.loads(sys.argv[1].splitlines()[-1])["dns"]
assert d["dc_kept"] == 1, d
assert d["dc_chosen"].startswith("kept dc1.corp.example: the DC the incremental cache was taken from, among the 2 records of the best priority (0)"), d
' "$(grep '^{' <<<"$OUT")"
dns_rec update _msdcs.corp.example _ldap._tcp.dc SRV \
	'dc1.corp.example 389 0 100' 'dc1.corp.example 389 10 100' ||
	bad "DNS: move dc1 back to priority 10"
# as if the last pull had come from another DC DNS named then
sed -i 's/^dc .*/dc dc2.corp.example/' "$TABLE.rcptsync-cache"
expect_rc "DNS, incremental: another DC than last time" 0 rs_dns -v -c "$CONF" sync
contains "DNS, incremental: another DC means a full pull" \
	"the last pull was from dc2.corp.example, this one is from dc1.corp.example"
check "DNS, incremental: after it, exactly a full pull's table" table_is "$TABLE" "$DNS_REF"
# A DC DNS ranks above the cache's that takes TCP and never answers costs
# a run its timeout once: the probe finds the USN moved, and the pull goes
# to the DC that answered (ldapsync/unanswered.c), as with a uri: list
samba_dc_hang 127.0.0.5 636 || bad "DNS: start the hanging DC for the probe"
DNS_HANG_PID=$HANG_PID
dns_rec add _msdcs.corp.example _ldap._tcp.dc SRV 'hangdc.corp.example 389 5 100' ||
	bad "DNS: add the hanging DC's record again"
conf dns-incr-hang "  ldap:
    domain: corp.example
    base: $CORP
    timeout: 2
    incremental: usnchanged
$TLS
$SIMPLE"
expect_rc "DNS, incremental, hanging DC ranked first: first run" 0 rs_dns -c "$CONF" sync
hang_asked_once "DNS, hanging DC ranked first" ldaps://hangdc.corp.example:636 2 rs_dns
check "DNS, hanging DC ranked first: exactly a full pull's table" table_is "$TABLE" "$DNS_REF"
stop_pid "$DNS_HANG_PID"
dns_rec delete _msdcs.corp.example _ldap._tcp.dc SRV 'hangdc.corp.example 389 5 100' ||
	bad "DNS: delete the hanging DC's record again"

# --- a name from DNS that is not a host name ------------------------------------
# never becomes part of a URI; it is named, escaped, in a warning
if dns_rec add _msdcs.corp.example _ldap._tcp.dc SRV 'bad_dc.corp.example 389 0 100'; then
	CONF=$DNS_CONF TABLE=$DNS_TABLE
	expect_rc "DNS, a target that is not a host name: check" 0 rs_dns -c "$CONF" check
	contains "DNS, a target that is not a host name: not used, warned" \
		"warning: DNS records not used: _ldap._tcp.dc._msdcs.corp.example: target bad_dc.corp.example is not a host name"
	check "DNS, a target that is not a host name: not tried" \
		bash -c '! grep -q "ldaps://bad_dc" <<<"$0"' "$OUT"
	contains "DNS, a target that is not a host name: the live DC chosen" \
		"source: ldaps://dc1.corp.example:636"
	dns_rec delete _msdcs.corp.example _ldap._tcp.dc SRV 'bad_dc.corp.example 389 0 100' ||
		bad "DNS: delete the record with a bad target"
else
	bad "DNS: add a record whose target is not a host name"
fi

# --- DNS with nothing to say ------------------------------------------------------
CONF=$DNS_CONF TABLE=$DNS_TABLE
sed -i 's/^    domain: corp.example$/    domain: nowhere.corp.example/' "$CONF"
before=$(md5sum < "$TABLE"; md5sum < "$TABLE.db")
expect_rc "DNS, no records: exit 69" 69 rs_dns -c "$CONF" sync
contains "DNS, no records: names the record looked up" \
	"no domain controller for nowhere.corp.example found in DNS: _ldap._tcp.dc._msdcs.nowhere.corp.example SRV: no such name"
check "DNS, no records: table and map untouched" \
	test "$(md5sum < "$TABLE"; md5sum < "$TABLE.db")" = "$before"
expect_rc "DNS, no records: check exits 69 too" 69 rs_dns -c "$CONF" check
sed -i 's/^    domain: nowhere.corp.example$/    domain: nowhere.corp.example\n    site: Default-First-Site-Name/' "$CONF"
expect_rc "DNS, no records with a site: exit 69" 69 rs_dns -c "$CONF" sync
contains "DNS, no records with a site: names both records" \
	"_ldap._tcp.Default-First-Site-Name._sites.dc._msdcs.nowhere.corp.example SRV: no such name; _ldap._tcp.dc._msdcs.nowhere.corp.example SRV: no such name"
sed -i '/^    site: /d; s/^    domain: nowhere.corp.example$/    domain: corp.example/' "$CONF"
expect_rc "DNS, no answer from DNS: exit 69" 69 rs_dns -r "$DNS_NORESOLVER" -c "$CONF" sync
contains "DNS, no answer from DNS: said so" \
	"_ldap._tcp.dc._msdcs.corp.example SRV: no answer (server failure or timeout)"
check "DNS, no answer from DNS: table and map untouched" \
	test "$(md5sum < "$TABLE"; md5sum < "$TABLE.db")" = "$before"
expect_rc "DNS: the same config syncs again with DNS back" 0 rs_dns -c "$CONF" sync

check "DNS: the machine's /etc/resolv.conf was not touched" \
	test "$(md5sum < /etc/resolv.conf)" = "$host_resolv_before"
# back as provisioned, for what follows
dns_rec delete _msdcs.corp.example _ldap._tcp.dc SRV 'deaddc.corp.example 389 0 100' ||
	bad "DNS: delete the dead DC's record"
dns_rec update _msdcs.corp.example _ldap._tcp.dc SRV \
	'dc1.corp.example 389 10 100' 'dc1.corp.example 389 0 100' ||
	bad "DNS: move dc1 back to priority 0"
CONF=${DNS_SAVED[0]} TABLE=${DNS_SAVED[1]}
