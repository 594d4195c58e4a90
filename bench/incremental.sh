#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The incremental path at scale (issue 27): a slapd dressed as an AD DC.
# Takes a directory made by bench/slapd.sh N DIR and builds DIR/incr: the
# same objects, each with what an AD DC gives an incremental pull
# (objectGUID, the MD5 of the DN; uSNChanged), a rootDSE with dnsHostName,
# highestCommittedUSN, dsServiceName and defaultNamingContext, and the
# invocationId of the NTDS Settings object (bench/ad-incremental.schema).
# Then, side by side in one hyperfine invocation (-N, one warm-up, RUNS
# runs): a full pull with nothing changed; an incremental pull
# (usnchanged, deletions: listing) with nothing changed (the USN has not
# moved: the rootDSE and the NTDS Settings object are read, no search is
# made; the same path as DirSync's with nothing changed), which trusts the
# table of the run before (cmd/unchanged.c: its seal matches); the same
# with the seal removed before each run, so that the table is rebuilt
# from the cache (the path before the seal); and one with the
# USN moved (the cache's usn is put one back before each run, so the pull
# lists every GUID and fetches the one object whose uSNChanged is the
# highest, then writes a new cache).  Then peak RSS of each, and of the
# first incremental run (a full pull through the spill), with
# /usr/bin/time.  Every table must equal DIR/expected.
# slapd's rootDSE is static, so only the cache's side of a moved USN is
# made up; what slapd does for each search is real.
# Usage: RCPTSYNC=build/rcptsync bench/incremental.sh DIR [RUNS]
set -euo pipefail
DIR=$(cd "$1" && pwd); RUNS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/..
RCPTSYNC=$(realpath "${RCPTSYNC:-$ROOT/build/rcptsync}")
BASE="DC=corp,DC=example"
I=$DIR/incr
mkdir -p "$I/db" "$I/full" "$I/none" "$I/rebuilt" "$I/moved"
. "$DIR/env"
if [ ! -s "$I/fixture.ldif" ]; then
	python3 - "$DIR/fixture.ldif" "$I/fixture.ldif" "$I/highest" <<'PY'
import base64, hashlib, sys
src, dst, highest = sys.argv[1:]
usn = 1000
out = open(dst, "w")
entry = []
def flush():
    global usn
    if not entry:
        return
    dn = entry[0][4:].rstrip("\n")
    if dn.startswith("CN=") and any(l.startswith("proxyAddresses") for l in entry):
        # slapadd -q wants an entry's objectClass values together
        at = max(i for i, l in enumerate(entry) if l.startswith("objectClass:"))
        entry.insert(at + 1, "objectClass: rcptsyncBenchObject\n")
        out.writelines(entry)
        usn += 1
        out.write("objectGUID:: %s\n" % base64.b64encode(
            hashlib.md5(dn.encode()).digest()).decode())
        out.write("uSNChanged: %d\n" % usn)
    else:
        out.writelines(entry)
    out.write("\n")
    entry.clear()
for line in open(src):
    if line == "\n":
        flush()
    else:
        entry.append(line)
flush()
out.write("dn: CN=NTDS Settings,OU=Service,DC=corp,DC=example\n"
          "objectClass: nTDSDSA\ncn: NTDS Settings\n"
          "invocationId:: %s\n\n" % base64.b64encode(b"bench-invocation").decode())
open(highest, "w").write("%d\n" % usn)
PY
fi
HIGHEST=$(cat "$I/highest")
cat > "$I/rootdse.ldif" <<LDIF
dn:
dnsHostName: dc1.corp.example
highestCommittedUSN: $HIGHEST
dsServiceName: CN=NTDS Settings,OU=Service,$BASE
defaultNamingContext: $BASE
LDIF
sed -e "s|^directory .*|directory $I/db|" -e "s|^pidfile .*|pidfile $I/slapd.pid|" \
	-e "s|^include .*tests/integration/ad.schema|include $ROOT/tests/integration/ad.schema\ninclude $HERE/ad-incremental.schema|" \
	-e "s|^index .*|index objectClass,proxyAddresses eq\nindex uSNChanged eq|" \
	"$DIR/slapd.conf" > "$I/slapd.conf"
# the rootDSE directive is global: before the database
sed -i "0,/^database/s|^database|rootDSE $I/rootdse.ldif\ndatabase|" "$I/slapd.conf"
if [ ! -s "$I/db/data.mdb" ]; then
	slapadd -q -f "$I/slapd.conf" -l "$I/fixture.ldif"
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
slapd -f "$I/slapd.conf" -h "ldap://127.0.0.1:$PORT/"
for i in $(seq 100); do [ -s "$I/slapd.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
trap 'kill "$(cat "$I/slapd.pid")" 2>/dev/null || true' EXIT
conf() { # NAME [INCREMENTAL]: DIR/rcptsync.yaml (bench/slapd.sh's) for it
	sed -e "s|ldap://127.0.0.1:[0-9]*|ldap://127.0.0.1:$PORT|" \
		-e "s|^  table: .*|  table: $I/$1/relay_recipients|" \
		-e "s|^lock: .*|lock: $I/$1/lock|" "$DIR/rcptsync.yaml" > "$I/$1/rcptsync.yaml"
	if [ -n "${2:-}" ]; then
		sed -i "s|^    base: .*|&\n    incremental: usnchanged\n    deletions: listing|" "$I/$1/rcptsync.yaml"
	fi
}
conf full; conf none yes; conf rebuilt yes; conf moved yes
check() { # NAME
	cmp -s <(grep -v '^#' "$I/$1/relay_recipients") "$DIR/expected" ||
		{ echo "$1: the table is not the generator's" >&2; exit 1; }
}
peak() { # NAME: one sync, its peak RSS in KB
	/usr/bin/time -f %M -o "$I/$1.rss" "$RCPTSYNC" -c "$I/$1/rcptsync.yaml" sync >/dev/null 2>&1
	cat "$I/$1.rss"
}
# usn_back - the moved run's cache says one USN less than the DC's; the
# rebuilt run has no seal
cat > "$I/usn-back.sh" <<SH
#!/bin/sh
sed -i "s/^usn .*/usn $((HIGHEST - 1))/" "$I/moved/relay_recipients.rcptsync-cache"
rm -f "$I/rebuilt/relay_recipients.rcptsync-seal"
SH
chmod +x "$I/usn-back.sh"
echo "first runs (peak RSS, KB): full $(peak full); incremental, a full pull through the spill $(peak none)"
for n in rebuilt moved; do
	cp "$I/none/relay_recipients.rcptsync-cache" "$I/$n/" 2>/dev/null || true
	"$RCPTSYNC" -c "$I/$n/rcptsync.yaml" sync >/dev/null 2>&1
done
for n in full none rebuilt moved; do check $n; done
"$I/usn-back.sh"
for n in none rebuilt moved; do
	echo "$n: $("$RCPTSYNC" -v -c "$I/$n/rcptsync.yaml" sync 2>&1 |
		grep -E "incremental pull|full pull|nothing changed at|built again" | tr '\n' ' ')"
done
"$I/usn-back.sh"
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$I/hyperfine.json" \
	--prepare "$I/usn-back.sh" \
	-n "full pull, no change" "$RCPTSYNC -c $I/full/rcptsync.yaml sync" \
	-n "incremental, no change (the sealed table trusted)" "$RCPTSYNC -c $I/none/rcptsync.yaml sync" \
	-n "incremental, no change, no seal (rebuilt from the cache)" "$RCPTSYNC -c $I/rebuilt/rcptsync.yaml sync" \
	-n "incremental, USN moved (listing, 1 object fetched)" "$RCPTSYNC -c $I/moved/rcptsync.yaml sync"
for n in full none rebuilt moved; do check $n; done
"$I/usn-back.sh"
echo "peak RSS (KB): full no change $(peak full); incremental no change $(peak none); no seal $(peak rebuilt); incremental USN moved $(peak moved)"
for n in full none rebuilt moved; do check $n; done
python3 - "$I/hyperfine.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["median"]
for x in r:
    print("%-52s median %.3f s  min %.3f s  %.3f x the full pull" % (
        x["command"], x["median"], x["min"], x["median"] / base))
PY
