"""The grading child's audit hook and import guard, installed right before student code runs.

They refuse, and record for the report, what a submission may not do: import torch or this
project, read the hidden folders, write outside its working folder, start processes, signal
others, use sockets, ctypes or tracing. This is the third layer, for clear messages: it runs in
the submission's own interpreter, so a determined submission can reach it and switch it off.
What holds against any submission is outside its reach: the parent's judgement, the sandbox
(namespaces, seccomp, another uid) and the resource limits.

STANDALONE (standard library only): loaded by path inside the sandbox.
"""

import os
import sys

_MAX_LOGGED = 100  # refused attempts kept per message; a loop of attempts is summarised

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

    def __init__(self, cfg, harness_setrlimit):
        """harness_setrlimit: the code object of the one harness function that may change
        resource limits (the per-call CPU budget)."""
        self.harness_setrlimit = harness_setrlimit
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
            if sys._getframe(1).f_code is not self.harness_setrlimit:  # only the harness's own
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
                self.refuse("open", resolved, f"writing {resolved} (only the submission's own "
                            "folder is writable)")
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
                self.refuse(event, raw, "changing files outside the submission's own folder")

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
