#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The output directory fails under rcptsync: full (a small tmpfs), read-only
# (remounted), not writable for the user running it.  Each must end with
# exit 73, the old table and map intact and still answering, and no
# temporary file left after the next good run.  Needs root (mount).
# Usage: outputfaults.sh PATH/TO/rcptsync
RCPTSYNC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require postmap setpriv
require_root "mount"
D=$WORK
chmod 755 "$D"
mk_ldif "$D/small.ldif" 0 19 "SMTP:user.number%06d@corp.example"
mk_ldif "$D/big.ldif" 0 19999 "SMTP:user.number%06d@corp.example"
mkconf() {	# mkconf NAME LDIF OUTDIR
	printf 'source:\n  ldif: %s\noutput:\n  table: %s/relay\nlock: %s/%s.lock\n' \
		"$2" "$3" "$D" "$1" > "$D/$1.yaml"
	chmod 644 "$D/$1.yaml"
}
leftovers() { ls -a "$1" | grep -c 'rcptsync-tmp'; }

# --- disk full ------------------------------------------------------------------
M=$D/full; mkdir "$M"
mount -t tmpfs -o size=256k tmpfs "$M" && CLEANUP_MOUNTS+=("$M") || { bad "mount tmpfs"; finish; }
mkconf small-full "$D/small.ldif" "$M"; mkconf big-full "$D/big.ldif" "$M"
expect_rc "small table fits" 0 "$RCPTSYNC" -c "$D/small-full.yaml" sync
old_t=$(inode_mtime "$M/relay"); old_d=$(inode_mtime "$M/relay.db")
expect_rc "disk full: exit 73" 73 "$RCPTSYNC" -c "$D/big-full.yaml" sync --force
contains "disk full is named" "No space left on device"
check "disk full: old table intact" same_state "$old_t" "$M/relay"
check "disk full: old map intact" same_state "$old_d" "$M/relay.db"
check "disk full: old map still answers" test "$(postmap -q user.number000007@corp.example "hash:$M/relay")" = OK
check "disk full: no temporary file left behind" test "$(leftovers "$M")" -eq 0
expect_rc "status reports the failed run" 2 "$RCPTSYNC" -c "$D/big-full.yaml" status

# --- read-only ------------------------------------------------------------------
mount -o remount,ro "$M" || bad "remount read-only"
expect_rc "read-only: exit 73" 73 "$RCPTSYNC" -c "$D/big-full.yaml" sync --force
contains "read-only is named" "Read-only file system"
check "read-only: old map intact" same_state "$old_d" "$M/relay.db"
check "read-only: old map still answers" test "$(postmap -q user.number000007@corp.example "hash:$M/relay")" = OK
umount "$M"

# --- permission denied ---------------------------------------------------------
P=$D/perm; mkdir "$P"; chmod 755 "$P"
mkconf small-perm "$D/small.ldif" "$P"; mkconf big-perm "$D/big.ldif" "$P"
chmod 644 "$D/small.ldif" "$D/big.ldif"
expect_rc "root writes the first table" 0 "$RCPTSYNC" -c "$D/small-perm.yaml" sync
old_d=$(inode_mtime "$P/relay.db")
touch "$D/big-perm.lock"; chown nobody "$D/big-perm.lock"
# nobody may not reach the build tree (CI clones anywhere): use a copy,
# with what a wrapper (scripts/test's valgrind one) expects beside it.
install -m 755 "$RCPTSYNC" "$D/rcptsync-copy"
for f in rcptsync valgrind.supp; do
	[ -e "$(dirname "$RCPTSYNC")/$f" ] && install -m 755 "$(dirname "$RCPTSYNC")/$f" "$D/$f"
done
expect_rc "permission denied: exit 73" 73 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$D/rcptsync-copy" -c "$D/big-perm.yaml" sync --force
contains "permission denied is named" "Permission denied"
check "permission denied: old map intact" same_state "$old_d" "$P/relay.db"
check "permission denied: no temporary file left" test "$(leftovers "$P")" -eq 0
expect_rc "the next run with rights succeeds" 0 "$RCPTSYNC" -c "$D/big-perm.yaml" sync --force
check "and the map is complete" test "$(postmap -s "hash:$P/relay" | wc -l)" -eq 20000
finish
