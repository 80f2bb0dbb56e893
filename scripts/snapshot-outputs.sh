#!/bin/sh
# SPDX-License-Identifier: MIT
# snapshot-outputs.sh BUILD OUTDIR: every command's output over every test fixture, so a
# refactoring (issue 11's folder move, a file split) can prove it changed no behaviour:
#   scripts/snapshot-outputs.sh build /tmp/before    # on the old tree
#   scripts/snapshot-outputs.sh build /tmp/after     # on the new tree
#   diff -r /tmp/before /tmp/after                   # must print nothing
# Covers doctor (json, text, prometheus), advise, env and probe over every sysroot
# (tests/fixtures/sysroots, the test-time sysroots with compiler-built libraries, the demo),
# and scan (json, verbose, --target, --isa) over every built fixture file and Debian's ROCm
# libraries. Each output file holds stdout, stderr and the exit status; the build and source
# directories are replaced by $BUILD and $SRC so two trees compare equal. Needs the fixtures
# built (meson test builds them; or `meson compile -C BUILD tests/fixtures.stamp`).
set -u
build=$(cd "$1" && pwd)
out=$2
src=$(cd "$(dirname "$0")/.." && pwd)
rmcp=$build/rmcp
fx=$build/tests/fixtures-out
[ -x "$rmcp" ] || { echo "snapshot-outputs: no $rmcp" >&2; exit 2; }
[ -d "$fx" ] || { echo "snapshot-outputs: no $fx (build the fixtures first)" >&2; exit 2; }
if [ ! -d "$build/examples/rx5600xt" ]; then
	"$src/examples/assemble.sh" "$build/examples" >/dev/null || exit 2
fi
mkdir -p "$out"
# A second tree may link its fixtures and demo to the first's: name them as its own.
fxr=$(readlink -f "$fx")
exr=$(readlink -f "$build/examples")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One command, one file: a clean environment (no cache, no HSA_OVERRIDE from the caller).
run() {
	name=$1
	shift
	env -i PATH=/usr/bin:/bin HOME="$tmp/home" XDG_CACHE_HOME="$tmp/cache" LANG=C.UTF-8 \
		timeout 120 "$rmcp" "$@" >"$tmp/o" 2>"$tmp/e" </dev/null
	rc=$?
	rm -rf "$tmp/cache"
	{
		echo "# rmcp $*" | sed "s#$build#\$BUILD#g; s#$src#\$SRC#g"
		echo "# exit $rc"
		# Durations and the time of the run change from run to run; nothing else may.
		# The probe's fingerprint hashes absolute paths, so it differs between two trees.
		sed "s#$fxr#$fx#g; s#$exr#$build/examples#g" "$tmp/o" |
			sed "s#$build#\$BUILD#g; s#$src#\$SRC#g" |
			sed -E 's/"(ms|elapsed_s|timestamp)": ?("[^"]*"|[0-9.e+-]+)/"\1":T/g;
				s/^(rmcp_last_run_timestamp_seconds[^ ]*) .*/\1 T/;
				s/"fingerprint": ?"[0-9a-f]*"/"fingerprint":H/'
		echo "# stderr"
		sed "s#$fxr#$fx#g; s#$exr#$build/examples#g" "$tmp/e" | sed "s#$build#\$BUILD#g; s#$src#\$SRC#g"
	} >"$out/$name.txt"
}

sysroots=$(ls -d "$src"/tests/fixtures/sysroots/*/ "$fx"/sysroots/*/ "$build"/examples/*/ 2>/dev/null)
for s in $sysroots; do
	s=${s%/}
	tag=$(echo "$s" | sed "s#$build/##; s#$src/##; s#/#_#g")
	run "doctor-json-$tag" doctor --sysroot "$s" --json --no-cache
	run "doctor-text-$tag" doctor --sysroot "$s" --no-cache --verbose
	run "doctor-prom-$tag" doctor --sysroot "$s" --format prometheus --no-cache
	run "advise-json-$tag" advise --sysroot "$s" --json --no-cache
	run "env-cpu-$tag" env --sysroot "$s" --device cpu --json
	run "env-gpu-$tag" env --sysroot "$s" --device gpu --json --no-cache
	run "env-sh-$tag" env --sysroot "$s" --device gpu --no-cache
	run "probe-json-$tag" probe --sysroot "$s" --json --no-cache --timeout 20
done

# Every built fixture file (not the sysroot trees: doctor reads those), one scan each.
find -H "$fx" -path "$fx/sysroots" -prune -o -type f -print | LC_ALL=C sort >"$tmp/files"
while read -r f; do
	tag=$(echo "$f" | sed "s#$fx/##; s#/#_#g")
	run "scan-json-$tag" scan --json --verbose "$f"
	run "scan-target-$tag" scan --target gfx1010 "$f"
done <"$tmp/files"
run "scan-dir-fixtures" scan --json "$fx"
for gfx in gfx1010 gfx1030; do
	run "scan-isa-$gfx" scan --isa "$gfx" --json "$fx"
done
for lib in /usr/lib/x86_64-linux-gnu/librocsparse.so.0.1 /usr/lib/x86_64-linux-gnu/librocrand.so.1.1; do
	[ -f "$lib" ] || continue
	tag=$(basename "$lib")
	run "scan-debian-$tag" scan --json --verbose "$lib"
	run "scan-debian-isa-$tag" scan --isa gfx1010 "$lib"
done
run "version" --version
run "help" --help
for c in scan doctor advise probe run env; do
	run "help-$c" "$c" --help
done
echo "snapshot-outputs: $(ls "$out" | wc -l) outputs in $out"
