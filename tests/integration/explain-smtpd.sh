#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# "rcptsync explain" proved against a real smtpd: seeded random RCPT TO
# arguments (listed and unlisted addresses, case, +extensions, quoted
# local parts, trailing dots, source routes, percent and bang paths, odd
# characters, IP literals, long and empty ones, subdomains, relay and
# unknown domains: explain_smtpd.py) are sent to a private Postfix whose
# relay_domains and relay_recipient_maps are the tables rcptsync wrote, as
# the README configures them, and given to "explain --json -" pointed at
# the same main.cf: every code must agree.  Two Postfix setups: hash with
# recipient_delimiter = + and Postfix's defaults otherwise (parent domain
# matching for relay_domains, defer_unauth_destination: 454); lmdb with no
# delimiter, no parent matching, reject_unauth_destination (554),
# allow_untrusted_routing and allow_min_user.  The client, 127.0.0.1, is
# kept outside mynetworks, as the Internet is.
# Environment: EXPLAIN_SEED (default: random, printed), EXPLAIN_COUNT
# (addresses per setup, default 2000; a soak: EXPLAIN_COUNT=100000).
# Usage: explain-smtpd.sh PATH/TO/rcptsync
RCPTSYNC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require postfix postmap postconf python3
require_root "a private Postfix instance"
PY="python3 $HERE/explain_smtpd.py"
D=$WORK
chmod 755 "$D"	# Postfix daemons run as postfix
SEED=${EXPLAIN_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
COUNT=${EXPLAIN_COUNT:-2000}
echo "# seed $SEED, $COUNT addresses per setup (EXPLAIN_SEED=$SEED to repeat)"

# The directory: plain and odd addresses, some Postfix can never accept.
mk_ldif "$D/a.ldif" 1 150 "SMTP:User%d@corp.example"
cat >> "$D/a.ldif" <<'LDIF'
dn: CN=odd,DC=corp,DC=example
proxyAddresses: smtp:"John.Q"@corp.example
proxyAddresses: smtp:a%b@corp.example
proxyAddresses: smtp:bang!path@corp.example
proxyAddresses: smtp:-lead@corp.example
proxyAddresses: smtp:a..b@corp.example
proxyAddresses: smtp:.lead@corp.example
proxyAddresses: smtp:semi;colon@corp.example
proxyAddresses: smtp:br[ack]et@corp.example
proxyAddresses: smtp:pa(ren)@corp.example
proxyAddresses: smtp:o'brien@corp.example
proxyAddresses: smtp:tag+x@corp.example
proxyAddresses: smtp:owner-list@corp.example
proxyAddresses: smtp:postmaster@corp.example
proxyAddresses: smtp:x@sub.wild.example
proxyAddresses: smtp:user1@wild.example

LDIF
printf '@catch.example\tOK\n' > "$D/extra"

# setup NAME TYPE RELAY_CODE MAIN_CF_SETTINGS : sync rcptsync's tables,
# start Postfix on them, and compare COUNT addresses
setup() {
	local name=$1 type=$2 relay_code=$3 settings=$4 O=$D/$1
	mkdir -p "$O"
	cat > "$D/$name.yaml" <<YAML
source: {ldif: $D/a.ldif}
domains: [corp.example, .wild.example, catch.example]
extra: $D/extra
output: {table: $O/relay_recipients, relay_domains: $O/relay_domains, type: $type}
lock: $D/$name.lock
state: $D/$name.state
YAML
	expect_rc "$name: sync" 0 "$RCPTSYNC" -q -c "$D/$name.yaml" sync
	PF_NAME=$name PF_RELAY_DOMAINS=$type:$O/relay_domains start_postfix "$type" \
		"mynetworks = 192.0.2.0/24
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000000
smtpd_hard_error_limit = 1000000
smtpd_recipient_limit = 1000000" || { bad "$name: start Postfix"; return; }
	# start_postfix's relay_recipient_maps: rcptsync's table
	postconf -c "$P/conf" -e "relay_recipient_maps = $type:$O/relay_recipients"
	local IFS=$'\n'
	# shellcheck disable=SC2086
	[ -z "$settings" ] || postconf -c "$P/conf" -e $settings
	unset IFS
	postfix -c "$P/conf" reload >/dev/null 2>&1; sleep 1
	"$RCPTSYNC" -q -c "$D/$name.yaml" dump > "$O/keys"
	$PY gen "$SEED" "$COUNT" "$O/keys" > "$O/args"
	local t0=$SECONDS
	if $PY probe "$PORT" < "$O/args" > "$O/codes"; then
		ok "$name: smtpd answered $(wc -l < "$O/codes") RCPT TO ($((SECONDS - t0)) s)"
	else
		bad "$name: smtpd probe failed"; return
	fi
	t0=$SECONDS
	"$RCPTSYNC" -q -c "$D/$name.yaml" --json explain --postfix-config "$P/conf" - \
		< "$O/args" > "$O/explain.json"
	RC=$?
	check "$name: explain gave every verdict (exit $RC, $((SECONDS - t0)) s)" \
		test "$RC" -le 1
	if $PY compare "$O/args" "$O/codes" "$O/explain.json" > "$O/cmp"; then
		ok "$name: explain agrees with smtpd: $(tail -1 "$O/cmp")"
	else
		bad "$name: explain disagrees with smtpd (seed $SEED): $(tail -1 "$O/cmp")"
		head -40 "$O/cmp" | sed 's/^/    /'
	fi
	# the sample reaches every verdict
	local c want
	for want in 250 501 550 $relay_code; do
		c=$(grep -cx "$want" "$O/codes")
		check "$name: smtpd gave $want $c times" test "$c" -gt 0
	done
}

# sync, diff and check name the directory addresses smtpd never accepts
conf_warn() {	# conf_warn COMMAND : its warnings for the odd object
	cat > "$D/warn.yaml" <<YAML
source: {ldif: $D/a.ldif}
domains: [corp.example, .wild.example, catch.example]
output: {table: $D/w/relay_recipients}
lock: $D/w.lock
state: $D/w.state
YAML
	mkdir -p "$D/w"
	"$RCPTSYNC" -c "$D/warn.yaml" "$1" 2>&1 >/dev/null | grep "never receive mail"
}
for cmd in diff check sync; do
	W=$(conf_warn $cmd)
	check "$cmd warns: a%b by its DN" grep -q "CN=odd,DC=corp,DC=example: a%b@corp.example can never receive mail through Postfix: its local part holds '%'" <<< "$W"
	check "$cmd warns: bang!path" grep -q "bang!path@corp.example can never receive mail" <<< "$W"
	check "$cmd warns: -lead (allow_min_user)" grep -q "\-lead@corp.example can never receive mail through Postfix: it starts with '-'" <<< "$W"
	check "$cmd: no other warning of the kind" test "$(wc -l <<< "$W")" -eq 3
done

setup hash hash 454 ""
setup lmdb lmdb 554 "recipient_delimiter =
parent_domain_matches_subdomains =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
allow_untrusted_routing = yes
allow_min_user = yes"

finish
