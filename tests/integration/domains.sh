#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# output.relay_domains with a domains list (an LDIF source: no server):
# a domain that goes stays listed while its addresses are pending removal
# (safety.removal_grace), and the hook is owed when a later step fails
# after a map was replaced; a relay_domains text deleted with its map
# still there is compared with the map (the removal limit holds); a
# must_not_exist address is caught behind an "@domain" key; extra lines
# outside the domains are named, and explain says 554 for them.
# (Exchange's accepted domains, against a real DC: samba-domains.sh.)
# Usage: domains.sh PATH/TO/rcptsync
RCPTSYNC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require postmap
D=$WORK
O=$D/out
mkdir -p "$O"
mk_ldif "$D/corp.ldif" 1 5 "SMTP:u%d@corp.example"
mk_ldif "$D/gone.ldif" 6 8 "SMTP:u%d@gone.example"
cat "$D/corp.ldif" "$D/gone.ldif" > "$D/all.ldif"
cat > "$D/hook.sh" <<'SH'
#!/bin/sh
echo ran >> "$(dirname "$0")/hook.log"
SH
chmod +x "$D/hook.sh"
# conf NAME DOMAINS [TOP-EXTRA] : $D/NAME.yaml, both tables in $O
conf() {
	cat > "$D/$1.yaml" <<YAML
source: {ldif: $D/all.ldif}
domains: [$2]
output: {table: $O/rr, relay_domains: $O/rd}
lock: $D/lock
hooks: {after_change: [$D/hook.sh]}
${3:-}
YAML
}
domains_now() { postmap -s "hash:$O/rd" | awk '{print $1}' | sort | tr '\n' ' '; }
hooks_run() { wc -l < "$D/hook.log" 2>/dev/null || echo 0; }

# --- a domain that goes, with removal_grace -----------------------------------
conf two "corp.example, gone.example" "safety: {removal_grace: 2 runs, max_removed: 100%}"
conf one "corp.example" "safety: {removal_grace: 2 runs, max_removed: 100%}"
expect_rc "grace: first sync" 0 "$RCPTSYNC" -c "$D/two.yaml" sync
check "grace: both domains listed" test "$(domains_now)" = "corp.example gone.example "
expect_rc "grace: gone.example leaves domains" 0 "$RCPTSYNC" -c "$D/one.yaml" sync
contains "grace: its addresses are pending" "3 pending removal"
check "grace: gone.example stays listed while they are" test "$(domains_now)" = "corp.example gone.example "
expect_rc "grace: explain a pending address" 0 "$RCPTSYNC" -c "$D/one.yaml" explain u6@gone.example
contains "grace: explain says it is accepted" "u6@gone.example: ACCEPTED (in the map)"
expect_rc "grace: second run" 0 "$RCPTSYNC" -c "$D/one.yaml" sync
expect_rc "grace: third run: the addresses go" 0 "$RCPTSYNC" -c "$D/one.yaml" sync
check "grace: the addresses left the map" test -z "$(postmap -s "hash:$O/rr" | grep gone.example)"
check "grace: then the domain left relay_domains" test "$(domains_now)" = "corp.example "

# --- the hook is owed when the last step fails ----------------------------------
rm -rf "$O" "$D/hook.log"; mkdir -p "$O"
conf one-plain "corp.example" "safety: {max_removed: 100%}"
conf two-plain "corp.example, gone.example" "safety: {max_removed: 100%}"
expect_rc "hook: first sync" 0 "$RCPTSYNC" -c "$D/one-plain.yaml" sync
check "hook: ran once" test "$(hooks_run)" -eq 1
mkdir "$O/rd.db.blocker" && rm -f "$O/rd.db" && mkdir "$O/rd.db"	# rename onto a directory fails
expect_rc "hook: a domain comes, relay_domains cannot be replaced" 73 "$RCPTSYNC" -c "$D/two-plain.yaml" sync
check "hook: the recipients were published" test "$(postmap -q u6@gone.example "hash:$O/rr")" = OK
check "hook: the state file records it owed" grep -q '^hook_owed [1-9]' "$O/rr.rcptsync-state"
rmdir "$O/rd.db" "$O/rd.db.blocker"
expect_rc "hook: next run" 0 "$RCPTSYNC" -c "$D/two-plain.yaml" sync
check "hook: then it ran" test "$(hooks_run)" -eq 2
check "hook: relay_domains has the domain" test "$(domains_now)" = "corp.example gone.example "

# --- relay_domains text deleted, map there: the removal limit holds -------------
conf one-strict "corp.example" "safety: {max_removed: 40%}"	# 3 of 8 addresses pass
rm "$O/rd"
expect_rc "deleted text: removal refused against the map" 65 "$RCPTSYNC" -c "$D/one-strict.yaml" sync
contains "deleted text: compared with the map" "is missing, but $O/rd.db is there"
contains "deleted text: relay_domains entries named" "relay_domains entries"
check "deleted text: the map still lists both" test "$(domains_now)" = "corp.example gone.example "

# --- must_not_exist behind "@domain"; extra lines outside the domains ------------
printf '@gone.example\tOK\nfriend@hosted.example\tOK\n' > "$D/extra"
conf canary "corp.example, gone.example" "extra: $D/extra
safety: {max_removed: 100%, must_not_exist: [nobody@gone.example]}"
before=$(md5sum < "$O/rr")
expect_rc "canary: caught behind @gone.example" 65 "$RCPTSYNC" -c "$D/canary.yaml" sync
contains "canary: says through what" "nobody@gone.example (safety.must_not_exist) would be accepted through @gone.example"
check "canary: the table untouched" test "$(md5sum < "$O/rr")" = "$before"
conf extra "corp.example, gone.example" "extra: $D/extra
safety: {max_removed: 100%}"
expect_rc "extra: sync" 0 "$RCPTSYNC" -c "$D/extra.yaml" sync
contains "extra: a line outside relay_domains is named" "friend@hosted.example is in the table, but its domain is not in output.relay_domains"
expect_rc "extra: explain says 554" 1 "$RCPTSYNC" -c "$D/extra.yaml" explain friend@hosted.example
# the private main.cf leaves smtpd_relay_restrictions at Postfix's default,
# whose defer_unauth_destination answers first: 454 (explain follows it)
contains "extra: explain's verdict" "REJECTED (its domain is not accepted: 454"
expect_rc "extra: explain through @domain" 0 "$RCPTSYNC" -c "$D/extra.yaml" explain anyone@gone.example
contains "extra: accepted as @gone.example" "ACCEPTED (in the map as @gone.example)"
# an extra line does not keep a domain that goes (only pending removals do)
conf extra-gone "corp.example" "extra: $D/extra
safety: {max_removed: 100%}"
expect_rc "extra: gone.example leaves domains" 0 "$RCPTSYNC" -c "$D/extra-gone.yaml" sync
check "extra: @gone.example in the extra file does not keep it listed" test "$(domains_now)" = "corp.example "
contains "extra: the line is named instead" "@gone.example is in the table, but its domain is not in output.relay_domains"

# --- check: the domains table's directory must be writable too ---------------
cat > "$D/nodir.yaml" <<YAML
source: {ldif: $D/all.ldif}
domains: [corp.example]
output: {table: $O/rr, relay_domains: $D/nodir/rd}
lock: $D/lock
YAML
expect_rc "check: relay_domains' directory missing" 73 "$RCPTSYNC" -c "$D/nodir.yaml" check
contains "check names it" "cannot write to output.relay_domains' directory $D/nodir"
finish
