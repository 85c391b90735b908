"""`scratch-cnn doctor`: what isolation this machine gives the grader, before grading anything.

It looks (bubblewrap, user namespaces, seccomp, cgroup delegation, root or not), then tries: a
tiny sandbox loads a probe submission, with the audit hook off, and reports what the probe
could do (its uid and pid, a file of the host, a new process, the network). Exit 0 when the
full isolation is in place (docs/isolation.md), 1 otherwise, with what to do about each gap.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from ..untrusted import visible
from . import isolation

PROBE = '''
import glob, os, socket, sys

def importable(names):
    """Forbidden packages installed in a package folder it sees and not replaced by the
    grader's refusing stub."""
    prefixes = {"/usr", "/usr/local", sys.prefix, sys.base_prefix, sys.exec_prefix}
    folders = {f for p in prefixes for pattern in ("lib/python3*/*-packages",
                                                   "lib/python3/dist-packages")
               for f in glob.glob(os.path.join(p, pattern))}
    found = []
    for folder in sorted(folders):
        for name in names:
            base = os.path.join(folder, *name.split("."))
            for path in (os.path.join(base, "__init__.py"), base + ".py"):
                try:
                    with open(path) as f:
                        start = f.read(200)
                except OSError:
                    continue
                if "is hidden while grading" not in start:
                    found.append(name + " in " + folder)
    return found

def probe(marker, forbidden):
    out = {"uid": os.getuid(), "pid": os.getpid(), "sees_host_file": os.path.exists(marker),
           "forbidden": "; ".join(importable(forbidden))}
    try:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        out["new_process"] = "started"
    except OSError as exc:
        out["new_process"] = "refused: " + exc.strerror
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=1).close()
        out["network"] = "reached 1.1.1.1"
    except OSError as exc:
        out["network"] = "unreachable: " + (exc.strerror or str(exc))
    return out
'''
DRIVER = '''
def probe(ns, params, arrays):
    return ns.probe(params["marker"], params["forbidden"])
'''


def configure(parser):
    parser.add_argument("-q", "--quiet", action="store_true", help="only the verdict")


def _line(ok, what, detail):
    mark = {True: "ok", False: "--", None: ".."}[ok]
    return visible(f"  [{mark}] {what}: {detail}")


def checks(machine) -> list:
    """[(ok or None for optional, what, detail)] from looking at the machine."""
    out = [(None, "user", "root: each sandbox gets a uid of its own" if machine.root else
            f"uid {os.getuid()}: sandboxes share it, each in a user and PID namespace of its "
            "own (as root, each would get a uid of its own)")]
    out.append((machine.bwrap is not None, "bubblewrap",
                machine.bwrap or "not installed: apt-get install bubblewrap (or your "
                "distribution's bubblewrap package)"))
    if machine.bwrap is not None:
        out.append((machine.sandbox, "a sandbox as this user",
                    "works" if machine.sandbox else machine.sandbox_problem()))
    if not machine.root:
        out.append((machine.sandbox, "unprivileged user namespaces", userns_settings()))
    out.append((machine.seccomp_error is None, "seccomp",
                "pyseccomp and libseccomp load" if machine.seccomp_error is None
                else machine.seccomp_error))
    out.append((None, "cgroup v2 limits (optional)",
                f"delegated: {machine.delegation.base}" if machine.delegation.ok else
                f"{machine.delegation.reason}; without them RLIMIT_AS and the size-capped "
                "folders bound memory (systemd-run --user --scope -p Delegate=yes gives them)"))
    return out


def userns_settings() -> str:
    """The kernel settings that allow (or forbid) user namespaces to ordinary users."""
    found = []
    for path, name in (("/proc/sys/user/max_user_namespaces", "user.max_user_namespaces"),
                       ("/proc/sys/kernel/unprivileged_userns_clone",
                        "kernel.unprivileged_userns_clone"),
                       ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
                        "kernel.apparmor_restrict_unprivileged_userns")):
        try:
            found.append(f"{name} = {Path(path).read_text().strip()}")
        except OSError:
            continue
    return "; ".join(found) or "no setting found"


def trial(machine) -> list:
    """Run the probe in a real sandbox; [(ok, what, detail)]."""
    from .sandbox import Sandbox, SandboxError

    folder = Path(tempfile.mkdtemp(prefix="scratch-cnn-doctor-"))
    try:
        marker = folder / "host-file"
        marker.write_text("the sandbox must not see this")
        (folder / "probe.py").write_text(PROBE)
        (folder / "drivers.py").write_text(DRIVER)
        try:
            with Sandbox(folder / "probe.py", folder / "drivers.py", timeout=10, guards=False,
                         copy_siblings=False, tmp_dir=folder) as box:
                result = box.call("probe", {"marker": str(marker),
                                            "forbidden": list(box.forbidden_modules)})
                started_pid = box.pid
        except (SandboxError, OSError, ValueError) as exc:
            return [(False, "a trial sandbox", f"could not start: {exc}")]
        if not result.ok:
            return [(False, "a trial sandbox", f"the probe failed: {result.error}")]
        seen = result.outputs
        # in a PID namespace of its own, its pid is not the one we started it as
        separate = seen["pid"] != started_pid and (seen["uid"] != 0 or not machine.root)
        return [
            (separate, "its identity", f"uid {seen['uid']}, pid {seen['pid']} as it sees them"),
            (not seen["sees_host_file"], "a file of the host",
             "visible" if seen["sees_host_file"] else "out of sight"),
            (seen["new_process"].startswith("refused"), "a new process", seen["new_process"]),
            (seen["network"].startswith("unreachable"), "the network", seen["network"]),
            (not seen["forbidden"], "forbidden packages (torch, scipy.signal, the reference...)",
             "hidden in every package folder it sees" if not seen["forbidden"] else
             "importable: " + seen["forbidden"] + " (a bug in scratch-cnn: please "
             "report it)"),
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args) -> int:
    machine = isolation.machine()
    lines = checks(machine)
    tried = trial(machine)
    full = machine.isolation().full and all(ok for ok, _, _ in tried)
    if not args.quiet:
        print("scratch-cnn doctor: the isolation this machine gives the grader")
        for ok, what, detail in lines:
            print(_line(ok, what, detail))
        print("a trial sandbox, with the audit hook off (what a determined submission meets):")
        for ok, what, detail in tried:
            print(_line(ok, what, detail))
    summary = machine.isolation().summary()
    verdict = "full isolation" if full else "NOT fully isolated"
    print(visible(f"verdict: {verdict}: {summary}"))
    if not full:
        for gap in machine.isolation().missing:
            print(visible(f"  to do: {gap}"), file=sys.stderr)
    return 0 if full else 1
