#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""help_check.py: every command's help comes from its one option table and matches the docs.

For every command `rmcp --help` lists (git's t0012-help habit):
  - `rmcp CMD -h`, `rmcp CMD --help` and `rmcp help CMD` exit 0 and print the same text,
    which starts with the command's synopsis ("usage: rmcp CMD ...");
  - the synopsis and the option list agree: every --option of the synopsis is listed under
    options, and every listed option is in the synopsis;
  - docs/rmcp.1's SYNOPSIS names only options the command has, and all of them unless it
    says "... options" (a group documented under OPTIONS);
  - README.md and docs/*.md show the synopsis exactly as --help prints it.
And `rmcp help` is `rmcp --help`; a mistyped command (`rmcp sacn`) is a usage error that
suggests the command (`rmcp scan`); a word far from every command suggests nothing.
Environment: RMCP_BIN, RMCP_SOURCE_ROOT (meson sets both).
"""
import glob
import os
import re
import subprocess
import sys

RMCP = os.environ["RMCP_BIN"]
ROOT = os.environ["RMCP_SOURCE_ROOT"]
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def run(*args):
    return subprocess.run([RMCP, *args], capture_output=True, text=True, timeout=60)


def commands():
    out = run("--help").stdout
    section = out.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in section.splitlines() if line.startswith("  ")]


def synopsis(help_text):
    """The usage lines, without "usage: " and the continuation indent."""
    lines = []
    for line in help_text.splitlines():
        if not line.strip():
            break
        lines.append(line[len("usage: "):] if not lines else line.strip())
    return lines


def long_options(text):
    return set(re.findall(r"--([a-z][a-z0-9-]*)", text))


def listed_options(help_text):
    """Options of the "options:" list: "  -s, --sysroot DIR" or "      --isa-oracle"."""
    return set(re.findall(r"^  (?:-., |    )--([a-z][a-z0-9-]*)", help_text, re.M))


def man_synopses():
    man = open(os.path.join(ROOT, "docs", "rmcp.1"), encoding="utf-8").read()
    block = man.split(".SH SYNOPSIS", 1)[1].split(".SH ", 1)[0]
    out = {}
    for part in block.split(".br"):
        m = re.search(r"^\.B rmcp (\w+)\s*$", part, re.M)
        if m:
            out[m.group(1)] = part.replace("\\-", "-").replace("\\&", "")
    return out


def doc_synopses():
    """(file, line number, lines) for every synopsis block in README.md and docs/*.md."""
    found = []
    for path in [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))):
        lines = open(path, encoding="utf-8").read().splitlines()
        for i, line in enumerate(lines):
            if re.match(r"rmcp [a-z]+ \[", line):
                block = [line]
                for cont in lines[i + 1:]:
                    if not re.match(r"^ {6,}\[", cont):
                        break
                    block.append(cont.strip())
                found.append((os.path.relpath(path, ROOT), i + 1, block))
    return found


def main():
    cmds = commands()
    check(len(cmds) >= 6, f"rmcp --help lists {len(cmds)} commands")
    top = run("--help")
    h = run("help")
    check(h.returncode == 0 and h.stdout == top.stdout, "rmcp help differs from rmcp --help")
    mans = man_synopses()
    docs = doc_synopses()
    helps = {}
    for c in cmds:
        short, long_, via_help = run(c, "-h"), run(c, "--help"), run("help", c)
        for name, r in (("-h", short), ("--help", long_), ("help", via_help)):
            check(r.returncode == 0, f"rmcp {c} {name}: exit {r.returncode}: {r.stderr.strip()}")
        check(short.stdout == long_.stdout, f"rmcp {c} -h differs from --help")
        check(via_help.stdout == long_.stdout, f"rmcp help {c} differs from rmcp {c} --help")
        text = long_.stdout
        helps[c] = text
        syn = synopsis(text)
        if not check(syn and syn[0].startswith(f"rmcp {c}"), f"rmcp {c} --help: no synopsis"):
            continue
        in_syn = long_options(" ".join(syn))
        listed = listed_options(text) - {"help"}
        check(in_syn == listed, f"rmcp {c}: synopsis and option list differ: "
              f"only in synopsis {sorted(in_syn - listed)}, only listed {sorted(listed - in_syn)}")
        man = mans.get(c)
        if check(man is not None, f"docs/rmcp.1 SYNOPSIS has no rmcp {c}"):
            in_man = long_options(man)
            check(in_man <= listed, f"docs/rmcp.1 SYNOPSIS of {c} names options it lacks: "
                  f"{sorted(in_man - listed)}")
            if "options\"" not in man and "options ]" not in man:
                check(listed <= in_man, f"docs/rmcp.1 SYNOPSIS of {c} lacks {sorted(listed - in_man)}")
        shown = [d for d in docs if d[2][0].startswith(f"rmcp {c} ")]
        for path, line, block in shown:
            check(block == syn, f"{path}:{line}: synopsis of rmcp {c} is not what --help prints:\n"
                  f"  doc:  {block}\n  help: {syn}")
        check(any(p == "README.md" for p, _, _ in shown), f"README.md shows no synopsis of rmcp {c}")

    for typo, want in (("sacn", "scan"), ("doctr", "doctor"), ("evn", "env")):
        for args in ((typo,), ("help", typo)):
            r = run(*args)
            check(r.returncode == 2, f"rmcp {' '.join(args)}: exit {r.returncode}, not 2")
            check("did you mean" in r.stderr and f"rmcp {want}\n" in r.stderr,
                  f"rmcp {' '.join(args)} does not suggest {want}: {r.stderr.strip()}")
            check(r.stdout == "", f"rmcp {' '.join(args)} wrote to stdout")
    r = run("xyzzy")
    check(r.returncode == 2 and "did you mean" not in r.stderr and "not a command" in r.stderr,
          f"rmcp xyzzy: {r.returncode} {r.stderr.strip()}")
    r = run("help", "scan", "extra")
    check(r.returncode == 2, "rmcp help scan extra is not a usage error")

    for f in failures:
        print("FAIL: " + f)
    print(f"help_check: {len(cmds)} commands, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
