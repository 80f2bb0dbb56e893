#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every libFuzzer target in FUZZ_BUILD for SECONDS each, seeded from the compiler-built
# test fixtures when they exist. A crash, leak, ASan or UBSan report fails the run; the
# reproducer is kept in FUZZ_BUILD/fuzz-artifacts/. Results: FUZZ_BUILD/fuzz-results.txt.
# Usage: run-fuzzers.sh FUZZ_BUILD SECONDS [FIXTURES_DIR]
set -eu
build=$1
secs=$2
fixtures=${3:-build/tests/fixtures-out}
out=$build/fuzz-results.txt
: >"$out"
mkdir -p "$build/fuzz-artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

seed() { # seed NAME FILES...: copy existing small fixtures into the target's seed dir
	dir=$build/fuzz-seeds/$1
	shift
	mkdir -p "$dir"
	for f in "$@"; do
		[ -f "$fixtures/$f" ] && cp "$fixtures/$f" "$dir/" || true
	done
}
seed bundle bundle.co
seed ccob ccob_v2.co ccob_v3.co ccob_v1_zlib.co ccob_v2_zlib.co ccob_v3_zlib.co ccob_v1_zstd.co
seed codeobj raw_gfx1030.hsaco raw_gfx1010_cov5.hsaco raw_gfx90a_xnack.hsaco
seed scan multi_lld.so ccob_v3.so two_tu.so rdc.o bundle.co raw_gfx1030.hsaco
seed zip wheel/torch-2.5.1+rocm6.2-cp311-cp311-linux_x86_64.whl
seed kpack
seed facts facts-seeds/kfd facts-seeds/override facts-seeds/versionpy facts-seeds/amdgpu-ids facts-seeds/dmesg
seed isa isa/dot_gfx1030.co isa/classes_gfx1030.co raw_gfx1030.hsaco isa/hazards/plain.co isa/hazards/asm.co
seed preload_image bundle.co ccob_v2.co raw_gfx1030.hsaco
# fuzz_kb reads "key=value" fact lines ("--" starts the next GPU): one realistic document.
mkdir -p "$build/fuzz-seeds/kb"
printf 'env.override=valid\nenv.override.value=10.3.0\ngpu.gfx=gfx1010\ngpu.family=RDNA1\ngpu.gfx_effective=gfx1030\ngpu.family_effective=RDNA2\ngpu.isa_bad=3\n--\ngpu.gfx=gfx1100\n' \
	>"$build/fuzz-seeds/kb/override"
# fuzz_probe reads the probe child's record lines (src/lib/probe/probe.h).
mkdir -p "$build/fuzz-seeds/probe"
printf 'B hipinit\nE hipinit ok 0 12.5 -\nF gpu_arch gfx1010\nB conv2d\nE conv2d no-code-object 209 3.1 hipErrorNoBinaryForGpu\nD\nX 1 0 0 0\n' \
	>"$build/fuzz-seeds/probe/records"

status=0
for bin in "$build"/tests/fuzz/fuzz_*; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	corpus=$build/fuzz-corpus/$name
	mkdir -p "$corpus" "$build/fuzz-seeds/$name"	# libFuzzer stops on a missing directory
	log=$build/fuzz-$name.log
	printf 'fuzz %-8s %ss ... ' "$name" "$secs"
	if "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/fuzz-artifacts/$name-" -print_final_stats=1 \
		"$corpus" "$build/fuzz-seeds/$name" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok ($runs runs)"
		echo "$name ok $runs" >>"$out"
	else
		echo "FAILED (see $log)"
		tail -30 "$log" >&2
		echo "$name failed" >>"$out"
		status=1
	fi
done
exit $status
