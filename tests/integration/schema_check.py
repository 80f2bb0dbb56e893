#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Validate real `rmcp scan --json` outputs against docs/scan.schema.json.

Runs rmcp over the compiler-built fixtures (all formats, broken files, wheels, archives) and
Debian's ROCm libraries, with and without --verbose and --target, and validates each output
with Debian's python3-jsonschema (Draft 2020-12), offline (tests/integration/schemas.py).
Also checks that a wrong document is rejected, so a schema that accepts anything cannot pass.
"""
import json
import os
import subprocess
import sys

import schemas

rmcp = os.environ["RMCP_BIN"]
fx = os.environ["RMCP_FIXTURES"]
root = os.environ["RMCP_SOURCE_ROOT"]
validator = schemas.validators(os.path.join(root, "docs"))["scan.schema.json"]

runs = [
    [fx],
    ["--verbose", fx],
    ["--target", "gfx1010", fx],
    ["--verbose", "--target", "gfx90a:xnack-", fx],
    ["--target", "10.3.0", os.path.join(fx, "wheel")],
    ["/usr/lib/x86_64-linux-gnu/librocsparse.so.0.1", "/usr/lib/x86_64-linux-gnu/libamdhip64.so.5"],
    ["--verbose", "--target", "gfx1030", "/usr/lib/x86_64-linux-gnu/librocrand.so.1.1"],
    # --isa: per-kernel ISA verdicts (invalid/differs fixtures, real libraries, the reverse
    # direction, the oracle engine, every format in the fixture tree, wheel members)
    ["--isa", "gfx1010", os.path.join(fx, "isa")],
    ["--isa", "gfx1030", "--verbose", os.path.join(fx, "isa", "classes_gfx1010.co")],
    ["--isa", "gfx1010", "--isa-oracle", os.path.join(fx, "isa", "dot_gfx1030.co")],
    ["--isa", "10.1.0", "/usr/lib/x86_64-linux-gnu/librocrand.so.1.1"],
    ["--isa", "gfx1010", "--target", "gfx1010", fx],
]
failed = 0
for args in runs:
    p = subprocess.run([rmcp, "scan", "--json"] + args, capture_output=True, text=True)
    if p.returncode not in (0, 1, 4):
        print(f"FAIL rmcp scan --json {' '.join(args)}: exit {p.returncode}\n{p.stderr}")
        failed += 1
        continue
    doc = json.loads(p.stdout)
    errors = list(validator.iter_errors(doc))
    if errors:
        failed += 1
        print(f"FAIL rmcp scan --json {' '.join(args)}:")
        for e in errors[:5]:
            print(f"  {list(e.absolute_path)}: {e.message}")
    else:
        print(f"ok   rmcp scan --json {' '.join(args)} ({len(doc['files'])} files)")

bad = {"rmcp_version": "0.1.0", "timestamp": "2026-01-01T00:00:00Z", "hostname": "h",
       "files": [{"path": "x", "format": "no-such-format", "bundles": 0, "targets": [],
                  "entries": [], "note": None, "error": None}], "targets": {},
       "summary": {"files": 1, "with_device_code": 0, "errors": 0}}
if validator.is_valid(bad):
    print("FAIL the schema accepts an unknown format")
    failed += 1
print(f"{len(runs) + 1 - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
