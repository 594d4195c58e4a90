#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# output.relay_domains with a domains list (an LDIF source: no server):
# a domain that goes stays listed while its addresses are pending removal
# (safety.removal_grace), whatever its place in the sorted table (first,
# middle or last), and the hook is owed when a later step fails
# after a map was replaced; a relay-only publish whose hook fails still
# runs the owed verify-cache purge; a relay_domains text deleted with its map
# still there is compared with the map (the removal limit holds); a
# must_not_exist address is caught behind an "@domain" key; extra lines
# outside the domains are named, and explain says 554 for them; an
# approval (sync --approve) covers relay_domains' change as well.
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

# --- departing domains that do not sort last (first and middle) ---------------
# keep_pending added to the new set while still looking it up: a panic
# (exit 134) every run, for sync and diff, and the grace never ended
rm -rf "$O" "$D/hook.log"; mkdir -p "$O"
mk_ldif "$D/aa.ldif" 11 12 "SMTP:u%d@aa.example"
mk_ldif "$D/mid.ldif" 13 14 "SMTP:u%d@mid.example"
mk_ldif "$D/zz.ldif" 15 16 "SMTP:u%d@zz.example"
cat "$D/corp.ldif" "$D/aa.ldif" "$D/mid.ldif" "$D/zz.ldif" > "$D/order.ldif"
order_conf() {
	conf "$1" "$2" "safety: {removal_grace: 2 runs, max_removed: 100%}"
	sed -i "s|ldif: $D/all.ldif|ldif: $D/order.ldif|" "$D/$1.yaml"
}
order_conf order-all "aa.example, corp.example, mid.example, zz.example"
order_conf order-left "corp.example, zz.example"
expect_rc "order: first sync" 0 "$RCPTSYNC" -c "$D/order-all.yaml" sync
check "order: four domains listed" test "$(domains_now)" = "aa.example corp.example mid.example zz.example "
expect_rc "order: diff with aa (first) and mid (middle) leaving" 0 "$RCPTSYNC" -c "$D/order-left.yaml" diff
expect_rc "order: sync with aa (first) and mid (middle) leaving" 0 "$RCPTSYNC" -c "$D/order-left.yaml" sync
contains "order: their addresses are pending" "4 pending removal"
check "order: aa and mid stay listed while they are" test "$(domains_now)" = "aa.example corp.example mid.example zz.example "
expect_rc "order: diff while pending" 0 "$RCPTSYNC" -c "$D/order-left.yaml" diff
expect_rc "order: second run" 0 "$RCPTSYNC" -c "$D/order-left.yaml" sync
expect_rc "order: third run: the addresses go" 0 "$RCPTSYNC" -c "$D/order-left.yaml" sync
check "order: the addresses left the map" test -z "$(postmap -s "hash:$O/rr" | grep -e aa.example -e mid.example)"
check "order: then the domains left relay_domains" test "$(domains_now)" = "corp.example zz.example "

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

# --- a relay-only publish whose hook fails: the owed verify purge still runs ------
rm -rf "$O"; mkdir -p "$O"
printf 'u1@corp.example 2:1:1:bounced\nu9@corp.example 2:1:1:bounced\n' > "$D/vc"
postmap "btree:$D/vc"
# vconf NAME DOMAINS [HOOK] : a verify_cache config
vconf() {
	cat > "$D/$1.yaml" <<YAML
source: {ldif: $D/corp.ldif}
domains: [$2]
output: {table: $O/rr, relay_domains: $O/rd}
lock: $D/lock
verify_cache: {path: $D/vc, type: btree}
${3:-}
YAML
}
vconf v-one "corp.example"
vconf v-two "corp.example, new.example" "hooks: {after_change: [/bin/false]}"
( exec 9<"$D/vc.db"; flock -x 9; exec sleep 60 ) &
holder=$!; CLEANUP_PIDS+=("$holder")
for i in $(seq 50); do flock -n "$D/vc.db" true || break; sleep 0.1; done
expect_rc "relay-only: first sync, the cache locked" 0 "$RCPTSYNC" -c "$D/v-one.yaml" sync
contains "relay-only: the purge is owed" "not purged"
check "relay-only: the state owes u1" grep -q '^verify_purge u1@corp.example' "$O/rr.rcptsync-state"
stop_pid "$holder"; wait "$holder" 2>/dev/null
expect_rc "relay-only: a domain comes, no address: the hook fails" 75 "$RCPTSYNC" -c "$D/v-two.yaml" sync
check "relay-only: relay_domains was published" test "$(domains_now)" = "corp.example new.example "
check "relay-only: the owed purge ran anyway" test -z "$(postmap -s "btree:$D/vc" | grep '^u1@')"
check "relay-only: other entries kept" test -n "$(postmap -s "btree:$D/vc" | grep '^u9@')"
check "relay-only: nothing owed any more" lacks '^verify_purge ' "$O/rr.rcptsync-state"
check "relay-only: the hook is owed" grep -q '^hook_owed [1-9]' "$O/rr.rcptsync-state"

# --- check: the domains table's directory must be writable too ---------------
cat > "$D/nodir.yaml" <<YAML
source: {ldif: $D/all.ldif}
domains: [corp.example]
output: {table: $O/rr, relay_domains: $D/nodir/rd}
lock: $D/lock
YAML
expect_rc "check: relay_domains' directory missing" 73 "$RCPTSYNC" -c "$D/nodir.yaml" check
contains "check names it" "cannot write to output.relay_domains' directory $D/nodir"
# --- sync --approve covers relay_domains: its change is in the digest ----------
# gone.example leaves: 3 of 8 addresses pass max_removed 40%, 1 of 2 domains
# does not; the approval of that change must not pass another change of
# relay_domains with the same recipients' change.
rm -rf "$O"; mkdir -p "$O"
conf two-app "corp.example, gone.example" "safety: {max_removed: 40%}"
conf one-app "corp.example" "safety: {max_removed: 40%}"
conf other-app "corp.example, other.example" "safety: {max_removed: 40%}"
expect_rc "approve: first sync" 0 "$RCPTSYNC" -c "$D/two-app.yaml" sync
expect_rc "approve: the domain removal is refused" 65 "$RCPTSYNC" -c "$D/one-app.yaml" sync
contains "approve: ... by relay_domains' limit" "relay_domains entries"
"$RCPTSYNC" --json -c "$D/one-app.yaml" diff > "$D/app.json" 2>/dev/null
DIG=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$D/app.json")
expect_rc "approve: another relay_domains change, same recipients' change: refused" 65 \
	"$RCPTSYNC" -c "$D/other-app.yaml" sync --approve "$DIG"
contains "approve: ... naming both tables' counts" "recipients: 0 to add, 3 to remove; relay_domains: 1 to add, 1 to remove"
check "approve: ... relay_domains untouched" test "$(domains_now)" = "corp.example gone.example "
check "approve: ... the recipients too" test "$(postmap -q u6@gone.example "hash:$O/rr")" = OK
expect_rc "approve: the reviewed change" 0 "$RCPTSYNC" -c "$D/one-app.yaml" sync --approve "$DIG"
check "approve: the domain left relay_domains" test "$(domains_now)" = "corp.example "
check "approve: its addresses left the map" test -z "$(postmap -s "hash:$O/rr" | grep gone.example)"

finish
