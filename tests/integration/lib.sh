# SPDX-License-Identifier: MIT
# Shared helpers for the integration suites (bash).  Sourced, not run.
# Each suite counts its checks and ends with "N passed, N failed".
set -u

PASSED=0
FAILED=0
CLEANUP_PIDS=()
CLEANUP_MOUNTS=()
WORK=$(mktemp -d /tmp/rcptsync-it.XXXXXX)
# Every postmap/postconf of a suite reads this private main.cf, never the
# machine's /etc/postfix/main.cf (scripts/mail-config says why).
"$(dirname "${BASH_SOURCE[0]}")/../../scripts/mail-config" "$WORK/mail-config"
export MAIL_CONFIG=$WORK/mail-config

ok()   { PASSED=$((PASSED + 1)); echo "ok - $*"; }
bad()  { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# check NAME COMMAND... : pass when the command succeeds
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# expect_rc NAME WANT COMMAND... : run, compare the exit code; output in $OUT
expect_rc() {
	local name=$1 want=$2; shift 2
	OUT=$("$@" 2>&1); RC=$?
	if [ "$RC" -eq "$want" ]; then ok "$name (exit $RC)"
	else bad "$name: exit $RC, want $want"; printf '%s\n' "$OUT" | sed 's/^/    /' | tail -25; fi
}

# lacks PATTERN FILE : no line of FILE matches PATTERN (for check)
lacks() { ! grep -q -- "$1" "$2"; }

# contains NAME NEEDLE : the last expect_rc output holds NEEDLE
contains() {
	if printf '%s' "$OUT" | grep -qF -- "$2"; then ok "$1"
	else bad "$1: output lacks '$2'"; printf '%s\n' "$OUT" | sed 's/^/    /' | tail -25; fi
}

# omits NAME NEEDLE : the last expect_rc output does not hold NEEDLE
omits() {
	if printf '%s' "$OUT" | grep -qF -- "$2"; then bad "$1: output holds '$2'"
	else ok "$1"; fi
}

# require TOOL... : skip the suite (77) if missing, but never in CI
require() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 && continue
		if [ "${CI:-}" = true ]; then echo "missing required tool $t in CI"; exit 1; fi
		echo "SKIP: $t not installed"; exit 77
	done
}

# require_root WHY : skip the suite (77) unless root, but never in CI
require_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	if [ "${CI:-}" = true ]; then echo "CI runs as root; this suite needs it ($1)"; exit 1; fi
	echo "SKIP: needs root ($1)"; exit 77
}

# free_port : an unused TCP port on 127.0.0.1
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT : until something listens on 127.0.0.1:PORT (10 s)
wait_port() {
	local i
	for i in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# stop_pid PID : SIGCONT (in case it is stopped), SIGTERM, wait, SIGKILL
stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -CONT "$pid" 2>/dev/null; kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
}

cleanup() {
	local pid
	for pid in "${CLEANUP_PIDS[@]}"; do stop_pid "$pid"; done
	for pid in "${CLEANUP_MOUNTS[@]}"; do umount "$pid" 2>/dev/null; done
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
# a suite stopped (meson's timeout, scripts/test interrupted) exits, so
# that its EXIT trap stops what it started; bash runs no EXIT trap when
# a signal it does not catch kills it
trap 'exit 143' TERM
trap 'exit 130' INT

# inode_mtime FILE : "inode mtime" for the no-write checks
inode_mtime() { stat -c '%i %y' "$1"; }

# same_state BEFORE FILE : FILE exists and has the inode and mtime BEFORE
same_state() {
	local now
	now=$(stat -c '%i %y' "$2" 2>/dev/null) || return 1
	[ -n "$1" ] && [ "$1" = "$now" ]
}

# finish : the closing line, and the exit code
finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit $?
}

# make_test_ca DIR NAME : a test CA only (DIR/NAME-ca.pem, DIR/NAME-ca.key)
make_test_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2 test CA" \
		-keyout "$1/$2-ca.key" -out "$1/$2-ca.pem" 2>/dev/null
}

# make_ca DIR NAME : a test CA and a server certificate for 127.0.0.1 and
# localhost, signed by it (DIR/NAME-ca.pem, DIR/NAME.pem, DIR/NAME.key)
make_ca() {
	make_test_ca "$1" "$2" &&
		make_cert_for "$1" "$2" "$2" "IP:127.0.0.1,DNS:localhost"
}

# make_expired_cert DIR NAME CA : a server certificate for 127.0.0.1 whose
# validity ended in 2020, signed by DIR/CA-ca.pem (certtool lets us set dates)
make_expired_cert() {
	local d=$1 n=$2 ca=$3
	openssl genrsa -out "$d/$n.key" 2048 2>/dev/null || return 1
	cat > "$d/$n.tmpl" <<TMPL
cn = "127.0.0.1"
ip_address = "127.0.0.1"
dns_name = "localhost"
tls_www_server
activation_date = "2020-01-01 00:00:00"
expiration_date = "2020-06-01 00:00:00"
TMPL
	certtool --generate-certificate --load-privkey "$d/$n.key" \
		--load-ca-certificate "$d/$ca-ca.pem" --load-ca-privkey "$d/$ca-ca.key" \
		--template "$d/$n.tmpl" --outfile "$d/$n.pem" >/dev/null 2>&1
}

# make_cert_for DIR NAME CA SAN : a server certificate for SAN (one or a
# comma-separated list; the first names the subject), signed by DIR/CA-ca.pem
make_cert_for() {
	local d=$1 n=$2 ca=$3 san=$4 first=${4%%,*}
	openssl req -newkey rsa:2048 -nodes -subj "/CN=${first#*:}" \
		-keyout "$d/$n.key" -out "$d/$n.csr" 2>/dev/null || return 1
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > "$d/$n.ext"
	openssl x509 -req -in "$d/$n.csr" -CA "$d/$ca-ca.pem" -CAkey "$d/$ca-ca.key" \
		-CAcreateserial -days 2 -extfile "$d/$n.ext" -out "$d/$n.pem" 2>/dev/null
}

# ad_service_account BASE PASSWORD : the LDIF of OU=Service and its
# service account CN=svc-rcptsync (appended to a fixture)
ad_service_account() {
	cat <<LDIF
dn: OU=Service,$1
objectClass: organizationalUnit
ou: Service

dn: CN=svc-rcptsync,OU=Service,$1
objectClass: user
cn: svc-rcptsync
userPassword: $2

LDIF
}

# slapd_conf DIR BASE CERT [LINES] : DIR/slapd.conf for an AD-like slapd
# (ad.schema, back_mdb under DIR/db, AD's MaxPageSize of 1000, the
# service account's password readable for binds only) with TLS from
# DIR/CERT-ca.pem, DIR/CERT.pem and DIR/CERT.key; LINES go before the
# database section
slapd_conf() {
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	mkdir -p "$1/db"
	cat > "$1/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include $here/ad.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $1/slapd.pid
TLSCACertificateFile $1/$3-ca.pem
TLSCertificateFile $1/$3.pem
TLSCertificateKeyFile $1/$3.key
${4:-}
# AD's MaxPageSize: an unpaged search gets 1000 entries and sizeLimitExceeded
sizelimit size.soft=1000 size.hard=1000 size.pr=1000 size.prtotal=unlimited
database mdb
maxsize 1073741824
suffix "$2"
rootdn "CN=admin,$2"
rootpw admin-pw
directory $1/db
index objectClass,proxyAddresses eq
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
CONF
}

# mk_ldif FILE FIRST LAST PATTERN : one entry per number, its one
# proxyAddresses value made by printf PATTERN (e.g. "SMTP:u%d@corp.example")
mk_ldif() {
	local i
	for i in $(seq "$2" "$3"); do
		printf "dn: CN=u%d,DC=corp,DC=example\nproxyAddresses: $4\n\n" "$i" "$i"
	done > "$1"
}

# start_postfix TYPE [MAIN_CF_LINES] : a private Postfix instance (its own
# config, queue and data directories in $WORK/pf-${PF_NAME:-TYPE}, 127.0.0.1
# on a free port, everything relayed to discard:) with relay_recipient_maps
# = TYPE:$T (relay_domains = $PF_RELAY_DOMAINS, default corp.example).
# Sets P, T, PORT, PF_PID.  Needs root.
start_postfix() {
	local type=$1 extra=${2:-}
	P=$WORK/pf-${PF_NAME:-$type}; T=$P/relay_recipients
	mkdir -p "$P/conf" "$P/queue" "$P/data"
	chown postfix "$P/data"
	PORT=$(free_port)
	cat > "$P/conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $P/queue
data_directory = $P/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = gw.test.example
mydestination =
relay_domains = ${PF_RELAY_DOMAINS:-corp.example}
relay_recipient_maps = $type:$T
smtpd_recipient_restrictions = ${PF_RCPT_RESTRICTIONS:-reject_unauth_destination}
relay_transport = discard:
default_transport = discard:
recipient_delimiter = +
alias_maps =
alias_database =
maillog_file = $P/maillog
maillog_file_prefixes = $P
$extra
CF
	cat > "$P/conf/master.cf" <<CF
127.0.0.1:$PORT inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CF
	postfix -c "$P/conf" check || { echo "postfix check failed"; return 1; }
	postfix -c "$P/conf" start || { echo "postfix start failed"; return 1; }
	wait_port "$PORT" || { echo "no listener on $PORT"; return 1; }
	PF_PID=$(sed -n 's/ //gp' "$P/queue/pid/master.pid"); CLEANUP_PIDS+=("$PF_PID")
}
