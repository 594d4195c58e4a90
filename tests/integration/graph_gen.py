# SPDX-License-Identifier: MIT
"""Seeded Graph objects for graph_server.py's "generate" (the benchmark).

  generate(spec) -> {"users": [...], "groups": [...], "contacts": [...]}
  expected(spec) -> the sorted set of table keys rcptsync must build from
                    them (domains: [corp.example])

spec: {"seed": S, "users": N, "groups": N, "contacts": N}.  The same spec
gives the same objects on every call and machine (random.Random(seed)),
so a run needs no file of them.  Users carry 1-4 SMTP values (a primary,
aliases in mixed case, some in another domain) plus SIP/SPO/X500 noise;
one user in 50 is a guest (left out); groups and contacts one or two.
Only properties of graph_schema.txt, with their types.
"""
import random
import uuid


def _guid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(spec):
    rng = random.Random(spec.get("seed", 1))
    users, groups, contacts = [], [], []
    for i in range(spec.get("users", 0)):
        guest = i % 50 == 49
        vals = ["SMTP:User.%06d@corp.example" % i]
        for k in range(rng.randrange(4)):
            dom = "corp.example" if rng.random() < 0.8 else "other.example"
            vals.append("smtp:alias%d.%06d@%s" % (k, i, dom))
        vals.append("SIP:user.%06d@corp.example" % i)
        if rng.random() < 0.3:
            vals.append("SPO:SPO_%s@SPO_%s" % (_guid(rng), _guid(rng)))
        if rng.random() < 0.5:
            vals.append("X500:/o=ExchangeLabs/ou=Exchange/cn=Recipients/cn=u%06d" % i)
        rng.shuffle(vals)
        users.append({"id": _guid(rng),
                      "userType": "Guest" if guest else "Member",
                      "proxyAddresses": vals})
    for i in range(spec.get("groups", 0)):
        vals = ["SMTP:group.%06d@corp.example" % i]
        if rng.random() < 0.5:
            vals.append("smtp:group.%06d@corp.mail.onmicrosoft.com" % i)
        groups.append({"id": _guid(rng), "proxyAddresses": vals})
    for i in range(spec.get("contacts", 0)):
        contacts.append({"id": _guid(rng),
                         "proxyAddresses": ["SMTP:contact.%06d@corp.example" % i]})
    return {"users": users, "groups": groups, "contacts": contacts}


def expected(spec):
    objs = generate(spec)
    keys = set()
    for name, items in objs.items():
        for o in items:
            if o.get("userType") == "Guest":
                continue
            for v in o["proxyAddresses"]:
                kind, _, addr = v.partition(":")
                if kind.lower() == "smtp" and addr.lower().endswith("@corp.example"):
                    keys.add(addr.lower())
    return sorted(keys)


if __name__ == "__main__":
    import json
    import sys
    # graph_gen.py SPEC-JSON : the expected table, one "key<TAB>OK" a line
    for k in expected(json.loads(sys.argv[1])):
        print("%s\tOK" % k)
