#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One change in the directory, as a gateway sees between two syncs: adds
# an SMTP address (NAME@corp.example) to one object, or takes it away
# again when it is there.  The benchmark's "changed" runs call it before
# each run; DIR/toggled (NAME bench-toggle) or DIR/toggled-NAME says the
# address is there, so that every table can be checked against the
# generator's and the addresses.  Each tool toggles an address of its
# own (run.sh: the howto pipeline bench-toggle-howto): when two tools
# take turns round by round, one tool's toggle could otherwise undo the
# other's, and a "changed" run would find nothing changed.  The mark
# moves only once the directory did.
# Usage: bench/toggle.sh DIR [NAME]    (DIR of bench/slapd.sh)
set -euo pipefail
DIR=$1 NAME=${2:-bench-toggle}
# shellcheck disable=SC1091
. "$DIR/env"
MARK=$DIR/toggled
[ "$NAME" = bench-toggle ] || MARK=$DIR/toggled-$NAME
if [ -e "$MARK" ]; then op=delete; else op=add; fi
ldapmodify -x -H "ldap://127.0.0.1:$PORT" -D "CN=admin,$BASE" -y "$DIR/admin.secret" > /dev/null <<LDIF
dn: $TOGGLE_DN
changetype: modify
$op: proxyAddresses
proxyAddresses: smtp:$NAME@corp.example
-
LDIF
if [ "$op" = add ]; then touch "$MARK"; else rm -f "$MARK"; fi
