#!/bin/sh
# SPDX-License-Identifier: MIT
# Peak memory and time of `rmcp scan` on a wheel with one 1.3 GB member (issue 12, item 4),
# against the baseline: the same rmcp scanning the same library on disk, in the same run.
# The wheel is built here from Debian's librocsparse with python3's zipfile (deflate level 1).
# Usage: bench/wheel.sh [build/rmcp] [other rmcp to compare, e.g. an older build]
set -eu
RMCP=${1:-build/rmcp}
OLD=${2:-}
LIB=/usr/lib/x86_64-linux-gnu/librocsparse.so.0.1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 - "$LIB" "$TMP/rocsparse.whl" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
    z.write(sys.argv[1], "torch/lib/librocsparse.so.0.1")
PY
echo "wheel: $(stat -c %s "$TMP/rocsparse.whl") bytes, member $(stat -c %s "$LIB") bytes"
measure() {	# label, rmcp, file: peak RSS (KB), CPU and wall time (s), the run of median CPU of 3
	for i in 1 2 3; do
		/usr/bin/time -f "%M %U %S %e" -o "$TMP/t" "$2" scan --json -v "$3" >/dev/null || [ $? -le 4 ]
		awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$TMP/t"
	done | sort -n -k2 | sed -n 2p | while read -r rss cpu secs; do
		printf '%-34s peak RSS %8d KB  CPU %7.2f s  wall %7.2f s\n' "$1" "$rss" "$cpu" "$secs"
	done
}
measure "rmcp scan, library on disk" "$RMCP" "$LIB"
measure "rmcp scan, wheel (1.3 GB member)" "$RMCP" "$TMP/rocsparse.whl"
if [ -n "$OLD" ]; then
	measure "$OLD, wheel" "$OLD" "$TMP/rocsparse.whl"
fi
