"""What isolation this machine gives a sandbox, found once per process, and how a result says
which layers were in effect.

The layers, outermost first (docs/isolation.md tells what each holds, as root and not):
- bubblewrap: namespaces (mount, PID, network, IPC, UTS, cgroup; user when not root), so the
  submission sees only the interpreter and its own folder and no other process, and dies
  with the grader;
- seccomp: system calls that bypass the other layers are refused;
- uid separation: as root, each sandbox runs as a uid of its own; otherwise all sandboxes
  share this user's uid, each in a user and PID namespace of its own;
- cgroups (where delegated): one memory and process budget for everything the sandbox holds;
- rlimits: address space, CPU, file size, open files, processes;
- the audit hook: clear messages for what a naive submission tries; not a wall.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass, field

from . import cgroups, seccomp_policy

ROOT_NAMESPACES = ("mount", "PID", "network", "IPC", "UTS", "cgroup")
USER_NAMESPACES = ("user",) + ROOT_NAMESPACES
NO_SANDBOX = ("audit hook only: a submission can escape (read what the grader can read, signal "
              "its processes, outlive it); install bubblewrap")


@dataclass(frozen=True)
class Isolation:
    """The layers in effect for one sandbox (or a machine), in words a report can show."""

    sandbox: bool                    # bubblewrap in use
    namespaces: tuple = ()
    seccomp: bool = False
    uid: str = ""                    # how the sandbox's uid is separated from others
    cgroups: str = ""                # "memory and pids limits", or why none
    missing: tuple = ()              # what is missing, and how to get it

    @property
    def full(self) -> bool:
        """Every layer that does not depend on the machine's cgroup setup."""
        return self.sandbox and self.seccomp and bool(self.namespaces)

    @property
    def level(self) -> str:
        if not self.sandbox:
            return "audit hook only"
        return "full" if self.full else "partial"

    def layers(self) -> list:
        if not self.sandbox:
            return ["rlimits", "audit hook"]
        out = [f"namespaces ({', '.join(self.namespaces)})"]
        out += ["seccomp"] if self.seccomp else []
        out += [self.uid] if self.uid else []
        out += [f"cgroups ({self.cgroups})"] if self.cgroups.startswith("memory") else []
        return out + ["rlimits", "audit hook"]

    def summary(self) -> str:
        """One line for a report, a CSV cell or a terminal."""
        if not self.sandbox:
            return NO_SANDBOX
        text = f"{self.level} isolation (bubblewrap): {', '.join(self.layers())}"
        if not self.cgroups.startswith("memory"):
            text += "; no cgroup limits"
        return text

    def meaning(self) -> str:
        if not self.sandbox:
            return ("The submission ran as the grader's own user with only resource limits and "
                    "an audit hook in its way; a determined submission can switch the hook off "
                    "and then read any file the grader can read, including the reference and "
                    "the grading secret, write into the grader's environment, signal other "
                    "processes and outlive the grader. Install bubblewrap (apt-get install "
                    "bubblewrap) and run `scratch-cnn doctor`.")
        text = ("The submission ran in a sandbox of its own: it saw only the Python interpreter "
                "and its own folder (no reference, no secret, no other student), no other "
                "process, and no network, and it died with the grader.")
        if not self.seccomp:
            text += (" Without seccomp, kernel interfaces the filter would refuse stay open "
                     "(memory outside its limit through memfd_create, for one).")
        if self.missing:
            text += " Missing: " + "; ".join(self.missing) + "."
        return text

    def to_dict(self) -> dict:
        return {"level": self.level, "summary": self.summary(), "layers": self.layers(),
                "meaning": self.meaning(), "missing": list(self.missing)}


@dataclass
class Machine:
    """What this machine offers, as this user (probed once per process)."""

    root: bool
    bwrap: str | None            # path of bwrap, if found
    bwrap_error: str = ""        # why a trial sandbox failed, if it did
    seccomp_error: str | None = None
    delegation: cgroups.Delegation = field(default_factory=lambda: cgroups.Delegation(None))

    @property
    def sandbox(self) -> bool:
        return self.bwrap is not None and not self.bwrap_error

    def isolation(self, sandbox=True, seccomp=True, cgroup_limits=True) -> Isolation:
        """The layers a sandbox gets here, with the layers a caller switched off removed."""
        missing = []
        if not self.sandbox:
            missing.append(self.sandbox_problem())
        if self.seccomp_error:
            missing.append(f"seccomp: {self.seccomp_error}")
        if not (sandbox and self.sandbox):
            return Isolation(False, missing=tuple(missing))
        limits = cgroup_limits and self.delegation.ok
        return Isolation(
            True, ROOT_NAMESPACES if self.root else USER_NAMESPACES,
            seccomp=seccomp and not self.seccomp_error,
            uid="own uid per sandbox" if self.root else
                "this user's uid, in a user and PID namespace of its own",
            cgroups="memory and pids limits" if limits else
                    f"none: {self.delegation.reason or 'switched off'}",
            missing=tuple(missing))

    def sandbox_problem(self) -> str:
        if self.bwrap is None:
            return "bubblewrap is not installed (apt-get install bubblewrap)"
        return (f"bubblewrap cannot make a sandbox here ({self.bwrap_error}); "
                + ("" if self.root else "unprivileged user namespaces may be disabled "
                   "(sysctl kernel.unprivileged_userns_clone=1, or "
                   "kernel.apparmor_restrict_unprivileged_userns=0), or run the grader as "
                   "root"))


def trial_command(bwrap: str, root: bool) -> list:
    """The smallest sandbox with the namespaces a real one uses."""
    flags = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
             "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
    if not root:
        flags = ["--unshare-user", "--disable-userns"] + flags
    else:
        flags += ["--cap-drop", "ALL"]
    return [bwrap, *flags, "--ro-bind", "/usr", "/usr", *system_links(), "--proc", "/proc",
            "--dev", "/dev", "/usr/bin/true"]


def system_links() -> list:
    """/bin, /lib... as the host has them: links into /usr (merged /usr) or read-only binds."""
    out = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            out += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            out += ["--ro-bind", path, path]
    return out


@functools.lru_cache(maxsize=1)
def machine() -> Machine:
    root = os.geteuid() == 0
    found = shutil.which("bwrap") or ("/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK)
                                      else None)
    error = ""
    if found:
        try:
            proc = subprocess.run(trial_command(found, root), capture_output=True, timeout=30,
                                  stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
            if proc.returncode != 0:
                error = proc.stderr.decode(errors="replace").strip()[-300:] or \
                    f"exit status {proc.returncode}"
        except (OSError, subprocess.TimeoutExpired) as exc:
            error = str(exc)
    return Machine(root, found, error, seccomp_policy.unavailable_reason(), cgroups.detect())
