# SPDX-License-Identifier: MIT
# A private Samba AD DC in a network namespace (bash; sourced after lib.sh,
# whose stop_pid and certificate helpers it uses; not run).
# Used by tests/integration/samba.sh and bench/samba.sh.  Needs root.
#
# The DC listens only on the namespace's own loopback (127.0.0.1 there),
# and every client runs inside the same namespace (in_ns): no packet can
# reach another machine, and nothing collides with the host's ports.
# State lives in $SDC (a temp dir); the DC is stopped by PID, then every
# process left in the namespace, then the namespace is deleted.
#
#   samba_dc_start DIR   provision, certificates, start, service account;
#                        with RCPTSYNC_DC_TEMPLATE=TPL set, a copy of the
#                        provision in TPL (made there by the first suite
#                        that needs it) instead of a provision of its own
#   in_ns CMD...         run CMD inside the namespace
#   samba_dc_stop        stop by PID, delete the namespace
#   samba_dc_load LDIF   add entries with ldbadd (bulk, while it runs)
#   samba_dc_grant_dirsync ACCOUNT   the rights incremental: dirsync needs
#   samba_dc_hang ADDR PORT   a server in the namespace that accepts TCP
#                        on ADDR:PORT and never answers; its PID in HANG_PID,
#                        a line "accepted" for each connection in HANG_OUT
#
# After start: $SDC_CA (test CA), $SDC_KEYTAB (svc-rcptsync's keytab),
# $SDC_PW (its password file), KRB5_CONFIG exported (the realm's KDC is the
# DC), $SDC_PID, $SDC_NS.

SDC_REALM=CORP.EXAMPLE
SDC_DOMAIN_DN="DC=corp,DC=example"
SDC_SVC=svc-rcptsync
SDC_SVC_PASS='Svc-Pass!word1'
SDC_ADMIN_PASS='Adm1n-Pass!word'
SDC_NS=
SDC_PID=

in_ns() { ip netns exec "$SDC_NS" "$@"; }

# samba_dc_wait_port PORT : until the DC listens (30 s)
samba_dc_wait_port() {
	local i
	for i in $(seq 300); do
		in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null && return 0
		kill -0 "$SDC_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# samba_tool ARGS... : samba-tool on the DC's own database and smb.conf
samba_tool() {
	samba-tool "$@" -s "$SDC/etc/smb.conf" -H "$SDC/private/sam.ldb"
}

# samba_dc_provision DIR LOG : the provision alone (7-10 s)
samba_dc_provision() {
	mkdir -p "$1" || return 1
	# -s /dev/null: not the machine's smb.conf
	samba-tool domain provision -s /dev/null --targetdir="$1" \
		--realm="$SDC_REALM" --domain=CORP --server-role=dc \
		--dns-backend=SAMBA_INTERNAL --use-rfc2307 --host-ip=127.0.0.1 \
		--host-name=dc1 --adminpass="$SDC_ADMIN_PASS" \
		> "$2" 2>&1 || { tail -5 "$2"; return 1; }
}

# samba_dc_from_template TPL : $SDC as a copy of the finished provision in
# TPL/dc, provisioned there first (under TPL/lock, so that suites run side
# by side provision it once) if TPL holds none.  The provision writes its
# own absolute path only into etc/smb.conf (checked: none in the ldb, tdb
# or any other file of the tree, nor in the sysvol's extended attributes);
# it is rewritten to $SDC, and any other file still naming TPL fails the
# start.  Everything after the provision stays per DC.
samba_dc_from_template() {
	local tpl=$1 conf
	mkdir -p "$tpl" || return 1
	(
		flock 9 || exit 1
		[ -e "$tpl/provisioned" ] && exit 0
		rm -rf "$tpl/dc"
		samba_dc_provision "$tpl/dc" "$tpl/provision.log" &&
			touch "$tpl/provisioned"
	) 9> "$tpl/lock" || return 1
	[ -e "$tpl/provisioned" ] || return 1
	cp -a "$tpl/dc/." "$SDC/" || return 1
	conf=$(< "$SDC/etc/smb.conf") || return 1
	printf '%s\n' "${conf//"$tpl/dc"/"$SDC"}" > "$SDC/etc/smb.conf" || return 1
	if grep -rlF "$tpl" "$SDC"; then
		echo "the files above still name the template $tpl" >&2
		return 1
	fi
}

samba_dc_start() {
	SDC=$1
	SDC_NS=rcptsync-dc-$$
	mkdir -p "$SDC/log" "$SDC/run"
	ip netns add "$SDC_NS" || return 1
	in_ns ip link set lo up || return 1
	if [ -n "${RCPTSYNC_DC_TEMPLATE:-}" ]; then
		samba_dc_from_template "$RCPTSYNC_DC_TEMPLATE" || return 1
	else
		samba_dc_provision "$SDC" "$SDC/provision.log" || return 1
	fi
	# Samba's own certificate has no subjectAltName: our CA, our cert.
	make_test_ca "$SDC" samba &&
		make_cert_for "$SDC" dc samba \
			"DNS:dc1.corp.example,IP:127.0.0.1,IP:127.0.0.3,DNS:localhost" ||
		return 1
	chmod 600 "$SDC/dc.key"
	SDC_CA=$SDC/samba-ca.pem
	# No forwarder (it would send DNS queries off the machine); TLS with
	# our cert; strong auth required as by a hardened AD: simple binds only
	# inside TLS, SASL inside TLS only with channel bindings; pid files and
	# sockets here (Samba 4.22 puts ncalrpc in /run/samba, which only the
	# package's own service creates: without it smbd exits and the DC with it).
	sed -i '/dns forwarder/d' "$SDC/etc/smb.conf"
	sed -i "/\[global\]/a\\
	tls enabled = yes\\
	tls keyfile = $SDC/dc.key\\
	tls certfile = $SDC/dc.pem\\
	tls cafile = $SDC/samba-ca.pem\\
	ldap server require strong auth = yes\\
	pid directory = $SDC/run\\
	ncalrpc dir = $SDC/run/ncalrpc\\
	winbindd socket directory = $SDC/run/winbindd\\
	interfaces = lo\\
	bind interfaces only = yes\\
	server services = -nbt -wrepl -winbindd -ntp_signd -kcc -dnsupdate" "$SDC/etc/smb.conf"
	cat > "$SDC/krb5.conf" <<EOF
[libdefaults]
	default_realm = $SDC_REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
[realms]
	$SDC_REALM = {
		kdc = 127.0.0.1
	}
EOF
	export KRB5_CONFIG=$SDC/krb5.conf
	# not through in_ns: $! must be samba itself (ip execs it)
	ip netns exec "$SDC_NS" samba --foreground --no-process-group \
		-s "$SDC/etc/smb.conf" -l "$SDC/log" > "$SDC/samba.out" 2>&1 &
	SDC_PID=$!
	samba_dc_wait_port 636 && samba_dc_wait_port 88 || {
		tail -20 "$SDC/samba.out" "$SDC/log/log.samba" 2>/dev/null; return 1; }
	# The service account, its keytab, its password file; SPNs so that
	# GSSAPI works by IP (the client does not canonicalise).
	samba_tool user add "$SDC_SVC" "$SDC_SVC_PASS" >/dev/null || return 1
	samba_tool spn add ldap/127.0.0.1 'DC1$' >/dev/null || return 1
	samba_tool spn add ldap/127.0.0.3 'DC1$' >/dev/null || return 1
	SDC_KEYTAB=$SDC/svc.keytab
	samba-tool domain exportkeytab "$SDC_KEYTAB" --principal="$SDC_SVC@$SDC_REALM" \
		-s "$SDC/etc/smb.conf" > "$SDC/keytab.log" 2>&1 ||
		{ cat "$SDC/keytab.log"; return 1; }
	chmod 600 "$SDC_KEYTAB"
	SDC_PW=$SDC/svc.secret
	printf '%s\n' "$SDC_SVC_PASS" > "$SDC_PW"; chmod 600 "$SDC_PW"
}

# samba_dc_load LDIF : bulk add through the DC's own database, in chunks
# of 1000 entries: one ldbadd of 20,000 took 615 s here, chunks a fraction
samba_dc_load() {
	local chunk
	rm -f "$SDC"/load.*.ldif
	python3 - "$1" "$SDC/load" <<'PY' || return 1
import sys
recs = [r for r in open(sys.argv[1]).read().split("\n\n") if r.strip()]
for i in range(0, len(recs), 1000):
    with open("%s.%05d.ldif" % (sys.argv[2], i // 1000), "w") as f:
        f.write("\n\n".join(recs[i:i + 1000]) + "\n")
PY
	for chunk in "$SDC"/load.*.ldif; do
		ldbadd -H "$SDC/private/sam.ldb" "$chunk" > "$SDC/ldbadd.log" 2>&1 ||
			{ tail -5 "$SDC/ldbadd.log"; return 1; }
	done
}

# samba_dc_grant_dirsync ACCOUNT : what incremental: dirsync needs, as an
# admin would grant it: "Replicating Directory Changes" on the domain, and
# (Samba 4.17 hides tombstones from DirSync without it) list and read on
# CN=Deleted Objects, which samba-tool dsacl cannot find: ldbmodify with
# the show-deleted control, the descriptor's SACL kept.
samba_dc_grant_dirsync() {
	local sid sd
	samba_tool dsacl set --car=get-changes --action=allow \
		--objectdn="$SDC_DOMAIN_DN" \
		--trusteedn="CN=$1,CN=Users,$SDC_DOMAIN_DN" >/dev/null 2>&1 || return 1
	sid=$(samba_tool user show "$1" --attributes=objectSid 2>/dev/null |
		awk '/^objectSid:/ {print $2}')
	sd=$(ldbsearch -H "$SDC/private/sam.ldb" --show-deleted -s base \
		-b "CN=Deleted Objects,$SDC_DOMAIN_DN" nTSecurityDescriptor 2>/dev/null |
		sed -n '/^nTSecurityDescriptor:/,/^$/p' | sed 's/^ //' | tr -d '\n' |
		sed 's/^nTSecurityDescriptor: //')
	case $sd in *')S:'*) ;; *) return 1 ;; esac
	[ -n "$sid" ] || return 1
	printf 'dn: CN=Deleted Objects,%s\nchangetype: modify\nreplace: nTSecurityDescriptor\nnTSecurityDescriptor: %s\n' \
		"$SDC_DOMAIN_DN" "${sd/)S:/)(A;;RPLC;;;$sid)S:}" |
		ldbmodify -H "$SDC/private/sam.ldb" --show-deleted >/dev/null 2>&1
}

# samba_dc_stop_server : the DC only (the namespace stays)
samba_dc_stop_server() {
	[ -n "$SDC_PID" ] && stop_pid "$SDC_PID"
	SDC_PID=
}

samba_dc_stop() {
	local pid
	samba_dc_stop_server
	[ -n "$SDC_NS" ] || return 0
	# anything still in the namespace (helpers samba forked)
	for pid in $(ip netns pids "$SDC_NS" 2>/dev/null); do stop_pid "$pid"; done
	ip netns del "$SDC_NS" 2>/dev/null
	SDC_NS=
}

# samba_dc_hang ADDR PORT : a "DC" that accepts TCP on ADDR:PORT inside the
# namespace and never answers (stopped by PID with the suite's cleanup)
samba_dc_hang() {
	local out=$SDC/hang-$1-$2.out i
	in_ns python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(8); print("ready", flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c); print("accepted", flush=True)
' "$1" "$2" > "$out" 2>&1 &
	HANG_PID=$! HANG_OUT=$out
	CLEANUP_PIDS+=("$HANG_PID")
	for i in $(seq 50); do grep -q ready "$out" && return 0; sleep 0.1; done
	return 1
}
