#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/soak.sh [BUILD]: issue 13's soak. ROUNDS rounds; in each, 8 `rmcp doctor` on the demo
# snapshot (examples/rx5600xt) and 8 preloaded HIP programs (librmcp.so's guard checking
# gfx1030 code on a gfx1010 under HSA_OVERRIDE_GFX_VERSION=10.3.0, three different code
# objects, against the test-double runtime of tests/stubs) run at once, all sharing one cache
# directory ($XDG_CACHE_HOME/rmcp: the scan cache and the ISA verdict cache). Every other
# round starts from an empty cache (every process writes), the others from a full one (every
# process reads while some rewrite). After each round bench/soak_check.c checks that every
# entry parses and matches its key and no temporary file is left; every doctor must give the
# same exit status and output as a lone run without any cache, every program the same guard
# lines as a lone run. Baseline for the time: the same 16 processes run one after another.
# Needs a build with -Dtests=enabled. Prints a summary; exit 0 only if nothing was corrupt.
set -eu
build=${1:-build}
rounds=${ROUNDS:-20}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "$build" && pwd)
rmcp=$build/rmcp
lib=$build/src/preload/librmcp.so
hip=$build/tests/preload/hip-out
meson compile -C "$build" bench/soak_check tests/preload/preload-hip.stamp >/dev/null 2>&1 ||
	meson compile -C "$build" soak_check >/dev/null
check=$build/bench/soak_check
for f in "$rmcp" "$lib" "$check" "$hip/ops_dot_1030" "$hip/ops_1030" "$hip/ops_1030z"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "bench/soak.sh: $f missing (meson test -C $build preload-guard builds the HIP programs)" >&2; exit 1; }
done
"$root/examples/assemble.sh" "$build/examples" >/dev/null
ex=$build/examples/rx5600xt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cache=$work/cache
mkdir -m 700 "$cache"
export XDG_CACHE_HOME="$cache" NO_COLOR=1 LC_ALL=C
unset RMCP_ISA_CACHE RMCP_LOG 2>/dev/null || true

doctor() { "$rmcp" doctor --sysroot "$ex" "$@"; }
prog() { # prog NAME OUT: a preloaded program, its guard lines (pid-free) into OUT
	env LD_PRELOAD="$lib" RMCP_GUARD=block RMCP_SYSROOT="$root/tests/fixtures/sysroots/rx5600xt" \
		HSA_OVERRIDE_GFX_VERSION=10.3.0 "$hip/$1" launch:dot launch:add 2>&1 >/dev/null |
		sed 's/^rmcp\[[0-9/]*\]//' | sort > "$2" || true
}
progs="ops_dot_1030 ops_1030 ops_1030z ops_dot_1030 ops_1030 ops_1030z ops_dot_1030 ops_1030"

# references, without any cache
set +e
XDG_CACHE_HOME=$work/none doctor --no-cache > "$work/doctor.ref" 2>&1
ref_status=$?
set -e
for p in ops_dot_1030 ops_1030 ops_1030z; do
	RMCP_ISA_CACHE=off prog "$p" "$work/$p.ref"
done

bad=0
t0=$(date +%s.%N)
i=0
while [ "$i" -lt "$rounds" ]; do
	[ $((i % 2)) -eq 0 ] && rm -rf "$cache/rmcp"
	j=0
	for p in $progs; do
		( set +e; doctor > "$work/d$j.out" 2>&1; echo $? > "$work/d$j.rc" ) &
		prog "$p" "$work/p$j.out" &
		j=$((j + 1))
	done
	wait
	j=0
	for p in $progs; do
		if [ "$(cat "$work/d$j.rc")" != "$ref_status" ] || ! cmp -s "$work/d$j.out" "$work/doctor.ref"; then
			echo "round $i: doctor $j differs from the reference" >&2
			bad=$((bad + 1))
		fi
		if ! cmp -s "$work/p$j.out" "$work/$p.ref"; then
			echo "round $i: $p differs from its reference:" >&2
			diff "$work/$p.ref" "$work/p$j.out" >&2 || true
			bad=$((bad + 1))
		fi
		j=$((j + 1))
	done
	if ! "$check" "$cache/rmcp" > "$work/check.out"; then
		echo "round $i: cache check failed:" >&2
		cat "$work/check.out" >&2
		bad=$((bad + 1))
	fi
	i=$((i + 1))
done
t1=$(date +%s.%N)
# baseline: one round's 16 processes one after another, from an empty cache
rm -rf "$cache/rmcp"
s0=$(date +%s.%N)
for p in $progs; do
	doctor > /dev/null 2>&1 || true
	prog "$p" "$work/seq.out"
done
s1=$(date +%s.%N)
echo "soak: $rounds rounds of 8 doctors + 8 preloaded programs on one cache directory"
cat "$work/check.out"
echo "corrupt or differing results: $bad"
awk -v a="$t0" -v b="$t1" -v c="$s0" -v d="$s1" -v r="$rounds" 'BEGIN {
	printf "concurrent round: %.2f s (mean of %d); the same 16 processes one after another: %.2f s\n",
		(b - a) / r, r, d - c }'
[ "$bad" -eq 0 ]
