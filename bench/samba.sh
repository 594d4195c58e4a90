#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Incremental against full pulls, side by side, on a real AD DC: a Samba DC
# in its own network namespace (tests/integration/samba-dc.sh) loaded with
# N mail-enabled objects (tests/fixtures/gen_samba.py), then hyperfine
# runs, with nothing changed in the directory:
#   - a full pull (sync, no change);
#   - an incremental pull, deletions: tombstones (a Deleted Objects reader);
#   - an incremental pull, deletions: listing (any account);
# and checks that all three tables are identical to the generator's.
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
for v in full tombstones listing; do
	in_ns "$RCPTSYNC" -q -c "$WORK/$v/sync.yaml" sync 2>/dev/null ||
		{ echo "first sync ($v) failed"; exit 1; }
	grep -v '^#' "$WORK/$v/relay_recipients" | cmp -s - "$WORK/expected" ||
		{ echo "$v: table differs from the expected one"; exit 1; }
done
hyperfine -N --style none --runs "${RUNS:-10}" --warmup 1 --export-json "$WORK/h.json" \
	-n "full pull, no change" -n "incremental (tombstones), no change" \
	-n "incremental (listing), no change" \
	"ip netns exec $SDC_NS $RCPTSYNC -q -c $WORK/full/sync.yaml sync" \
	"ip netns exec $SDC_NS $RCPTSYNC -q -c $WORK/tombstones/sync.yaml sync" \
	"ip netns exec $SDC_NS $RCPTSYNC -q -c $WORK/listing/sync.yaml sync" > "$WORK/h.out" 2>&1 ||
	{ cat "$WORK/h.out"; exit 1; }
for v in full tombstones listing; do
	grep -v '^#' "$WORK/$v/relay_recipients" | cmp -s - "$WORK/expected" ||
		{ echo "$v: table differs after the runs"; exit 1; }
done
python3 - "$WORK/h.json" "$N" <<'PY'
import json, statistics, sys
rs = json.load(open(sys.argv[1]))["results"]
med = {r["command"]: statistics.median(r["times"]) for r in rs}
print("\n| Samba DC, %s objects | min s | median s | speed-up |" % sys.argv[2])
print("|---|---|---|---|")
full = med["full pull, no change"]
for r in rs:
    c = r["command"]
    print("| %s | %.3f | %.3f | %.1fx |" % (c, min(r["times"]), med[c], full / med[c]))
print("\ntarget: incremental no-change >= 10x faster than full no-change: "
      "tombstones %.1fx (%s), listing %.1fx" % (
          full / med["incremental (tombstones), no change"],
          "met" if full / med["incremental (tombstones), no change"] >= 10 else "not met",
          full / med["incremental (listing), no change"]))
PY
