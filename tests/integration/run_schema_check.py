#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Validate real `rmcp probe --json` and `rmcp env --json` outputs against docs/probe.schema.json
and docs/run.schema.json with Debian's python3-jsonschema (Draft 2020-12).

Outputs come from the test-double runtime in a PyTorch-like package (every outcome class the
doubles can produce), from Debian's real libamdhip64.so.5 (no device here), and from rmcp env
on every fixture machine with every --device. Wrong documents must be rejected, so a schema
that accepts anything cannot pass.
"""
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

import schemas

rmcp = os.environ["RMCP_BIN"]
root = os.environ["RMCP_SOURCE_ROOT"]
fx = os.environ["RMCP_FIXTURES"]
# Offline: run.schema.json's probe member refers to probe.schema.json by a relative $ref.
_v = schemas.validators(os.path.join(root, "docs"))
probe_v, run_v = _v["probe.schema.json"], _v["run.schema.json"]

tmp = tempfile.mkdtemp(prefix="rmcp-run-schema-")
torch = os.path.join(tmp, "torch")
os.makedirs(os.path.join(torch, "lib"))
shutil.copy(os.path.join(os.environ["RMCP_STUB_HIP6_DIR"], "libamdhip64.so.6"),
            os.path.join(torch, "lib", "libamdhip64.so"))
shutil.copy(os.path.join(os.environ["RMCP_STUB_MIOPEN_DIR"], "libMIOpen.so.1"),
            os.path.join(torch, "lib", "libMIOpen.so"))
# meson puts the doubles' build directories on LD_LIBRARY_PATH; the real runtime must not see them
base = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
base["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")
doubles = dict(base, LD_LIBRARY_PATH=os.environ["RMCP_STUB_HSA_DIR"])

failed = 0
checked = 0
outcomes = set()


def check(validator, args, env, what):
    global failed, checked
    p = subprocess.run([rmcp] + args, capture_output=True, text=True, env=env, timeout=60)
    if p.returncode not in (0, 3):
        print(f"FAIL rmcp {' '.join(args)}: exit {p.returncode}\n{p.stderr}")
        failed += 1
        return None
    doc = json.loads(p.stdout)
    errors = list(validator.iter_errors(doc))
    checked += 1
    if errors:
        failed += 1
        print(f"FAIL {what} rmcp {' '.join(args)}:")
        for e in errors[:5]:
            print(f"  {list(e.absolute_path)}: {e.message}")
    else:
        print(f"ok   {what} rmcp {' '.join(args)}")
    return doc


probe_runs = [
    ({"RMCP_STUB_GFX": "gfx1030"}, []),
    ({}, []),
    ({"RMCP_STUB_BEHAVIOUR": "fault:hipMemcpy"}, []),
    ({"RMCP_STUB_GFX": "gfx1030", "RMCP_STUB_BEHAVIOUR": "wrong:miopenConvolutionForward"}, []),
    ({"RMCP_STUB_BEHAVIOUR": "hang:hipInit"}, ["--timeout", "1"]),
    ({"RMCP_STUB_BEHAVIOUR": "error=2:hipHostMalloc"}, []),
    ({"RMCP_STUB_BEHAVIOUR": "error=100:hipGetDeviceCount"}, []),
]
for extra, args in probe_runs:
    doc = check(probe_v, ["probe", "--json", "--no-cache", "--torch", torch] + args,
                dict(doubles, **extra), "probe")
    if doc:
        outcomes.add(doc["outcome"])
check(probe_v, ["probe", "--json", "--torch", torch], dict(doubles, RMCP_STUB_GFX="gfx1030"), "cached probe")
doc = check(probe_v, ["probe", "--json", "--no-cache", "--hip", "/usr/lib/x86_64-linux-gnu/libamdhip64.so.5"],
            base, "real runtime")
if doc:
    outcomes.add(doc["outcome"])
doc = check(probe_v, ["probe", "--json", "--no-cache", "--torch", tmp], base, "no runtime")
if doc:
    outcomes.add(doc["outcome"])
want = {"ok", "no-code-object", "gpu-memory-fault", "wrong-result", "hang", "error", "no-device", "no-runtime"}
if outcomes != want:
    print(f"FAIL outcomes seen {sorted(outcomes)}, expected {sorted(want)}")
    failed += 1

for name in sorted(os.listdir(os.path.join(fx, "sysroots"))):
    sysroot = os.path.join(fx, "sysroots", name)
    if not os.path.isdir(sysroot):
        continue
    # --python is a path on the captured machine: passed where the fixture has that venv
    # (a missing one is a usage error, exit 2).
    venv = ["--python", "/home/user/venv/bin/python3"] \
        if os.path.lexists(os.path.join(sysroot, "home/user/venv/bin/python3")) else []
    for device in ("gpu", "cpu", "auto"):
        check(run_v, ["env", "--json", "--device", device, "--sysroot", sysroot] + venv,
              dict(base, HSA_OVERRIDE_GFX_VERSION="10.3.0") if name == "rx5600xt" else base,
              f"env {name}")
check(run_v, ["env", "--json"], base, "env this machine")

# wrong documents are rejected
good = check(run_v, ["env", "--json", "--device", "gpu", "--sysroot",
                     os.path.join(fx, "sysroots", "rx6700xt"), "--python", "/home/user/venv/bin/python3"],
             base, "env")
probe_good = check(probe_v, ["probe", "--json", "--no-cache", "--torch", torch], doubles, "probe")
bad_docs = []
if good:
    b = copy.deepcopy(good)
    b["profile"]["variables"][0]["op"] = "set"
    b["profile"]["variables"][0]["value"] = None
    bad_docs.append((run_v, b, "set without a value"))
    b = copy.deepcopy(good)
    b["profile"]["device"] = "tpu"
    bad_docs.append((run_v, b, "unknown device"))
if probe_good:
    b = copy.deepcopy(probe_good)
    b["outcome"] = "not-run"
    bad_docs.append((probe_v, b, "outcome not-run"))
    b = copy.deepcopy(probe_good)
    b["steps"] = b["steps"][:3]
    bad_docs.append((probe_v, b, "missing steps"))
for v, doc, what in bad_docs:
    if v.is_valid(doc):
        print(f"FAIL the schema accepts a document with {what}")
        failed += 1
shutil.rmtree(tmp)
print(f"{checked} documents checked, {len(bad_docs)} wrong ones, {failed} failures")
sys.exit(1 if failed or not bad_docs else 0)
