#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The packaged setup as shipped (run by scripts/package-test, with the .deb
# installed): /usr/share/doc/rcptsync/sync.yaml.example copied to
# /etc/rcptsync/sync.yaml with only the directory filled in, run by the
# installed binary under the shipped unit's constraints.  systemd is not
# PID 1 here, so they are emulated: as the user rcptsync, in a private
# mount namespace in which every mount is read-only but /var/lib/rcptsync
# (ReadWritePaths=) and /run/rcptsync (RuntimeDirectory=), as
# ProtectSystem=strict makes it.  The directory is a slapd started here on
# 127.0.0.1 with LDAPS.  Prints "N passed, N failed".  Needs root.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require_root "the packaged user and a mount namespace"
require slapd slapadd setpriv unshare findmnt openssl python3 postmap
EXAMPLE=/usr/share/doc/rcptsync/sync.yaml.example
[ -x /usr/sbin/rcptsync ] && [ -f "$EXAMPLE" ] ||
	{ echo "the .deb is not installed"; exit 1; }
D=$WORK
BASE="DC=corp,DC=example"
SLAPD=$(command -v slapd)

# --- a directory: slapd over LDAPS, with a service account ------------------
make_ca "$D" dc || { echo "cannot make the test CA"; exit 1; }
python3 "$HERE/../fixtures/gen_ad.py" 300 "$D/fixture.ldif" "$D/expected" || exit 1
ad_service_account "$BASE" s3cret-Pa55 >> "$D/fixture.ldif"
printf 'dn: CN=Postmaster,%s\nobjectClass: user\ncn: Postmaster\nproxyAddresses: SMTP:postmaster@corp.example\n\n' \
	"$BASE" >> "$D/fixture.ldif"
slapd_conf "$D" "$BASE" dc
slapadd -q -f "$D/slapd.conf" -l "$D/fixture.ldif" || { echo "slapadd failed"; exit 1; }
SPORT=$(free_port)
"$SLAPD" -f "$D/slapd.conf" -h "ldaps://127.0.0.1:$SPORT/" -d 0 2>>"$D/slapd.log" &
CLEANUP_PIDS+=("$!")
wait_port "$SPORT" || { echo "slapd did not start"; exit 1; }

# --- the admin's part: the example, with only the directory filled in -------
# (kept aside and put back afterwards: the package may hold an admin's own)
SAVED=$D/etc-rcptsync; mkdir -p "$SAVED"
cp -a /etc/rcptsync/. "$SAVED/" 2>/dev/null
restore_etc() {
	rm -rf /etc/rcptsync/sync.yaml /etc/rcptsync/bind.secret /etc/rcptsync/ad-ca.pem
	cp -a "$SAVED/." /etc/rcptsync/ 2>/dev/null
	rm -f /var/lib/rcptsync/relay_recipients* /run/rcptsync/rcptsync.lock
}
trap 'restore_etc; cleanup' EXIT
install -m 644 "$D/dc-ca.pem" /etc/rcptsync/ad-ca.pem
install -m 600 -o rcptsync /dev/null /etc/rcptsync/bind.secret
printf 's3cret-Pa55\n' > /etc/rcptsync/bind.secret
sed -e "s|uri: \[ldaps://dc1.corp.example, ldaps://dc2.corp.example\]|uri: ldaps://127.0.0.1:$SPORT|" \
	-e "s|dn: svc-rcptsync@corp.example |dn: \"CN=svc-rcptsync,OU=Service,$BASE\" |" \
	"$EXAMPLE" > /etc/rcptsync/sync.yaml
check "only the directory differs from the example" \
	test "$(diff "$EXAMPLE" /etc/rcptsync/sync.yaml | grep -c '^>')" -eq 2

# --- RuntimeDirectory=rcptsync, and the unit's read-only system ----------------
mkdir -p /run/rcptsync && chown rcptsync:rcptsync /run/rcptsync && chmod 755 /run/rcptsync
cat > "$D/unit.sh" <<'UNIT'
#!/bin/sh
# inside the private mount namespace: ReadWritePaths and RuntimeDirectory
# stay writable, every other mount becomes read-only (ProtectSystem=strict)
set -e
mount --bind /var/lib/rcptsync /var/lib/rcptsync
mount --bind /run/rcptsync /run/rcptsync
findmnt -rno TARGET | while read -r m; do
	case $m in
	/var/lib/rcptsync|/run/rcptsync|/proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue ;;
	esac
	mount -o remount,bind,ro "$m" 2>/dev/null || true
done
# the proof that it is read-only here
if touch /etc/rcptsync/.rw-probe 2>/dev/null; then
	rm -f /etc/rcptsync/.rw-probe; echo "/etc is writable"; exit 99
fi
exec setpriv --reuid rcptsync --regid rcptsync --init-groups \
	/usr/sbin/rcptsync -c /etc/rcptsync/sync.yaml "$@"
UNIT
chmod 755 "$D/unit.sh"
unit() { unshare --mount --propagation private "$D/unit.sh" "$@"; }

expect_rc "check under the unit's constraints" 0 unit check
expect_rc "sync under the unit's constraints" 0 unit sync
contains "the map was written" "map written hash:/var/lib/rcptsync/relay_recipients"
{ cat "$D/expected"; printf 'postmaster@corp.example\tOK\n'; } | LC_ALL=C sort > "$D/want"
check "the table is exactly the directory's" \
	bash -c 'grep -v "^#" /var/lib/rcptsync/relay_recipients | cmp -s - "$1"' _ "$D/want"
check "Postfix's postmap finds a recipient" \
	test "$(postmap -q postmaster@corp.example hash:/var/lib/rcptsync/relay_recipients)" = OK
check "the files are rcptsync's" \
	test "$(stat -c %U /var/lib/rcptsync/relay_recipients.db)" = rcptsync
expect_rc "a second sync: nothing changed, nothing written" 0 unit sync
contains "no change" "no change to hash:/var/lib/rcptsync/relay_recipients"
expect_rc "status as root" 0 /usr/sbin/rcptsync -c /etc/rcptsync/sync.yaml status
expect_rc "check as root by hand reads the rcptsync-owned password" 0 \
	/usr/sbin/rcptsync -c /etc/rcptsync/sync.yaml check
finish
