#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration suite against a scripted LDAP server that misbehaves as no
# real one can be made to (ldap_misbehave.py): a paging cookie that never
# changes, the same entry on every page, pages without end, a range
# retrieval that never advances or never ends, DirSync that always has
# more.  Each run must end by itself with exit 75, name the server and the
# search, and write nothing: no table where there was none, and a table
# from an earlier good run byte-identical.  Also: the DirSync search asks
# for proxyAddresses whatever the filter (a new alias changes nothing else).
# A range chunk cut short before the last one is refused at once (75).
# An entry sent again in one search (and, with RCPTSYNC_FAULT_SEEN_COLLIDE
# in a -Dfault_injection build, DNs sharing the repeat guard's fingerprint)
# is one object: its last copy kept, its values counted and warned once,
# no duplicate; a false hit neither drops an entry nor makes a loop.
# Exchange's accepted domains: an object that cannot be read fails the run
# (65) and removes nothing; an account that may not read the Configuration
# naming context gets 77 and a message that says so, not a refused bind.
# And a DNS server (dns_misbehave.py, as root in a private network
# namespace) whose TCP never answers: the DC discovery must end in time.
# The misbehaving runs go in parallel, each under "timeout", so that the
# suite ends within RUN_TIMEOUT (60 s) and a bit even when every run hangs.
# Usage: misbehave.sh PATH/TO/rcptsync
RCPTSYNC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require python3 ldapsearch timeout cmp

SERVER=$HERE/ldap_misbehave.py
RUN_TIMEOUT=${RUN_TIMEOUT:-60}
BASE="DC=corp,DC=example"
D=$WORK

# start_responder MODE NAME : the scripted server on a free port, logging
# to $D/NAME.log; sets RPORT, RPID, RLOG
start_responder() {
	local i
	RPORT=$(free_port); RLOG=$D/$2.log
	python3 "$SERVER" "$RPORT" "$1" "$RLOG" > "$D/$2.out" 2> "$D/$2.err" &
	RPID=$!; CLEANUP_PIDS+=("$RPID")
	for i in $(seq 100); do
		grep -qx "listening $RPORT" "$D/$2.out" 2>/dev/null && return 0
		kill -0 "$RPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "responder $1 did not start:"; cat "$D/$2.err"
	return 1
}

# conf FILE PORT DIR [LDAP_LINES] [TOP_LINES] : a config reading the
# responder on PORT anonymously, writing DIR/relay_recipients
conf() {
	cat > "$1" <<YAML
source:
  ldap:
    uri: ldap://127.0.0.1:$2
    base: $BASE
    bind: {method: none}
    timeout: 5
${4:-}
domains: [corp.example]
output:
  table: $3/relay_recipients
lock: $3/lock
${5:-}
YAML
}

# dirsync_asked LOG : nothing when there was at least one DirSync search
# and each asked for proxyAddresses (any letter case, any options); else why
dirsync_asked() {
	python3 - "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("op") != "search" or not any(
            c["oid"] == "1.2.840.113556.1.4.841" for c in r["controls"]):
        continue
    n += 1
    if not any(a.split(";")[0].lower() == "proxyaddresses" for a in r["attrs"]):
        print("    DirSync search without proxyAddresses: attrs %s, filter %s"
              % (r["attrs"], r["filter"]))
if n == 0:
    print("    no DirSync search in the log")
PY
}

# json_lines LOG : every line of LOG is one JSON object
json_lines() {
	python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$1"
}

# collect PID OUTFILE : wait for a launched run; its output in $OUT, exit in $RC
collect() {
	wait "$1"; RC=$?
	OUT=$(cat "$2")
}

# got_rc NAME WANT : like expect_rc, for a run already collected
got_rc() {
	if [ "$RC" -eq "$2" ]; then ok "$1 (exit $RC)"
	else bad "$1: exit $RC, want $2"; printf '%s\n' "${OUT:-(no output)}" | sed 's/^/    /' | tail -25; fi
}

# --- the responder itself, in mode normal ------------------------------------
start_responder normal normal || { echo "cannot start the responder"; exit 1; }
NPORT=$RPORT; NLOG=$RLOG; NPID=$RPID
OUT=$(ldapsearch -LLL -x -H "ldap://127.0.0.1:$NPORT" -b "" -s base 2>&1)
contains "responder: the rootDSE names the DC" "dnsHostName: dc1.corp.example"
OUT=$(ldapsearch -LLL -x -H "ldap://127.0.0.1:$NPORT" -b "$BASE" -E pr=1/noprompt \
	'(objectClass=*)' proxyAddresses objectGUID 2>&1)
contains "responder: a paged search finds User2" "proxyAddresses: SMTP:user2@corp.example"
check "responder: its log is one JSON object a line" json_lines "$NLOG"

# --- a well-behaved server ----------------------------------------------------
mkdir -p "$D/normal"
conf "$D/normal/c.yaml" "$NPORT" "$D/normal"
expect_rc "normal: sync" 0 timeout "$RUN_TIMEOUT" "$RCPTSYNC" -c "$D/normal/c.yaml" sync
check "normal: the table holds user1 and user2" diff -u \
	<(printf 'user1@corp.example\tOK\nuser2@corp.example\tOK\n') \
	<(grep -v '^#' "$D/normal/relay_recipients")

# DirSync must ask for proxyAddresses: with the default filter, and with a
# filter that does not test it (an alias added to a user changes nothing else)
for f in default custom; do
	start_responder normal "ds-$f" || exit 1
	mkdir -p "$D/ds-$f"
	lines="    incremental: dirsync"
	[ "$f" = custom ] && lines="$lines
    filter: \"(objectClass=user)\""
	conf "$D/ds-$f/c.yaml" "$RPORT" "$D/ds-$f" "$lines"
	expect_rc "normal, dirsync, $f filter: first sync" 0 \
		timeout "$RUN_TIMEOUT" "$RCPTSYNC" -c "$D/ds-$f/c.yaml" sync
	expect_rc "normal, dirsync, $f filter: incremental sync" 0 \
		timeout "$RUN_TIMEOUT" "$RCPTSYNC" -c "$D/ds-$f/c.yaml" sync
	why=$(dirsync_asked "$RLOG")
	check "normal, dirsync, $f filter: every DirSync search asks for proxyAddresses" \
		test -z "$why"
	[ -z "$why" ] || printf '%s\n' "$why"
	stop_pid "$RPID"
done

# --- the misbehaving servers --------------------------------------------------
# MODE  what the message must name  extra source.ldap lines  extra top lines
MODES=(endless-cookie repeat-entry endless-pages stuck-range endless-range dirsync-more
	range-gap range-late range-short)
declare -A NEEDLE=([endless-cookie]=page [repeat-entry]=page [endless-pages]=page
	[stuck-range]="range retrieval" [endless-range]="range retrieval"
	[dirsync-more]=DirSync [range-gap]="the range does not advance"
	[range-late]="the range does not advance"
	[range-short]="a chunk shorter than the first")
declare -A LDAP_LINES=([dirsync-more]="    incremental: dirsync")
# pages without end: only an overall deadline stops them
declare -A TOP_LINES=([endless-pages]="deadline: 5s")

# A table from a good run first, for each mode (the same source.ldap keys).
# Push the normal server's highestCommittedUSN past what a fresh server
# shows, so that the dirsync-more run's position never equals the cached one
# (that would be "nothing changed" and no search).
for i in $(seq 10); do
	ldapsearch -x -H "ldap://127.0.0.1:$NPORT" -b "" -s base highestCommittedUSN >/dev/null 2>&1
done
# Each mode works in $D/mN: the mode's name must not be in the paths that
# a message may quote ("page" is in "endless-pages").
declare -A DIR
n=0
for m in "${MODES[@]}"; do
	n=$((n + 1)); d=$D/m$n; DIR[$m]=$d
	mkdir -p "$d/pre" "$d/fresh" "$d/saved"
	conf "$d/good.yaml" "$NPORT" "$d/pre" "${LDAP_LINES[$m]:-}"
	expect_rc "$m: a good sync first" 0 timeout "$RUN_TIMEOUT" "$RCPTSYNC" -c "$d/good.yaml" sync
	cp -p "$d/pre/relay_recipients" "$d/pre/relay_recipients.db" "$d/saved/" 2>/dev/null
done
stop_pid "$NPID"

# Every misbehaving run at once: a run that hangs costs RUN_TIMEOUT once.
declare -A RPORTS RPIDS
for m in "${MODES[@]}"; do
	start_responder "$m" "$m" || exit 1
	RPORTS[$m]=$RPORT; RPIDS[$m]=$RPID
	for run in fresh pre; do
		conf "${DIR[$m]}/$run.yaml" "$RPORT" "${DIR[$m]}/$run" "${LDAP_LINES[$m]:-}" "${TOP_LINES[$m]:-}"
	done
done
start=$(date +%s)
declare -A PIDS
for m in "${MODES[@]}"; do
	for run in fresh pre; do
		timeout "$RUN_TIMEOUT" "$RCPTSYNC" -c "${DIR[$m]}/$run.yaml" sync > "${DIR[$m]}/$run.run" 2>&1 &
		PIDS[$m/$run]=$!; CLEANUP_PIDS+=("$!")
	done
done

for m in "${MODES[@]}"; do
	uri="ldap://127.0.0.1:${RPORTS[$m]}"; d=${DIR[$m]}
	collect "${PIDS[$m/fresh]}" "$d/fresh.run"
	got_rc "$m: the run is refused as temporary" 75
	check "$m: the run ended by itself, not by timeout $RUN_TIMEOUT (exit 124)" test "$RC" -ne 124
	contains "$m: the message names the server" "$uri"
	contains "$m: the message names the search" "${NEEDLE[$m]}"
	check "$m: no table was written" test ! -e "$d/fresh/relay_recipients" -a \
		! -e "$d/fresh/relay_recipients.db"
	collect "${PIDS[$m/pre]}" "$d/pre.run"
	got_rc "$m: with a table in place, the run is refused as temporary" 75
	check "$m: the table in place is byte-identical" \
		cmp "$d/saved/relay_recipients" "$d/pre/relay_recipients"
	check "$m: the map in place is byte-identical" \
		cmp "$d/saved/relay_recipients.db" "$d/pre/relay_recipients.db"
	stop_pid "${RPIDS[$m]}"
done
echo "# the misbehaving runs took $(( $(date +%s) - start )) s (timeout $RUN_TIMEOUT s each)"
# a chunk cut short is refused at the first one, not after 100,000 values
check "range-short: refused at its first short chunk (at most 2 range requests per run)" \
	test "$(grep -c '"base": "CN=Big,' "$D/range-short.log")" -le 4

# An entry sent again on a later page is what a live index walk on AD can
# do when the object changes during the search: kept once, not an error.
start_responder repeat-once repeat-once || exit 1
mkdir -p "$D/once"
conf "$D/once/c.yaml" "$RPORT" "$D/once"
expect_rc "repeat-once: an entry sent again is kept once" 0 \
	timeout "$RUN_TIMEOUT" "$RCPTSYNC" -c "$D/once/c.yaml" sync
check "repeat-once: the table holds user1 and user2" diff -u \
	<(printf 'user1@corp.example\tOK\nuser2@corp.example\tOK\n') \
	<(grep -v '^#' "$D/once/relay_recipients")
# the repeat is neither a second entry nor a duplicate address
rm -f "$D/once/relay_recipients" "$D/once/relay_recipients.db"
expect_rc "repeat-once: again, with -v" 0 \
	timeout "$RUN_TIMEOUT" "$RCPTSYNC" -v -c "$D/once/c.yaml" sync
check "repeat-once: 2 entries, 0 duplicates" eval \
	'grep -q ": 2 entries, " <<<"$OUT" && grep -q ", 0 duplicates" <<<"$OUT"'
stop_pid "$RPID"

# repeat_run MODE NAME : a -v sync against the responder in MODE, in
# $D/NAME; its output in $OUT (extra environment before: env VAR=1 ...;
# extra source.ldap lines in REPEAT_LDAP)
repeat_run() {
	local mode=$1 name=$2
	shift 2
	start_responder "$mode" "$name" || return 1
	mkdir -p "$D/$name"
	conf "$D/$name/c.yaml" "$RPORT" "$D/$name" "${REPEAT_LDAP:-}"
	expect_rc "$name: sync" 0 "$@" timeout "$RUN_TIMEOUT" \
		"$RCPTSYNC" -v -c "$D/$name/c.yaml" sync
	stop_pid "$RPID"
}

# table_is NAME LINE... : $D/NAME's table holds exactly the addresses given
table_is() {
	local name=$1
	shift
	diff -u <(printf '%s\tOK\n' "$@") <(grep -v '^#' "$D/$name/relay_recipients")
}

# count_of TEXT : how many lines of $OUT hold TEXT
count_of() { grep -cF -- "$1" <<<"$OUT"; }

# A repeat after another object's copy of the same address: the address
# is on two objects once (Dup and User1), not twice.
repeat_run repeat-dup repeat-dup
check "repeat-dup: the table holds dup, user1 and user2" table_is repeat-dup \
	dup@corp.example user1@corp.example user2@corp.example
check "repeat-dup: 1 duplicate" eval 'grep -q ", 1 duplicates" <<<"$OUT"'
check "repeat-dup: user1@ warned on two objects once" \
	test "$(count_of "user1@corp.example is on two objects")" -eq 1
# a sync keeps its DNs small (cmd/dnstore.c): the warning still names
# both whole, in DN order
check "repeat-dup: the warning names both DNs whole" eval 'grep -qF \
	"user1@corp.example is on two objects: CN=Dup,DC=corp,DC=example and CN=User1,DC=corp,DC=example; written once" <<<"$OUT"'
check "repeat-dup: 3 entries" eval 'grep -q ": 3 entries, " <<<"$OUT"'

# In the ranged path the first copy (cut) is held until the page ends,
# so the whole repeat in the same page is delivered first: still no
# duplicate, and each address counted once.
repeat_run range-repeat range-repeat
check "range-repeat: the table holds big0 to big7" table_is range-repeat \
	big0@corp.example big1@corp.example big2@corp.example \
	big3@corp.example big4@corp.example big5@corp.example \
	big6@corp.example big7@corp.example
check "range-repeat: 0 duplicates" eval 'grep -q ", 0 duplicates" <<<"$OUT"'
check "range-repeat: 1 entry, 8 kept" eval \
	'grep -q ": 1 entries, " <<<"$OUT" && grep -q "kept 8," <<<"$OUT"'

# A repeat's values are counted and warned once.
repeat_run repeat-warn repeat-warn
check "repeat-warn: the refused value warned once" \
	test "$(count_of 'refusing proxyAddresses value "smtp:bad value@')" -eq 1
check "repeat-warn: the unreachable address warned once" \
	test "$(count_of "a%b@corp.example can never receive mail")" -eq 1
check "repeat-warn: kept 3, refused 1, 2 entries, 4 values" eval \
	'grep -q "kept 3, ignored 0 non-SMTP, refused 1," <<<"$OUT" &&
	grep -q ": 2 entries, 4 values," <<<"$OUT"'

# An object changed during the search and sent again: the last copy
# wins, as in the incremental path (spill.c) and Graph.
repeat_run repeat-changed repeat-changed
check "repeat-changed: the table holds the last copy of user1, and user2" \
	table_is repeat-changed user1b@corp.example user2@corp.example
check "repeat-changed: 0 duplicates, 2 entries" eval \
	'grep -q ", 0 duplicates" <<<"$OUT" && grep -q ": 2 entries, " <<<"$OUT"'
REPEAT_LDAP="    incremental: dirsync" repeat_run repeat-changed repeat-changed-ds
check "repeat-changed: the incremental path's first pull keeps the same" \
	cmp <(grep -v '^#' "$D/repeat-changed/relay_recipients") \
	<(grep -v '^#' "$D/repeat-changed-ds/relay_recipients")

# Two directories, the first with one key short of a run the set sorts
# (4096, mapwriter/addrset.c): the second's repeat is still told by its
# DN, since collect.c seals the set between directories and the second's
# keys stay after the first's (a run across the two once sorted user1@,
# the second's first key, among the first's, and it stayed)
start_responder many forest-many || exit 1
MANY_PID=$RPID; MANY_PORT=$RPORT
start_responder repeat-changed forest-repeat || exit 1
mkdir -p "$D/forest"
cat > "$D/forest/c.yaml" <<YAML
source:
  ldap:
    - uri: ldap://127.0.0.1:$MANY_PORT
      base: $BASE
      bind: {method: none}
      timeout: 5
    - uri: ldap://127.0.0.1:$RPORT
      base: $BASE
      bind: {method: none}
      timeout: 5
domains: [corp.example]
output:
  table: $D/forest/relay_recipients
lock: $D/forest/lock
YAML
expect_rc "forest-repeat: sync" 0 \
	timeout "$RUN_TIMEOUT" "$RCPTSYNC" -v -c "$D/forest/c.yaml" sync
check "forest-repeat: the last copy of user1 only, user2 and zz0000@ to zz4094@" \
	diff -u <({ printf 'user1b@corp.example\tOK\nuser2@corp.example\tOK\n'
		seq -f 'zz%04g@corp.example' 0 4094 | sed 's/$/\tOK/'; } |
		LC_ALL=C sort) <(grep -v '^#' "$D/forest/relay_recipients")
check "forest-repeat: 4097 entries, 0 duplicates" eval \
	'grep -q ": 4097 entries, " <<<"$OUT" && grep -q ", 0 duplicates" <<<"$OUT"'
stop_pid "$RPID"
stop_pid "$MANY_PID"

# A page larger than reply.c holds (HELD_MAX, 2000 entries): the held
# ones are taken, then the rest as they come.  What is checked is that
# every entry comes, once, in one page (the table sorts, so the order
# they were taken in does not show here)
REPEAT_LDAP="    page_size: 5000" repeat_run many bigpage
check "bigpage: zz0000@ to zz4094@, one page" eval \
	'diff -u <(seq -f "zz%04g@corp.example" 0 4094 | sed "s/\$/\tOK/") \
		<(grep -v "^#" "$D/bigpage/relay_recipients") &&
	grep -q ": 4095 entries, [0-9]* values, 1 pages" <<<"$OUT"'

# The collide tests need RCPTSYNC_FAULT_SEEN_COLLIDE: without
# -Dfault_injection the switch is ignored and they would pass for nothing.
if "$RCPTSYNC" --version | grep -q 'fault injection: on'; then
# The repeat guard keeps 8-byte fingerprints of the DNs (ldapsync/seen.c),
# which two DNs can share: a hit may only count toward the loop check,
# never drop an entry.  RCPTSYNC_FAULT_SEEN_COLLIDE gives every DN one
# fingerprint, so user2 collides with user1.
start_responder normal collide || exit 1
mkdir -p "$D/collide"
conf "$D/collide/c.yaml" "$RPORT" "$D/collide"
expect_rc "collide: a fingerprint shared by user1 and user2" 0 \
	env RCPTSYNC_FAULT_SEEN_COLLIDE=1 timeout "$RUN_TIMEOUT" \
	"$RCPTSYNC" -v -c "$D/collide/c.yaml" sync
check "collide: the table holds user1 and user2" diff -u \
	<(printf 'user1@corp.example\tOK\nuser2@corp.example\tOK\n') \
	<(grep -v '^#' "$D/collide/relay_recipients")
check "collide: 0 duplicates" eval 'grep -q ", 0 duplicates" <<<"$OUT"'
check "collide: 2 entries" eval 'grep -q ": 2 entries, " <<<"$OUT"'
stop_pid "$RPID"
# and a page of nothing but entries sent already is still a loop
start_responder repeat-entry collide-loop || exit 1
mkdir -p "$D/collide-loop"
conf "$D/collide-loop/c.yaml" "$RPORT" "$D/collide-loop"
expect_rc "collide: a server repeating its entry is still refused" 75 \
	env RCPTSYNC_FAULT_SEEN_COLLIDE=1 timeout "$RUN_TIMEOUT" \
	"$RCPTSYNC" -c "$D/collide-loop/c.yaml" sync
check "collide: as a page of entries sent already" eval \
	'grep -q "sent a page of entries it had sent already" <<<"$OUT"'
stop_pid "$RPID"
# a last page of one entry whose fingerprint hits is no loop
repeat_run last-single collide-last env RCPTSYNC_FAULT_SEEN_COLLIDE=1
check "collide-last: the table holds user1 to user3" table_is collide-last \
	user1@corp.example user2@corp.example user3@corp.example
check "collide-last: 3 entries, 0 duplicates" eval \
	'grep -q ": 3 entries, " <<<"$OUT" && grep -q ", 0 duplicates" <<<"$OUT"'
# a false hit on a repeat is still counted and warned once
repeat_run repeat-warn collide-warn env RCPTSYNC_FAULT_SEEN_COLLIDE=1
check "collide-warn: the refused value warned once" \
	test "$(count_of 'refusing proxyAddresses value "smtp:bad value@')" -eq 1
check "collide-warn: kept 3, refused 1, 2 entries" eval \
	'grep -q "kept 3, ignored 0 non-SMTP, refused 1," <<<"$OUT" &&
	grep -q ": 2 entries, " <<<"$OUT"'
elif [ "${CI:-}" = true ]; then
	bad "collide: CI needs a -Dfault_injection=true build"
else
	echo "# SKIP collide: build without -Dfault_injection"
fi

# --- Exchange's accepted domains (domains: exchange) ---------------------------
# xconf FILE PORT DIR : a config taking the domains from Exchange, with
# output.relay_domains
xconf() {
	cat > "$1" <<YAML
source:
  ldap:
    uri: ldap://127.0.0.1:$2
    base: $BASE
    bind: {method: none}
    timeout: 5
domains: exchange
output:
  table: $3/relay_recipients
  relay_domains: $3/relay_domains
lock: $3/lock
safety: {max_removed: 100%}
YAML
}
mkdir -p "$D/acc"
start_responder normal acc-normal || exit 1
xconf "$D/acc/c.yaml" "$RPORT" "$D/acc"
expect_rc "accepted: a good sync with domains: exchange" 0 \
	timeout "$RUN_TIMEOUT" "$RCPTSYNC" -c "$D/acc/c.yaml" sync
contains "accepted: a lone * is skipped with a warning" 'skipping accepted domain "*"'
check "accepted: relay_domains lists corp.example and other.example" diff -u \
	<(printf 'corp.example\tOK\nother.example\tOK\n') <(grep -v '^#' "$D/acc/relay_domains")
cp -p "$D/acc/relay_domains" "$D/acc/rd.saved"; cp -p "$D/acc/relay_recipients" "$D/acc/rr.saved"
stop_pid "$RPID"
# accepted domains sent twice in one search (CN=Other changed meanwhile):
# the last copy of each, and the lone * warned about once
mkdir -p "$D/acc-repeat"
start_responder accepted-repeat acc-repeat || exit 1
xconf "$D/acc-repeat/c.yaml" "$RPORT" "$D/acc-repeat"
expect_rc "accepted, sent twice: sync" 0 \
	timeout "$RUN_TIMEOUT" "$RCPTSYNC" -c "$D/acc-repeat/c.yaml" sync
check "accepted, sent twice: relay_domains holds each last copy" diff -u \
	<(printf 'corp.example\tOK\nother.example\tOK\n') \
	<(grep -v '^#' "$D/acc-repeat/relay_domains")
check "accepted, sent twice: the lone * warned about once" \
	test "$(grep -c 'skipping accepted domain "\*"' <<<"$OUT")" -eq 1
stop_pid "$RPID"
# an object that cannot be read fails the run: not a removal of other.example
start_responder accepted-bad acc-bad || exit 1
xconf "$D/acc/c.yaml" "$RPORT" "$D/acc"
expect_rc "accepted-bad: an object whose value is not a domain fails the run" 65 \
	timeout "$RUN_TIMEOUT" "$RCPTSYNC" -c "$D/acc/c.yaml" sync
contains "accepted-bad: the message names the object" "CN=Other,CN=Accepted Domains"
contains "accepted-bad: ... and its value, escaped" 'other.example\r\nX-Injected: 1'
check "accepted-bad: no raw CR or injected line in the output" \
	test -z "$(printf '%s' "$OUT" | grep -e $'\r' -e '^X-Injected')"
check "accepted-bad: relay_domains untouched (other.example not removed)" \
	cmp "$D/acc/rd.saved" "$D/acc/relay_domains"
check "accepted-bad: the recipient table untouched" cmp "$D/acc/rr.saved" "$D/acc/relay_recipients"
stop_pid "$RPID"
# an account that may not read the Configuration NC: a refusal of access,
# not of the bind; exit 77 (README: exit codes)
for m in accepted-denied accepted-hidden; do
	cp -p "$D/acc/rd.saved" "$D/acc/relay_domains"
	start_responder "$m" "$m" || exit 1
	xconf "$D/acc/c.yaml" "$RPORT" "$D/acc"
	expect_rc "$m: refused as a permission problem" 77 \
		timeout "$RUN_TIMEOUT" "$RCPTSYNC" -c "$D/acc/c.yaml" sync
	contains "$m: the message says the account may not read them" \
		"the account may not read the accepted domains under CN=Configuration,$BASE"
	check "$m: relay_domains untouched" cmp "$D/acc/rd.saved" "$D/acc/relay_domains"
	stop_pid "$RPID"
done

# A DC that accepts connections and never answers, four times over: the
# run's deadline bounds the failover too (without it: 4 x timeout 5 s
# for the connects alone, and the bind after each).
start_responder silent silent || exit 1
mkdir -p "$D/silent"
# ldaps://: the TLS handshake is what hangs, before any bind or search
make_test_ca "$D/silent" silent >/dev/null 2>&1 || bad "silent DCs: a test CA"
U="ldaps://127.0.0.1:$RPORT"
conf "$D/silent/c.yaml" "$RPORT" "$D/silent" \
	"    tls: {ca_file: $D/silent/silent-ca.pem}" "deadline: 2s"
sed -i "s|    uri: ldap://127.0.0.1:$RPORT|    uri: [$U, $U, $U, $U]|" "$D/silent/c.yaml"
start=$(date +%s)
expect_rc "silent DCs: refused as temporary" 75 \
	timeout "$RUN_TIMEOUT" "$RCPTSYNC" -c "$D/silent/c.yaml" sync
took=$(( $(date +%s) - start ))
contains "silent DCs: the message names the deadline" "deadline (2 s) passed"
check "silent DCs: the deadline ended the failover ($took s, not 4 x 5 s)" test "$took" -lt 12
stop_pid "$RPID"

# --- a DNS server that misbehaves (source.ldap.domain) ------------------------
# UDP answers with TC set, then TCP accepted and never answered: glibc's
# resolver waits in read() without a timeout of its own.  The lookup must
# end within source.ldap.timeout (3 s here) and the deadline, exit 75,
# name the SRV record, and leave the table alone.  The server and the run
# share a private network namespace, with a private resolv.conf mounted
# over /etc/resolv.conf in a private mount namespace (the machine's is
# never touched).
DNSSERVER=$HERE/dns_misbehave.py
# dns_run MODE DIR [NAMESERVER...] : rcptsync -c DIR/c.yaml sync against
# the scripted DNS server in MODE (on every 127.0.0.0/8 address; resolv.conf
# names 127.0.0.1 or the NAMESERVERs); the output in DIR/run, the exit in
# $RC, seconds in $TOOK
dns_run() {
	local ns
	for ns in "${@:3}"; do echo "nameserver $ns"; done > "$2/resolv.conf"
	[ $# -gt 2 ] || echo "nameserver 127.0.0.1" > "$2/resolv.conf"
	echo "options timeout:10 attempts:2" >> "$2/resolv.conf"
	start=$(date +%s)
	unshare -n -m bash -c '
		ip link set lo up || exit 90
		mount --bind "$3/resolv.conf" /etc/resolv.conf || exit 91
		python3 "$1" "$2" > "$3/dns.out" 2> "$3/dns.err" & p=$!
		for i in $(seq 100); do
			grep -qx listening "$3/dns.out" 2>/dev/null && break; sleep 0.1
		done
		timeout "$4" "$5" -c "$3/c.yaml" sync; rc=$?
		kill $p; exit $rc' x "$DNSSERVER" "$1" "$2" "$RUN_TIMEOUT" "$RCPTSYNC" \
		> "$2/run" 2>&1
	RC=$?; TOOK=$(( $(date +%s) - start )); OUT=$(cat "$2/run")
}
# dns_conf DIR TIMEOUT DEADLINE : a config that finds its DCs in DNS
dns_conf() {
	cat > "$1/c.yaml" <<YAML
source:
  ldap:
    domain: corp.example
    base: $BASE
    bind: {method: none}
    timeout: $2
domains: [corp.example]
output:
  table: $1/relay_recipients
lock: $1/lock
deadline: $3
YAML
}
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null; then
	d=$D/dns-hang; mkdir -p "$d"; dns_conf "$d" 3 20s
	printf 'kept@corp.example\tOK\n' > "$d/relay_recipients"
	cp -p "$d/relay_recipients" "$d/saved"
	dns_run tc-hang "$d"
	got_rc "DNS, TC then a silent TCP: refused as temporary" 75
	check "DNS, TC then a silent TCP: ended by itself within 30 s ($TOOK s), not hung" \
		test "$RC" -ne 124 -a "$TOOK" -le 30
	contains "DNS, TC then a silent TCP: the message names the SRV record" \
		"_ldap._tcp.dc._msdcs.corp.example"
	contains "DNS, TC then a silent TCP: the message says it timed out" "timed out"
	check "DNS, TC then a silent TCP: the table is untouched" \
		cmp "$d/saved" "$d/relay_recipients"
	check "DNS, TC then a silent TCP: no map was written" test ! -e "$d/relay_recipients.db"
	# the deadline nearer than timeout, and two servers that both hang:
	# the deadline bounds the lookup (each further server within 1 s)
	d=$D/dns-deadline; mkdir -p "$d"; dns_conf "$d" 30 4s
	dns_run tc-hang "$d" 127.0.0.1 127.0.0.2
	got_rc "DNS, two silent TCPs, deadline 4 s, timeout 30 s: refused as temporary" 75
	check "DNS, two silent TCPs: the deadline ended it within 15 s ($TOOK s), not timeout 30 s" \
		test "$TOOK" -le 15
	contains "DNS, two silent TCPs: the message says it timed out" "SRV: timed out after"
	# silent over UDP: the resolver's own timeout (lowered to timeout)
	# ends it, a second before the watchdog would: "no answer", exit 69
	d=$D/dns-silent; mkdir -p "$d"; dns_conf "$d" 3 20s
	dns_run silent "$d"
	got_rc "DNS, silent over UDP: no DC found (not a watchdog race)" 69
	check "DNS, silent over UDP: within timeout, not resolv.conf's 2 x 10 s ($TOOK s)" \
		test "$TOOK" -le 12
	contains "DNS, silent over UDP: the message names the SRV record" \
		"_ldap._tcp.dc._msdcs.corp.example SRV: no answer"
	# the control: an answer over TCP is read (dc1 then does not resolve)
	d=$D/dns-tcp; mkdir -p "$d"; dns_conf "$d" 3 20s
	dns_run tc-answer "$d"
	got_rc "DNS, TC then an answer over TCP: the DC found is tried (unreachable)" 69
	contains "DNS, TC then an answer over TCP: the DC found is named" "dc1.corp.example"
else
	# CI runs as root (require_root's rule): only a developer's run skips this
	if [ "${CI:-}" = true ]; then bad "DNS misbehaviour: needs root, unshare and ip"
	else echo "# skipped the DNS misbehaviour tests: need root, unshare and ip"; fi
fi

finish
