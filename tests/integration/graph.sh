#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration suite for source.graph (Exchange Online through Microsoft
# Graph) against graph_server.py, a scripted HTTPS Graph (no tenant can
# run here) with a private CA on 127.0.0.1, whose token endpoint checks
# the PS256 client assertion against the app's certificate.  Every
# object it sends is checked against the schema list derived from
# Microsoft's CSDL (graph_schema.txt).  Scenarios: certificate and
# secret credentials, paging with an empty middle page, guests, hostile
# values, 429 with and without Retry-After, an expired token (401), 403,
# a nextLink loop, a nextLink to another host, a server that stops
# answering, malformed JSON, the page and body limits, an unreachable
# server, a licence drop, the union with an LDIF source, check, diff,
# explain and the metrics.  Every failure leaves the table and the map as they were.
# Usage: graph.sh PATH/TO/rcptsync
RCPTSYNC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require python3 openssl timeout cmp
python3 -c 'import cryptography' 2>/dev/null || require python3-cryptography
"$RCPTSYNC" --version | grep -q '^sources:.* graph' || {
	echo "SKIP: rcptsync built without graph"
	[ "${CI:-}" = true ] && exit 1
	exit 77
}

D=$WORK
mkdir -p "$D/out" "$D/g"
TENANT=contoso.onmicrosoft.com
APP=0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b

# the server's certificate (private CA), the app's certificate and key
make_ca "$D" graph || { echo "cannot make the test CA"; exit 1; }
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=rcptsync app" \
	-keyout "$D/app.key" -out "$D/app.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=another app" \
	-keyout "$D/other.key" -out "$D/other.pem" 2>/dev/null
cat "$D/app.pem" "$D/app.key" > "$D/app-both.pem"
printf 'very-secret~value\n' > "$D/secret"
chmod 600 "$D/app.key" "$D/app-both.pem" "$D/secret" "$D/other.key"

PORT=$(free_port)
python3 "$HERE/graph_server.py" "$PORT" "$D/graph.pem" "$D/graph.key" "$D/g" \
	> "$D/server.out" 2> "$D/server.err" &
SPID=$!; CLEANUP_PIDS+=("$SPID")

# scenario [JSON-EXTRA] : the directory the server serves, plus EXTRA
# keys (a JSON object's members, without braces)
scenario() {
	python3 - "$D/g/scenario.json" "$D/app.pem" "${1:-}" <<'PY'
import json, sys
extra = json.loads("{" + sys.argv[3] + "}")
users = [
    {"id": "u1", "userType": "Member", "accountEnabled": True,
     "proxyAddresses": ["SMTP:alice@contoso.com", "smtp:a@contoso.com",
                        "SIP:alice@contoso.com", "SPO:SPO_1234@SPO_abcd",
                        "EUM:1234;phone-context=x", "X500:/o=Org/cn=alice"]},
    {"id": "u2", "userType": "Member", "accountEnabled": False,
     "proxyAddresses": ["SMTP:shared@contoso.com"]},
    {"id": "u3", "userType": "Guest", "accountEnabled": True,
     "proxyAddresses": ["SMTP:guest@fabrikam.com",
                        "smtp:guestalias@contoso.com"]},
    {"id": "u4", "userType": "Member",
     "proxyAddresses": ["SMTP:bob@contoso.com", "smtp:bob2@contoso.com",
                        "smtp:bob3@contoso.com"]},
    {"id": "u5", "userType": "Member", "proxyAddresses": []},
    {"id": "u6", "userType": None,
     "proxyAddresses": ["SMTP: spaced@contoso.com", "smtp:ok6@contoso.com"]},
]
groups = [
    {"id": "g1", "mailEnabled": True, "groupTypes": ["Unified"],
     "proxyAddresses": ["SMTP:team@contoso.com", "smtp:team@contoso.mail.onmicrosoft.com"]},
    {"id": "g2", "mailEnabled": True, "groupTypes": [],
     "proxyAddresses": ["SMTP:sales@contoso.com"]},
]
contacts = [{"id": "c1", "proxyAddresses": ["SMTP:partner@contoso.com"]}]
sc = {"tenant": "contoso.onmicrosoft.com",
      "client_id": "0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b",
      "client_cert": sys.argv[2], "client_secret": "very-secret~value",
      "page_size": 2,
      "objects": {"users": users, "groups": groups, "contacts": contacts}}
sc.update(extra)
sc["generation"] = __import__("time").time_ns()  # faults count anew
for k in ("users", "groups", "contacts"):
    if "add_" + k in sc:
        sc["objects"][k] += sc.pop("add_" + k)
json.dump(sc, open(sys.argv[1], "w"))
PY
	: > "$D/g/requests.log"
}

# conf FILE [GRAPH_LINES] [TOP_LINES] [SOURCE_LINES] : a config reading the
# scripted server with the certificate, writing $D/out/relay_recipients
conf() {
	cat > "$1" <<YAML
source:
${4:-}
  graph:
    tenant: $TENANT
    client_id: $APP
    login_url: https://127.0.0.1:$PORT
    graph_url: https://127.0.0.1:$PORT/
    timeout: ${TIMEOUT:-5}
    tls: {ca_file: $D/graph-ca.pem}
${2:-    certificate_file: $D/app-both.pem}
domains: [contoso.com]
output:
  table: $D/out/relay_recipients
lock: $D/out/lock
safety: {max_removed: 100%}
${3:-}
YAML
}

# table_is WANT... : the table's keys are exactly WANT (sorted)
table_is() {
	local want got
	want=$(printf '%s\n' "$@" | sort)
	got=$(grep -v '^#' "$D/out/relay_recipients" | cut -f1 -d' ' | cut -f1 | sort)
	[ "$want" = "$got" ] || { diff <(echo "$want") <(echo "$got") | sed 's/^/    /'; return 1; }
}

# untouched NAME : the table and map are as saved by "save"
save() { SAVED=$(inode_mtime "$D/out/relay_recipients") SAVED_DB=$(inode_mtime "$D/out/relay_recipients.db"); }
untouched() {
	check "$1: table untouched" same_state "$SAVED" "$D/out/relay_recipients"
	check "$1: map untouched" same_state "$SAVED_DB" "$D/out/relay_recipients.db"
}

# log_count PATTERN : requests.log lines matching PATTERN
log_count() { grep -c -- "$1" "$D/g/requests.log"; }

for i in $(seq 100); do
	grep -qx "listening $PORT" "$D/server.out" 2>/dev/null && break
	sleep 0.1
done
grep -qx "listening $PORT" "$D/server.out" || { echo "server did not start:"; cat "$D/server.err"; exit 1; }

FULL=(alice@contoso.com a@contoso.com shared@contoso.com bob@contoso.com
	bob2@contoso.com bob3@contoso.com ok6@contoso.com team@contoso.com
	sales@contoso.com partner@contoso.com)

# --- configuration errors: exit 78, file:line:column
C=$D/bad.yaml
conf "$C" "    certificate_file: $D/app-both.pem
    incremental: dirsync"
expect_rc "incremental: an unknown kind is refused" 78 "$RCPTSYNC" -c "$C" check
contains "incremental: the place" "bad.yaml:"
contains "incremental: the choices" "delta"
conf "$C" "    certificate_file: $D/app-both.pem
    client_secret_file: $D/secret"
expect_rc "two credentials" 78 "$RCPTSYNC" -c "$C" check
contains "two credentials: named" "not both"
conf "$C" "    key_file: $D/app.key"
expect_rc "key_file without certificate_file" 78 "$RCPTSYNC" -c "$C" check
conf "$C"
sed -i "s|login_url: https://|login_url: http://|" "$C"
expect_rc "login_url: http:// is refused" 78 "$RCPTSYNC" -c "$C" check
contains "http: says https" "must be an https:// URL"
conf "$C" "    certificate_file: $D/app-both.pem
    include: [users, mailboxes]"
expect_rc "include: an unknown collection" 78 "$RCPTSYNC" -c "$C" check
contains "include: the place" "bad.yaml:"

# --- a full pull with the certificate; an empty page in the middle
C=$D/sync.yaml
conf "$C"
scenario '"empty_page": {"users": 1}'
expect_rc "sync with a certificate" 0 "$RCPTSYNC" -c "$C" sync
check "the table: users after the empty page, groups, contacts; no guest, no SPO/SIP/EUM/X500" table_is "${FULL[@]}"
check "one token for the whole run (assertion)" [ "$(log_count '"credential": "assertion"')" -eq 1 ]
check "the empty page was served" grep -q '"objects": 0' "$D/g/requests.log"
check "users asked with \$select=id,proxyAddresses,userType and \$top=999" \
	grep -q 'select=id,proxyAddresses,userType&\$top=999' "$D/g/requests.log"
contains "the spaced value refused, naming the object" 'graph:users/u6: refusing proxyAddresses value "SMTP: spaced@contoso.com"'
check "postmap finds a cloud-only group's address" [ "$(postmap -q team@contoso.com "hash:$D/out/relay_recipients")" = OK ]
check "postmap does not find the guest" [ -z "$(postmap -q guestalias@contoso.com "hash:$D/out/relay_recipients")" ]

# --- check and explain, diff
expect_rc "check" 0 "$RCPTSYNC" -c "$C" check
contains "check counts the collections" "users 5 (1 guests left out), groups 2, contacts 1"
contains "check names the credential" "token by certificate (x5t#S256"
expect_rc "check --json" 0 bash -c '"$0" -c "$1" --json check 2>/dev/null' "$RCPTSYNC" "$C"
check "check --json: graph.users" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["graph"]["users"]==5 and d["graph"]["contacts"]==1 and d["graph"]["guests_left_out"]==1' "$OUT"
check "check --json: pages by collection (users: 3 and the empty one), 7 requests (a token, 6 pages)" python3 -c 'import json,sys
g = json.loads(sys.argv[1])["graph"]
assert g["pages"] == {"users": 4, "groups": 1, "contacts": 1} and g["requests"] == 7 and g["throttled_seconds"] == 0, g' "$OUT"
expect_rc "sync --json" 0 bash -c '"$0" -c "$1" --json sync 2>/dev/null' "$RCPTSYNC" "$C"
check "sync --json carries the Graph counts" python3 -c 'import json,sys
d = json.loads(sys.argv[1]); g = d["graph"]
assert d["command"] == "sync" and (g["users"], g["groups"], g["contacts"], g["guests_left_out"]) == (5, 2, 1, 1), d
assert g["credential"].startswith("certificate") and g["requests"] == 7, g' "$OUT"
expect_rc "explain names the Graph object" 0 "$RCPTSYNC" -c "$C" explain team@contoso.com
contains "explain: graph:groups/g1" "graph:groups/g1"

# --- hostile values: newline, NUL, very long, duplicate key page
LONG=$(python3 -c 'print("x"*5000)')
scenario '"add_users": [{"id": "h1", "proxyAddresses": ["SMTP:evil\nx@contoso.com", "SMTP:nul\u0000@contoso.com", "smtp:'"$LONG"'@contoso.com", "smtp:fine@contoso.com"]}, {"id": "h2\nfake", "proxyAddresses": ["SMTP:h2@contoso.com"]}]'
save
expect_rc "hostile values are refused one by one, the rest kept" 0 "$RCPTSYNC" -c "$C" sync
check "hostile: only the good ones" table_is "${FULL[@]}" fine@contoso.com h2@contoso.com
contains "hostile: newline escaped in the warning" 'evil\nx@contoso.com'
contains "hostile: NUL escaped in the warning" 'nul\x00@contoso.com'
check "hostile: no raw control byte in the output" bash -c '! printf "%s" "$1" | grep -qP "[\x00-\x08\x0b-\x1f]"' _ "$OUT"
expect_rc "hostile id: explain" 0 "$RCPTSYNC" -c "$C" explain h2@contoso.com
contains "hostile: the id escaped in explain" 'graph:users/h2\nfake'
check "hostile id: no raw newline inside the name" bash -c '! printf "%s" "$1" | grep -q "^fake"' _ "$OUT"
scenario '"raw": {"groups": "{\"value\": [], \"value\": []}"}'
save
expect_rc "duplicate keys: malformed, exit 69" 69 "$RCPTSYNC" -c "$C" sync
contains "malformed: names the URL" "https://127.0.0.1:$PORT/v1.0/groups"
untouched "duplicate keys"
scenario '"raw": {"contacts": "{\"value\": [{\"id\": \"c1\", \"proxyAddresses\": [\"SMTP:x@contoso.com\""}'
expect_rc "truncated JSON: exit 69" 69 "$RCPTSYNC" -c "$C" sync
contains "truncated JSON: names the URL" "https://127.0.0.1:$PORT/v1.0/contacts"
untouched "truncated JSON"

# --- a licence drop is an ordinary removal: max_removed applies
scenario
"$RCPTSYNC" -c "$C" -q sync || bad "reset"
conf "$C" "" "" ""
sed -i 's/max_removed: 100%/max_removed: 1/' "$C"
scenario '"objects": {"users": [{"id": "u4", "proxyAddresses": ["SMTP:bob@contoso.com"]}, {"id": "u1", "proxyAddresses": ["SMTP:alice@contoso.com", "smtp:a@contoso.com"]}, {"id": "u2", "proxyAddresses": ["SMTP:shared@contoso.com"]}, {"id": "u6", "proxyAddresses": ["smtp:ok6@contoso.com"]}], "groups": [{"id": "g1", "proxyAddresses": ["SMTP:team@contoso.com"]}, {"id": "g2", "proxyAddresses": ["SMTP:sales@contoso.com"]}], "contacts": [{"id": "c1", "proxyAddresses": ["SMTP:partner@contoso.com"]}]}'
save
expect_rc "licence drop: two aliases gone, past max_removed 1" 65 "$RCPTSYNC" -c "$C" sync
untouched "licence drop refused"
expect_rc "licence drop: --force" 0 "$RCPTSYNC" -c "$C" sync --force
check "licence drop: bob2 and bob3 gone" table_is alice@contoso.com a@contoso.com shared@contoso.com bob@contoso.com ok6@contoso.com team@contoso.com sales@contoso.com partner@contoso.com
conf "$C"
scenario
"$RCPTSYNC" -c "$C" -q sync || bad "reset"

# --- throttling: 429 with and without Retry-After, within the deadline
scenario '"faults": [{"set": "users", "page": 1, "status": 429, "retry_after": 1}]'
expect_rc "429 with Retry-After: 1 is waited out" 0 "$RCPTSYNC" -c "$C" sync
check "429: the page was asked again" [ "$(log_count '"page": 1, "query": "$select=id,proxyAddresses,userType')" -ge 2 ]
scenario '"faults": [{"set": "groups", "page": 0, "status": 503}]'
expect_rc "503 without Retry-After: backoff, then done" 0 "$RCPTSYNC" -c "$C" sync
check "503: full table" table_is "${FULL[@]}"
scenario '"faults": [{"set": "users", "page": 0, "status": 429, "retry_after": 120}]'
conf "$C" "" "deadline: 20s"
save
START=$(date +%s)
expect_rc "429 with Retry-After past the deadline: 75" 75 "$RCPTSYNC" -c "$C" sync
check "429 past the deadline: no wait" [ $(( $(date +%s) - START )) -lt 10 ]
contains "429 past the deadline: says so" "past the run's deadline"
untouched "429 past the deadline"
conf "$C"

# --- an expired token: one new token, one retry
scenario '"token_uses": 3'
expect_rc "expired token (401): renewed, done" 0 "$RCPTSYNC" -c "$C" sync
check "401: a second token was got" [ "$(log_count '"credential": "assertion"')" -ge 2 ]
check "401: full table" table_is "${FULL[@]}"
scenario '"token_uses": 0'
save
expect_rc "401 even with a new token: 77" 77 "$RCPTSYNC" -c "$C" sync
contains "401: named" "even with a new token"
untouched "401 twice"

# --- a missing permission: 403, 77 naming it
scenario '"deny": ["contacts"]'
save
expect_rc "403 on contacts: 77" 77 "$RCPTSYNC" -c "$C" check
contains "403: names OrgContact.Read.All" "OrgContact.Read.All"
expect_rc "403 on contacts: check --json 77" 77 bash -c '"$0" -c "$1" --json check 2>/dev/null' "$RCPTSYNC" "$C"
check "check --json: the error is auth and names the missing permission" python3 -c 'import json,sys
d = json.loads(sys.argv[1]); e = d["error"]
assert d["exit"] == 77 and e["kind"] == "auth" and "OrgContact.Read.All" in e["message"], d' "$OUT"
expect_rc "403 on contacts: sync 77" 77 "$RCPTSYNC" -c "$C" sync
untouched "403"

# --- credentials refused or unsafe
scenario '"client_cert": "'"$D/other.pem"'"'
save
expect_rc "an assertion signed by another certificate: 77" 77 "$RCPTSYNC" -c "$C" sync
contains "refused assertion: the endpoint's error" "invalid_client"
untouched "refused assertion"
check "the token endpoint refused it for its thumbprint" grep -q 'x5t#S256 is not' "$D/g/requests.log"
scenario
conf "$C" "    client_secret_file: $D/secret"
expect_rc "client secret" 0 "$RCPTSYNC" -c "$C" sync
check "client secret: used" [ "$(log_count '"credential": "secret"')" -eq 1 ]
chmod 644 "$D/secret"
save
expect_rc "a secret file readable by others: 77" 77 "$RCPTSYNC" -c "$C" sync
untouched "unsafe secret"
chmod 600 "$D/secret"
printf 'wrong\n' > "$D/secret2"; chmod 600 "$D/secret2"
conf "$C" "    client_secret_file: $D/secret2"
expect_rc "a wrong secret: 77" 77 "$RCPTSYNC" -c "$C" sync
contains "wrong secret: invalid_client" "invalid_client"
untouched "wrong secret"
conf "$C"

# --- loops, limits, a server that stops answering, unreachable
scenario '"loop": "groups"'
save
expect_rc "a nextLink loop: 75" 75 "$RCPTSYNC" -c "$C" sync
contains "loop: says so" "seen twice"
untouched "loop"
# The nextLinks' fingerprints (ldapsync/seen.c) can collide: a hit is
# only a reason to compare the text.  RCPTSYNC_FAULT_SEEN_COLLIDE gives
# every link one fingerprint (a -Dfault_injection=true build only).
if "$RCPTSYNC" --version | grep -q 'fault injection: on'; then
	scenario
	rm -f "$D/out/relay_recipients" "$D/out/relay_recipients.db"
	expect_rc "collide: nextLinks sharing a fingerprint are no loop" 0 \
		env RCPTSYNC_FAULT_SEEN_COLLIDE=1 "$RCPTSYNC" -c "$C" sync
	check "collide: the table is whole" table_is "${FULL[@]}"
	scenario '"loop": "groups"'
	save
	expect_rc "collide: a nextLink loop is still refused: 75" 75 \
		env RCPTSYNC_FAULT_SEEN_COLLIDE=1 "$RCPTSYNC" -c "$C" sync
	contains "collide: the loop says so" "seen twice"
	untouched "collide: loop"
elif [ "${CI:-}" = true ]; then
	bad "collide: CI needs a -Dfault_injection=true build"
else
	echo "# SKIP collide: build without -Dfault_injection"
fi
scenario '"nextlink_host": "users"'
expect_rc "a nextLink to another host: refused" 69 "$RCPTSYNC" -c "$C" sync
contains "another host: named" "is not under https://127.0.0.1:$PORT"
untouched "another host"
scenario
if "$RCPTSYNC" --version | grep -q 'fault injection: on'; then
	expect_rc "more pages than the limit: 75" 75 env RCPTSYNC_GRAPH_LIMITS=2,67108864 "$RCPTSYNC" -c "$C" sync
	contains "page limit: says so" "more than 2 pages of users"
	untouched "page limit"
	scenario '"huge": {"groups": 200000}'
	expect_rc "a body over the limit: 75" 75 env RCPTSYNC_GRAPH_LIMITS=100,100000 "$RCPTSYNC" -c "$C" sync
	contains "body limit: says so" "larger than 100000 bytes"
	untouched "body limit"
fi
scenario '"stall": "contacts"'
TIMEOUT=2 conf "$C" "" "deadline: 60s"
START=$(date +%s)
expect_rc "a server that stops answering: 75" 75 timeout 60 "$RCPTSYNC" -c "$C" sync
check "stopped server: ended by the timeout" [ $(( $(date +%s) - START )) -lt 30 ]
contains "stopped server: names the URL" "/v1.0/contacts"
untouched "stopped server"
conf "$C"
CLOSED=$(free_port)
sed "s|127.0.0.1:$PORT|127.0.0.1:$CLOSED|g" "$C" > "$D/closed.yaml"
expect_rc "unreachable: 69" 69 "$RCPTSYNC" -c "$D/closed.yaml" sync
untouched "unreachable"

# --- metrics: objects by collection (of the last success), requests,
# throttled answers and the seconds waited (of the last run)
PROM=$D/prom/rcptsync.prom
mkdir -p "$D/prom"
# gsample NAME : its sample in $PROM ("" when absent)
gsample() { awk -v n="$1" '$1 == n { print $2 }' "$PROM"; }
# graph_metrics_are USERS GROUPS CONTACTS REQUESTS THROTTLED SECONDS EXIT
graph_metrics_are() {
	local got
	got="$(gsample 'rcptsync_graph_objects{collection="users"}') $(gsample 'rcptsync_graph_objects{collection="groups"}')"
	got="$got $(gsample 'rcptsync_graph_objects{collection="contacts"}') $(gsample rcptsync_graph_requests)"
	got="$got $(gsample rcptsync_graph_throttled) $(gsample rcptsync_graph_throttled_seconds) $(gsample rcptsync_last_exit_code)"
	[ "$got" = "$*" ] || { echo "    got: $got, want: $*"; return 1; }
}
conf "$C" "" "metrics: {textfile: $PROM}"
# a 429 (Retry-After: 1) on a page of users, a 503 (backoff: 1 s) on groups
scenario '"faults": [{"set": "users", "page": 1, "status": 429, "retry_after": 1}, {"set": "groups", "page": 0, "status": 503}]'
expect_rc "metrics: a sync waiting out two throttled answers" 0 "$RCPTSYNC" -c "$C" sync
REQS=$(wc -l < "$D/g/requests.log")
check "metrics: objects 5 2 1, $REQS requests (the server's count), 2 throttled, 2 s, exit 0" \
	graph_metrics_are 5 2 1 "$REQS" 2 2 0
check "metrics: one sample per collection, the label from the fixed set only" \
	[ "$(grep -c '^rcptsync_graph_objects{collection="[a-z]*"} ' "$PROM")" -eq 3 ]
check "metrics: HELP and TYPE gauge for each Graph metric" bash -c '
	for n in rcptsync_graph_objects rcptsync_graph_requests rcptsync_graph_throttled rcptsync_graph_throttled_seconds; do
		[ "$(grep -c "^# HELP $n " "$1")" -eq 1 ] && [ "$(grep -cx "# TYPE $n gauge" "$1")" -eq 1 ] || exit 1
	done' _ "$PROM"
if command -v promtool > /dev/null; then
	check "metrics: promtool check metrics accepts the file" bash -c 'promtool check metrics < "$1"' _ "$PROM"
elif [ "${CI:-}" = true ]; then
	bad "promtool missing"
fi
scenario '"deny": ["contacts"]'
expect_rc "metrics: a sync refused by a 403" 77 "$RCPTSYNC" -c "$C" sync
REQS=$(wc -l < "$D/g/requests.log")
check "metrics: a failed run keeps the last success's objects, counts its own $REQS requests, no wait" \
	graph_metrics_are 5 2 1 "$REQS" 0 0 77
conf "$C" "    certificate_file: $D/app-both.pem
    include: [users]" "metrics: {textfile: $PROM}"
scenario
expect_rc "metrics: include: [users]" 0 "$RCPTSYNC" -c "$C" sync --force
check "metrics: groups and contacts not read: 0" graph_metrics_are 5 0 0 "$(wc -l < "$D/g/requests.log")" 0 0 0
conf "$C"
scenario
"$RCPTSYNC" -c "$C" -q sync || bad "reset"

# --- the union with an LDIF source; all must complete
cat > "$D/onprem.ldif" <<'LDIF'
dn: CN=Carol,OU=Staff,DC=contoso,DC=com
proxyAddresses: SMTP:carol@contoso.com
proxyAddresses: smtp:team@contoso.com

LDIF
scenario
conf "$C" "" "" "  ldif: $D/onprem.ldif"
expect_rc "ldif and graph together" 0 "$RCPTSYNC" -c "$C" sync
check "union: both sources" table_is "${FULL[@]}" carol@contoso.com
contains "union: an address on both is reported once" "team@contoso.com is on two objects"
scenario '"deny": ["groups"]'
save
expect_rc "union: graph fails, nothing is written" 77 "$RCPTSYNC" -c "$C" sync
untouched "union with a failing graph"
conf "$C" "" "" "  ldif: $D/onprem.ldif"
scenario '"objects": {"users": [{"id": "u9", "proxyAddresses": ["SMTP:new@contoso.com"]}]}'
"$RCPTSYNC" -c "$C" diff > "$D/diff.out" 2>&1
check "diff: an added address names graph:users/u9" grep -q "graph:users/u9" "$D/diff.out"

# --- the schema: every object sent in this suite has only listed
# properties, each of its listed type
check "every property sent is in Microsoft's schema (graph_schema.txt)" \
	python3 "$HERE/graph_schema.py" check "$HERE/graph_schema.txt" "$D/g/sent.jsonl"

finish
