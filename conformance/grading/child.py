"""The grading child: loads untrusted student code and calls drivers on it for the parent.

Run by conformance/grading/sandbox.py as `python -I -B -u child.py REQUEST_FD RESULT_FD PARENT_PID`.
STANDALONE: it imports only the standard library and NumPy, and loads the loader and the drivers
module by file path, because this project's packages are exactly what the submission must not
reach.

Sequence (each step before any student code runs, except the last two):
1. read the start frame (paths, names, limits) from the parent;
2. load loader.py and the drivers module, then forget them in sys.modules;
3. confine itself: its own mount, network and IPC namespaces when root (only the system folders
   and what the interpreter needs visible, the forbidden packages hidden, the working folder a
   size-capped tmpfs, no network), resource limits (no new process or thread), then drop to
   uid/gid 65534, forbid gaining privileges again, and die with the parent;
4. say "ready", install the audit-hook and import guards, load the submission, send the report;
5. serve "call" frames until "exit" or end of file; after each, put back the process-wide state
   the submission changed (Snapshot) and finalize its objects before answering.

Frames, both ways: 4-byte big-endian length of a JSON header, the header, then the raw .npy blobs
the header lists under "arrays" ([{"name", "nbytes"}], in order). The parent trusts nothing that
comes back: this process only tries to answer well; the parent validates.
"""

import builtins
import ctypes
import gc
import importlib.util
import io
import json
import os
import resource
import shutil
import signal
import struct
import sys
import time
import traceback
import types
import warnings

import numpy as np

_HEADER = struct.Struct(">I")
_MAX_LOGGED = 100  # refused attempts kept per message; a loop of attempts is summarised

# Bound now, so that a submission patching json or numpy cannot change how answers are sent.
_dumps, _loads = json.dumps, json.loads
_write_npy, _read_npy = np.lib.format.write_array, np.lib.format.read_array
_np_array, _ndarray = np.array, np.ndarray


# ---------------------------------------------------------------------------------------------
# Frames


class Channel:
    def __init__(self, read_fd, write_fd):
        self.read_fd, self.write_fd = read_fd, write_fd

    def _read_exact(self, n):
        chunks, left = [], n
        while left:
            chunk = os.read(self.read_fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError("the parent closed the request channel")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def read(self):
        (size,) = _HEADER.unpack(self._read_exact(_HEADER.size))
        header = _loads(self._read_exact(size).decode("utf-8"))
        blobs = {a["name"]: self._read_exact(a["nbytes"]) for a in header.get("arrays", [])}
        return header, blobs

    def write(self, header, arrays=None):
        blobs = []
        for name, arr in (arrays or {}).items():
            buf = io.BytesIO()
            _write_npy(buf, arr, allow_pickle=False)
            blobs.append((name, buf.getvalue()))
        header = dict(header, arrays=[{"name": n, "nbytes": len(b)} for n, b in blobs])
        data = _dumps(header, allow_nan=True).encode("utf-8")
        payload = b"".join([_HEADER.pack(len(data)), data] + [b for _, b in blobs])
        view = memoryview(payload)
        while view:
            view = view[os.write(self.write_fd, view):]


# ---------------------------------------------------------------------------------------------
# Confinement (runs as whoever started us, before any student code)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC = 0x00020000, 0x40000000, 0x08000000
# Top-level folders the child keeps as they are: the system. Every other one (/tmp, /var, /home,
# /root, /opt, /srv, /run, /mnt, the checkout's parents, ...) is replaced by an empty read-only
# folder that holds only the paths the interpreter and the submission need (_expose_only), so
# that a copy of the reference or of torch lying anywhere else, and every world-writable folder
# (/tmp, /var/tmp, /dev/shm), is out of reach even for a submission that disabled the audit hook.
_SYSTEM_FOLDERS = frozenset({"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc",
                             "dev", "sys", "proc"})
_WRITABLE_DEVICES = ("/dev/shm", "/dev/mqueue")
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
MNT_DETACH = 2


def _check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data=None):
    enc = [None if x is None else os.fsencode(x) for x in (source, target, fstype, data)]
    _check(_libc.mount(enc[0], enc[1], enc[2], flags, enc[3]), f"mount {target}")


def _needed_paths(cfg):
    """Folders the interpreter and the submission must still reach after dropping privileges."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable)), cfg["workdir"],
             os.path.dirname(np.__file__)}
    paths |= {p for p in sys.path if p and os.path.isdir(p)}
    return sorted({os.path.realpath(p) for p in paths})


def _blocked_for(path, uid, gid):
    """The first folder on `path` that uid/gid cannot search (or list, for `path` itself)."""
    parts = path.split(os.sep)
    for i in range(1, len(parts) + 1):
        folder = os.sep.join(parts[:i]) or os.sep
        try:
            st = os.stat(folder)
        except OSError:
            return folder
        shift = 6 if st.st_uid == uid else 3 if st.st_gid == gid else 0
        need = 0o1 | (0o4 if folder == path else 0)
        if (st.st_mode >> shift) & need != need:
            return folder
    return None


def _enter_namespaces(cfg, uid, gid):
    """Private mount (hide folders), network (no network at all) and IPC (no shared memory or
    message queues that outlive the child) namespaces."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC), "unshare")
    _mount("none", "/", None, MS_REC | MS_PRIVATE)  # nothing we mount leaks to the host
    needed = _needed_paths(cfg)
    if cfg["drop_privileges"]:
        # e.g. a pyenv Python under /root (mode 700): put an empty world-searchable tmpfs over
        # /root and bring back only the folders the interpreter needs.
        for _ in range(4):
            blocked = {b for b in (_blocked_for(p, uid, gid) for p in needed) if b}
            if not blocked:
                break
            for folder in sorted(blocked, key=len):
                _open_up(folder, [p for p in needed if p.startswith(folder + os.sep)], cfg)
    hidden = []
    for name in sorted(os.listdir("/")):
        top = os.path.join(os.sep, name)
        if name in _SYSTEM_FOLDERS or os.path.islink(top) or not os.path.isdir(top) \
                or top in needed:
            continue
        inside = [p for p in needed if p.startswith(top + os.sep)]
        _expose_only(top, inside)
        hidden.append(f"{top} (all but what the interpreter needs)" if inside else top)
    for path in _WRITABLE_DEVICES:
        if os.path.isdir(path) and not os.path.islink(path) and path not in needed:
            _expose_only(path, [p for p in needed if p.startswith(path + os.sep)])
            hidden.append(path)
    try:
        _private_workdir(cfg, uid, gid)
    except OSError as exc:
        hidden.append(f"(the working folder has no size limit: {exc})")
    for path in cfg["forbidden_paths"] + ["/proc"]:
        if not os.path.lexists(path):
            continue
        if any(n == path or n.startswith(path + os.sep) for n in needed):
            hidden.append(f"(not {path}: the interpreter needs it)")
            continue
        if os.path.isdir(path):
            # mode 000: not even listable (an empty folder would still import as a namespace
            # package, e.g. a hollow `torch`)
            _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "size=4k,mode=0000")
        else:
            _mount("/dev/null", path, None, MS_BIND)
        hidden.append(path)
    return hidden


def _expose_only(folder, inside):
    """Cover `folder` with an empty read-only tmpfs that shows only the paths in `inside`."""
    if not inside:
        _mount("tmpfs", folder, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
               "size=4k,mode=0000")
        return
    names = sorted({p[len(folder) + 1:].split(os.sep)[0] for p in inside})
    original = os.open(folder, os.O_PATH | os.O_DIRECTORY)  # still reachable once covered
    try:
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
        for name in names:
            source, target = f"/proc/self/fd/{original}/{name}", os.path.join(folder, name)
            if os.path.isdir(source):
                os.mkdir(target, 0o755)
            else:
                os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
            _mount(source, target, None, MS_BIND | MS_REC)
        _mount(None, folder, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    finally:
        os.close(original)
    for name in names:
        path = os.path.join(folder, name)
        deeper = [p for p in inside if p.startswith(path + os.sep)]
        if path not in inside and deeper:
            _expose_only(path, deeper)


def _private_workdir(cfg, uid, gid):
    """Put the working folder on a tmpfs of its own, holding a copy of what it held: what the
    submission writes is capped in size and number of files (a disk-filling loop fills only
    this), and it vanishes with the child."""
    workdir = cfg["workdir"]
    original = os.open(workdir, os.O_PATH | os.O_DIRECTORY)
    try:
        source = f"/proc/self/fd/{original}"
        used, files = 0, 0
        for dirpath, dirnames, filenames in os.walk(source):
            dirnames[:] = [d for d in dirnames if dirpath != source or d != ".mounts"]
            files += len(dirnames) + len(filenames)
            used += sum(os.lstat(os.path.join(dirpath, f)).st_size for f in filenames)
        size = used + cfg["file_bytes"] + (1 << 20)
        owner = f",uid={uid},gid={gid}" if cfg["drop_privileges"] else ""
        _mount("tmpfs", workdir, "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={size},nr_inodes={files + cfg.get('max_files', 10_000)},mode=0700{owner}")
        try:
            for entry in os.listdir(source):
                if entry == ".mounts":
                    continue
                src, dst = os.path.join(source, entry), os.path.join(workdir, entry)
                if os.path.isdir(src) and not os.path.islink(src):
                    shutil.copytree(src, dst, symlinks=True)
                else:
                    shutil.copy2(src, dst, follow_symlinks=False)
            if cfg["drop_privileges"]:
                for dirpath, dirnames, filenames in os.walk(workdir):
                    for name in dirnames + filenames:
                        os.lchown(os.path.join(dirpath, name), uid, gid)
        except OSError:
            _libc.umount2(os.fsencode(workdir), MNT_DETACH)  # back to the folder as it was
            raise
    finally:
        os.close(original)


def _open_up(folder, inside, cfg):
    children = sorted({p[len(folder) + 1:].split(os.sep)[0] for p in inside})
    if not children or folder == os.sep:
        return
    hold = os.path.join(cfg["workdir"], ".mounts")
    os.makedirs(hold, exist_ok=True)
    held = []
    for i, name in enumerate(children):
        spot = os.path.join(hold, f"{len(os.listdir(hold))}-{i}")
        os.mkdir(spot)
        _mount(os.path.join(folder, name), spot, None, MS_BIND | MS_REC)
        held.append((name, spot))
    _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
    for name, spot in held:
        os.mkdir(os.path.join(folder, name))
        _mount(spot, os.path.join(folder, name), None, MS_MOVE)
    _mount(None, folder, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def confine(cfg, parent_pid):
    """Namespaces, limits and privileges; returns notes for the parent's report."""
    notes = []
    root = os.geteuid() == 0
    uid, gid = cfg["uid"], cfg["gid"]
    if root and cfg["namespaces"]:
        try:
            hidden = _enter_namespaces(cfg, uid, gid)
            notes.append(f"network disabled; hidden from the submission: {', '.join(hidden)}")
        except OSError as exc:
            notes.append(f"no mount/network namespace ({exc}); the audit hook still refuses "
                         "reads of the hidden folders and network access")
    if not root:
        notes.append("not started by root: no namespaces and no separate user; the audit hook "
                     "alone keeps the submission from the hidden folders and the network")
    drop = root and cfg["drop_privileges"]
    if drop:
        blocked = sorted({b for b in (_blocked_for(p, uid, gid) for p in _needed_paths(cfg))
                          if b})
        if blocked:
            drop = False
            notes.append(f"still running as root: uid {uid} cannot reach {blocked[0]}, which "
                         "the interpreter needs, and it could not be exposed")
    limits = [(resource.RLIMIT_AS, cfg["memory_bytes"]), (resource.RLIMIT_CORE, 0),
              (resource.RLIMIT_FSIZE, cfg["file_bytes"]),
              (resource.RLIMIT_CPU, (cfg["cpu_load_seconds"], cfg["cpu_lifetime_seconds"]))]
    if drop or not root:  # root ignores RLIMIT_NPROC; for others it caps fork bombs
        limits.append((resource.RLIMIT_NPROC, cfg["max_processes"]))
    for which, value in limits:
        soft, hard = value if isinstance(value, (list, tuple)) else (value, value)
        resource.setrlimit(which, (soft, hard))
    if drop:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    os.umask(0o077)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")
    if os.getppid() != parent_pid:  # the parent died before PDEATHSIG was armed
        os._exit(3)
    return notes


# ---------------------------------------------------------------------------------------------
# Guards (audit hook and import finder), installed right before the submission is loaded

_KILLS_PROCESSES = ("os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                    "subprocess.Popen", "pty.spawn", "os.startfile")
_ALWAYS_REFUSED = dict.fromkeys(_KILLS_PROCESSES, "starting processes") | {
    "os.killpg": "sending signals to other processes",
    "sys.settrace": "tracing", "sys.setprofile": "profiling",
    "sys._settraceallthreads": "tracing", "sys._setprofileallthreads": "profiling",
    "sys.monitoring.register_callback": "monitoring callbacks",
    "sys._current_frames": "inspecting the grader's frames",
    "sys._current_exceptions": "inspecting the grader's frames",
    "gc.get_objects": "walking the heap", "gc.get_referrers": "walking the heap",
    "gc.get_referents": "walking the heap",
    "cpython.PyInterpreterState_New": "sub-interpreters (they have no audit hook)",
    "resource.prlimit": "changing resource limits",
    "_thread.start_new_thread": "starting threads",
    "sys.remote_exec": "remote execution",
    "webbrowser.open": "network access", "urllib.Request": "network access",
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# event -> (positions of paths that must lie in the working folder, positions of dir_fd args)
_MUTATIONS = {"os.remove": ((0,), (1,)), "os.rmdir": ((0,), (1,)),
              "os.rename": ((0, 1), (2, 3)), "os.link": ((0, 1), (2, 3)),
              "os.symlink": ((1,), (2,)), "os.mkdir": ((0,), (2,)), "os.chmod": ((0,), (2,)),
              "os.chown": ((0,), (3,)), "os.utime": ((0,), (3,)), "os.truncate": ((0,), ()),
              "os.chflags": ((0,), ()), "os.setxattr": ((0,), ()), "os.removexattr": ((0,), ()),
              "shutil.rmtree": ((0,), (1,))}


class Guards:
    """Refuses what a submission may not do, and remembers each attempt for the report."""

    def __init__(self, cfg):
        self.workdir = os.path.realpath(cfg["workdir"])
        self.modules = tuple(cfg["forbidden_modules"])
        self.paths = tuple(os.path.realpath(p) for p in cfg["forbidden_paths"]) + ("/proc",)
        self.readable = frozenset(os.path.realpath(p) for p in cfg["readable_files"])
        self.pid = os.getpid()
        self.log = []
        self.dropped = 0

    # -- bookkeeping
    def record(self, event, detail):
        if len(self.log) < _MAX_LOGGED:
            self.log.append({"event": event, "detail": str(detail)[:300]})
        else:
            self.dropped += 1

    def refuse(self, event, detail, what):
        self.record(event, detail)
        raise PermissionError(f"not allowed while grading: {what}")

    def drain(self):
        log, self.log = self.log, []
        if self.dropped:
            log.append({"event": "more", "detail": str(self.dropped)})
            self.dropped = 0
        return log

    # -- checks
    def forbidden_module(self, name):
        return isinstance(name, str) and any(name == m or name.startswith(m + ".")
                                             for m in self.modules)

    def inside_workdir(self, path):
        return path == self.workdir or path.startswith(self.workdir + os.sep)

    def forbidden_path(self, path):
        return path not in self.readable and any(path == p or path.startswith(p + os.sep)
                                                 for p in self.paths)

    @staticmethod
    def resolve(path):
        try:
            return os.path.realpath(os.fsdecode(os.fspath(path)))
        except (TypeError, ValueError, OSError):
            return None

    def audit(self, event, args):
        if event == "open":
            self.check_open(args)
        elif event == "import":
            if self.forbidden_module(args[0]):
                self.refuse("import", args[0], f"importing {args[0]}")
        elif event in _MUTATIONS:
            self.check_mutation(event, args)
        elif event in _ALWAYS_REFUSED:
            self.refuse(event, _short(args), _ALWAYS_REFUSED[event])
        elif event == "resource.setrlimit":
            if sys._getframe(1).f_code is not cpu_budget.__code__:  # only the harness's own
                self.refuse(event, _short(args), "changing resource limits")
        elif event == "os.kill":
            if args[0] != self.pid:
                self.refuse(event, args[0], "sending signals to other processes")
        elif event in ("os.listdir", "os.scandir"):
            path = self.resolve(args[0] if args and args[0] is not None else ".")
            if isinstance(args[0], int) or path is None:
                return
            if self.forbidden_path(path):
                self.refuse(event, path, f"listing {path}")
        elif event == "sqlite3.connect":  # SQLite writes files without Python's open()
            path = self.resolve(args[0]) if args[0] not in (":memory:", "") else self.workdir
            if path is None or not self.inside_workdir(path):
                self.refuse(event, args[0], "databases outside the working folder")
        elif event == "sys.addaudithook":
            self.record(event, "")
            raise RuntimeError("not allowed while grading: audit hooks")
        elif event.startswith(("socket.", "ctypes.")):
            what = "network access" if event.startswith("socket.") else "ctypes"
            self.refuse(event, _short(args), what)

    def check_open(self, args):
        path, mode, flags = args
        if isinstance(path, int):
            return  # an already open descriptor, checked when it was opened
        resolved = self.resolve(path)
        mode = mode if isinstance(mode, str) else ""
        writing = bool((flags or 0) & _WRITE_FLAGS) or any(c in mode for c in "wax+")
        if resolved is None:
            self.refuse("open", path, f"opening {path!r}")
        if writing:
            if not self.inside_workdir(resolved) and resolved != "/dev/null":
                self.refuse("open", resolved, f"writing {resolved} (only {self.workdir} is "
                            "writable)")
        elif self.forbidden_path(resolved):
            self.refuse("open", resolved, f"reading {resolved}")
        elif not self.inside_workdir(resolved) and os.path.isdir(resolved):
            # a folder descriptor would let dir_fd= open paths we never see resolved
            self.refuse("open", resolved, f"opening the folder {resolved}")

    def check_mutation(self, event, args):
        path_positions, dir_fd_positions = _MUTATIONS[event]
        relative_to_fd = any(i < len(args) and args[i] not in (None, -1)
                             for i in dir_fd_positions)
        for i in path_positions:
            if i >= len(args):
                continue
            raw = args[i]
            resolved = None if isinstance(raw, int) else self.resolve(raw)
            if resolved is None or not self.inside_workdir(resolved) or (
                    relative_to_fd and not os.path.isabs(os.fsdecode(raw))):
                self.refuse(event, raw, f"changing files outside {self.workdir}")

    # -- installation
    def install(self):
        for name in [m for m in sys.modules if self.forbidden_module(m)]:
            del sys.modules[name]  # already imported would bypass the import event
        guards = self

        class RefuseForbiddenImports:
            """Belt and braces: refuses even if the audit hook were somehow not consulted."""

            @staticmethod
            def find_spec(name, path=None, target=None):
                if guards.forbidden_module(name):
                    guards.refuse("import", name, f"importing {name}")
                return None

        sys.meta_path.insert(0, RefuseForbiddenImports())
        sys.addaudithook(self.audit)


def _short(args):
    try:
        return repr(args)[:200]
    except BaseException:  # noqa: B036 - reprs of student objects can do anything
        return "?"


# ---------------------------------------------------------------------------------------------
# Tampering with builtins and numpy: undone after the submission runs, and reported


class Snapshot:
    """Process-wide state a submission can change and a later call (another component's) would
    suffer from: attributes of the modules the harness and the drivers use, signal handlers,
    timers and the signal mask, the recursion limit, NumPy's error handling, warning filters,
    the working directory. `restore` puts it all back and names what had been changed."""

    def __init__(self, *modules):
        self.saved = [(m, dict(m.__dict__)) for m in modules]
        self.handlers = {}
        for sig in signal.valid_signals():
            try:
                handler = signal.getsignal(sig)
            except (OSError, ValueError):
                continue
            if handler is not None:
                self.handlers[sig] = handler
        self.mask = signal.pthread_sigmask(signal.SIG_BLOCK, ())
        self.recursion_limit = sys.getrecursionlimit()
        self.switch_interval = sys.getswitchinterval()
        self.errstate = np.geterr()
        self.warning_filters = list(warnings.filters)
        self.cwd = os.getcwd()

    def restore(self):
        """Put back everything the submission changed; [(event, detail)] for the report."""
        changed = []
        for module, saved in self.saved:  # first: what follows calls these modules
            current = module.__dict__
            for key, value in saved.items():
                if current.get(key, _MISSING) is not value:
                    current[key] = value
                    changed.append(("tamper", f"{module.__name__}.{key}"))
        for which, name in ((signal.ITIMER_REAL, "signal.alarm/setitimer(ITIMER_REAL)"),
                            (signal.ITIMER_VIRTUAL, "setitimer(ITIMER_VIRTUAL)"),
                            (signal.ITIMER_PROF, "setitimer(ITIMER_PROF)")):
            if signal.getitimer(which) != (0.0, 0.0):
                signal.setitimer(which, 0)
                changed.append(("timer", name))
        for sig, handler in self.handlers.items():
            if signal.getsignal(sig) != handler:
                signal.signal(sig, handler)
                changed.append(("signal", signal.Signals(sig).name))
        if signal.pthread_sigmask(signal.SIG_SETMASK, self.mask) != self.mask:
            changed.append(("signal", "the set of blocked signals"))
        # harmless to the harness when changed on purpose, harmful to later calls when lowered
        # or made strict: put back quietly
        if sys.getrecursionlimit() < self.recursion_limit:
            sys.setrecursionlimit(self.recursion_limit)
        sys.setswitchinterval(self.switch_interval)
        np.seterr(**self.errstate)
        if warnings.filters != self.warning_filters:
            warnings.filters[:] = self.warning_filters
            getattr(warnings, "_filters_mutated", lambda: None)()
        try:
            os.chdir(self.cwd)
        except OSError:
            pass
        return changed


_MISSING = object()


# ---------------------------------------------------------------------------------------------
# Calls


def cpu_budget(seconds):
    """Soft RLIMIT_CPU = CPU used so far + `seconds` (None: back to the hard limit).

    We set it ourselves, per call: without CAP_SYS_RESOURCE even a root parent cannot prlimit
    a child running as nobody. Past the soft limit comes SIGXCPU; a submission that ignores it
    still meets the hard limit (the child's lifetime budget, which the parent watches).
    """
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if seconds is None:
        soft = hard
    else:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(usage.ru_utime + usage.ru_stime + 0.999) + seconds
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def to_plain(value):
    """('scalar', v) or ('array', plain contiguous ndarray) for one driver output, or TypeError.

    np.array(..., subok=False) copies the data out of any ndarray subclass, so a subclass that
    lies in __eq__ or __array_ufunc__ arrives as its bare numbers.
    """
    if value is None or type(value) in (bool, int, float):
        return "scalar", value
    if type(value) is str:
        return "scalar", value[:10_000]
    # order="C", not np.ascontiguousarray: that one makes a 0-d result (a loss, an accuracy
    # returned as np.float64) 1-d, which the shape check then fails
    arr = _np_array(value, copy=True, subok=False, order="C")
    if type(arr) is not _ndarray or arr.dtype.kind not in "biuf":
        raise TypeError(f"{type(value).__name__} with dtype {arr.dtype} is not numeric")
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:
        arr = arr.astype(np.float64)
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return "array", arr


def student_traceback(exc, is_student_file, limit=15):
    """The frames of the student's own code only, formatted like Python does."""
    try:
        frames = traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__),
                                                lookup_lines=False)
        mine = [f for f in frames if is_student_file(f.filename)][-limit:]
        text = "".join(traceback.StackSummary.from_list(mine).format())
    except BaseException:  # noqa: B036
        text = ""
    return text[-4000:]


def error_info(exc, is_student_file):
    if isinstance(exc, SystemExit):
        message = f"the submission called sys.exit({exc.code!r})"
    else:
        try:
            message = str(exc)
        except BaseException:  # noqa: B036
            message = "<the message could not be printed>"
    return {"type": type(exc).__name__, "message": message[:2000],
            "traceback": student_traceback(exc, is_student_file)}


class Server:
    def __init__(self, channel, cfg, loader, drivers, guards):
        self.channel, self.cfg, self.loader, self.guards = channel, cfg, loader, guards
        self.drivers = {k: v for k, v in vars(drivers).items()
                        if not k.startswith("_") and isinstance(v, types.FunctionType)
                        and v.__module__ == drivers.__name__}
        self.module = None
        self.student_files = set()
        # every module the harness and the drivers call into after student code has run
        self.snapshot = Snapshot(*{id(m): m for m in (
            builtins, sys, os, os.path, io, json, struct, time, resource, signal, traceback,
            types, warnings, gc, importlib, np, np.random, np.linalg, np.lib, np.lib.format,
            sys.modules.get("inspect"), sys.modules.get("difflib"), sys.modules.get("numbers"),
            sys.modules["__main__"], loader, drivers) if m is not None}.values())
        self.reserve = bytearray(4 << 20)  # freed on MemoryError so that we can still answer

    def is_student_file(self, filename):
        workdir = self.cfg["workdir"]
        return filename in self.student_files or filename.startswith(workdir + os.sep)

    def flush(self):
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()
            except BaseException:  # noqa: B036 - the submission may have replaced them
                pass

    def tampering(self):
        return [{"event": event, "detail": detail} for event, detail in self.snapshot.restore()]

    def load(self):
        cfg = self.cfg
        header = {"kind": "loaded"}
        report = failure = None
        try:
            report = self.loader.load_submission(
                cfg["submission"], names=cfg["names"], entry=cfg["entry"],
                cell_timeout=cfg["cell_timeout"])
        except BaseException as exc:  # noqa: B036 - e.g. the submission broke os.chdir
            failure = exc
        undone = self.tampering()  # first: everything below runs on builtins and numpy
        cpu_budget(None)
        if isinstance(failure, self.loader.SubmissionError):
            header["error"] = {"type": "SubmissionError", "message": str(failure)[:2000],
                               "traceback": ""}
        elif failure is not None:
            header["error"] = error_info(failure, self.is_student_file)
        else:
            self.module = report.module
            self.student_files = {u.filename for u in report.units}
            header["report"] = report.to_dict()
        report = failure = None
        gc.collect()  # finalizers of what loading left behind run now, in the load's time
        gc.freeze()  # and what lives on is never scanned again: collect() per call stays cheap
        undone += self.tampering()
        self.flush()
        header["refused"] = undone + self.guards.drain()
        self.channel.write(header)

    def call(self, header, blobs):
        reply = {"kind": "result", "id": header.get("id"), "status": "ok", "scalars": {}}
        arrays = {}
        driver = self.drivers.get(header.get("driver"))
        started = time.perf_counter()
        if driver is None:
            reply["status"] = "error"
            reply["error"] = {"type": "UnknownDriver", "traceback": "",
                              "message": f"no driver named {header.get('driver')!r}"}
        elif self.module is None:
            reply["status"] = "error"
            reply["error"] = {"type": "NotLoaded", "traceback": "",
                              "message": "the submission could not be loaded"}
        else:
            inputs = {k: _read_npy(io.BytesIO(b), allow_pickle=False) for k, b in blobs.items()}
            given = {k: v.copy() for k, v in inputs.items()}  # fresh copies for student code
            outputs = failure = None
            cpu_budget(self.cfg["cpu_seconds"])
            try:
                outputs = driver(self.module, header.get("params") or {}, given)
            except MemoryError as exc:
                self.reserve = None  # room to build the answer in
                failure = exc
            except BaseException as exc:  # noqa: B036 - SystemExit etc. are the student's too
                failure = exc
            reply["refused"] = self.tampering()  # before any of our own code runs again
            cpu_budget(None)
            if failure is not None:
                reply["status"] = "memory" if isinstance(failure, MemoryError) else "error"
                reply["error"] = error_info(failure, self.is_student_file)
                failure = None  # drop the frames (and what they hold) early
            else:
                self.collect(outputs, reply, arrays)
            # the inputs as the submission left them: the parent judges what changed
            for k, v in given.items():
                if type(v) is _ndarray and v.dtype == inputs[k].dtype:
                    arrays[f"input:{k}"] = v
            # The submission's objects die now, inside this call's time: a finalizer (__del__,
            # weakref callback) that loops or raises must not land on the next call.
            given = outputs = None
            gc.collect()
            reply["refused"] += self.tampering()
        reply["seconds"] = time.perf_counter() - started
        self.flush()
        reply["refused"] = reply.get("refused", []) + self.guards.drain()
        self.channel.write(reply, arrays)
        if self.reserve is None:
            self.reserve = bytearray(4 << 20)

    @staticmethod
    def collect(outputs, reply, arrays):
        if not isinstance(outputs, dict):
            reply["status"] = "error"
            reply["error"] = {"type": "InvalidOutput", "traceback": "",
                              "message": f"the driver returned {type(outputs).__name__}, "
                                         "not a dict of outputs"}
            return
        for key, value in list(dict.items(outputs)):
            try:
                if type(key) is not str:
                    raise TypeError(f"output name {key!r} is not a string")
                kind, plain = to_plain(value)
            except BaseException as exc:  # noqa: B036 - __array__ of a student object may raise
                reply["status"] = "error"
                reply["error"] = {"type": "InvalidOutput", "traceback": "",
                                  "message": f"output {str(key)[:100]!r}: {exc}"[:2000]}
                arrays.clear()
                reply["scalars"] = {}
                return
            if kind == "scalar":
                reply["scalars"][key] = plain
            else:
                arrays[key] = plain


def load_by_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and friends look their module up while it runs
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def main(argv):
    channel = Channel(int(argv[1]), int(argv[2]))
    parent_pid = int(argv[3])
    cfg, _ = channel.read()
    try:
        loader = load_by_path("_grading_loader", cfg["loader"])
        drivers = load_by_path("_grading_drivers", cfg["drivers"])
        notes = confine(cfg, parent_pid)
        os.chdir(cfg["workdir"])
    except BaseException as exc:  # noqa: B036 - the parent must hear why we could not start
        channel.write({"kind": "fatal", "message": f"{type(exc).__name__}: {exc}"[:2000]})
        return 2
    guards = Guards(cfg)
    server = Server(channel, cfg, loader, drivers, guards)
    channel.write({"kind": "ready", "pid": os.getpid(), "uid": os.getuid(), "notes": notes,
                   "drivers": sorted(server.drivers)})
    if cfg["guards"]:
        guards.install()
    server.load()
    while True:
        try:
            header, blobs = channel.read()
        except EOFError:
            return 0
        if header.get("kind") == "exit":
            return 0
        server.call(header, blobs)


if __name__ == "__main__":
    code = main(sys.argv)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)  # skip atexit handlers and finalizers the submission may have left
