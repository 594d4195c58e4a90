#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration suite for the command line on the LDIF source (no server):
# exit codes, the bundled demo checked with Postfix's postmap, the hook,
# a malformed export that must leave the old map untouched, text-only
# output, an unwritable output directory.
# Usage: cli.sh PATH/TO/rcptsync
RCPTSYNC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
require postmap
D=$WORK
EX=$HERE/../../examples

# --- usage and configuration errors ------------------------------------------
expect_rc "no command" 64 "$RCPTSYNC"
expect_rc "unknown command" 64 "$RCPTSYNC" frobnicate
expect_rc "--force with diff" 64 "$RCPTSYNC" -c "$EX/demo.yaml" diff --force
expect_rc "-v with -q" 64 "$RCPTSYNC" -v -q diff
expect_rc "--help" 0 "$RCPTSYNC" --help
contains "--help lists the commands" "dump    print the normalised table"
expect_rc "--version" 0 "$RCPTSYNC" --version
contains "--version lists map types" "map types: hash btree text"
expect_rc "missing config" 78 "$RCPTSYNC" -c "$D/nope.yaml" check
printf 'source:\n  ldif: x\noutput:\n  table: t\n  colour: red\n' > "$D/bad.yaml"
expect_rc "unknown key" 78 "$RCPTSYNC" -c "$D/bad.yaml" check
contains "config error has file:line:column" "$D/bad.yaml:5:3: unknown key \"colour\" in output"

expect_rc "sync.yaml.example is a valid configuration" 3 "$RCPTSYNC" -c "$HERE/../../sync.yaml.example" status

# --- the demo, in a scratch copy ----------------------------------------------
mkdir -p "$D/demo/demo-out"
cp "$EX/demo.yaml" "$EX/demo.ldif" "$EX/demo-extra" "$D/demo/"
C=$D/demo/demo.yaml; T=$D/demo/demo-out/relay_recipients
expect_rc "demo diff before first sync" 1 "$RCPTSYNC" -c "$C" diff
contains "diff line: address, tab, DN" "+alice@corp.example	CN=Alice Archer,OU=Staff,DC=corp,DC=example"
contains "extra lines name their file" "+postmaster@corp.example	$D/demo/demo-extra"
contains "summary line" "13 to add, 0 to remove"
expect_rc "demo sync" 0 "$RCPTSYNC" -c "$C" sync
cat > "$D/demo-expected" <<'EXP'
a.archer@corp-old.example	OK
abuse@corp.example	OK
alice.archer@corp.example	OK
alice@corp.example	OK
all-staff@corp.example	OK
bob.baker@corp.example	OK
carol.contractor@corp.example	OK
helpdesk@corp.example	OK
invoices@corp.example	OK
juergen@corp.example	OK
postmaster@corp.example	OK
sales@corp.example	OK
support@corp.example	OK
EXP
check "demo table is exactly the expected set" diff -u "$D/demo-expected" <(grep -v '^#' "$T")
check "demo map via postmap -s" diff -u "$D/demo-expected" <(postmap -s "hash:$T" | sort)
check "shared (disabled) mailbox kept" test "$(postmap -q support@corp.example "hash:$T")" = OK
postmap -q "healthmailbox0a1b2c@corp.example" "hash:$T" >/dev/null
check "excluded health mailbox absent" test $? -eq 1
postmap -q "victim@corp.example" "hash:$T" >/dev/null
check "injected line absent" test $? -eq 1
postmap -q "carol@partner.example" "hash:$T" >/dev/null
check "unlisted domain absent" test $? -eq 1
expect_rc "dump" 0 "$RCPTSYNC" -q -c "$C" dump
check "dump prints key<TAB>value lines" diff -u "$D/demo-expected" <("$RCPTSYNC" -q -c "$C" dump 2>/dev/null)
expect_rc "check on LDIF" 0 "$RCPTSYNC" -c "$C" check
contains "check counts entries" "entries: 11"
check "header has no timestamp (byte-identical reruns)" test "$(head -1 "$T")" = "# relay_recipients: written by rcptsync from the directory; local edits are overwritten (use the 'extra' file)"

# --- lmdb and cdb maps, written natively -------------------------------------
for t in lmdb cdb; do
	sed -e "s/type: hash/type: $t/" -e "s|demo-out/relay_recipients|demo-out/map-$t|" \
		"$D/demo/demo.yaml" > "$D/demo/$t.yaml"
	expect_rc "$t: sync" 0 "$RCPTSYNC" -c "$D/demo/$t.yaml" sync
	check "$t: TABLE.$t written" test -s "$D/demo/demo-out/map-$t.$t"
	missing=0
	while IFS=$'\t' read -r k v; do
		[ "$(postmap -q "$k" "$t:$D/demo/demo-out/map-$t")" = "$v" ] || missing=$((missing + 1))
	done < "$D/demo-expected"
	check "$t: postmap -q finds every expected key" test "$missing" -eq 0
	postmap -q nobody@corp.example "$t:$D/demo/demo-out/map-$t" >/dev/null
	check "$t: postmap -q misses an unknown key" test $? -eq 1
done
check "lmdb: postmap -s lists exactly the expected set" \
	diff -u "$D/demo-expected" <(postmap -s "lmdb:$D/demo/demo-out/map-lmdb" | sort)
check "lmdb: keys carry the trailing NUL, as postmap writes them" \
	grep -q '^ alice@corp.example\\00$' <(mdb_dump -p -n "$D/demo/demo-out/map-lmdb.lmdb")

# --- explain ------------------------------------------------------------------
expect_rc "explain a kept address" 0 "$RCPTSYNC" -q -c "$C" explain Alice@Corp.Example
contains "explain names the object and value" 'CN=Alice Archer,OU=Staff,DC=corp,DC=example
    value "smtp:alice@corp.example": kept'
contains "explain says accepted" "alice@corp.example: ACCEPTED"
expect_rc "explain an excluded address" 1 "$RCPTSYNC" -q -c "$C" explain healthmailbox0a1b2c@corp.example
contains "explain names the pattern" 'excluded by the pattern "healthmailbox*@corp.example"'
expect_rc "explain an address in an unlisted domain" 1 "$RCPTSYNC" -q -c "$C" explain carol@partner.example
contains "explain names the domain rule" "its domain is not listed in domains"
expect_rc "explain an X500-only match" 1 "$RCPTSYNC" -q -c "$C" explain nobody@corp.example
contains "explain: no value" "no directory value carries this address"
expect_rc "explain an extra-file address" 0 "$RCPTSYNC" -q -c "$C" explain postmaster@corp.example
contains "explain names the extra file" "listed in the extra file"
expect_rc "explain a refused non-ASCII address" 1 "$RCPTSYNC" -q -c "$C" explain "$(printf 'j\xc3\xbcrgen@corp.example')"
contains "explain shows why it was refused" "refused: the address contains a non-ASCII byte"
expect_rc "explain needs an address" 64 "$RCPTSYNC" -c "$C" explain

# --- a db that is missing or older than the text is rebuilt ------------------
rm "$T.db"
expect_rc "diff notices the missing map" 1 "$RCPTSYNC" -c "$C" diff
expect_rc "sync rebuilds the missing map" 0 "$RCPTSYNC" -c "$C" sync
contains "it says it wrote" "map written"
check "rebuilt map answers" test "$(postmap -q alice@corp.example "hash:$T")" = OK
touch -d '+5 seconds' "$T"
expect_rc "sync rebuilds a map older than its text" 0 "$RCPTSYNC" -c "$C" sync
contains "stale map rebuilt" "map written"

# --- a malformed export fails with file:line and loses nothing ---------------
before_t=$(inode_mtime "$T"); before_d=$(inode_mtime "$T.db")
cp "$D/demo/demo.ldif" "$D/demo/good.ldif"
bad_line=$(( $(wc -l < "$D/demo/demo.ldif") + 2 ))
printf '\ndn: CN=Broken,DC=corp,DC=example\nproxyAddresses:: %%%%notbase64\n' >> "$D/demo/demo.ldif"
expect_rc "malformed LDIF" 65 "$RCPTSYNC" -c "$C" sync
contains "error names file and line" "demo.ldif:$bad_line: malformed LDIF record"
check "table untouched" same_state "$before_t" "$T"
check "map untouched" same_state "$before_d" "$T.db"
rm "$D/demo/demo.ldif"
expect_rc "missing export" 69 "$RCPTSYNC" -c "$C" sync
check "table untouched after missing export" same_state "$before_t" "$T"
mv "$D/demo/good.ldif" "$D/demo/demo.ldif"

# --- hook: runs only after a write, with a clean environment -----------------
cat > "$D/hook.sh" <<HOOK
#!/bin/sh
{ echo "args: \$*"; env | sort; [ -t 0 ] && echo tty || echo stdin-not-tty; } > "$D/hook.out"
HOOK
chmod 755 "$D/hook.sh"
printf 'hooks:\n  after_change: [%s, reload]\n' "$D/hook.sh" >> "$C"
printf 'new@corp.example\tOK\n' >> "$D/demo/demo-extra"
SECRET_IN_ENV=leak expect_rc "sync with a change runs the hook" 0 "$RCPTSYNC" -c "$C" sync
check "hook ran with its argv" grep -qx "args: reload" "$D/hook.out"
check "hook environment holds PATH only" test "$(grep -vc '^args\|^PWD=\|^stdin\|^tty' "$D/hook.out")" -eq 1
rm -f "$D/hook.out"
expect_rc "sync without change" 0 "$RCPTSYNC" -c "$C" sync
check "hook not run without a change" test ! -e "$D/hook.out"
# a failing hook (it counts its runs in hook.runs)
printf '#!/bin/sh\necho x >> %s/hook.runs\nexit 3\n' "$D" > "$D/hook.sh"
printf 'new2@corp.example\tOK\n' >> "$D/demo/demo-extra"
expect_rc "failing hook is reported" 75 "$RCPTSYNC" -c "$C" sync
contains "the map was still written" "map written, but: after_change hook"
check "new key is in the map despite the hook" test "$(postmap -q new2@corp.example "hash:$T")" = OK
expect_rc "status while the hook is owed: WARNING (the map is right)" 1 "$RCPTSYNC" -c "$C" status
contains "status names the owed hook" "WARNING: the map is written, but the after_change hook has failed since"
# A failed hook is owed: the next run, with nothing changed, runs it again.
# The failed run still recorded the files it published: the next run does
# not take them for an interrupted run's or a hand-made postmap's.
expect_rc "the owed hook is retried with nothing changed, and fails again" 75 "$RCPTSYNC" -c "$C" sync
contains "the retry says it is owed" "the after_change hook owed since"
check "the hook ran twice" test "$(wc -l < "$D/hook.runs")" -eq 2
check "... and the map is not called someone else's" \
	bash -c "! grep -q 'not the file rcptsync published last' <<<\"\$1\"" _ "$OUT"
printf '#!/bin/sh\necho x >> %s/hook.runs\n' "$D" > "$D/hook.sh"
expect_rc "the owed hook succeeds at last" 0 "$RCPTSYNC" -c "$C" sync
check "the hook ran a third time" test "$(wc -l < "$D/hook.runs")" -eq 3
expect_rc "status after it: OK" 0 "$RCPTSYNC" -c "$C" status
expect_rc "once it succeeded it is owed no more" 0 "$RCPTSYNC" -c "$C" sync
check "the hook did not run again" test "$(wc -l < "$D/hook.runs")" -eq 3
printf '#!/bin/sh\nexit 3\n' > "$D/hook.sh"
# a hook owed, then taken out of the config, and the map changes: nothing
# is owed any more (status must not stay WARNING for a hook that is gone)
mkdir -p "$D/unhook/demo-out"
cp "$EX/demo.yaml" "$EX/demo.ldif" "$EX/demo-extra" "$D/unhook/"
sed -i '/^hooks:/,$d' "$D/unhook/demo.yaml"
cp "$D/unhook/demo.yaml" "$D/unhook/plain.yaml"
printf 'hooks:\n  after_change: [%s]\n' "$D/hook.sh" >> "$D/unhook/demo.yaml"
expect_rc "unhook: the hook fails" 75 "$RCPTSYNC" -c "$D/unhook/demo.yaml" sync
printf 'late@corp.example\tOK\n' >> "$D/unhook/demo-extra"
expect_rc "unhook: a change with the hook taken out" 0 "$RCPTSYNC" -c "$D/unhook/plain.yaml" sync
expect_rc "unhook: status OK, nothing owed" 0 "$RCPTSYNC" -c "$D/unhook/plain.yaml" status

# state: on another file system than the table (a tmpfs): its temporary
# file goes beside it, not beside the table (rename(2) would fail)
mkdir -p "$D/xfs"
SHM=$(mktemp -d /dev/shm/rcptsync-state.XXXXXX)
sed -e "s|table: demo-out/relay_recipients|table: $D/xfs/relay_recipients|" \
	-e "s|lock: demo-out/rcptsync.lock|lock: $D/xfs/lock|" -e '/^hooks:/,$d' \
	"$D/demo/demo.yaml" > "$D/demo/xfs.yaml"
printf 'state: %s/state\n' "$SHM" >> "$D/demo/xfs.yaml"
expect_rc "state on another file system: sync" 0 "$RCPTSYNC" -c "$D/demo/xfs.yaml" sync
check "state on another file system: it records a success" \
	grep -qE '^last_run [0-9]+ 0$' "$SHM/state"
rm -rf "$SHM"

# A FIFO as a secret file (tls.key_file here; password_file and keytab go
# through the same open): refused at once (77), not waited on forever
mkdir -p "$D/fifo"
mkfifo "$D/fifo/key" && chmod 600 "$D/fifo/key"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=c" \
	-keyout "$D/fifo/k.pem" -out "$D/fifo/c.pem" 2>/dev/null
printf 'source:\n  ldap:\n    uri: ldaps://127.0.0.1:1\n    base: DC=x\n    tls: {cert_file: %s, key_file: %s}\n    bind: {method: external}\noutput:\n  table: %s\nlock: %s\n' \
	"$D/fifo/c.pem" "$D/fifo/key" "$D/fifo/t" "$D/fifo/lock" > "$D/fifo/c.yaml"
expect_rc "a FIFO as tls.key_file is refused at once" 77 timeout 20 "$RCPTSYNC" -c "$D/fifo/c.yaml" check
contains "the refusal says why" "is not a regular file"

# A table that is a symbolic link: refused (78) before anything is
# written, the link and its target as they were
mkdir -p "$D/link/real"
cp "$EX/demo.ldif" "$EX/demo-extra" "$D/link/"
printf 'old@corp.example\tOK\n' > "$D/link/real/relay"
ln -s real/relay "$D/link/relay"
printf 'source:\n  ldif: demo.ldif\ndomains: [corp.example]\nextra: demo-extra\noutput:\n  table: relay\n  type: text\nsafety: {max_removed: 100%%}\nlock: lock\n' > "$D/link/c.yaml"
expect_rc "a symlinked table is refused" 78 "$RCPTSYNC" -c "$D/link/c.yaml" sync
contains "the refusal names the link and its target" "relay is a symbolic link (to real/relay)"
check "the link is still a link" test -L "$D/link/relay"
check "its target is untouched" test "$(cat "$D/link/real/relay")" = "$(printf 'old@corp.example\tOK')"

# issue 24 item 5: output.relay_domains "./out/t" beside output.table
# "out/t" is one file: refused (78) at both keys' places before anything
# is written, also through a symbolic link to the directory, and a
# relay_domains named like the table's map (t.db)
mkdir -p "$D/samefile/out"
cp "$EX/demo.ldif" "$D/samefile/"
ln -s out "$D/samefile/alias"
for rd in ./out/t alias/t out/t.db; do
	printf 'source:\n  ldif: demo.ldif\ndomains: [corp.example]\noutput:\n  table: out/t\n  relay_domains: %s\nlock: lock\n' "$rd" > "$D/samefile/c.yaml"
	expect_rc "relay_domains $rd beside table out/t: check refuses" 78 "$RCPTSYNC" -c "$D/samefile/c.yaml" check
	contains "relay_domains $rd: both keys named with their places" "c.yaml:6:18: output.relay_domains must not be output.table"
	contains "relay_domains $rd: the table's place" "($D/samefile/c.yaml:5:10)"
	expect_rc "relay_domains $rd beside table out/t: sync refuses" 78 "$RCPTSYNC" -c "$D/samefile/c.yaml" sync
	check "relay_domains $rd: nothing written" test -z "$(ls "$D/samefile/out")"
done

# The text table deleted, its map left: Postfix serves the map, so a 90%
# shrink is judged against it and refused, not published as a first run
for t in hash btree lmdb cdb; do
	G=$D/gone-$t; mkdir -p "$G"
	cp "$EX/demo.ldif" "$G/"
	for i in $(seq 900); do printf 'old%d@corp.example\tOK\n' "$i"; done > "$G/extra"
	printf 'source:\n  ldif: demo.ldif\ndomains: [corp.example, .corp-old.example]\nextra: extra\noutput:\n  table: relay\n  type: %s\nlock: lock\n' "$t" > "$G/c.yaml"
	expect_rc "$t map only: a big table first" 0 "$RCPTSYNC" -c "$G/c.yaml" sync
	: > "$G/extra"; rm "$G/relay"
	expect_rc "$t map only: the shrink is refused" 65 "$RCPTSYNC" -c "$G/c.yaml" sync
	contains "$t map only: judged against what Postfix serves" "relay is missing, but $G/relay."
	contains "$t map only: every key read back" "refusing to remove 900 of 912"
	check "$t map only: Postfix still finds an old key" test "$(postmap -q old7@corp.example "$t:$G/relay")" = OK
done

# --- hostile directory values -------------------------------------------------
# A DN with a newline and a tab (base64 in LDIF; AD allows them escaped):
# diff prints it escaped, never as a line of its own
mkdir -p "$D/dnl"
python3 -c "import base64; print('dn:: ' + base64.b64encode(b'CN=evil\\nforged@corp.example\\tCN=x,DC=corp,DC=example').decode()); print('proxyAddresses: SMTP:evil@corp.example'); print()" > "$D/dnl/e.ldif"
printf 'source:\n  ldif: e.ldif\ndomains: [corp.example]\noutput:\n  table: t\nlock: lock\n' > "$D/dnl/c.yaml"
expect_rc "diff with a newline in a DN" 1 "$RCPTSYNC" -q -c "$D/dnl/c.yaml" diff
check "diff: one line, the DN escaped" test "$OUT" = '+evil@corp.example	CN=evil\nforged@corp.example\tCN=x,DC=corp,DC=example'

mkdir -p "$D/hostile"
python3 "$HERE/../fixtures/hostile.py" "$D/hostile/h.ldif" "$D/hostile/expected" "$D/hostile/refused"
printf 'source:\n  ldif: h.ldif\ndomains: [corp.example]\noutput:\n  table: relay\nlock: lock\n' > "$D/hostile/h.yaml"
expect_rc "sync of the hostile corpus" 0 "$RCPTSYNC" -c "$D/hostile/h.yaml" sync
check "hostile corpus: exactly the expected keys" diff -u "$D/hostile/expected" <(grep -v '^#' "$D/hostile/relay")
check "hostile corpus: postmap -s agrees" diff -u "$D/hostile/expected" <(postmap -s "hash:$D/hostile/relay" | sort)
check "hostile corpus: one warning per refused value ($(cat "$D/hostile/refused"))" \
	test "$(grep -c 'refusing proxyAddresses value' <<<"$OUT")" -eq "$(cat "$D/hostile/refused")"
check "hostile corpus: every table line is key<TAB>OK" \
	test "$(grep -v '^#' "$D/hostile/relay" | grep -cvE '^[a-z0-9.+_-]+@[a-z0-9.-]+	OK$')" -eq 0
check "hostile corpus: warnings are escaped (no raw control bytes)" \
	bash -c '! grep -q "[[:cntrl:]]" <<<"$(tr -d "\n" <<<"$1")"' _ "$OUT"

# --- status, canaries, grace ---------------------------------------------------
S=$D/status; mkdir -p "$S"
cp "$EX/demo.ldif" "$EX/demo-extra" "$S/"
cat > "$S/s.yaml" <<YAML
source:
  ldif: demo.ldif
domains: [corp.example, .corp-old.example]
extra: demo-extra
output:
  table: relay
safety:
  max_removed: 50%
  removal_grace: 2 runs
  must_exist: [postmaster@corp.example]
  must_not_exist: [healthmailbox0a1b2c@corp.example]
lock: lock
YAML
expect_rc "status before any run is UNKNOWN" 3 "$RCPTSYNC" -c "$S/s.yaml" status
expect_rc "must_not_exist canary refuses the write" 65 "$RCPTSYNC" -c "$S/s.yaml" sync
contains "the refusal names the address" "healthmailbox0a1b2c@corp.example (safety.must_not_exist)"
check "nothing was written" test ! -e "$S/relay"
expect_rc "status after a failed run is CRITICAL" 2 "$RCPTSYNC" -c "$S/s.yaml" status
contains "status names the failure" "the last run failed (exit 65)"
printf 'exclude: ["healthmailbox*"]\n' >> "$S/s.yaml"
expect_rc "sync once the canary holds" 0 "$RCPTSYNC" -c "$S/s.yaml" sync
expect_rc "status OK" 0 "$RCPTSYNC" -c "$S/s.yaml" status --max-age 1h
contains "status shows the count" "recipients: 13"
sleep 2
expect_rc "status CRITICAL when the last success is older than --max-age" 2 "$RCPTSYNC" -c "$S/s.yaml" status --max-age 1s
expect_rc "--max-age goes with status only" 64 "$RCPTSYNC" -c "$S/s.yaml" sync --max-age 1h
sed -i '/^abuse@/d' "$S/demo-extra"
expect_rc "grace run 1: a vanished address stays" 0 "$RCPTSYNC" -c "$S/s.yaml" sync
contains "reported as pending removal" "pending removal: abuse@corp.example"
check "grace run 1: still in the map" test "$(postmap -q abuse@corp.example "hash:$S/relay")" = OK
expect_rc "diff shows no removal during grace" 0 "$RCPTSYNC" -c "$S/s.yaml" diff
contains "diff reports the pending removal" "pending removal: abuse@corp.example"
expect_rc "grace run 2" 0 "$RCPTSYNC" -c "$S/s.yaml" sync
check "grace run 2: still in the map" test "$(postmap -q abuse@corp.example "hash:$S/relay")" = OK
expect_rc "grace run 3: removed" 0 "$RCPTSYNC" -c "$S/s.yaml" sync
contains "removal counted" "1 removed"
postmap -q abuse@corp.example "hash:$S/relay" >/dev/null
check "grace run 3: gone from the map" test $? -eq 1
# a value with spaces (the extra file allows any table value) through the
# grace period: the state file keeps it whole, every run is 0
printf 'moved@corp.example\t550 5.1.1 mailbox moved\n' >> "$S/demo-extra"
expect_rc "a value with spaces: added" 0 "$RCPTSYNC" -c "$S/s.yaml" sync
sed -i '/^moved@/d' "$S/demo-extra"
expect_rc "a value with spaces: grace run 1" 0 "$RCPTSYNC" -c "$S/s.yaml" sync
expect_rc "a value with spaces: grace run 2" 0 "$RCPTSYNC" -c "$S/s.yaml" sync
check "a value with spaces: still served whole" \
	test "$(postmap -q moved@corp.example "hash:$S/relay")" = "550 5.1.1 mailbox moved"
expect_rc "a value with spaces: grace run 3 removes it" 0 "$RCPTSYNC" -c "$S/s.yaml" sync
postmap -q moved@corp.example "hash:$S/relay" >/dev/null
check "a value with spaces: gone from the map" test $? -eq 1
sed -i '/^postmaster@/d' "$S/demo-extra"
expect_rc "must_exist canary: grace keeps it first" 0 "$RCPTSYNC" -c "$S/s.yaml" sync
"$RCPTSYNC" -q -c "$S/s.yaml" sync >/dev/null 2>&1
before=$(inode_mtime "$S/relay.db")
expect_rc "must_exist canary refuses once grace is over" 65 "$RCPTSYNC" -c "$S/s.yaml" sync
contains "the refusal names the canary" "canary postmaster@corp.example (safety.must_exist)"
check "map untouched by the canary refusal" same_state "$before" "$S/relay.db"

printf '#!/bin/sh\nsleep 30\n' > "$D/hook.sh"
printf '  timeout: 1\n' >> "$C"
printf 'new3@corp.example\tOK\n' >> "$D/demo/demo-extra"
start=$(date +%s)
expect_rc "a hook that outlives hooks.timeout is stopped" 75 "$RCPTSYNC" -c "$C" sync
# the whole run, under valgrind on a loaded machine, takes seconds of its
# own: what matters is that it did not wait for the hook's 30 s
check "it was stopped after about 1 s, not 30" test $(( $(date +%s) - start )) -le 20
contains "the timeout is named" "took longer than 1 s and was stopped"

# --- a small change updates a copy of the map; every 96th is a rebuild -------
mkdir -p "$D/upd"
mk_ldif "$D/upd/a.ldif" 1 50 "SMTP:u%d@corp.example"
cat > "$D/upd/c.yaml" <<YAML
source:
  ldif: $D/upd/a.ldif
output:
  table: $D/upd/t
  type: btree
lock: $D/upd/lock
YAML
expect_rc "copy-update: first sync builds the map" 0 "$RCPTSYNC" -c "$D/upd/c.yaml" sync
check "copy-update: a first build counts no update" lacks "^map_updates" "$D/upd/t.rcptsync-state"
mk_ldif "$D/upd/a.ldif" 2 51 "SMTP:u%d@corp.example"
expect_rc "copy-update: a small change" 0 "$RCPTSYNC" -v -c "$D/upd/c.yaml" sync
contains "copy-update: the map is updated from a copy" "map updated from a copy of the published one: 1 deleted, 1 stored"
check "copy-update: the state counts it" grep -qx "map_updates 1" "$D/upd/t.rcptsync-state"
check "copy-update: postmap -s lists exactly the table" \
	cmp -s <(postmap -s "btree:$D/upd/t" | LC_ALL=C sort) <(grep -v '^#' "$D/upd/t" | LC_ALL=C sort)
sed -i 's/^map_updates 1$/map_updates 96/' "$D/upd/t.rcptsync-state"
mk_ldif "$D/upd/a.ldif" 3 52 "SMTP:u%d@corp.example"
expect_rc "copy-update: the 97th small change" 0 "$RCPTSYNC" -v -c "$D/upd/c.yaml" sync
contains "copy-update: after 96 updates the map is built anew" "map built anew after 96 updates from a copy"
check "copy-update: ... and the count starts again" lacks "^map_updates" "$D/upd/t.rcptsync-state"
check "copy-update: the rebuilt map lists exactly the table" \
	cmp -s <(postmap -s "btree:$D/upd/t" | LC_ALL=C sort) <(grep -v '^#' "$D/upd/t" | LC_ALL=C sort)
# a map edited in place (same inode) is not patched on: it is rebuilt
printf 'ghost@corp.example\tOK\n' | postmap -i "btree:$D/upd/t"
mk_ldif "$D/upd/a.ldif" 4 53 "SMTP:u%d@corp.example"
expect_rc "copy-update: a small change after postmap -i on the map" 0 "$RCPTSYNC" -v -c "$D/upd/c.yaml" sync
contains "copy-update: the edited map is noticed" "or its map is not the file rcptsync published last"
check "copy-update: ... and not updated from a copy" test "$(printf '%s' "$OUT" | grep -c 'map updated from a copy')" -eq 0
postmap -q ghost@corp.example "btree:$D/upd/t" > /dev/null
check "copy-update: the key added by hand is gone" test $? -eq 1
check "copy-update: the map lists exactly the table again" \
	cmp -s <(postmap -s "btree:$D/upd/t" | LC_ALL=C sort) <(grep -v '^#' "$D/upd/t" | LC_ALL=C sort)
# without a state that records the files as ours, no copy either
rm -f "$D/upd/t.rcptsync-state"
mk_ldif "$D/upd/a.ldif" 5 54 "SMTP:u%d@corp.example"
expect_rc "copy-update: a small change with the state file gone" 0 "$RCPTSYNC" -v -c "$D/upd/c.yaml" sync
check "copy-update: files not known as ours: the map is built anew" test "$(printf '%s' "$OUT" | grep -c 'map updated from a copy')" -eq 0

# --- identity of the published files (issue 24) ------------------------------
# A text table restored in place from a backup (cp -p: same inode, mtime
# set back) beside a map that holds another set: the next small change must
# not be applied to a copy of that map, it is rebuilt from the directory.
mkdir -p "$D/ident"
mk_ldif "$D/ident/a.ldif" 1 50 "SMTP:u%d@corp.example"
sed -e "s|$D/upd/|$D/ident/|g" "$D/upd/c.yaml" > "$D/ident/c.yaml"
expect_rc "restored text: first sync" 0 "$RCPTSYNC" -c "$D/ident/c.yaml" sync
cp -p "$D/ident/t" "$D/ident/t.bak"
mk_ldif "$D/ident/one.ldif" 60 60 "SMTP:u%d@corp.example"
cat "$D/ident/a.ldif" "$D/ident/one.ldif" > "$D/ident/b.ldif"
sed -i "s|ldif: .*|ldif: $D/ident/b.ldif|" "$D/ident/c.yaml"
expect_rc "restored text: u60 comes (a copy-update)" 0 "$RCPTSYNC" -v -c "$D/ident/c.yaml" sync
contains "restored text: ... from a copy" "map updated from a copy of the published one"
ino=$(stat -c %i "$D/ident/t")
cp -p "$D/ident/t.bak" "$D/ident/t"
check "restored text: cp -p kept the inode" test "$(stat -c %i "$D/ident/t")" = "$ino"
expect_rc "restored text: status warns" 1 "$RCPTSYNC" -c "$D/ident/c.yaml" status
contains "status: names the table" "WARNING: $D/ident/t or its map is not the file rcptsync published last"
expect_rc "restored text: explain u60 (in the directory)" 0 "$RCPTSYNC" -c "$D/ident/c.yaml" explain u60@corp.example
contains "explain: the table's answer" "published now in $D/ident/t: not there"
contains "explain: the map's answer" "and in its map $D/ident/t.db: u60@corp.example OK"
contains "explain: they disagree" "the map disagrees with the table"
contains "explain: the files are not ours" "not the file rcptsync published last"
expect_rc "restored text: explain u1 (both agree)" 0 "$RCPTSYNC" -c "$D/ident/c.yaml" explain u1@corp.example
check "explain: no disagreement where there is none" \
	bash -c "! grep -q 'the map disagrees' <<<\"\$1\"" _ "$OUT"
expect_rc "restored text: diff" 1 "$RCPTSYNC" -c "$D/ident/c.yaml" diff
contains "diff: says the files would be rewritten" "not the file rcptsync published last and would be rewritten"
mk_ldif "$D/ident/one.ldif" 70 70 "SMTP:u%d@corp.example"
cat "$D/ident/a.ldif" "$D/ident/one.ldif" > "$D/ident/b.ldif"
expect_rc "restored text: u60 goes, u70 comes" 0 "$RCPTSYNC" -v -c "$D/ident/c.yaml" sync
contains "restored text: the restored file is noticed" "not the file rcptsync published last"
check "restored text: the map is not updated from a copy" \
	test "$(printf '%s' "$OUT" | grep -c 'map updated from a copy')" -eq 0
postmap -q u60@corp.example "btree:$D/ident/t" > /dev/null
check "restored text: the removed u60 is not in the map" test $? -eq 1
check "restored text: the map lists exactly the table" \
	cmp -s <(postmap -s "btree:$D/ident/t" | LC_ALL=C sort) <(grep -v '^#' "$D/ident/t" | LC_ALL=C sort)
expect_rc "restored text: after the sync, status is OK" 0 "$RCPTSYNC" -c "$D/ident/c.yaml" status
# A hook that fixes permissions, the table and then its map (two commands):
# what it does is recorded as ours; the next run changes nothing.
cat > "$D/ident/hook.sh" <<HOOK
#!/bin/sh
echo x >> "$D/ident/hook.runs"
chmod 640 "$D/ident/t"
sleep 0.1	# past the file system's timestamp granularity
chmod 640 "$D/ident/t.db"
HOOK
chmod 755 "$D/ident/hook.sh"
printf 'hooks:\n  after_change: [%s]\n' "$D/ident/hook.sh" >> "$D/ident/c.yaml"
mk_ldif "$D/ident/b.ldif" 1 49 "SMTP:u%d@corp.example"
expect_rc "chmod hook: a change runs it" 0 "$RCPTSYNC" -c "$D/ident/c.yaml" sync
check "chmod hook: it ran once" test "$(wc -l < "$D/ident/hook.runs")" -eq 1
expect_rc "chmod hook: the next run" 0 "$RCPTSYNC" -c "$D/ident/c.yaml" sync
contains "chmod hook: ... changes nothing" "no change to"
check "chmod hook: ... blames no postmap" \
	bash -c "! grep -q 'not the file rcptsync published last' <<<\"\$1\"" _ "$OUT"
check "chmod hook: ... and does not run the hook again" test "$(wc -l < "$D/ident/hook.runs")" -eq 1
# a postmap by hand after the hook is still noticed, and rebuilt
postmap "btree:$D/ident/t"
printf 'ghost@corp.example\tOK\n' | postmap -i "btree:$D/ident/t"
expect_rc "chmod hook: a postmap by hand after it" 0 "$RCPTSYNC" -c "$D/ident/c.yaml" sync
contains "chmod hook: ... is noticed" "not the file rcptsync published last"
postmap -q ghost@corp.example "btree:$D/ident/t" > /dev/null
check "chmod hook: ... and its key is gone" test $? -eq 1
# A text table edited by hand (sed -i: one letter changed) is
# noticed too
expect_rc "hand edit: a run first" 0 "$RCPTSYNC" -c "$D/ident/c.yaml" sync
sed -i 's/^u1@corp.example\tOK$/u1@corp.example\tNO/' "$D/ident/t"
expect_rc "hand edit: the next run" 0 "$RCPTSYNC" -c "$D/ident/c.yaml" sync
check "hand edit: the table says OK again" grep -qx 'u1@corp.example	OK' "$D/ident/t"
check "hand edit: the map says OK" test "$(postmap -q u1@corp.example "btree:$D/ident/t")" = OK
# An old state file (inodes only, no identity): one full rebuild, then quiet
sed -i -e '/^ident /d' -e 's/^end$/files 1 2\nend/' "$D/ident/t.rcptsync-state"
expect_rc "old state file: read" 0 "$RCPTSYNC" -c "$D/ident/c.yaml" sync
contains "old state file: the map is rebuilt once" "map written"
check "old state file: identities recorded" grep -q '^ident table ' "$D/ident/t.rcptsync-state"
expect_rc "old state file: the run after" 0 "$RCPTSYNC" -c "$D/ident/c.yaml" sync
contains "old state file: ... changes nothing" "no change to"

# --- text only, and an output directory we cannot write ---------------------
mkdir -p "$D/textonly"
sed -e "s|table: demo-out/relay_recipients|table: $D/textonly/relay_recipients|" \
    -e 's|type: hash|type: text|' -e '/^hooks:/,$d' "$EX/demo.yaml" > "$D/demo/text.yaml"
expect_rc "text-only sync" 0 "$RCPTSYNC" -c "$D/demo/text.yaml" sync
check "no .db for type text" test ! -e "$D/textonly/relay_recipients.db"
check "text table written" test -s "$D/textonly/relay_recipients"
sed -e "s|table: demo-out/relay_recipients|table: $D/nodir/relay_recipients|" -e '/^hooks:/,$d' \
    "$EX/demo.yaml" > "$D/demo/nodir.yaml"
expect_rc "output directory missing: cannot write" 73 "$RCPTSYNC" -c "$D/demo/nodir.yaml" sync
expect_rc "check reports an output directory it cannot write" 73 "$RCPTSYNC" -c "$D/demo/nodir.yaml" check
contains "check names the directory" "cannot write to the table's directory $D/nodir"

finish
