#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One change in the directory, as a gateway sees between two syncs: adds
# an SMTP address to one object, or takes it away again when it is there.
# The benchmark's "changed" runs call it before each run (hyperfine
# --prepare), an even number of times in all, so the directory ends as it
# began and every table can be checked against the generator's.
# Usage: bench/toggle.sh DIR    (DIR of bench/slapd.sh)
set -euo pipefail
DIR=$1
# shellcheck disable=SC1091
. "$DIR/env"
if [ -e "$DIR/toggled" ]; then op=delete; rm -f "$DIR/toggled"
else op=add; touch "$DIR/toggled"; fi
ldapmodify -x -H "ldap://127.0.0.1:$PORT" -D "CN=admin,$BASE" -y "$DIR/admin.secret" > /dev/null <<LDIF
dn: $TOGGLE_DN
changetype: modify
$op: proxyAddresses
proxyAddresses: smtp:bench-toggle@corp.example
-
LDIF
