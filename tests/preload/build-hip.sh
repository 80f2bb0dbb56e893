#!/bin/sh
# SPDX-License-Identifier: MIT
# build-hip.sh OUTDIR STAMP STUB5DIR STUB6DIR STUBHSADIR STUBWHEELDIR
#
# Builds the HIP programs the librmcp.so tests run, at test time, with clang-22 (so the
# registration calls and offload bundles come from the compiler) against Debian's real
# hip/hip_runtime_api.h. -nogpulib -nogpuinc: no ROCm device libraries are needed; -no-hip-rt:
# the runtime linked is only the one named below (a test double or Debian's real one), never
# whatever libamdhip64.so the linker would find by default.
#   ops_1030      device code for gfx1030 only          (test double libamdhip64.so.5)
#   ops_1010      gfx1010 and gfx1030                   (test double .so.5)
#   ops_1030z     gfx1030 only, --offload-compress: CCOB (test double .so.5)
#   ops_dot_1030  gfx1030 only, with a dot-product kernel gfx1010 cannot decode (.so.5)
#   ops_1010_v6   gfx1010, HIP 6.x entry points         (test double libamdhip64.so.6)
#   ops_1030_v6   gfx1030 only, HIP 6.x entry points    (test double .so.6)
#   libops_1030.so  the same as a shared object, for host_dlopen (RTLD_LOCAL/GLOBAL)
#   libops_wheel.so the same, linked to a renamed runtime (libamdhip64-0d8f3a.so.6)
#   libctor.so + prog_ctor  HIP calls from another library's constructor
#   ops_real      gfx1030, linked to Debian's REAL libamdhip64.so.5
#   host_dlopen   loads a HIP shared object RTLD_LOCAL or RTLD_GLOBAL, as Python does
#   nohip         no HIP runtime at all; finds hipHostMalloc by name
#   k1030.co (bundle), kb.co (bundle gfx1010+gfx1030), kz1030.co (CCOB), kraw1030.co (raw ELF)
# Requirements (Debian 12): clang-22, lld-22, clang-tools-22, libamdhip64-dev, libamdhip64-5.
set -eu
if [ $# -ne 6 ]; then
	echo "usage: $0 OUTDIR STAMP STUB5DIR STUB6DIR STUBHSADIR STUBWHEELDIR" >&2
	exit 2
fi
CLANG22=${CLANG22:-clang-22}
here=$(cd "$(dirname "$0")" && pwd)/hip
mkdir -p "$1"
out=$(cd "$1" && pwd)
stamp=$2
stub5=$(cd "$3" && pwd)
stub6=$(cd "$4" && pwd)
hsa=$(cd "$5" && pwd)
wheel=$(cd "$6" && pwd)
die() {
	echo "build-hip.sh: error: $*" >&2
	exit 1
}
command -v "$CLANG22" >/dev/null 2>&1 || die "'$CLANG22' not found (Debian: apt-get install clang-22)"
[ -f /usr/include/hip/hip_runtime_api.h ] || die "no hip/hip_runtime_api.h (apt-get install libamdhip64-dev)"
real=/usr/lib/x86_64-linux-gnu/libamdhip64.so.5
[ -f "$real" ] || die "no $real (apt-get install libamdhip64-5)"

TMPDIR=$out/.tmp
export TMPDIR
mkdir -p "$TMPDIR"
unset COMPRESSED_BUNDLE_FORMAT_VERSION OFFLOAD_BUNDLER_COMPRESS 2>/dev/null || true

HIP="-x hip -nogpulib -nogpuinc -no-hip-rt -O2 -fuse-ld=lld -Wno-deprecated-declarations -Wno-unused-value -Wno-unused-result"
# Link against a test double: -L/-rpath to its directory; the double's own DT_NEEDED
# libhsa-runtime64.so.1 is found through its RUNPATH, -rpath-link is for the linker.
stub() { echo "-L$1 -Wl,-rpath,$1 -Wl,-rpath-link,$hsa -lamdhip64 -ldl -lpthread"; }

# shellcheck disable=SC2046,SC2086  # flag lists are split on purpose
{
"$CLANG22" $HIP -DRMCP_OPS_MAIN --offload-arch=gfx1030 "$here/ops.hip" -o "$out/ops_1030" $(stub "$stub5")
"$CLANG22" $HIP -DRMCP_OPS_MAIN --offload-arch=gfx1010 --offload-arch=gfx1030 "$here/ops.hip" \
	-o "$out/ops_1010" $(stub "$stub5")
"$CLANG22" $HIP -DRMCP_OPS_MAIN --offload-compress --offload-arch=gfx1030 "$here/ops.hip" \
	-o "$out/ops_1030z" $(stub "$stub5")
"$CLANG22" $HIP -DRMCP_OPS_MAIN -DRMCP_OPS_DOT --offload-arch=gfx1030 "$here/ops.hip" \
	-o "$out/ops_dot_1030" $(stub "$stub5")
"$CLANG22" $HIP -DRMCP_OPS_MAIN --offload-arch=gfx1010 "$here/ops.hip" -o "$out/ops_1010_v6" \
	$(stub "$stub6")
"$CLANG22" $HIP -DRMCP_OPS_MAIN --offload-arch=gfx1030 "$here/ops.hip" -o "$out/ops_1030_v6" \
	$(stub "$stub6")
"$CLANG22" $HIP -shared -fPIC --offload-arch=gfx1030 "$here/ops.hip" -o "$out/libops_1030.so" \
	$(stub "$stub5")
"$CLANG22" $HIP -shared -fPIC --offload-arch=gfx1030 "$here/ops.hip" -o "$out/libops_wheel.so" \
	-L"$wheel" -Wl,-rpath,"$wheel" -Wl,-rpath-link,"$hsa" -l:libamdhip64-0d8f3a.so.6 -ldl -lpthread
"$CLANG22" -O2 "$here/host_dlopen.c" -o "$out/host_dlopen" -ldl
"$CLANG22" -O2 "$here/nohip.c" -o "$out/nohip" -ldl
"$CLANG22" -O2 -shared -fPIC "$here/libctor.c" -o "$out/libctor.so" -L"$out" -lops_1030 \
	-Wl,-rpath,"$out" -Wl,-rpath-link,"$stub5":"$hsa"
"$CLANG22" -O2 "$here/prog_ctor.c" -o "$out/prog_ctor" -L"$out" -lctor -lops_1030 \
	-Wl,-rpath,"$out" -Wl,-rpath-link,"$stub5":"$hsa"
# The real runtime: no rpath, the system's libamdhip64.so.5.
"$CLANG22" $HIP -DRMCP_OPS_MAIN --offload-arch=gfx1030 "$here/ops.hip" -o "$out/ops_real" \
	-L/usr/lib/x86_64-linux-gnu -l:libamdhip64.so.5 -ldl -lpthread
# Module-API images.
DEV="-x hip -nogpulib -nogpuinc -O2 --cuda-device-only"
"$CLANG22" $DEV --offload-arch=gfx1030 "$here/kernel.hip" -o "$out/k1030.co"
"$CLANG22" $DEV --offload-arch=gfx1010 --offload-arch=gfx1030 "$here/kernel.hip" -o "$out/kb.co"
"$CLANG22" $DEV --offload-compress --offload-arch=gfx1030 "$here/kernel.hip" -o "$out/kz1030.co"
"$CLANG22" $DEV --no-gpu-bundle-output --offload-arch=gfx1030 "$here/kernel.hip" \
	-o "$out/kraw1030.co"
}
rm -rf "$TMPDIR"
: >"$stamp"
