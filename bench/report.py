#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn one size's rounds (interleave.py's JSON, or hyperfine's), stage
timings and RSS into the Markdown table of bench/README.md, check the
targets, and append a summary line.  A target set against another
command is judged by two figures: the ratio of the medians, and (rounds
only: interleave.py marks its JSON) the paired figure, the median over
rounds of the two commands' ratio within one round, with its range.
Met when both meet it, not met when neither does, "not settled" when
they disagree;
"scaling" prints the time ratios between sizes measured one size after
another; "growth" the same for sizes measured round by round
(run.sh GROWTH=1, interleave.py), with the floor's own growth and the
cost of each object added.

Usage: report.py SUMMARY.jsonl N TRANSPORT ROUNDS.json STAGES KEYS RSS_CHANGE
           RSS_NOCHANGE RSS_LDAPSEARCH RSS_POSTMAP RSS_HOWTO RSS_ANEW
       report.py SUMMARY.jsonl scaling
       report.py growth TRANSPORT HYPERFINE.json
       report.py check-changes ROUNDS.json
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


def growth(transport, path):
    """Each variant's median at every size (commands named "VARIANT @N"),
    and for each step N -> M: the time ratio (linear: M/N); that ratio
    over the floor's for the same step (1.00: rcptsync grows as the fetch
    it cannot avoid does); and the marginal cost, (t(M) - t(N)) / (M - N)
    seconds an object, whose ratio between two steps is 1.00 when the
    time is a fixed cost plus the same cost for every object.  Then, per
    size, the median over rounds of each run's time over the floor's in
    the same round (interleave.py runs them one after the other), which a
    noisy stretch of the machine moves least."""
    results = json.load(open(path))["results"]
    med, runs = {}, {}
    for r in results:
        name, n = r["command"].rsplit(" @", 1)
        med.setdefault(name, {})[int(n)] = statistics.median(r["times"])
        runs.setdefault(name, {})[int(n)] = r["times"]
    floor = "ldapsearch fetch (floor)"
    sizes = sorted(med[floor])
    steps = list(zip(sizes, sizes[1:]))
    ok = lambda x: " ok" if 0.85 <= x <= 1.15 else ""
    print("\n### Growth over %s (medians of %d rounds, every command once "
          "a round; within 15 %% marked ok)\n"
          % ("StartTLS" if transport == "starttls" else "plain LDAP",
             len(results[0]["times"])))
    print("| variant | " + " | ".join("%d objects, s" % n for n in sizes)
          + " | "
          + " | ".join("%d -> %d: ratio, ÷ floor's" % s for s in steps)
          + " | µs an object added, by step | slope ratio |")
    print("|---|" + "---|" * (len(sizes) + len(steps) + 2))
    for name, t in med.items():
        cells = ["%.3f" % t[n] for n in sizes]
        for a, b in steps:
            r, fr = t[b] / t[a], med[floor][b] / med[floor][a]
            cells.append("%.2f×%s (linear %g×), %.2f%s"
                         % (r, ok(r / (b / a)), b / a, r / fr,
                            ok(r / fr) if name != floor else ""))
        slopes = [(t[b] - t[a]) / (b - a) * 1e6 for a, b in steps]
        cells.append(", ".join("%.2f" % x for x in slopes))
        cells.append(", ".join("%.2f%s" % (y / x, ok(y / x))
                               for x, y in zip(slopes, slopes[1:])))
        print("| %s | %s |" % (name, " | ".join(cells)))
    print("\n| × the floor of the same round (median over rounds) | "
          + " | ".join("%d" % n for n in sizes) + " | largest ÷ smallest |")
    print("|---|" + "---|" * (len(sizes) + 1))
    for name in med:
        if name == floor:
            continue
        paired = [statistics.median(x / y for x, y in
                                    zip(runs[name][n], runs[floor][n]))
                  for n in sizes]
        spread = max(paired) / min(paired)
        print("| %s | %s | %.2f%s |" % (
            name, " | ".join("%.2f" % x for x in paired), spread,
            " ok" if spread <= 1.15 else ""))
    if "user_times" not in results[0]:
        return
    cpu = {}
    for r in results:
        name, n = r["command"].rsplit(" @", 1)
        cpu.setdefault(name, {})[int(n)] = statistics.median(
            u + y for u, y in zip(r["user_times"], r["system_times"]))
    print("\n| CPU of the command (user + system, median), s | "
          + " | ".join("%d" % n for n in sizes) + " | "
          + " | ".join("%d -> %d" % s for s in steps) + " |")
    print("|---|" + "---|" * (len(sizes) + len(steps)))
    for name, c in cpu.items():
        print("| %s | %s | %s |" % (
            name, " | ".join("%.3f" % c[n] for n in sizes),
            " | ".join("%.2f×" % (c[b] / c[a]) for a, b in steps)))


def check_changes(path):
    """Each timed rcptsync run did what its name says: a "changed" sync
    wrote its table ("map written" in its last line), a "no change" sync
    did not; the names may end in " @N" (growth)."""
    for r in json.load(open(path))["results"]:
        name = r["command"].rsplit(" @", 1)[0]
        want = {"rcptsync sync, changed": "map written",
                "rcptsync sync, no change": "no change to"}.get(name)
        if want and len(r.get("last_lines", [])) != len(r["times"]):
            sys.exit("bench: %s: no last line of each run (interleave.py "
                     "of before a5b5dc3?)" % r["command"])
        for i, line in enumerate(r["last_lines"] if want else []):
            if want not in line:
                sys.exit("bench: %s, round %d: its last line %r, not %r"
                         % (r["command"], i + 1, line, want))


def main():
    if sys.argv[1] == "check-changes":
        check_changes(sys.argv[2])
        return
    if sys.argv[1] == "growth":
        growth(sys.argv[2], sys.argv[3])
        return
    summary = sys.argv[1]
    if sys.argv[2] == "scaling":
        scaling(summary)
        return
    n = int(sys.argv[2])
    transport = sys.argv[3]
    del sys.argv[3]
    doc = json.load(open(sys.argv[3]))
    hf, rounds = doc["results"], doc.get("rounds", False)
    stages = open(sys.argv[4]).read()
    keys = int(sys.argv[5])
    rss = dict(zip(["rcptsync sync, changed", "rcptsync sync, no change",
                    "ldapsearch fetch (floor)", "postmap hash: (floor)",
                    "howto pipeline, changed"],
                   [int(x) / MIB for x in sys.argv[6:11]]))
    anew = int(sys.argv[11]) / MIB  # a first run: the map built anew
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
    runs = {r["command"]: r["times"] for r in hf}

    def per_round(a, b):
        """A's time over B's, round by round (None: not rounds)"""
        return [x / y for x, y in zip(runs[a], runs[b])] if rounds else None

    def paired(a, b):
        """the median over rounds of A's time over B's in the same round"""
        r = per_round(a, b)
        return statistics.median(r) if r else None

    fl = "ldapsearch fetch (floor)"
    print("| variant | min s | median s | x fetch floor (medians) "
          "| x fetch floor (paired) | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    for r in hf:
        c = r["command"]
        p = paired(c, fl)
        print("| %s | %.3f | %.3f | %.2f | %s | %s |" % (
            c, mins[c], med[c], med[c] / floor,
            "-" if p is None else "%.2f" % p,
            "%.0f" % rss[c] if c in rss else "-"))
    print("\nrcptsync sync building its map anew (a first run, one run): "
          "peak RSS %.0f MiB" % anew)
    m = statistics.median
    print("\nrcptsync stages (changed, median of 3): fetch+normalise %.3f s "
          "(%.3f s CPU in rcptsync), sort %.3f s, read table+diff %.3f s, "
          "write text+db %.3f s; map updated from a copy in %d of %d"
          % (m(fetches), m(cpu), m(sorts), m(diffs), m(writes), updated,
             len(writes)))
    ch, nc = "rcptsync sync, changed", "rcptsync sync, no change"
    hw, pm = "howto pipeline, changed", "postmap hash: (floor)"
    peak = max(rss[ch], rss[nc], anew)
    write = max(m(writes), 1e-3)
    # (name, ratio of the medians, A and B of the paired figure, the
    # test); RSS and the write stage are not set against a command of
    # the same round
    checks = [
        ("sync with changes <= 1.15 x fetch floor", med[ch] / floor,
         (ch, fl), lambda x: x <= 1.15),
        ("sync with changes >= 2 x faster than howto", med[hw] / med[ch],
         (hw, ch), lambda x: x >= 2),
        ("sync without changes <= 1.05 x fetch floor", med[nc] / floor,
         (nc, fl), lambda x: x <= 1.05),
        ("write stage vs postmap hash: (x faster)", med[pm] / write, None,
         lambda x: x >= 3),
        ("peak RSS <= 150 MiB, changed or not, map built anew too", peak,
         None, lambda x: x <= 150),
    ]
    print("\n| target | medians | paired (rounds' range) | met |"
          "\n|---|---|---|---|")
    for name, val, pair, test in checks:
        r = per_round(*pair) if pair else None
        if r:
            p = statistics.median(r)
            shown = "%.3f (%.3f–%.3f)" % (p, min(r), max(r))
            met = {(True, True): "yes", (False, False): "**no**"}.get(
                (test(val), test(p)), "not settled")
        else:
            shown, met = "-", "yes" if test(val) else "**no**"
        print("| %s | %.3f | %s | %s |" % (name, val, shown, met))
    with open(summary, "a") as f:
        f.write(json.dumps({"n": n, "transport": transport, "median": med})
                + "\n")


if __name__ == "__main__":
    main()
