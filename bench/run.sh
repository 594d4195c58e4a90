#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The benchmark (not a test): for each size N, load an AD-like directory
# into a private slapd (bench/slapd.sh) and measure side by side, in the
# same run, round by round (bench/interleave.py: every command once a
# round; min and median over RUNS rounds, default 6 so that each command
# starts a round once, and each run over the floor's of its own round):
#   - rcptsync sync when one address changed in the directory
#     (bench/toggle.sh), and when nothing changed;
#   - the howto pipeline (bench/howto.sh), changed and unchanged;
#   - the floors: a paged ldapsearch to /dev/null, postmap hash: of the table;
# then peak RSS of each (/usr/bin/time) and of a sync that builds its map
# anew (a first run), and rcptsync's own stage timings
# (-v).  Every variant's table must be byte-identical to the generator's
# expected table, and its map must list exactly that set (postmap -s).
# Prints a Markdown table per size; bench/README.md keeps the latest.
# Each size is measured over plain LDAP and over StartTLS (TRANSPORTS).
# Usage: bench/run.sh [N ...]      (default: 10000 100000 1000000)
#        RUNS=5 RCPTSYNC=build/rcptsync KEEP=1 TRANSPORTS=plain bench/run.sh 100000
#        GROWTH=1 bench/run.sh [N ...]
# GROWTH=1 measures how the time grows with the directory instead: every
# size is loaded into a slapd of its own first, all running at once, and
# then, per transport, the floor and rcptsync (no change, changed) at every
# size run round by round (bench/interleave.py; one warm-up round, then
# RUNS rounds, default 9: with 9 commands a round, each starts a round
# once); report.py growth gives the ratios between sizes, against the
# floor's in the same rounds, the cost of each object added, and the CPU.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RCPTSYNC=$(realpath "${RCPTSYNC:-$ROOT/build/rcptsync}")
SIZES=("${@:-10000 100000 1000000}")
# shellcheck disable=SC2206
SIZES=(${SIZES[*]})
for t in hyperfine slapd slapadd ldapsearch ldapmodify openssl postmap /usr/bin/time python3; do
	command -v "$t" >/dev/null || { echo "bench: $t is missing (scripts/install-deps)"; exit 1; }
done
FILTER='(&(proxyAddresses=smtp:*)(|(objectClass=user)(objectClass=group)(objectClass=contact)(objectClass=publicFolder)(objectClass=msExchDynamicDistributionList)))'
WORK=$(mktemp -d /tmp/rcptsync-bench.XXXXXX)
# postmap (and howto.sh's) read a private main.cf, never the machine's.
"$ROOT/scripts/mail-config" "$WORK/mail-config"
export MAIL_CONFIG=$WORK/mail-config
SLAPD_PID=
SLAPD_PIDS=()	# the growth mode's, one a size
cleanup() {
	if [ -n "$SLAPD_PID" ]; then kill "$SLAPD_PID" 2>/dev/null || true; fi
	if [ ${#SLAPD_PIDS[@]} -gt 0 ]; then kill "${SLAPD_PIDS[@]}" 2>/dev/null || true; fi
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

identical() {	# identical NAME TABLE : text (comments aside) and map
	# the directory as it is now: the generator's, with the addresses
	# bench/toggle.sh adds while they are there
	{
		cat "$D/expected"
		[ ! -e "$D/toggled" ] || printf 'bench-toggle@corp.example\tOK\n'
		[ ! -e "$D/toggled-bench-toggle-howto" ] ||
			printf 'bench-toggle-howto@corp.example\tOK\n'
	} | LC_ALL=C sort > "$D/expected-now"
	if ! grep -v '^#' "$2" | cmp -s - "$D/expected-now"; then
		echo "bench: $1: table differs from the expected one" >&2; exit 1
	fi
	if ! postmap -s "hash:$2" | LC_ALL=C sort | cmp -s - "$D/expected-now"; then
		echo "bench: $1: map differs from the expected set" >&2; exit 1
	fi
}

echo "# rcptsync benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r)"
echo "# rcptsync $("$RCPTSYNC" --version | head -1)"
# run_transport NAME : the whole comparison over one transport ("plain" or
# "starttls") against the loaded directory $D
run_transport() {
	local tr=$1 C T H OPTS=()
	if [ "$tr" = starttls ]; then
		C=$D/rcptsync-starttls.yaml T=$D/out-tls/relay_recipients H=$D/howto-tls/relay_recipients
		OPTS=(-ZZ); export LDAPTLS_CACERT=$D/tls/ca.pem
	else
		C=$D/rcptsync.yaml T=$D/out/relay_recipients H=$D/howto/relay_recipients
		unset LDAPTLS_CACERT
	fi
	mkdir -p "$(dirname "$H")" "$D/pm"
	local SEARCH="ldapsearch ${OPTS[*]} -x -LLL -o ldif-wrap=no -H ldap://127.0.0.1:$PORT -b $BASE -E pr=1000/noprompt $FILTER proxyAddresses"
	local HOWTO="bash $HERE/howto.sh $PORT $BASE $H ${OPTS[*]}"
	local TOGGLE="bash $HERE/toggle.sh $D"
	local TOGGLE_HOWTO="bash $HERE/toggle.sh $D bench-toggle-howto"
	# Current tables (rcptsync's and the pipeline's), checked.
	"$RCPTSYNC" -q -c "$C" sync 2>/dev/null
	identical "rcptsync ($tr)" "$T"
	$HOWTO
	identical "howto ($tr)" "$H"
	# Round by round (interleave.py): each command once a round, so that
	# a slow stretch of the machine falls on all of them alike, and each
	# run can be set against the floor's of the same round (report.py).
	# "changed": one address added to or taken from the directory before
	# the run (toggle.sh), an address of each tool's own, so that one
	# tool's toggle never undoes the other's; identical() knows which
	# state it is in.  A "no change" run is made one by an untimed run of
	# the same tool just before it: in a round, the other tool's toggle
	# moved the directory.
	printf '%s\t%s\t%s\n' \
		"ldapsearch fetch (floor)" true "$SEARCH" \
		"rcptsync sync, no change" "$RCPTSYNC -q -c $C sync" "$RCPTSYNC -c $C sync" \
		"rcptsync sync, changed" "$TOGGLE" "$RCPTSYNC -c $C sync" \
		"howto pipeline, no change" "$HOWTO" "$HOWTO" \
		"howto pipeline, changed" "$TOGGLE_HOWTO" "$HOWTO" \
		"postmap hash: (floor)" "cp $D/expected $D/pm/t" "postmap hash:$D/pm/t" \
		> "$D/rounds-$tr.cmds"
	python3 "$HERE/interleave.py" "$D/rounds-$tr.json" "$RUNS_N" 1 \
		< "$D/rounds-$tr.cmds" || exit 1
	# every timed sync changed the table or not, as its name says (its
	# summary line; the timed syncs run without -q for it)
	python3 "$HERE/report.py" check-changes "$D/rounds-$tr.json" || exit 1
	# the directory moved on after each one's last run: one more sync
	# each, on the maps those runs left, then both must be exact
	"$RCPTSYNC" -q -c "$C" sync 2>/dev/null
	$HOWTO
	identical "rcptsync after the runs ($tr)" "$T"
	identical "howto after the runs ($tr)" "$H"
	# Peak RSS, one run each (of the largest process, for the pipeline)
	rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
	$TOGGLE; local RSS_CHANGE RSS_NOCHANGE RSS_LDAPSEARCH RSS_POSTMAP RSS_HOWTO
	RSS_CHANGE=$(rss "$RCPTSYNC" -q -c "$C" sync)
	RSS_NOCHANGE=$(rss "$RCPTSYNC" -q -c "$C" sync)
	# a map built anew: a first run, into a directory of its own (a large
	# change, or the run after 96 updates of a copy, builds the same way)
	local A=$D/anew-$tr RSS_ANEW
	rm -rf "$A"; mkdir -p "$A"
	sed -e "s|$(dirname "$T")/|$A/|" -e "s|^lock: .*|lock: $A/lock|" "$C" > "$A/rcptsync.yaml"
	RSS_ANEW=$(rss "$RCPTSYNC" -q -c "$A/rcptsync.yaml" sync)
	identical "rcptsync, map built anew ($tr)" "$A/relay_recipients"
	rm -rf "$A"
	# shellcheck disable=SC2086
	RSS_LDAPSEARCH=$(rss $SEARCH)
	cp "$D/expected" "$D/pm/t"; RSS_POSTMAP=$(rss postmap "hash:$D/pm/t")
	# shellcheck disable=SC2086
	RSS_HOWTO=$(rss $HOWTO)
	# Stage timings of changed runs (median of 3)
	for _ in 1 2 3; do
		$TOGGLE
		"$RCPTSYNC" -v -c "$C" sync 2>&1 | grep -E '^rcptsync: debug: (stages|map)' || true
	done > "$D/stages-$tr"
	identical "rcptsync after the stage runs ($tr)" "$T"
	python3 "$HERE/report.py" "$WORK/summary.jsonl" "$N" "$tr" "$D/rounds-$tr.json" "$D/stages-$tr" "$(wc -l < "$D/expected")" \
		"$RSS_CHANGE" "$RSS_NOCHANGE" "$RSS_LDAPSEARCH" "$RSS_POSTMAP" "$RSS_HOWTO" "$RSS_ANEW"
}

# growth_transport NAME : every loaded size over one transport, round by
# round (bench/interleave.py: each command once a round), GROWTH=1
growth_transport() {
	local tr=$1 N C T S
	: > "$WORK/growth-$tr.cmds"
	for N in "${SIZES[@]}"; do
		D=$WORK/$N
		# shellcheck disable=SC1091
		. "$D/env"
		SLAPD_PID=	# in SLAPD_PIDS
		if [ "$tr" = starttls ]; then
			C=$D/rcptsync-starttls.yaml T=$D/out-tls/relay_recipients
			# each size has its own CA; env(1) costs the same at every size
			S="env LDAPTLS_CACERT=$D/tls/ca.pem ldapsearch -ZZ"
		else
			C=$D/rcptsync.yaml T=$D/out/relay_recipients S=ldapsearch
		fi
		"$RCPTSYNC" -q -c "$C" sync 2>/dev/null
		identical "rcptsync at $N ($tr)" "$T"
		printf '%s\t%s\t%s\n' \
			"ldapsearch fetch (floor) @$N" true \
			"$S -x -LLL -o ldif-wrap=no -H ldap://127.0.0.1:$PORT -b $BASE -E pr=1000/noprompt $FILTER proxyAddresses" \
			"rcptsync sync, no change @$N" true "$RCPTSYNC -c $C sync" \
			"rcptsync sync, changed @$N" "bash $HERE/toggle.sh $D" "$RCPTSYNC -c $C sync" \
			>> "$WORK/growth-$tr.cmds"
	done
	python3 "$HERE/interleave.py" "$WORK/growth-$tr.json" "${RUNS:-9}" 1 \
		< "$WORK/growth-$tr.cmds" || exit 1
	python3 "$HERE/report.py" check-changes "$WORK/growth-$tr.json" || exit 1
	# each size's last toggle was followed by a sync of that size (the
	# prepare and its command run together), so the tables the timed runs
	# left must be exact as they are
	for N in "${SIZES[@]}"; do
		D=$WORK/$N
		if [ "$tr" = starttls ]; then T=$D/out-tls/relay_recipients
		else T=$D/out/relay_recipients; fi
		identical "rcptsync at $N after the runs ($tr)" "$T"
	done
	python3 "$HERE/report.py" growth "$tr" "$WORK/growth-$tr.json"
}

if [ -n "${GROWTH:-}" ]; then
	for N in "${SIZES[@]}"; do
		D=$WORK/$N
		bash "$HERE/slapd.sh" "$N" "$D" > "$D.load.log" 2>&1 || { cat "$D.load.log"; exit 1; }
		SLAPD_PIDS+=("$(cat "$D/slapd.pid")")
	done
	for tr in ${TRANSPORTS:-plain starttls}; do
		growth_transport "$tr"
	done
	exit 0
fi

for N in "${SIZES[@]}"; do
	D=$WORK/$N
	bash "$HERE/slapd.sh" "$N" "$D" > "$D.load.log" 2>&1 || { cat "$D.load.log"; exit 1; }
	# shellcheck disable=SC1091
	. "$D/env"
	# 6 rounds: each of the 6 commands starts a round once
	RUNS_N=${RUNS:-6}
	for tr in ${TRANSPORTS:-plain starttls}; do
		run_transport "$tr"
	done
	kill "$SLAPD_PID" 2>/dev/null; SLAPD_PID=
	[ -n "${KEEP:-}" ] || rm -rf "$D"
done
python3 "$HERE/report.py" "$WORK/summary.jsonl" scaling
