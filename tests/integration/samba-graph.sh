# SPDX-License-Identifier: MIT
# The union of AD and Exchange Online (bash; sourced by samba.sh with the DC
# running and the fixture loaded; not run).  The suite's Samba DC is the
# on-premises directory, graph_server.py (the scripted HTTPS Graph of
# graph.sh, private CA) runs inside the DC's network namespace as Exchange
# Online, and a private Postfix smtpd uses the map rcptsync writes from
# both.  With source.ldap alone (the gateway before source.graph) smtpd
# answers 550 for a cloud-only group's address: the failure the Graph
# source exists to prevent; with source.ldap and source.graph it answers
# 250 for that address, for a cloud-only user and for an on-premises user,
# and 550 for an address in neither; when Graph fails the run writes
# nothing and smtpd keeps answering from the last map.
# Needs: graph built into rcptsync, python3-cryptography.

if ! "$RCPTSYNC" --version | grep -q '^sources:.* graph' ||
	! python3 -c 'import cryptography' 2>/dev/null; then
	echo "# SKIP the AD and Graph union: rcptsync without graph, or no python3-cryptography"
	[ "${CI:-}" = true ] && bad "the AD and Graph union did not run (CI)"
else
	chmod 755 "$WORK"	# Postfix's daemons run as postfix
	GD=$D/graph-union
	mkdir -p "$GD/g"
	make_ca "$GD" graph &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=rcptsync app" \
			-keyout "$GD/app.key" -out "$GD/app.pem" 2>/dev/null &&
		cat "$GD/app.pem" "$GD/app.key" > "$GD/app-both.pem" &&
		chmod 600 "$GD/app-both.pem" || bad "graph union: certificates"
	# Exchange Online: a cloud-only Microsoft 365 group and user, a guest
	# (left out), a user whose primary address is also on-premises
	python3 - "$GD/g/scenario.json" "$GD/app.pem" <<'PY'
import json, sys
json.dump({
    "tenant": "corp.onmicrosoft.com",
    "client_id": "0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b",
    "client_cert": sys.argv[2], "page_size": 2,
    "objects": {
        "users": [
            {"id": "cu1", "userType": "Member",
             "proxyAddresses": ["SMTP:cloud.only@corp.example",
                                "smtp:cloud.alias@corp.example"]},
            {"id": "cu2", "userType": "Guest",
             "proxyAddresses": ["SMTP:guest@fabrikam.example",
                                "smtp:guest.here@corp.example"]},
            {"id": "cu3", "userType": "Member",
             "proxyAddresses": ["SMTP:first.last00000@corp.example"]}],
        "groups": [
            {"id": "cg1", "groupTypes": ["Unified"], "mailEnabled": True,
             "proxyAddresses": ["SMTP:cloud.team@corp.example",
                                "smtp:cloud.team@corp.mail.onmicrosoft.com"]}],
        "contacts": []}}, open(sys.argv[1], "w"))
PY
	GPORT=$(free_port)
	# in the DC's namespace, where rcptsync runs (ip execs python: $! is it)
	ip netns exec "$SDC_NS" python3 "$HERE/graph_server.py" "$GPORT" \
		"$GD/graph.pem" "$GD/graph.key" "$GD/g" > "$GD/server.out" 2> "$GD/server.err" &
	GPID=$!; CLEANUP_PIDS+=("$GPID")
	for i in $(seq 100); do
		grep -qx "listening $GPORT" "$GD/server.out" 2>/dev/null && break
		sleep 0.1
	done
	check "graph union: the scripted Graph listens in the DC's namespace" \
		grep -qx "listening $GPORT" "$GD/server.out"

	# the private Postfix's directory (start_postfix's, PF_NAME graph-union)
	P=$WORK/pf-graph-union T=$WORK/pf-graph-union/relay_recipients
	mkdir -p "$P"
	HOOK="hooks:
  after_change: [/usr/sbin/postfix, -c, $P/conf, reload]"
	# union_conf WITH-GRAPH [TOP-LINES] : the gateway's config, LDAP (the
	# DC) and, if WITH-GRAPH is 1, Graph
	union_conf() {
		local graph=
		[ "$1" = 1 ] && graph="  graph:
    tenant: corp.onmicrosoft.com
    client_id: 0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b
    certificate_file: $GD/app-both.pem
    login_url: https://127.0.0.1:$GPORT
    graph_url: https://127.0.0.1:$GPORT
    timeout: 5
    tls: {ca_file: $GD/graph-ca.pem}"
		cat > "$GD/sync.yaml" <<EOF_CONF
source:
  ldap:
    uri: ldaps://127.0.0.1
    base: $CORP
$TLS
    bind: {method: simple, dn: $SDC_SVC@corp.example, password_file: $SDC_PW}
$graph
domains: [corp.example]
output:
  table: $T
  type: hash
safety: {max_removed: 100%}
lock: $P/lock
${2:-}
EOF_CONF
	}
	gsmtp() { python3 "$HERE/smtp_probe.py" "$PORT" "$1" | awk '{print $2}'; }
	# smtp_says NAME ADDRESS=CODE... : smtpd's RCPT answers, new sessions,
	# allowing the reload a few seconds
	smtp_says() {
		local name=$1 pair got i; shift
		for pair in "$@"; do
			for i in $(seq 20); do
				got=$(gsmtp "${pair%=*}")
				[ "$got" = "${pair#*=}" ] && break
				sleep 0.5
			done
			check "$name: RCPT TO:<${pair%=*}> gets ${pair#*=}" test "$got" = "${pair#*=}"
		done
	}

	# the gateway before source.graph: AD alone; Postfix starts with the
	# map in place
	union_conf 0
	expect_rc "graph union: AD alone, sync" 0 rs -c "$GD/sync.yaml" sync
	grep -v '^#' "$T" > "$GD/ad-alone"
	PF_NAME=graph-union start_postfix hash || bad "graph union: start Postfix"
	smtp_says "AD alone" first.last00000@corp.example=250 \
		cloud.team@corp.example=550 cloud.only@corp.example=550 \
		nobody.anywhere@corp.example=550

	# AD and Graph: the union
	union_conf 1 "$HOOK"
	expect_rc "graph union: AD and Graph, sync" 0 rs -c "$GD/sync.yaml" sync
	smtp_says "AD and Graph" cloud.team@corp.example=250 \
		cloud.only@corp.example=250 cloud.alias@corp.example=250 \
		first.last00000@corp.example=250 \
		nobody.anywhere@corp.example=550 guest.here@corp.example=550 \
		cloud.team@corp.mail.onmicrosoft.com=554
	printf '%s\tOK\n' cloud.alias@corp.example cloud.only@corp.example \
		cloud.team@corp.example | LC_ALL=C sort -m - "$GD/ad-alone" > "$GD/union-want"
	check "graph union: the table is exactly AD's and Graph's three cloud-only addresses" \
		bash -c 'grep -v "^#" "$1" | cmp -s - "$2"' _ "$T" "$GD/union-want"
	expect_rc "graph union: explain names the Graph group" 0 rs -c "$GD/sync.yaml" explain cloud.team@corp.example
	contains "graph union: explain: graph:groups/cg1" "graph:groups/cg1"
	expect_rc "graph union: explain names the AD user" 0 rs -c "$GD/sync.yaml" explain first.last00000@corp.example
	contains "graph union: explain: its DN" "$CORP"

	# Graph fails (a permission withdrawn): nothing written, smtpd serves on
	python3 - "$GD/g/scenario.json" <<'PY'
import json, sys
sc = json.load(open(sys.argv[1])); sc["deny"] = ["groups"]
json.dump(sc, open(sys.argv[1], "w"))
PY
	before=$(md5sum < "$T"; md5sum < "$T.db")
	expect_rc "graph union: Graph refuses groups (403): exit 77" 77 rs -c "$GD/sync.yaml" sync
	contains "graph union: 403 names Group.Read.All" "Group.Read.All"
	check "graph union: the table and map are as they were" \
		test "$(md5sum < "$T"; md5sum < "$T.db")" = "$before"
	smtp_says "Graph failing" cloud.team@corp.example=250 first.last00000@corp.example=250
	postfix -c "$P/conf" stop > /dev/null 2>&1
	stop_pid "$GPID"
fi
