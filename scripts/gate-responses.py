#!/usr/bin/env python3
"""Contract fix for what the gate answers on any route: 413 on every operation that takes a
request body (the gate's body limit, or an upload limit), and 404 on every operation (an
instance started with XUQM_SERVICES does not serve the other route groups). Adds the shared
responses where they are missing."""
import glob, os, re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OP = re.compile(r"^  (get|put|post|delete|patch|head):\s*$")


def fix(lines):
    out, i, changed = [], 0, False
    while i < len(lines):
        if not OP.match(lines[i]):
            out.append(lines[i]); i += 1; continue
        end = i + 1
        while end < len(lines) and (lines[end].strip() == "" or lines[end].startswith("   ")):
            end += 1
        block = lines[i:end]
        has_body = any(re.match(r"^    requestBody:", b) for b in block)
        for code, ref, wanted in (("413", "PayloadTooLarge", has_body), ("404", "NotFound", True)):
            if not wanted or any(re.match(r"^      ['\"]?" + code + r"['\"]?:", b) for b in block):
                continue
            for j, b in enumerate(block):
                if re.match(r"^    responses:\s*$", b):
                    k = j + 1
                    while k < len(block) and (block[k].startswith("      ") or block[k].strip() == ""):
                        k += 1
                    while block[k - 1].strip() == "":
                        k -= 1
                    block[k:k] = ["      '" + code + "':", "        $ref: '../openapi.yaml#/components/responses/" + ref + "'"]
                    changed = True
                    break
        out.extend(block); i = end
    return out, changed


for path in sorted(glob.glob(os.path.join(ROOT, "openapi/paths/*.yaml"))):
    lines, changed = fix(open(path).read().split("\n"))
    if changed:
        open(path, "w").write("\n".join(lines))
        print("added the gate's responses to", os.path.basename(path))
