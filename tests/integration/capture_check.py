#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""rmcp capture round trip, rmcp report and rmcp --version (issue 12).

For every sysroot fixture (tests/fixtures/sysroots, as built under fixtures-out) and the demo
snapshot (examples/, assembled by examples/assemble.sh): `rmcp capture --sysroot FIXTURE
X.tar.gz`, unpack with Python's tarfile (a reader independent of the libarchive that wrote
it), and `rmcp doctor --json` on the unpacked tree must give the same verdict, findings, GPUs
and software as on the fixture itself. The demo's capture must stay under 5 MB. Then the live
machine as nobody: under kernel.dmesg_restrict=1 the capture records that the kernel log was
denied, and the doctor on the capture says log-unreadable like the live doctor does.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

rmcp = os.environ["RMCP_BIN"]
fx = os.path.join(os.environ["RMCP_FIXTURES"], "sysroots")
demo = os.environ["RMCP_DEMO"]
venv = ["--python", "/home/user/venv/bin/python3"]
failed = passed = 0
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "NO_COLOR": "1"}


def report(ok, what, detail=""):
    global failed, passed
    if ok:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}\n{detail}")


def run(args, preexec=None, exe=None):
    return subprocess.run([exe or rmcp] + args, capture_output=True, text=True, env=ENV, preexec_fn=preexec)


def doctor(sysroot, extra, preexec=None, exe=None):
    args = ["doctor", "--json", "--no-cache"] + (["--sysroot", sysroot] if sysroot else []) + extra
    p = run(args, preexec, exe)
    if p.returncode not in (0, 1, 3):
        return None, f"rmcp {' '.join(args)}: exit {p.returncode}\n{p.stderr}"
    doc = json.loads(p.stdout)
    doc["facts"].pop("machine.sysroot", None)
    return doc, ""


def unpack(tgz, into):
    with tarfile.open(tgz, "r:gz") as t:
        names = t.getnames()
        tops = {n.split("/", 1)[0] for n in names}
        assert len(tops) == 1, f"one top directory expected, got {sorted(tops)[:5]}"
        for m in t.getmembers():
            assert not m.name.startswith("/") and ".." not in m.name.split("/"), m.name
        t.extractall(into, filter="tar") if hasattr(tarfile, "data_filter") else t.extractall(into)
    return os.path.join(into, tops.pop())


def differences(a, b):
    out = []
    for key in ("verdict", "findings", "gpus", "software", "facts"):
        if a.get(key) != b.get(key):
            if isinstance(a.get(key), dict) and isinstance(b.get(key), dict):
                for k in sorted(set(a[key]) | set(b[key])):
                    if a[key].get(k) != b[key].get(k):
                        out.append(f"  {key}.{k}: {a[key].get(k)!r} != {b[key].get(k)!r}")
            else:
                out.append(f"  {key}: {json.dumps(a.get(key))[:400]}\n  != {json.dumps(b.get(key))[:400]}")
    return out


def round_trip(name, sysroot, extra, max_bytes=None, preexec=None):
    work = tempfile.mkdtemp(prefix="rmcp-capture-")
    try:
        os.chmod(work, 0o755)
        tgz = os.path.join(work, name + ".tar.gz")
        # A user dropped to by preexec may not reach the build tree (a clone under a 0700
        # mktemp -d): run a copy of rmcp from the work directory it can read.
        exe = None
        if preexec:
            exe = os.path.join(work, "rmcp")
            shutil.copy2(rmcp, exe)
        before, err = doctor(sysroot, extra, preexec, exe)
        if before is None:
            report(False, f"{name}: doctor on the original", err)
            return None
        args = ["capture"] + (["--sysroot", sysroot] if sysroot else []) + extra + [tgz]
        if preexec:
            os.chmod(work, 0o777)
        p = run(args, preexec, exe)
        if p.returncode != 0:
            report(False, f"{name}: capture", f"exit {p.returncode}\n{p.stdout}{p.stderr}")
            return None
        size = os.path.getsize(tgz)
        tree = unpack(tgz, os.path.join(work, "unpacked"))
        after, err = doctor(tree, extra, preexec, exe)
        if after is None:
            report(False, f"{name}: doctor on the capture", err)
            return None
        diff = differences(before, after)
        report(not diff, f"{name}: same verdict, findings, GPUs, software and facts after capture "
               f"({size} bytes)", "\n".join(diff))
        if max_bytes is not None:
            report(size < max_bytes, f"{name}: capture {size} bytes < {max_bytes}")
        scan = os.path.join(tree, "rmcp-snapshot", "scan.tsv")
        return before, after, tree, open(scan).read() if os.path.exists(scan) else ""
    finally:
        shutil.rmtree(work, ignore_errors=True)


fixtures = sorted(d for d in os.listdir(fx) if os.path.isdir(os.path.join(fx, d)))
report(len(fixtures) >= 10, f"{len(fixtures)} sysroot fixtures found")
for name in fixtures:
    # --python is a path on the captured machine: only for fixtures that have the venv.
    has_venv = os.path.lexists(os.path.join(fx, name, "home/user/venv/bin/python3"))
    round_trip(name, os.path.join(fx, name), venv if has_venv else [])
# Secure Boot on and an amdgpu-dkms module installed (issue 9 facts) survive the trip too.
tmp = tempfile.mkdtemp(prefix="rmcp-sb-")
try:
    box = os.path.join(tmp, "rx5600xt")
    shutil.copytree(os.path.join(fx, "rx5600xt"), box, symlinks=True)
    efi = os.path.join(box, "sys/firmware/efi/efivars")
    os.makedirs(efi)
    with open(os.path.join(efi, "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"), "wb") as f:
        f.write(bytes([6, 0, 0, 0, 1]))
    rel = open(os.path.join(box, "proc/sys/kernel/osrelease")).read().strip()
    mod = os.path.join(box, "lib/modules", rel, "updates/dkms")
    os.makedirs(mod)
    with open(os.path.join(mod, "amdgpu.ko.xz"), "wb") as f:
        f.write(b"\xfd7zXZ\x00" + bytes(4096))
    res = round_trip("secure-boot-dkms", box, venv)
    if res:
        facts = res[1]["facts"]
        report(facts.get("machine.secure_boot") == "enabled" and facts.get("machine.amdgpu_module_installed") == "yes",
               "secure boot and the dkms module read back from the capture",
               {k: v for k, v in facts.items() if "secure" in k or "module" in k})
finally:
    shutil.rmtree(tmp, ignore_errors=True)
res = round_trip("demo-rx5600xt", os.path.join(demo, "rx5600xt"), [], max_bytes=5 * 1000 * 1000)
if res:
    # The demo's libraries are judged from the capture's records: each has a line there.
    libs = [l for l in res[3].splitlines() if l.startswith("/")]
    report(any("libtorch_hip.so\t" in l for l in libs) and len(libs) >= 10,
           f"demo: {len(libs)} scan results recorded, libtorch_hip.so among them")


def nobody():
    os.setgroups([])
    os.setresgid(65534, 65534, 65534)
    os.setresuid(65534, 65534, 65534)


restrict = open("/proc/sys/kernel/dmesg_restrict").read().strip()
if os.geteuid() == 0 and restrict == "1":
    res = round_trip("this-machine-as-nobody", None, [], preexec=nobody)
    if res:
        before, after = res[0], res[1]
        ids = lambda d: [f["id"] for f in d["findings"]]
        report("log-unreadable" in ids(before) and "log-unreadable" in ids(after),
               "as nobody: log-unreadable live and on the capture", f"{ids(before)} / {ids(after)}")
else:
    # Without root (or with dmesg_restrict=0) nothing here can deny the log for real.
    report(False, f"the live round trip needs root and kernel.dmesg_restrict=1 (euid {os.geteuid()}, "
                  f"dmesg_restrict {restrict})")

# rmcp report on the demo: the verdict, every finding of the doctor, data versions; and
# --redact removes the user's name and home.
sysroot = os.path.join(demo, "rx5600xt")
doc, err = doctor(sysroot, [])
p = run(["report", "--no-cache", "--sysroot", sysroot])
text = p.stdout
report(p.returncode == 0 and text.startswith("### rmcp report\n"), "report: Markdown block, exit 0",
       f"exit {p.returncode}\n{p.stderr}")
want = f"**GPU training: {doc['verdict']['gpu_training']}**"
report(want in text, f"report: has '{want}'")
missing = [f["id"] for f in doc["findings"] if f"`{f['id']}`" not in text]
report(doc["findings"] and not missing, f"report: all {len(doc['findings'])} findings of doctor --json", f"missing {missing}")
report("| data | rules " in text and "sha256:" in text and "| OS | Ubuntu 24.04.1 LTS |" in text and "(3.11)" in text,
       "report: data versions, OS from etc/os-release, Python version", text)
report("/home/alex/" in text, "report without --redact shows the home path")
p = run(["report", "--no-cache", "--redact", "--sysroot", sysroot])
report(p.returncode == 0 and "alex" not in p.stdout and "`~/.local/lib/python3.11/site-packages/torch`" in p.stdout,
       "report --redact: no user name, home shown as ~", p.stdout)
# Paths name the examined machine: a --python or --torch missing under --sysroot is a usage
# error in report and capture as in doctor, never a report of another machine.
for cmd in (["report"], ["capture", os.path.join(tempfile.gettempdir(), "rmcp-never-written.tar.gz")]):
    p = run(cmd + ["--sysroot", sysroot, "--python", "/nonexistent/bin/python3"])
    report(p.returncode == 2 and "not found under --sysroot" in p.stderr,
           f"{cmd[0]} --python missing under --sysroot: exit 2 and says where it looked",
           f"exit {p.returncode}\n{p.stderr}")
p = run(["--version"])
lines = p.stdout.splitlines()
feats = {l.split()[0]: l.split()[1] for l in lines if l.startswith("  ") and l.split()[1] in ("yes", "no")}
n_rules = len(json.load(open(os.path.join(os.environ["RMCP_SOURCE_ROOT"], "data", "kb", "rules.json")))["rules"])
report(lines and lines[0].startswith("rmcp ") and set(feats) == {"zstd", "libzip", "llvm", "libarchive"}
       and feats["libarchive"] == "yes" and any(l.split()[:3] == ["rules", str(n_rules), "rules,"] for l in lines),
       f"--version: features {feats}, {n_rules} rules", p.stdout)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
