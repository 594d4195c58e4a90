#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Microsoft Graph benchmark (not a test): N objects (default 100,000:
# users, groups, contacts) served by the scripted Graph of the tests
# (tests/integration/graph_server.py, a private CA on 127.0.0.1), made
# from a seed by tests/integration/graph_gen.py (no file of them), 999 a
# page as Graph gives them.  Side by side in one hyperfine invocation
# (one warm-up, then RUNS runs, default 5; min and median):
#   - the floor: a token by curl, then one curl fetching every page of the
#     three collections over one connection to /dev/null (the page URLs
#     walked once beforehand: the floor parses no JSON);
#   - rcptsync sync with nothing changed (token, every page, parse,
#     normalise, compare with the table: it writes nothing);
#   - rcptsync check (the same pull, no table read).
# The table must equal graph_gen.py's expected keys exactly.  The
# server's own CPU time per run (from /proc) is printed beside them: the
# Python server is the floor's bottleneck when it is close to the floor.
# Usage: bench/graph.sh [N]       RUNS=5 RCPTSYNC=build/rcptsync SEED=1
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
IT=$ROOT/tests/integration
RCPTSYNC=$(realpath "${RCPTSYNC:-$ROOT/build/rcptsync}")
N=${1:-100000}
RUNS=${RUNS:-5}
SEED=${SEED:-1}
for t in hyperfine curl jq openssl python3 postmap; do
	command -v "$t" >/dev/null || { echo "bench: $t is missing (scripts/install-deps)"; exit 1; }
done
"$RCPTSYNC" --version | grep -q '^sources:.* graph' || { echo "bench: rcptsync built without graph"; exit 1; }
WORK=$(mktemp -d /tmp/rcptsync-bench-graph.XXXXXX)
"$ROOT/scripts/mail-config" "$WORK/mail-config"
export MAIL_CONFIG=$WORK/mail-config
SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
D=$WORK
mkdir -p "$D/g" "$D/out"

# 80 % users, 15 % groups, 5 % contacts
SPEC=$(printf '{"seed": %d, "users": %d, "groups": %d, "contacts": %d}' \
	"$SEED" $((N * 80 / 100)) $((N * 15 / 100)) $((N - N * 80 / 100 - N * 15 / 100)))
TENANT=contoso.onmicrosoft.com APP=0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b
printf 'bench-secret\n' > "$D/secret"; chmod 600 "$D/secret"
printf '{"tenant": "%s", "client_id": "%s", "client_secret": "bench-secret", "page_size": 999, "generate": %s}\n' \
	"$TENANT" "$APP" "$SPEC" > "$D/g/scenario.json"
python3 "$IT/graph_gen.py" "$SPEC" > "$D/expected"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bench CA" \
	-keyout "$D/ca.key" -out "$D/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	-keyout "$D/srv.key" -out "$D/srv.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$D/srv.ext"
openssl x509 -req -in "$D/srv.csr" -CA "$D/ca.pem" -CAkey "$D/ca.key" \
	-CAcreateserial -days 2 -extfile "$D/srv.ext" -out "$D/srv.pem" 2>/dev/null
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 "$IT/graph_server.py" "$PORT" "$D/srv.pem" "$D/srv.key" "$D/g" > "$D/server.out" 2> "$D/server.err" &
SPID=$!
for _ in $(seq 100); do grep -qx "listening $PORT" "$D/server.out" 2>/dev/null && break; sleep 0.1; done
grep -qx "listening $PORT" "$D/server.out" || { cat "$D/server.err"; exit 1; }
B=https://127.0.0.1:$PORT

cat > "$D/sync.yaml" <<EOF
source:
  graph:
    tenant: $TENANT
    client_id: $APP
    client_secret_file: $D/secret
    login_url: $B
    graph_url: $B
    tls: {ca_file: $D/ca.pem}
domains: [corp.example]
output: {table: $D/out/relay_recipients, type: hash}
safety: {max_removed: 100%}
lock: $D/out/lock
EOF

# The page URLs, walked once by following @odata.nextLink (also makes
# the server generate the objects before the timing)
TOKEN=$(curl -sf --cacert "$D/ca.pem" -d grant_type=client_credentials \
	--data-urlencode "client_id=$APP" --data-urlencode client_secret=bench-secret \
	--data-urlencode "scope=$B/.default" "$B/$TENANT/oauth2/v2.0/token" | jq -r .access_token)
: > "$D/urls"
for c in "users?\$select=id,proxyAddresses,userType" "groups?\$select=id,proxyAddresses" "contacts?\$select=id,proxyAddresses"; do
	url="$B/v1.0/$c&\$top=999"
	while [ -n "$url" ] && [ "$url" != null ]; do
		echo "url = \"$url\"" >> "$D/urls"
		echo "output = /dev/null" >> "$D/urls"
		url=$(curl -sf --cacert "$D/ca.pem" -H "Authorization: Bearer $TOKEN" "$url" | jq -r '."@odata.nextLink"')
	done
done
PAGES=$(grep -c '^url' "$D/urls")
cat > "$D/floor.sh" <<EOF
#!/bin/sh
# the floor: a token, then every page over one connection, to /dev/null
t=\$(curl -sf --cacert $D/ca.pem -d grant_type=client_credentials \\
	--data-urlencode client_id=$APP --data-urlencode client_secret=bench-secret \\
	--data-urlencode scope=$B/.default $B/$TENANT/oauth2/v2.0/token | jq -r .access_token)
exec curl -sf --cacert $D/ca.pem -H "Authorization: Bearer \$t" -K $D/urls
EOF
chmod +x "$D/floor.sh"

# the table, checked
"$RCPTSYNC" -q -c "$D/sync.yaml" sync
grep -v '^#' "$D/out/relay_recipients" | cmp -s - "$D/expected" ||
	{ echo "bench: the table differs from graph_gen.py's expected keys"; exit 1; }
postmap -s "hash:$D/out/relay_recipients" | LC_ALL=C sort | cmp -s - "$D/expected" ||
	{ echo "bench: the map differs from the expected set"; exit 1; }

# server CPU seconds (user + system) so far
srv_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$SPID/stat"; }
cpu0=$(srv_cpu)
hyperfine -N --style none --runs "$RUNS" --warmup 1 --export-json "$D/hyperfine.json" \
	-n "curl token + $PAGES pages (floor)" -n "rcptsync sync, no change" -n "rcptsync check" \
	"$D/floor.sh" "$RCPTSYNC -q -c $D/sync.yaml sync" "$RCPTSYNC -q -c $D/sync.yaml check" \
	> "$D/hyperfine.out" 2>&1 || { cat "$D/hyperfine.out"; exit 1; }
cpu1=$(srv_cpu)
grep -v '^#' "$D/out/relay_recipients" | cmp -s - "$D/expected" ||
	{ echo "bench: the table changed during the runs"; exit 1; }
# peak RSS of one sync
RSS=$(/usr/bin/time -f %M "$RCPTSYNC" -q -c "$D/sync.yaml" sync 2>&1 >/dev/null | tail -1)
# rcptsync's own stage timings (-v), three runs
for _ in 1 2 3; do
	"$RCPTSYNC" -v -c "$D/sync.yaml" sync 2>&1 | grep -E '^rcptsync: debug: stages' || true
done > "$D/stages"

python3 - "$D/hyperfine.json" "$N" "$PAGES" "$(wc -l < "$D/expected")" "$RUNS" \
	"$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { print b - a }')" "$RSS" <<'PY'
import json, statistics, sys
h = json.load(open(sys.argv[1]))["results"]
n, pages, keys, runs, srv, rss = sys.argv[2:8]
floor = statistics.median(h[0]["times"])
print("### N = %s Graph objects (%s recipients, %s pages), %s runs each\n" % (n, keys, pages, runs))
print("| variant | min s | median s | x floor | user s | sys s |")
print("|---|---|---|---|---|---|")
for r in h:
    m = statistics.median(r["times"])
    print("| %s | %.3f | %.3f | %.2f | %.3f | %.3f |" % (
        r["command"], min(r["times"]), m, m / floor, r["user"], r["system"]))
total = sum(len(r["times"]) for r in h) + 3  # and the warm-ups
print("\nThe Python server's CPU over the %d timed and warm-up runs: %.1f s, "
      "%.2f s a run on average; rcptsync sync's peak RSS %.0f MiB."
      % (total, float(srv), float(srv) / total, int(rss) / 1024))
PY
echo
sed 's/^rcptsync: debug: /rcptsync -v sync: /' "$D/stages"
