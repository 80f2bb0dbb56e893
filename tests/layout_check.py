#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""layout_check.py [SOURCE_ROOT]: the stage folders of src/lib only depend downwards.

src/lib is split into stage folders (docs/architecture.md), lowest first:

    core <- formats <- isa <- facts <- probe <- kb <- report   (then src/cli, src/preload)

Every folder is on the include path and headers are included by their base name, so this
check resolves each `#include "x.h"` to the folder that holds x.h and fails when:
  - a file includes a header of a higher stage (an upward or looping dependency);
  - a file includes another folder's *_internal.h (internal headers stay in their folder),
    unless the pair is in INTERNAL_EXCEPTIONS with the reason;
  - two folders hold headers of the same name (the base-name include would be ambiguous);
  - a source or header sits directly in src/lib or in a folder that is not a stage;
  - a lib file includes a quoted header that exists nowhere (except the generated version.h);
  - src/preload includes a stage above facts (librmcp.so links only the pure parts);
  - tests/unit/<stage>/ holds a test whose module is in another stage;
  - a comment or document names a src/lib/... or tests/unit/... file that does not exist
    (paths in prose stay true when files move).
Exit 0 when clean, 1 with one line per violation.
"""
import os
import re
import sys

STAGES = ["core", "formats", "isa", "facts", "probe", "kb", "report"]
RANK = {s: i for i, s in enumerate(STAGES)}
# The highest stage librmcp.so (src/preload) may include: it links rmcppure (meson.build).
PRELOAD_MAX = "facts"
# Headers generated at build time, not in the tree.
GENERATED = {"version.h"}
# (including file, internal header): why the exception exists.
INTERNAL_EXCEPTIONS = {
    ("verdict_isa.c", "stack_internal.h"):
        "the ISA fact reads library files through the stack reader's sysroot context "
        "(rmcp_sr); it goes when that context has a public header (issue 11, item 2)",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return INCLUDE.findall(f.read())


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    lib = os.path.join(root, "src", "lib")
    errors = []
    owner = {}      # header base name -> stage
    files = []      # (stage, path)
    for entry in sorted(os.listdir(lib)):
        p = os.path.join(lib, entry)
        if os.path.isfile(p):
            errors.append(f"src/lib/{entry}: not in a stage folder ({', '.join(STAGES)})")
            continue
        if entry not in RANK:
            errors.append(f"src/lib/{entry}/: not a stage folder ({', '.join(STAGES)})")
            continue
        for dirpath, _, names in os.walk(p):
            for n in sorted(names):
                if not n.endswith((".c", ".h")):
                    continue
                files.append((entry, os.path.join(dirpath, n)))
                if n.endswith(".h"):
                    if n in owner and owner[n] != entry:
                        errors.append(f"{n}: in both src/lib/{owner[n]} and src/lib/{entry}")
                    owner[n] = entry
    if not files:
        errors.append("src/lib: no stage folders found")

    def rel(p):
        return os.path.relpath(p, root)

    for stage, path in files:
        base = os.path.basename(path)
        for inc in includes(path):
            name = os.path.basename(inc)
            if name in GENERATED:
                continue
            target = owner.get(name)
            if target is None:
                if not os.path.exists(os.path.join(os.path.dirname(path), inc)):
                    errors.append(f"{rel(path)}: includes \"{inc}\", which is in no stage folder")
                continue
            if RANK[target] > RANK[stage]:
                errors.append(f"{rel(path)}: includes {target}/{name}, a higher stage than {stage} "
                              f"(stages: {' <- '.join(STAGES)})")
            if name.endswith("_internal.h") and target != stage and \
                    (base, name) not in INTERNAL_EXCEPTIONS:
                errors.append(f"{rel(path)}: includes {target}/{name}, another folder's internal header")

    preload = os.path.join(root, "src", "preload")
    for n in sorted(os.listdir(preload)) if os.path.isdir(preload) else []:
        if not n.endswith((".c", ".h")):
            continue
        for inc in includes(os.path.join(preload, n)):
            target = owner.get(os.path.basename(inc))
            if target is not None and RANK[target] > RANK[PRELOAD_MAX]:
                errors.append(f"src/preload/{n}: includes {target}/{inc}; librmcp.so links only "
                              f"stages up to {PRELOAD_MAX}")

    # tests/unit mirrors the stages: test_<module>.c tests a module of its own folder.
    units = os.path.join(root, "tests", "unit")
    if os.path.isdir(units):
        for entry in sorted(os.listdir(units)):
            p = os.path.join(units, entry)
            if os.path.isfile(p) and entry.endswith(".c"):
                errors.append(f"tests/unit/{entry}: not in a stage folder")
            elif os.path.isdir(p):
                if entry not in RANK:
                    errors.append(f"tests/unit/{entry}/: not a stage folder")
                    continue
                for n in sorted(os.listdir(p)):
                    m = re.match(r"test_(.+)\.c$", n)
                    if not m:
                        continue
                    mod = m.group(1)
                    home = owner.get(mod + ".h")
                    if home is None and os.path.exists(os.path.join(lib, entry, mod + ".c")):
                        home = entry
                    if home is not None and home != entry:
                        errors.append(f"tests/unit/{entry}/{n}: tests src/lib/{home}/{mod}, "
                                      f"so it belongs in tests/unit/{home}/")

    # Paths named in comments and documents exist (README, docs, data, scripts, src, tests).
    mention = re.compile(r"\b((?:src/lib|tests/unit)/[A-Za-z0-9_./-]*[A-Za-z0-9_])")
    for top in ("README.md", "docs", "data", "scripts", "src", "tests", "bench", "tools"):
        base_dir = os.path.join(root, top)
        paths = [base_dir] if os.path.isfile(base_dir) else \
            [os.path.join(d, n) for d, _, ns in os.walk(base_dir) for n in ns]
        for path in sorted(paths):
            if not path.endswith((".c", ".h", ".md", ".py", ".sh", ".json", ".tsv", ".build", ".1")):
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for hit in mention.finditer(text):
                m = hit.group(1)
                after = text[hit.end():hit.end() + 1]
                if after in ("*", "<", "{") or m.endswith("_table.c"):
                    continue	# a pattern (verdict*.c, test_<format>.c) or a generated file
                if not os.path.exists(os.path.join(root, m)):
                    errors.append(f"{rel(path)}: names {m}, which does not exist")

    for e in errors:
        print("layout: " + e)
    if not errors:
        print(f"layout: {len(files)} files in {len(set(s for s, _ in files))} stage folders, "
              f"dependencies point down: {' <- '.join(STAGES)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
