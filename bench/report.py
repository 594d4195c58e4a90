#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn one size's hyperfine JSON, stage timings and RSS into the Markdown
table of bench/README.md, check the targets, and append a summary line;
"scaling" prints the time ratios between sizes.

Usage: report.py SUMMARY.jsonl N TRANSPORT HYPERFINE.json STAGES KEYS RSS_CHANGE
           RSS_NOCHANGE RSS_LDAPSEARCH RSS_POSTMAP RSS_HOWTO
       report.py SUMMARY.jsonl scaling
"""
import json
import re
import statistics
import sys

MIB = 1024.0  # /usr/bin/time reports KiB


def scaling(path):
    every = [json.loads(l) for l in open(path)]
    for tr in sorted({r.get("transport", "plain") for r in every}):
        rows = [r for r in every if r.get("transport", "plain") == tr]
        rows.sort(key=lambda r: r["n"])
        if len(rows) < 2:
            continue
        print("\n### Scaling over %s (median time ratio between sizes; "
              "linear = 10x, within 15 %% marked ok)\n" % tr)
        print("| variant | " + " | ".join("%d -> %d" % (a["n"], b["n"])
                                          for a, b in zip(rows, rows[1:]))
              + " |")
        print("|---|" + "---|" * (len(rows) - 1))
        for name in rows[0]["median"]:
            cells = []
            for a, b in zip(rows, rows[1:]):
                r = b["median"][name] / a["median"][name]
                cells.append("%.2fx%s" % (r, " ok" if 8.5 <= r <= 11.5
                                          else ""))
            print("| %s | %s |" % (name, " | ".join(cells)))


def main():
    summary = sys.argv[1]
    if sys.argv[2] == "scaling":
        scaling(summary)
        return
    n = int(sys.argv[2])
    transport = sys.argv[3]
    del sys.argv[3]
    hf = json.load(open(sys.argv[3]))["results"]
    stages = open(sys.argv[4]).read()
    keys = int(sys.argv[5])
    rss = dict(zip(["rcptsync sync, changed", "rcptsync sync, no change",
                    "ldapsearch fetch (floor)", "postmap hash: (floor)",
                    "howto pipeline, changed"],
                   [int(x) / MIB for x in sys.argv[6:11]]))
    med = {r["command"]: statistics.median(r["times"]) for r in hf}
    mins = {r["command"]: min(r["times"]) for r in hf}
    writes = [float(x) for x in re.findall(r"write ([0-9.]+) s", stages)]
    fetches = [float(x) for x in re.findall(r"normalise ([0-9.]+) s", stages)]
    cpu = [float(x) for x in re.findall(r"\(([0-9.]+) s CPU here\)", stages)]
    sorts = [float(x) for x in re.findall(r"sort ([0-9.]+) s", stages)]
    diffs = [float(x) for x in re.findall(r"diff ([0-9.]+) s", stages)]
    floor = med["ldapsearch fetch (floor)"]
    updated = len(re.findall(r"map updated from a copy", stages))
    print("\n## N = %d objects (%d recipients), %s, %d runs each\n"
          % (n, keys, "StartTLS" if transport == "starttls" else "plain LDAP",
             len(hf[0]["times"])))
    print("| variant | min s | median s | x fetch floor | peak RSS MiB |")
    print("|---|---|---|---|---|")
    for r in hf:
        c = r["command"]
        print("| %s | %.3f | %.3f | %.2f | %s |" % (
            c, mins[c], med[c], med[c] / floor,
            "%.0f" % rss[c] if c in rss else "-"))
    m = statistics.median
    print("\nrcptsync stages (changed, median of 3): fetch+normalise %.3f s "
          "(%.3f s CPU in rcptsync), sort %.3f s, read table+diff %.3f s, "
          "write text+db %.3f s; map updated from a copy in %d of %d"
          % (m(fetches), m(cpu), m(sorts), m(diffs), m(writes), updated,
             len(writes)))
    ch, nc = med["rcptsync sync, changed"], med["rcptsync sync, no change"]
    hw = med["howto pipeline, changed"]
    pm = med["postmap hash: (floor)"]
    peak = max(rss["rcptsync sync, changed"], rss["rcptsync sync, no change"])
    checks = [
        ("sync with changes <= 1.15 x fetch floor", ch / floor, ch / floor <= 1.15),
        ("sync with changes >= 2 x faster than howto", hw / ch, hw / ch >= 2),
        ("sync without changes <= 1.05 x fetch floor", nc / floor, nc / floor <= 1.05),
        ("write stage vs postmap hash: (x faster)", pm / max(m(writes), 1e-3),
         pm / max(m(writes), 1e-3) >= 3),
        ("peak RSS <= 150 MiB, changed or not", peak, peak <= 150),
    ]
    print("\n| target | measured | met |\n|---|---|---|")
    for name, val, ok in checks:
        print("| %s | %.2f | %s |" % (name, val, "yes" if ok else "**no**"))
    with open(summary, "a") as f:
        f.write(json.dumps({"n": n, "transport": transport, "median": med})
                + "\n")


if __name__ == "__main__":
    main()
