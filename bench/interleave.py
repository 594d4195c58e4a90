#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Time commands round by round, every command once a round, so that a
noisy stretch of the machine falls on all of them alike (hyperfine runs
all of one command's runs before the next command's).  The growth mode of
bench/run.sh uses it: there the commands are the same work at different
sizes, and minutes between one size's runs and another's made the ratios
between sizes the machine's as much as the program's.

Reads one command a line from stdin: NAME, a tab, a shell command run
untimed before each run (or "true"), a tab, the command timed (split as a
shell would, run without a shell).  Each round runs them in order,
starting one later each round.  Writes hyperfine's JSON shape (results:
command, times, user, system, exit_codes), so report.py reads either.
A command that exits non-zero stops the whole thing.

Usage: interleave.py OUT.json ROUNDS WARMUP_ROUNDS < COMMANDS
"""
import json
import os
import shlex
import subprocess
import sys
import time


def timed(argv):
    t0 = time.perf_counter()
    pid = os.spawnvp(os.P_NOWAIT, argv[0], argv)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    return wall, ru.ru_utime, ru.ru_stime, os.waitstatus_to_exitcode(status)


def main():
    out, rounds, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cmds = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
    res = [{"command": n, "times": [], "user_times": [], "system_times": [],
            "exit_codes": []} for n, _, _ in cmds]
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1), os.dup(2)
    for r in range(warmup + rounds):
        for k in range(len(cmds)):
            i = (k + r) % len(cmds)
            name, prepare, command = cmds[i]
            subprocess.run(prepare, shell=True, check=True,
                           stdout=subprocess.DEVNULL)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            try:
                wall, user, system, code = timed(shlex.split(command))
            finally:
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
            if code != 0:
                sys.exit("interleave: %s exited %d" % (name, code))
            if r >= warmup:
                res[i]["times"].append(wall)
                res[i]["user_times"].append(user)
                res[i]["system_times"].append(system)
                res[i]["exit_codes"].append(code)
    for x in res:
        x["user"] = sum(x["user_times"]) / len(x["times"])
        x["system"] = sum(x["system_times"]) / len(x["times"])
    with open(out, "w") as f:
        json.dump({"results": res}, f, indent=1)


if __name__ == "__main__":
    main()
