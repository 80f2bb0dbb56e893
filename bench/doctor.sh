#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/doctor.sh [RMCP] [BUILD]: how long `rmcp doctor` takes on the demo snapshot
# (examples/rx5600xt, assembled into BUILD/examples by examples/assemble.sh):
#   - cold: the scan cache emptied before every run (every library's GPU code is read and the
#     cache written), and --no-cache (read, nothing written);
#   - warm: the scan cache filled by an earlier run (what a second `rmcp doctor` costs);
# against the baseline `rocminfo` (Debian 12 package rocminfo, ROCm 5.2.3) in the same run. On a
# machine without an AMD GPU, rocminfo only starts, finds no ROCk module and exits 1: what it
# measures then is the start-up of the tool users run first, not a comparable diagnosis.
# `rmcp --version` is measured too: process start-up (dynamic linking) is the floor under every
# rmcp command. hyperfine, no shell (-N), 3 warm-up runs, RUNS measured runs, warm page
# cache, medians.
# Results: bench/results/doctor-*.json. Goal (issue 3): under 50 ms with a warm cache.
set -eu
rmcp=${1:-build/rmcp}
build=${2:-$(dirname "$rmcp")}
runs=${RUNS:-30}
here=$(cd "$(dirname "$0")" && pwd)
command -v hyperfine >/dev/null 2>&1 || { echo "bench/doctor.sh: apt-get install hyperfine" >&2; exit 1; }
command -v rocminfo >/dev/null 2>&1 || { echo "bench/doctor.sh: apt-get install rocminfo (the baseline)" >&2; exit 1; }
"$here/../examples/assemble.sh" "$build/examples"
ex=$build/examples/rx5600xt
mkdir -p "$here/results"
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
# The doctor's verdict for the snapshot is "no" (exit 3) and rocminfo fails without a GPU:
# exit statuses are ignored (-i); the outputs are checked below instead.
XDG_CACHE_HOME=$cache
export XDG_CACHE_HOME
"$rmcp" doctor --sysroot "$ex" >/dev/null || [ $? -eq 3 ] || { echo "bench/doctor.sh: doctor failed" >&2; exit 1; }

hyperfine -N -i --style basic --warmup 3 --runs "$runs" --export-json "$here/results/doctor-cold.json" \
	--prepare "rm -rf $cache/rmcp" \
	-n "rmcp doctor (cold scan cache)" "$rmcp doctor --sysroot $ex" >/dev/null
hyperfine -N -i --style basic --warmup 3 --runs "$runs" --export-json "$here/results/doctor-warm.json" \
	-n "rmcp doctor (warm scan cache)" "$rmcp doctor --sysroot $ex" \
	-n "rmcp doctor --json (warm scan cache)" "$rmcp doctor --json --sysroot $ex" \
	-n "rmcp doctor --format prometheus (warm)" "$rmcp doctor --format prometheus --sysroot $ex" \
	-n "rmcp doctor --no-cache" "$rmcp doctor --no-cache --sysroot $ex" \
	-n "rmcp doctor (this machine)" "$rmcp doctor" \
	-n "rmcp --version (start-up only)" "$rmcp --version" \
	-n "rocminfo" "rocminfo" >/dev/null

python3 - "$here/results/doctor-cold.json" "$here/results/doctor-warm.json" <<'PY'
import json, sys
res = {}
for path in sys.argv[1:]:
    for r in json.load(open(path))["results"]:
        res[r["command"]] = r
base = res["rocminfo"]["median"]
print(f"baseline rocminfo: median {base*1000:.2f} ms (exit {res['rocminfo']['exit_codes'][0]})")
for name, r in res.items():
    if name == "rocminfo":
        continue
    m = r["median"]
    print(f"  {name:40s} median {m*1000:7.2f} ms  min {r['min']*1000:6.2f}  {m/base:5.2f}x rocminfo")
warm = res["rmcp doctor (warm scan cache)"]["median"]
start = res["rmcp --version (start-up only)"]["median"]
print(f"doctor's own work on top of process start-up, warm: {(warm - start)*1000:.2f} ms")
print(f"goal: warm doctor under 50 ms: {'met' if warm < 0.050 else 'NOT met'} ({warm*1000:.1f} ms)")
PY
