#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/scan.sh [RMCP]: `rmcp scan` against `llvm-readobj-22 --offloading` (the baseline) on the
# same files in the same run: warm page cache, several runs each, median wall time, ratio.
# Needs hyperfine and llvm-22 (scripts/deps.txt). Results: bench/results/scan.json.
set -eu
rmcp=${1:-build/rmcp}
readobj=${READOBJ:-llvm-readobj-22}
runs=${RUNS:-15}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/results"
files=${FILES:-"/usr/lib/x86_64-linux-gnu/librocsparse.so.0.1 /usr/lib/x86_64-linux-gnu/librocrand.so.1.1"}

for f in $files; do
	[ -f "$f" ] || { echo "bench/scan.sh: $f not found (apt-get install librocsparse0 librocrand1)" >&2; exit 1; }
	name=$(basename "$f")
	json=$here/results/scan-$name.json
	hyperfine -N --style basic --warmup 3 --runs "$runs" --export-json "$json" \
		-n "rmcp scan --json" "$rmcp scan --json $f" \
		-n "rmcp scan --verbose --json" "$rmcp scan --verbose --json $f" \
		-n "llvm-readobj-22 --offloading" "$readobj --offloading $f" >/dev/null
	python3 - "$json" "$name" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res["llvm-readobj-22 --offloading"]["median"]
print(f"{sys.argv[2]}: baseline llvm-readobj-22 --offloading median {base*1000:.1f} ms")
for name in ("rmcp scan --json", "rmcp scan --verbose --json"):
    m = res[name]["median"]
    print(f"  {name:28s} median {m*1000:7.2f} ms   {base/m:6.1f}x faster")
PY
done
