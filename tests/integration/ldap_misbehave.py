#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A scripted LDAP server for misbehaviour no real server can be made to show.

ldap_misbehave.py PORT MODE LOGFILE

Plain LDAP (RFC 4511, BER with definite lengths, hand-written: standard
library only) on 127.0.0.1:PORT.  Prints "listening PORT" once bound and
serves, one thread per connection, until killed.  Every request is appended
to LOGFILE as one JSON line: op, msgid and, for a search, base, scope,
filter (RFC 4515 text, or "hex:..." when it cannot be decoded), attrs and
controls [{oid, critical, value_hex}].

The directory: the rootDSE (dnsHostName, highestCommittedUSN rising by one
on every read from 1000, dsServiceName, defaultNamingContext,
schemaNamingContext), the NTDS Settings object (a fixed invocationId), and
what MODE says a subtree search finds.  A paged subtree search gets one
entry per page unless said otherwise:

  endless-cookie  CN=Loop and the same cookie "same", forever
  repeat-entry    CN=Loop (same objectGUID) and a new cookie, forever
  endless-pages   a new CN=U<n> and a new cookie, forever (0.02 s a page)
  stuck-range     CN=Big with proxyAddresses;range=0-6 (7 values), no
                  cookie; a continuation for range=L-... answers
                  proxyAddresses;range=L-<L-1> with no values
  endless-range   as stuck-range, but a continuation answers
                  proxyAddresses;range=L-<L+6> with 7 new values, forever
  dirsync-more    a DirSync search: CN=User1, moreResults=1 and the same
                  cookie "dscookie", forever; a paged search: as normal
  range-short     CN=Big with proxyAddresses;range=0-6 (7 values), no
                  cookie; a continuation for range=L-... answers
                  proxyAddresses;range=L-L: one value, never "-*" (a chunk
                  cut short, which AD never does)
  normal          CN=User1 and CN=User2 in one page, no cookie; a DirSync
                  search: both, moreResults=0, cookie "c1"
  repeat-once     CN=User1, then CN=User1 again and CN=User2
  repeat-dup      CN=Dup (user1@ too) and CN=User1, then CN=User1 again
                  and CN=User2: one address on two objects, and a repeat
  repeat-warn     CN=Warn (a refused value and an address smtpd never
                  accepts), then CN=Warn again and CN=User2
  repeat-changed  CN=User1, then CN=User1 again with another address
                  (changed during the search) and CN=User2
  range-repeat    CN=Big with proxyAddresses;range=0-6 (7 values), then
                  CN=Big again whole (8 values), no cookie; a
                  continuation answers range=7-*: the eighth
  last-single     CN=User1 and CN=User2, then a last page of CN=User3
  many            CN=M0000 to CN=M4094 (zz0000@ to zz4094@), as many a
                  page as asked: one key short of a run of the set (4096
                  keys)

Exchange's accepted domains (a subtree search under the rootDSE's
configurationNamingContext, CONFIG_NC): in every mode CN=Corp
(corp.example, authoritative), CN=Other (other.example, authoritative) and
CN=Star ("*": skipped by rcptsync), except:

  accepted-bad     CN=Other's msExchAcceptedDomainName is not a domain
                   ("other.example", CR LF and a header line)
  accepted-denied  insufficientAccessRights, as AD answers an account that
                   may not read the Configuration naming context
  accepted-hidden  noSuchObject (with a matchedDN), as AD answers an
                   account that may not see the base at all
  accepted-repeat  CN=Other first as old.example, then CN=Corp, CN=Star,
                   and CN=Other (other.example) and CN=Star again: sent
                   twice in one search, CN=Other changed meanwhile

Every entry carries objectGUID (the MD5 of its DN) and proxyAddresses when
asked; only the attributes asked for are returned (all for none or "*").
"""
import hashlib
import json
import socket
import socketserver
import sys
import threading
import time

PAGED_OID = "1.2.840.113556.1.4.319"
DIRSYNC_OID = "1.2.840.113556.1.4.841"
BASE = "DC=corp,DC=example"
DS_SERVICE = ("CN=NTDS Settings,CN=DC1,CN=Servers,CN=Default-First-Site-Name,"
              "CN=Sites,CN=Configuration," + BASE)
INVOCATION_ID = bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
MODES = ("endless-cookie", "repeat-entry", "endless-pages", "stuck-range",
         "endless-range", "dirsync-more", "normal", "repeat-once",
         "range-gap", "range-late", "silent", "range-short",
         "accepted-bad", "accepted-denied", "accepted-hidden",
         "repeat-dup", "repeat-warn", "repeat-changed", "range-repeat", "many",
         "last-single", "accepted-repeat")
CONFIG_NC = "CN=Configuration," + BASE
ACCEPTED = ("CN=Accepted Domains,CN=Transport Settings,CN=Org,"
            "CN=Microsoft Exchange,CN=Services," + CONFIG_NC)

# LDAPMessage protocolOp tags ([APPLICATION n])
OPS = {0x60: "bind", 0x42: "unbind", 0x63: "search", 0x66: "modify",
       0x68: "add", 0x4a: "delete", 0x6c: "modrdn", 0x6e: "compare",
       0x50: "abandon", 0x77: "extended"}
# the response tag of an operation this server refuses
REFUSED = {0x66: 0x67, 0x68: 0x69, 0x4a: 0x6b, 0x6c: 0x6d, 0x6e: 0x6f,
           0x77: 0x78}


class BerError(Exception):
    pass


# --- BER -------------------------------------------------------------------

def parse_len(buf, pos):
    """(length, next position) of the length octets at POS."""
    if pos >= len(buf):
        raise BerError("truncated length")
    first = buf[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    n = first & 0x7f
    if n == 0:
        raise BerError("indefinite length")
    if n > 8 or pos + n > len(buf):
        raise BerError("bad long-form length")
    return int.from_bytes(buf[pos:pos + n], "big"), pos + n


def parse_tag(buf, pos):
    """(tag, next position): one octet, or the high-tag-number form (the
    identifier octets as one integer)."""
    if pos >= len(buf):
        raise BerError("truncated tag")
    tag = buf[pos]
    pos += 1
    if tag & 0x1f == 0x1f:
        while True:
            if pos >= len(buf):
                raise BerError("truncated tag")
            tag = (tag << 8) | buf[pos]
            pos += 1
            if not buf[pos - 1] & 0x80:
                break
    return tag, pos


def tlv(buf, pos):
    """(tag, content, next position) of the element at POS."""
    tag, pos = parse_tag(buf, pos)
    n, pos = parse_len(buf, pos)
    if pos + n > len(buf):
        raise BerError("element longer than its container")
    return tag, buf[pos:pos + n], pos + n


def children(content):
    """The elements of a constructed content, as (tag, content)."""
    out, pos = [], 0
    while pos < len(content):
        tag, value, pos = tlv(content, pos)
        out.append((tag, value))
    return out


def dec_int(content):
    return int.from_bytes(content, "big", signed=True) if content else 0


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def enc(tag, content=b""):
    return bytes([tag]) + enc_len(len(content)) + content


def enc_int(n, tag=0x02):
    return enc(tag, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big",
                               signed=True))


def enc_str(s, tag=0x04):
    return enc(tag, s.encode() if isinstance(s, str) else s)


def enc_seq(*parts, tag=0x30):
    return enc(tag, b"".join(parts))


# --- filters, for the log --------------------------------------------------

def esc(value):
    out = []
    for b in value:
        c = chr(b)
        if b < 0x20 or b > 0x7e or c in "*()\\":
            out.append("\\%02x" % b)
        else:
            out.append(c)
    return "".join(out)


def filter_text(tag, content):
    if tag in (0xa0, 0xa1):
        return "(%s%s)" % ("&" if tag == 0xa0 else "|",
                           "".join(filter_text(t, c)
                                   for t, c in children(content)))
    if tag == 0xa2:
        (t, c), = children(content)
        return "(!%s)" % filter_text(t, c)
    if tag in (0xa3, 0xa5, 0xa6, 0xa8):
        (_, attr), (_, value) = children(content)
        op = {0xa3: "=", 0xa5: ">=", 0xa6: "<=", 0xa8: "~="}[tag]
        return "(%s%s%s)" % (attr.decode(), op, esc(value))
    if tag == 0x87:
        return "(%s=*)" % content.decode()
    if tag == 0xa4:
        (_, attr), (_, subs) = children(content)
        initial, anys, final = "", [], ""
        for t, c in children(subs):
            if t == 0x80:
                initial = esc(c)
            elif t == 0x81:
                anys.append(esc(c))
            elif t == 0x82:
                final = esc(c)
            else:
                raise BerError("bad substring choice")
        return "(%s=%s*%s%s)" % (attr.decode(), initial,
                                 "".join(a + "*" for a in anys), final)
    if tag == 0xa9:
        rule = attr = value = ""
        dn = False
        for t, c in children(content):
            if t == 0x81:
                rule = c.decode()
            elif t == 0x82:
                attr = c.decode()
            elif t == 0x83:
                value = esc(c)
            elif t == 0x84:
                dn = c != b"\x00"
        return "(%s%s%s:=%s)" % (attr, ":dn" if dn else "",
                                 ":" + rule if rule else "", value)
    raise BerError("unknown filter choice 0x%x" % tag)


# --- the directory ---------------------------------------------------------

def guid(dn):
    return hashlib.md5(dn.encode()).digest()


def user(dn, addrs):
    cn = dn.split(",", 1)[0].split("=", 1)[1]
    return (dn, [("objectClass", [b"top", b"person", b"organizationalPerson",
                                  b"user"]),
                 ("name", [cn.encode()]),
                 ("objectGUID", [guid(dn)]),
                 ("proxyAddresses", [a.encode() for a in addrs])])


USER1 = user("CN=User1," + BASE, ["SMTP:user1@corp.example"])
USER2 = user("CN=User2," + BASE, ["SMTP:user2@corp.example"])
LOOP = user("CN=Loop," + BASE, ["SMTP:loop@corp.example"])
USER1B = user("CN=User1," + BASE, ["SMTP:user1b@corp.example"])
USER3 = user("CN=User3," + BASE, ["SMTP:user3@corp.example"])
DUP = user("CN=Dup," + BASE, ["SMTP:dup@corp.example",
                              "smtp:user1@corp.example"])
WARN = user("CN=Warn," + BASE, ["SMTP:warn@corp.example",
                                "smtp:bad value@corp.example",
                                "smtp:a%b@corp.example"])
BIG_DN = "CN=Big," + BASE


def accepted_domain(cn, name, flags=b"0"):
    dn = "CN=%s,%s" % (cn, ACCEPTED)
    return (dn, [("objectClass", [b"top", b"msExchAcceptedDomain"]),
                 ("objectGUID", [guid(dn)]),
                 ("msExchAcceptedDomainName", [name]),
                 ("msExchAcceptedDomainFlags", [flags])])


def big_chunk(low, high, with_values=True):
    """Big's entry carrying proxyAddresses;range=LOW-HIGH."""
    dn, attrs = user(BIG_DN, [])
    vals = [b"SMTP:big%d@corp.example" % i
            for i in range(low, high + 1)] if with_values else []
    attrs[-1] = ("proxyAddresses;range=%d-%d" % (low, high), vals)
    return dn, attrs


def select(entry, wanted):
    """ENTRY with only the attributes WANTED (all for none or "*")."""
    dn, attrs = entry
    bases = {w.split(";", 1)[0].lower() for w in wanted}
    if not wanted or "*" in bases or "+" in bases:
        return dn, attrs
    return dn, [(d, v) for d, v in attrs
                if d.split(";", 1)[0].lower() in bases]


def asked_range(wanted):
    """(asked for proxyAddresses, low of its ;range= option or None)."""
    asked, low = False, None
    for w in wanted:
        parts = w.split(";")
        if parts[0].lower() in ("proxyaddresses", "*"):
            asked = True
        if parts[0].lower() != "proxyaddresses":
            continue
        for opt in parts[1:]:
            if opt.lower().startswith("range="):
                try:
                    low = int(opt[6:].split("-", 1)[0])
                except ValueError:
                    pass
    return asked or not wanted, low


class Directory:
    def __init__(self, mode):
        self.mode = mode
        self.lock = threading.Lock()
        self.usn = 999
        self.counter = 0

    def next_count(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def rootdse(self):
        with self.lock:
            self.usn += 1
            usn = self.usn
        return ("", [("dnsHostName", [b"dc1.corp.example"]),
                     ("highestCommittedUSN", [str(usn).encode()]),
                     ("dsServiceName", [DS_SERVICE.encode()]),
                     ("defaultNamingContext", [BASE.encode()]),
                     ("configurationNamingContext", [CONFIG_NC.encode()]),
                     ("schemaNamingContext",
                      [b"CN=Schema,CN=Configuration," + BASE.encode()])])

    def base_search(self, dn, wanted):
        """(entries, result code) of a base-scope search of DN."""
        key = dn.lower()
        if dn == "":
            return [self.rootdse()], 0
        if key == DS_SERVICE.lower():
            return [(DS_SERVICE, [("invocationId", [INVOCATION_ID])])], 0
        if key == BIG_DN.lower() and self.mode in ("stuck-range",
                                                    "endless-range"):
            _, low = asked_range(wanted)
            if low is None:
                return [big_chunk(0, 6)], 0
            if self.mode == "stuck-range":
                return [big_chunk(low, low - 1, with_values=False)], 0
            return [big_chunk(low, low + 6)], 0
        if key == BIG_DN.lower() and self.mode == "range-short":
            _, low = asked_range(wanted)
            if low is None:
                return [big_chunk(0, 6)], 0
            return [big_chunk(low, low)], 0
        if key == BIG_DN.lower() and self.mode == "range-repeat":
            _, low = asked_range(wanted)
            dn, attrs = big_chunk(low or 0, 7)
            attrs[-1] = ("proxyAddresses;range=%d-*" % (low or 0),
                         attrs[-1][1])
            return [(dn, attrs)], 0
        if key == BIG_DN.lower() and self.mode == "range-gap":
            # the rest after the gap, as if values 7-100 never existed
            _, low = asked_range(wanted)
            dn, attrs = big_chunk(low or 0, (low or 0) + 1)
            attrs[-1] = ("proxyAddresses;range=%d-*" % (low or 0),
                         attrs[-1][1])
            return [(dn, attrs)], 0
        for entry in (USER1, USER2, LOOP):
            if key == entry[0].lower():
                return [entry], 0
        if key == BIG_DN.lower():
            return [big_chunk(0, 6)], 0
        if key == BASE.lower():
            return [(BASE, [("objectClass", [b"top", b"domain"])])], 0
        return [], 32  # noSuchObject

    def paged(self, size, cookie=b""):
        """(entries, next cookie) of one page of a subtree search."""
        mode = self.mode
        if size == 0:  # the client abandons the paged search
            return [], b""
        if mode == "repeat-once":
            # as a live index walk can: User1 again on the next page,
            # after it changed while the search went on
            if cookie == b"":
                return [USER1], b"p1"
            return [USER1, USER2], b""
        if mode in ("repeat-dup", "repeat-warn", "repeat-changed"):
            first, again = {"repeat-dup": ([DUP, USER1], [USER1]),
                            "repeat-warn": ([WARN], [WARN]),
                            "repeat-changed": ([USER1], [USER1B])}[mode]
            if cookie == b"":
                return first, b"p1"
            return again + [USER2], b""
        if mode == "range-repeat":
            # a first copy cut (held until the page ends), then the
            # same object again, whole
            whole = user(BIG_DN, ["SMTP:big%d@corp.example" % i
                                  for i in range(8)])
            return [big_chunk(0, 6), whole], b""
        if mode == "many":
            first = int(cookie or b"0")
            last = min(first + size, 4095)
            return ([user("CN=M%04d,%s" % (i, BASE),
                          ["SMTP:zz%04d@corp.example" % i])
                     for i in range(first, last)],
                    b"%d" % last if last < 4095 else b"")
        if mode == "last-single":
            if cookie == b"":
                return [USER1, USER2], b"p1"
            return [USER3], b""
        if mode == "range-gap":
            # "range=0-100" with 7 values: the next request would skip
            dn, attrs = big_chunk(0, 6)
            attrs[-1] = ("proxyAddresses;range=0-100", attrs[-1][1])
            return [(dn, attrs)], b""
        if mode == "range-late":
            # the first answer does not start at 0: values 0-4 missing
            dn, attrs = big_chunk(5, 6)
            attrs[-1] = ("proxyAddresses;range=5-*", attrs[-1][1])
            return [(dn, attrs)], b""
        if mode == "endless-cookie":
            return [LOOP], b"same"
        if mode == "repeat-entry":
            return [LOOP], str(self.next_count()).encode()
        if mode == "endless-pages":
            time.sleep(0.02)
            n = self.next_count()
            return [user("CN=U%d,%s" % (n, BASE),
                         ["SMTP:u%d@corp.example" % n])], str(n).encode()
        if mode in ("stuck-range", "endless-range", "range-short"):
            return [big_chunk(0, 6)], b""
        return [USER1, USER2], b""

    def accepted(self):
        """(entries, result code, diagnostic) of a subtree search under
        the Configuration naming context."""
        if self.mode == "accepted-denied":
            return [], 50, ("00002098: SecErr: DSID-03150F94, problem 4003 "
                            "(INSUFF_ACCESS_RIGHTS), data 0")
        if self.mode == "accepted-hidden":
            return [], 32, ("0000208D: NameErr: DSID-03100241, problem "
                            "2001 (NO_OBJECT), data 0, best match of:")
        if self.mode == "accepted-repeat":
            return [accepted_domain("Other", b"old.example"),
                    accepted_domain("Corp", b"corp.example"),
                    accepted_domain("Star", b"*", b"2"),
                    accepted_domain("Other", b"other.example"),
                    accepted_domain("Star", b"*", b"2")], 0, ""
        other = (b"other.example\r\nX-Injected: 1"
                 if self.mode == "accepted-bad" else b"other.example")
        return [accepted_domain("Corp", b"corp.example"),
                accepted_domain("Other", other),
                accepted_domain("Star", b"*", b"2")], 0, ""

    def dirsync(self):
        """(entries, moreResults, cookie) of a DirSync search."""
        if self.mode == "dirsync-more":
            return [USER1], 1, b"dscookie"
        return [USER1, USER2], 0, b"c1"


# --- the protocol ----------------------------------------------------------

def parse_controls(content):
    out = []
    for _, ctrl in children(content):
        parts = children(ctrl)
        oid = parts[0][1].decode(errors="replace")
        critical, value = False, None
        for t, c in parts[1:]:
            if t == 0x01:
                critical = c != b"\x00"
            elif t == 0x04:
                value = c
        out.append({"oid": oid, "critical": critical,
                    "value_hex": value.hex() if value is not None else None,
                    "_value": value})
    return out


def page_cookie(value):
    """The cookie of a paged results request value (b"" when absent)."""
    if not value:
        return b""
    (_, seq), = children(value)
    return children(seq)[1][1]


def page_size(value):
    """The size of a paged results request value (1 when absent)."""
    if not value:
        return 1
    (_, seq), = children(value)
    return dec_int(children(seq)[0][1])


def parse_search(content):
    parts = children(content)
    if len(parts) < 8:
        raise BerError("short SearchRequest")
    base = parts[0][1].decode(errors="replace")
    scope = dec_int(parts[1][1])
    ftag, fcontent = parts[6]
    try:
        ftext = filter_text(ftag, fcontent)
    except (BerError, ValueError, UnicodeDecodeError):
        ftext = "hex:" + (bytes([ftag]) + enc_len(len(fcontent))
                          + fcontent).hex()
    attrs = [c.decode(errors="replace") for _, c in children(parts[7][1])]
    return base, scope, ftext, attrs


def entry_msg(msgid, entry):
    dn, attrs = entry
    plist = b"".join(enc_seq(enc_str(d), enc_seq(*(enc_str(v) for v in vals),
                                                 tag=0x31))
                     for d, vals in attrs)
    return enc_seq(enc_int(msgid), enc_seq(enc_str(dn), enc_seq(plist),
                                           tag=0x64))


def result_msg(msgid, tag, code=0, diag="", matched="", controls=b""):
    body = enc_int(msgid) + enc_seq(enc_int(code, 0x0a), enc_str(matched),
                                    enc_str(diag), tag=tag)
    if controls:
        body += enc(0xa0, controls)
    return enc(0x30, body)


def control(oid, value):
    return enc_seq(enc_str(oid), enc_str(value))


class Handler(socketserver.BaseRequestHandler):
    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def read_message(self):
        """One LDAPMessage's raw bytes, or None at the end of the stream."""
        try:
            head = self.recv_exact(2)
        except EOFError:
            return None
        if head[0] != 0x30:
            raise BerError("not an LDAPMessage (tag 0x%02x)" % head[0])
        lenbytes = head[1:]
        if head[1] & 0x80:
            n = head[1] & 0x7f
            if n == 0 or n > 8:
                raise BerError("bad LDAPMessage length")
            lenbytes += self.recv_exact(n)
        length, _ = parse_len(lenbytes, 0)
        if length > 64 << 20:
            raise BerError("LDAPMessage too long")
        return head[:1] + lenbytes + self.recv_exact(length)

    def log(self, record):
        line = json.dumps(record, sort_keys=False) + "\n"
        with self.server.log_lock:
            self.server.logfile.write(line)
            self.server.logfile.flush()

    def handle(self):
        if self.server.directory.mode == "silent":
            # accepts the connection, reads, never answers: a hung DC
            while self.request.recv(4096):
                pass
            return
        while True:
            try:
                raw = self.read_message()
                if raw is None:
                    return
                if not self.serve(raw):
                    return
            except (EOFError, ConnectionError, socket.timeout, OSError):
                return
            except (BerError, ValueError, IndexError,
                    UnicodeDecodeError) as e:
                self.log({"op": "error", "error": str(e)})
                return

    def serve(self, raw):
        """Answer one message; False to close the connection."""
        _, body, _ = tlv(raw, 0)
        parts = children(body)
        msgid = dec_int(parts[0][1])
        optag, op = parts[1]
        controls = []
        for t, c in parts[2:]:
            if t == 0xa0:
                controls = parse_controls(c)
        record = {"op": OPS.get(optag, "0x%02x" % optag), "msgid": msgid}
        if optag == 0x63:
            base, scope, ftext, attrs = parse_search(op)
            record.update(base=base, scope=scope, filter=ftext, attrs=attrs)
        elif optag == 0x60:
            bparts = children(op)
            record["name"] = bparts[1][1].decode(errors="replace")
            record["auth"] = "simple" if bparts[2][0] == 0x80 else "sasl"
        elif optag == 0x50:
            record["abandon"] = dec_int(op)
        elif optag == 0x77:
            record["name"] = children(op)[0][1].decode(errors="replace")
        record["controls"] = [{k: v for k, v in c.items() if k != "_value"}
                              for c in controls]
        self.log(record)

        send = self.request.sendall
        if optag == 0x60:
            send(result_msg(msgid, 0x61))
        elif optag == 0x42:
            return False
        elif optag == 0x50:
            pass
        elif optag == 0x63:
            send(self.search(msgid, base, scope, attrs, controls))
        elif optag in REFUSED:
            send(result_msg(msgid, REFUSED[optag], 53,
                            "this test server does not do that"))
        else:
            return False
        return True

    def search(self, msgid, base, scope, attrs, controls):
        """Every message answering one SearchRequest, as bytes."""
        d = self.server.directory
        ctrl = {c["oid"]: c for c in controls}
        out, code, resp, diag = [], 0, b"", ""
        if scope == 0:
            entries, code = d.base_search(base, attrs)
        elif scope == 2 and base.lower().endswith(CONFIG_NC.lower()):
            entries, code, diag = d.accepted()
            if PAGED_OID in ctrl and code == 0:
                resp = control(PAGED_OID, enc_seq(enc_int(0), enc_str(b"")))
        elif scope == 1:
            entries = []
        elif DIRSYNC_OID in ctrl:
            entries, more, cookie = d.dirsync()
            resp = control(DIRSYNC_OID, enc_seq(enc_int(more), enc_int(0),
                                                enc_str(cookie)))
        elif PAGED_OID in ctrl:
            entries, cookie = d.paged(page_size(ctrl[PAGED_OID]["_value"]),
                                      page_cookie(ctrl[PAGED_OID]["_value"]))
            resp = control(PAGED_OID, enc_seq(enc_int(0), enc_str(cookie)))
        else:
            entries, _ = d.paged(1)
        for entry in entries:
            out.append(entry_msg(msgid, select(entry, attrs)))
        out.append(result_msg(msgid, 0x65, code, diag,
                              matched=BASE if code == 32 else "",
                              controls=resp))
        return b"".join(out)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that went away is no news


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in MODES:
        sys.stderr.write("usage: ldap_misbehave.py PORT MODE LOGFILE\n"
                         "MODE: %s\n" % " | ".join(MODES))
        return 64
    port, mode, logpath = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    server = Server(("127.0.0.1", port), Handler)
    server.directory = Directory(mode)
    server.logfile = open(logpath, "a", encoding="utf-8")
    server.log_lock = threading.Lock()
    print("listening %d" % port, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
