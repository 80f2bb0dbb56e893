#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The support matrix generator (data/gen-support.py): docs/support.md is what the data renders,
and broken data fails the build. Each bad case edits one line of the real data/support.tsv and
expects the generator to refuse it with a message naming the problem."""
import os
import subprocess
import sys
import tempfile

ROOT = os.environ.get("RMCP_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GEN = os.path.join(ROOT, "data", "gen-support.py")
SUPPORT = os.path.join(ROOT, "data", "support.tsv")
TARGETS = os.path.join(ROOT, "data", "targets.tsv")
DOC = os.path.join(ROOT, "docs", "support.md")


def run(*args):
    return subprocess.run([sys.executable, GEN, *args], capture_output=True, text=True)


def main():
    failures = 0
    r = run("--check-doc", SUPPORT, TARGETS, DOC)
    if r.returncode != 0:
        print("docs/support.md is stale:", r.stderr.strip())
        failures += 1
    else:
        print(r.stdout.strip())
    lines = open(SUPPORT, encoding="utf-8").read().split("\n")

    def row_index(gfx):
        return next(i for i, l in enumerate(lines) if l.startswith(gfx + "\t"))

    def edit(gfx, col, value):
        out = list(lines)
        i = row_index(gfx)
        c = out[i].split("\t")
        c[col] = value
        out[i] = "\t".join(c)
        return out

    def edit2(gfx, a, b):
        out = edit(gfx, *a)
        c = out[row_index(gfx)].split("\t")
        c[b[0]] = b[1]
        out[row_index(gfx)] = "\t".join(c)
        return out

    def drop(gfx):
        out = list(lines)
        del out[row_index(gfx)]
        return out

    def add(row):
        return lines[:-1] + [row, ""]

    bad = [
        ("a row without a source", edit("gfx1031", 12, "-"), "needs a source"),
        ("an undefined source tag", edit("gfx1031", 12, "kfd,nowhere"), "'nowhere' is not defined"),
        ("an unknown processor", add("gfx9999\t-\t-\t-\t-\t-\t-\t-\t-\t-\tyes\tunlisted\tkfd"),
         "not a processor of targets.tsv"),
        ("a generic target", add("gfx11-generic\t-\t-\t-\t-\t-\t-\t-\t-\t-\tyes\tunlisted\tkfd"),
         "generic target"),
        ("a processor without a row", drop("gfx1035"), "without a row: gfx1035"),
        ("a malformed version", edit("gfx1101", 1, "2.six"), "not a version"),
        ("a malformed index", edit("gfx1030", 4, "rocm-latest"), "not rocmX.Y"),
        ("a pin outside the wheel range", edit("gfx1101", 3, "2.5.1"), "outside its wheel range"),
        ("an override across ISA groups", edit2("gfx1010", (7, "10.3.0"), (8, "sound")),
         "crosses ISA groups"),
        ("an override naming no processor", edit("gfx1031", 7, "10.9.9"), "names no processor"),
        ("a malformed firmware value", edit("gfx1030", 9, "ninety-two"), "atomics_fw"),
    ]
    for name, content, want in bad:
        with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8") as f:
            f.write("\n".join(content))
            path = f.name
        try:
            r = run(path, TARGETS, os.devnull)
        finally:
            os.unlink(path)
        if r.returncode == 0 or want not in r.stderr:
            print(f"FAIL: {name}: exit {r.returncode}, stderr: {r.stderr.strip()!r}, want {want!r}")
            failures += 1
        else:
            print(f"ok: {name} is refused: {r.stderr.strip()}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
