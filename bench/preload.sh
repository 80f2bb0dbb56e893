#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/preload.sh [BUILD]: nanoseconds librmcp.so adds to a hooked launch and a hooked host
# allocation. Baseline: the same program (bench/preload.c) without the preload, in the same
# run, interleaved round by round, against the test-double runtime (tests/stubs) so the
# runtime's own work does not hide the hook. Each number is the median over ROUNDS of the
# best of 7 repetitions of N calls. Needs a build with -Dtests=enabled (the test doubles) and
# libamdhip64-dev (hip_runtime_api.h). Results: bench/results/preload.json.
set -eu
build=${1:-build}
rounds=${ROUNDS:-7}
n=${N:-2000000}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "$build" && pwd)
lib=$build/src/preload/librmcp.so
stub=$build/tests/stubs/hip5
hsa=$build/tests/stubs/hsa
sysroot=$root/tests/fixtures/sysroots/rx5600xt
for f in "$lib" "$stub/libamdhip64.so.5" "$hsa/libhsa-runtime64.so.1"; do
	[ -f "$f" ] || { echo "bench/preload.sh: $f missing (meson compile -C $build with -Dtests=enabled)" >&2; exit 1; }
done
bin=$build/bench_preload
${CC:-cc} -O2 -o "$bin" "$here/preload.c" -L"$stub" -Wl,-rpath,"$stub" -Wl,-rpath-link,"$hsa" -lamdhip64
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"

run() { # run KIND CONFIG -> ns per call
	case $2 in
	none) env -u LD_PRELOAD $pin "$bin" "$1" "$n" ;;
	preload) env LD_PRELOAD="$lib" RMCP_SYSROOT="$sysroot" $pin "$bin" "$1" "$n" ;;
	noncoherent) env LD_PRELOAD="$lib" RMCP_SYSROOT="$sysroot" RMCP_MEMORY=noncoherent $pin "$bin" "$1" "$n" ;;
	esac
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
i=0
while [ "$i" -lt "$rounds" ]; do
	for kind in launch alloc; do
		for cfg in none preload noncoherent; do
			echo "$kind $cfg $(run "$kind" "$cfg")" >>"$tmp"
		done
	done
	i=$((i + 1))
done
mkdir -p "$here/results"
python3 - "$tmp" "$here/results/preload.json" "$n" "$rounds" <<'PY'
import json, statistics, sys, platform
rows = [l.split() for l in open(sys.argv[1])]
res = {}
for kind, cfg, ns in rows:
    res.setdefault(kind, {}).setdefault(cfg, []).append(float(ns))
out = {"calls_per_repetition": int(sys.argv[3]), "rounds": int(sys.argv[4]),
       "cpu": platform.processor() or platform.machine(), "results": {}}
print(f"baseline: the same binary without LD_PRELOAD, same run; median of {sys.argv[4]} rounds")
for kind in ("launch", "alloc"):
    base = statistics.median(res[kind]["none"])
    out["results"][kind] = {"none_ns": base}
    print(f"{kind:7s} none        {base:8.2f} ns/call")
    for cfg in ("preload", "noncoherent"):
        m = statistics.median(res[kind][cfg])
        out["results"][kind][cfg + "_ns"] = m
        out["results"][kind][cfg + "_added_ns"] = m - base
        print(f"{kind:7s} {cfg:11s} {m:8.2f} ns/call   +{m - base:6.2f} ns   x{m / base:5.2f}")
json.dump(out, open(sys.argv[2], "w"), indent=2)
PY
