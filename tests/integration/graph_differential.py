#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The differential test of source.graph's incremental: delta.

A seeded random walk over the scripted Graph's directory (graph_server.py
reads SCENARIO again on every request): each step changes it (an added
user, group or contact; an alias added or removed; a removal with reason
"deleted" or "changed", later maybe restored; a member turned guest and
back; a licence drop that cuts an object's proxyAddresses to the primary;
objects sent twice in the next round) and may add a fault to the delta run
(429 with Retry-After 0; a connection cut in the middle of a round; 410
Gone or 400 syncStateNotFound for the stored deltaLinks; a run refused by
max_removed).  After each step:

  - a run that must fail (a cut connection, a refused run) leaves the
    delta table, its map and its cache (deltaLinks included) byte for
    byte as they were, and the walk goes on with the next run;
  - otherwise the delta run's text table must equal, byte for byte, that
    of a full pull (incremental: none) of the same directory, and so must
    `postmap -s` of the two maps.

  graph_differential.py [--steps N] --seed S DELTA.yaml STRICT.yaml
      FULL.yaml DELTA_TABLE FULL_TABLE

STRICT.yaml is DELTA.yaml with max_removed: 1 (the same table and cache).
Environment: RCPTSYNC, SCENARIO (the server's scenario.json), APP_CERT
(the app's certificate the token endpoint checks), REQUESTS (its log).
Exit 0 when every step matched; else the seed, the step and the diff.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

ENV = os.environ
DOMAINS = ("contoso.com",)


def write_scenario(objects, extra):
    sc = {"tenant": "contoso.onmicrosoft.com",
          "client_id": "0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b",
          "client_cert": ENV["APP_CERT"], "page_size": 3,
          "objects": objects, "generation": time.time_ns()}
    sc.update(extra)
    tmp = ENV["SCENARIO"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(sc, f)
    os.rename(tmp, ENV["SCENARIO"])


def run(conf, *args):
    p = subprocess.run([ENV["RCPTSYNC"], "-c", conf, "sync"] + list(args),
                       capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def table_text(path):
    """The text table, every byte (its header included)."""
    return read(path) or b""


def postmap_s(path):
    p = subprocess.run(["postmap", "-s", "hash:" + path],
                       capture_output=True)
    return b"".join(sorted(p.stdout.splitlines(True)))


class Walk:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.n = 0
        self.objects = {"users": [], "groups": [], "contacts": []}
        self.gone = []  # (set, object): removed, may be restored
        for k in self.objects:
            for _ in range(self.r.randint(2, 5)):
                self.objects[k].append(self.new(k))

    def addr(self):
        self.n += 1
        return "a%d@%s" % (self.n, self.r.choice(DOMAINS))

    def new(self, k):
        self.n += 1
        o = {"id": "%s%d" % (k[0], self.n),
             "proxyAddresses": ["SMTP:" + self.addr()] +
             ["smtp:" + self.addr() for _ in range(self.r.randint(0, 3))]}
        if k == "users":
            o["userType"] = self.r.choice(["Member"] * 5 + ["Guest"])
        return o

    def pick(self):
        k = self.r.choice([k for k in self.objects if self.objects[k]] or
                          ["users"])
        return k, (self.r.choice(self.objects[k]) if self.objects[k]
                   else None)

    def change(self):
        """One change to the directory; what it was, for the log."""
        kind = self.r.choice(["add", "add", "alias+", "alias-", "remove",
                              "remove", "restore", "guest", "licence",
                              "nothing"])
        k, o = self.pick()
        if kind == "add" or o is None:
            k = self.r.choice(list(self.objects))
            self.objects[k].append(self.new(k))
            return "add " + k
        if kind == "alias+":
            o["proxyAddresses"] = o["proxyAddresses"] + ["smtp:" +
                                                         self.addr()]
        elif kind == "alias-" and len(o["proxyAddresses"]) > 1:
            o["proxyAddresses"] = o["proxyAddresses"][:-1]
        elif kind == "remove":
            self.objects[k].remove(o)
            self.gone.append((k, o))
        elif kind == "restore" and self.gone:
            k, o = self.gone.pop(self.r.randrange(len(self.gone)))
            self.objects[k].append(o)
        elif kind == "guest" and k == "users":
            o["userType"] = "Member" if o.get("userType") == "Guest" \
                else "Guest"
        elif kind == "licence":
            o["proxyAddresses"] = [v for v in o["proxyAddresses"]
                                   if v.startswith("SMTP:")]
        return "%s %s" % (kind, o["id"])

    def extra(self):
        """Server behaviour for this step: reasons, repeats, faults."""
        ex = {"removed_reason": {o["id"]: self.r.choice(["deleted",
                                                         "changed"])
                                 for _, o in self.gone}}
        if self.r.random() < 0.3:
            ex["repeat"] = {k: [o["id"] for o in self.r.sample(
                v, min(len(v), 2))] for k, v in self.objects.items()}
        fault = self.r.choice([None] * 6 + ["429", "cut", "gone",
                                            "syncStateNotFound",
                                            "refused"])
        k = self.r.choice(list(self.objects))
        if fault == "429":
            ex["faults"] = [{"set": k, "page": self.r.randint(0, 1),
                             "status": 429, "retry_after": 0,
                             "delta": True}]
        elif fault == "cut":
            ex["faults"] = [{"set": k, "page": self.r.randint(0, 1),
                             "drop": True, "delta": True}]
        elif fault in ("gone", "syncStateNotFound"):
            ex["token_expiry"] = {k: fault}
        return fault, ex


def step_fails(delta_table, fault, rc, out, before):
    """A run that must not move anything: did it?"""
    now = [read(delta_table), read(delta_table + ".db"),
           read(delta_table + ".rcptsync-cache.graph")]
    if now != before:
        return "the failed run (%s, exit %d) changed the table, map or " \
               "cache:\n%s" % (fault, rc, out)
    return None


def walk(args):
    w = Walk(args.seed)
    delta_conf, strict_conf, full_conf, dt, ft = args.confs
    write_scenario(w.objects, {})
    for step in range(args.steps):
        what = w.change() if step > 0 else "start"
        fault, extra = w.extra() if step > 0 else (None, {})
        write_scenario(w.objects, extra)
        before = [read(dt), read(dt + ".db"),
                  read(dt + ".rcptsync-cache.graph")]
        conf = strict_conf if fault == "refused" else delta_conf
        rc, out = run(conf)
        where = "seed %d step %d (%s, fault %s)" % (args.seed, step, what,
                                                    fault)
        if fault == "refused" and rc == 65 or fault == "cut" and rc != 0:
            bad = step_fails(dt, fault, rc, out, before)
            if bad:
                print("%s: %s" % (where, bad))
                return 1
            # the faults are spent: the same state, a normal run
            write_scenario(w.objects, {"removed_reason":
                                       extra["removed_reason"]})
            rc, out = run(delta_conf)
        if rc != 0:
            print("%s: the delta run failed (exit %d):\n%s" %
                  (where, rc, out))
            return 1
        rc, out = run(full_conf)
        if rc != 0:
            print("%s: the full pull failed (exit %d):\n%s" %
                  (where, rc, out))
            return 1
        a, b = table_text(dt), table_text(ft)
        if a != b:
            sa, sb = set(a.splitlines()), set(b.splitlines())
            print("%s: the delta table differs from the full pull's:\n"
                  "  only in delta: %s\n  only in full: %s" %
                  (where, sorted(sa - sb)[:10], sorted(sb - sa)[:10]))
            return 1
        if postmap_s(dt) != postmap_s(ft):
            print("%s: postmap -s of the maps differ" % where)
            return 1
    print("seed %d: %d steps, every delta table was the full pull's" %
          (args.seed, args.steps))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("confs", nargs=5)
    sys.exit(walk(ap.parse_args()))


if __name__ == "__main__":
    main()
