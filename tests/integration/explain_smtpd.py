#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The differential test of "rcptsync explain" against a real smtpd.

explain_smtpd.py gen SEED COUNT KEYS     COUNT seeded random RCPT TO
                                         arguments, one a line, built from
                                         the table's keys (file KEYS: key TAB
                                         value lines, as "rcptsync dump")
explain_smtpd.py probe PORT              the arguments on stdin sent as
                                         "RCPT TO:ARG" to 127.0.0.1:PORT,
                                         many per session; prints each code
explain_smtpd.py compare ARGS CODES JSON zero disagreements, or each one
                                         named (exit 1)

Bytes pass through unchanged (latin-1 on every stream): an argument may
hold any byte but NUL, CR and LF.
"""
import json
import random
import smtplib
import sys

OTHER = ["unknown.example", "corp.example.evil", "example", "xcorp.example"]
RELAY = ["corp.example", "catch.example", "wild.example"]
SUBS = ["sub.corp.example", "a.b.corp.example", "sub.wild.example",
        "deep.sub.wild.example", "sub.catch.example"]
ODD = ";[]()<>,:\"\\ %!@.-+'`{}|~#$&*=?^/"
WORDS = ["user1", "john.q", "x", "nobody", "postmaster", "abuse", "Mixed.Case",
         "owner-list", "list-request", "mailer-daemon"]


def case(r, s):
    return "".join(c.upper() if r.random() < 0.5 else c for c in s)


def split(key):
    at = key.rfind("@")
    return key[:at], key[at + 1:]


def quote(local):
    return '"' + local.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal(r):
    return r.choice([
        "[192.0.2.%d]" % r.randrange(256),
        "[IPv6:2001:db8::%x]" % r.randrange(65536),
        "[ipv6:2001:db8::1.2.3.4]",
        "[300.1.1.1]", "[1.2.3]", "[::1]", "[foo]", "[IPv6:1::2::3]",
        "[01.2.3.4]", "[0.0.0.0]", "[192.0.2.1", "192.0.2.1",
        "[IPv6:::ffff:1.2.3.4]", "[IPv6:1:2:3:4:5:6:7:8]",
        "[IPv6:1:2:3:4:5:6:7:8:9]",
    ])


def long_label(r):
    return "l" * r.choice([62, 63, 64, 65])


def domain(r, keydom):
    k = r.random()
    if k < 0.45:
        d = keydom
    elif k < 0.6:
        d = r.choice(RELAY)
    elif k < 0.72:
        d = r.choice(SUBS)
    elif k < 0.8:
        d = r.choice(OTHER)
    elif k < 0.86:
        d = literal(r)
    elif k < 0.9:
        d = long_label(r) + "." + r.choice(RELAY)
    elif k < 0.95:
        d = r.choice(["corp..example", ".corp.example", "-corp.example",
                      "corp-.example", "corp_x.example", "123.example",
                      "corp.123", "1.2.3.4", "", ".", "corp.example.."])
    else:
        d = r.choice(RELAY) + "."
    return case(r, d) if r.random() < 0.3 else d


def local(r, keylocal):
    k = r.random()
    if k < 0.4:
        s = keylocal
    elif k < 0.55:
        s = r.choice(WORDS)
    elif k < 0.7:
        s = keylocal + r.choice(["+", "++", "-"]) + r.choice(["", "tag", "x+y"])
    elif k < 0.85:
        s = keylocal or "a"
        i = r.randrange(len(s) + 1)
        s = s[:i] + r.choice(ODD) + s[i:]
    elif k < 0.9:
        s = "-" + keylocal
    elif k < 0.94:
        s = "x" * r.choice([64, 65, 200, 1000, 2100])
    elif k < 0.97:
        s = r.choice(["j\xc3\xbcrgen", "j\xfcrgen", "\xe2\x82\xac"])
    else:
        s = ""
    return case(r, s) if r.random() < 0.3 else s


def form(r, loc, dom):
    """The local part bare or quoted, and the envelope around it."""
    k = r.random()
    if k < 0.2:
        loc = quote(loc)
    elif k < 0.25 and "." in loc:
        a, b = loc.split(".", 1)
        loc = quote(a) + "." + b
    addr = loc + "@" + dom
    k = r.random()
    if k < 0.08:
        addr = "@relay.example:" + addr
    elif k < 0.11:
        addr = "@a.example,@b.example:" + addr
    elif k < 0.14:
        addr = r.choice(["(c)", "Name ", ""]) + "<" + addr + ">"
    elif k < 0.17:
        addr = addr + r.choice(["(comment)", ";", " (x)"])
    k = r.random()
    if k < 0.85:
        arg = "<" + addr + ">"
    elif k < 0.95:
        arg = addr
    else:
        arg = "<" + addr + "> " + r.choice(["NOTIFY=NEVER", "FOO=1", "x"])
    return arg


def special(r, keys):
    key = r.choice(keys)
    loc, dom = split(key)
    return r.choice([
        "<>", "<\"\">", "<postmaster>", "<POSTMASTER>", "postmaster",
        "<postmaster@corp.example>", "<@corp.example>", "<@catch.example>",
        "<" + loc + ">", "<" + dom + "!" + loc + ">", "<" + loc + "%" + dom + ">",
        "<" + loc + "%" + dom + "@corp.example>", "<\"" + loc + "@" + dom + "\"@corp.example>",
        "", " ", "<" + key, key + ">", "<<" + key + ">>", "<a b@corp.example>",
        "a b", "<" + key + "> NOTIFY=NEVER",
        "<" + loc + "%" + dom + "@>", "<" + dom + "!" + loc + "@>",
        "<\"" + loc + "%" + dom + "\"@>", "<\"" + loc + "@" + dom + "\"@>",
        "<@" + loc + "@>", "<" + key + "@>", "<" + loc + "@@" + dom + ">",
        "<@" + dom + ":" + loc + ">", "<@" + dom + ":>", "<@:" + key + ">",
        "<" + loc + "@" + dom + ".(x).>", "<\"\"@" + dom + ">",
    ])


def gen(seed, count, keysfile):
    r = random.Random(seed)
    with open(keysfile, encoding="latin-1") as f:
        keys = [line.split("\t")[0] for line in f if "@" in line]
    keys = [k for k in keys if not k.startswith("@")] or ["user1@corp.example"]
    out = []
    for _ in range(count):
        if r.random() < 0.1:
            arg = special(r, keys)
        else:
            loc, dom = split(r.choice(keys))
            arg = form(r, local(r, loc), domain(r, dom))
        out.append(arg.replace("\r", "").replace("\n", "").replace("\0", ""))
    sys.stdout.write("".join(a + "\n" for a in out))


def session(port):
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    s.ehlo("probe.test")
    code, _ = s.mail("sender@example.net")
    if code != 250:
        raise SystemExit("MAIL FROM: %d" % code)
    return s


def probe(port):
    args = sys.stdin.read().split("\n")[:-1]
    s, n = session(port), 0
    for a in args:
        if n == 500:
            s.quit()
            s, n = session(port), 0
        s.sock.sendall(("RCPT TO:" + a + "\r\n").encode("latin-1"))
        code, text = s.getreply()
        if code == 421:
            raise SystemExit("smtpd hung up (421): " + text.decode("latin-1"))
        print(code)
        n += 1
    s.quit()


def compare(argsfile, codesfile, jsonfile):
    with open(argsfile, encoding="latin-1") as f:
        args = f.read().split("\n")[:-1]
    with open(codesfile) as f:
        codes = [int(c) for c in f.read().split()]
    with open(jsonfile, encoding="latin-1") as f:
        got = json.load(f)["addresses"]
    if not (len(args) == len(codes) == len(got)):
        print("counts differ: %d arguments, %d smtpd answers, %d verdicts"
              % (len(args), len(codes), len(got)))
        return 1
    bad = 0
    for a, c, g in zip(args, codes, got):
        if g["address"].encode("latin-1").decode("latin-1") != a:
            print("order differs at %r" % a)
            return 1
        if g["code"] != c:
            bad += 1
            if bad <= 40:
                print("DISAGREE smtpd %d explain %d: RCPT TO:%s (resolved %s)"
                      % (c, g["code"], ascii(a), ascii(g["resolved"])))
    print("%d addresses, %d disagreements" % (len(args), bad))
    return 1 if bad else 0


def main():
    cmd = sys.argv[1]
    sys.stdout.reconfigure(encoding="latin-1")
    sys.stdin.reconfigure(encoding="latin-1")
    if cmd == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif cmd == "probe":
        probe(int(sys.argv[2]))
    elif cmd == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3], sys.argv[4]))


if __name__ == "__main__":
    main()
