#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Load an AD-like directory of N objects into a private slapd and start it
# on 127.0.0.1 (plain LDAP, a high free port), for the benchmark and for
# demonstrations.  Writes DIR/env (PORT, SLAPD_PID, BASE, BIND_DN) and
# DIR/rcptsync.yaml, and DIR/expected (the exact table rcptsync must build).
# Stop it with: kill $(cat DIR/slapd.pid)
# Usage: bench/slapd.sh N DIR
set -euo pipefail
N=$1; DIR=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/..
BASE="DC=corp,DC=example"
mkdir -p "$DIR/db" "$DIR/out"
DIR=$(cd "$DIR" && pwd)
python3 "$ROOT/tests/fixtures/gen_ad.py" "$N" "$DIR/fixture.ldif" "$DIR/expected"
cat >> "$DIR/fixture.ldif" <<LDIF
dn: OU=Service,$BASE
objectClass: organizationalUnit
ou: Service

dn: CN=svc-rcptsync,OU=Service,$BASE
objectClass: user
cn: svc-rcptsync
userPassword: bench-Pa55

LDIF
cat > "$DIR/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include $ROOT/tests/integration/ad.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $DIR/slapd.pid
# AD's MaxPageSize: an unpaged search gets 1000 entries and sizeLimitExceeded
sizelimit size.soft=1000 size.hard=1000 size.pr=1000 size.prtotal=unlimited
database mdb
maxsize 8589934592
suffix "$BASE"
rootdn "CN=admin,$BASE"
rootpw admin-pw
directory $DIR/db
index objectClass,proxyAddresses eq
access to attrs=userPassword by anonymous auth by * none
access to * by * read
CONF
slapadd -q -f "$DIR/slapd.conf" -l "$DIR/fixture.ldif"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
slapd -f "$DIR/slapd.conf" -h "ldap://127.0.0.1:$PORT/"
for i in $(seq 100); do [ -s "$DIR/slapd.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
printf 'bench-Pa55\n' > "$DIR/bind.secret"; chmod 600 "$DIR/bind.secret"
cat > "$DIR/env" <<ENV
PORT=$PORT
SLAPD_PID=$(cat "$DIR/slapd.pid")
BASE="$BASE"
BIND_DN="CN=svc-rcptsync,OU=Service,$BASE"
ENV
# Plain ldap:// on loopback only: the benchmark measures rcptsync, not TLS.
cat > "$DIR/rcptsync.yaml" <<YAML
source:
  ldap:
    uri: ldap://127.0.0.1:$PORT
    base: "$BASE"
    page_size: 1000
    bind: {method: none}
domains: [corp.example, .corp-old.example]
exclude: ["healthmailbox*@corp.example"]
output:
  table: $DIR/out/relay_recipients
  type: hash
safety:
  max_removed: 100%
lock: $DIR/lock
YAML
echo "slapd pid $(cat "$DIR/slapd.pid") on 127.0.0.1:$PORT with $N objects ($DIR)"
