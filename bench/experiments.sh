#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The experiments of bench/README.md ("Where the time goes"): at 1M, what
# closes the no-change gap and the memory gap.  Build a copy of the tree
# with bench/experiments.patch applied in /tmp/exp/build, and a directory
# loaded by bench/slapd.sh 1000000 /tmp/b1m, then run this.
set -euo pipefail
D=/tmp/b1m
. $D/env
slapd -f $D/slapd.conf -h "ldap://127.0.0.1:$PORT/" || true
sleep 2
. $D/env
X=/tmp/exp/build/rcptsync
FILTER='(&(proxyAddresses=smtp:*)(|(objectClass=user)(objectClass=group)(objectClass=contact)(objectClass=publicFolder)(objectClass=msExchDynamicDistributionList)))'
$X -q -c $D/rcptsync.yaml sync 2>/dev/null || true
hyperfine -N --style none --runs 5 --warmup 1 --export-json /tmp/exp.json \
  -n "ldapsearch fetch (floor)" -n "sync, no change" -n "fetch and normalise only" \
  -n "fetch and normalise only, no seen set" -n "sync, no change, no seen set, no DNs" \
  "ldapsearch -x -LLL -o ldif-wrap=no -H ldap://127.0.0.1:$PORT -b $BASE -E pr=1000/noprompt $FILTER proxyAddresses" \
  "$X -q -c $D/rcptsync.yaml sync" \
  "env EXP_FETCHONLY=1 $X -q -c $D/rcptsync.yaml sync" \
  "env EXP_FETCHONLY=1 EXP_NOSEEN=1 $X -q -c $D/rcptsync.yaml sync" \
  "env EXP_NOSEEN=1 EXP_NODN=1 $X -q -c $D/rcptsync.yaml sync" > /tmp/exp.out 2>&1
python3 - <<'PY'
import json,statistics
r=json.load(open('/tmp/exp.json'))['results']
fl=statistics.median(r[0]['times'])
for x in r:
    m=statistics.median(x['times'])
    print("| %s | %.3f | %.3f | %.2f |"%(x['command'],min(x['times']),m,m/fl))
PY
for v in "" "EXP_NOSEEN=1" "EXP_NODN=1" "EXP_NOSEEN=1 EXP_NODN=1"; do echo "rss [$v]: $(env $v /usr/bin/time -f '%M' $X -q -c $D/rcptsync.yaml sync 2>&1 >/dev/null | tail -1) KB"; done
kill $(cat $D/slapd.pid)
