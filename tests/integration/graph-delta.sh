#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration suite for source.graph's incremental: delta against
# graph_server.py (the scripted HTTPS Graph, which speaks Microsoft's
# delta protocol: graph_server.py says how).  Scenarios: the first round
# is full, later ones continue the deltaLinks; added and changed objects
# replace their entry whole; @removed with both reasons; a repeated
# object (the last copy wins); a user turned guest; an empty middle
# page; 429; 410 Gone and 400 syncStateNotFound (a full round); a
# deltaLink loop; a deltaLink to another host; a connection cut mid
# round; a licence drop refused by max_removed; another include set or
# another tenant's cache; full_every; diff and check only read.  Every
# failed or refused run leaves the table, the map and the cache as they
# were.  Then the proof: graph_differential.py's seeded random walks,
# after every step of which the delta run's table equals a full pull's.
# Usage: graph-delta.sh PATH/TO/rcptsync [SEED...]
#   CI runs the seeds below; a longer soak by hand, e.g.
#   GRAPH_DIFF_STEPS=200 graph-delta.sh build/rcptsync $(seq 100 119)
#   (GRAPH_DIFF_SEED=N runs that one seed only.)
RCPTSYNC=$(realpath "$1"); shift
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require python3 openssl timeout cmp postmap
python3 -c 'import cryptography' 2>/dev/null || require python3-cryptography
"$RCPTSYNC" --version | grep -q '^sources:.* graph' || {
	echo "SKIP: rcptsync built without graph"
	[ "${CI:-}" = true ] && exit 1
	exit 77
}
SEEDS=("$@")
[ ${#SEEDS[@]} -gt 0 ] || SEEDS=(1 2 3)
[ -n "${GRAPH_DIFF_SEED:-}" ] && SEEDS=("$GRAPH_DIFF_SEED")

D=$WORK
mkdir -p "$D/out" "$D/full" "$D/g"
TENANT=contoso.onmicrosoft.com
APP=0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b
TABLE=$D/out/relay_recipients
CACHE=$TABLE.rcptsync-cache.graph

make_ca "$D" graph || { echo "cannot make the test CA"; exit 1; }
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=rcptsync app" \
	-keyout "$D/app.key" -out "$D/app.pem" 2>/dev/null
cat "$D/app.pem" "$D/app.key" > "$D/app-both.pem"
chmod 600 "$D/app.key" "$D/app-both.pem"

PORT=$(free_port)
python3 "$HERE/graph_server.py" "$PORT" "$D/graph.pem" "$D/graph.key" "$D/g" \
	> "$D/server.out" 2> "$D/server.err" &
SPID=$!; CLEANUP_PIDS+=("$SPID")

# scenario [JSON-EXTRA] : the directory the server serves, plus EXTRA
# keys; "objects" given in EXTRA replace the base ones per collection
scenario() {
	python3 - "$D/g/scenario.json" "$D/app.pem" "${1:-}" <<'PY'
import json, sys
extra = json.loads("{" + sys.argv[3] + "}")
objects = {
    "users": [
        {"id": "u1", "userType": "Member", "proxyAddresses": [
            "SMTP:alice@contoso.com", "smtp:a@contoso.com",
            "SIP:alice@contoso.com"]},
        {"id": "u2", "userType": "Member",
         "proxyAddresses": ["SMTP:shared@contoso.com"]},
        {"id": "u3", "userType": "Guest",
         "proxyAddresses": ["SMTP:guest@fabrikam.com"]},
        {"id": "u4", "userType": "Member", "proxyAddresses": [
            "SMTP:bob@contoso.com", "smtp:bob2@contoso.com"]},
        {"id": "u5", "userType": "Member", "proxyAddresses": []},
    ],
    "groups": [
        {"id": "g1", "proxyAddresses": ["SMTP:team@contoso.com"]},
        {"id": "g2", "proxyAddresses": ["SMTP:sales@contoso.com"]},
    ],
    "contacts": [{"id": "c1", "proxyAddresses": ["SMTP:partner@contoso.com"]}],
}
objects.update(extra.pop("objects", {}))
for k in ("users", "groups", "contacts"):
    objects[k] += extra.pop("add_" + k, [])
    drop = extra.pop("drop_" + k, [])
    objects[k] = [o for o in objects[k] if o["id"] not in drop]
sc = {"tenant": "contoso.onmicrosoft.com",
      "client_id": "0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b",
      "client_cert": sys.argv[2], "page_size": 2, "objects": objects}
sc.update(extra)
sc["generation"] = __import__("time").time_ns()  # faults count anew
json.dump(sc, open(sys.argv[1], "w"))
PY
	: > "$D/g/requests.log"
}

# conf FILE [GRAPH_LINES] [TOP_LINES] [TABLE] : incremental: delta
conf() {
	cat > "$1" <<YAML
source:
  graph:
    tenant: $TENANT
    client_id: $APP
    login_url: https://127.0.0.1:$PORT
    graph_url: https://127.0.0.1:$PORT
    certificate_file: $D/app-both.pem
    timeout: 15
    tls: {ca_file: $D/graph-ca.pem}
${2:-    incremental: delta}
domains: [contoso.com]
output:
  table: ${4:-$TABLE}
lock: ${4:-$TABLE}.lock
safety: {max_removed: 100%}
${3:-}
YAML
}

# table_is WANT... : the table's keys are exactly WANT
table_is() {
	local want got
	want=$(printf '%s\n' "$@" | sort)
	got=$(grep -v '^#' "$TABLE" | cut -f1 -d' ' | cut -f1 | sort)
	[ "$want" = "$got" ] || { diff <(echo "$want") <(echo "$got") | sed 's/^/    /'; return 1; }
}

# save / untouched NAME : the table, the map and the cache as they were
save() {
	SAVED=$(inode_mtime "$TABLE") SAVED_DB=$(inode_mtime "$TABLE.db")
	cp "$CACHE" "$D/cache.saved"
}
untouched() {
	check "$1: table untouched" same_state "$SAVED" "$TABLE"
	check "$1: map untouched" same_state "$SAVED_DB" "$TABLE.db"
	check "$1: cache and deltaLinks untouched" cmp -s "$CACHE" "$D/cache.saved"
}

# log_count PATTERN : requests.log lines matching PATTERN
log_count() { grep -c -- "$1" "$D/g/requests.log"; }

for i in $(seq 100); do
	grep -qx "listening $PORT" "$D/server.out" 2>/dev/null && break
	sleep 0.1
done
grep -qx "listening $PORT" "$D/server.out" || { echo "server did not start:"; cat "$D/server.err"; exit 1; }

BASE=(alice@contoso.com a@contoso.com shared@contoso.com bob@contoso.com
	bob2@contoso.com team@contoso.com sales@contoso.com partner@contoso.com)
C=$D/sync.yaml
conf "$C"

# --- the first run is a full round; the next ones continue it
scenario '"empty_page": {"users": 1}'
expect_rc "first delta run" 0 "$RCPTSYNC" -v -c "$C" sync
check "first run: the whole table, no guest, no SIP" table_is "${BASE[@]}"
contains "-v: why a full round (no cache yet)" "a full delta round: no cache yet"
contains "first run: the guest left out is no removal" "objects changed, 0 removed,"
check "first run: /users/delta with \$select and no \$top" \
	grep -q '"path": "/v1.0/users/delta", "page": 0, "query": "$select=id,proxyAddresses,userType"' "$D/g/requests.log"
check "first run: no \$top on delta" lacks 'delta.*top=' "$D/g/requests.log"
check "first run: the empty page was served and followed" grep -q '"delta": true.*"objects": 0' "$D/g/requests.log"
check "the cache is written beside the table" test -s "$CACHE"
check "the cache keeps a deltaLink per collection" bash -c "grep '^cookie ' '$CACHE' | cut -d' ' -f2 | xxd -r -p | tr '\0' '\n' | grep -c 'delta?\\\$deltatoken=' | grep -qx 3"
scenario
expect_rc "no change: an incremental round" 0 "$RCPTSYNC" -v -c "$C" sync
contains "no change: says incremental" "an incremental delta round, 0 objects changed"
check "no change: each collection from its deltaLink" [ "$(log_count 'deltatoken=[0-9a-f]')" -eq 3 ]
check "no change: table" table_is "${BASE[@]}"

# --- changes: an added user, an alias edit, removals with both reasons
scenario '"add_users": [{"id": "u9", "userType": "Member", "proxyAddresses": ["SMTP:new@contoso.com"]}], "objects": {"groups": [{"id": "g1", "proxyAddresses": ["SMTP:team@contoso.com", "smtp:team2@contoso.com"]}]}, "drop_contacts": ["c1"], "removed_reason": {"g2": "deleted", "c1": "changed"}'
expect_rc "changes: added, edited, removed" 0 "$RCPTSYNC" -v -c "$C" sync
check "changes: the table follows" table_is alice@contoso.com a@contoso.com shared@contoso.com bob@contoso.com bob2@contoso.com team@contoso.com team2@contoso.com new@contoso.com
check "changes: the server sent @removed deleted (g2) and changed (c1)" \
	bash -c "grep -q '\"reason\": \"deleted\"' '$D/g/sent.jsonl' && grep -q '\"reason\": \"changed\"' '$D/g/sent.jsonl'"
check "changes: only the changed objects were sent" [ "$(grep -h '"delta": true' "$D/g/requests.log" | python3 -c 'import json,sys; print(sum(json.loads(l).get("objects",0) for l in sys.stdin))')" -eq 4 ]
# a soft-deleted contact comes back (restored within 30 days)
scenario '"add_users": [{"id": "u9", "userType": "Member", "proxyAddresses": ["SMTP:new@contoso.com"]}], "objects": {"groups": [{"id": "g1", "proxyAddresses": ["SMTP:team@contoso.com", "smtp:team2@contoso.com"]}, {"id": "g2", "proxyAddresses": ["SMTP:sales@contoso.com"]}]}'
expect_rc "a restored object" 0 "$RCPTSYNC" -c "$C" sync
check "restored: g2 and c1 back" table_is "${BASE[@]}" team2@contoso.com new@contoso.com

# --- a repeated object: the last copy wins
scenario '"repeat": {"users": ["u1", "u4"]}'
expect_rc "a repeated object" 0 "$RCPTSYNC" -c "$C" sync
check "repeated: a stale copy was sent first" grep -q 'stale-u1@contoso.com' "$D/g/sent.jsonl"
check "repeated: the last copy won" table_is "${BASE[@]}"

# --- deltaLinks too long for the cache: said, and the next run is full
scenario '"long_token": {"users": 17000}'
expect_rc "a 17000-byte deltaLink" 0 "$RCPTSYNC" -c "$C" sync
contains "long deltaLink: the warning says the next run is full" "more than the incremental cache keeps: they are not saved, and the run after this one's cache is a full delta round"
scenario
expect_rc "after the long deltaLink" 0 "$RCPTSYNC" -v -c "$C" sync
contains "long deltaLink: the next run was a full round" "a full delta round"
check "long deltaLink: the table" table_is "${BASE[@]}"
expect_rc "then incremental again" 0 "$RCPTSYNC" -v -c "$C" sync
contains "long deltaLink: incremental again" "an incremental delta round"

# --- a user turned guest drops out; back to member, back in
scenario '"objects": {"users": [{"id": "u1", "userType": "Member", "proxyAddresses": ["SMTP:alice@contoso.com", "smtp:a@contoso.com"]}, {"id": "u2", "userType": "Member", "proxyAddresses": ["SMTP:shared@contoso.com"]}, {"id": "u3", "userType": "Guest", "proxyAddresses": ["SMTP:guest@fabrikam.com"]}, {"id": "u4", "userType": "Guest", "proxyAddresses": ["SMTP:bob@contoso.com", "smtp:bob2@contoso.com"]}, {"id": "u5", "userType": "Member", "proxyAddresses": []}]}'
expect_rc "a user turned guest" 0 "$RCPTSYNC" -c "$C" sync
check "guest: bob and bob2 gone" table_is alice@contoso.com a@contoso.com shared@contoso.com team@contoso.com sales@contoso.com partner@contoso.com
scenario
expect_rc "the guest a member again" 0 "$RCPTSYNC" -c "$C" sync
check "member again: back" table_is "${BASE[@]}"

# --- throttled within a delta round
scenario '"add_users": [{"id": "u9", "userType": "Member", "proxyAddresses": ["SMTP:new@contoso.com"]}], "faults": [{"set": "users", "page": 0, "status": 429, "retry_after": 0, "delta": true}]'
expect_rc "429 in a delta round: waited out" 0 "$RCPTSYNC" -c "$C" sync
check "429: the round asked again" [ "$(log_count '"status": 429')" -eq 1 ]
check "429: table" table_is "${BASE[@]}" new@contoso.com

# --- a licence drop is an ordinary removal: max_removed refuses it
scenario '"objects": {"users": [{"id": "u1", "userType": "Member", "proxyAddresses": ["SMTP:alice@contoso.com"]}, {"id": "u2", "userType": "Member", "proxyAddresses": ["SMTP:shared@contoso.com"]}, {"id": "u4", "userType": "Member", "proxyAddresses": ["SMTP:bob@contoso.com"]}]}'
conf "$D/strict.yaml" "" "" ""
sed -i 's/max_removed: 100%/max_removed: 1/' "$D/strict.yaml"
save
expect_rc "licence drop past max_removed: refused" 65 "$RCPTSYNC" -c "$D/strict.yaml" sync
untouched "licence drop refused"
expect_rc "licence drop: the next run sees it again" 65 "$RCPTSYNC" -c "$D/strict.yaml" sync
untouched "licence drop refused twice"
expect_rc "licence drop: --force" 0 "$RCPTSYNC" -c "$D/strict.yaml" sync --force
check "licence drop: applied" table_is alice@contoso.com shared@contoso.com bob@contoso.com team@contoso.com sales@contoso.com partner@contoso.com
scenario
"$RCPTSYNC" -c "$C" -q sync || bad "reset"

# --- Graph asks for a full round: 410 Gone, 400 syncStateNotFound
for how in gone syncStateNotFound; do
	scenario '"token_expiry": {"groups": "'$how'"}, "drop_groups": ["g2"]'
	# check only reads: the abandoned round's pages are not counted
	"$RCPTSYNC" -c "$C" check --json > "$D/check.json" 2>/dev/null
	check "$how: check's pages are the full round's" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(j["pages"] != sum(j["graph"]["pages"].values()))' "$D/check.json"
	scenario '"token_expiry": {"groups": "'$how'"}, "drop_groups": ["g2"]'
	expect_rc "$how: a full round" 0 "$RCPTSYNC" -v -c "$C" sync
	contains "$how: -v says why" "Graph asks for a full round"
	check "$how: every collection read from nothing" [ "$(log_count 'query": "$select=id,proxyAddresses,userType"')" -eq 1 ]
	check "$how: the table" table_is alice@contoso.com a@contoso.com shared@contoso.com bob@contoso.com bob2@contoso.com team@contoso.com partner@contoso.com
	scenario
	expect_rc "$how: then incremental again" 0 "$RCPTSYNC" -v -c "$C" sync
	contains "$how: incremental again" "an incremental delta round"
	check "$how: g2 back" table_is "${BASE[@]}"
done
scenario '"token_expiry": {"users": "gone"}, "faults": [{"set": "users", "page": 0, "status": 410, "delta": true, "times": 2}]'
save
expect_rc "410 in the full round too: 75" 75 "$RCPTSYNC" -c "$C" sync
untouched "410 twice"

# --- loops, a foreign deltaLink, a cut connection: 75/69, nothing moves
scenario '"loop": "groups"'
save
expect_rc "a round whose last nextLink is its deltaLink: 75" 75 "$RCPTSYNC" -c "$C" sync
contains "loop: says seen twice" "seen twice"
untouched "deltaLink loop"
scenario '"nextlink_host": "contacts"'
expect_rc "a deltaLink to another host: 69" 69 "$RCPTSYNC" -c "$C" sync
contains "another host: named" "@odata.deltaLink https://evil.example"
untouched "foreign deltaLink"
scenario '"add_users": [{"id": "u9", "userType": "Member", "proxyAddresses": ["SMTP:new@contoso.com"]}], "faults": [{"set": "groups", "page": 0, "drop": true, "delta": true}]'
expect_rc "a connection cut mid-round: 75" 75 "$RCPTSYNC" -c "$C" sync
untouched "cut connection"
expect_rc "after the cut: the changes are still seen" 0 "$RCPTSYNC" -c "$C" sync
check "after the cut: u9 in" table_is "${BASE[@]}" new@contoso.com
scenario
"$RCPTSYNC" -c "$C" -q sync || bad "reset"

# --- diff and check only read the cache
scenario '"drop_users": ["u4"], "add_contacts": [{"id": "c7", "proxyAddresses": ["SMTP:c7@contoso.com"]}]'
cp "$CACHE" "$D/cache.before"
expect_rc "diff with delta: changes (exit 1)" 1 "$RCPTSYNC" -c "$C" diff
contains "diff: the removal" "-bob2@contoso.com"
contains "diff: the addition, named" "graph:contacts/c7"
expect_rc "check with delta" 0 "$RCPTSYNC" -c "$C" check
check "diff and check: the cache unchanged" cmp -s "$CACHE" "$D/cache.before"
expect_rc "sync after diff: still sees the removal" 0 "$RCPTSYNC" -c "$C" sync
check "sync after diff: bob gone, c7 in" table_is alice@contoso.com a@contoso.com shared@contoso.com team@contoso.com sales@contoso.com partner@contoso.com c7@contoso.com
scenario
"$RCPTSYNC" -c "$C" -q sync || bad "reset"

# --- any doubt means a full round
conf "$D/inc.yaml" "    incremental: delta
    include: [users, groups]"
expect_rc "include changed: a full round" 0 "$RCPTSYNC" -v -c "$D/inc.yaml" sync
contains "include changed: -v says so" "a full delta round: include changed"
check "include changed: no contact" table_is alice@contoso.com a@contoso.com shared@contoso.com bob@contoso.com bob2@contoso.com team@contoso.com sales@contoso.com
sed -i 's/^account .*/account 0123456789abcdef/' "$CACHE"
expect_rc "another tenant's cache: a full round" 0 "$RCPTSYNC" -v -c "$C" sync
contains "another tenant: -v says so" "tenant, client_id or graph_url changed"
check "another tenant: the table" table_is "${BASE[@]}"
printf 'garbage\n' > "$CACHE"
expect_rc "an unreadable cache: a full round" 0 "$RCPTSYNC" -c "$C" sync
contains "unreadable cache: warned" "malformed cache line"
conf "$D/often.yaml" "    incremental: delta
    full_every: 1s"
sleep 2
expect_rc "full_every passed: a full round" 0 "$RCPTSYNC" -v -c "$D/often.yaml" sync
contains "full_every: -v says so" "full_every passed"

check "every property sent is in Microsoft's schema (graph_schema.txt)" \
	python3 "$HERE/graph_schema.py" check "$HERE/graph_schema.txt" "$D/g/sent.jsonl"

# --- the proof: seeded random walks, delta against a full pull
conf "$D/diff-delta.yaml" "" "" "$D/out/walk"
conf "$D/diff-strict.yaml" "" "" "$D/out/walk"
sed -i 's/max_removed: 100%/max_removed: 1/' "$D/diff-strict.yaml"
conf "$D/diff-full.yaml" "    incremental: none" "" "$D/full/walk"
for seed in "${SEEDS[@]}"; do
	check "seed $seed: after every step the delta table is the full pull's" \
		env RCPTSYNC="$RCPTSYNC" SCENARIO="$D/g/scenario.json" \
		APP_CERT="$D/app.pem" REQUESTS="$D/g/requests.log" \
		python3 "$HERE/graph_differential.py" --steps "${GRAPH_DIFF_STEPS:-25}" \
		--seed "$seed" "$D/diff-delta.yaml" "$D/diff-strict.yaml" \
		"$D/diff-full.yaml" "$D/out/walk" "$D/full/walk"
done
check "the walks' objects are in Microsoft's schema too" \
	python3 "$HERE/graph_schema.py" check "$HERE/graph_schema.txt" "$D/g/sent.jsonl"

finish
