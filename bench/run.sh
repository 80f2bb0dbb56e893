#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/run.sh [BUILD]: what `rmcp run` costs before the command starts, against the baseline
# `env true` (coreutils env(1): a wrapper that sets variables and execs, nothing else), in the
# same run. BUILD must be configured with -Dtests=enabled: the --device auto cases run on a
# copy of the rx6700xt fixture whose PyTorch bundles the test-double HIP runtime and MIOpen
# (tests/stubs), so the probe has something to load on a machine without an AMD GPU.
#   - rmcp run --device cpu: no doctor, no probe; the CPU profile, then exec;
#   - rmcp run --device gpu: the doctor (three passes: clean, fix, tune) and the preload;
#   - rmcp run (auto), cached probe: the doctor, the probe's fingerprint and cache lookup;
#   - rmcp run (auto) --no-cache: the probe run again (fork, dlopen, 9 steps);
#   - rmcp probe --no-cache on the same runtime: the probe alone.
# hyperfine, no shell (-N), 3 warm-up runs, RUNS measured runs, medians. The command is
# `true` with librmcp.so preloaded in the GPU cases, so the preload's start-up is included.
# Results: bench/results/run.json. Goal (issue 6): with a cached probe, under 100 ms.
set -eu
build=${1:-build}
runs=${RUNS:-30}
here=$(cd "$(dirname "$0")" && pwd)
rmcp=$build/rmcp
command -v hyperfine >/dev/null 2>&1 || { echo "bench/run.sh: apt-get install hyperfine" >&2; exit 1; }
for f in "$build/tests/stubs/hip6/libamdhip64.so.6" "$build/tests/stubs/miopen/libMIOpen.so.1" \
	"$build/tests/fixtures-out/sysroots/rx6700xt"; do
	[ -e "$f" ] || { echo "bench/run.sh: $f missing: configure $build with -Dtests=enabled and run meson test once" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$build/tests/fixtures-out/sysroots/rx6700xt" "$work/m"
lib=$work/m/home/user/venv/lib/python3.11/site-packages/torch/lib
rm -f "$lib/libamdhip64.so"
cp "$build/tests/stubs/hip6/libamdhip64.so.6" "$lib/libamdhip64.so"
cp "$build/tests/stubs/miopen/libMIOpen.so.1" "$lib/libMIOpen.so"
XDG_CACHE_HOME=$work/cache
LD_LIBRARY_PATH=$(cd "$build/tests/stubs/hsa" && pwd)
# the double's GPU: a gfx1030, so `rmcp probe` without the profile's override passes too
RMCP_STUB_GFX=gfx1030
export XDG_CACHE_HOME LD_LIBRARY_PATH RMCP_STUB_GFX
m="--sysroot $work/m --python /home/user/venv/bin/python3"
# the profile and the probe must be what the benchmark claims: GPU kept, probe ok
"$rmcp" env --json $m | grep -q '"outcome":"ok"' || { echo "bench/run.sh: the probe did not pass" >&2; exit 1; }
mkdir -p "$here/results"
hyperfine -N --style basic --warmup 3 --runs "$runs" --export-json "$here/results/run.json" \
	-n "env true" "env true" \
	-n "rmcp --version" "$rmcp --version" \
	-n "rmcp run --device cpu" "$rmcp run --device cpu -- true" \
	-n "rmcp run --device gpu" "$rmcp run --device gpu $m -- true" \
	-n "rmcp run (auto, cached probe)" "$rmcp run $m -- true" \
	-n "rmcp run (auto, --no-cache)" "$rmcp run --no-cache $m -- true" \
	-n "rmcp probe --no-cache" "$rmcp probe --no-cache --torch $work/m/home/user/venv/lib/python3.11/site-packages/torch" \
	>/dev/null
python3 - "$here/results/run.json" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res["env true"]["median"]
print(f"baseline env true: median {base*1000:.2f} ms")
for name, r in res.items():
    if name != "env true":
        print(f"  {name:32s} median {r['median']*1000:7.2f} ms  min {r['min']*1000:6.2f}  +{(r['median']-base)*1000:6.2f} ms")
cached = res["rmcp run (auto, cached probe)"]["median"]
print(f"goal: run with a cached probe under 100 ms: {'met' if cached < 0.1 else 'NOT met'} ({cached*1000:.1f} ms)")
PY
