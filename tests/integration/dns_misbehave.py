#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A scripted DNS server on port 53 of every address (run it in a private
# network namespace, where 127.0.0.0/8 is its own) that misbehaves as no
# real one can be made to.
# Usage: dns_misbehave.py MODE
#   tc-hang    every SRV answer over UDP has TC set and no records; TCP
#              connections are accepted and never answered
#   tc-answer  the same over UDP; over TCP the full answer: one SRV record
#              _ldap._tcp.dc._msdcs.<domain> -> dc1.<domain>:389
#   silent     no answer over UDP at all
# Any other type: NXDOMAIN.  Prints "listening" once both sockets are bound.
import socket
import struct
import sys
import threading

MODE = sys.argv[1]


def question(d):
    i = 12
    while d[i]:
        i += d[i] + 1
    return d[12:i + 5]


def name(s):
    return b"".join(bytes([len(l)]) + l.encode() for l in s.split(".") if l) + b"\0"


def answer(d, tcp):
    tid = d[:2]
    q = question(d)
    if q[-4:-2] != b"\x00\x21":
        return tid + struct.pack(">HHHHH", 0x8183, 1, 0, 0, 0) + q
    if not tcp:
        return tid + struct.pack(">HHHHH", 0x8380, 1, 0, 0, 0) + q
    labels, i = [], 0
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode())
        i += q[i] + 1
    domain = ".".join(labels[4:]) if labels[2:4] == ["dc", "_msdcs"] else ".".join(labels[2:])
    rd = struct.pack(">HHH", 0, 100, 389) + name("dc1." + domain)
    rr = b"\xc0\x0c" + struct.pack(">HHIH", 33, 1, 60, len(rd)) + rd
    return tid + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + q + rr


def udp(s):
    while True:
        d, a = s.recvfrom(4096)
        if MODE != "silent":
            s.sendto(answer(d, False), a)


def serve_tcp(c):
    conns.append(c)
    if MODE == "tc-hang":
        return  # accepted, never answered (kept open in conns)
    while True:
        b = c.recv(2)
        if len(b) < 2:
            return
        n = struct.unpack(">H", b)[0]
        d = b""
        while len(d) < n:
            more = c.recv(n - len(d))
            if not more:
                return
            d += more
        r = answer(d, True)
        c.sendall(struct.pack(">H", len(r)) + r)


conns = []
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", 53))
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", 53))
t.listen(16)
threading.Thread(target=udp, args=(u,), daemon=True).start()
print("listening", flush=True)
while True:
    c, _ = t.accept()
    threading.Thread(target=serve_tcp, args=(c,), daemon=True).start()
