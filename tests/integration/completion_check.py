#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The generated shell completions (completions/gen-completions.py), run in each shell.

- drift: for every command, the long options bash completes after `rmcp CMD --` are exactly
  the ones its option table accepts (`RMCP_OPT('x', "name", ...` rows in the src/cli file
  defining cmd_<name>, plus --help), and the commands completed after `rmcp ` are the ones
  `rmcp --help` lists;
- bash: option names, --format/--device/--shell choices, directories after --sysroot, files
  after --output, commands after `rmcp run --`, files as scan's PATH;
- fish: the same questions through `complete -C`;
- zsh: the file parses (zsh -n) and names every option (zsh's completion system needs a
  terminal to drive, so it is not run).
"""
import glob
import os
import re
import subprocess
import tempfile

from tally import Tally

rmcp = os.environ["RMCP_BIN"]
src = os.environ["RMCP_SOURCE_ROOT"]
comp = os.environ["RMCP_COMPLETIONS"]
bash_file, zsh_file, fish_file = (os.path.join(comp, f) for f in ("rmcp", "_rmcp", "rmcp.fish"))

report = Tally()


def bash_complete(line):
    """COMPREPLY for the command line (the last word is the one being completed)."""
    words = line.split(" ")
    script = (f"source {bash_file}\nCOMP_WORDS=({' '.join(repr(w) for w in words)})\n"
              f"COMP_CWORD={len(words) - 1}\n_rmcp\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True)
    return set(x for x in p.stdout.split("\n") if x), p.stderr


def fish_complete(line):
    p = subprocess.run(["fish", "--no-config", "-c", f"source {fish_file}; complete -C '{line}'"],
                       capture_output=True, text=True)
    return set(x.split("\t")[0] for x in p.stdout.split("\n") if x), p.stderr


def getopt_longs(cmd):
    """The long options cmd_<cmd> accepts, from its option table in src/cli (opts.h:
    RMCP_OPT / RMCP_LONG_OPT rows; opts.c adds --help to every command)."""
    for path in glob.glob(os.path.join(src, "src", "cli", "**", "*.c"), recursive=True):
        text = open(path, encoding="utf-8").read()
        if re.search(rf"\bint cmd_{re.escape(cmd)}\s*\(", text):
            if "RMCP_PROFILE_OPT_ROWS," in text:	# rows run and env share (cmd.h)
                with open(os.path.join(src, "src", "cli", "cmd.h"), encoding="utf-8") as h:
                    text += h.read().split("#define RMCP_PROFILE_OPT_ROWS", 1)[1].split("\n\n", 1)[0]
            rows = re.findall(r"RMCP_(?:LONG_)?OPT\(\s*'.',\s*\"([a-z0-9-]+)\"", text)
            return {"--" + n for n in rows} | {"--help"} if rows else None
    return None


help_text = subprocess.run([rmcp, "--help"], capture_output=True, text=True).stdout
commands = re.findall(r"^  ([a-z][a-z0-9-]*)\s{2,}", help_text.split("commands:", 1)[1], re.M)
report(len(commands) >= 6, "rmcp --help lists the commands", help_text)
with tempfile.TemporaryDirectory() as tmp:
    os.makedirs(os.path.join(tmp, "somedir"))
    open(os.path.join(tmp, "somefile.txt"), "w").close()

    got, err = bash_complete("rmcp ")
    report(got == set(commands) | {"--help", "--version"}, "bash: rmcp <TAB> gives the commands", f"{got}\n{err}")
    for cmd in commands:
        want = getopt_longs(cmd)
        if want is None:
            report(False, f"no getopt table found for cmd_{cmd} in src/cli")
            continue
        got, err = bash_complete(f"rmcp {cmd} --")
        got.discard("--")  # rmcp run -- CMD: the end of rmcp's options, offered too
        report(got == want, f"bash: rmcp {cmd} --<TAB> gives exactly its getopt options",
               f"completion only: {sorted(got - want)}; getopt only: {sorted(want - got)}\n{err}")
        got, err = fish_complete(f"rmcp {cmd} --")
        report(got == want, f"fish: rmcp {cmd} --<TAB> gives exactly its getopt options",
               f"completion only: {sorted(got - want)}; getopt only: {sorted(want - got)}\n{err}")

    cases = [
        ("rmcp doctor --sy", {"--sysroot"}),
        ("rmcp doctor --format ", {"text", "json", "prometheus"}),
        ("rmcp run --device ", {"auto", "gpu", "cpu"}),
        ("rmcp env --shell ", {"sh", "fish"}),
        (f"rmcp doctor --sysroot {tmp}/", {f"{tmp}/somedir"}),
        (f"rmcp doctor --output {tmp}/some", {f"{tmp}/somedir", f"{tmp}/somefile.txt"}),
        (f"rmcp scan {tmp}/somef", {f"{tmp}/somefile.txt"}),
        ("rmcp run -- bas", None),  # commands: bash is one of them
        (f"rmcp run --device cpu python3 {tmp}/somef", {f"{tmp}/somefile.txt"}),
    ]
    for line, want in cases:
        got, err = bash_complete(line)
        ok = "bash" in got if want is None else got == want
        report(ok, f"bash: {line}<TAB>", f"got {sorted(got)[:10]}, want {want}\n{err}")
    for line, want in cases[:4] + cases[6:8]:
        got, err = fish_complete(line)
        # fish lists a directory with its trailing slash and files only as file completions
        got = {g.rstrip("/") for g in got}
        ok = "bash" in got if want is None else got == want
        report(ok, f"fish: {line}<TAB>", f"got {sorted(got)[:10]}, want {want}\n{err}")

p = subprocess.run(["zsh", "-n", zsh_file], capture_output=True, text=True)
report(p.returncode == 0, "zsh -n _rmcp", p.stderr)
ztext = open(zsh_file).read()
for cmd in commands:
    missing = sorted(o for o in (getopt_longs(cmd) or set()) if o not in ztext)
    report(not missing and f"\t{cmd})" in ztext, f"zsh: {cmd} and all its options are in _rmcp", missing)
p = subprocess.run(["bash", "-n", bash_file], capture_output=True, text=True)
report(p.returncode == 0, "bash -n rmcp", p.stderr)
p = subprocess.run(["fish", "--no-execute", fish_file], capture_output=True, text=True)
report(p.returncode == 0, "fish --no-execute rmcp.fish", p.stderr)
report.exit()
