#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The differential test (differential.py says what it does): a Samba AD DC
# of its own, in a network namespace (samba-dc.sh), and seeded random
# sequences of directory changes and faults after each of which every
# incremental mode must publish exactly what a full pull publishes.
# Usage: differential.sh PATH/TO/rcptsync [SEED...]
#   CI runs the seeds below; a longer soak by hand, e.g.
#   DIFF_STEPS=40 differential.sh build/rcptsync $(seq 100 129)
RCPTSYNC=$(realpath "$1"); shift
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/samba-dc.sh"
require_root "a network namespace and a Samba AD DC"
require samba samba-tool ldbadd ldbmodify ldbsearch ldapmodify ip python3
SEEDS=("$@"); [ ${#SEEDS[@]} -gt 0 ] || SEEDS=(1 2 3 4 1001)
stop_dc() {
	[ -s "$WORK/dc.pid" ] && SDC_PID=$(cat "$WORK/dc.pid")
	samba_dc_stop
}
trap 'stop_dc; cleanup' EXIT

t0=$SECONDS
samba_dc_start "$WORK/dc" || { echo "cannot start the Samba DC"; exit 1; }
echo "$SDC_PID" > "$WORK/dc.pid"
# every mode binds as the service account: DirSync's replication right,
# and read access to CN=Deleted Objects for tombstones (and DirSync)
samba_dc_grant_dirsync "$SDC_SVC" || { echo "cannot grant the DirSync rights"; exit 1; }
printf '%s' "$SDC_ADMIN_PASS" > "$WORK/admin.secret"; chmod 600 "$WORK/admin.secret"
echo "# DC provisioned, started and granted in $((SECONDS - t0)) s"
mkdir -p "$WORK/diff"
RCPTSYNC=$RCPTSYNC SDC_NS=$SDC_NS SDC=$SDC SDC_CA=$SDC_CA SDC_SVC=$SDC_SVC \
	SDC_PW=$SDC_PW ADMIN_PW_FILE=$WORK/admin.secret DIFF_WORK=$WORK/diff \
	SDC_PIDFILE=$WORK/dc.pid \
	python3 "$HERE/differential.py" --steps "${DIFF_STEPS:-15}" "${SEEDS[@]}"
