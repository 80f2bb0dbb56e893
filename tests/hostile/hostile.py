#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile input corpus for rmcp (issue 13): every case is built here, at test time.

Each case runs rmcp on input an attacker or an unlucky machine can produce and checks that
rmcp answers with a clear per-file error and a documented exit status (0 ok, 3 no, 4 some
file unreadable; never a signal), within a memory budget, and that every --json output is
valid JSON: decoded with a strict UTF-8 decoder, parsed with python3's json, validated
against its schema in docs/ (offline, tests/integration/schemas.py).

Cases: special files (FIFO, character device, directory named .so, symlink loop, symlink
swapped during a walk), a file truncated while it is scanned, decompression bombs in wheels
(every zip method: stored, deflate and bzip2 inflate here; lzma, xz and zstd are members this
libzip may not read, which must be said, not skipped) and in CCOB (zlib and zstd), non-UTF-8
and control-character names (file names, bundle entry IDs).
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

RMCP = os.environ["RMCP_BIN"]
SRC = os.environ.get("RMCP_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import schemas  # noqa: E402

ROCRAND = "/usr/lib/x86_64-linux-gnu/librocrand.so.1.1"
VALIDATORS = schemas.validators(os.path.join(SRC, "docs"))
FAILURES = []
EXIT_OK, EXIT_NO, EXIT_USAGE, EXIT_IO = 0, 3, 2, 4


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print(f"FAIL: {what}", flush=True)
    return cond


def run(args, timeout=120, stdin=subprocess.DEVNULL):
    """Run rmcp under /usr/bin/time; (status, stdout bytes, stderr bytes, peak RSS in KB)."""
    fd, tpath = tempfile.mkstemp()
    os.close(fd)
    try:
        p = subprocess.run(["/usr/bin/time", "-o", tpath, "-f", "%M", RMCP] + args,
                           stdin=stdin, capture_output=True, timeout=timeout)
        with open(tpath) as f:
            lines = [ln for ln in f.read().split("\n") if ln.strip()]
        rss = int(lines[-1]) if lines and lines[-1].isdigit() else -1
        # /usr/bin/time reports a child killed by a signal as "Command terminated by signal N"
        signalled = any("terminated by signal" in ln for ln in lines)
        return (-1 if signalled else p.returncode), p.stdout, p.stderr, rss
    finally:
        os.unlink(tpath)


def strict_json(raw, schema, what):
    """Decode strictly (UTF-8, json), validate; the document, or None."""
    try:
        doc = json.loads(raw.decode("utf-8", errors="strict"))
    except (UnicodeDecodeError, ValueError) as e:
        check(False, f"{what}: output is not strict UTF-8 JSON: {e}")
        return None
    errs = schemas.errors(VALIDATORS[schema], doc)
    check(not errs, f"{what}: does not match docs/{schema}:\n{errs}")
    return doc


def scan_json(args, what, statuses=(EXIT_OK, EXIT_NO, EXIT_IO), rss_kb=None, timeout=120):
    st, out, err, rss = run(["scan", "--json"] + args, timeout=timeout)
    check(st in statuses, f"{what}: exit status {st} not in {statuses}; stderr {err[-300:]!r}")
    if rss_kb is not None:
        check(0 < rss <= rss_kb, f"{what}: peak RSS {rss} KB, budget {rss_kb} KB")
    return strict_json(out, "scan.schema.json", what)


def by_path(doc):
    return {f["path"]: f for f in doc["files"]} if doc else {}


# ---- special files ------------------------------------------------------------------------

def special_files(d):
    fifo = os.path.join(d, "pipe.so")
    os.mkfifo(fifo)
    doc = scan_json([fifo], "FIFO named on the command line", statuses=(EXIT_IO,), timeout=20)
    f = by_path(doc).get(fifo)
    check(f is not None and f.get("error"), f"FIFO: an error record, got {f}")
    # In a walk a FIFO is skipped, never opened (a FIFO with no writer would block).
    walk = os.path.join(d, "walk")
    os.mkdir(walk)
    os.mkfifo(os.path.join(walk, "lib.so"))
    os.mkdir(os.path.join(walk, "dir.so"))          # a directory named like a library
    shutil.copy(ROCRAND, os.path.join(walk, "dir.so", "librocrand.so"))
    os.symlink("loop2", os.path.join(walk, "loop1.so"))
    os.symlink("loop1.so", os.path.join(walk, "loop2"))
    doc = scan_json([walk], "walk with FIFO, directory named .so, symlink loop", timeout=20)
    paths = by_path(doc)
    check(os.path.join(walk, "dir.so", "librocrand.so") in paths,
          f"directory named .so is walked: {sorted(paths)}")
    # Named on the command line: a device and a symlink loop are clear errors.
    for p, what in (("/dev/zero", "character device"), (os.path.join(walk, "loop1.so"), "symlink loop")):
        doc = scan_json([p], what, statuses=(EXIT_IO,), timeout=20)
        f = by_path(doc).get(p)
        check(f is not None and f.get("error"), f"{what}: an error record, got {f}")


def symlink_swap(d):
    """A symlink flipped between a library and a directory while rmcp walks the tree."""
    root = os.path.join(d, "swap")
    os.makedirs(os.path.join(root, "sub"))
    shutil.copy(ROCRAND, os.path.join(root, "real.so"))
    os.mkfifo(os.path.join(root, "fifo"))           # swapped in between stat and open: no hang
    link = os.path.join(root, "flip.so")
    os.symlink("real.so", link)
    code = ("import os,sys,time\n"
            "l=sys.argv[1]; end=time.time()+float(sys.argv[2])\n"
            "while time.time()<end:\n"
            "  for t in ('sub','real.so','/etc','/dev/zero','fifo'):\n"
            "    n=l+'.new'\n"
            "    os.symlink(t,n); os.replace(n,l)\n")
    flipper = subprocess.Popen([sys.executable, "-c", code, link, "6"])
    try:
        for i in range(6):
            scan_json([root], f"walk while a symlink is swapped (run {i})", timeout=30)
            scan_json([link], f"symlink swapped while named (run {i})", timeout=30)
    finally:
        flipper.wait()


# ---- truncation during a scan --------------------------------------------------------------

def truncation(d):
    """`cp lib x.so; rmcp scan --isa gfx1010 x.so & sleep; truncate x.so` killed rmcp with
    SIGBUS (exit 135) 8 of 8 times. Here the cut comes at several moments; whatever the
    moment, rmcp must exit 0/3/4 with valid JSON, and say "changed" when it noticed."""
    x = os.path.join(d, "x.so")
    noticed = 0
    for delay in (0.0, 0.005, 0.01, 0.02, 0.04, 0.08):
        shutil.copy(ROCRAND, x)
        p = subprocess.Popen([RMCP, "scan", "--json", "--isa", "gfx1010", x],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        os.truncate(x, 4 << 20)
        out, err = p.communicate(timeout=120)
        check(p.returncode in (EXIT_OK, EXIT_NO, EXIT_IO),
              f"truncated after {delay}s: exit status {p.returncode} (SIGBUS is -7); {err[-200:]!r}")
        doc = strict_json(out, "scan.schema.json", f"truncated after {delay}s")
        if doc and b"changed while being read" in out:
            noticed += 1
    print(f"truncation: {noticed} of 6 runs saw the file change", flush=True)


# ---- zip bombs -----------------------------------------------------------------------------

def zip_member(name, method, data, usize, crc):
    """(local header + data, central entry) of one zip member, zip64 when sizes need it."""
    n = name.encode()
    z64 = usize >= 0xffffffff or len(data) >= 0xffffffff
    extra = struct.pack("<HHQQ", 1, 16, usize, len(data)) if z64 else b""
    us, cs = (0xffffffff, 0xffffffff) if z64 else (usize, len(data))
    local = struct.pack("<IHHHHHIIIHH", 0x04034b50, 45 if z64 else 20, 0, method, 0, 0x21,
                        crc, cs, us, len(n), len(extra)) + n + extra + data
    return local, (n, method, crc, cs, us, extra)


def write_zip(path, members):
    """members: [(name, method, compressed bytes, uncompressed size, crc32)]."""
    body, central = b"", b""
    for name, method, data, usize, crc in members:
        off = len(body)
        local, (n, m, c, cs, us, extra) = zip_member(name, method, data, usize, crc)
        body += local
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45 if extra else 20, 0, m,
                               0, 0x21, c, cs, us, len(n), len(extra), 0, 0, 0, 0, off) + n + extra
    eocd = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(members), len(members), len(central),
                       len(body), 0)
    with open(path, "wb") as f:
        f.write(body + central + eocd)


ELF_HEAD = b"\x7fELF\x02\x01\x01" + b"\0" * 57   # looks like a host library


def zeros_crc(size, head=ELF_HEAD):
    crc = zlib.crc32(head)
    chunk = b"\0" * (1 << 20)
    left = size - len(head)
    while left > 0:
        k = min(left, len(chunk))
        crc = zlib.crc32(chunk[:k], crc)
        left -= k
    return crc


def compress_zeros(c, size, head=ELF_HEAD):
    """head then zeros up to size bytes, through compressor c (zlib/bz2), 1 MiB at a time."""
    out = [c.compress(head)]
    chunk = b"\0" * (1 << 20)
    left = size - len(head)
    while left > 0:
        k = min(left, len(chunk))
        out.append(c.compress(chunk[:k]))
        left -= k
    out.append(c.flush())
    return b"".join(out)


def deflate_zeros(size):
    return compress_zeros(zlib.compressobj(9, zlib.DEFLATED, -15), size)   # raw deflate (zip)


def bzip2_zeros(size):
    import bz2
    return compress_zeros(bz2.BZ2Compressor(9), size)


def zip_bombs(d):
    """A wheel member of 64 MiB of zeros is ~64 KB deflated and ~100 bytes in bzip2: past the
    1024:1 ratio of the decompression budget (src/lib/formats/budget.h). Before the budget, rmcp
    allocated the declared size and inflated it (a 957-byte bzip2 wheel took 1.06 GB)."""
    size = 64 << 20
    crc = zeros_crc(size)
    import lzma
    xz = lzma.compress(ELF_HEAD + b"\0" * (1 << 20), format=lzma.FORMAT_XZ)
    cases = {
        "deflate": (8, deflate_zeros(size), size, crc, "ratio limit"),
        "bzip2": (12, bzip2_zeros(size), size, crc, "ratio limit"),
        # A lying header: 1 KiB compressed declaring 1 TiB.
        "stored-lie": (0, ELF_HEAD + b"\0" * 960, 1 << 40, 0, "limit"),
        # Methods this libzip may lack (Debian 12's 1.7.3 reads 0, 8, 12): an error, not a skip.
        "xz": (95, xz, (1 << 20) + len(ELF_HEAD), zeros_crc((1 << 20) + len(ELF_HEAD)), None),
        "lzma": (14, xz, (1 << 20) + len(ELF_HEAD), zeros_crc((1 << 20) + len(ELF_HEAD)), None),
        "zstd": (93, b"\x28\xb5\x2f\xfd" + b"\0" * 16, size, crc, None),
    }
    for name, (method, data, usize, c, want) in cases.items():
        whl = os.path.join(d, f"bomb-{name}.whl")
        write_zip(whl, [(f"torch/lib/libbomb_{name}.so", method, data, usize, c),
                        ("torch/__init__.py", 0, b"", 0, 0)])
        doc = scan_json([whl], f"zip bomb {name} ({len(data)} bytes)", statuses=(EXIT_IO,),
                        rss_kb=48 << 10, timeout=60)
        m = by_path(doc).get(f"{whl}!/torch/lib/libbomb_{name}.so")
        err = (m or {}).get("error") or ""
        check(m is not None and err, f"zip bomb {name}: the member is an error record, got {m}")
        if want:
            check(want in err, f"zip bomb {name}: error names the limit: {err!r}")
        print(f"zip bomb {name}: {err}", flush=True)


# ---- CCOB bombs -----------------------------------------------------------------------------

def bundle_prefix(entry_size):
    """An uncompressed bundle header with one gfx1030 entry at 4096 of entry_size bytes."""
    eid = b"hipv4-amdgcn-amd-amdhsa--gfx1030"
    hdr = b"__CLANG_OFFLOAD_BUNDLE__" + struct.pack("<Q", 1) + struct.pack("<QQQ", 4096, entry_size, len(eid)) + eid
    return hdr + b"\0" * (4096 - len(hdr))


def ccob_bombs(d):
    usize = 256 << 20
    pre = bundle_prefix(usize - 4096)
    c = zlib.compressobj(9)
    z = [c.compress(pre)]
    chunk = b"\0" * (1 << 20)
    for _ in range((usize - 4096) >> 20):
        z.append(c.compress(chunk))
    z.append(c.flush())
    zpay = b"".join(z)
    cases = {"zlib": (0, zpay, usize)}
    if shutil.which("zstd"):
        p = subprocess.run(["zstd", "-19", "-c", "-q"], input=pre + b"\0" * (16 << 20),
                           capture_output=True, check=True)
        cases["zstd"] = (1, p.stdout, len(pre) + (16 << 20))
    else:
        check(False, "zstd(1) is needed to build the zstd CCOB bomb (scripts/deps.txt)")
    # And one that lies: declares 64 KiB, inflates to 256 MiB (never inflated past 64 KiB).
    cases["zlib-lie"] = (0, zpay, 64 << 10)
    for name, (method, pay, declared) in cases.items():
        total = 32 + len(pay)
        blob = b"CCOB" + struct.pack("<HHQQQ", 3, method, total, declared, 0) + pay
        path = os.path.join(d, f"bomb-{name}.hsaco")
        with open(path, "wb") as f:
            f.write(blob)
        doc = scan_json(["-v", path], f"CCOB bomb {name}", rss_kb=48 << 10, timeout=60)
        f = by_path(doc).get(path) or {}
        ratio = declared / max(1, len(pay))
        if ratio > 1024:
            check("ratio limit" in (f.get("error") or ""),
                  f"CCOB bomb {name} (ratio {ratio:.0f}): error names the ratio limit: {f.get('error')!r}")
        print(f"CCOB bomb {name}: ratio {ratio:.0f}: {f.get('error')}", flush=True)


# ---- names that are not text ----------------------------------------------------------------

def hostile_names(d):
    root = os.path.join(d, "names")
    os.mkdir(root)
    raw = b"lib\xff\xfe\n\x1b[31mFAKE: gfx1010 covered\x1b[0m.so"
    shutil.copy(ROCRAND, os.path.join(root.encode(), raw))
    # A bundle whose entry ID is not UTF-8 and carries an escape sequence.
    eid = b"hipv4-amdgcn-amd-amdhsa--gfx1030\xc3\x28\x1b]0;owned\x07"
    hdr = b"__CLANG_OFFLOAD_BUNDLE__" + struct.pack("<Q", 1) + struct.pack("<QQQ", 4096, 64, len(eid)) + eid
    with open(os.path.join(root, "weird.co"), "wb") as f:
        f.write(hdr + b"\0" * (4096 + 64 - len(hdr)))
    doc = scan_json(["-v", root], "non-UTF-8 and control-character names")
    if doc:
        want = os.path.join(root.encode(), raw)
        hits = [f for f in doc["files"] if f.get("path_raw") == want.hex()]
        check(len(hits) == 1, f"path_raw holds the raw file name: {[f.get('path_raw') for f in doc['files']]}")
        if hits:
            check(hits[0]["path"] == want.decode("utf-8", "replace"),
                  f"path is the name with U+FFFD for invalid bytes: {hits[0]['path']!r}")
    for args in (["-v", root], ["-v", "--isa", "gfx1010", root]):
        st, out, err, _ = run(["scan"] + args)
        check(st in (EXIT_OK, EXIT_NO, EXIT_IO), f"text scan {args}: exit {st}")
        check(b"\x1b" not in out and b"\x07" not in out, f"text scan {args}: raw escape sequence printed")
        check(not any(ln.startswith(b"\x1b[31mFAKE") or ln.startswith(b"FAKE") for ln in out.split(b"\n")),
              f"text scan {args}: a file name started a line of its own")
        check(b"\\xff\\xfe\\x0a\\x1b[31mFAKE" in out, f"text scan {args}: name shown escaped: {out[:300]!r}")
    # Errors on stderr name paths too.
    st, out, err, _ = run(["scan", os.path.join(root.encode(), b"missing\n\x1b[2J").decode("utf-8", "surrogateescape")])
    check(b"\x1b" not in err and err.count(b"\n") <= 2, f"stderr message escaped: {err!r}")


# ---- libraries opened on first use --------------------------------------------------------

def lazy_libraries(d):
    """libzip and libzstd are dlopen'ed on first use (src/lib/core/lazylib.h): `rmcp
    --version` loads neither (nor libcrypto/libbz2, which libzip pulls in), and a library
    missing at run time is a clear per-file error, not a failure to start."""
    env = dict(os.environ, LD_DEBUG="files")
    p = subprocess.run([RMCP, "--version"], capture_output=True, env=env, timeout=30)
    check(p.returncode == 0, f"rmcp --version: exit {p.returncode}")
    loaded = [ln for ln in p.stderr.decode(errors="replace").split("\n") if "file=" in ln and "[0];" in ln]
    for lib in ("libzip", "libzstd", "libcrypto", "libbz2"):
        check(not any(lib in ln for ln in loaded), f"rmcp --version loads {lib}: {[ln for ln in loaded if lib in ln]}")
    check(any("libc.so" in ln for ln in loaded), "LD_DEBUG=files shows what is loaded (libc)")
    # A wheel with a library where libzip and libzstd cannot be loaded.
    broken = os.path.join(d, "broken-libs")
    os.mkdir(broken)
    for so in ("libzip.so.4", "libzip.so.5", "libzstd.so.1"):
        with open(os.path.join(broken, so), "wb") as f:
            f.write(b"not an ELF file")
    whl = os.path.join(d, "w.whl")
    import zipfile
    with zipfile.ZipFile(whl, "w") as z:
        z.writestr("torch/lib/libx.so", ELF_HEAD)
    env = dict(os.environ, LD_LIBRARY_PATH=broken)
    p = subprocess.run([RMCP, "scan", "--json", whl], capture_output=True, env=env, timeout=30)
    check(p.returncode == EXIT_IO, f"wheel without libzip: exit {p.returncode}")
    doc = strict_json(p.stdout, "scan.schema.json", "wheel without libzip")
    err = (by_path(doc).get(whl) or {}).get("error") or ""
    check("cannot load libzip" in err, f"wheel without libzip: error says so: {err!r}")
    if shutil.which("zstd"):
        pre = bundle_prefix(64)
        z = subprocess.run(["zstd", "-c", "-q"], input=pre + b"\0" * 64, capture_output=True, check=True).stdout
        co = os.path.join(d, "z.hsaco")
        with open(co, "wb") as f:
            f.write(b"CCOB" + struct.pack("<HHQQQ", 3, 1, 32 + len(z), len(pre) + 64, 0) + z)
        p = subprocess.run([RMCP, "scan", "--json", co], capture_output=True, env=env, timeout=30)
        doc = strict_json(p.stdout, "scan.schema.json", "zstd bundle without libzstd")
        err = (by_path(doc).get(co) or {}).get("error") or ""
        check(p.returncode == EXIT_IO and "cannot load libzstd" in err,
              f"zstd bundle without libzstd: exit {p.returncode}, error {err!r}")
        p = subprocess.run([RMCP, "scan", "--json", co], capture_output=True, timeout=30)
        doc = strict_json(p.stdout, "scan.schema.json", "zstd bundle")
        f = by_path(doc).get(co) or {}
        check(p.returncode == EXIT_OK and f.get("targets") == ["gfx1030"],
              f"zstd bundle with libzstd: exit {p.returncode}, {f}")


def main():
    cases = [special_files, symlink_swap, truncation, zip_bombs, ccob_bombs, hostile_names,
             lazy_libraries]
    only = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="rmcp-hostile-") as d:
        for case in cases:
            if only and case.__name__ not in only:
                continue
            sub = os.path.join(d, case.__name__)
            os.mkdir(sub)
            print(f"== {case.__name__}", flush=True)
            try:
                case(sub)
            except Exception as e:  # a crash of the harness is a failure, not a pass
                check(False, f"{case.__name__}: {type(e).__name__}: {e}")
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        return 1
    print("all hostile cases passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
