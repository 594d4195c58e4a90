#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The benchmark (not a test): for each size N, load an AD-like directory
# into a private slapd (bench/slapd.sh) and measure side by side, in the
# same run, with hyperfine (min and median over RUNS runs):
#   - rcptsync sync when something changed, and when nothing changed;
#   - the howto pipeline (bench/howto.sh), changed and unchanged;
#   - the floors: a paged ldapsearch to /dev/null, postmap hash: of the table;
# then peak RSS of each (/usr/bin/time), and rcptsync's own stage timings
# (-v).  Every variant's table must be byte-identical to the generator's
# expected table, and its map must list exactly that set (postmap -s).
# Prints a Markdown table per size; bench/README.md keeps the latest.
# Usage: bench/run.sh [N ...]      (default: 10000 100000 1000000)
#        RUNS=5 RCPTSYNC=build/rcptsync KEEP=1 bench/run.sh 100000
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RCPTSYNC=$(realpath "${RCPTSYNC:-$ROOT/build/rcptsync}")
SIZES=("${@:-10000 100000 1000000}")
# shellcheck disable=SC2206
SIZES=(${SIZES[*]})
for t in hyperfine slapd slapadd ldapsearch postmap /usr/bin/time python3; do
	command -v "$t" >/dev/null || { echo "bench: $t is missing (scripts/install-deps)"; exit 1; }
done
FILTER='(&(proxyAddresses=smtp:*)(|(objectClass=user)(objectClass=group)(objectClass=contact)(objectClass=publicFolder)(objectClass=msExchDynamicDistributionList)))'
WORK=$(mktemp -d /tmp/rcptsync-bench.XXXXXX)
# postmap (and howto.sh's) read a private main.cf, never the machine's.
"$ROOT/scripts/mail-config" "$WORK/mail-config"
export MAIL_CONFIG=$WORK/mail-config
SLAPD_PID=
cleanup() {
	[ -n "$SLAPD_PID" ] && kill "$SLAPD_PID" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

identical() {	# identical NAME TABLE : text (comments aside) and map
	if ! grep -v '^#' "$2" | cmp -s - "$D/expected"; then
		echo "bench: $1: table differs from the expected one"; exit 1
	fi
	if ! postmap -s "hash:$2" | LC_ALL=C sort | cmp -s - "$D/expected"; then
		echo "bench: $1: map differs from the expected set"; exit 1
	fi
}

echo "# rcptsync benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r)"
echo "# rcptsync $("$RCPTSYNC" --version | head -1)"
for N in "${SIZES[@]}"; do
	D=$WORK/$N
	bash "$HERE/slapd.sh" "$N" "$D" > "$D.load.log" 2>&1 || { cat "$D.load.log"; exit 1; }
	# shellcheck disable=SC1091
	. "$D/env"
	RUNS_N=${RUNS:-$([ "$N" -ge 1000000 ] && echo 3 || echo 5)}
	C=$D/rcptsync.yaml T=$D/out/relay_recipients H=$D/howto/relay_recipients
	mkdir -p "$D/howto" "$D/stale" "$D/stale-howto" "$D/pm"
	# Current tables (rcptsync's and the howto's), checked, then "stale"
	# copies missing one address: restoring those makes a change.
	"$RCPTSYNC" -q -c "$C" sync 2>/dev/null
	identical rcptsync "$T"
	bash "$HERE/howto.sh" "$PORT" "$BASE" "$H"
	identical howto "$H"
	cp -p "$T" "$T.db" "$T.rcptsync-state" "$D/stale/"
	sed -i '2d' "$D/stale/relay_recipients"
	sed '1d' "$H" > "$D/stale-howto/relay_recipients"
	cp "$H.db" "$D/stale-howto/"
	# hyperfine wants one --prepare per command, in command order
	hyperfine -N --style none --runs "$RUNS_N" --warmup 1 \
		--export-json "$D/hyperfine.json" \
		-n "ldapsearch fetch (floor)" -n "rcptsync sync, no change" \
		-n "rcptsync sync, changed" -n "howto pipeline, no change" \
		-n "howto pipeline, changed" -n "postmap hash: (floor)" \
		--prepare true --prepare true \
		--prepare "cp -p $D/stale/relay_recipients $D/stale/relay_recipients.db $D/stale/relay_recipients.rcptsync-state $D/out/" \
		--prepare true \
		--prepare "cp $D/stale-howto/relay_recipients $D/stale-howto/relay_recipients.db $D/howto/" \
		--prepare "cp $D/expected $D/pm/t" \
		"ldapsearch -x -LLL -o ldif-wrap=no -H ldap://127.0.0.1:$PORT -b $BASE -E pr=1000/noprompt $FILTER proxyAddresses" \
		"$RCPTSYNC -q -c $C sync" \
		"$RCPTSYNC -q -c $C sync" \
		"bash $HERE/howto.sh $PORT $BASE $H" \
		"bash $HERE/howto.sh $PORT $BASE $H" \
		"postmap hash:$D/pm/t" \
		> "$D/hyperfine.out" 2>&1 || { cat "$D/hyperfine.out"; exit 1; }
	identical "rcptsync after the runs" "$T"
	identical "howto after the runs" "$H"
	# Peak RSS, one run each (of the largest process, for the pipeline)
	rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
	cp -p "$D/stale/"* "$D/out/"
	RSS_CHANGE=$(rss "$RCPTSYNC" -q -c "$C" sync)
	RSS_NOCHANGE=$(rss "$RCPTSYNC" -q -c "$C" sync)
	RSS_LDAPSEARCH=$(rss ldapsearch -x -LLL -o ldif-wrap=no -H "ldap://127.0.0.1:$PORT" -b "$BASE" -E pr=1000/noprompt "$FILTER" proxyAddresses)
	cp "$D/expected" "$D/pm/t"; RSS_POSTMAP=$(rss postmap "hash:$D/pm/t")
	cp "$D/stale-howto/"* "$D/howto/"
	RSS_HOWTO=$(rss bash "$HERE/howto.sh" "$PORT" "$BASE" "$H")
	# Stage timings of changed runs (median of 3)
	for i in 1 2 3; do
		cp -p "$D/stale/"* "$D/out/"
		"$RCPTSYNC" -v -c "$C" sync 2>&1 | grep '^rcptsync: debug: stages:' || true
	done > "$D/stages"
	identical "rcptsync after the stage runs" "$T"
	python3 "$HERE/report.py" "$WORK/summary.jsonl" "$N" "$D/hyperfine.json" "$D/stages" "$(wc -l < "$D/expected")" \
		"$RSS_CHANGE" "$RSS_NOCHANGE" "$RSS_LDAPSEARCH" "$RSS_POSTMAP" "$RSS_HOWTO"
	kill "$SLAPD_PID" 2>/dev/null; SLAPD_PID=
	[ -n "${KEEP:-}" ] || rm -rf "$D"
done
python3 "$HERE/report.py" "$WORK/summary.jsonl" scaling
