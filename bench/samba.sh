#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Incremental against full pulls, side by side, on a real AD DC: a Samba DC
# in its own network namespace (tests/integration/samba-dc.sh) loaded with
# N mail-enabled objects (tests/fixtures/gen_samba.py), then hyperfine
# runs, with nothing changed in the directory:
#   - a full pull (sync, no change);
#   - an incremental pull, deletions: tombstones (a Deleted Objects reader);
#   - an incremental pull, deletions: listing (any account);
#   - an incremental pull with DirSync (Replicating Directory Changes);
# then the same after a change outside the base before each run (the
# domain's USN moves, the selection does not: the searches must run);
# and checks that all tables are identical to the generator's.
# Needs root (a network namespace).  Not a test.
# Usage: bench/samba.sh [N]      (default 20000)
set -uo pipefail
N=${1:-20000}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RCPTSYNC=$(realpath "${RCPTSYNC:-$ROOT/build/rcptsync}")
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/samba-dc.sh"
trap 'samba_dc_stop; cleanup' EXIT
[ "$(id -u)" -eq 0 ] || { echo "bench/samba.sh needs root"; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is missing"; exit 1; }

t0=$SECONDS
samba_dc_start "$WORK/dc" > "$WORK/start.log" 2>&1 || { cat "$WORK/start.log"; exit 1; }
python3 "$ROOT/tests/fixtures/gen_samba.py" "$N" "$WORK/f.ldif" "$WORK/expected" >/dev/null
samba_dc_load "$WORK/f.ldif" || exit 1
echo "# Samba AD DC with $N objects ($(wc -l < "$WORK/expected") recipients) ready in $((SECONDS - t0)) s"
printf '%s\n' "$SDC_ADMIN_PASS" > "$WORK/admin.secret"; chmod 600 "$WORK/admin.secret"
mk() {	# mk NAME EXTRA-LINES BIND
	mkdir -p "$WORK/$1"
	cat > "$WORK/$1/sync.yaml" <<EOF
source:
  ldap:
    uri: ldaps://127.0.0.1
    base: OU=Corp,DC=corp,DC=example
    page_size: 1000
    tls: {ca_file: $SDC_CA}
$2
    bind: $3
domains: [corp.example]
output:
  table: $WORK/$1/relay_recipients
safety: {max_removed: 100%}
lock: $WORK/$1/lock
EOF
}
ADMIN_BIND="{method: simple, dn: Administrator@corp.example, password_file: $WORK/admin.secret}"
SVC_BIND="{method: simple, dn: $SDC_SVC@corp.example, password_file: $SDC_PW}"
mk full "" "$SVC_BIND"
mk tombstones "    incremental: usnchanged
    deletions: tombstones" "$ADMIN_BIND"
mk listing "    incremental: usnchanged" "$SVC_BIND"
mk dirsync "    incremental: dirsync" "$SVC_BIND"
samba_dc_grant_dirsync "$SDC_SVC" || { echo "cannot grant what DirSync needs"; exit 1; }
VARIANTS="full tombstones listing dirsync"
for v in $VARIANTS; do
	in_ns "$RCPTSYNC" -q -c "$WORK/$v/sync.yaml" sync 2>/dev/null ||
		{ echo "first sync ($v) failed"; exit 1; }
	grep -v '^#' "$WORK/$v/relay_recipients" | cmp -s - "$WORK/expected" ||
		{ echo "$v: table differs from the expected one"; exit 1; }
done
# run_all JSON TITLE [PREPARE] : the four variants side by side
run_all() {
	local v args=()
	for v in $VARIANTS; do
		args+=(-n "$v" "ip netns exec $SDC_NS $RCPTSYNC -q -c $WORK/$v/sync.yaml sync")
	done
	echo "# $2"
	hyperfine -N --style none --runs "${RUNS:-10}" --warmup 1 --export-json "$1" \
		${3:+--prepare "$3"} "${args[@]}" > "$WORK/h.out" 2>&1 ||
		{ cat "$WORK/h.out"; exit 1; }
	for v in $VARIANTS; do
		grep -v '^#' "$WORK/$v/relay_recipients" | cmp -s - "$WORK/expected" ||
			{ echo "$v: table differs after the runs"; exit 1; }
	done
}
run_all "$WORK/h.json" "nothing changed"
# an object outside the base (OU=Elsewhere) changes before every run
OUTSIDE_DN=$(grep -m1 '^dn: .*,OU=Elsewhere,' "$WORK/f.ldif" | cut -c5-)
[ -n "$OUTSIDE_DN" ] || { echo "the fixture has nothing outside the base"; exit 1; }
# a new value each time: Samba does not move the USN for the same one
cat > "$WORK/outside.sh" <<SH
#!/bin/sh
printf 'dn: %s\nchangetype: modify\nreplace: description\ndescription: %s\n' \
	"$OUTSIDE_DN" "\$(date +%s%N)" | ldbmodify -H "$SDC/private/sam.ldb" >/dev/null
SH
chmod +x "$WORK/outside.sh"
OUTSIDE=$WORK/outside.sh
usn() { LDAPTLS_CACERT=$SDC_CA in_ns ldapsearch -x -LLL -H ldaps://127.0.0.1 \
	-s base -b "" highestCommittedUSN 2>/dev/null | awk '/^highest/ {print $2}'; }
before=$(usn); "$OUTSIDE"; after=$(usn)
[ -n "$before" ] && [ "$before" != "$after" ] ||
	{ echo "a change outside the base did not move the USN ($before, $after)"; exit 1; }
run_all "$WORK/h2.json" "an object outside the base changed before each run" "$OUTSIDE"
python3 "$HERE/samba_report.py" "$WORK/h.json" "$WORK/h2.json" "$N"
