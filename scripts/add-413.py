#!/usr/bin/env python3
"""Contract fix: every operation that takes a request body can answer 413 (the gate's body
limit, or an upload limit); adds the shared PayloadTooLarge response where it is missing."""
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
        has_413 = any(re.match(r"^      ['\"]?413['\"]?:", b) for b in block)
        if has_body and not has_413:
            for j, b in enumerate(block):
                if re.match(r"^    responses:\s*$", b):
                    k = j + 1
                    while k < len(block) and (block[k].startswith("      ") or block[k].strip() == ""):
                        k += 1
                    while block[k - 1].strip() == "":
                        k -= 1
                    block[k:k] = ["      '413':", "        $ref: '../openapi.yaml#/components/responses/PayloadTooLarge'"]
                    changed = True
                    break
        out.extend(block); i = end
    return out, changed


for path in sorted(glob.glob(os.path.join(ROOT, "openapi/paths/*.yaml"))):
    lines, changed = fix(open(path).read().split("\n"))
    if changed:
        open(path, "w").write("\n".join(lines))
        print("added 413 to operations of", os.path.basename(path))
