"""How a grading child is started: in a bubblewrap sandbox, or bare when there is none.

Inside the sandbox the child sees, read-only: /usr and the links into it, a few files of /etc,
the Python interpreter's own folders (its prefix and the virtual environment's), the harness
(/sandbox/harness: the child's modules, the protocol, the loader and its cells.py, the drivers)
and the staged
submission (/sandbox/submission). Writable: /sandbox/work, a tmpfs capped at the submission's
size plus the file-size limit (TMPDIR and HOME point there; there is no /tmp). Nothing else
of the host: not /tmp, /home, /root, this checkout, another student's folder. Every installed
copy of a forbidden package inside what it sees is covered by a read-only tmpfs holding only an
__init__.py that raises ImportError (an empty folder would still import, as a hollow namespace
package).

As root, bwrap runs privileged without a user namespace, keeps only CAP_SETUID and CAP_SETGID,
and the child drops to a uid of this sandbox's own before any student code runs (a user
namespace made by root would map the sandbox's uid to root). As another user, bwrap makes a user
namespace (and forbids nested ones); all sandboxes share this user's uid on the host, each in a
user and PID namespace of its own.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .isolation import system_links

HERE = Path(__file__).resolve().parent
CHILD_DIR = HERE / "child"
PROTOCOL_FILE = HERE / "protocol.py"
LOADER_FILE = HERE.parent / "loader.py"
CELLS_FILE = HERE.parent / "cells.py"  # the loader's sibling, which it loads by path
# Where the sandbox's own things are, inside it: under one folder that the interpreter's paths
# must not be in (checked).
SANDBOX_ROOT = "/sandbox"
HARNESS = f"{SANDBOX_ROOT}/harness"
WORKDIR = f"{SANDBOX_ROOT}/work"
SUBMISSION = f"{SANDBOX_ROOT}/submission"
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime")
# As root, sandbox k of grader pid p runs as UID_BASE + (p mod 2^22) * 64 + k: far above any
# account, distinct per concurrently running sandbox of this machine.
UID_BASE = 1 << 31
SLOTS_PER_GRADER = 64


def child_env(home: str) -> dict:
    """Nothing from our own environment: it may hold the grading secret or credentials."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": home,
            "TMPDIR": home, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1"}


class _UidSlots:
    def __init__(self):
        self.lock, self.used = threading.Lock(), set()

    def take(self) -> int:
        with self.lock:
            slot = next((k for k in range(SLOTS_PER_GRADER) if k not in self.used), None)
            if slot is None:
                raise RuntimeError(f"more than {SLOTS_PER_GRADER} sandboxes at once in one "
                                   "grader")
            self.used.add(slot)
        return UID_BASE + (os.getpid() % (1 << 22)) * SLOTS_PER_GRADER + slot

    def give_back(self, uid: int):
        with self.lock:
            self.used.discard((uid - UID_BASE) % SLOTS_PER_GRADER)


UID_SLOTS = _UidSlots()


@dataclass
class Launch:
    """Everything Popen needs, and what the child must be told about where things are."""

    argv: list
    env: dict
    cwd: str | None
    workdir: str                   # the child's working folder, as it sees it
    source: str | None             # the staged submission to copy there (None: work in it)
    loader: str
    drivers: str
    readable_files: list
    uid: int | None = None         # the uid the child drops to (as root, in a sandbox)
    host_uid: int | None = None    # the uid its processes have on the host
    pass_fds: tuple = ()
    close_after: list = field(default_factory=list)  # ours to close once the child started


HIDDEN_MODULE = ('raise ImportError("{name} is hidden while grading: a submission must not use '
                 'it")\n')


def _pipe_with(data: bytes) -> int:
    """The read end of a pipe holding `data` (small), closed for writing."""
    r, w = os.pipe()
    try:
        os.write(w, data)
    finally:
        os.close(w)
    return r


def interpreter_paths() -> list:
    """The folders the interpreter needs: its prefixes (the virtual environment's and the base
    installation's). Real paths, without one inside another."""
    paths = {os.path.realpath(p) for p in (sys.prefix, sys.exec_prefix, sys.base_prefix,
                                           sys.base_exec_prefix)}
    paths.add(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
    paths = sorted(p for p in paths if os.path.isdir(p))
    return [p for p in paths if not any(p != q and _inside(p, q) for q in paths)]


def _inside(path, folder) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _ancestors(paths) -> list:
    """Every folder above `paths` (not / itself), parents first."""
    found = set()
    for path in paths:
        parent = os.path.dirname(path)
        while parent not in ("/", ""):
            found.add(parent)
            parent = os.path.dirname(parent)
    return sorted(found, key=lambda p: (p.count("/"), p))


def module_dirs(name: str) -> set:
    """Every copy of a module the child could import, found without importing it: the one
    this process would import, and any other on the interpreter's own path (a package
    installed in site-packages while this process imports the checkout's, for instance)."""
    top, _, rest = name.partition(".")
    specs = []
    try:
        specs.append(importlib.util.find_spec(top))
    except (ImportError, ValueError):
        pass
    for entry in dict.fromkeys(p for p in sys.path if p and os.path.isdir(p)):
        try:
            specs.append(importlib.machinery.PathFinder.find_spec(top, [entry]))
        except (ImportError, ValueError):
            continue
    places = []
    for spec in filter(None, specs):
        places += list(spec.submodule_search_locations or []) or [spec.origin]
    if rest:
        places = [os.path.join(p, *rest.split(".")) for p in places if p]
        places += [p + ".py" for p in places]
    return {os.path.realpath(p) for p in places if p and os.path.exists(p)}


# Where Python packages are installed, below a prefix the sandbox shows (/usr, the virtual
# environment, the base installation it was made from): a submission can put any of these on
# sys.path itself, so every one is searched, not only the folders on the grader's path (a venv
# made from pyenv's Python does not list the base installation's site-packages, which may hold
# torch).
PACKAGE_DIR_PATTERNS = ("lib/python3*/site-packages", "lib/python3*/dist-packages",
                        "lib/python3/dist-packages", "local/lib/python3*/site-packages",
                        "local/lib/python3*/dist-packages", "lib64/python3*/site-packages")


def package_dirs(prefixes) -> list:
    """Every folder of installed packages below `prefixes`, real paths, each once."""
    found = []
    for prefix in prefixes:
        for pattern in PACKAGE_DIR_PATTERNS:
            found += [os.path.realpath(p) for p in Path(prefix).glob(pattern) if p.is_dir()]
    return list(dict.fromkeys(found))


def installed_copies(name, folders) -> set:
    """Paths of module `name` (dotted: a submodule) installed in `folders`: a package folder
    or a module file, found without importing anything."""
    parts = name.split(".")
    found = set()
    for folder in folders:
        base = os.path.join(folder, *parts)
        found |= {os.path.realpath(p) for p in (base, base + ".py") if os.path.exists(p)}
    return found


def forbidden_paths(modules, extra, tmp_dir) -> list:
    """Paths the child must not read: the forbidden packages, wherever they are installed in
    what the sandbox shows, and, in a source checkout, the whole checkout except the
    interpreter's environment and the temporary folder (its tests and .git hold the reference
    too)."""
    paths = {os.path.realpath(HERE.parent)}
    installed = package_dirs(["/usr", *interpreter_paths()])
    for name in modules:
        paths |= module_dirs(name) | installed_copies(name, installed)
    checkout = HERE.parent.parent
    if (checkout / "pyproject.toml").is_file():
        keep = [os.path.realpath(p) for p in (sys.prefix, sys.exec_prefix, tmp_dir)]
        for entry in checkout.iterdir():
            real = os.path.realpath(entry)
            if not any(_inside(k, real) for k in keep):
                paths.add(real)
    paths |= {os.path.realpath(p) for p in extra}
    return sorted(paths)


def bwrap_launch(bwrap, *, root, staged, work_bytes, drivers, hidden, seccomp_fd, fds,
                 wrap=None) -> Launch:
    """The sandboxed child: `staged` is the host folder holding the copied submission, `fds`
    the descriptors (request, result, inputs) it inherits, `hidden` the forbidden paths."""
    uid = UID_SLOTS.take() if root else None
    argv = [bwrap]
    if root:
        argv += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv += ["--unshare-user", "--disable-userns", "--uid", str(os.getuid()), "--gid",
                 str(os.getgid())]
    argv += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
             "--unshare-cgroup-try", "--hostname", "sandbox", "--die-with-parent",
             "--new-session", "--clearenv"]
    for key, value in child_env(WORKDIR).items():
        argv += ["--setenv", key, value]
    argv += ["--ro-bind", "/usr", "/usr", *system_links()]
    for path in ETC_FILES:
        argv += ["--ro-bind-try", path, path]
    binds = interpreter_paths()
    if any(_inside(path, SANDBOX_ROOT) for path in binds):
        raise OSError(f"the Python interpreter lives under {SANDBOX_ROOT}, where the sandbox "
                      "puts its own folders")
    # bwrap would make the folders above a bind mode 0700 (a pyenv Python under /root): the
    # uid a root sandbox drops to must traverse them
    for folder in _ancestors(binds + [SANDBOX_ROOT + "/x"]):
        argv += ["--perms", "0755", "--dir", folder]
    for path in binds:
        argv += ["--ro-bind", path, path]
    hiding_fds = []
    for path in hidden:
        if not any(_inside(path, b) for b in binds):
            continue  # not in the sandbox at all
        # An empty folder would still import, as a hollow namespace package: the package is
        # replaced by one whose __init__ refuses (a module file, by such a module).
        fd = _pipe_with(HIDDEN_MODULE.format(name=os.path.basename(path)).encode())
        hiding_fds.append(fd)
        if os.path.isdir(path):
            argv += ["--perms", "0555", "--tmpfs", path, "--perms", "0444", "--ro-bind-data",
                     str(fd), os.path.join(path, "__init__.py"), "--remount-ro", path]
        else:
            argv += ["--perms", "0444", "--ro-bind-data", str(fd), path]
    argv += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"]
    harness = {f"{HARNESS}/child": CHILD_DIR, f"{HARNESS}/protocol.py": PROTOCOL_FILE,
               f"{HARNESS}/loader.py": LOADER_FILE, f"{HARNESS}/cells.py": CELLS_FILE,
               f"{HARNESS}/drivers.py": drivers}
    for dest, src in harness.items():
        argv += ["--ro-bind", str(src), dest]
    argv += ["--ro-bind", staged, SUBMISSION,
             "--size", str(work_bytes), "--perms", "0777" if root else "0700",
             "--tmpfs", WORKDIR, "--chdir", WORKDIR]
    if seccomp_fd is not None:
        argv += ["--seccomp", str(seccomp_fd)]
    argv += ["--remount-ro", "/", "--", sys.executable, "-I", "-B", "-u",
             f"{HARNESS}/child/main.py", str(fds[0]), str(fds[1])]
    if wrap is not None:
        argv = wrap(argv)
    passed = tuple(fds) + tuple(hiding_fds) + ((seccomp_fd,) if seccomp_fd is not None else ())
    return Launch(argv, {"PATH": "/usr/bin:/bin"}, None, WORKDIR, SUBMISSION,
                  f"{HARNESS}/loader.py", f"{HARNESS}/drivers.py",
                  [str(p) for p in harness if p.endswith(".py")], uid=uid,
                  host_uid=uid if root else os.getuid(), pass_fds=passed,
                  close_after=hiding_fds)


def bare_launch(*, staged, drivers, fds) -> Launch:
    """The child without a sandbox: it works in the staged folder itself."""
    main = CHILD_DIR / "main.py"
    argv = [sys.executable, "-I", "-B", "-u", str(main), str(fds[0]), str(fds[1])]
    readable = [str(p) for p in (*CHILD_DIR.glob("*.py"), PROTOCOL_FILE, LOADER_FILE, CELLS_FILE,
                                 drivers)]
    return Launch(argv, child_env(staged), staged, staged, None, str(LOADER_FILE),
                  str(drivers), readable, host_uid=os.getuid(), pass_fds=tuple(fds))
