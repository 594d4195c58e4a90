#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Stands in for the Exchange server behind the gateway (127.0.0.1 only).

mailbox_server.py PORT MAILBOXES PIDFILE

Answers SMTP on 127.0.0.1:PORT; RCPT TO gets 250 when the address (any
letter case, any +extension) is a line of the file MAILBOXES, read again for every RCPT,
else 550 5.1.1.  It is where Postfix's verify(8) probes go, so the
verification cache fills with real positive and negative entries.  It
writes its pid to PIDFILE when it listens.
"""
import os
import socketserver
import sys


class Handler(socketserver.StreamRequestHandler):
    def say(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.say("220 mailbox.test ESMTP")
        while True:
            raw = self.rfile.readline(1024)
            if not raw:
                return
            line = raw.decode(errors="replace").strip()
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.say("250 mailbox.test")
            elif verb == "MAIL":
                self.say("250 2.1.0 Ok")
            elif verb == "RCPT":
                addr = line[line.find("<") + 1:line.rfind(">")].lower()
                local, _, domain = addr.rpartition("@")
                addr = local.split("+", 1)[0] + "@" + domain  # plus addressing
                with open(self.server.mailboxes) as f:
                    known = {l.strip().lower() for l in f}
                if addr in known:
                    self.say("250 2.1.5 Ok")
                else:
                    self.say("550 5.1.1 <%s>: no such mailbox" % addr)
            elif verb == "DATA":
                self.say("554 5.5.1 no mail here, probes only")
            elif verb in ("RSET", "NOOP"):
                self.say("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.say("221 2.0.0 Bye")
                return
            else:
                self.say("502 5.5.2 Error: command not recognized")


def main():
    port, mailboxes, pidfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", port), Handler)
    srv.mailboxes = mailboxes
    with open(pidfile, "w") as f:
        f.write("%d\n" % os.getpid())
    srv.serve_forever()


if __name__ == "__main__":
    main()
