#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages rmcp needs to build and test (scripts/deps.txt).
# As root: installs what is missing with apt-get. Otherwise: prints the apt-get line to run.
# Usage: scripts/install-deps.sh [build|test|package]
#   build: required, optional and demo; test (default): those and test;
#   package: build and package (scripts/build-deb.sh)
set -eu
here=$(dirname "$0")
want=${1:-test}
pkgs=$(awk -v want="$want" '
	/^#/ || NF < 2 { next }
	want == "build" && ($2 == "test" || $2 == "package") { next }
	want == "test" && $2 == "package" { next }
	want == "package" && $2 == "test" { next }
	{ print $1 }' "$here/deps.txt")

missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "rmcp: missing Debian packages:$missing" >&2
	echo "rmcp: install them with: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "rmcp: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
