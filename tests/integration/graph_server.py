#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A scripted Microsoft Graph for tests: NOT Microsoft Graph.

No Graph tenant can run here, so graph.sh talks to this small HTTPS server
(a private test CA, 127.0.0.1 only).  It follows Microsoft's published
schema: every object it sends is logged to DIR/sent.jsonl, and graph.sh
checks each property and its type against graph_schema.txt, derived from
microsoftgraph/msgraph-metadata's schemas/v1.0-Prod.csdl (graph_schema.py).
What it does not model is not tested by it: conditional access, real
throttling budgets, Exchange's own views.

Delta queries follow Microsoft's documented protocol to the letter
(learn.microsoft.com/graph/delta-query-overview, /graph/api/user-delta,
/graph/api/group-delta, /graph/api/orgcontact-delta; the repository's
doc/microsoft-graph.md "Listing and delta"): GET /v1.0/SET/delta?$select=
starts a round that returns every object, page by page through
@odata.nextLink ($skiptoken: the query is encoded in the token, not
repeated), ending with @odata.deltaLink ($deltatoken); a deltaLink asked
later returns what changed since: a changed or added object with all its
selected properties, a removed one as {"id", "@removed": {"reason":
"changed" | "deleted"}}.  $top is not supported on delta (400).  An
unknown or expired token is 400 syncStateNotFound, or 410 Gone with a
Location (a deltaLink with an empty $deltatoken: a new full round).
What changed is the difference between the objects the token's round saw
and the scenario's objects now: the change log of each collection.

  graph_server.py PORT CERT KEY DIR

DIR/scenario.json is read again for every request, so that a suite can
change the directory between runs:
  tenant, client_id        what the token endpoint accepts
  client_secret            the app's secret (secret credential), or
  client_cert              the PEM certificate of the app (assertions)
  objects                  {"users": [...], "groups": [...], "contacts":
                           [...]}, the objects with their properties
  page_size                objects a page (at most $top)
  empty_page               {"users": K}: an empty page before page K
  faults                   [{"set": "users", "page": K, "status": 429,
                           "retry_after": 1, "times": 1, "body": "..."}]:
                           answer page K of the set so, TIMES times
  loop                     "users": the last page's nextLink is the first
  stall                    "users": stop answering on that set's pages
  nextlink_host            "users": nextLink points to another host
  token_uses               a token is good for this many Graph requests,
                           then 401 (an expired token)
  deny                     ["contacts"]: 403 for that set
  raw                      {"users": "TEXT"}: the page body, as is
  huge                     {"users": N}: pad the first page to N bytes
  removed_reason           {"u1": "changed"}: @removed reason of an object
                           gone since a token (default "deleted")
  long_token               {"users": N}: that set's $deltatoken is N
                           characters long (padded with zeros)
  repeat                   {"users": ["u1"]}: a delta round sends the
                           object twice, first a stale copy (the last wins)
  token_expiry             {"users": "gone" | "syncStateNotFound"}: every
                           non-empty $deltatoken of the set is refused so
  faults[].delta           true: only delta requests; false: only
                           listings; absent: both.  "drop": true cuts the
                           connection in the middle of the answer.
  generate                 {"seed": S, "users": N, "groups": N,
                           "contacts": N}: the objects made by graph_gen.py
                           from the seed instead of "objects" (the
                           benchmark); then DIR/sent.jsonl is not written

Requests are logged to DIR/requests.log, one JSON line each: method,
path, status, and for the token endpoint the credential it checked.
"""
import base64
import hashlib
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

SELECT = {"users": "id,proxyAddresses,userType",
          "groups": "id,proxyAddresses", "contacts": "id,proxyAddresses"}
PORT, CERT, KEY, DIR = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                        sys.argv[4])
BASE = "https://127.0.0.1:%d" % PORT
LOCK = threading.Lock()
TOKENS = {}      # token -> Graph requests left
JTIS = set()     # assertions seen: a replay is refused
FAULTS_USED = {}  # (scenario generation, fault index) -> times used
ROUNDS = {}      # delta round id -> {"name", "pages", "token", "start"}
DELTAS = {}      # $deltatoken -> {"name", "seen": {id: object as sent}}
GENERATED = {}   # json of a "generate" spec -> its objects


def objects(sc):
    """The scenario's objects: as listed, or generated from a seed."""
    spec = sc.get("generate")
    if spec is None:
        return sc.get("objects", {})
    key = json.dumps(spec, sort_keys=True)
    with LOCK:
        if key not in GENERATED:
            import graph_gen  # beside this file
            GENERATED.clear()
            GENERATED[key] = graph_gen.generate(spec)
        return GENERATED[key]


def scenario():
    with open(os.path.join(DIR, "scenario.json")) as f:
        return json.load(f)


def log(rec):
    with LOCK, open(os.path.join(DIR, "requests.log"), "a") as f:
        f.write(json.dumps(rec) + "\n")


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def check_assertion(sc, jwt, token_url):
    """None if the client assertion is good, else why not."""
    parts = jwt.split(".")
    if len(parts) != 3:
        return "not a JWS"
    try:
        head = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        sig = b64url_decode(parts[2])
    except ValueError:
        return "undecodable"
    with open(sc["client_cert"], "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    der = cert.public_bytes(serialization.Encoding.DER)
    want_x5t = base64.urlsafe_b64encode(
        hashlib.sha256(der).digest()).rstrip(b"=").decode()
    if head.get("alg") != "PS256" or head.get("typ") != "JWT":
        return "header alg/typ %r/%r" % (head.get("alg"), head.get("typ"))
    if head.get("x5t#S256") != want_x5t:
        return "x5t#S256 is not the registered certificate's"
    try:
        # RFC 7518 3.5: MGF1 with SHA-256 and a salt of 32 bytes exactly
        cert.public_key().verify(
            sig, (parts[0] + "." + parts[1]).encode(),
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
            hashes.SHA256())
    except InvalidSignature:
        return "bad signature"
    now = time.time()
    if claims.get("aud") != token_url:
        return "aud %r" % claims.get("aud")
    if claims.get("iss") != sc["client_id"] or \
            claims.get("sub") != sc["client_id"]:
        return "iss/sub"
    nbf, exp = claims.get("nbf"), claims.get("exp")
    if not isinstance(nbf, int) or not isinstance(exp, int):
        return "nbf/exp missing"
    if exp - nbf > 600 or nbf > now + 60 or exp < now:
        return "lifetime nbf=%d exp=%d now=%d" % (nbf, exp, now)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or jti in JTIS:
        return "jti missing or replayed"
    JTIS.add(jti)
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # answers leave at once: with Nagle the last segment of a page
        # waited for the client's delayed ACK, about 40 ms a request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message, headers=()):
        self.answer(status, json.dumps(
            {"error": {"code": code, "message": message}}), headers)

    def do_POST(self):
        sc = scenario()
        path = urllib.parse.urlsplit(self.path).path
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        form = {k: v[0] for k, v in form.items()}
        token_url = "%s/%s/oauth2/v2.0/token" % (BASE, sc["tenant"])
        why = None
        if path != "/%s/oauth2/v2.0/token" % sc["tenant"]:
            why = "no such tenant"
        elif form.get("grant_type") != "client_credentials" or \
                form.get("client_id") != sc["client_id"] or \
                form.get("scope") != BASE + "/.default":
            why = "grant_type, client_id or scope"
        elif "client_assertion" in form:
            if form.get("client_assertion_type") != \
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
                why = "client_assertion_type"
            elif "client_cert" not in sc:
                why = "no certificate registered"
            else:
                why = check_assertion(sc, form["client_assertion"],
                                      token_url)
            cred = "assertion"
        elif "client_secret" in form:
            cred = "secret"
            if form["client_secret"] != sc.get("client_secret"):
                why = "AADSTS7000215: Invalid client secret provided."
        else:
            why = "no credential"
        if why is not None:
            log({"method": "POST", "path": path, "status": 401,
                 "refused": why})
            self.answer(401, json.dumps(
                {"error": "invalid_client",
                 "error_description": "AADSTS700027: " + why}))
            return
        token = base64.urlsafe_b64encode(os.urandom(24)).decode()
        with LOCK:
            TOKENS[token] = sc.get("token_uses", 1 << 30)
        log({"method": "POST", "path": path, "status": 200,
             "credential": cred})
        self.answer(200, json.dumps({"token_type": "Bearer",
                                     "expires_in": 3599,
                                     "access_token": token}))

    def bearer_ok(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        with LOCK:
            left = TOKENS.get(auth[7:], 0)
            if left <= 0:
                return False
            TOKENS[auth[7:]] = left - 1
        return True

    def fault(self, sc, name, page, delta=False):
        for i, f in enumerate(sc.get("faults", [])):
            if f.get("delta", delta) != delta:
                continue
            if f["set"] == name and f.get("page", 0) == page:
                key = (sc.get("generation"), i)  # a new scenario: anew
                with LOCK:
                    used = FAULTS_USED.get(key, 0)
                    if used >= f.get("times", 1):
                        continue
                    FAULTS_USED[key] = used + 1
                return f
        return None

    def do_GET(self):
        sc = scenario()
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        name = url.path[len("/v1.0/"):] if url.path.startswith("/v1.0/") \
            else ""
        delta = name.endswith("/delta")
        if delta:
            name = name[:-len("/delta")]
        page = 0
        if not delta:
            page = int(q.get("$skiptoken", ["0"])[0])
        elif "$skiptoken" in q:
            n = q["$skiptoken"][0].partition("-")[2]
            page = int(n) if n.isdigit() else 0
        rec = {"method": "GET", "path": url.path, "page": page,
               "query": url.query}
        if delta:
            rec["delta"] = True
        if name not in SELECT:
            rec["status"] = 404
            log(rec)
            self.error(404, "Request_ResourceNotFound", "no such resource")
            return
        if not self.bearer_ok():
            rec["status"] = 401
            log(rec)
            self.error(401, "InvalidAuthenticationToken",
                       "Access token has expired or is not yet valid.")
            return
        if name in sc.get("deny", []):
            rec["status"] = 403
            log(rec)
            self.error(403, "Authorization_RequestDenied",
                       "Insufficient privileges to complete the operation.")
            return
        if sc.get("stall") == name:
            rec["status"] = "stalled"
            log(rec)
            time.sleep(3600)
            return
        f = self.fault(sc, name, page, delta)
        if f is not None and f.get("drop"):
            rec["status"] = "dropped"
            log(rec)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"value": [')
            self.wfile.flush()
            self.close_connection = True
            return
        if f is not None:
            rec["status"] = f["status"]
            log(rec)
            headers = []
            if "retry_after" in f:
                headers.append(("Retry-After", str(f["retry_after"])))
            if f["status"] == 410:
                headers.append(("Location", "%s/v1.0/%s/delta?$deltatoken="
                                % (BASE, name)))
            self.answer(f["status"], f.get("body", json.dumps(
                {"error": {"code": "TooManyRequests",
                           "message": "Too many requests"}})), headers)
            return
        if delta:
            self.send_delta(sc, name, q, rec)
            return
        if q.get("$select", [""])[0] != SELECT[name]:
            rec["status"] = 400
            log(rec)
            self.error(400, "BadRequest", "unexpected $select")
            return
        if name in sc.get("raw", {}):
            rec["status"] = 200
            log(rec)
            self.answer(200, sc["raw"][name])
            return
        self.send_page(sc, name, page, q, rec)

    def send_page(self, sc, name, page, q, rec):
        size = min(int(q.get("$top", ["100"])[0]), sc.get("page_size", 100))
        objs = objects(sc).get(name, [])
        pages = [objs[i:i + size] for i in range(0, len(objs), size)] or [[]]
        k = sc.get("empty_page", {}).get(name)
        if k is not None and 0 < k <= len(pages):
            pages.insert(k, [])
        fields = SELECT[name].split(",")
        value = [{p: o[p] for p in fields if p in o}
                 for o in pages[min(page, len(pages) - 1)]]
        body = {"@odata.context": BASE + "/v1.0/$metadata#" + name +
                "(" + SELECT[name] + ")", "value": value}
        link = None
        if page + 1 < len(pages):
            link = page + 1
        elif sc.get("loop") == name:
            link = 0
        if link is not None:
            host = "https://evil.example" if \
                sc.get("nextlink_host") == name else BASE
            body["@odata.nextLink"] = "%s/v1.0/%s?$select=%s&$top=%s" \
                "&$skiptoken=%d" % (host, name, SELECT[name],
                                    q.get("$top", ["100"])[0], link)
        if "generate" not in sc:
            with LOCK, open(os.path.join(DIR, "sent.jsonl"), "a") as f:
                for o in value:
                    f.write(json.dumps({"set": name, "object": o}) + "\n")
        text = json.dumps(body)
        pad = sc.get("huge", {}).get(name, 0) - len(text)
        if page == 0 and pad > 0:
            text = text[:-1] + ', "@odata.count": 0' + " " * pad + "}"
        rec["status"] = 200
        rec["objects"] = len(value)
        log(rec)
        self.answer(200, text)


    def delta_refused(self, sc, name, rec, how):
        rec["status"] = 410 if how == "gone" else 400
        log(rec)
        if how == "gone":
            self.error(410, "resyncRequired", "The delta token is no "
                       "longer valid: start a full round.", [(
                           "Location", "%s/v1.0/%s/delta?$deltatoken=" %
                           (BASE, name))])
        else:
            self.error(400, "syncStateNotFound",
                       "The sync state generation is not found.")

    def start_round(self, sc, name, q, rec):
        """A new round: what changed since the token (all: no token)."""
        seen = {}
        token = q.get("$deltatoken", [""])[0]
        if token:
            expiry = sc.get("token_expiry", {}).get(name)
            if expiry is not None or token not in DELTAS or \
                    DELTAS[token]["name"] != name:
                self.delta_refused(sc, name, rec, expiry or
                                   "syncStateNotFound")
                return None
            seen = DELTAS[token]["seen"]
        elif "$deltatoken" not in q and \
                q.get("$select", [""])[0] != SELECT[name]:
            rec["status"] = 400
            log(rec)
            self.error(400, "BadRequest", "unexpected $select")
            return None
        if "$top" in q:
            rec["status"] = 400
            log(rec)
            self.error(400, "BadRequest", "$top is not supported on delta")
            return None
        fields = SELECT[name].split(",")
        now = {}
        for o in objects(sc).get(name, []):
            now[o["id"]] = {p: o[p] for p in fields if p in o}
        items = [o for i, o in now.items() if seen.get(i) != o]
        reasons = sc.get("removed_reason", {})
        items += [{"id": i, "@removed": {"reason": reasons.get(i, "deleted")}}
                  for i in seen if i not in now]
        for i in sc.get("repeat", {}).get(name, []):
            last = [o for o in items if o["id"] == i]
            if i in now:
                stale = dict(now[i])
                stale["proxyAddresses"] = ["smtp:stale-%s@contoso.com" % i]
                items = [stale] + items + ([] if last else [now[i]])
            elif i in seen and last:
                items = [dict(seen[i])] + items
        size = sc.get("page_size", 100)
        pages = [items[i:i + size] for i in range(0, len(items), size)] \
            or [[]]
        k = sc.get("empty_page", {}).get(name)
        if k is not None and 0 < k <= len(pages):
            pages.insert(k, [])
        rid = os.urandom(9).hex()
        new_token = os.urandom(18).hex()
        pad = sc.get("long_token", {}).get(name, 0)
        new_token += "0" * max(0, pad - len(new_token))
        with LOCK:
            DELTAS[new_token] = {"name": name, "seen": now}
            ROUNDS[rid] = {"name": name, "pages": pages, "token": new_token,
                           "start": BASE + self.path}
        return rid

    def send_delta(self, sc, name, q, rec):
        if "$skiptoken" in q:
            rid, _, n = q["$skiptoken"][0].partition("-")
            rnd = ROUNDS.get(rid)
            if rnd is None or rnd["name"] != name or not n.isdigit() or \
                    int(n) >= len(rnd["pages"]):
                self.delta_refused(sc, name, rec, "syncStateNotFound")
                return
            n = int(n)
        else:
            rid = self.start_round(sc, name, q, rec)
            if rid is None:
                return
            rnd, n = ROUNDS[rid], 0
        value = rnd["pages"][n]
        body = {"@odata.context": BASE + "/v1.0/$metadata#" + name +
                "(" + SELECT[name] + ")", "value": value}
        host = "https://evil.example" if sc.get("nextlink_host") == name \
            else BASE
        if n + 1 < len(rnd["pages"]):
            body["@odata.nextLink"] = "%s/v1.0/%s/delta?$skiptoken=%s-%d" \
                % (host, name, rid, n + 1)
        elif sc.get("loop") == name:
            body["@odata.nextLink"] = rnd["start"]
        else:
            body["@odata.deltaLink"] = "%s/v1.0/%s/delta?$deltatoken=%s" \
                % (host, name, rnd["token"])
        with LOCK, open(os.path.join(DIR, "sent.jsonl"), "a") as f:
            for o in value:
                f.write(json.dumps({"set": name, "delta": True,
                                    "object": o}) + "\n")
        rec["status"] = 200
        rec["objects"] = len(value)
        rec["removed"] = sum(1 for o in value if "@removed" in o)
        log(rec)
        self.answer(200, json.dumps(body))


def main():
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    server.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("listening %d" % PORT, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
