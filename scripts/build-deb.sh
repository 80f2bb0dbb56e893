#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the Debian package from debian/ and lint it (docs/install.md).
#   scripts/build-deb.sh [OUTDIR]     (default: build-deb)
# Installs the packaging tools (scripts/deps.txt, category "package") when run as root, copies
# the source tree (tracked and untracked, not ignored, files) to OUTDIR/src so the checkout
# stays clean, runs dpkg-buildpackage -us -uc -b, then lintian on the result. Fails if the build
# fails or lintian reports an error; warnings and infos are printed and saved in
# OUTDIR/lintian.txt.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-build-deb}
case $out in /*) ;; *) out=$here/$out ;; esac

"$here/scripts/install-deps.sh" package

rm -rf "$out"
mkdir -p "$out/src"
if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$here" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$here" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
		(cd "$here" && tar --null -T - -cf -) | tar -C "$out/src" -xf -
else	# a release tarball: everything but build directories
	(cd "$here" && tar --exclude='./build' --exclude='./build-*' --exclude='./.git' -cf - .) |
		tar -C "$out/src" -xf -
fi

start=$(date +%s)
(cd "$out/src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed; log: $out/build.log" >&2
	exit 1
}
built=$(date +%s)
changes=$(ls "$out"/rmcp_*.changes)

# The package as installed: unpacked, its rmcp must use its own librmcp.so and schemas.
dpkg-deb -x "$out"/rmcp_*_amd64.deb "$out/root"
lib=$(cd "$out/root" && ls -d usr/lib/*/rmcp/librmcp.so)
"$out/root/usr/bin/rmcp" env --device gpu 2>/dev/null | grep -qF "LD_PRELOAD='$out/root/$lib'" || {
	echo "build-deb: the packaged rmcp env does not preload the packaged $lib" >&2
	exit 1
}
"$out/root/usr/bin/rmcp" doctor --help | grep -qF "$out/root/usr/share/rmcp/schemas/doctor.schema.json" || {
	echo "build-deb: the packaged rmcp doctor --help does not cite the packaged schema" >&2
	exit 1
}
if ls "$out"/root/usr/lib/*/librmcp* >/dev/null 2>&1; then
	echo "build-deb: librmcp in the public library directory" >&2
	exit 1
fi
rc=0
lintian --fail-on error --display-info --info "$changes" >"$out/lintian.txt" 2>&1 || rc=$?
done_t=$(date +%s)
cat "$out/lintian.txt"
echo "build-deb: $(ls "$out"/*.deb | xargs -n1 basename) built in $((built - start)) s," \
     "lintian $((done_t - built)) s: $(grep -c '^E:' "$out/lintian.txt" || true) errors," \
     "$(grep -c '^W:' "$out/lintian.txt" || true) warnings, $(grep -c '^I:' "$out/lintian.txt" || true) infos"
exit $rc
