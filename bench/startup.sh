#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/startup.sh [RMCP]: rmcp's start-up and I/O against named baselines, in one hyperfine run
# each (-N: no shell; warm page cache; medians):
#   1. `rmcp --version` and `rmcp scan` of a small file against /bin/true (the cost of being a
#      process at all). Goal (issue 11): `rmcp --version` within 1.5x of /bin/true.
#   2. `rmcp scan` of Debian's librocsparse (1.3 GB, 111 bundles) against
#      `llvm-readobj-22 --offloading`, both printing text. Goal: at least 100x faster.
#      `rmcp scan --json` of the same file is measured too (it builds and prints a
#      355 KB JSON document through json-c, which costs more than the scan itself).
# Then page faults and shared objects loaded per command (perf stat / LD_DEBUG), which is where
# start-up time goes. Needs hyperfine, perf (linux-perf), llvm-22, librocsparse0
# (scripts/deps.txt). Raw results: bench/results/startup-*.json (not committed).
set -eu
rmcp=${1:-build/rmcp}
readobj=${READOBJ:-llvm-readobj-22}
runs=${RUNS:-41}
big=${BIG:-/usr/lib/x86_64-linux-gnu/librocsparse.so.0.1}
small=${SMALL:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/results"
[ -x "$rmcp" ] || { echo "bench/startup.sh: $rmcp not built" >&2; exit 1; }
[ -f "$big" ] || { echo "bench/startup.sh: $big not found (apt-get install librocsparse0)" >&2; exit 1; }
if [ -z "$small" ]; then
	# A small real file with device code: the compiler-built test fixture if the tests ran,
	# else Debian's librocrand (25 MB, 1 bundle).
	for f in "$(dirname "$rmcp")/tests/fixtures-out/multi_lld.so" /usr/lib/x86_64-linux-gnu/librocrand.so.1.1; do
		[ -f "$f" ] && { small=$f; break; }
	done
fi
[ -n "$small" ] || { echo "bench/startup.sh: no small file to scan (set SMALL=FILE)" >&2; exit 1; }

report() {	# report JSON BASELINE: medians and ratios against the baseline command
	python3 - "$@" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res[sys.argv[2]]["median"]
print(f"  {sys.argv[2]:40s} median {base*1000:8.2f} ms  (baseline)")
for name, r in res.items():
    if name != sys.argv[2]:
        m = r["median"]
        print(f"  {name:40s} median {m*1000:8.2f} ms  {m/base:6.2f}x the baseline's time"
              f"  ({base/m:6.1f}x faster)")
PY
}

echo "start-up: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N --style basic --warmup 5 --runs "$runs" --export-json "$here/results/startup-small.json" \
	-n "/bin/true" "/bin/true" \
	-n "rmcp --version" "$rmcp --version" \
	-n "rmcp scan $(basename "$small")" "$rmcp scan $small" >/dev/null
report "$here/results/startup-small.json" "/bin/true"

echo "scan of $(basename "$big") ($(du -h "$big" | cut -f1)):"
hyperfine -N --style basic --warmup 3 --runs "$((runs / 2))" --export-json "$here/results/startup-big.json" \
	-n "llvm-readobj-22 --offloading" "$readobj --offloading $big" \
	-n "rmcp scan" "$rmcp scan $big" \
	-n "rmcp scan --json" "$rmcp scan --json $big" >/dev/null
report "$here/results/startup-big.json" "llvm-readobj-22 --offloading"

# Where the time goes: page faults (perf stat, median of 5) and shared objects mapped.
faults() {
	for _ in 1 2 3 4 5; do
		perf stat -x, -e page-faults,minor-faults,major-faults "$@" 2>&1 >/dev/null |
			awk -F, '$3 == "page-faults" { print $1 }'
	done | sort -n | sed -n 3p
}
if perf stat -e page-faults true >/dev/null 2>&1; then
	echo "page faults (median of 5):"
	printf '  %-40s %s\n' "/bin/true" "$(faults /bin/true)" \
		"rmcp --version" "$(faults "$rmcp" --version)" \
		"rmcp scan $(basename "$small")" "$(faults "$rmcp" scan "$small")" \
		"rmcp scan $(basename "$big")" "$(faults "$rmcp" scan "$big")"
else
	echo "page faults: perf stat unavailable (linux-perf not installed, or kernel.perf_event_paranoid)"
fi
libs=$(LD_DEBUG=files "$rmcp" --version 2>&1 >/dev/null |
	sed -n 's/.*file=\([^ ]*\) \[0\];  generating link map.*/\1/p' | tr '\n' ' ')
echo "shared objects rmcp --version maps: $(echo "$libs" | wc -w): $libs"
