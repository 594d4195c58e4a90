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
starting one later each round (so with as many rounds as commands, each
command starts a round once).  Writes the fields of hyperfine's JSON that
report.py reads (results: command, times, user, system, exit_codes; and
mean, median, min) and "rounds": true, so report.py reads either and
pairs runs by round only here; and each timed run's last line of
standard error (last_lines).  The commands' standard
output is discarded, their standard error kept in OUT.json.err; a command
or a prepare that fails stops the whole thing, naming it.

Usage: interleave.py OUT.json ROUNDS WARMUP_ROUNDS < COMMANDS
"""
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def timed(argv):
    """Run ARGV with whatever fds 0-2 are now; wall, user, system, exit."""
    t0 = time.perf_counter()
    pid = os.spawnvp(os.P_NOWAIT, argv[0], argv)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    return wall, ru.ru_utime, ru.ru_stime, os.waitstatus_to_exitcode(status)


def main():
    out, rounds, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if rounds < 1 or warmup < 0:
        sys.exit("interleave: ROUNDS must be 1 or more, WARMUP 0 or more")
    cmds = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
    res = [{"command": n, "times": [], "user_times": [], "system_times": [],
            "exit_codes": [], "last_lines": []} for n, _, _ in cmds]
    null = os.open(os.devnull, os.O_RDWR)
    err = os.open(out + ".err", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    for r in range(warmup + rounds):
        for k in range(len(cmds)):
            i = (k + r) % len(cmds)
            name, prepare, command = cmds[i]
            if subprocess.run(prepare, shell=True, stdin=null, stdout=null,
                              stderr=err).returncode != 0:
                sys.exit("interleave: %s: the prepare %r failed (%s.err)"
                         % (name, prepare, out))
            mark = os.lseek(err, 0, os.SEEK_END)
            for fd, to in ((0, null), (1, null), (2, err)):
                os.dup2(to, fd)
            try:
                wall, user, system, code = timed(shlex.split(command))
            finally:
                for fd in (0, 1, 2):
                    os.dup2(saved[fd], fd)
            # the run's last line of standard error, for the caller's
            # checks (run.sh: did a "changed" sync change the table?)
            size = os.lseek(err, 0, os.SEEK_END) - mark
            last = os.pread(err, min(size, 4096), mark + size - min(size, 4096))
            last = last.decode("utf-8", "replace").rstrip("\n")
            last = last.rsplit("\n", 1)[-1] if size else ""
            if code != 0:
                sys.exit("interleave: %s exited %d (%s.err)"
                         % (name, code, out))
            if r >= warmup:
                res[i]["times"].append(wall)
                res[i]["user_times"].append(user)
                res[i]["system_times"].append(system)
                res[i]["exit_codes"].append(code)
                res[i]["last_lines"].append(last)
    for x in res:
        n = len(x["times"])
        x["user"] = sum(x["user_times"]) / n
        x["system"] = sum(x["system_times"]) / n
        x["mean"] = sum(x["times"]) / n
        x["median"] = statistics.median(x["times"])
        x["min"] = min(x["times"])
    with open(out, "w") as f:
        json.dump({"rounds": True, "results": res}, f, indent=1)


if __name__ == "__main__":
    main()
