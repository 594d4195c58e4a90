# SPDX-License-Identifier: MIT
# domains: exchange and output.relay_domains against the suite's Samba DC
# (bash; sourced by samba.sh with the DC running and the fixture loaded;
# not run).  The DC gets the part of Exchange's schema accepted domains
# need (samba-exchange.sh), an organisation readable by Authenticated
# Users, and authoritative, internal relay, external relay, outbound-only
# and "*." domains.  A real Postfix smtpd that uses both maps (hash, then
# lmdb) answers 250 / 550 / 554 as a gateway in front of Exchange must;
# adding and removing a domain in the directory is followed at the next
# sync (a removal only past safety.max_removed with --force); a service
# account that cannot read the list fails closed with the maps untouched.
. "$HERE/samba-exchange.sh"

chmod 755 "$WORK"	# Postfix's daemons run as postfix

# --- the directory: Exchange's schema, organisation and domains ------------
t0=$SECONDS
exch_schema_extend && exch_org_create "Corp Org" || { bad "Exchange schema and organisation"; finish; }
exch_domain_add corp corp.example 4 &&		# authoritative, default
	exch_domain_add relay relay.example 2 &&	# internal relay
	exch_domain_add ext ext.example 1 &&	# external relay
	exch_domain_add out out.example 256 &&	# outbound only (authoritative)
	exch_domain_add sub '*.sub.example' 0 &&	# authoritative, subdomains
	exch_domain_add wild '*.wild.example' 2 ||	# internal relay, subdomains
	{ bad "accepted domains"; finish; }
cat > "$D/exch.ldif" <<EOF_LDIF
dn: CN=exch-relay,$CORP
objectClass: contact
proxyAddresses: SMTP:ruser@relay.example

dn: CN=exch-out,$CORP
objectClass: contact
proxyAddresses: SMTP:ouser@out.example

dn: CN=exch-sub,$CORP
objectClass: contact
proxyAddresses: SMTP:suser@x.sub.example
proxyAddresses: smtp:suser@sub.example

dn: CN=exch-other,$CORP
objectClass: contact
proxyAddresses: SMTP:someone@other.example
EOF_LDIF
samba_dc_load "$D/exch.ldif" || { bad "load the Exchange test objects"; finish; }
echo "# Exchange schema, organisation, 6 domains and 4 objects in $((SECONDS - t0)) s"

# The expected tables: the corp.example addresses of a full pull with
# domains: [corp.example] (the suite's stateless reference, after what the
# sections before changed; the fixture's own list when run alone), the new
# objects' addresses in accepted domains, "@domain" for each relay domain
# (partner.example is no accepted domain); relay_domains with ".x" for "*.x".
if [ -n "${FULL_CONF:-}" ]; then
	expect_rc "exchange: the reference full pull" 0 rs -c "$FULL_CONF" sync --force
	grep -v '^#' "$FULL_TABLE" > "$D/expected-corp"
else
	cp "$D/expected" "$D/expected-corp"
fi
{ cat "$D/expected-corp"; printf '%s\tOK\n' @relay.example @ext.example @wild.example \
	ruser@relay.example suser@x.sub.example suser@sub.example; } |
	LC_ALL=C sort > "$D/expected-exch"
printf '%s\tOK\n' .sub.example .wild.example corp.example ext.example \
	relay.example sub.example wild.example > "$D/expected-domains"

# exch_conf NAME TYPE [SOURCE-EXTRA [TOP-EXTRA]] : domains: exchange, both
# outputs in the private Postfix directory $WORK/pf-NAME (start_postfix's),
# as CONF
exch_conf() {
	local pf=$WORK/pf-$1
	mkdir -p "$pf"
	cat > "$pf/sync.yaml" <<EOF_CONF
source:
  ldap:
    uri: ldaps://127.0.0.1
    base: $CORP
$TLS
    bind: {method: simple, dn: $SDC_SVC@corp.example, password_file: $SDC_PW}
${3:-}
domains: exchange
output:
  table: $pf/relay_recipients
  relay_domains: $pf/relay_domains
  type: $2
lock: $pf/lock
${4:-}
EOF_CONF
	CONF=$pf/sync.yaml TABLE=$pf/relay_recipients DOMAINS=$pf/relay_domains
}
answer() { python3 "$HERE/smtp_probe.py" "$PORT" "$1" | awk '{print $2}'; }
# answers NAME ADDRESS=CODE... : smtpd's RCPT answer for each, new sessions
answers() {
	local name=$1 pair got; shift
	for pair in "$@"; do
		got=$(answer "${pair%=*}")
		check "$name: RCPT TO:<${pair%=*}> gets ${pair#*=}" test "$got" = "${pair#*=}"
	done
}
# maps_sum : both tables and their maps (not the state file)
# settled NAME ADDRESS=CODE... : as answers, allowing Postfix the 10 s its
# trivial-rewrite takes to notice a changed relay_domains by itself (it
# checks its tables on a 10 s timer; smtpd at each new connection)
settled() {
	local name=$1 pair got i; shift
	for pair in "$@"; do
		for i in $(seq 30); do
			got=$(answer "${pair%=*}")
			[ "$got" = "${pair#*=}" ] && break
			sleep 0.5
		done
		check "$name: RCPT TO:<${pair%=*}> gets ${pair#*=}" test "$got" = "${pair#*=}"
	done
}
maps_sum() { cat "$TABLE" "$TABLE".*db "$DOMAINS" "$DOMAINS".*db | md5sum; }

for TYPE in hash lmdb; do
	exch_conf "exch-$TYPE" "$TYPE"
	expect_rc "exchange $TYPE: sync" 0 rs -c "$CONF" sync
	check "exchange $TYPE: recipient table is exactly the expected one" \
		table_is "$TABLE" "$D/expected-exch"
	check "exchange $TYPE: relay_domains is exactly the accepted inbound domains" \
		table_is "$DOMAINS" "$D/expected-domains"
	# Postfix starts with both maps in place (never the 451 trap)
	PF_NAME=exch-$TYPE PF_RELAY_DOMAINS=$TYPE:$DOMAINS start_postfix "$TYPE" ||
		{ bad "$TYPE: start Postfix"; continue; }
	answers "exchange $TYPE" \
		first.last00000@corp.example=250 nobody@corp.example=550 \
		ruser@relay.example=250 anyone@relay.example=250 \
		anyone@ext.example=250 anyone@wild.example=250 \
		someone@other.example=554 ouser@out.example=554 anyone@out.example=554 \
		suser@x.sub.example=250 suser@sub.example=250 nobody@x.sub.example=550 \
		nobody@y.sub.example=550
	[ "$TYPE" = lmdb ] || postfix -c "$P/conf" stop >/dev/null 2>&1
done
# $CONF, $TABLE, $DOMAINS, $P, $PORT: lmdb's from here on.  Postfix's
# trivial-rewrite, which decides what relay_domains accepts, notices a
# changed table only after 10 s without a request (doc/exchange.md): the
# gateway's after_change hook reloads Postfix, as doc/exchange.md's example
# does.
exch_conf exch-lmdb lmdb "" "hooks:
  after_change: [/usr/sbin/postfix, -c, $P/conf, reload]"

expect_rc "exchange: second sync changes nothing" 0 rs -c "$CONF" sync
contains "exchange: second sync: no change" "no change to lmdb:"
expect_rc "exchange: check" 0 rs -c "$CONF" check
contains "check lists the domains from Exchange" "accepted domains (exchange): 6"
contains "check names an internal relay domain and what it gives" \
	"relay.example: internal relay; every recipient (@domain)"
contains "check names an outbound-only domain" "out.example: outbound only"
contains "check warns about a '*.' relay domain's subdomains" \
	"accepted domain *.wild.example is a relay domain"
expect_rc "explain: relay domain accepted" 0 rs -c "$CONF" explain anyone@relay.example
contains "explain names the relay domain and its type" \
	"accepted domain relay.example, internal relay (CN=relay,CN=Accepted Domains"
contains "explain: accepted through @domain" "ACCEPTED (in the map as @relay.example)"
expect_rc "explain: outbound-only domain rejected" 1 rs -c "$CONF" explain ouser@out.example
contains "explain names the outbound-only domain" "accepted domain out.example, outbound only"
contains "explain: its value dropped" "dropped: accepted domain out.example (outbound only)"
expect_rc "explain: a '*.' domain decides a subdomain" 0 rs -c "$CONF" explain suser@x.sub.example
contains "explain names the '*.' domain" "accepted domain *.sub.example, authoritative"
expect_rc "explain: other domain" 1 rs -c "$CONF" explain someone@other.example
contains "explain: not an accepted domain" "domain other.example: not an accepted domain"
expect_rc "check --json" 0 rs --json -c "$CONF" check
contains "check --json lists the domains" '"accepted_domains":[{"domain":"corp.example","subdomains":false,"type":"authoritative","default":true,"inbound":true'

# --- a domain added in Exchange: followed at the next sync ------------------
exch_domain_add new new.example 2 || bad "add new.example"
expect_rc "domain added: diff shows it" 1 rs -c "$CONF" diff
contains "diff: +domain line" "+domain new.example	CN=new,CN=Accepted Domains"
contains "diff: the @domain key" "+@new.example	CN=new,CN=Accepted Domains"
expect_rc "domain added: diff --json" 1 rs --json -c "$CONF" diff
contains "diff --json: domains_add" '"domains_add":[{"domain":"new.example"'
check "domain added: 554 before the sync" test "$(answer anyone@new.example)" = 554
expect_rc "domain added: sync" 0 rs -c "$CONF" sync
contains "domain added: relay_domains written" "relay_domains written: $DOMAINS"
settled "domain added" anyone@new.example=250 nobody@corp.example=550

# --- a domain removed: counts toward max_removed, then --force --------------
exch_domain_del ext || bad "delete ext.example"
before=$(maps_sum)
expect_rc "domain removed: refused by max_removed" 65 rs -c "$CONF" sync
contains "domain removed: the domains table named" \
	"output.relay_domains: refusing to remove 1 of 8 relay_domains entries"
check "domain removed: both maps untouched" test "$(maps_sum)" = "$before"
answers "domain removed, refused" anyone@ext.example=250
expect_rc "domain removed: diff shows it" 1 rs -c "$CONF" diff
contains "diff: -domain line" "-domain ext.example	relay_domains"
expect_rc "domain removed: sync --force" 0 rs -c "$CONF" sync --force
settled "domain removed" anyone@ext.example=554 anyone@relay.example=250
check "domain removed: @ext.example gone from the recipients" lacks "@ext.example" "$TABLE"

# --- a service account that cannot read the list: fails closed --------------
exch_deny_read "$SDC_SVC" || bad "deny the service account"
before=$(maps_sum)
expect_rc "list unreadable: refused" 65 rs -c "$CONF" sync
contains "list unreadable: says so" "shows no usable accepted domain under CN=Configuration,DC=corp,DC=example"
check "list unreadable: both maps untouched" test "$(maps_sum)" = "$before"
answers "list unreadable" first.last00000@corp.example=250 anyone@relay.example=250
exch_allow_read "$SDC_SVC" || bad "allow the service account again"

# --- a list of directories: each reads its accepted domains, used together ---
ELSE="OU=Elsewhere,$SDC_DOMAIN_DN"
mkdir -p "$WORK/pf-exch-two"
cat > "$WORK/pf-exch-two/sync.yaml" <<EOF_CONF
source:
  ldap:
    - uri: ldaps://127.0.0.1
      base: $CORP
      tls: {ca_file: $SDC_CA}
      bind: {method: simple, dn: $SDC_SVC@corp.example, password_file: $SDC_PW}
    - uri: ldaps://127.0.0.1
      base: $ELSE
      tls: {ca_file: $SDC_CA}
      bind: {method: simple, dn: $SDC_SVC@corp.example, password_file: $SDC_PW}
domains: exchange
output: {table: $WORK/pf-exch-two/rr, relay_domains: $WORK/pf-exch-two/rd}
lock: $WORK/pf-exch-two/lock
EOF_CONF
exch_conf exch-else hash
sed -i "s|base: $CORP|base: $ELSE|" "$CONF"
expect_rc "two directories: the second alone" 0 rs -c "$CONF" sync
expect_rc "two directories: both" 0 rs -v -c "$WORK/pf-exch-two/sync.yaml" sync
grep -hv '^#' "$WORK/pf-exch-lmdb/relay_recipients" "$TABLE" | LC_ALL=C sort -u > "$D/expected-two"
check "two directories: the table is the union of each one's" \
	table_is "$WORK/pf-exch-two/rr" "$D/expected-two"
check "two directories: relay_domains as with one" \
	cmp -s "$WORK/pf-exch-two/rd" "$WORK/pf-exch-lmdb/relay_domains"

# --- incremental pulls read the domains over their own session too ----------
{ cat "$D/expected-exch"; printf '@new.example\tOK\n'; } | LC_ALL=C sort > "$D/expected-exch-new"
exch_conf exch-incr hash "    incremental: usnchanged"
expect_rc "exchange, incremental: first (full) pull" 0 rs -c "$CONF" sync
exch_domain_add ext ext.example 1 || bad "add ext.example again"
expect_rc "exchange, incremental: domain back" 0 rs -v -c "$CONF" sync
contains "exchange, incremental: it was an incremental pull" "incremental pull from ldaps://127.0.0.1"
check "exchange, incremental: table as a full pull's" table_is "$TABLE" "$D/expected-exch-new"
# trusted while nothing moved, both tables kept; a relay domain added in
# Exchange's configuration (which moves the DC's USN): built again, in
# both.  The accepted domains are checked on their own too: with the USN
# held where the cache left it (a -Dfault_injection build's switch), the
# new domain alone makes the run build again.
cp "$TABLE" "$D/ei-table"; cp "$DOMAINS" "$D/ei-domains"
expect_rc "exchange, incremental: nothing changed" 0 rs -v -c "$CONF" sync
contains "exchange, incremental: nothing changed, trusted" "$TRUSTED"
check "exchange, incremental, trusted: recipients as they were" cmp -s "$TABLE" "$D/ei-table"
check "exchange, incremental, trusted: relay_domains as it was" cmp -s "$DOMAINS" "$D/ei-domains"
exch_domain_add relay2 relay2.example 2 || bad "add relay2.example"
if "$RCPTSYNC" --version | grep -q 'fault injection: on'; then
	expect_rc "exchange, incremental, the USN held: a relay domain added" 0 \
		in_ns env RCPTSYNC_FAULT_USN_STILL=1 "$RCPTSYNC" -v -c "$CONF" sync
	contains "exchange, incremental, the USN held: built again for the domains" \
		"the table is built again: the accepted domains changed"
elif [ "${CI:-}" = true ]; then
	bad "exchange, incremental: CI needs a -Dfault_injection=true build"
else
	expect_rc "exchange, incremental: a relay domain added" 0 rs -v -c "$CONF" sync
fi
omits "exchange, incremental, domain added: not trusted" "$TRUSTED"
check "exchange, incremental, domain added: @relay2.example a recipient" grep -q '^@relay2.example' "$TABLE"
check "exchange, incremental, domain added: relay2.example relayed" grep -q '^relay2.example' "$DOMAINS"
exch_domain_del relay2 || bad "delete relay2.example"
postfix -c "$WORK/pf-exch-lmdb/conf" stop >/dev/null 2>&1
