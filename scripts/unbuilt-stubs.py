#!/usr/bin/env python3
"""Writes internal/httpapi/unbuilt_<area>.go: a 501 answer for every operation of the bundled
contract (gen/openapi.yaml) that no handler file implements yet. Run it after adding routes to
the contract; implementing a route means writing its handler and re-running this script."""
import glob, os, re, sys, yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AREA = {"auth": "tenant", "apps": "tenant", "sub-accounts": "tenant", "ops": "ops", "demo": "demo",
        "im": "im", "im-admin": "im", "push": "push", "file": "file", "update": "update",
        "codepush": "update", "expo": "update"}

spec = yaml.safe_load(open(os.path.join(ROOT, "gen/openapi.yaml")))
ops = {}
for path, item in spec["paths"].items():
    for method, op in item.items():
        if isinstance(op, dict) and "operationId" in op:
            oid = op["operationId"]
            ops[oid[0].upper() + oid[1:]] = (AREA[op["tags"][0]], oid)

hand = ""
for f in glob.glob(os.path.join(ROOT, "internal/httpapi/*.go")):
    if not os.path.basename(f).startswith("unbuilt_"):
        hand += open(f).read()
done = set(re.findall(r"^func \(s \*Server\) (\w+)\(", hand, re.M))

for f in glob.glob(os.path.join(ROOT, "internal/httpapi/unbuilt_*.go")):
    os.remove(f)
by_area = {}
for name, (area, oid) in sorted(ops.items()):
    if name not in done:
        by_area.setdefault(area, []).append((name, oid))
for area, names in by_area.items():
    out = ["// Code written by scripts/unbuilt-stubs.py: the " + area + " routes not built yet answer 501.", "",
           "package httpapi", "", "import (", '\t"context"', "", '\t"github.com/xuqmgroup/xuqm/gen/api"',
           '\t"github.com/xuqmgroup/xuqm/internal/fault"', ")", ""]
    for name, oid in names:
        out += [f"func (s *Server) {name}(context.Context, api.{name}RequestObject) (api.{name}ResponseObject, error) {{",
                f'\treturn nil, fault.NotBuilt("{oid}")', "}", ""]
    open(os.path.join(ROOT, f"internal/httpapi/unbuilt_{area}.go"), "w").write("\n".join(out))
print("unbuilt:", {a: len(n) for a, n in by_area.items()})
