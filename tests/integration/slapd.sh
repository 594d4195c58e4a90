#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration suite against a real slapd on 127.0.0.1: AD-like schema and
# size limit (1000, so an unpaged search is truncated), 3,500 mail-enabled
# objects, LDAPS and StartTLS with a test CA, a continuation reference.
# Checks the produced table and Berkeley DB map exactly (and with Postfix's
# own postmap), no-change runs, removals, safety limits, the lock, bind
# and TLS failures, and a server that stops answering or dies mid-paging.
# Usage: slapd.sh PATH/TO/rcptsync
RCPTSYNC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require slapd slapadd ldapsearch ldapdelete postmap openssl certtool python3 flock

SLAPD=$(command -v slapd)
N_OBJECTS=${N_OBJECTS:-3500}
BASE="DC=corp,DC=example"
PORT=$(free_port); SPORT=$(free_port)
D=$WORK
mkdir -p "$D/db" "$D/out"

# --- the directory --------------------------------------------------------
make_ca "$D" good || { echo "cannot make test CA"; exit 1; }
make_ca "$D" other || exit 1
make_expired_cert "$D" expired good || { echo "cannot make expired cert"; exit 1; }
make_cert_for "$D" wrongname good "DNS:wrong.example" || exit 1
python3 "$HERE/../fixtures/gen_ad.py" "$N_OBJECTS" "$D/fixture.ldif" "$D/expected" || exit 1
ad_service_account "$BASE" s3cret-Pa55 >> "$D/fixture.ldif"
cat >> "$D/fixture.ldif" <<LDIF
dn: DC=DomainDnsZones,$BASE
objectClass: referral
objectClass: extensibleObject
dc: DomainDnsZones
ref: ldap://127.0.0.1:9/DC=DomainDnsZones,$BASE

LDIF
# SASL EXTERNAL: a client certificate, when one is offered, is checked
# against the CA and its subject becomes the bind identity
slapd_conf "$D" "$BASE" good "TLSVerifyClient allow
authz-regexp \"^cn=rcptsync client\$\" \"CN=svc-rcptsync,OU=Service,$BASE\""
slapadd -q -f "$D/slapd.conf" -l "$D/fixture.ldif" || { echo "slapadd failed"; exit 1; }

# In the foreground (-d stats) so that its operations log to slapd.log:
# the mid-paging tests wait for evidence of paging there.
start_slapd() {
	"$SLAPD" -f "$D/slapd.conf" -h "ldap://127.0.0.1:$PORT/ ldaps://127.0.0.1:$SPORT/" \
		-d stats 2>>"$D/slapd.log" &
	SLAPD_PID=$!; CLEANUP_PIDS+=("$SLAPD_PID")
	wait_port "$SPORT"
}
start_slapd || { echo "slapd did not start"; exit 1; }

printf 's3cret-Pa55\n' > "$D/bind.secret"; chmod 600 "$D/bind.secret"

# conf NAME [extra ldap lines] [extra top-level lines] : write a config
conf() {
	cat > "$D/$1.yaml" <<YAML
source:
  ldap:
    uri: ${URI:-[ldaps://127.0.0.1:$SPORT]}
    base: ${CONF_BASE:-$BASE}
    page_size: ${PAGE:-500}
    timeout: ${TIMEOUT:-10}
    tls:
      ca_file: ${CA:-$D/good-ca.pem}
      verify: ${VERIFY:-true}
    bind:
      method: simple
      dn: CN=svc-rcptsync,OU=Service,$BASE
      password_file: ${SECRET:-$D/bind.secret}
${2:-}
domains: [corp.example, .corp-old.example]
exclude: ["healthmailbox*@corp.example"]
output:
  table: ${TABLE:-$D/out/relay_recipients}
  type: ${TYPE:-hash}
lock: $D/rcptsync.lock
${3:-}
YAML
	echo "$D/$1.yaml"
}
table_lines() { grep -v '^#' "$1"; }
postmap_set() { postmap -s "$1:$2" | sort; }

# --- the server behaves like AD --------------------------------------------
ldapsearch -LLL -x -H "ldap://127.0.0.1:$PORT" -D "CN=svc-rcptsync,OU=Service,$BASE" \
	-w s3cret-Pa55 -b "$BASE" '(proxyAddresses=smtp:*)' dn >/dev/null 2>&1
check "unpaged search is truncated by the AD-like size limit (rc 4)" test $? -eq 4

# --- first sync over LDAPS ---------------------------------------------------
C=$(conf main)
expect_rc "check over LDAPS" 0 "$RCPTSYNC" -c "$C" check
contains "check counts the continuation reference" "references skipped 1"
check "check reports more than one page" grep -Eq '\(pages ([2-9]|[1-9][0-9]+),' <<<"$OUT"
expect_rc "diff before the first sync reports changes" 1 "$RCPTSYNC" -c "$C" diff
contains "diff names the DN of an added address" "+anna.person"
T=$D/out/relay_recipients
check "diff wrote nothing" test ! -e "$T"
expect_rc "first sync" 0 "$RCPTSYNC" -c "$C" sync
contains "sync logs a summary" "map written"
check "table equals the expected set exactly" diff -u "$D/expected" <(table_lines "$T")
check "postmap -s lists exactly the expected set" diff -u "$D/expected" <(postmap_set hash "$T")
first_key=$(head -1 "$D/expected" | cut -f1); last_key=$(tail -1 "$D/expected" | cut -f1)
check "postmap -q finds the first key" test "$(postmap -q "$first_key" "hash:$T")" = OK
check "postmap -q finds the last key" test "$(postmap -q "$last_key" "hash:$T")" = OK
check "postmap -q folds case like smtpd" test "$(postmap -q "$(echo "$last_key" | tr a-z A-Z)" "hash:$T")" = OK
postmap -q "bad97@corp.example" "hash:$T" >/dev/null
check "injected value is not a key" test $? -eq 1
postmap -q "x@corp.example" "hash:$T" >/dev/null
check "injected second line is not a key" test $? -eq 1
check "refused values are reported with the DN" grep -qi 'CN=Object 97,.*refusing proxyAddresses value "smtp:bad97@corp.example\\nx@corp.example OK"' <<<"$OUT"
check "no temporary files left" test -z "$(ls "$D/out" | grep rcptsync-tmp)"

# --- a second run writes nothing ---------------------------------------------
before_t=$(inode_mtime "$T"); before_d=$(inode_mtime "$T.db")
sleep 1.1
expect_rc "second sync" 0 "$RCPTSYNC" -c "$C" sync
contains "second sync says no change" "no change"
check "text table keeps inode and mtime" same_state "$before_t" "$T"
check "db keeps inode and mtime" same_state "$before_d" "$T.db"
expect_rc "diff with no change" 0 "$RCPTSYNC" -c "$C" diff

# --- StartTLS and btree give the same set ------------------------------------
C2=$(URI="[ldap://127.0.0.1:$PORT]" TYPE=btree TABLE=$D/out/starttls conf starttls "    starttls: true")
expect_rc "sync over StartTLS to a btree map" 0 "$RCPTSYNC" -c "$C2" sync
check "StartTLS table equals expected" diff -u "$D/expected" <(table_lines "$D/out/starttls")
check "btree map equals expected" diff -u "$D/expected" <(postmap_set btree "$D/out/starttls")
C3=$(URI="[ldap://127.0.0.1:$PORT]" TABLE=$D/out/plain conf plain)
expect_rc "simple bind over plain ldap:// is refused" 78 "$RCPTSYNC" -c "$C3" check

# --- failover: first URI dead, second works ----------------------------------
DEAD=$(free_port)
C4=$(URI="[ldaps://127.0.0.1:$DEAD, ldaps://127.0.0.1:$SPORT]" conf failover)
expect_rc "failover to the second URI" 0 "$RCPTSYNC" -c "$C4" -v check
contains "check names the server used" "source: ldaps://127.0.0.1:$SPORT"

# --- a removed object disappears --------------------------------------------
gone_dn="CN=Object 2,OU=IT,$BASE"
ldapdelete -x -H "ldap://127.0.0.1:$PORT" -D "CN=admin,$BASE" -w admin-pw "$gone_dn"
check "fixture object deleted" test $? -eq 0
grep -v -e '^anna\.person2@' -e '^[a-z]*\.person2@' -e '^p2@' "$D/expected" > "$D/expected2"
expect_rc "diff shows the removal" 1 "$RCPTSYNC" -c "$C" diff
contains "diff line for the removal names the table" "-p2@corp-old.example	table"
expect_rc "sync after the removal" 0 "$RCPTSYNC" -c "$C" sync
check "removed addresses are gone from the table" diff -u "$D/expected2" <(table_lines "$T")
postmap -q "p2@corp-old.example" "hash:$T" >/dev/null
check "removed address is gone from the map" test $? -eq 1

# --- safety limits: a wrong base would remove most of the table -------------
before_t=$(inode_mtime "$T"); before_d=$(inode_mtime "$T.db")
C5=$(CONF_BASE="OU=Staff,$BASE" conf narrow)
expect_rc "sync that would remove >10% is refused" 65 "$RCPTSYNC" -c "$C5" sync
contains "refusal names the limit" "safety.max_removed"
check "refused sync left the table alone" same_state "$before_t" "$T"
check "refused sync left the map alone" same_state "$before_d" "$T.db"
expect_rc "diff warns that sync would refuse" 1 "$RCPTSYNC" -c "$C5" diff
contains "diff names the refusal" "sync would refuse"
expect_rc "--force passes the limit once" 0 "$RCPTSYNC" -c "$C5" sync --force
check "forced sync wrote the smaller table" test "$(table_lines "$T" | wc -l)" -lt 2000
expect_rc "back to the full base (growth is never limited)" 0 "$RCPTSYNC" -c "$C" sync
check "table is complete again" diff -u "$D/expected2" <(table_lines "$T")
# --- an approval applies exactly what diff showed ------------------------------
# The admin reviews the narrow base's shrink in diff; before the approval a
# value is added in the directory: that is not the reviewed change (65,
# nothing written); once it is gone again, the approval applies.
"$RCPTSYNC" --json -c "$C5" diff > "$D/narrow.json" 2>/dev/null
DIG=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$D/narrow.json")
late_value() {	# late_value add|delete : smtp:late.joiner@ on Object 5 (OU=Staff)
	printf 'dn: CN=Object 5,OU=Staff,%s\nchangetype: modify\n%s: proxyAddresses\nproxyAddresses: smtp:late.joiner@corp.example\n' \
		"$BASE" "$1" | ldapmodify -x -H "ldap://127.0.0.1:$PORT" -D "CN=admin,$BASE" -w admin-pw >/dev/null
}
late_value add
check "approve: a value added after the diff" test $? -eq 0
before_t=$(inode_mtime "$T"); before_d=$(inode_mtime "$T.db")
expect_rc "approve: the directory changed since the diff: refused" 65 "$RCPTSYNC" -c "$C5" sync --approve "$DIG"
contains "approve: ... as not the approved change" "this run's change is not the one approved"
contains "approve: ... naming the new key first" "first: +late.joiner@corp.example"
check "approve: refused approval left the table alone" same_state "$before_t" "$T"
check "approve: refused approval left the map alone" same_state "$before_d" "$T.db"
late_value delete
expect_rc "approve: the reviewed change is applied" 0 "$RCPTSYNC" -c "$C5" sync --approve "$DIG"
check "approve: the smaller table was written" test "$(table_lines "$T" | wc -l)" -lt 2000
expect_rc "back to the full base once more" 0 "$RCPTSYNC" -c "$C" sync
check "table is complete again after the approval" diff -u "$D/expected2" <(table_lines "$T")

# --- lock contention ----------------------------------------------------------
# One process holds the lock: the subshell becomes sleep, keeping fd 9.
( exec 9>>"$D/rcptsync.lock"; flock -n 9 && exec sleep 30 ) & HOLDER=$!; CLEANUP_PIDS+=("$HOLDER")
sleep 0.3
start=$(date +%s)
expect_rc "second run while the lock is held" 75 "$RCPTSYNC" -c "$C" sync
check "it fails at once (the holder keeps the lock 30 s)" test $(( $(date +%s) - start )) -le 10
contains "message names the lock" "holds the lock"
stop_pid "$HOLDER"; wait "$HOLDER" 2>/dev/null

# --- bind and secrets ---------------------------------------------------------
printf 'wrong\n' > "$D/wrong.secret"; chmod 600 "$D/wrong.secret"
expect_rc "wrong password" 77 "$RCPTSYNC" -c "$(SECRET=$D/wrong.secret conf wrongpw)" check
contains "bind refusal names the server's answer" "Invalid credentials"
chmod 644 "$D/wrong.secret"
expect_rc "world-readable password file" 77 "$RCPTSYNC" -c "$(SECRET=$D/wrong.secret conf badperm)" check
contains "secret refusal names the mode" "mode 0644"
check "password never appears in output" bash -c "! grep -q s3cret <<<\"\$1\"" _ "$OUT"

# systemd credentials: password_file: credential:NAME reads
# $CREDENTIALS_DIRECTORY/NAME (what LoadCredential= provides).
mkdir -p "$D/creds"; chmod 700 "$D/creds"; cp "$D/bind.secret" "$D/creds/ldap-bind"; chmod 400 "$D/creds/ldap-bind"
CC=$(SECRET=credential:ldap-bind conf cred)
expect_rc "credential: bind with CREDENTIALS_DIRECTORY" 0 env CREDENTIALS_DIRECTORY="$D/creds" "$RCPTSYNC" -c "$CC" check
expect_rc "credential: without CREDENTIALS_DIRECTORY" 77 env -u CREDENTIALS_DIRECTORY "$RCPTSYNC" -c "$CC" check
contains "credential: says what is missing" "CREDENTIALS_DIRECTORY is not set (run under systemd with LoadCredential=ldap-bind:FILE)"
expect_rc "credential: missing file" 77 env CREDENTIALS_DIRECTORY="$D" "$RCPTSYNC" -c "$CC" check
contains "credential: names the file" "$D/ldap-bind"

# The password reaches neither -v output nor the hook's argv or environment.
printf '#!/bin/sh\n{ echo "$@"; env; } > %s/hook-env.out\n' "$D" > "$D/hook.sh"; chmod 755 "$D/hook.sh"
C7=$(TABLE=$D/out/secretcheck conf secretcheck "" "hooks:
  after_change: [$D/hook.sh, reload]")
expect_rc "verbose sync with a hook" 0 "$RCPTSYNC" -v -c "$C7" sync
check "the hook ran" test -s "$D/hook-env.out"
check "password not in -v output" bash -c '! grep -q "s3cret-Pa55" <<<"$1"' _ "$OUT"
check "password not in the hook's argv or environment" bash -c '! grep -q "s3cret-Pa55" "$1"' _ "$D/hook-env.out"

# --- TLS verification ---------------------------------------------------------
expect_rc "certificate from another CA" 69 "$RCPTSYNC" -c "$(CA=$D/other-ca.pem conf wrongca)" check
contains "TLS failure is named" "TLS handshake failed"

# A slapd per bad certificate, on a small copy of the directory.
bad_cert_slapd() {	# bad_cert_slapd NAME : starts it, sets BAD_PORT
	local n=$1
	mkdir -p "$D/db-$n"
	sed -e "s|$D/db\$|$D/db-$n|" -e "s|pidfile $D/slapd.pid|pidfile $D/slapd-$n.pid|" \
	    -e "s|TLSCertificateFile $D/good.pem|TLSCertificateFile $D/$n.pem|" \
	    -e "s|TLSCertificateKeyFile $D/good.key|TLSCertificateKeyFile $D/$n.key|" \
	    "$D/slapd.conf" > "$D/slapd-$n.conf"
	# the base entry, the service OU and account, and one mail object
	awk -v RS= -v ORS='\n\n' 'NR <= 2 || /OU=Service,/' "$D/fixture.ldif" > "$D/small-$n.ldif"
	slapadd -q -f "$D/slapd-$n.conf" -l "$D/small-$n.ldif" || return 1
	BAD_PORT=$(free_port)
	"$SLAPD" -f "$D/slapd-$n.conf" -h "ldaps://127.0.0.1:$BAD_PORT/" || return 1
	wait_port "$BAD_PORT" || return 1
	CLEANUP_PIDS+=("$(cat "$D/slapd-$n.pid")")
}
before_t=$(inode_mtime "$T"); before_d=$(inode_mtime "$T.db")
bad_cert_slapd expired || bad "start slapd with an expired certificate"
expect_rc "expired server certificate" 69 "$RCPTSYNC" -c "$(URI="[ldaps://127.0.0.1:$BAD_PORT]" conf expired)" check
contains "the expired certificate is refused by TLS" "TLS handshake failed"
expect_rc "same server with verify: false works (so the certificate was the cause)" 0 \
	"$RCPTSYNC" -c "$(VERIFY=false URI="[ldaps://127.0.0.1:$BAD_PORT]" conf expired-noverify)" check
contains "verify: false warns" "certificate is not checked"
bad_cert_slapd wrongname || bad "start slapd with a wrong-name certificate"
expect_rc "certificate for another host name" 69 "$RCPTSYNC" -c "$(URI="[ldaps://127.0.0.1:$BAD_PORT]" conf wrongname)" check
contains "the name mismatch is refused by TLS" "TLS handshake failed"
expect_rc "same server with verify: false works (so the name was the cause)" 0 \
	"$RCPTSYNC" -c "$(VERIFY=false URI="[ldaps://127.0.0.1:$BAD_PORT]" conf wrongname-noverify)" check
check "old table intact after the certificate failures" same_state "$before_t" "$T"
check "old map intact after the certificate failures" same_state "$before_d" "$T.db"

# --- ten syncs at once: one writes, nine find the lock held ------------------
ldapdelete -x -H "ldap://127.0.0.1:$PORT" -D "CN=admin,$BASE" -w admin-pw "CN=Object 4,OU=Contacts,$BASE"
check "a change for the concurrent runs" test $? -eq 0
reader_key=$(sed -n '100p' "$D/expected2" | cut -f1)
( fails=0; while [ ! -e "$D/stop-reader" ]; do
	postmap -q "$reader_key" "hash:$T" >/dev/null || fails=$((fails + 1))
  done; echo "$fails" > "$D/reader-fails" ) & READER=$!; CLEANUP_PIDS+=("$READER")
pids=()
for i in $(seq 10); do
	"$RCPTSYNC" -c "$C" sync > "$D/conc-$i.out" 2>&1 & pids+=($!)
done
codes=()
for p in "${pids[@]}"; do wait "$p"; codes+=($?); done
touch "$D/stop-reader"; wait "$READER"
n0=0; n75=0
for c in "${codes[@]}"; do [ "$c" -eq 0 ] && n0=$((n0 + 1)); [ "$c" -eq 75 ] && n75=$((n75 + 1)); done
check "concurrent syncs: exactly one succeeded (codes: ${codes[*]})" test "$n0" -eq 1
check "concurrent syncs: the other nine exit 75" test "$n75" -eq 9
check "concurrent syncs: exactly one wrote the map" test "$(cat "$D"/conc-*.out | grep -c 'map written')" -eq 1
check "reader never failed to look up a present key" test "$(cat "$D/reader-fails")" -eq 0
# Object 4's addresses: its primary *.person4@ and p4@sub.corp-old.example
grep -v -e '^[a-z]*\.person4@' -e '^p4@' "$D/expected2" > "$D/expected3"
check "Object 4's addresses were in the table before" test "$(wc -l < "$D/expected3")" -lt "$(wc -l < "$D/expected2")"
check "map is exactly the new set after the concurrent runs" diff -u "$D/expected3" <(postmap -s "hash:$T" | sort)
check "text is exactly the new set after the concurrent runs" diff -u "$D/expected3" <(grep -v '^#' "$T")

# --- SASL EXTERNAL: a TLS client certificate -----------------------------------
openssl req -newkey rsa:2048 -nodes -subj "/CN=rcptsync client" \
	-keyout "$D/client.key" -out "$D/client.csr" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' > "$D/client.ext"
openssl x509 -req -in "$D/client.csr" -CA "$D/good-ca.pem" -CAkey "$D/good-ca.key" \
	-CAcreateserial -days 2 -extfile "$D/client.ext" -out "$D/client.pem" 2>/dev/null
chmod 600 "$D/client.key"
mkdir -p "$D/ext"
ext_conf() {	# ext_conf NAME KEYFILE [URI] [starttls]
	cat > "$D/$1.yaml" <<YAML
source:
  ldap:
    uri: ${3:-ldaps://127.0.0.1:$SPORT}
    starttls: ${4:-false}
    base: $BASE
    tls: {ca_file: $D/good-ca.pem, cert_file: $D/client.pem, key_file: $2}
    bind: {method: external}
domains: [corp.example, .corp-old.example]
exclude: ["healthmailbox*@corp.example"]
output:
  table: $D/ext/relay_recipients
lock: $D/ext/lock
YAML
	echo "$D/$1.yaml"
}
expect_rc "EXTERNAL bind with a client certificate over LDAPS" 0 "$RCPTSYNC" -c "$(ext_conf ext "$D/client.key")" sync
check "EXTERNAL: table is exactly the directory's set" diff -u "$D/expected3" <(table_lines "$D/ext/relay_recipients")
expect_rc "EXTERNAL with StartTLS: check" 0 "$RCPTSYNC" -c "$(ext_conf ext-st "$D/client.key" "ldap://127.0.0.1:$PORT" true)" check
contains "EXTERNAL: check shows the certificate's identity" "bind: SASL EXTERNAL as cn=rcptsync client, security layer 0 (inside TLS)"
cp "$D/client.key" "$D/client-open.key"; chmod 640 "$D/client-open.key"
expect_rc "EXTERNAL: a key file readable by the group is refused" 77 "$RCPTSYNC" -c "$(ext_conf ext-open "$D/client-open.key")" check
contains "EXTERNAL: the key file's mode is named" "tls.key_file: secret file $D/client-open.key has mode 0640"

# --- the server stops answering, then dies -----------------------------------
before_t=$(inode_mtime "$T"); before_d=$(inode_mtime "$T.db")
kill -STOP "$SLAPD_PID"
expect_rc "server paused: timeout" 75 "$RCPTSYNC" -c "$(TIMEOUT=2 conf paused)" sync
kill -CONT "$SLAPD_PID"
stop_pid "$SLAPD_PID"
expect_rc "server down: unreachable" 69 "$RCPTSYNC" -c "$C" sync
check "old table intact after server faults" same_state "$before_t" "$T"
check "old map intact after server faults" same_state "$before_d" "$T.db"
check "old map still answers" test "$(postmap -q "$first_key" "hash:$T")" = OK

# --- mid-paging faults: small pages, then stop or kill the server ------------
start_slapd || { bad "slapd restart"; finish; }
C6=$(PAGE=1 TIMEOUT=2 conf smallpages)
# wait_pages N : until slapd has logged N more paged searches than now
# (evidence, not a guess, that the run is in the middle of paging)
wait_pages() {
	local base want i
	base=$(grep -ic 'SRCH base="dc=corp,dc=example"' "$D/slapd.log" 2>/dev/null)
	want=$((base + $1))
	for i in $(seq 600); do
		[ "$(grep -ic 'SRCH base="dc=corp,dc=example"' "$D/slapd.log")" -ge "$want" ] && return 0
		sleep 0.05
	done
	return 1
}
"$RCPTSYNC" -c "$C6" sync > "$D/mid.out" 2>&1 & RUN=$!
check "the run reached page 5" wait_pages 5
kill -STOP "$SLAPD_PID"; wait "$RUN"; RC=$?; OUT=$(cat "$D/mid.out")
check "paused mid-paging: exit 75 (got $RC)" test "$RC" -eq 75
contains "the timeout names the page it was on" "page "
kill -CONT "$SLAPD_PID"
"$RCPTSYNC" -c "$C6" sync > "$D/mid.out" 2>&1 & RUN=$!
check "the run reached page 5 again" wait_pages 5
kill -KILL "$SLAPD_PID"; wait "$RUN"; RC=$?; OUT=$(cat "$D/mid.out")
check "killed mid-paging: exit 75 (got $RC)" test "$RC" -eq 75
contains "the failure names the lost connection" "connection to"
check "old table intact after mid-paging faults" same_state "$before_t" "$T"
check "old map intact after mid-paging faults" same_state "$before_d" "$T.db"

finish
