#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/isa.sh [RMCP]: the ISA check's fast path, alone and with the gfx10.1 hazard detectors,
# against its baseline, the LLVM 19 oracle (rmcp scan --isa-oracle --isa-no-hazards, LLVM-C's
# LLVMDisasmInstruction for both processors), on every gfx1030 code object of Debian's
# librocsparse, checked as gfx1010, in the same run.
# Instructions per second = instructions checked / (time of scan --isa - time of plain scan),
# so file reading and the bundle walk, which both engines share, are not counted. Text output
# (the JSON of 12,591 kernels would be timed with the engines otherwise).
# Then the same check in one process (bench/isa_engines.c). Needs hyperfine and a rmcp built
# with LLVM 19. Results: bench/results/isa-{fast,oracle,engines}.json.
set -eu
rmcp=${1:-build/rmcp}
runs=${RUNS:-10}
oracle_runs=${ORACLE_RUNS:-3}
file=${FILE:-/usr/lib/x86_64-linux-gnu/librocsparse.so.0.1}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/results"
[ -f "$file" ] || { echo "bench/isa.sh: $file not found (apt-get install librocsparse0)" >&2; exit 1; }

insns=$("$rmcp" scan --json --isa gfx1010 "$file" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(o.get("instructions", 0) for f in d["files"] for o in f.get("isa", {}).get("objects", [])))')
hyperfine -N --style basic --warmup 2 --runs "$runs" --export-json "$here/results/isa-fast.json" \
	-n "rmcp scan" "$rmcp scan $file" \
	-n "rmcp scan --isa gfx1010 --isa-no-hazards" "$rmcp scan --isa gfx1010 --isa-no-hazards $file" \
	-n "rmcp scan --isa gfx1010" "$rmcp scan --isa gfx1010 $file" >/dev/null
hyperfine -N --style basic --warmup 0 --runs "$oracle_runs" --export-json "$here/results/isa-oracle.json" \
	-n "rmcp scan --isa gfx1010 --isa-oracle --isa-no-hazards" \
	"$rmcp scan --isa gfx1010 --isa-oracle --isa-no-hazards $file" >/dev/null
python3 - "$here/results" "$insns" "$(basename "$file")" <<'PY'
import json, sys
res = {}
for n in ("isa-fast.json", "isa-oracle.json"):
    for r in json.load(open(f"{sys.argv[1]}/{n}"))["results"]:
        res[r["command"]] = r["median"]
insns = int(sys.argv[2])
scan = res["rmcp scan"]
fast = res["rmcp scan --isa gfx1010 --isa-no-hazards"] - scan
full = res["rmcp scan --isa gfx1010"] - scan
hz = full - fast
oracle = res["rmcp scan --isa gfx1010 --isa-oracle --isa-no-hazards"] - scan
print(f"{sys.argv[3]}: {insns} instructions in gfx1030 kernels; plain scan median {scan*1000:.1f} ms")
print(f"  oracle (LLVM 19 LLVM-C, baseline)  {oracle:8.3f} s  {insns/oracle/1e6:8.2f} M inst/s")
print(f"  fast path (data/isa/gfx10_table.c) {fast:8.3f} s  {insns/fast/1e6:8.2f} M inst/s")
print(f"  hazard detectors (isa_hazard*.c)   {hz:8.3f} s  {insns/max(hz, 1e-9)/1e6:8.2f} M inst/s")
print(f"  fast path + hazards                {full:8.3f} s  {insns/full/1e6:8.2f} M inst/s")
print(f"  ratio oracle / fast {oracle/fast:.0f}x, oracle / (fast + hazards) {oracle/full:.0f}x")
PY

# The check itself, in one process (bench/isa_engines.c): no start-up, no rendering of the
# 12,591 kernels' text, the three modes interleaved run by run.
build=$(dirname "$rmcp")
if meson compile -C "$build" isa_engines >/dev/null 2>&1 && [ -x "$build/bench/isa_engines" ]; then
	RMCP_BENCH_JSON="$here/results/isa-engines.json" "$build/bench/isa_engines" "$file" gfx1010 "$runs" "$oracle_runs"
else
	echo "bench/isa.sh: $build/bench/isa_engines not built (meson compile -C $build isa_engines)" >&2
fi
