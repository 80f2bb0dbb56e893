#!/bin/sh
# SPDX-License-Identifier: MIT
# assemble.sh OUTDIR: assemble the demo sysroot snapshots into OUTDIR/<name>/.
#
# The text half of a snapshot (sysfs, procfs, /etc, the kernel log, version files) is committed
# under examples/<name>/ as plain files. The binary half (shared libraries with GPU code, raw
# code objects, Tensile files, MIOpen kernel databases) is never committed: it is built here
# by clang from examples/hip/kernel.hip for each library's real target list, the approach of
# tests/fixtures/build-all.sh. No ROCm and no GPU are needed (-nogpulib -nogpuinc).
#
# Needs (Debian 12): clang-22, lld-22 and clang-tools-22 (clang-offload-bundler), python3.
# Override the compiler with CLANG=. Rebuilds only when a source is newer than the stamp.
set -eu
if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
CLANG=${CLANG:-clang-22}
PYTHON3=${PYTHON3:-python3}
mkdir -p "$1"
out=$(cd "$1" && pwd)
stamp=$out/.stamp

if [ -f "$stamp" ] && [ -z "$(find "$here" -newer "$stamp" -print -quit)" ]; then
	exit 0
fi
command -v "$CLANG" >/dev/null 2>&1 || {
	echo "assemble.sh: '$CLANG' not found: apt-get install clang-22 lld-22 clang-tools-22" >&2
	exit 1
}
case $out in *[[:space:]]*) echo "assemble.sh: OUTDIR must not contain whitespace" >&2; exit 1 ;; esac

work=$out/.work
rm -rf "$work"
mkdir -p "$work/tmp"
TMPDIR=$work/tmp
export TMPDIR
LC_ALL=C
export LC_ALL
unset COMPRESSED_BUNDLE_FORMAT_VERSION OFFLOAD_BUNDLER_COMPRESS HIP_PATH ROCM_PATH 2>/dev/null || true

# An empty libamdhip64.so so that clang's implicit -lamdhip64 resolves.
printf 'void rmcp_amdhip64_stub(void) {}\n' >"$work/stub.c"
"$CLANG" -shared -fPIC -nostdlib -o "$work/libamdhip64.so" "$work/stub.c"

# hiplib OUT KERNEL ARCH...: a host shared library whose .hip_fatbin has code for each ARCH.
hiplib() {
	o=$1
	k=$2
	shift 2
	archs=
	for a in "$@"; do archs="$archs --offload-arch=$a"; done
	mkdir -p "$(dirname "$o")"
	# shellcheck disable=SC2086
	"$CLANG" -x hip -nogpulib -nogpuinc -O2 -fPIC -shared -fuse-ld=lld -L"$work" \
		-DRMCP_EXAMPLE_KERNEL="$k" -cuid="$k" $archs "$here/hip/kernel.hip" -o "$o"
}

# hostlib OUT SONAME: a host-only library (the HIP runtime itself carries no device code).
hostlib() {
	mkdir -p "$(dirname "$1")"
	printf 'int rmcp_example_host(void) { return 0; }\n' >"$work/host.c"
	"$CLANG" -shared -fPIC -Wl,-soname,"$2" -o "$1" "$work/host.c"
}

# rawco OUT ARCH: a raw code object, as rocBLAS ships its Tensile kernels.
rawco() {
	mkdir -p "$(dirname "$1")"	# git keeps no empty directories: a fresh clone lacks it
	"$CLANG" -x hip -nogpulib -nogpuinc -O2 --offload-arch="$2" --offload-device-only \
		--no-gpu-bundle-output -DRMCP_EXAMPLE_KERNEL=rmcp_tensile_kernel "$here/hip/kernel.hip" -o "$1"
}

# ---- rx5600xt: RX 5600 XT (gfx1010), ROCm 6.2.4 from AMD, PyTorch 2.5.1+rocm6.2 wheel ----
name=rx5600xt
dst=$out/$name
rm -rf "$dst"
mkdir -p "$dst"
# cp -a keeps the committed symlinks (opt/rocm -> rocm-6.2.4, usr/bin/python3).
cp -a "$here/$name/." "$dst/"

# Target lists, from the projects' build scripts (research/binaries.md §3):
# the PyTorch 2.5 ROCm wheels (pytorch .ci/docker/manywheel/build.sh, PYTORCH_ROCM_ARCH) have no gfx101x,
# and no gfx1101 either: that first ships in torch 2.6 (pytorch#141667; data/support.tsv);
# AMD's rocBLAS is built for gfx1010/gfx1012 too (cgmb, ROCm/rocBLAS#1339); MIOpen and hipBLASLt are not.
WHEEL="gfx900 gfx906 gfx908 gfx90a gfx942 gfx1030 gfx1100"
ROCBLAS="gfx900 gfx906 gfx908 gfx90a gfx942 gfx1010 gfx1012 gfx1030 gfx1100 gfx1101 gfx1102"
MIOPEN="gfx900 gfx906 gfx908 gfx90a gfx942 gfx1030 gfx1100 gfx1101 gfx1102"
HIPBLASLT="gfx90a gfx942 gfx1100 gfx1101"

site=$dst/home/alex/.local/lib/python3.11/site-packages/torch
# shellcheck disable=SC2086
{
	hiplib "$site/lib/libtorch_hip.so" rmcp_torch_hip $WHEEL
	hiplib "$site/lib/libMIOpen.so" rmcp_miopen $WHEEL
	hiplib "$site/lib/librocblas.so" rmcp_rocblas $ROCBLAS
	hiplib "$site/lib/libhipblaslt.so" rmcp_hipblaslt $HIPBLASLT
	hostlib "$site/lib/libamdhip64.so" libamdhip64.so
	hostlib "$site/lib/libc10.so" libc10.so
}
rawco "$site/lib/rocblas/library/Kernels.so-000-gfx1030.hsaco" gfx1030

rocm=$dst/opt/rocm-6.2.4
# shellcheck disable=SC2086
{
	hiplib "$rocm/lib/librocblas.so.4.2" rmcp_rocblas $ROCBLAS
	hiplib "$rocm/lib/libMIOpen.so.1.0" rmcp_miopen $MIOPEN
	hostlib "$rocm/lib/libamdhip64.so.6.2.41134" libamdhip64.so.6
}
ln -sfn librocblas.so.4.2 "$rocm/lib/librocblas.so.4"
ln -sfn libMIOpen.so.1.0 "$rocm/lib/libMIOpen.so.1"
ln -sfn libamdhip64.so.6.2.41134 "$rocm/lib/libamdhip64.so.6"
rawco "$rocm/lib/rocblas/library/Kernels.so-000-gfx1010.hsaco" gfx1010

# Tensile index files and MIOpen kernel databases (SQLite), named as the projects name them.
"$PYTHON3" - "$site" "$rocm" "$WHEEL" "$ROCBLAS" "$HIPBLASLT" <<'PY'
import os, sqlite3, sys
site, rocm, wheel, rocblas, hipblaslt = sys.argv[1:6]
def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
def kdb(path):
    # MIOpen src/include/miopen/sqlite_db.hpp: an SQLite file with a kern_db table
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.remove(path)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE kern_db (id INTEGER PRIMARY KEY, kernel_name TEXT, kernel_args TEXT, "
                "kernel_blob BLOB, kernel_hash TEXT, uncompressed_size INT)")
    con.commit()
    con.close()
msgpack_map = b"\x82\xa7version\xa54.33\xa9solutions\x90"   # a msgpack map, like TensileLibrary_lazy_*.dat
# The wheel copies Tensile files filtered by its PYTORCH_ROCM_ARCH (pytorch .ci/manywheel/build_rocm.sh).
for a in wheel.split():
    write(f"{site}/lib/rocblas/library/TensileLibrary_lazy_{a}.dat", msgpack_map)
for a in hipblaslt.split():
    write(f"{site}/lib/hipblaslt/library/TensileLibrary_lazy_{a}.dat", msgpack_map)
for a in rocblas.split():
    write(f"{rocm}/lib/rocblas/library/TensileLibrary_lazy_{a}.dat", msgpack_map)
# MIOpen: <arch>_<CU>.kdb for CU <= 64, else <arch><hex CU> (MIOpen handle.hpp GetDbBasename)
for name in ("gfx1030_36", "gfx90a6e", "gfx1100_48"):
    kdb(f"{site}/share/miopen/db/{name}.kdb")
    kdb(f"{rocm}/share/miopen/db/{name}.kdb")
PY

rm -rf "$work"
: >"$stamp"
echo "assembled $dst"
