#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Wheels are scanned as streams (issue 12, item 4): a wheel member gives the same entries as
the same file on disk. Wheels are built here with python3's zipfile (deflate) from Debian's
librocrand (25 MB: over the 16 MiB whole-member threshold, so it takes the streaming path)
and librocsparse (one 1.3 GB member, research/binaries.md §6: 111 bundles, 888 entries).
Peak memory on the big wheel is measured in bench/ (bench/wheel_memory.sh), not here.
"""
import json
import os
import subprocess
import sys
import tempfile
import zipfile

RMCP = os.environ["RMCP_BIN"]
LIBS = ["/usr/lib/x86_64-linux-gnu/librocrand.so.1.1",
        "/usr/lib/x86_64-linux-gnu/librocsparse.so.0.1"]


def scan(path):
    p = subprocess.run([RMCP, "scan", "--json", "-v", path], capture_output=True, timeout=900)
    if p.returncode not in (0, 3):
        sys.exit(f"rmcp scan {path}: exit {p.returncode}: {p.stderr.decode(errors='replace')}")
    return json.loads(p.stdout.decode("utf-8", errors="strict"))


def main():
    failures = 0
    with tempfile.TemporaryDirectory(prefix="rmcp-wheel-") as d:
        for lib in LIBS:
            name = os.path.basename(lib)
            whl = os.path.join(d, name + ".whl")
            with zipfile.ZipFile(whl, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
                z.write(lib, "torch/lib/" + name)
            disk = {f["path"]: f for f in scan(lib)["files"]}[lib]
            wdoc = scan(whl)
            os.unlink(whl)
            member = {f["path"]: f for f in wdoc["files"]}.get(f"{whl}!/torch/lib/{name}")
            if member is None:
                print(f"FAIL {name}: no member record: {[f['path'] for f in wdoc['files']]}")
                failures += 1
                continue
            # A file on disk has code-object URIs (file://PATH#offset=...); a wheel member,
            # which no file:// URI can name, has none: the rest must be the same.
            for e in disk.get("entries") or []:
                e.pop("uri", None)
            for key in ("format", "bundles", "targets", "entries", "error"):
                if member.get(key) != disk.get(key):
                    print(f"FAIL {name}: {key} differs: wheel {str(member.get(key))[:300]} "
                          f"disk {str(disk.get(key))[:300]}")
                    failures += 1
            print(f"{name}: {len(member.get('entries') or [])} entries, {member.get('bundles')} bundles, "
                  f"note {member.get('note')!r}", flush=True)
            if not member.get("entries"):
                print(f"FAIL {name}: no entries at all")
                failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
