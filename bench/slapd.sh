#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Load an AD-like directory of N objects into a private slapd and start it
# on 127.0.0.1 (a high free port; plain LDAP, and StartTLS with a private
# test CA), for the benchmark and for demonstrations.  Writes DIR/env
# (PORT, SLAPD_PID, BASE, BIND_DN, TOGGLE_DN), DIR/rcptsync.yaml (plain),
# DIR/rcptsync-starttls.yaml (StartTLS, the certificate verified against
# DIR/tls/ca.pem), and DIR/expected (the exact table rcptsync must build).
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
# A private CA and a certificate for 127.0.0.1, for StartTLS
mkdir -p "$DIR/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bench CA" \
	-keyout "$DIR/tls/ca.key" -out "$DIR/tls/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	-keyout "$DIR/tls/server.key" -out "$DIR/tls/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$DIR/tls/server.ext"
openssl x509 -req -in "$DIR/tls/server.csr" -CA "$DIR/tls/ca.pem" -CAkey "$DIR/tls/ca.key" \
	-CAcreateserial -days 2 -extfile "$DIR/tls/server.ext" -out "$DIR/tls/server.pem" 2>/dev/null
cat > "$DIR/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include $ROOT/tests/integration/ad.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $DIR/slapd.pid
TLSCACertificateFile $DIR/tls/ca.pem
TLSCertificateFile $DIR/tls/server.pem
TLSCertificateKeyFile $DIR/tls/server.key
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
printf 'admin-pw' > "$DIR/admin.secret"; chmod 600 "$DIR/admin.secret"
TOGGLE_DN=$(grep -m1 '^dn: CN=Object' "$DIR/fixture.ldif" | cut -c5-)
cat > "$DIR/env" <<ENV
PORT=$PORT
SLAPD_PID=$(cat "$DIR/slapd.pid")
BASE="$BASE"
BIND_DN="CN=svc-rcptsync,OU=Service,$BASE"
TOGGLE_DN="$TOGGLE_DN"
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
# The same over StartTLS, as gateways run it: its own table
mkdir -p "$DIR/out-tls"
sed -e "s|    page_size: 1000|    page_size: 1000\n    starttls: true\n    tls: {ca_file: $DIR/tls/ca.pem}|" \
    -e "s|$DIR/out/|$DIR/out-tls/|" -e "s|lock: $DIR/lock|lock: $DIR/lock-tls|" \
	"$DIR/rcptsync.yaml" > "$DIR/rcptsync-starttls.yaml"
echo "slapd pid $(cat "$DIR/slapd.pid") on 127.0.0.1:$PORT with $N objects ($DIR)"
