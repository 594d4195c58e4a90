#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End to end with a real Postfix: a private instance (its own config,
# queue and data directories, 127.0.0.1 on a free port, everything relayed
# to discard:) uses the map rcptsync writes as relay_recipient_maps.
# Checks, for each map type: the 451 trap at first creation and the
# reload hook that clears it; 250 / 550 5.1.1 / +tag / upper case; a
# running smtpd picking up a renamed map without reload; a session open
# across the swap staying consistent; and no 451 or missing key in a
# reader loop through ten syncs.  Types: hash, btree, lmdb, cdb.
# Usage: postfix.sh PATH/TO/rcptsync
RCPTSYNC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require postfix postmap postconf python3
require_root "a private Postfix instance"
PROBE="python3 $HERE/smtp_probe.py"
D=$WORK
chmod 755 "$D"	# Postfix daemons run as postfix

# Two directory states.
mk_ldif "$D/a.ldif" 1 200 "SMTP:User%d@corp.example"
# Odd local parts, as AD may hold them: what smtpd looks up decides the key
cat >> "$D/a.ldif" <<'LDIF'
dn: CN=odd1,DC=corp,DC=example
proxyAddresses: SMTP:"John.Q"@corp.example

dn: CN=odd2,DC=corp,DC=example
proxyAddresses: SMTP:.lead@corp.example

dn: CN=odd3,DC=corp,DC=example
proxyAddresses: SMTP:a..b@corp.example

LDIF
mk_ldif "$D/b.ldif" 101 300 "SMTP:User%d@corp.example"

conf() {	# conf NAME LDIF TYPE [hook]
	cat > "$P/$1.yaml" <<YAML
source:
  ldif: $2
domains: [corp.example]
output:
  table: $T
  type: $3
safety:
  max_removed: 100%
lock: $P/lock
${4:-}
YAML
	echo "$P/$1.yaml"
}
answer() {	# answer ADDRESS : the RCPT code in a new session
	$PROBE "$PORT" "$1" | awk '{print $2}'
}

for TYPE in hash btree lmdb cdb; do
	start_postfix "$TYPE" || { bad "$TYPE: start Postfix"; continue; }
	ok "$TYPE: private Postfix started on 127.0.0.1:$PORT (pid $PF_PID)"

	# The map does not exist yet: smtpd opens a missing table and defers.
	check "$TYPE: with no map yet, RCPT gets 451 (the trap)" test "$(answer user5@corp.example)" = 451
	HOOK="hooks:
  after_change: [$(command -v postfix), -c, $P/conf, reload]"
	CA=$(conf a "$D/a.ldif" "$TYPE" "$HOOK")
	expect_rc "$TYPE: first sync, with the reload hook" 0 "$RCPTSYNC" -c "$CA" sync
	sleep 1	# reload is asynchronous: master restarts its children
	check "$TYPE: after the first sync and reload, a known recipient gets 250" test "$(answer user5@corp.example)" = 250
	OUT=$($PROBE "$PORT" user5@corp.example nobody@corp.example User7+tag@corp.example USER8@CORP.EXAMPLE x@other.example)
	echo "$OUT" | sed 's/^/    smtp: /'
	contains "$TYPE: known recipient 250" "user5@corp.example 250"
	contains "$TYPE: unknown recipient 550 5.1.1" "nobody@corp.example 550 5.1.1 <nobody@corp.example>: Recipient address rejected: User unknown in relay recipient table"
	contains "$TYPE: +tag of a known user 250" "User7+tag@corp.example 250"
	contains "$TYPE: upper case 250" "USER8@CORP.EXAMPLE 250"
	contains "$TYPE: other domain still denied" "x@other.example 554"
	# each form a sender may use, quoted or not, reaches the recipient
	OUT=$($PROBE "$PORT" '"John.Q"@corp.example' 'John.Q@corp.example' \
		'.lead@corp.example' '".lead"@corp.example' 'a..b@corp.example' '"a..b"@corp.example')
	echo "$OUT" | sed 's/^/    smtp: /'
	check "$TYPE: odd local parts: every form 250" \
		test "$(grep -c ' 250 ' <<<"$OUT")" -eq 6

	# A session open across the swap keeps its old, consistent table.
	rm -f "$D/go" "$D/go.ready"
	$PROBE --hold "$PORT" "$D/go" user50@corp.example user60@corp.example user250@corp.example > "$D/hold.out" & HOLD=$!
	# the session has its table open (its first RCPT answered) before
	# the swap: a fixed sleep lost that race on a loaded machine
	for _ in $(seq 200); do [ -e "$D/go.ready" ] && break; sleep 0.1; done
	check "$TYPE: open session: its first RCPT answered before the swap" test -e "$D/go.ready"
	CB=$(conf b "$D/b.ldif" "$TYPE")
	expect_rc "$TYPE: sync to the second state, no reload" 0 "$RCPTSYNC" -c "$CB" sync
	touch "$D/go"; wait "$HOLD"
	check "$TYPE: open session: removed user60 still 250 (old table)" grep -q '^user60@corp.example 250' "$D/hold.out"
	check "$TYPE: open session: added user250 still 550 (old table)" grep -q '^user250@corp.example 550' "$D/hold.out"
	check "$TYPE: new session after the swap: removed address 550" test "$(answer user60@corp.example)" = 550
	check "$TYPE: new session after the swap: added address 250" test "$(answer user250@corp.example)" = 250
	check "$TYPE: smtpd noticed the renamed map by itself" grep -qF "table $TYPE:$T(" "$P/maillog"
	check "$TYPE: ... and restarted for it" grep -q "has changed -- restarting" "$P/maillog"

	# Ten syncs while a reader opens a new connection for every RCPT.
	rm -f "$D/stop"
	$PROBE --loop "$PORT" user150@corp.example "$D/stop" > "$D/loop.out" & LOOP=$!
	( fails=0; while [ ! -e "$D/stop" ]; do
		postmap -q user150@corp.example "$TYPE:$T" >/dev/null || fails=$((fails + 1))
	  done; echo "$fails" > "$D/postmap-fails" ) & QLOOP=$!
	runs_ok=0
	for i in $(seq 10); do
		if [ $((i % 2)) -eq 1 ]; then c=$CA; else c=$CB; fi
		[ $((i % 2)) -eq 1 ] && c=$(conf a2 "$D/a.ldif" "$TYPE")
		"$RCPTSYNC" -q -c "$c" sync && runs_ok=$((runs_ok + 1))
		sleep 0.3
	done
	touch "$D/stop"; wait "$LOOP" "$QLOOP"
	check "$TYPE: ten syncs succeeded" test "$runs_ok" -eq 10
	echo "    reader answers: $(sed -n 2p "$D/loop.out")"
	check "$TYPE: SMTP reader saw only 250 (no 451, no 550) through ten syncs" test "$(head -1 "$D/loop.out")" -eq 0
	check "$TYPE: SMTP reader made many connections" test "$(sed -n 2p "$D/loop.out" | tr ' ' '\n' | awk -F: '{s+=$2} END {print s}')" -ge 20
	check "$TYPE: postmap -q reader never missed the key" test "$(cat "$D/postmap-fails")" -eq 0

	# A small change: the map is updated from a copy of the published
	# one (cdb, which cannot be changed, is rebuilt), and what Postfix
	# serves is exactly the table: postmap -s lists the same set, and
	# smtpd answers for the added and removed addresses.
	"$RCPTSYNC" -v -c "$(conf a2 "$D/a.ldif" "$TYPE")" sync 2> "$D/small.err"
	if [ "$TYPE" = cdb ]; then
		check "$TYPE: a small change rebuilds the map (cdb is written once)" \
			lacks "map updated from a copy" "$D/small.err"
		check "$TYPE: after a small change, postmap -q finds every key of the table" \
			test "$(grep -v '^#' "$T" | cut -f1 | postmap -q - "$TYPE:$T" | wc -l)" -eq "$(grep -vc '^#' "$T")"
	else
		check "$TYPE: a small change updates a copy of the map" \
			grep -q "map updated from a copy of the published one: 100 deleted, 103 stored" "$D/small.err"
		check "$TYPE: after a small change, postmap -s lists exactly the table" \
			cmp -s <(postmap -s "$TYPE:$T" | LC_ALL=C sort) <(grep -v '^#' "$T" | LC_ALL=C sort)
	fi
	check "$TYPE: after a small change, an added address 250" test "$(answer user5@corp.example)" = 250
	check "$TYPE: after a small change, a removed address 550" test "$(answer user250@corp.example)" = 550

	stop_pid "$PF_PID"
done
finish
