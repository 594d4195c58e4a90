#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The admin's daily use: --json output (parsed, not grepped), journal
# priority prefixes, syslog facility mail (a real syslog socket in a
# private mount namespace), the progress line on a terminal only, bash
# completion, the man pages, and sync --approve: an approval applies exactly
# the change diff showed, never one the directory moved on to after it.
# Usage: ops.sh PATH/TO/rcptsync
RCPTSYNC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require python3 script
D=$WORK
EX=$HERE/../../examples
ROOT=$HERE/../..

# jq-like: json FILE EXPR -> prints the Python value of EXPR on the object
json() { python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# --- --json -----------------------------------------------------------------
mkdir -p "$D/demo/demo-out"
cp "$EX/demo.yaml" "$EX/demo.ldif" "$EX/demo-extra" "$D/demo/"
sed -i '/^hooks:/,$d' "$D/demo/demo.yaml"
C=$D/demo/demo.yaml
"$RCPTSYNC" --json -c "$C" diff > "$D/diff.json" 2>/dev/null; RC=$?
check "diff --json exits 1 for changes" test "$RC" -eq 1
check "diff --json is one JSON object" json "$D/diff.json" 'type(o).__name__' >/dev/null
check "diff --json: exit member" test "$(json "$D/diff.json" 'o["exit"]')" = 1
check "diff --json: 13 to add" test "$(json "$D/diff.json" 'o["added"]')" = 13
check "diff --json: add list with origin DN" test "$(json "$D/diff.json" '[a["origin"] for a in o["add"] if a["address"]=="alice@corp.example"][0]')" = "CN=Alice Archer,OU=Staff,DC=corp,DC=example"
check "diff --json: no refusal" test "$(json "$D/diff.json" 'o["would_refuse"]')" = None
check "diff --json: stdout holds nothing else (no diff lines)" test "$(wc -l < "$D/diff.json")" -eq 1
"$RCPTSYNC" --json -c "$C" sync > "$D/sync.json" 2>/dev/null
check "sync --json: written, 13 added" test "$(json "$D/sync.json" '(o["command"], o["written"], o["added"], o["recipients"])')" = "('sync', True, 13, 13)"
"$RCPTSYNC" --json -c "$C" sync > "$D/sync2.json" 2>/dev/null
check "sync --json again: not written" test "$(json "$D/sync2.json" 'o["written"]')" = False
"$RCPTSYNC" --json -c "$C" status > "$D/status.json"; RC=$?
check "status --json OK, exit 0" test "$RC:$(json "$D/status.json" 'o["status"]')" = "0:OK"
check "status --json: times are ISO 8601 UTC" json "$D/status.json" '__import__("re").match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", o["last_success"]).group(0)' >/dev/null
"$RCPTSYNC" --json -c "$C" check > "$D/check.json" 2>/dev/null
check "check --json: counts" test "$(json "$D/check.json" '(o["recipients"], o["table_dir_writable"], o["exit"])')" = "(13, True, 0)"
"$RCPTSYNC" --json -c "$D/missing.yaml" sync > "$D/err.json" 2>"$D/err.txt"; RC=$?
check "an error with --json: exit 78 and an error object" test "$RC:$(json "$D/err.json" '(o["exit"], o["error"]["kind"])')" = "78:(78, 'config')"
check "... and the error line on stderr still" grep -q "rcptsync: error: cannot open configuration" "$D/err.txt"
expect_rc "--json with dump is a usage error" 64 "$RCPTSYNC" --json -c "$C" dump
# Hostile DN bytes (quote, backslash, tab, newline, non-ASCII) stay valid JSON.
python3 - "$D/hostile.ldif" <<'PY'
import base64, sys
dn = 'CN=Q"uote\\Back\tTab\nNL\u00e9,DC=corp,DC=example'.encode()
open(sys.argv[1], "w").write("dn:: %s\nproxyAddresses: SMTP:odd@corp.example\n\n" % base64.b64encode(dn).decode())
PY
printf 'source: {ldif: hostile.ldif}\ndomains: [corp.example]\noutput: {table: h}\nlock: lk\n' > "$D/hostile.yaml"
"$RCPTSYNC" --json -c "$D/hostile.yaml" diff > "$D/hostile.json" 2>/dev/null
check "hostile DN: diff --json parses and round-trips the bytes" test "$(json "$D/hostile.json" 'repr(o["add"][0]["origin"])')" = "$(python3 -c 'print(repr("CN=Q\"uote\\Back\tTab\nNL\u00c3\u00a9,DC=corp,DC=example"))')"

# --- journal priority prefixes -------------------------------------------------
printf '\ndn: CN=Bad,DC=corp,DC=example\nproxyAddresses: SMTP:bad address@corp.example\n\n' >> "$D/demo/demo.ldif"
( exec 2>"$D/journal.txt"; JOURNAL_STREAM=$(stat -c '%d:%i' "$D/journal.txt") "$RCPTSYNC" -c "$C" diff >/dev/null )
check "journal: a warning carries <4>" grep -q '^<4>rcptsync: warning: CN=Bad' "$D/journal.txt"
check "journal: the summary carries <6>" grep -q '^<6>rcptsync: diff: ' "$D/journal.txt"
( exec 2>"$D/plain.txt"; JOURNAL_STREAM=1:2 "$RCPTSYNC" -c "$C" diff >/dev/null )
check "JOURNAL_STREAM naming another file: no prefixes" grep -q '^rcptsync: warning: CN=Bad' "$D/plain.txt"

# --- syslog, facility mail ---------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
	python3 - "$D/log.sock" "$D/syslog.txt" <<'PY' & SL=$!
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536) + b"\n")
PY
	CLEANUP_PIDS+=("$SL")
	for i in $(seq 50); do [ -S "$D/log.sock" ] && break; sleep 0.1; done
	printf 'log: {syslog: true}\n' >> "$C"
	# glibc always writes to /dev/log: give a private /dev one, our socket.
	unshare -m --propagation private bash -c '
		set -e; D=$1; shift
		mkdir -p "$D/olddev"; mount --bind /dev "$D/olddev"
		mount -t tmpfs tmpfs /dev
		for n in null zero urandom random; do touch /dev/$n; mount --bind "$D/olddev/$n" /dev/$n; done
		touch /dev/log; mount --bind "$D/log.sock" /dev/log
		"$@" -q -c "$D/demo/demo.yaml" diff >/dev/null 2>&1 || true' _ "$D" "$RCPTSYNC"
	sleep 0.3
	# <PRI>: facility mail (2) * 8 + severity; warning 4 -> 20, info 6 -> 22
	check "syslog: warning at mail.warning, Postfix style" grep -q '^<20>.*rcptsync\[[0-9]*\]: warning: CN=Bad' "$D/syslog.txt"
	check "syslog: the summary at mail.info, even with -q" grep -q '^<22>.*rcptsync\[[0-9]*\]: diff: ' "$D/syslog.txt"
	sed -i '/^log:/d' "$C"
elif [ "${CI:-}" = true ]; then
	bad "syslog: CI runs as root, but this run is not (a private mount namespace needs it)"
else
	echo "# syslog checks skipped: they need root (a private mount namespace)"
fi

# --- progress: on a terminal only ---------------------------------------------------
awk 'BEGIN{for(i=1;i<=300000;i++) printf "dn: CN=u%d,DC=corp,DC=example\nproxyAddresses: SMTP:u%d@corp.example\nproxyAddresses: X500:/o=x/cn=u%d\n\n", i,i,i}' > "$D/big.ldif"
printf 'source: {ldif: big.ldif}\ndomains: [corp.example]\noutput: {table: big}\nlock: lk\n' > "$D/big.yaml"
script -qfec "$RCPTSYNC -c $D/big.yaml check" /dev/null > "$D/tty.txt" 2>&1
check "progress on a terminal: objects, pages, rate" grep -aq 'fetching: [0-9]* objects, [0-9]* pages, [0-9]* addresses kept, [0-9]* objects/s' "$D/tty.txt"
check "... redrawn in place, then erased" grep -aq $'\r\033\\[K' "$D/tty.txt"
"$RCPTSYNC" -c "$D/big.yaml" check > "$D/notty.txt" 2>&1
check "no progress when stderr is not a terminal" test "$(grep -c fetching "$D/notty.txt")" -eq 0
check "... and no control bytes" test "$(tr -d '\n\t' < "$D/notty.txt" | LC_ALL=C grep -c '[[:cntrl:]]')" -eq 0
script -qfec "$RCPTSYNC -q -c $D/big.yaml check" /dev/null > "$D/ttyq.txt" 2>&1
check "no progress under -q" test "$(grep -ac fetching "$D/ttyq.txt")" -eq 0

# --- the cron lines, run as cron would (sh, "\%" unescaped) ---------------------
cronjob() {	# cronjob N CONFIG : line N of the crontab's jobs, for CONFIG
	grep -E '^[0-9*]' "$EX/rcptsync.cron" | sed -n "$1p" | cut -d' ' -f7- |
		sed -e 's/\\%/%/g' -e "s|/usr/sbin/rcptsync|$RCPTSYNC|g" -e "s|/etc/rcptsync/sync.yaml|$2|g"
}
CRON_OUT=$(sh -c "$(cronjob 1 "$C")" 2>&1)
check "cron: a successful sync (with refused values) prints nothing" test -z "$CRON_OUT"
expect_rc "with the lock held, sync exits 75" 75 flock "$D/demo/demo-out/rcptsync.lock" "$RCPTSYNC" -c "$C" sync
flock "$D/demo/demo-out/rcptsync.lock" sh -c "$(cronjob 1 "$C")" > "$D/cron75.txt" 2>&1
check "cron: exit 75 (lock held) is not mailed" test ! -s "$D/cron75.txt"
CRON_OUT=$(sh -c "$(cronjob 1 "$D/missing.yaml")" 2>&1)
check "cron: a failure prints its error and exit code" bash -c 'grep -q "rcptsync: error: cannot open configuration" <<<"$1" && grep -q "(rcptsync sync: exit 78)" <<<"$1"' _ "$CRON_OUT"
CRON_OUT=$(sh -c "$(cronjob 2 "$C")" 2>&1)
check "cron: the hourly status check is silent when fresh" test -z "$CRON_OUT"

# --- an approval applies exactly the change diff showed -------------------------
# sync --approve DIGEST lifts max_removed (10% in the demo) only for the
# change whose digest diff showed; a directory that moved on after the
# review is refused (65) and nothing is written.
A=$D/approve; mkdir -p "$A/demo-out"
cp "$EX/demo.yaml" "$EX/demo.ldif" "$EX/demo-extra" "$A/"
sed -i '/^hooks:/,$d' "$A/demo.yaml"
AC=$A/demo.yaml; AT=$A/demo-out/relay_recipients
# drop_objects FILE CN... : the LDIF without the records of those CNs
drop_objects() {
	python3 - "$@" <<'PY'
import sys
path, cns = sys.argv[1], sys.argv[2:]
recs = open(path).read().split("\n\n")
recs = [r for r in recs if not any("dn: CN=%s," % cn in r for cn in cns)]
open(path, "w").write("\n\n".join(recs))
PY
}
expect_rc "approve: the first sync" 0 "$RCPTSYNC" -c "$AC" sync
cp "$A/demo.ldif" "$A/full.ldif"
# Bob Baker and the shared Support mailbox go: 3 of 13 keys, over 10%
drop_objects "$A/demo.ldif" "Bob Baker" "Support"
cp "$A/demo.ldif" "$A/reviewed.ldif"
expect_rc "approve: the shrink is refused without it" 65 "$RCPTSYNC" -c "$AC" sync
contains "approve: the refusal advises diff and --approve" 'rcptsync sync --approve DIGEST'
"$RCPTSYNC" --json -c "$AC" diff > "$A/diff.json" 2>/dev/null
DIG=$(json "$A/diff.json" 'o["digest"]')
check "approve: diff --json shows a digest of 64 hex digits" \
	bash -c '[[ $1 =~ ^[0-9a-f]{64}$ ]]' _ "$DIG"
expect_rc "approve: text diff" 1 "$RCPTSYNC" -c "$AC" diff
contains "approve: text diff shows the same digest" "digest of this change $DIG"
contains "approve: ... and the command that applies exactly it" "\"rcptsync sync --approve $DIG\" applies exactly this change"
expect_rc "approve: --approve with --force is a usage error" 64 "$RCPTSYNC" -c "$AC" sync --force --approve "$DIG"
expect_rc "approve: --approve goes with sync only" 64 "$RCPTSYNC" -c "$AC" diff --approve "$DIG"
expect_rc "approve: a digest that is not one" 64 "$RCPTSYNC" -c "$AC" sync --approve "${DIG:0:63}"
# the directory moves on after the review: All Staff goes too
drop_objects "$A/demo.ldif" "All Staff"
before_text=$(inode_mtime "$AT"); before_map=$(inode_mtime "$AT.db")
expect_rc "approve: the directory changed since the diff: refused" 65 "$RCPTSYNC" -c "$AC" sync --approve "$DIG"
contains "approve: the refusal says it is not the approved change" "this run's change is not the one approved (${DIG:0:12}"
contains "approve: ... with this run's counts" "recipients: 0 to add, 4 to remove"
contains "approve: ... and keys" "first: -all-staff@corp.example, -bob.baker@corp.example"
contains "approve: ... and that nothing was written" "nothing was written"
check "approve: the table is untouched" same_state "$before_text" "$AT"
check "approve: the map is untouched" same_state "$before_map" "$AT.db"
check "approve: a removed recipient is still served" test "$(postmap -q bob.baker@corp.example "hash:$AT")" = OK
expect_rc "approve: status says the run was refused" 2 "$RCPTSYNC" -c "$AC" status
# the directory as it was reviewed: applied, limits lifted
cp "$A/reviewed.ldif" "$A/demo.ldif"
expect_rc "approve: the reviewed change, approved" 0 "$RCPTSYNC" --json -c "$AC" sync --approve "${DIG^^}"
check "approve: 3 removed" test "$(json <(printf '%s' "$OUT" | grep '^{') 'o["removed"]')" = 3
check "approve: sync --json names the approved digest" test "$(json <(printf '%s' "$OUT" | grep '^{') 'o["approved"]')" = "$DIG"
postmap -q bob.baker@corp.example "hash:$AT" >/dev/null
check "approve: the removed recipient is gone from the map" test $? -eq 1
check "approve: one that stays is still there" test "$(postmap -q all-staff@corp.example "hash:$AT")" = OK
check "approve: the table has the 10 keys left" test "$(grep -vc '^#' "$AT")" -eq 10
expect_rc "approve: the same approval again, nothing left to change: refused" 65 "$RCPTSYNC" -c "$AC" sync --approve "$DIG"
contains "approve: ... saying that a plain sync does the rest" "a plain sync does the rest"
expect_rc "approve: nothing to change: diff says so" 0 "$RCPTSYNC" -c "$AC" diff
contains "approve: ... with the empty change's digest" "nothing to change (digest "
# the canaries still apply to an approved change
cp "$A/full.ldif" "$A/demo.ldif"
expect_rc "approve: back to the full directory" 0 "$RCPTSYNC" -c "$AC" sync --force
sed -i 's/^safety:$/safety:\n  must_exist: [support@corp.example]/' "$AC"
drop_objects "$A/demo.ldif" "Bob Baker" "Support"
"$RCPTSYNC" --json -c "$AC" diff > "$A/canary.json" 2>/dev/null
check "approve: diff says a canary would refuse it" \
	bash -c 'grep -q "canary support@corp.example" <<<"$1"' _ "$(json "$A/canary.json" 'o["would_refuse"]')"
expect_rc "approve: an approved change that fails a canary is refused" 65 "$RCPTSYNC" -c "$AC" sync --approve "$(json "$A/canary.json" 'o["digest"]')"
contains "approve: ... naming the canary" "canary support@corp.example (safety.must_exist)"
check "approve: ... and the recipient is still served" test "$(postmap -q support@corp.example "hash:$AT")" = OK
# bash completion offers it after sync, and nothing for its digest
complete_words() {	# complete_words WORD... : what completion offers for the last
	bash -c '. /usr/share/bash-completion/bash_completion; . "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}; _rcptsync; echo "${COMPREPLY[*]}"' \
		_ "$EX/rcptsync.bash-completion" "$@"
}
if [ -r /usr/share/bash-completion/bash_completion ]; then
	check "approve: completion offers --approve after sync" test "$(complete_words rcptsync sync --a)" = --approve
	check "approve: ... nothing for the digest" test -z "$(complete_words rcptsync sync --approve '')"
	check "approve: ... and sync's options after it" test "$(complete_words rcptsync sync --approve abc --j)" = --json
else
	bad "approve: bash-completion is not installed (scripts/install-deps)"
fi

finish
