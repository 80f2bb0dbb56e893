#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every JSON output of every command, validated offline, and the envelope they share.

- every docs/*.schema.json has its file name as $id and only relative $refs, and every $ref
  resolves in the local registry (tests/integration/schemas.py refuses anything else, so a
  reference that needs the network fails here);
- rmcp scan, doctor, advise, probe and env --json each validate against their schema and start
  with the envelope written by rmcp_report_json (src/lib/report/report.c): rmcp_version as
  `rmcp --version` says, timestamp (RFC 3339 UTC) within the run, hostname as gethostname(2);
- two runs of the same command differ at most in timestamp and hostname, the members tests
  that compare JSON ignore (strip_envelope).
The per-command checkers (schema_check.py, doctor_check.py, run_schema_check.py) validate
many more variants of each output with the same registry.
"""
import datetime
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import schemas
from tally import Tally

rmcp = os.environ["RMCP_BIN"]
fx = os.environ["RMCP_FIXTURES"]
docs = os.path.join(os.environ["RMCP_SOURCE_ROOT"], "docs")
ENVELOPE = ["rmcp_version", "timestamp", "hostname"]

report = Tally()


def strip_envelope(doc):
    """The document without the members that change from run to run."""
    return {k: v for k, v in doc.items() if k not in ("timestamp", "hostname")}


def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


# 1. The schemas resolve offline.
loaded = schemas.load(docs)
validators = schemas.validators(docs)
report(set(loaded) >= {"scan.schema.json", "doctor.schema.json", "advise.schema.json", "probe.schema.json",
                       "run.schema.json", "envelope.schema.json"}, "every schema is in docs/", sorted(loaded))
for name, s in loaded.items():
    report(s.get("$id") == name, f"{name}: $id is its file name", s.get("$id"))
    bad = [r for r in refs(s) if ":" in r.split("#")[0]]
    report(not bad, f"{name}: every $ref is relative", bad)
    for r in sorted(set(refs(s))):
        try:
            schemas.resolve(docs, name, r)
            report(True, f"{name}: {r} resolves offline")
        except Exception as e:  # schemas.Offline, RefResolutionError, Unresolvable
            report(False, f"{name}: {r} resolves offline", repr(e))

# 2. Every command's --json.
version = subprocess.run([rmcp, "--version"], capture_output=True, text=True).stdout.split()[1]
tmp = tempfile.mkdtemp(prefix="rmcp-json-")
env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "XDG_CACHE_HOME": os.path.join(tmp, "cache"), "NO_COLOR": "1"}
sysroot = os.path.join(fx, "sysroots", "rx5600xt")
venv = ["--python", "/home/user/venv/bin/python3"]
runs = [
    ("scan.schema.json", ["scan", "--json", "--target", "gfx1010", os.path.join(fx, "wheel")], (0, 1)),
    ("doctor.schema.json", ["doctor", "--json", "--no-cache", "--sysroot", sysroot] + venv, (0, 1, 3)),
    ("advise.schema.json", ["advise", "--json", "--no-cache", "--sysroot", sysroot] + venv, (0,)),
    ("probe.schema.json", ["probe", "--json", "--no-cache", "--torch", tmp], (0, 3)),
    ("run.schema.json", ["env", "--json", "--device", "gpu", "--sysroot", sysroot] + venv, (0,)),
    ("run.schema.json", ["env", "--json", "--device", "cpu"], (0,)),
]
host = socket.gethostname()
for schema, args, codes in runs:
    what = "rmcp " + " ".join(args)
    docs_seen = []
    for _ in range(2):
        t0 = int(time.time())
        p = subprocess.run([rmcp] + args, capture_output=True, text=True, env=env, timeout=120)
        t1 = int(time.time())
        if p.returncode not in codes:
            report(False, what, f"exit {p.returncode}\n{p.stderr}")
            break
        doc = json.loads(p.stdout)
        docs_seen.append(doc)
    if len(docs_seen) != 2:
        continue
    doc = docs_seen[0]
    report(not schemas.errors(validators[schema], doc), f"{what} against {schema}",
           schemas.errors(validators[schema], doc))
    report(list(doc)[:3] == ENVELOPE, f"{what}: the envelope comes first", list(doc)[:4])
    report(doc.get("rmcp_version") == version, f"{what}: rmcp_version {version}", doc.get("rmcp_version"))
    report(doc.get("hostname") == host, f"{what}: hostname {host}", doc.get("hostname"))
    try:
        ts = datetime.datetime.strptime(docs_seen[1]["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
        ts = int(ts.replace(tzinfo=datetime.timezone.utc).timestamp())
        report(t0 <= ts <= t1, f"{what}: timestamp within the run", f"{t0} <= {ts} <= {t1}")
    except (KeyError, ValueError) as e:
        report(False, f"{what}: timestamp is RFC 3339 UTC", repr(e))
    if args[0] != "probe":  # a probe's elapsed_s differs from run to run
        report(strip_envelope(docs_seen[0]) == strip_envelope(docs_seen[1]),
               f"{what}: two runs differ only in the envelope")

# 3. A document whose envelope is missing or malformed is rejected by every schema.
for schema, args, _ in runs[:1]:
    p = subprocess.run([rmcp] + args, capture_output=True, text=True, env=env)
    doc = json.loads(p.stdout)
    for key, value in (("timestamp", "2026-12-03 07:00:00"), ("rmcp_version", "dev"), ("hostname", None)):
        bad = dict(doc)
        if value is None:
            del bad[key]
        else:
            bad[key] = value
        report(not validators[schema].is_valid(bad), f"{schema} rejects {key}={value!r}")

shutil.rmtree(tmp)
report.exit()
