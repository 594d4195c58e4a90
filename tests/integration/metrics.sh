#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration suite for metrics: {textfile: PATH} on the LDIF source (no
# directory server): the Prometheus file after a success and after each
# kind of failure (promtool check metrics), what a failed run keeps, the
# atomic replacement, the commands that write none, a real node_exporter
# serving it on 127.0.0.1, and the example alert rules (promtool check
# rules, promtool test rules).
# Usage: metrics.sh PATH/TO/rcptsync
RCPTSYNC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require promtool prometheus-node-exporter python3 flock
EX=$HERE/../../examples
D=$WORK/m
PROM=$D/prom/rcptsync.prom
NAMES="rcptsync_last_run_timestamp_seconds rcptsync_last_success_timestamp_seconds
rcptsync_last_exit_code rcptsync_duration_seconds rcptsync_map_written
rcptsync_safety_refused rcptsync_hook_owed rcptsync_verify_purge_owed
rcptsync_dc_kept rcptsync_dc_drawn
rcptsync_recipients rcptsync_last_added rcptsync_last_removed
rcptsync_pending_removal rcptsync_refused_values"

# metric NAME : its sample in $PROM
metric() { awk -v n="$1" '$1 == n { print $2 }' "$PROM"; }
# is NAME VALUE : the sample of NAME is VALUE (for check)
is() { local v; v=$(metric "$1"); [ -n "$v" ] && [ "$v" = "$2" ]; }
# every_metric FILE : each name once, with HELP, TYPE gauge and a number
every_metric() {
	local n
	for n in $NAMES; do
		[ "$(grep -c "^# HELP $n " "$1")" -eq 1 ] &&
			[ "$(grep -cx "# TYPE $n gauge" "$1")" -eq 1 ] &&
			[ "$(grep -cE "^$n [0-9]+(\.[0-9]+)?$" "$1")" -eq 1 ] ||
			{ echo "    $n missing or malformed"; return 1; }
	done
	# and nothing else: 15 metrics of three lines
	[ "$(wc -l < "$1")" -eq 45 ]
}
promtool_ok() { promtool check metrics < "$1"; }

mkdir -p "$D/out" "$D/prom"
mk_ldif "$D/full.ldif" 1 40 "SMTP:u%d@corp.example"
# one value normalisation refuses (white space): rcptsync_refused_values 1
printf 'dn: CN=bad,DC=corp,DC=example\nproxyAddresses: SMTP:bad user@corp.example\n\n' >> "$D/full.ldif"
cp "$D/full.ldif" "$D/dir.ldif"
cat > "$D/base.yaml" <<'YAML'
source: {ldif: dir.ldif}
domains: [corp.example]
output: {table: out/relay_recipients, type: hash}
safety: {max_removed: 10%}
lock: out/lock
YAML
C=$D/c.yaml
{ cat "$D/base.yaml"; printf 'metrics:\n  textfile: prom/rcptsync.prom\n'; } > "$C"

# --- the key ------------------------------------------------------------------
{ cat "$D/base.yaml"; printf 'metrics:\n  textfile: prom/rcptsync.prom\n  port: 9100\n'; } > "$D/bad1.yaml"
expect_rc "unknown key under metrics" 78 "$RCPTSYNC" -c "$D/bad1.yaml" sync
contains "... with file:line:column" "$D/bad1.yaml:8:3: unknown key \"port\" in metrics"
{ cat "$D/base.yaml"; printf 'metrics: {textfile: prom/rcptsync.txt}\n'; } > "$D/bad2.yaml"
expect_rc "a textfile not named *.prom" 78 "$RCPTSYNC" -c "$D/bad2.yaml" sync
contains "... says node_exporter would not read it" "$D/bad2.yaml:6:21: metrics.textfile must be a file name ending in .prom"
check "a run that failed before the lock writes no metrics" test ! -e "$PROM"

# --- commands that are not a sync write none -----------------------------------
expect_rc "diff" 1 "$RCPTSYNC" -c "$C" diff
expect_rc "dump" 0 "$RCPTSYNC" -c "$C" dump
expect_rc "explain" 0 "$RCPTSYNC" -c "$C" explain u1@corp.example
expect_rc "status" 3 "$RCPTSYNC" -c "$C" status
expect_rc "check" 0 "$RCPTSYNC" -c "$C" check
contains "check says where the metrics go" "metrics: $PROM (written by sync)"
check "diff, dump, explain, status and check write no metrics" test ! -e "$PROM"
expect_rc "check --json" 0 "$RCPTSYNC" -c "$C" --json check
check "check --json: metrics_textfile and its directory" python3 -c '
import json, sys
o = json.loads([l for l in sys.argv[1].splitlines() if l.startswith("{")][0])
assert o["metrics_textfile"] == sys.argv[2] and o["metrics_dir_writable"] is True, o' "$OUT" "$PROM"

# --- a success ------------------------------------------------------------------
t0=$(date +%s)
expect_rc "first sync" 0 "$RCPTSYNC" -c "$C" sync
check "the file holds every metric with HELP and TYPE" every_metric "$PROM"
check "promtool check metrics accepts it after a success" promtool_ok "$PROM"
check "mode 0644, for node_exporter's user" test "$(stat -c %a "$PROM")" = 644
check "recipients 40" is rcptsync_recipients 40
check "added 40, removed 0" bash -c '[ "$1" = 40 ] && [ "$2" = 0 ]' _ "$(metric rcptsync_last_added)" "$(metric rcptsync_last_removed)"
check "refused values 1" is rcptsync_refused_values 1
check "exit code 0, map written, no refusal, nothing owed" bash -c '[ "$*" = "0 1 0 0 0 0" ]' _ \
	"$(metric rcptsync_last_exit_code)" "$(metric rcptsync_map_written)" "$(metric rcptsync_safety_refused)" \
	"$(metric rcptsync_hook_owed)" "$(metric rcptsync_verify_purge_owed)" "$(metric rcptsync_pending_removal)"
S1=$(metric rcptsync_last_success_timestamp_seconds)
check "last success is this run, now" bash -c '[ "$1" = "$2" ] && [ "$1" -ge "$3" ] && [ "$1" -le "$(date +%s)" ]' _ \
	"$S1" "$(metric rcptsync_last_run_timestamp_seconds)" "$t0"
check "a duration in seconds" python3 -c 'import sys; assert 0 <= float(sys.argv[1]) < 60' "$(metric rcptsync_duration_seconds)"
ino1=$(stat -c %i "$PROM")
sleep 1.1
expect_rc "sync --json with nothing changed" 0 "$RCPTSYNC" -c "$C" --json sync
check "sync --json: metrics_textfile, metrics_written" python3 -c '
import json, sys
o = json.loads([l for l in sys.argv[1].splitlines() if l.startswith("{")][0])
assert o["metrics_textfile"] == sys.argv[2] and o["metrics_written"] is True, o' "$OUT" "$PROM"
check "map not written, nothing added" bash -c '[ "$1 $2" = "0 0" ]' _ "$(metric rcptsync_map_written)" "$(metric rcptsync_last_added)"
S2=$(metric rcptsync_last_success_timestamp_seconds)
check "the last success moved on" test "$S2" -gt "$S1"
check "the file was replaced by a rename, not rewritten in place (new inode)" test "$(stat -c %i "$PROM")" != "$ino1"
check "nothing else in the directory" test "$(ls -A "$D/prom")" = rcptsync.prom

# --- failures that took the lock --------------------------------------------------
# a safety refusal: 10 of 40 removed, above max_removed: 10%
mk_ldif "$D/dir.ldif" 1 30 "SMTP:u%d@corp.example"
sleep 1.1
expect_rc "a safety refusal" 65 "$RCPTSYNC" -c "$C" sync
check "promtool check metrics accepts it after a failure" promtool_ok "$PROM"
check "every metric still there" every_metric "$PROM"
check "exit code 65, safety refused" bash -c '[ "$1 $2" = "65 1" ]' _ "$(metric rcptsync_last_exit_code)" "$(metric rcptsync_safety_refused)"
check "the run time moved on" test "$(metric rcptsync_last_run_timestamp_seconds)" -gt "$S2"
check "the last success is kept" is rcptsync_last_success_timestamp_seconds "$S2"
check "the table's counts are the last success's (40, refused 1)" bash -c '[ "$1 $2 $3" = "40 1 0" ]' _ \
	"$(metric rcptsync_recipients)" "$(metric rcptsync_refused_values)" "$(metric rcptsync_map_written)"
# a broken source
rm "$D/dir.ldif"
sleep 1.1
expect_rc "a missing export" 69 "$RCPTSYNC" -c "$C" sync
check "exit code 69, the refusal still stands (no run succeeded since)" bash -c '[ "$1 $2" = "69 1" ]' _ "$(metric rcptsync_last_exit_code)" "$(metric rcptsync_safety_refused)"
check "the last success is still kept" is rcptsync_last_success_timestamp_seconds "$S2"
check "... and refused values too" is rcptsync_refused_values 1
check "promtool accepts it" promtool_ok "$PROM"
cp "$D/full.ldif" "$D/dir.ldif"
expect_rc "status agrees: the last run failed" 2 "$RCPTSYNC" -c "$C" status

# a run that finds the lock held does not take it: it writes nothing
before=$(inode_mtime "$PROM")
# (the subshell becomes the sleep that holds the lock: stopping it frees it)
( exec 9>>"$D/out/lock"; flock 9; exec sleep 30 ) & LOCKER=$!; CLEANUP_PIDS+=("$LOCKER")
sleep 0.3
expect_rc "lock held by another run" 75 "$RCPTSYNC" -c "$C" sync
check "... metrics untouched (the run holding the lock writes them)" same_state "$before" "$PROM"
stop_pid "$LOCKER"; wait "$LOCKER" 2>/dev/null

# an owed hook: the map is written, the hook fails
{ cat "$C"; printf 'hooks: {after_change: [/bin/false]}\n'; } > "$D/hook.yaml"
mk_ldif "$D/dir.ldif" 1 39 "SMTP:u%d@corp.example"
expect_rc "the hook fails after the map was written" 75 "$RCPTSYNC" -c "$D/hook.yaml" sync
check "hook owed 1, map written 1, exit 75" bash -c '[ "$1 $2 $3" = "1 1 75" ]' _ \
	"$(metric rcptsync_hook_owed)" "$(metric rcptsync_map_written)" "$(metric rcptsync_last_exit_code)"
check "the map written: the safety refusal is over" is rcptsync_safety_refused 0
sed -i 's|/bin/false|/bin/true|' "$D/hook.yaml"
expect_rc "the owed hook runs at last" 0 "$RCPTSYNC" -c "$D/hook.yaml" sync
check "hook owed 0, recipients 39, exit 0" bash -c '[ "$1 $2 $3" = "0 39 0" ]' _ \
	"$(metric rcptsync_hook_owed)" "$(metric rcptsync_recipients)" "$(metric rcptsync_last_exit_code)"

# the state file cannot be saved (a read-only directory): exit 73, and the
# metrics do not claim a success the state file does not hold
S3=$(metric rcptsync_last_success_timestamp_seconds)
mkdir -p "$D/rostate"
{ cat "$C"; printf 'state: %s/rostate/state\n' "$D"; } > "$D/rostate.yaml"
expect_rc "state in a writable directory: sync" 0 "$RCPTSYNC" -c "$D/rostate.yaml" sync
S4=$(metric rcptsync_last_success_timestamp_seconds)
chmod 555 "$D/rostate"
sleep 1.1
mk_ldif "$D/dir.ldif" 1 40 "SMTP:u%d@corp.example"
if [ "$(id -u)" -eq 0 ]; then	# root writes anywhere: a read-only bind mount
	mount --bind "$D/rostate" "$D/rostate" && CLEANUP_MOUNTS+=("$D/rostate") &&
		mount -o remount,bind,ro "$D/rostate"
fi
expect_rc "the state cannot be saved: exit 73" 73 "$RCPTSYNC" -c "$D/rostate.yaml" sync
check "the last success is the state file's, not this run's" is rcptsync_last_success_timestamp_seconds "$S4"
check "... and the exit code says it" is rcptsync_last_exit_code 73
[ "$(id -u)" -eq 0 ] && umount "$D/rostate"
chmod 755 "$D/rostate"
: "$S3"

# --- never half-written ------------------------------------------------------------
# a temporary file a killed run left is removed by the next run; node_exporter
# reads only *.prom, so it never saw it
printf 'half a fi' > "$D/prom/rcptsync.prom.rcptsync-tmp.AbC123"
expect_rc "sync after a killed run's leftover" 0 "$RCPTSYNC" -c "$C" sync
check "the leftover is gone, nothing else there" test "$(ls -A "$D/prom")" = rcptsync.prom
# a reader never sees a part: 15 syncs while a reader reads in a loop
python3 - "$PROM" "$D/reader.stop" > "$D/reader.out" 2>&1 <<'PY' &
import os, sys
path, stop = sys.argv[1], sys.argv[2]
reads = bad = 0
while not os.path.exists(stop):
    with open(path) as f:
        text = f.read()
    reads += 1
    lines = text.splitlines()
    if len(lines) != 45 or not text.endswith("\n") or not lines[-1].startswith("rcptsync_refused_values "):
        bad += 1
print(reads, bad)
PY
READER=$!; CLEANUP_PIDS+=("$READER")
for i in $(seq 15); do
	[ $((i % 2)) -eq 0 ] && mk_ldif "$D/dir.ldif" 1 40 "SMTP:u%d@corp.example" || mk_ldif "$D/dir.ldif" 1 39 "SMTP:u%d@corp.example"
	"$RCPTSYNC" -q -c "$C" sync 2>/dev/null || bad "sync $i under the reader failed"
done
touch "$D/reader.stop"; wait "$READER"
read -r reads partial < "$D/reader.out"
check "a reader saw only whole files ($reads reads during 15 syncs)" test "${reads:-0}" -gt 0 -a "${partial:-1}" -eq 0

# --- a metrics file that cannot be written: a warning, the exit code stays ----------
{ cat "$D/base.yaml"; printf 'metrics: {textfile: no-such-dir/rcptsync.prom}\n'; } > "$D/nodir.yaml"
expect_rc "metrics not writable: the sync still succeeds" 0 "$RCPTSYNC" -c "$D/nodir.yaml" sync
contains "... and warns" "warning: metrics not written: cannot create $D/no-such-dir/rcptsync.prom.rcptsync-tmp."
rm "$D/dir.ldif"
expect_rc "metrics not writable: a failed sync keeps its own exit code" 69 "$RCPTSYNC" -c "$D/nodir.yaml" sync
contains "... and warns" "warning: metrics not written"
cp "$D/full.ldif" "$D/dir.ldif"
expect_rc "metrics not writable: check warns" 0 "$RCPTSYNC" -c "$D/nodir.yaml" check
contains "... naming the directory" "cannot write to the metrics directory $D/no-such-dir"

# --- a real node_exporter serves it -------------------------------------------------
expect_rc "sync before the scrape" 0 "$RCPTSYNC" -c "$C" sync
# a temporary file as a run writes it, mid-write: the collector must skip it
printf 'rcptsync_recipients 4' > "$D/prom/rcptsync.prom.rcptsync-tmp.XyZ789"
NE_PORT=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$NE_PORT" \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$D/prom" > "$D/node_exporter.log" 2>&1 &
NE_PID=$!; CLEANUP_PIDS+=("$NE_PID")
if wait_port "$NE_PORT"; then
	python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode())' \
		"$NE_PORT" > "$D/scrape.txt" 2>&1
	check "node_exporter serves rcptsync_recipients 40" grep -qx 'rcptsync_recipients 40' "$D/scrape.txt"
	check "... and every rcptsync metric" bash -c 'for n in $1; do grep -q "^$n " "$2" || exit 1; done' _ "$NAMES" "$D/scrape.txt"
	check "... with node_textfile_scrape_error 0" grep -qx 'node_textfile_scrape_error 0' "$D/scrape.txt"
	check "... reading rcptsync.prom alone (not the temporary file)" \
		bash -c '[ "$(grep -c "^node_textfile_mtime_seconds{" "$1")" -eq 1 ] && grep -q "^node_textfile_mtime_seconds{file=\"$2\"}" "$1"' _ "$D/scrape.txt" "$PROM"
	check "the scrape passes promtool check metrics" promtool_ok "$D/scrape.txt"
else
	bad "node_exporter did not listen on 127.0.0.1:$NE_PORT"; tail -5 "$D/node_exporter.log"
fi
stop_pid "$NE_PID"

# --- the example alert rules -----------------------------------------------------------
expect_rc "promtool check rules examples/rcptsync.rules.yml" 0 promtool check rules "$EX/rcptsync.rules.yml"
expect_rc "promtool test rules: each alert fires when it should" 0 promtool test rules "$HERE/metrics-rules.test.yml"

finish
