#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A sync that builds its map anew (a first run, into a table directory of
# its own), two binaries side by side: round by round, every binary over
# every transport once a round, the start rotating; round 0 a warm-up.
# Prints each run (wall s, user s, system s, peak RSS KiB, rcptsync's
# stages from -v), then per binary and transport the medians of wall,
# CPU and the write stage, and the largest peak RSS.  Every table built
# must be the generator's, and its map list exactly that (postmap -s).
# DIR is a directory loaded and started by bench/slapd.sh (its slapd
# running), left as it was.
# Usage: bench/anew.sh DIR OLD_RCPTSYNC NEW_RCPTSYNC [ROUNDS]   (default 5)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
D=$(cd "$1" && pwd); OLD=$(realpath "$2"); NEW=$(realpath "$3"); ROUNDS=${4:-5}
WORK=$(mktemp -d /tmp/rcptsync-anew.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
"$ROOT/scripts/mail-config" "$WORK/mail-config"
export MAIL_CONFIG=$WORK/mail-config
! compgen -G "$D/toggled*" > /dev/null || { echo "anew: $D is toggled (bench/toggle.sh $D [NAME] first)" >&2; exit 1; }
RUNS=()
for tr in plain starttls; do
	src=$D/rcptsync.yaml
	[ "$tr" = starttls ] && src=$D/rcptsync-starttls.yaml
	for b in old new; do
		mkdir -p "$WORK/$b-$tr"
		sed -e "s|$D/out[-a-z]*/|$WORK/$b-$tr/|" -e "s|^lock: .*|lock: $WORK/$b-$tr/lock|" \
			"$src" > "$WORK/$b-$tr.yaml"
		RUNS+=("$b-$tr")
	done
done
n=${#RUNS[@]}
for r in $(seq 0 "$ROUNDS"); do
	for i in $(seq 0 $((n - 1))); do
		c=${RUNS[$(((i + r) % n))]} bin=$OLD
		[ "${c%%-*}" = new ] && bin=$NEW
		rm -f "$WORK/$c"/*
		/usr/bin/time -o "$WORK/time" -f "%e %U %S %M" \
			"$bin" -v -c "$WORK/$c.yaml" sync > /dev/null 2> "$WORK/log" ||
			{ echo "anew: $c failed:" >&2; tail -3 "$WORK/log" >&2; exit 1; }
		echo "round $r $c $(cat "$WORK/time") | $(grep -o 'stages: .*' "$WORK/log")"
		if ! grep -v '^#' "$WORK/$c/relay_recipients" | cmp -s - "$D/expected" ||
			! postmap -s "hash:$WORK/$c/relay_recipients" | LC_ALL=C sort |
				cmp -s - "$D/expected"; then
			echo "anew: $c: table or map differs from the expected one" >&2; exit 1
		fi
	done
done | tee "$WORK/runs"
python3 - "$WORK/runs" <<'PY'
import re, statistics as st, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"round (\d+) (\S+) (\S+) (\S+) (\S+) (\d+) \| .*write ([0-9.]+) s", line)
    if m and int(m.group(1)) > 0:
        wall, user, sys_, rss, write = (float(x) for x in m.groups()[2:])
        runs.setdefault(m.group(2), []).append((wall, user + sys_, rss, write))
print("\n| binary, transport | wall s | CPU s | write stage s | peak RSS MiB |")
print("|---|---|---|---|---|")
for c in sorted(runs):
    v = runs[c]
    print("| %s | %.2f | %.2f | %.3f | %.1f |" % (
        c, st.median(x[0] for x in v), st.median(x[1] for x in v),
        st.median(x[3] for x in v), max(x[2] for x in v) / 1024))
PY
