#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Issue 13's process and file-system defects, each as the command a user runs.

Every case failed on the code before the fix (run this file with RMCP_BIN and
RMCP_PRELOAD_LIB pointing at an older build to see it): the names are the regression tests
the issue's closing note lists. `hardening_check.py NAME...` runs only those.

Needs RMCP_BIN, RMCP_PRELOAD_LIB, RMCP_FIXTURES, RMCP_STUB_HIP6_DIR, RMCP_STUB_HSA_DIR (set by
meson test). Real processes, real signals, real FIFOs; the only test double is the HIP
runtime of tests/stubs, told to hang (RMCP_STUB_BEHAVIOUR), since no AMD GPU is here.
"""
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time

FAILS = []


def need(name):
    v = os.environ.get(name)
    if not v:
        sys.exit(f"hardening_check: {name} is not set (meson test sets it)")
    return v


RMCP = need("RMCP_BIN")
PRELOAD = need("RMCP_PRELOAD_LIB")
SYSROOT = os.path.join(need("RMCP_FIXTURES"), "sysroots", "rx5600xt")
HIP6 = os.path.join(need("RMCP_STUB_HIP6_DIR"), "libamdhip64.so.6")
HSA_DIR = need("RMCP_STUB_HSA_DIR")
MIOPEN = os.path.join(need("RMCP_STUB_MIOPEN_DIR"), "libMIOpen.so.1")
TORCH_REL = "home/user/venv/lib/python3.11/site-packages/torch"
VENV_PYTHON = "/home/user/venv/bin/python3"


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def env(tmp, **extra):
    e = {"PATH": "/usr/bin:/bin", "HOME": tmp, "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
         "NO_COLOR": "1", "LC_ALL": "C"}
    e.update(extra)
    return e


def doctor(tmp, *args, **extra):
    return subprocess.run([RMCP, "doctor", "--sysroot", SYSROOT, *args], env=env(tmp, **extra),
                          capture_output=True, text=True, timeout=120)


# ---- defect 1: --output replaces only regular files ----

def doctor_output_refuses_special_files(tmp):
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    target = os.path.join(tmp, "target")
    with open(target, "w") as f:
        f.write("keep\n")
    link = os.path.join(tmp, "link")
    os.symlink(target, link)
    sub = os.path.join(tmp, "dir")
    os.mkdir(sub)
    before = sorted(os.listdir(tmp))
    for out in (fifo, link, sub, sub + "/"):
        r = doctor(tmp, "--format", "prometheus", "--output", out)
        check(r.returncode == 4, f"--output {out}: exit {r.returncode}, expected 4")
        check("not a regular file" in r.stderr, f"--output {out}: no clear error: {r.stderr!r}")
    check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced")
    check(stat.S_ISLNK(os.lstat(link).st_mode), "the symbolic link was replaced")
    check(open(target).read() == "keep\n", "the link's target was written")
    check(stat.S_ISDIR(os.lstat(sub).st_mode), "the directory was replaced")
    check(sorted(os.listdir(tmp)) == before, f"files left behind: {sorted(os.listdir(tmp))}")
    # a regular file is replaced whole, with no temporary file left
    out = os.path.join(tmp, "rmcp.prom")
    with open(out, "w") as f:
        f.write("old\n")
    r = doctor(tmp, "--format", "prometheus", "--output", out)
    check(r.returncode in (0, 1, 3), f"regular --output: exit {r.returncode}: {r.stderr}")
    text = open(out).read()
    check(text.startswith("# HELP") and "old" not in text, "report not written to the regular file")
    check(not [n for n in os.listdir(tmp) if ".tmp" in n], "temporary file left behind")


def doctor_output_stdout(tmp):
    for out in ("-", "/dev/stdout"):
        r = doctor(tmp, "--format", "prometheus", "--output", out)
        check(r.returncode in (0, 1, 3), f"--output {out}: exit {r.returncode}: {r.stderr}")
        check(r.stdout.startswith("# HELP"), f"--output {out}: report not on stdout")


def capture_output_refuses_links(tmp):
    """rmcp capture (issue 12) writes through the same helper: a link stays a link."""
    target = os.path.join(tmp, "target")
    with open(target, "w") as f:
        f.write("keep\n")
    link = os.path.join(tmp, "box.tar.gz")
    os.symlink(target, link)
    r = subprocess.run([RMCP, "capture", "--sysroot", SYSROOT, link], env=env(tmp),
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 4, f"capture over a link: exit {r.returncode}: {r.stderr}")
    check("not a regular file" in r.stderr, f"no clear error: {r.stderr!r}")
    check(stat.S_ISLNK(os.lstat(link).st_mode), "the link was replaced")
    check(open(target).read() == "keep\n", "the link's target was written")
    check(sorted(os.listdir(tmp)) == ["box.tar.gz", "target"], f"left behind: {os.listdir(tmp)}")


# ---- defect 9: caches in a directory others can write to are not used ----

def cache_refuses_shared_directory(tmp):
    shared = os.path.join(tmp, "cache", "rmcp")
    os.makedirs(shared)
    os.chmod(shared, 0o777)
    r = doctor(tmp)
    check(r.returncode in (0, 1, 3), f"doctor: exit {r.returncode}: {r.stderr}")
    check(r.stderr.count("running without the cache") == 1,
          f"expected one warning about the cache, got: {r.stderr!r}")
    check(os.listdir(shared) == [], f"wrote into the shared cache: {os.listdir(shared)}")
    # the user's own directory is used (the scan cache is written)
    os.chmod(shared, 0o700)
    r = doctor(tmp)
    check("cache" not in r.stderr, f"a warning for the user's own cache: {r.stderr!r}")


# ---- defect 5: run -r keeps stderr open until every writer closed it ----

def run_retry_keeps_stderr_until_eof(tmp):
    done = os.path.join(tmp, "writer-done")
    script = ("(sleep 0.6; echo late-line >&2; echo ok > '%s') & echo early-line >&2; exit 0" % done)
    r = subprocess.run([RMCP, "run", "--device", "gpu", "--guard", "off", "--retry-on-gpu-fault",
                        "--", "sh", "-c", script], env=env(tmp), capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
    check("early-line" in r.stderr, "the command's own line is missing")
    check("late-line" in r.stderr, f"the background writer's line is missing: {r.stderr!r}")
    for _ in range(100):
        if os.path.exists(done):
            break
        time.sleep(0.02)
    check(os.path.exists(done), "the background writer did not finish (SIGPIPE?)")


def run_retry_with_cpu_is_a_note(tmp):
    r = subprocess.run([RMCP, "run", "--device", "cpu", "-r", "--", "sh", "-c", "exit 7"],
                       env=env(tmp), capture_output=True, text=True, timeout=30)
    check(r.returncode == 7, f"exit {r.returncode}")
    check("--retry-on-gpu-fault does nothing with --device cpu" in r.stderr,
          f"no note about -r with --device cpu: {r.stderr!r}")


# ---- defect 6: nothing of the probe outlives rmcp ----

def gone(pid, seconds=3.0):
    """Dead, or a zombie (its parent, maybe init, has not reaped it yet)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.02)
    return False


def hanging_probe(tmp, cmd):
    pidfile = os.path.join(tmp, "helper.pid")
    if os.path.exists(pidfile):
        os.unlink(pidfile)
    e = env(tmp, LD_LIBRARY_PATH=HSA_DIR,
            RMCP_STUB_BEHAVIOUR="hang:hipMemcpy", RMCP_STUB_PIDFILE=pidfile)
    p = subprocess.Popen(cmd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(1000):
        if os.path.exists(pidfile) and open(pidfile).read().strip():
            break
        if p.poll() is not None:
            raise AssertionError(f"rmcp ended before the runtime hung: {p.stderr.read()!r}")
        time.sleep(0.01)
    helper = int(open(pidfile).read())
    return p, helper


def probe_signals_kill_the_runtime_group(tmp):
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL):
        p, helper = hanging_probe(tmp, [RMCP, "probe", "--no-cache", "--timeout", "60",
                                        "--hip", HIP6])
        os.kill(p.pid, sig)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            raise AssertionError(f"{sig.name}: rmcp probe did not end")
        check(p.returncode == -sig, f"{sig.name}: rmcp ended with {p.returncode}, not the signal")
        check(gone(helper), f"{sig.name}: the runtime's helper {helper} outlived rmcp")


def run_auto_signal_kills_the_probe_group(tmp):
    # a copy of the machine whose PyTorch bundles the test-double runtime (as test_run.c does)
    root = os.path.join(tmp, "machine")
    subprocess.run(["cp", "-a", SYSROOT, root], check=True)
    lib = os.path.join(root, TORCH_REL, "lib")
    subprocess.run(["cp", HIP6, os.path.join(lib, "libamdhip64.so")], check=True)
    subprocess.run(["cp", MIOPEN, os.path.join(lib, "libMIOpen.so")], check=True)
    p, helper = hanging_probe(tmp, [RMCP, "run", "--device", "auto", "--no-cache", "--sysroot",
                                    root, "--python", VENV_PYTHON, "--probe-timeout", "60", "--",
                                    "true"])
    os.kill(p.pid, signal.SIGTERM)
    p.wait(timeout=10)
    check(p.returncode == -signal.SIGTERM, f"rmcp run ended with {p.returncode}")
    check(gone(helper), "the probe's helper outlived rmcp run")


# ---- defects 7 and 8: librmcp.so's variables and log ----

def preloaded(tmp, under_timeout=False, **extra):
    """/bin/true with librmcp.so preloaded; under_timeout: as `timeout 5 /bin/true`, which
    is preloaded too (two processes, two start-ups)."""
    cmd = (["timeout", "5"] if under_timeout else []) + ["/bin/true"]
    return subprocess.run(cmd, env=env(tmp, LD_PRELOAD=PRELOAD, **extra), capture_output=True,
                          text=True, timeout=20)


def preload_refuses_overlong_paths(tmp):
    deep = os.path.join(tmp, "d" * 200, "e" * 200)
    os.makedirs(deep)
    long_log = os.path.join(deep, "x" * 200 + ".log")	# > 511 bytes; its first 511 name a file in deep
    check(len(long_log) > 511, "test path not long enough")
    r = preloaded(tmp, RMCP_LOG=long_log)
    check(r.returncode == 0, f"exit {r.returncode}")
    check(os.listdir(deep) == [], f"wrote a log under a cut name: {os.listdir(deep)}")
    check(r.stderr.count("RMCP_LOG") == 1 and "longer than 511 bytes" in r.stderr,
          f"no single refusal line on stderr: {r.stderr!r}")
    long_root = "/" + "s" * 600
    r = preloaded(tmp, RMCP_SYSROOT=long_root, RMCP_LOG="stderr")
    check("RMCP_SYSROOT" in r.stderr and "guard off" in r.stderr, f"sysroot refusal: {r.stderr!r}")
    check("guard=off" in r.stderr, f"the guard does not say it is off: {r.stderr!r}")
    r = preloaded(tmp, RMCP_ISA_CACHE="/" + "c" * 600)
    check("RMCP_ISA_CACHE" in r.stderr and "longer than 511 bytes" in r.stderr,
          f"ISA cache refusal: {r.stderr!r}")


def preload_log_fifo_does_not_hang(tmp):
    fifo = os.path.join(tmp, "log.fifo")
    os.mkfifo(fifo)
    t0 = time.monotonic()
    r = preloaded(tmp, under_timeout=True, RMCP_LOG=fifo)
    took = time.monotonic() - t0
    check(r.returncode == 0, f"a preloaded /bin/true with RMCP_LOG=FIFO: exit {r.returncode} "
          f"after {took:.1f} s (124: timeout)")
    check(took < 3, f"took {took:.1f} s")
    check("cannot open RMCP_LOG" in r.stderr, f"no warning: {r.stderr!r}")
    check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced")
    # a device node is refused too (it is not a regular file)
    r = preloaded(tmp, RMCP_LOG="/dev/null")
    check("cannot open RMCP_LOG=/dev/null: not a regular file" in r.stderr,
          f"/dev/null accepted as a log: {r.stderr!r}")


TESTS = [doctor_output_refuses_special_files, doctor_output_stdout, capture_output_refuses_links,
         cache_refuses_shared_directory,
         run_retry_keeps_stderr_until_eof,
         run_retry_with_cpu_is_a_note, probe_signals_kill_the_runtime_group,
         run_auto_signal_kills_the_probe_group, preload_refuses_overlong_paths,
         preload_log_fifo_does_not_hang]


def main():
    names = sys.argv[1:]
    chosen = [t for t in TESTS if not names or t.__name__ in names]
    if names and len(chosen) != len(names):
        sys.exit(f"unknown test in {names}")
    failed = 0
    for t in chosen:
        with tempfile.TemporaryDirectory(prefix="rmcp-hardening-") as tmp:
            try:
                t(tmp)
                print(f"ok   {t.__name__}")
            except Exception as e:	# an assertion, a timeout, a crash: all failures
                failed += 1
                print(f"FAIL {t.__name__}: {e}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
