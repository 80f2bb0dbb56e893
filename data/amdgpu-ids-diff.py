#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Print the rows of data/amdgpu-ids-fallback.tsv: entries of a newer libdrm amdgpu.ids that an
older one (the distribution's) lacks. A maintainer tool, not run by the build.

Usage: amdgpu-ids-diff.py NEW.ids OLD.ids > rows.tsv   (then paste under the header)
Both files are parsed as libdrm amdgpu_asic_id.c parse_one_line() does: '#' lines and blank
lines skipped, fields split at ',', device and revision hex, leading blanks of the name trimmed.
"""
import sys


def load(path):
    table = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split(",")
            if len(parts) < 3:
                continue  # the version line ("1.0.0")
            try:
                key = (int(parts[0], 16), int(parts[1], 16))
            except ValueError:
                continue
            table[key] = parts[2].lstrip(" \t")
    return table


def main():
    new, old = load(sys.argv[1]), load(sys.argv[2])
    for (dev, rev), name in sorted(new.items()):
        if (dev, rev) not in old:
            print("%04X\t%02X\t%s" % (dev, rev, name))


if __name__ == "__main__":
    main()
