#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/samba.sh's table: medians of each variant side by side, the
speed-up over a full pull, and the >= 10x target of issue 5.
Usage: samba_report.py NOCHANGE.json OUTSIDE.json N"""
import json
import statistics
import sys

for path, what in ((sys.argv[1], "nothing changed"),
                   (sys.argv[2], "USN moved outside the base")):
    rs = json.load(open(path))["results"]
    med = {r["command"]: statistics.median(r["times"]) for r in rs}
    print("\n| Samba DC, %s objects, %s | min s | median s | speed-up |"
          % (sys.argv[3], what))
    print("|---|---|---|---|")
    full = med["full"]
    for r in rs:
        c = r["command"]
        print("| %s | %.3f | %.3f | %.1fx |" % (c, min(r["times"]), med[c],
                                              full / med[c]))
    best = max(full / med[c] for c in med if c != "full")
    print("\ntarget (%s): incremental >= 10x faster than full: best %.1fx (%s)"
          % (what, best, "met" if best >= 10 else "not met"))
