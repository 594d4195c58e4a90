#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Crash consistency: kill "sync" with SIGKILL at every crash point of the
# write sequence (a -Dfault_injection=true build: RCPTSYNC_CRASH_AT=N),
# then check what Postfix would see: postmap -s gives exactly the old set
# or exactly the new set, the next run completes, repairs any mismatch
# between text and map, and leaves no temporary file behind.
# Usage: crash.sh PATH/TO/rcptsync
RCPTSYNC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require postmap
if ! "$RCPTSYNC" --version | grep -q 'fault injection: on'; then
	[ "${CI:-}" = true ] && { echo "CI needs a -Dfault_injection=true build"; exit 1; }
	echo "SKIP: build without -Dfault_injection"; exit 77
fi
D=$WORK
T=$D/out/relay_recipients

# Two directory states: OLD, then NEW (3 added, 2 removed).
mk_ldif "$D/old.ldif" 1 60 "SMTP:u%d@corp.example"
mk_ldif "$D/new.ldif" 3 63 "SMTP:u%d@corp.example"
seq 1 60 | sed 's/.*/u&@corp.example\tOK/' | sort > "$D/old.set"
seq 3 63 | sed 's/.*/u&@corp.example\tOK/' | sort > "$D/new.set"
mkconf() {	# mkconf NAME LDIF
	printf 'source:\n  ldif: %s\noutput:\n  table: %s\nlock: %s/lock\nsafety:\n  max_removed: 50%%\n' \
		"$2" "$T" "$D" > "$D/$1.yaml"
}
mkconf old "$D/old.ldif"; mkconf new "$D/new.ldif"
map_set() { postmap -s "hash:$T" 2>/dev/null | sort; }
text_set() { grep -v '^#' "$T" | sort; }
leftovers() { ls -a "$D/out" | grep -c 'rcptsync-tmp'; }
is_old_or_new() { local got; got=$("$@"); [ "$got" = "$(cat "$D/old.set")" ] || [ "$got" = "$(cat "$D/new.set")" ]; }

steps=7		# 6 points in the map publish, 1 in the state file write
tried=0
for n in $(seq 1 $steps); do
	rm -rf "$D/out"; mkdir "$D/out"
	"$RCPTSYNC" -q -c "$D/old.yaml" sync || { bad "setup for crash point $n"; continue; }
	RCPTSYNC_CRASH_AT=$n "$RCPTSYNC" -q -c "$D/new.yaml" sync 2>/dev/null
	rc=$?; tried=$((tried + 1))
	check "crash point $n: the process was killed (rc $rc)" test "$rc" -eq 137
	check "crash point $n: postmap -s is exactly the old or the new set" is_old_or_new map_set
	check "crash point $n: the text table is exactly old or new" is_old_or_new text_set
	expect_rc "crash point $n: next run completes" 0 "$RCPTSYNC" -c "$D/new.yaml" sync
	check "crash point $n: after it the map is the new set" diff -u "$D/new.set" <(map_set)
	check "crash point $n: after it the text is the new set" diff -u "$D/new.set" <(text_set)
	check "crash point $n: no temporary files left" test "$(leftovers)" -eq 0
done
# An object cache's temporary file from a crash is litter too; the caches
# themselves are not.
rm -rf "$D/out"; mkdir "$D/out"
: > "$T.rcptsync-cache.rcptsync-tmp.Ab12Cd"
: > "$T.rcptsync-cache.2.rcptsync-tmp.Ef34Gh"
echo keep > "$T.rcptsync-cache.2"
expect_rc "with object-cache leftovers: sync" 0 "$RCPTSYNC" -c "$D/new.yaml" sync
contains "the leftovers are reported" "removed 2 temporary files"
check "object-cache temporary files removed" test "$(leftovers)" -eq 0
check "an object cache is not a leftover" test "$(cat "$T.rcptsync-cache.2")" = keep

# The hard case: a crash between the two renames (new map, old text), and
# then the directory goes back to exactly the old set.  The text agrees
# with the directory, so only the recorded inodes show that the map is not
# the one rcptsync published last; the next run must rewrite it.
rm -rf "$D/out"; mkdir "$D/out"
"$RCPTSYNC" -q -c "$D/old.yaml" sync
RCPTSYNC_CRASH_AT=4 "$RCPTSYNC" -q -c "$D/new.yaml" sync 2>/dev/null
check "between the renames: the map is new, the text old" test "$(map_set)" = "$(cat "$D/new.set")"
expect_rc "directory back to the old set: next run" 0 "$RCPTSYNC" -c "$D/old.yaml" sync
contains "it notices the map it did not publish" "map written"
check "after it the map is the old set again" diff -u "$D/old.set" <(map_set)
check "and the text agrees" diff -u "$D/old.set" <(text_set)
expect_rc "a run after that writes nothing" 0 "$RCPTSYNC" -c "$D/old.yaml" sync
contains "no change" "no change"

# Two tables: output.relay_domains.  A domain goes (gone.example) and one
# comes (new.example) in one run: three publishes (the domains without the
# one that goes, the recipients, the domains with the new one) and the
# state.  At every crash point, every domain Postfix would relay has its
# recipients in the recipient map: never a domain relayed without them.
R=$D/out/relay_domains
mk_ldif "$D/dom-corp.ldif" 1 5 "SMTP:u%d@corp.example"
mk_ldif "$D/dom-gone.ldif" 6 8 "SMTP:u%d@gone.example"
mk_ldif "$D/dom-new.ldif" 9 11 "SMTP:u%d@new.example"
cat "$D/dom-corp.ldif" "$D/dom-gone.ldif" "$D/dom-new.ldif" > "$D/two.ldif"
mkdomains() {	# mkdomains NAME DOMAIN...
	local name=$1; shift
	printf 'source:\n  ldif: %s\ndomains: [%s]\noutput:\n  table: %s\n  relay_domains: %s\nlock: %s/lock\nsafety:\n  max_removed: 50%%\n' \
		"$D/two.ldif" "$(IFS=,; echo "$*")" "$T" "$R" "$D" > "$D/$name.yaml"
}
mkdomains dom-old corp.example gone.example
mkdomains dom-new corp.example new.example
# relayed_without_recipients : the domains in the relay_domains map that
# have no key in the recipient map (none, when all is well)
relayed_without_recipients() {
	local dom
	for dom in $(postmap -s "hash:$R" 2>/dev/null | awk '{print $1}'); do
		postmap -s "hash:$T" 2>/dev/null | grep -q "@$dom	" || echo "$dom"
	done
}
dsteps=19	# 3 publishes of 6 points, 1 in the state file write
for n in $(seq 1 $dsteps); do
	rm -rf "$D/out"; mkdir "$D/out"
	"$RCPTSYNC" -q -c "$D/dom-old.yaml" sync || { bad "domains: setup for crash point $n"; continue; }
	RCPTSYNC_CRASH_AT=$n "$RCPTSYNC" -q -c "$D/dom-new.yaml" sync 2>/dev/null
	rc=$?; tried=$((tried + 1))
	check "domains, crash point $n: the process was killed (rc $rc)" test "$rc" -eq 137
	check "domains, crash point $n: no domain relayed without its recipients" \
		test -z "$(relayed_without_recipients)"
	expect_rc "domains, crash point $n: next run completes" 0 "$RCPTSYNC" -c "$D/dom-new.yaml" sync
	check "domains, crash point $n: then relay_domains is the new one" \
		test "$(postmap -s "hash:$R" | sort | tr '\n' ' ')" = "corp.example	OK new.example	OK "
	check "domains, crash point $n: no temporary files left" test "$(leftovers)" -eq 0
done
# The hard case for relay_domains: a crash between the two renames of its
# first publish (new map without gone.example, old text with it), then the
# directory goes back to the old domains.  The text agrees with the
# directory: only the recorded identity shows the map is not ours.
rm -rf "$D/out"; mkdir "$D/out"
"$RCPTSYNC" -q -c "$D/dom-old.yaml" sync
RCPTSYNC_CRASH_AT=4 "$RCPTSYNC" -q -c "$D/dom-new.yaml" sync 2>/dev/null
check "domains, between the renames: the map lacks gone.example" \
	test "$(postmap -s "hash:$R" | sort | tr '\n' ' ')" = "corp.example	OK "
check "domains, between the renames: the text still lists it" grep -q '^gone.example' "$R"
expect_rc "domains, between the renames: status warns" 1 "$RCPTSYNC" -c "$D/dom-old.yaml" status
contains "domains: status names relay_domains" "WARNING: $R or its map is not the file rcptsync published last"
expect_rc "domains, back to the old domains: next run" 0 "$RCPTSYNC" -c "$D/dom-old.yaml" sync
contains "domains: it notices the map it did not publish" "relay_domains written"
check "domains: after it the map lists gone.example again" \
	test "$(postmap -s "hash:$R" | sort | tr '\n' ' ')" = "corp.example	OK gone.example	OK "
expect_rc "domains: a run after that" 0 "$RCPTSYNC" -c "$D/dom-old.yaml" sync
check "domains: ... writes nothing" bash -c "! grep -q 'written' <<<\"\$1\"" _ "$OUT"
RCPTSYNC_CRASH_AT=$((dsteps + 1)) "$RCPTSYNC" -q -c "$D/dom-old.yaml" sync --force
check "domains: crash point $((dsteps + 1)) is past the end" test $? -eq 0

# Beyond the last point: no crash happens at all.
rm -rf "$D/out"; mkdir "$D/out"
"$RCPTSYNC" -q -c "$D/old.yaml" sync
RCPTSYNC_CRASH_AT=$((steps + 1)) "$RCPTSYNC" -q -c "$D/new.yaml" sync
check "crash point $((steps + 1)) is past the end: the run succeeds" test $? -eq 0
echo "crash points tried: $tried"
finish
