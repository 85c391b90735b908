"""cgroup v2 limits for each sandbox, where the machine delegates them to the grader.

A cgroup caps what the other layers cannot see: memory the kernel holds for the sandbox (pipe
and socket buffers, the tmpfs folders), counted together, and the number of processes. It needs
the memory and pids controllers of a cgroup v2 hierarchy, in a group this user may write to,
whose subtree has (or may be given) those controllers: systemd gives that with
`systemd-run --user --scope -p Delegate=yes scratch-cnn grade ...`, a container runtime with a
cgroup namespace of its own. Elsewhere `detect` says why not, and the sandbox runs without
(RLIMIT_AS and the size-capped folders still bound the memory it can hold).

Paths are parameters so that the detection and the writing can be tested on a fake folder.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

CONTROLLERS = ("memory", "pids")
_counter = itertools.count()


@dataclass
class Delegation:
    base: Path | None  # the group under which sandboxes get groups of their own
    reason: str = ""   # why not, when base is None

    @property
    def ok(self) -> bool:
        return self.base is not None


def _cgroup2_mount(mountinfo: str) -> str | None:
    try:
        with open(mountinfo) as f:
            for line in f:
                fields = line.split()
                if " - " in line and line.split(" - ", 1)[1].split()[0] == "cgroup2":
                    return fields[4].replace("\\040", " ")
    except OSError:
        return None
    return None


def _own_group(proc_cgroup: str) -> str | None:
    try:
        with open(proc_cgroup) as f:
            for line in f:
                if line.startswith("0::"):
                    return line[3:].strip()
    except OSError:
        return None
    return None


def _words(path: Path) -> set:
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def detect(mountinfo="/proc/self/mountinfo", proc_cgroup="/proc/self/cgroup",
           root_prefix="") -> Delegation:
    """Whether sandboxes can get memory and pids limits here; `root_prefix` is prepended to the
    mount point read from `mountinfo` (a fake folder in tests)."""
    mount = _cgroup2_mount(mountinfo)
    if mount is None:
        return Delegation(None, "no cgroup v2 hierarchy is mounted")
    own = _own_group(proc_cgroup)
    if own is None:
        return Delegation(None, "this process is in no cgroup v2 group")
    here = Path(root_prefix + mount) / own.lstrip("/")
    if not here.is_dir():
        return Delegation(None, f"this process's cgroup v2 group ({here}) is not visible")
    offered = _words(here / "cgroup.controllers")
    missing = [c for c in CONTROLLERS if c not in offered]
    if missing:
        return Delegation(None, f"not delegated: the cgroup v2 group {here} offers "
                                f"{', '.join(sorted(offered)) or 'no controller'}, not "
                                f"{' and '.join(missing)} (they may be on cgroup v1 here)")
    if not all(os.access(p, os.W_OK) for p in (here, here / "cgroup.subtree_control",
                                                 here / "cgroup.procs")):
        return Delegation(None, f"not delegated: {here} is not writable by this user")
    enabled = _words(here / "cgroup.subtree_control")
    if not all(c in enabled for c in CONTROLLERS):
        try:
            (here / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in CONTROLLERS))
        except OSError as exc:
            return Delegation(None, f"not delegated: cannot enable {' and '.join(CONTROLLERS)} "
                                    f"for the groups below {here} ({exc.strerror}; a group "
                                    "that holds processes cannot: run the grader in a group "
                                    "of its own)")
    return Delegation(here)


class SandboxGroup:
    """One sandbox's cgroup: made with its limits, joined by the sandbox's first process (see
    `wrap`), removed when the sandbox is gone."""

    def __init__(self, delegation: Delegation, memory_bytes: int, max_pids: int):
        self.path = delegation.base / f"scratch-cnn-{os.getpid()}-{next(_counter)}"
        self.path.mkdir(mode=0o755)
        try:
            (self.path / "memory.max").write_text(str(memory_bytes))
            if (self.path / "memory.swap.max").exists():
                (self.path / "memory.swap.max").write_text("0")
            (self.path / "pids.max").write_text(str(max_pids))
        except OSError:
            self.remove()
            raise

    def wrap(self, command: list) -> list:
        """`command`, started so that it is in this group before it runs."""
        return ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(self.path),
                *command]

    def oom_killed(self) -> bool:
        try:
            for line in (self.path / "memory.events").read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == "oom_kill" and int(value) > 0:
                    return True
        except (OSError, ValueError):
            pass
        return False

    def remove(self):
        """rmdir the group (the kernel refuses while it holds a process: then it stays, and
        its limits with it)."""
        try:
            self.path.rmdir()
        except OSError:
            # In a real hierarchy the interface files do not stop rmdir; where they are plain
            # files (a hierarchy mounted by hand, a test's fake one) remove ours first.
            for name in ("memory.max", "memory.swap.max", "pids.max", "cgroup.procs"):
                try:
                    (self.path / name).unlink()
                except OSError:
                    pass
            try:
                self.path.rmdir()
            except OSError:
                pass
