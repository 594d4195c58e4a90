#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Verify-cache repair against a real verify(8).  A private Postfix with
# reject_unverified_recipient sends its probes to a stand-in for the
# Exchange server behind it (mailbox_server.py), so the cache fills with
# real entries: positive, and negative for an address that did not exist
# yet.  Once the address exists, the stale negative entry keeps rejecting
# it; sync must delete exactly those entries, in any letter case and with
# any +extension, and nothing else.
# - lmdb: online, under Postfix's fcntl lock; the next RCPT gets 250.
# - btree: verify(8) holds its lock, so sync does not wait: it warns,
#   prints the postmap commands, and status says WARNING; the commands
#   work with Postfix stopped, and a later sync finishes the purge.
# Then the domain becomes a relay domain ("@corp.example"): every
# negative entry in it goes, online or by the printed command.
# Usage: verify.sh PATH/TO/rcptsync
RCPTSYNC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require postfix postmap postconf python3
require_root "a private Postfix instance"
PROBE="python3 $HERE/smtp_probe.py"
D=$WORK
chmod 755 "$D"	# Postfix daemons run as postfix

# The directory before and after newuser (and newuser2) got a mailbox.
mk_ldif "$D/a.ldif" 1 50 "SMTP:user%d@corp.example"
cp "$D/a.ldif" "$D/b.ldif"
printf 'dn: CN=New User,DC=corp,DC=example\nproxyAddresses: SMTP:NewUser@corp.example\nproxyAddresses: smtp:newuser2@corp.example\n\n' >> "$D/b.ldif"
seq 1 50 | sed 's/.*/user&@corp.example/' > "$D/mailboxes"

MB_PORT=$(free_port)
python3 "$HERE/mailbox_server.py" "$MB_PORT" "$D/mailboxes" "$D/mb.pid" &
CLEANUP_PIDS+=("$!")
wait_port "$MB_PORT" || { echo "mailbox server did not start"; exit 1; }

answer() {	# answer ADDRESS : the RCPT code in a new session
	$PROBE "$PORT" "$1" | awk '{print $2}'
}
settle() {	# settle ADDRESS WANT : RCPT until WANT (a probe takes a moment)
	local i a
	for i in $(seq 20); do
		a=$(answer "$1"); [ "$a" = "$2" ] && return 0; sleep 0.5
	done
	echo "    $1: last answer $a, want $2"; return 1
}
cache_dump() {	# cache_dump : key<TAB>value of every cache entry
	postmap -c "$P/conf" -s "$VTYPE:$P/data/verify_cache"
}
kept_and_purged() {	# kept_and_purged TAG : the cache after a full purge
	local dump
	dump=$(cache_dump)
	check "$1: positive entry kept" grep -q "^user5@corp.example	0:" <<<"$dump"
	check "$1: unrelated negative entry kept" grep -q "^someone@corp.example	2:" <<<"$dump"
	check "$1: no negative entry left for newuser" test -z "$(grep -i '^newuser[^	]*	[1-9]' <<<"$dump")"
}
conf() {	# conf LDIF [hook] [EXTRA] : a config with verify_cache
	local hook= extra=
	[ -n "${2:-}" ] && hook="hooks:
  after_change: [$(command -v postfix), -c, $P/conf, reload]"
	[ -n "${3:-}" ] && extra="extra: $3"
	cat > "$P/sync.yaml" <<YAML
source:
  ldif: $1
domains: [corp.example]
output:
  table: $T
  type: hash
lock: $P/lock
$hook
$extra
verify_cache:
  path: $P/data/verify_cache
  type: $VTYPE
  recipient_delimiter: "+"
YAML
	echo "$P/sync.yaml"
}

# relay_purge : corp.example becomes a relay domain ("@corp.example", here
# from the extra file, as Exchange's relay domains give it): its key
# matches no cache entry, yet every negative entry of the domain is stale
relay_purge() {
	local dump cmds holder i
	printf '@corp.example\tOK\n' > "$D/extra"
	C=$(conf "$D/b.ldif" "" "$D/extra")
	if [ "$VTYPE" = lmdb ]; then
		answer user5@corp.example >/dev/null	# verify(8) running, holding its lock
		check "lmdb relay: someone's negative entry is there" grep -q "^someone@corp.example	2:" <<<"$(cache_dump)"
		expect_rc "lmdb relay: @corp.example added; purged online" 0 "$RCPTSYNC" -c "$C" sync
		contains "lmdb relay: someone's entry deleted" "verify cache: deleted stale entry someone@corp.example (status 2)"
	else
		# Postfix stopped, a flock(1) holds verify(8)'s lock in its place
		# (whether a verify(8) is running at this point is not ours to say)
		postfix -c "$P/conf" stop >/dev/null 2>&1
		for i in $(seq 50); do kill -0 "$PF_PID" 2>/dev/null || break; sleep 0.1; done
		# (read only now: a running verify(8) keeps its lock until
		# max_idle, and postmap -s would wait for it)
		check "btree relay: someone's negative entry is there" grep -q "^someone@corp.example	2:" <<<"$(cache_dump)"
		( exec 9<"$P/data/verify_cache.db"; flock -x 9; exec sleep 60 ) &
		holder=$!; CLEANUP_PIDS+=("$holder")
		for i in $(seq 50); do flock -n "$P/data/verify_cache.db" true || break; sleep 0.1; done
		expect_rc "btree relay: @corp.example added; the lock is held" 0 timeout 20 "$RCPTSYNC" -c "$C" sync
		contains "btree relay: not purged" "not purged"
		contains "btree relay: the command for the whole domain" "postmap -s btree:$P/data/verify_cache | awk -v d='@corp.example'"
		cmds=$(printf '%s\n' "$OUT" | sed -n 's/^rcptsync: warning:   \(postmap .*\)/\1/p')
		# the holder goes first: postmap -s would wait for its lock
		stop_pid "$holder"; wait "$holder" 2>/dev/null
		check "btree relay: someone still there after the sync that could not purge" grep -q "^someone@corp.example	2:" <<<"$(cache_dump)"
		eval "$cmds"
		check "btree relay: the printed command removed someone's entry" test -z "$(cache_dump | grep -i '^someone@corp.example	[1-9]')"
		expect_rc "btree relay: the next sync owes nothing more" 0 "$RCPTSYNC" -c "$C" sync
		expect_rc "btree relay: status OK" 0 "$RCPTSYNC" -c "$C" status
	fi
	dump=$(cache_dump)
	check "$VTYPE relay: no negative entry left in corp.example" test -z "$(grep -i '@corp.example	[1-9]' <<<"$dump")"
	check "$VTYPE relay: positive entries kept" grep -q "^user5@corp.example	0:" <<<"$dump"
}

for VTYPE in lmdb btree; do
	seq 1 50 | sed 's/.*/user&@corp.example/' > "$D/mailboxes"
	PF_NAME=verify-$VTYPE PF_RCPT_RESTRICTIONS="reject_unauth_destination, reject_unverified_recipient" \
		start_postfix hash "address_verify_map = $VTYPE:\$data_directory/verify_cache
address_verify_relay_transport = smtp:[127.0.0.1]:$MB_PORT
unverified_recipient_reject_code = 550
address_verify_poll_delay = 1s
smtp_address_verify_target = rcpt" || { bad "$VTYPE: start Postfix"; continue; }
	ok "$VTYPE: private Postfix with reject_unverified_recipient on 127.0.0.1:$PORT"
	C=$(conf "$D/a.ldif" reload)
	expect_rc "$VTYPE: first sync (no cache yet: nothing to purge)" 0 "$RCPTSYNC" -c "$C" sync
	sleep 1	# the reload hook restarts smtpd

	# Fill the cache through real probes.
	check "$VTYPE: a mailbox gets 250 (probe answered 250)" settle user5@corp.example 250
	check "$VTYPE: NewUser, before it exists, is refused by the probe" settle NewUser@Corp.Example 550
	check "$VTYPE: newuser+tag likewise" settle newuser+tag@corp.example 550
	check "$VTYPE: newuser2 likewise" settle newuser2@corp.example 550
	check "$VTYPE: someone, who never exists, likewise" settle someone@corp.example 550
	$PROBE "$PORT" NewUser@Corp.Example | sed 's/^/    smtp: /'

	# AD and Exchange gain the mailbox; the stale cache entry still rejects.
	# No reload hook from here: smtpd notices the new map by itself, and
	# a reload would make verify(8) exit and drop its lock.
	printf 'newuser@corp.example\nnewuser2@corp.example\n' >> "$D/mailboxes"
	C=$(conf "$D/b.ldif")
	check "$VTYPE: the stale negative entry still rejects NewUser" test "$(answer NewUser@Corp.Example)" = 550

	if [ "$VTYPE" = lmdb ]; then
		expect_rc "lmdb: sync adds newuser and purges online" 0 "$RCPTSYNC" -c "$C" sync
		contains "lmdb: the mixed-case entry deleted" "verify cache: deleted stale entry NewUser@Corp.Example (status 2)"
		contains "lmdb: the +tag entry deleted" "deleted stale entry newuser+tag@corp.example"
		contains "lmdb: newuser2 deleted" "deleted stale entry newuser2@corp.example"
		contains "lmdb: summary" "3 stale negative entries deleted for 2 added addresses"
		kept_and_purged lmdb
		check "lmdb: NewUser now accepted, Postfix still running" settle NewUser@Corp.Example 250
		check "lmdb: newuser+tag accepted" settle newuser+tag@corp.example 250
		expect_rc "lmdb: status OK" 0 "$RCPTSYNC" -c "$C" status
	else
		expect_rc "btree: sync adds newuser; verify(8) holds the lock: no wait" 0 timeout 20 "$RCPTSYNC" -c "$C" sync
		contains "btree: says why" "verify(8) holds the lock on $P/data/verify_cache.db"
		contains "btree: prints the commands" "postmap -f -d 'newuser2@corp.example' btree:$P/data/verify_cache"
		contains "btree: ... between stop and start" "postfix start"
		printf '%s\n' "$OUT" | grep -E '^rcptsync: warning:   ' | sed 's/^/    /'
		check "btree: NewUser still rejected (nothing changed under verify)" test "$(answer NewUser@Corp.Example)" = 550
		expect_rc "btree: status WARNING names the owed purge" 1 "$RCPTSYNC" -c "$C" status
		contains "btree: status lists newuser" " newuser@corp.example"
		contains "btree: status lists newuser2" " newuser2@corp.example"
		expect_rc "btree: a second sync, no change, still cannot" 0 "$RCPTSYNC" -c "$C" sync
		contains "btree: ... and says so again" "not purged"
		# The admin's way: the printed commands with Postfix stopped.
		CMDS=$(printf '%s\n' "$OUT" | sed -n "s/^rcptsync: warning:   postmap /postmap -c $(printf '%s' "$P/conf" | sed 's/[\/&]/\\&/g') /p")
		postfix -c "$P/conf" stop >/dev/null 2>&1
		for i in $(seq 50); do kill -0 "$PF_PID" 2>/dev/null || break; sleep 0.1; done
		eval "$CMDS"
		DUMP=$(cache_dump)
		check "btree: the printed postmap command removed newuser2" test -z "$(grep '^newuser2@' <<<"$DUMP")"
		check "btree: ... not the mixed-case spelling (-f)" grep -q "^NewUser@Corp.Example	2:" <<<"$DUMP"
		expect_rc "btree: with Postfix stopped, sync finishes the owed purge" 0 "$RCPTSYNC" -c "$C" sync
		contains "btree: mixed case deleted" "deleted stale entry NewUser@Corp.Example (status 2)"
		contains "btree: +tag deleted" "deleted stale entry newuser+tag@corp.example"
		kept_and_purged btree
		expect_rc "btree: status OK again" 0 "$RCPTSYNC" -c "$C" status
		postfix -c "$P/conf" start >/dev/null 2>&1 && wait_port "$PORT"
		PF_PID=$(sed -n 's/ //gp' "$P/queue/pid/master.pid"); CLEANUP_PIDS+=("$PF_PID")
		check "btree: after start, NewUser accepted" settle NewUser@Corp.Example 250
	fi
	relay_purge
	stop_pid "$PF_PID"
done
finish
