#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Print one closing line for `make check`: "tests: N passed, N failed, N skipped".

Counts every cmocka test case from meson's test log (build/meson-logs/testlog.json) and
every fuzzer run recorded by scripts/run-fuzzers.sh. In CI (CI=true) a skipped test is a
failure: the CI machine installs everything, so a skip means a missing install step.
Usage: test-summary.py BUILD_DIR [FUZZ_BUILD_DIR]
"""
import json
import os
import re
import sys

passed = failed = skipped = 0
log = os.path.join(sys.argv[1], "meson-logs", "testlog.json")
with open(log, encoding="utf-8") as f:
    for line in f:
        t = json.loads(line)
        out = (t.get("stdout") or "") + (t.get("stderr") or "")
        p = sum(int(n) for n in re.findall(r"\[  PASSED  \] (\d+) test", out))
        fl = sum(int(n) for n in re.findall(r"\[  FAILED  \] (\d+) test", out))
        sk = sum(int(n) for n in re.findall(r"\[  SKIPPED \] (\d+) test", out))
        if p + fl + sk == 0:      # not a cmocka program: count the program itself
            p, fl, sk = (t["result"] == "OK"), (t["result"] not in ("OK", "SKIP")), (t["result"] == "SKIP")
        elif t["result"] not in ("OK", "SKIP") and fl == 0:
            fl = 1                # crashed or timed out after its last report
        passed, failed, skipped = passed + p, failed + fl, skipped + sk

if len(sys.argv) > 2:
    res = os.path.join(sys.argv[2], "fuzz-results.txt")
    if os.path.exists(res):
        for line in open(res, encoding="utf-8"):
            name, result = line.split()[:2]
            passed += result == "ok"
            failed += result != "ok"

print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
ci = os.environ.get("CI", "") in ("true", "1", "yes")
sys.exit(1 if failed or (ci and skipped) else 0)
