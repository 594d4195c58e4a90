#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One change in the directory, as a gateway sees between two syncs: adds
# an SMTP address (NAME@corp.example) to one object, or takes it away
# again when it is there.  The benchmark's "changed" runs call it before
# each run, an even number of times in all for each NAME, so the
# directory ends as it began and every table can be checked against the
# generator's.  Each tool toggles an address of its own (run.sh: the
# howto pipeline bench-toggle-howto): when two tools take turns round by
# round, one tool's toggle could otherwise undo the other's, and a
# "changed" run would find nothing changed.  DIR/toggled (NAME
# bench-toggle) or DIR/toggled-NAME says the address is there.
# Usage: bench/toggle.sh DIR [NAME]    (DIR of bench/slapd.sh)
set -euo pipefail
DIR=$1 NAME=${2:-bench-toggle}
# shellcheck disable=SC1091
. "$DIR/env"
MARK=$DIR/toggled
[ "$NAME" = bench-toggle ] || MARK=$DIR/toggled-$NAME
if [ -e "$MARK" ]; then op=delete; rm -f "$MARK"
else op=add; touch "$MARK"; fi
ldapmodify -x -H "ldap://127.0.0.1:$PORT" -D "CN=admin,$BASE" -y "$DIR/admin.secret" > /dev/null <<LDIF
dn: $TOGGLE_DN
changetype: modify
$op: proxyAddresses
proxyAddresses: smtp:$NAME@corp.example
-
LDIF
