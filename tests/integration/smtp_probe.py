#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A small SMTP client for the Postfix suite (127.0.0.1 only).

smtp_probe.py PORT RCPT...            one session, one RCPT TO per address;
                                       prints "ADDRESS CODE TEXT" per line
smtp_probe.py --loop PORT ADDR STOPFILE
                                       a new connection per RCPT until
                                       STOPFILE exists; prints the count of
                                       answers other than 250, then all answers
smtp_probe.py --hold PORT GOFILE RCPT...
                                       open a session, RCPT the first address,
                                       create GOFILE.ready (smtpd has its
                                       tables open), wait for GOFILE, then
                                       RCPT the rest in the same session
"""
import os
import smtplib
import sys
import time


def session(port):
    s = smtplib.SMTP("127.0.0.1", port, timeout=20)
    s.ehlo("probe.test")
    s.mail("sender@example.net")
    return s


def rcpt(s, addr):
    code, text = s.rcpt(addr)
    print("%s %d %s" % (addr, code, text.decode(errors="replace")), flush=True)
    return code


def main():
    args = sys.argv[1:]
    if args[0] == "--loop":
        port, addr, stop = int(args[1]), args[2], args[3]
        bad, answers = 0, {}
        deadline = time.time() + 600
        while not os.path.exists(stop) and time.time() < deadline:
            s = session(port)
            code, text = s.rcpt(addr)
            s.quit()
            answers[code] = answers.get(code, 0) + 1
            bad += code != 250
        print(bad)
        print(" ".join("%d:%d" % kv for kv in sorted(answers.items())))
        return
    if args[0] == "--hold":
        port, go, addrs = int(args[1]), args[2], args[3:]
        s = session(port)
        rcpt(s, addrs[0])
        open(go + ".ready", "w").close()
        while not os.path.exists(go):
            time.sleep(0.05)
        for a in addrs[1:]:
            rcpt(s, a)
        s.quit()
        return
    port, addrs = int(args[0]), args[1:]
    s = session(port)
    for a in addrs:
        rcpt(s, a)
    s.quit()


if __name__ == "__main__":
    main()
