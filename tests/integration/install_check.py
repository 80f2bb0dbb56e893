#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`meson install --destdir` into a temporary directory, and the tree it leaves (docs/install.md).

- rmcp in <bindir>; librmcp.so in the private <libdir>/rmcp/, and no librmcp.so (or any other
  .so) in the public <libdir>;
- every docs/*.schema.json in <datadir>/rmcp/schemas, byte for byte, and the installed rmcp's
  JSON valid against the installed copies with an offline registry;
- the docs, the systemd example (with SuccessExitStatus=1 3) and the man page in place, and
  the units accepted by systemd-analyze verify;
- bash, zsh and fish completions where each shell looks for vendor completions;
- the installed rmcp uses its own files: `rmcp env` preloads the installed librmcp.so, --help
  cites the installed schema, and doctor's fix texts cite the installed docs.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import schemas
from tally import Tally

meson = os.environ["RMCP_MESON"]
build = os.environ["RMCP_BUILD_ROOT"]
src = os.environ["RMCP_SOURCE_ROOT"]
fx = os.environ["RMCP_FIXTURES"]

report = Tally()


def files_under(d):
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)


opts = {o["name"]: o["value"] for o in json.loads(subprocess.run(
    [meson, "introspect", build, "--buildoptions"], capture_output=True, text=True, check=True).stdout)}
prefix = opts["prefix"].lstrip("/")
tmp = tempfile.mkdtemp(prefix="rmcp-install-")
dest = os.path.join(tmp, "dest")
p = subprocess.run([meson, "install", "-C", build, "--destdir", dest, "--no-rebuild", "--quiet"],
                   capture_output=True, text=True)
report(p.returncode == 0, "meson install --destdir", p.stdout + p.stderr)
if p.returncode:
    sys.exit(1)
root = os.path.join(dest, prefix)
bindir, libdir = os.path.join(root, opts["bindir"]), os.path.join(root, opts["libdir"])
datadir = os.path.join(root, opts["datadir"])
rmcp = os.path.join(bindir, "rmcp")
print("installed:\n  " + "\n  ".join(files_under(dest)))

# binaries and the preload
report(os.access(rmcp, os.X_OK), f"rmcp in {opts['bindir']}")
preload = os.path.join(libdir, "rmcp", "librmcp.so")
report(os.path.isfile(preload), f"librmcp.so in {opts['libdir']}/rmcp/")
public = [f for f in os.listdir(libdir) if ".so" in f] if os.path.isdir(libdir) else []
report(not public, f"nothing like a shared library in the public {opts['libdir']}", public)
nm = subprocess.run(["nm", "-D", "--defined-only", preload], capture_output=True, text=True)
report(nm.returncode == 0 and " hipModuleLaunchKernel" in nm.stdout, "the installed librmcp.so exports its hooks",
       nm.stderr)

# schemas
schemadir = os.path.join(datadir, "rmcp", "schemas")
want = sorted(f for f in os.listdir(os.path.join(src, "docs")) if f.endswith(".schema.json"))
have = sorted(os.listdir(schemadir)) if os.path.isdir(schemadir) else []
report(have == want, f"every schema in {opts['datadir']}/rmcp/schemas", f"have {have}, want {want}")
for f in set(have) & set(want):
    with open(os.path.join(schemadir, f), "rb") as a, open(os.path.join(src, "docs", f), "rb") as b:
        report(a.read() == b.read(), f"installed {f} is docs/{f}")
validators = schemas.validators(schemadir)
env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "XDG_CACHE_HOME": os.path.join(tmp, "cache"), "NO_COLOR": "1"}
sysroot = os.path.join(fx, "sysroots", "rx5600xt")
for schema, args in (("doctor.schema.json", ["doctor", "--json", "--sysroot", sysroot]),
                     ("run.schema.json", ["env", "--json", "--device", "gpu", "--sysroot", sysroot]),
                     ("scan.schema.json", ["scan", "--json", os.path.join(fx, "wheel")])):
    p = subprocess.run([rmcp] + args, capture_output=True, text=True, env=env)
    try:
        err = schemas.errors(validators[schema], json.loads(p.stdout))
    except (ValueError, KeyError) as e:
        err = repr(e)
    report(not err, f"installed rmcp {args[0]} --json against the installed {schema}", err + p.stderr)

# docs, examples, man page
docdir = os.path.join(datadir, "doc", "rmcp")
for f in ("README.md", "json.md", "install.md", "root-cause.md", "examples/systemd/rmcp-doctor.service",
          "examples/systemd/rmcp-doctor.timer", "examples/systemd/README.md"):
    report(os.path.isfile(os.path.join(docdir, f)), f"{opts['datadir']}/doc/rmcp/{f}")
report(os.path.isfile(os.path.join(root, opts["mandir"], "man1", "rmcp.1")), "man page in man1")
service = os.path.join(docdir, "examples", "systemd", "rmcp-doctor.service")
if os.path.isfile(service):
    text = open(service).read()
    report("\nSuccessExitStatus=1 3\n" in text, "the service treats doctor's verdict exits 1 and 3 as success")
    if shutil.which("systemd-analyze"):
        # verify checks that ExecStart exists and that the man page named in Documentation=
        # opens: point both at the installed tree.
        units = os.path.join(tmp, "units")
        os.makedirs(units)
        for u in ("rmcp-doctor.service", "rmcp-doctor.timer"):
            t = open(os.path.join(docdir, "examples", "systemd", u)).read().replace("/usr/bin/rmcp", rmcp)
            open(os.path.join(units, u), "w").write(t)
        p = subprocess.run(["systemd-analyze", "verify", os.path.join(units, "rmcp-doctor.service"),
                            os.path.join(units, "rmcp-doctor.timer")], capture_output=True, text=True,
                           env=dict(env, MANPATH=os.path.join(root, opts["mandir"]), SYSTEMD_LOG_LEVEL="warning"))
        report(p.returncode == 0 and not p.stderr.strip(), "systemd-analyze verify accepts the units",
               p.stdout + p.stderr)
    else:
        report(False, "systemd-analyze is missing (Debian package systemd)")

# completions
for shell, path in (("bash", "bash-completion/completions/rmcp"), ("zsh", "zsh/vendor-completions/_rmcp"),
                    ("fish", "fish/vendor_completions.d/rmcp.fish")):
    f = os.path.join(datadir, path)
    report(os.path.isfile(f) and "sysroot" in open(f).read(), f"{shell} completion in {opts['datadir']}/{path}")

# the installed rmcp finds its own files
p = subprocess.run([rmcp, "env", "--device", "gpu", "--sysroot", sysroot], capture_output=True, text=True, env=env)
real = os.path.realpath(preload)
report(f"export LD_PRELOAD='{real}'" in p.stdout, "installed rmcp env preloads the installed librmcp.so",
       p.stdout + p.stderr)
p = subprocess.run([rmcp, "env", "--device", "gpu", "--memory", "coarse", "--sysroot", sysroot],
                   capture_output=True, text=True, env=env)
cited = os.path.join(os.path.realpath(os.path.join(datadir, "doc", "rmcp")), "memory-policy.md")
report(cited in p.stdout, f"installed rmcp env --memory cites {cited}", p.stdout + p.stderr)
p = subprocess.run([rmcp, "doctor", "--help"], capture_output=True, text=True, env=env)
report(os.path.join(os.path.realpath(schemadir), "doctor.schema.json") in p.stdout and " docs/" not in p.stdout,
       "installed rmcp doctor --help cites the installed schema", p.stdout)
p = subprocess.run([os.path.join(build, "rmcp"), "doctor", "--help"], capture_output=True, text=True, env=env)
report("schema: docs/doctor.schema.json" in p.stdout, "the build tree's rmcp cites docs/ in the source tree", p.stdout)
# amdgpu.mtype_local=1 on an RDNA GPU: the fix cites docs/root-cause.md
mtype = os.path.join(tmp, "mtype")
shutil.copytree(sysroot, mtype, symlinks=True)
with open(os.path.join(mtype, "sys", "module", "amdgpu", "parameters", "mtype_local"), "w") as f:
    f.write("1\n")
p = subprocess.run([rmcp, "doctor", "--json", "--no-cache", "--sysroot", mtype], capture_output=True, text=True, env=env)
fixes = [f["fix"] for f in json.loads(p.stdout)["findings"] if f["id"] == "mtype-local-rdna"] if p.stdout else []
cited = os.path.join(os.path.realpath(docdir), "root-cause.md")
report(len(fixes) == 1 and cited in fixes[0], f"doctor's fix text cites {cited}", f"{fixes}\n{p.stderr}")

shutil.rmtree(tmp)
report.exit()
