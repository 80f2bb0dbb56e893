#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compile the support matrix (data/support.tsv) into C, and render docs/support.md from it.

Usage: gen-support.py support.tsv targets.tsv out.c [out.md]
       gen-support.py --check-doc support.tsv targets.tsv docs/support.md

The matrix is data so that a new PyTorch or ROCm release is a one-line change with a source.
This script rejects what would make the doctor's advice unfounded: a row without a source or
with an undefined source tag, a processor that targets.tsv does not know or that is generic,
a real processor of targets.tsv without a row, a malformed version, index, override or
firmware value, and an override that crosses ISA groups (the `generic` column of targets.tsv,
never marketing family names). --check-doc regenerates the page and fails if the committed
one differs (a test runs it). The generated C file is a build product and is not committed.
"""
import re
import sys

COLS = ["gfx", "wheel_first", "wheel_last", "wheel_pin", "wheel_index", "therock", "therock_test",
        "override", "override_ok", "atomics_fw", "kfd", "rocm", "source"]
VERSION = re.compile(r"[0-9]+\.[0-9]+(\.[0-9]+)?")
INDEX = re.compile(r"rocm[0-9]+\.[0-9]+(\.[0-9]+)?")
OVERRIDE = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)")
FIRMWARE = re.compile(r"(rs64:)?[0-9]+|none|-|n/a")
OK = {"sound", "contested", "unverified"}
KFD = {"yes", "experimental", "no"}
ROCM = {"current", "deprecated", "dropped", "unlisted", "never"}
TEST = {"release-ready", "build-only"}


def fail(where, msg):
    sys.exit(f"gen-support.py: {where}: {msg}")


def vkey(v):
    return tuple(int(x) for x in v.split("."))


def read_targets(path):
    """name -> (version or None, generic or None, family) for every row of targets.tsv."""
    out, header = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#name\t"):
                header = line[1:].split("\t")	# columns by name: targets.tsv grows columns
                continue
            if not line or line.startswith("#"):
                continue
            c = line.split("\t")
            if header is None:
                sys.exit(f"gen-support.py: {path}: no '#name' header line")
            r = dict(zip(header, c))
            ver = None if r["version"] in ("-", "?") else int(r["version"])
            out[r["name"]] = (ver, None if r["generic"] in ("-", "?") else r["generic"], r["family"], r["status"])
    return out


def group(targets, name):
    """A processor's ISA group: its generic target, else itself (code runs only natively)."""
    return targets[name][1] or name


def read_support(path, targets):
    sources, rows, seen = {}, [], set()
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            where = f"{path}:{lineno}"
            if line.startswith("#@source"):
                c = line.split("\t")
                if len(c) != 4 or not c[3].startswith("https://"):
                    fail(where, "a source is '#@source<TAB>tag<TAB>what<TAB>https link'")
                tag = c[1]
                if tag in sources:
                    fail(where, f"duplicate source tag {tag}")
                sources[tag] = (c[2], c[3])
                continue
            if not line or line.startswith("#"):
                continue
            c = line.split("\t")
            if len(c) != len(COLS):
                fail(where, f"expected {len(COLS)} tab-separated columns, got {len(c)}")
            r = dict(zip(COLS, c))
            g = r["gfx"]
            if g not in targets:
                fail(where, f"{g} is not a processor of targets.tsv")
            if targets[g][3] == "generic" or g.endswith("-generic"):
                fail(where, f"{g} is a generic target: the matrix is about real processors")
            if g in seen:
                fail(where, f"duplicate row for {g}")
            seen.add(g)
            tags = [t for t in r["source"].split(",") if t]
            if not tags or r["source"] == "-":
                fail(where, f"{g}: a row needs a source")
            for t in tags:
                if t not in sources:
                    fail(where, f"{g}: source tag '{t}' is not defined by a #@source line")
            for k in ("wheel_first", "wheel_last", "wheel_pin"):
                v = r[k]
                if v == "-" or (k == "wheel_last" and v == "current"):
                    continue
                if not VERSION.fullmatch(v):
                    fail(where, f"{g}: {k} '{v}' is not a version such as 2.6 or 2.11.0")
            if (r["wheel_first"] == "-") != (r["wheel_last"] == "-"):
                fail(where, f"{g}: wheel_first and wheel_last are both set or both '-'")
            if r["wheel_first"] != "-" and r["wheel_last"] != "current" and \
                    vkey(r["wheel_first"]) > vkey(r["wheel_last"]):
                fail(where, f"{g}: wheel_first is after wheel_last")
            if (r["wheel_pin"] == "-") != (r["wheel_index"] == "-"):
                fail(where, f"{g}: wheel_pin and wheel_index are both set or both '-'")
            if r["wheel_index"] != "-" and not INDEX.fullmatch(r["wheel_index"]):
                fail(where, f"{g}: wheel_index '{r['wheel_index']}' is not rocmX.Y[.Z]")
            if r["wheel_pin"] != "-":
                pin = vkey(r["wheel_pin"])[:2]
                if r["wheel_first"] == "-" or pin < vkey(r["wheel_first"]) or \
                        (r["wheel_last"] != "current" and pin > vkey(r["wheel_last"])):
                    fail(where, f"{g}: wheel_pin {r['wheel_pin']} is outside its wheel range")
            if r["therock"] != "-" and r["therock"] != f"device-{g}":
                fail(where, f"{g}: TheRock's extra for {g} is device-{g}")
            if (r["therock"] == "-") != (r["therock_test"] == "-") or \
                    (r["therock_test"] != "-" and r["therock_test"] not in TEST):
                fail(where, f"{g}: therock_test is one of {sorted(TEST)} with an extra, '-' without")
            if (r["override"] == "-") != (r["override_ok"] == "-"):
                fail(where, f"{g}: override and override_ok are both set or both '-'")
            if r["override"] != "-":
                m = OVERRIDE.fullmatch(r["override"])
                if not m or r["override_ok"] not in OK:
                    fail(where, f"{g}: override is MAJOR.MINOR.STEP with one of {sorted(OK)}")
                ver = int(m.group(1)) * 10000 + int(m.group(2)) * 100 + int(m.group(3))
                other = [n for n, t in targets.items() if t[0] == ver and not n.endswith("-generic")]
                if not other:
                    fail(where, f"{g}: override {r['override']} names no processor of targets.tsv")
                if other[0] == g:
                    fail(where, f"{g}: an override to itself")
                if group(targets, other[0]) != group(targets, g):
                    fail(where, f"{g}: override {r['override']} ({other[0]}) crosses ISA groups "
                         f"({group(targets, g)} vs {group(targets, other[0])}): never sound")
                r["override_gfx"] = other[0]
            if not FIRMWARE.fullmatch(r["atomics_fw"]):
                fail(where, f"{g}: atomics_fw '{r['atomics_fw']}' is a number, rs64:N, none, - or n/a")
            if r["kfd"] not in KFD or r["rocm"] not in ROCM:
                fail(where, f"{g}: kfd is one of {sorted(KFD)}, rocm one of {sorted(ROCM)}")
            if (r["kfd"] == "no") != (r["atomics_fw"] == "n/a"):
                fail(where, f"{g}: atomics_fw is n/a exactly when KFD does not drive it")
            rows.append(r)
    missing = [n for n, t in targets.items() if t[3] != "generic" and not n.endswith("-generic")
               and n not in seen]
    if missing:
        fail(path, f"processors of targets.tsv without a row: {', '.join(missing)}")
    return sources, rows


def cstr(s):
    if s in ("-", None):
        return "NULL"
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_c(out, rows, targets):
    with open(out, "w", encoding="utf-8") as f:
        f.write("/* Generated by data/gen-support.py from data/support.tsv. Do not edit. */\n")
        f.write('#include "support.h"\n\n')
        f.write("const struct rmcp_support rmcp_support_table[] = {\n")
        for r in rows:
            fw = r["atomics_fw"]
            if fw == "n/a":
                fwk, fwv = "RMCP_FW_NO_KFD", 0
            elif fw == "-":
                fwk, fwv = "RMCP_FW_NOT_NEEDED", 0
            elif fw == "none":
                fwk, fwv = "RMCP_FW_NONE", 0
            elif fw.startswith("rs64:"):
                fwk, fwv = "RMCP_FW_RS64", int(fw[5:])
            else:
                fwk, fwv = "RMCP_FW_MEC", int(fw)
            f.write("\t{ %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %u, %s, %s, %s },\n" % (
                cstr(r["gfx"]), cstr(group(targets, r["gfx"])), cstr(r["wheel_first"]),
                cstr(r["wheel_last"]), cstr(r["wheel_pin"]), cstr(r["wheel_index"]),
                cstr(r["therock"]), "true" if r["therock_test"] == "release-ready" else "false",
                cstr(r["override"]), cstr(r.get("override_gfx")),
                {"-": "RMCP_OVR_NONE", "sound": "RMCP_OVR_SOUND", "contested": "RMCP_OVR_CONTESTED",
                 "unverified": "RMCP_OVR_UNVERIFIED"}[r["override_ok"]],
                fwv, fwk,
                {"yes": "RMCP_KFD_YES", "experimental": "RMCP_KFD_EXPERIMENTAL", "no": "RMCP_KFD_NO"}[r["kfd"]],
                {"current": "RMCP_ROCM_CURRENT", "deprecated": "RMCP_ROCM_DEPRECATED",
                 "dropped": "RMCP_ROCM_DROPPED", "unlisted": "RMCP_ROCM_UNLISTED",
                 "never": "RMCP_ROCM_NEVER"}[r["rocm"]]))
        f.write("};\n")
        f.write("const size_t rmcp_support_table_len = sizeof(rmcp_support_table) / sizeof(rmcp_support_table[0]);\n")


def md_cell(s):
    return "—" if s in ("-", None, "") else s.replace("|", "\\|")


def render_doc(rows, sources, targets):
    out = []
    w = out.append
    w("<!-- Generated by data/gen-support.py from data/support.tsv: edit the data, then run")
    w("     `python3 data/gen-support.py data/support.tsv data/targets.tsv /dev/null docs/support.md`. -->")
    w("# Support matrix")
    w("")
    w("What exists today for training PyTorch on each AMD processor, as `rmcp doctor` knows it.")
    w("Every row cites its sources (tags, listed below). The doctor's install advice without")
    w("PyTorch, its firmware step and its judgement of `HSA_OVERRIDE_GFX_VERSION` come from this")
    w("table; `rmcp doctor` prints the command for the GPUs it finds.")
    w("")
    w("How the doctor picks the one install command for a GPU: an official PyTorch wheel that")
    w("carries the GPU's code (`pip install torch==PIN --index-url https://download.pytorch.org/whl/INDEX`);")
    w("else TheRock's nightly multi-arch wheel with the GPU's device extra")
    w("(`pip install --index-url https://rocm.nightlies.amd.com/whl-multi-arch/ \"torch[device-gfxNNNN]\"`);")
    w("else an official wheel plus a sound (or contested, said so) override applied by `rmcp run`;")
    w("else the CPU. TheRock's per-family `/v2/<family>/` indexes were retired in 2026-06.")
    w("")
    w("An override is only ever considered within one ISA group (the `generic` column of")
    w("`data/targets.tsv`, e.g. `gfx10-3-generic`); across groups it is unsafe, whatever the")
    w("marketing family. Firmware: the MEC version from which KFD accepts the GPU without PCIe")
    w("atomics (`rs64:509` = 509 with RS64 CP firmware, none with F32; `none` = PCIe atomics are")
    w("required; `—` = not required; `n/a` = KFD does not drive this GPU).")
    w("")
    w("| gfx | group | official wheels | recommended wheel | TheRock extra | override | PCIe-atomics firmware | KFD | ROCm | sources |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        wheels = "—" if r["wheel_first"] == "-" else \
            f"{r['wheel_first']} – {r['wheel_last']}"
        pin = "—" if r["wheel_pin"] == "-" else f"{r['wheel_pin']} (`{r['wheel_index']}`)"
        rock = "—" if r["therock"] == "-" else f"`{r['therock']}` (nightly, {r['therock_test']})"
        ovr = "—" if r["override"] == "-" else f"{r['override']} ({r['override_ok']})"
        w(f"| {r['gfx']} | {md_cell(group(targets, r['gfx']))} | {wheels} | {pin} | {rock} | {ovr} | "
          f"{md_cell(r['atomics_fw'])} | {r['kfd']} | {r['rocm']} | {r['source'].replace(',', ', ')} |")
    w("")
    w("## Sources")
    w("")
    for tag, (what, link) in sources.items():
        w(f"- **{tag}**: {what.replace('|', '/')}. <{link}>")
    w("")
    return "\n".join(out)


def main():
    args = sys.argv[1:]
    check = args and args[0] == "--check-doc"
    if check:
        args = args[1:]
    if len(args) < 3:
        sys.exit(__doc__)
    support, targets_path = args[0], args[1]
    targets = read_targets(targets_path)
    sources, rows = read_support(support, targets)
    doc = render_doc(rows, sources, targets)
    if check:
        with open(args[2], encoding="utf-8") as f:
            committed = f.read()
        if committed != doc:
            sys.exit(f"gen-support.py: {args[2]} is not what data/support.tsv generates; "
                     f"regenerate it: python3 data/gen-support.py {support} {targets_path} /dev/null {args[2]}")
        print(f"{args[2]}: {len(rows)} rows, {len(sources)} sources, up to date")
        return
    write_c(args[2], rows, targets)
    if len(args) > 3:
        with open(args[3], "w", encoding="utf-8") as f:
            f.write(doc)


if __name__ == "__main__":
    main()
