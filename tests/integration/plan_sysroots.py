#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The whole-machine plan through the rmcp binary on real sysroot trees: a sample of the matrix
tests/unit/kb/test_plan.c checks on facts. Each machine is a copy of a test-time fixture (with its
compiler-built wheel) whose KFD node is rewritten to another processor; rmcp doctor --json runs
with and without PyTorch, with no override, the processor's sound override (or a foreign one),
and a per-node override. Each run asserts: the plan passed its re-diagnosis check; no step
exports an override across ISA groups (targets.tsv's generic column); no install step is for a
GPU that already trains; without PyTorch every GPU gets an install command and the verdict is
workaround when one is a GPU build; the headline is the deciding finding's."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.environ.get("RMCP_SOURCE_ROOT", ".")
FIX = os.path.join(os.environ["RMCP_FIXTURES"], "sysroots")
RMCP = os.environ["RMCP_BIN"]

SAMPLE = ["gfx803", "gfx900", "gfx908", "gfx90a", "gfx1010", "gfx1011", "gfx1012", "gfx1030", "gfx1031",
          "gfx1033", "gfx1036", "gfx1100", "gfx1101", "gfx1103", "gfx1151", "gfx1201"]


def targets():
    out, header = {}, None
    with open(os.path.join(ROOT, "data", "targets.tsv"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#name\t"):
                header = line[1:].split("\t")
            elif line and not line.startswith("#"):
                r = dict(zip(header, line.split("\t")))
                out[r["name"]] = r
    return out


def support():
    out = {}
    with open(os.path.join(ROOT, "data", "support.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("gfx"):
                c = line.rstrip("\n").split("\t")
                out[c[0]] = {"override": c[7], "ok": c[8]}
    return out


T = targets()
S = support()


def group(gfx):
    g = T[gfx]["generic"]
    return gfx if g in ("-", "?") else g


def by_version(v):
    ver = int(v.split(".")[0]) * 10000 + int(v.split(".")[1]) * 100 + int(v.split(".")[2])
    return next(n for n, r in T.items() if r["version"] == str(ver))


def set_node(root, node, gfx):
    p = os.path.join(root, "sys/class/kfd/kfd/topology/nodes", str(node), "properties")
    lines = open(p, encoding="utf-8").read().split("\n")
    lines = [f"gfx_target_version {T[gfx]['version']}" if l.startswith("gfx_target_version ") else l
             for l in lines]
    open(p, "w", encoding="utf-8").write("\n".join(lines))


def doctor(root, env, torch):
    args = [RMCP, "doctor", "--json", "--no-cache", "--sysroot", root]
    if torch:
        args += ["--python", "/home/user/venv/bin/python3"]
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    r = subprocess.run(args, capture_output=True, text=True, env=e, timeout=120)
    return r.returncode, json.loads(r.stdout)


def check(name, j, code, gfxs):
    problems = []
    plan = j["plan"]
    if not plan["checked"] or plan["problems"]:
        problems.append(f"plan check: {plan['problems']}")
    verdicts = {g["index"]: g["gpu_training"] for g in j["gpus"]}
    for s in plan["steps"]:
        var = s["variable"] or ""
        if s["kind"] == "export" and var.startswith("HSA_OVERRIDE_GFX_VERSION"):
            proc = by_version(s["value"])
            applies = range(len(gfxs)) if var == "HSA_OVERRIDE_GFX_VERSION" else \
                [i for i, g in enumerate(j["gpus"]) if g["node"] is not None and var.endswith(f"_{g['node']}")]
            for i in applies:
                if group(proc) != group(gfxs[i]):
                    problems.append(f"{var}={s['value']} crosses ISA groups on {gfxs[i]}")
        if s["kind"] == "install":
            for i, g in enumerate(gfxs):
                if verdicts.get(i) == "yes" and f"GPU {i} ({g})" in s["text"]:
                    problems.append(f"install step for GPU {i} ({g}), which trains")
    v = j["verdict"]
    if not j["software"]["torch"]:
        if not j["plan"]["steps"] or not any(s["kind"] in ("install", "text") for s in plan["steps"]):
            problems.append("no PyTorch and no install step")
        gpu_build = any(f["id"] == "no-torch" for f in j["findings"])
        if gpu_build and v["gpu_training"] == "no" and v["decided_by"] in ("no-torch", "no-torch-cpu"):
            problems.append("no PyTorch with a GPU build yet the verdict is no because of PyTorch")
    if v["decided_by"]:
        decider = next(f for f in j["findings"] if f["id"] == v["decided_by"])
        if decider["verdict"] != v["gpu_training"]:
            problems.append(f"headline from {v['decided_by']} ({decider['verdict']}) but verdict {v['gpu_training']}")
    if code != v["exit_code"]:
        problems.append(f"exit {code} but JSON says {v['exit_code']}")
    for p in problems:
        print(f"FAIL [{name}]: {p}")
        for s in plan["steps"]:
            print(f"    step: {s['text']}")
    return not problems


def main():
    tmp = tempfile.mkdtemp(prefix="rmcp-plan-")
    cells = failures = 0
    try:
        for gfx in SAMPLE:
            sound = S[gfx]["override"] if S[gfx]["ok"] in ("sound", "contested") else "-"
            foreign = "11.0.0" if group(gfx) == "gfx10-3-generic" else "10.3.0"
            for base, node, other in (("rx7900xtx", 1, None), ("two-gpus", 2, "gfx1030")):
                root = os.path.join(tmp, f"{base}-{gfx}")
                shutil.copytree(os.path.join(FIX, base), root, symlinks=True)
                set_node(root, node, gfx)
                if other and group(other) == group(gfx):
                    other = "gfx908"
                    set_node(root, 1, other)
                gfxs = [other, gfx] if other else [gfx]
                envs = [{}, {"HSA_OVERRIDE_GFX_VERSION": sound if sound != "-" else foreign},
                        {f"HSA_OVERRIDE_GFX_VERSION_{node}": sound if sound != "-" else foreign}]
                for env in envs:
                    for torch in (True, False):
                        name = f"{gfx} on {base}{' + ' + other if other else ''}, {env or 'no override'}, " \
                               f"{'wheel' if torch else 'no PyTorch'}"
                        code, j = doctor(root, env, torch)
                        cells += 1
                        failures += not check(name, j, code, gfxs)
                shutil.rmtree(root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"plan through rmcp doctor on sysroot trees: {cells} runs, {failures} failed")
    sys.exit(1 if failures or cells < 100 else 0)


if __name__ == "__main__":
    main()
