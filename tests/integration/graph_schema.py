#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The part of Microsoft Graph's published schema that graph_server.py
speaks, and a check that it speaks nothing else.

  graph_schema.py derive CSDL COMMIT > graph_schema.txt
      from schemas/v1.0-Prod.csdl of microsoftgraph/msgraph-metadata
      (MIT), the entity sets users, groups and contacts: their entity
      types and, of the properties in PROPERTIES, each one's type
      (inherited ones included), and whether the set's type has the
      bound function delta (Collection(TYPE) -> Collection(TYPE): the
      delta query).  The 3 MB file is not kept here.
  graph_schema.py check graph_schema.txt SENT.jsonl
      every object the scripted server sent (one JSON line each:
      {"set": "users", "object": {...}}) has only properties of the
      list, each a JSON value of the listed type; an object sent by a
      delta round ("delta": true) only for a set whose type has the delta
      function, and its "@removed" annotation (not in the CSDL: an
      instance annotation, learn.microsoft.com/graph/delta-query-overview)
      only as {"reason": "changed" | "deleted"} beside the id alone.
      Exit 1 and one line per offence otherwise.
"""
import json
import sys
import xml.etree.ElementTree as ET

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
SETS = ("users", "groups", "contacts")
PROPERTIES = ("id", "proxyAddresses", "userType", "displayName", "mail",
              "accountEnabled", "mailEnabled", "groupTypes")


def derive(csdl, commit):
    root = ET.parse(csdl).getroot()
    types, sets, deltas = {}, {}, {}
    for schema in root.iter(EDM + "Schema"):
        ns = schema.get("Namespace")
        alias = schema.get("Alias")

        def full(t):
            if alias and t.startswith(alias + "."):
                return ns + t[len(alias):]
            return t
        for fn in schema.findall(EDM + "Function"):
            par = fn.find(EDM + "Parameter")
            ret = fn.find(EDM + "ReturnType")
            if fn.get("Name") == "delta" and fn.get("IsBound") == "true" \
                    and par is not None and ret is not None and \
                    par.get("Type", "").startswith("Collection("):
                bound = full(par.get("Type")[11:-1])
                deltas[bound] = "Collection(%s)" % full(
                    ret.get("Type")[11:-1])
        for et in schema.findall(EDM + "EntityType"):
            base = et.get("BaseType")
            if base and alias and base.startswith(alias + "."):
                base = ns + base[len(alias):]
            props = {p.get("Name"): (p.get("Type"),
                                      p.get("Nullable", "true"))
                     for p in et.findall(EDM + "Property")}
            types[ns + "." + et.get("Name")] = (base, props)
        for es in schema.iter(EDM + "EntitySet"):
            sets[es.get("Name")] = es.get("EntityType")

    def props_of(name):
        base, props = types[name]
        out = dict(props_of(base)) if base else {}
        out.update(props)
        return out

    print("# The entities and properties that tests/integration/"
          "graph_server.py sends,")
    print("# derived by graph_schema.py from schemas/v1.0-Prod.csdl of")
    print("# https://github.com/microsoftgraph/msgraph-metadata at commit "
          + commit + ".")
    print("# That schema: Copyright (c) 2018 Microsoft Graph, MIT License"
          " (the project's LICENSE).")
    print("# entity set\tentity type\tproperty\ttype\tnullable")
    for s in SETS:
        etype = sets[s]
        props = props_of(etype)
        for p in PROPERTIES:
            if p in props:
                print("%s\t%s\t%s\t%s\t%s" % ((s, etype, p) + props[p]))
        if etype in deltas:
            print("%s\t%s\tdelta()\t%s\tfunction" % (s, etype,
                                                     deltas[etype]))


def json_fits(value, edm, nullable):
    if value is None:
        return nullable
    if edm.startswith("Collection(") and edm.endswith(")"):
        return isinstance(value, list) and all(
            json_fits(v, edm[11:-1], False) for v in value)
    if edm == "Edm.String":
        return isinstance(value, str)
    if edm == "Edm.Boolean":
        return isinstance(value, bool)
    return False


def check(listing, sent):
    known = {}
    with open(listing) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            s, _, p, t, nullable = line.rstrip("\n").split("\t")
            known[(s, p)] = (t, nullable == "true")
    removed_shape = ({"reason": "changed"}, {"reason": "deleted"})
    bad = 0
    n = 0
    with open(sent) as f:
        for line in f:
            rec = json.loads(line)
            n += 1
            if rec.get("delta") and (rec["set"], "delta()") not in known:
                print("%s: no delta function in the schema" % rec["set"])
                bad += 1
            if "@removed" in rec["object"] and (
                    not rec.get("delta") or
                    rec["object"]["@removed"] not in removed_shape or
                    set(rec["object"]) != {"id", "@removed"}):
                print("%s: bad @removed %r" % (rec["set"], rec["object"]))
                bad += 1
            for p, v in rec["object"].items():
                if p.startswith("@"):
                    continue  # annotations (@odata.type, @removed)
                t = known.get((rec["set"], p))
                if t is None:
                    print("%s: property %s is not in the schema list"
                          % (rec["set"], p))
                    bad += 1
                elif not json_fits(v, *t):
                    print("%s: property %s = %r is not %s"
                          % (rec["set"], p, v, t[0]))
                    bad += 1
    print("%d objects checked, %d offences" % (n, bad))
    return 1 if bad or n == 0 else 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "derive":
        derive(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
