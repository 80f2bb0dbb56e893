#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Validate `rmcp doctor` and `rmcp advise` machine output on every sysroot fixture.

- `rmcp doctor --json` against docs/doctor.schema.json and `rmcp advise --json` against
  docs/advise.schema.json, with Debian's python3-jsonschema (Draft 2020-12);
- `rmcp doctor --format prometheus` with the Prometheus project's own parser (Debian's
  python3-prometheus-client, prometheus_client.parser), plus the rules node_exporter's
  textfile collector relies on: every family has HELP and TYPE before its samples, a family's
  samples are contiguous, no sample is repeated, and every GPU has one sample per per-GPU gauge.
Also checks that wrong documents are rejected, so a schema that accepts anything cannot pass.
"""
import json
import os
import re
import subprocess
import time

import schemas
from tally import Tally
from prometheus_client.parser import text_string_to_metric_families

rmcp = os.environ["RMCP_BIN"]
fx = os.path.join(os.environ["RMCP_FIXTURES"], "sysroots")
root = os.environ["RMCP_SOURCE_ROOT"]
_v = schemas.validators(os.path.join(root, "docs"))
doctor_schema, advise_schema = _v["doctor.schema.json"], _v["advise.schema.json"]
venv = ["--python", "/home/user/venv/bin/python3"]


def run(args, env_extra=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "NO_COLOR": "1"}
    env.update(env_extra or {})
    return subprocess.run([rmcp] + args, capture_output=True, text=True, env=env)

report = Tally()


def check_json(validator, args, env_extra, codes):
    p = run(args, env_extra)
    what = " ".join(f"{k}={v}" for k, v in (env_extra or {}).items()) + " rmcp " + " ".join(args)
    if p.returncode not in codes:
        report(False, what, f"exit {p.returncode}\n{p.stderr}")
        return None
    doc = json.loads(p.stdout)
    errors = list(validator.iter_errors(doc))
    report(not errors, what, "\n".join(f"  {list(e.absolute_path)}: {e.message}" for e in errors[:5]))
    return doc


PER_GPU = ["rmcp_gpu_info", "rmcp_gpu_training", "rmcp_gpu_visible", "rmcp_gpu_vram_bytes",
           "rmcp_gpu_compute_units", "rmcp_gpu_override"]


def check_prometheus(args, env_extra, n_gpus):
    p = run(args + ["--format", "prometheus"], env_extra)
    what = "prometheus: rmcp " + " ".join(args)
    problems = []
    try:
        families = {f.name: f for f in text_string_to_metric_families(p.stdout)}
    except Exception as e:  # the parser raises ValueError and friends on bad syntax
        report(False, what, f"unparsable: {e}\n{p.stdout}")
        return
    seen_help, seen_type, order, samples = set(), set(), [], set()
    for line in p.stdout.splitlines():
        if line.startswith("# HELP "):
            seen_help.add(line.split()[2])
        elif line.startswith("# TYPE "):
            name, typ = line.split()[2:4]
            seen_type.add(name)
            if typ != "gauge":
                problems.append(f"{name} is {typ}")
        elif line:
            name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
            if name not in seen_help or name not in seen_type:
                problems.append(f"sample of {name} before its HELP/TYPE")
            if order and order[-1] != name and name in order:
                problems.append(f"samples of {name} are not contiguous")
            if not order or order[-1] != name:
                order.append(name)
            key = line.rsplit(" ", 1)[0]
            if key in samples:
                problems.append(f"repeated sample {key}")
            samples.add(key)
    for name in PER_GPU:
        got = len(families[name].samples) if name in families else -1
        if got != n_gpus:
            problems.append(f"{name}: {got} samples for {n_gpus} GPUs")
    verdict = families.get("rmcp_doctor_verdict")
    if not verdict or len(verdict.samples) != 1:
        problems.append("no single rmcp_doctor_verdict sample")
    problems += fleet_problems(families, p.stdout)
    report(not problems, what, "\n".join(problems) + "\n" + p.stdout)


VERSION = subprocess.run([rmcp, "--version"], capture_output=True, text=True).stdout.split()[1]
# Label names allowed per family, and what every label value must look like: versions, ids,
# enums, numbers, PCI addresses and device names from data tables. Free text (a rule's
# summary, which embeds facts and changes with its wording) would start a new series
# whenever it changed; it is in the JSON, never in a label.
LABELS = {
    "rmcp_build_info": {"version", "rules"},
    "rmcp_last_run_timestamp_seconds": set(),
    "rmcp_doctor_verdict": {"verdict"},
    "rmcp_doctor_findings": {"severity"},
    "rmcp_doctor_finding": {"id", "severity", "gpu"},
    "rmcp_gpu_info": {"gpu", "gfx", "pci_addr", "gfx_effective", "name", "pci_id", "node"},
    "rmcp_gpu_findings": {"gpu", "gfx", "pci_addr", "severity"},
}
for _name in PER_GPU[1:]:
    LABELS[_name] = {"gpu", "gfx", "pci_addr"}
STABLE_VALUE = re.compile(r"^[A-Za-z0-9_.:+\-]*$")


def fleet_problems(families, text):
    """rmcp_build_info, rmcp_last_run_timestamp_seconds, and labels without free text."""
    problems = []
    info = families.get("rmcp_build_info")
    if not info or len(info.samples) != 1 or info.samples[0].value != 1:
        problems.append("no single rmcp_build_info sample of value 1")
    else:
        lab = info.samples[0].labels
        if lab.get("version") != VERSION:
            problems.append(f"rmcp_build_info version {lab.get('version')!r}, rmcp --version says {VERSION!r}")
        if not re.fullmatch(r"kb-[0-9a-f]{12}", lab.get("rules", "")):
            problems.append(f"rmcp_build_info rules {lab.get('rules')!r}")
    last = families.get("rmcp_last_run_timestamp_seconds")
    if not last or len(last.samples) != 1 or not T0 - 1 <= last.samples[0].value <= time.time() + 1:
        problems.append("rmcp_last_run_timestamp_seconds is not one sample of the time of the run")
    for fam in families.values():
        allowed = LABELS.get(fam.name)
        if allowed is None:
            problems.append(f"{fam.name}: a family the test does not know; add its labels to LABELS")
            continue
        for smp in fam.samples:
            if set(smp.labels) - allowed:
                problems.append(f"{fam.name}: unexpected labels {sorted(set(smp.labels) - allowed)}")
            for k, v in smp.labels.items():
                # gpu_info's name is a marketing name from data/pci-ids.tsv or amdgpu.ids
                if k != "name" and not STABLE_VALUE.match(v):
                    problems.append(f"{fam.name}: label {k}={v!r} is not an id, enum or number")
    return problems


T0 = time.time()
cases = [
    ("rx5600xt", venv, None, 1),
    ("rx5600xt", venv, {"HSA_OVERRIDE_GFX_VERSION": "10.3.0"}, 1),
    ("rx5500xt-noatomics", [], None, 1),
    ("rx6700xt", venv, None, 1),
    ("rx6700xt", venv, {"HSA_OVERRIDE_GFX_VERSION": "10.3.0"}, 1),
    ("rx7900xtx", venv, None, 1),
    ("mi210", venv, None, 1),
    ("apu-rembrandt", [], None, 1),
    ("two-gpus", venv, None, 2),
    ("two-gpus", venv, {"HSA_OVERRIDE_GFX_VERSION": "10.3.0"}, 2),
    ("no-amd-gpu", [], None, 0),
    ("kfd-denied", [], None, 1),
    ("container-eperm", [], None, 2),
    ("rx7900xtx", venv, {"HSA_OVERRIDE_GFX_VERSION": "bogus\"\\\nvalue"}, 1),
]
for name, extra, env, n_gpus in cases:
    args = ["doctor", "--no-cache", "--sysroot", os.path.join(fx, name)] + extra
    doc = check_json(doctor_schema, args + ["--json"], env, (0, 1, 3))
    if doc is not None and len(doc["gpus"]) != n_gpus:
        report(False, f"{name}: {len(doc['gpus'])} GPUs, want {n_gpus}")
    check_prometheus(args, env, n_gpus)

# An override value is user text: it reaches JSON (quoted by json-c) but no Prometheus label.
p = run(["doctor", "--no-cache", "--format", "prometheus", "--sysroot", os.path.join(fx, "rx7900xtx")] + venv,
        {"HSA_OVERRIDE_GFX_VERSION": 'x"y\\z'})
fam = {f.name: f for f in text_string_to_metric_families(p.stdout)}
report("summary" not in fam["rmcp_doctor_verdict"].samples[0].labels and 'x"y' not in p.stdout,
       "prometheus labels carry no summary and no override text", p.stdout)

for args in (["advise", "--json", "--no-cache", "--sysroot", os.path.join(fx, "rx5600xt")] + venv,
             ["advise", "--json", "--no-doctor"],
             ["advise", "--json", "--no-doctor", "--budget", "0", "--hours-per-month", "0", "--months", "120"],
             ["advise", "--json", "--no-cache", "--sysroot", os.path.join(fx, "no-amd-gpu")]):
    check_json(advise_schema, args, None, (0,))

# Wrong documents must be rejected.
good = json.loads(run(["doctor", "--json", "--no-cache", "--sysroot", os.path.join(fx, "rx7900xtx")] + venv).stdout)
bad = json.loads(json.dumps(good))
bad["verdict"]["gpu_training"] = "maybe"
report(not doctor_schema.is_valid(bad), "doctor schema rejects an unknown verdict")
bad = json.loads(json.dumps(good))
del bad["gpus"][0]["gfx_effective"]
report(not doctor_schema.is_valid(bad), "doctor schema rejects a GPU without gfx_effective")
bad = json.loads(json.dumps(good))
bad["findings"].append({"id": "x", "severity": "fatal", "gpu": None, "verdict": "no", "cause": "c", "fix": "f",
                        "evidence": "https://x"})
report(not doctor_schema.is_valid(bad), "doctor schema rejects an unknown severity")
adv = json.loads(run(["advise", "--json", "--no-doctor"]).stdout)
adv["options"][0]["upfront_usd"] = -1
report(not advise_schema.is_valid(adv), "advise schema rejects a negative cost")

report.exit()
