"""Run untrusted student code in a sandboxed child process and call drivers on it.

    with Sandbox("hw7.ipynb", "conformance/drivers.py", timeout=10) as box:
        print(box.load_result.isolation.summary())
        result = box.call("im2col", {"FH": 3, ...}, {"x": x})
        if result.ok: compare(result.outputs["col"], expected)

The parent never imports the submission and trusts nothing the child sends (channel.py); it
alone compares and writes results; the child only ever gets inputs, never expected values, and
what the call did to its inputs the parent reads back itself (arrays.InputRegion).

Defences, outermost first (docs/isolation.md says what holds as root and as another user):
- bubblewrap (launcher.py): namespaces, a filesystem of the interpreter and the submission's
  own folder only, the forbidden packages hidden, a size-capped working folder, no network,
  dying with the grader; as root, a uid of the sandbox's own;
- seccomp (seccomp_policy.py): processes, threads, other processes' memory, memory held outside
  the limits, namespaces and mounts, execve;
- cgroup v2 memory and pids limits, where the machine delegates them (cgroups.py);
- resource limits: address space, CPU time per call, file size, open files, no core files, no
  new process (child/confine.py);
- inside the child, an audit hook that refuses and reports what a naive submission tries, and
  the reset of process-wide state after every call (child/guards.py, child/state.py).
Without bubblewrap (or where it cannot make a sandbox) grading still runs, and every result
says "audit hook only: a submission can escape; install bubblewrap".
"""

from __future__ import annotations

import ast
import json
import math
import os
import signal
import tempfile
import time
from pathlib import Path

from . import isolation as isolation_module
from . import seccomp_policy, staging
from .arrays import plain_input
from .channel import (
    ChildFailure,
    ChildProcess,
    Died,
    ProtocolError,
    Stale,
    Timeout,
    TooManyFiles,
)
from .launcher import forbidden_paths
from .outcomes import (
    STATUSES,
    CallResult,
    ErrorInfo,
    LoadResult,
    Refusal,
    describe_refusal,
)

__all__ = ["CallResult", "ErrorInfo", "LoadResult", "Refusal", "Sandbox", "SandboxError",
           "SubmissionError", "DEFAULT_FORBIDDEN_MODULES", "STATUSES", "describe_refusal"]

DEFAULT_FORBIDDEN_MODULES = ("torch", "torchvision", "tensorflow", "keras", "jax", "jaxlib",
                             "scipy.signal", "scipy.ndimage", "scratch_cnn", "conformance")
ISOLATION_MODES = ("auto", "sandbox", "none")
MAX_PROCESSES = 1  # RLIMIT_NPROC: no new process or thread (behind seccomp, which refuses them)
OPEN_FILES = 128   # RLIMIT_NOFILE: bounds what pipes and sockets can hold in kernel buffers


def _load_submission_error():
    """The loader's SubmissionError, so that callers catch one class whichever side raised it."""
    from ..loader import SubmissionError as error

    return error


SubmissionError = _load_submission_error()


class SandboxError(RuntimeError):
    """The sandbox itself could not start: a problem of the grader, not of the submission."""


class Sandbox:
    """A child process that holds one submission and runs drivers on it, one call at a time.

    timeout: wall-clock seconds per call (SIGKILL on expiry; the next call starts a fresh child).
    memory_mb: address-space limit of the child (Python with NumPy alone needs ~150 MB of it).
    cpu_seconds: CPU seconds per call, enforced by RLIMIT_CPU (default: timeout + 1); each
        child also has a lifetime CPU cap, and is replaced before it reaches it.
    output_limit: bytes of stdout/stderr kept, from the start and from the end.
    forbidden_modules / extra_forbidden_paths: added to DEFAULT_FORBIDDEN_MODULES and to the
        paths hidden from the child (this project's checkout and the forbidden packages).
    entry / names: which file of a folder to run / the contract names (see load_submission).
    load_timeout: wall-clock seconds to load the submission (default max(30, 3 * timeout));
        each cell also stops after `timeout` seconds.
    isolation: "auto" (bubblewrap where it works, else the bare child, said loudly in every
        result), "sandbox" (bubblewrap or SandboxError) or "none" (the bare child).
    seccomp / cgroup_limits / guards: turn a layer off; only to show, in tests, what the other
        layers hold without it.
    copy_siblings: for a single file, copy the .py files beside it too (its helper modules);
        turn off where the files beside it are other people's (a class folder).
    max_processes: RLIMIT_NPROC of the child (1: no thread, no process).
    max_input_bytes / max_result_bytes: the most a call's inputs / outputs may hold.
    file_limit_mb / max_files: the most one file may hold / how many files and folders the
        submission may add to its folder (each holds kernel memory no size cap counts).
    tmp_dir: where the sandboxes' staging folders are made (default: the system's).
    """

    def __init__(self, submission_path, drivers_path, *, timeout=10.0, memory_mb=1024,
                 cpu_seconds=None, output_limit=64_000, forbidden_modules=(),
                 extra_forbidden_paths=(), entry=None, names=(), load_timeout=None,
                 isolation="auto", seccomp=True, cgroup_limits=True, guards=True,
                 file_limit_mb=64, max_files=10_000, max_input_bytes=64 << 20,
                 max_result_bytes=512 << 20,
                 tmp_dir=None, max_processes=MAX_PROCESSES, copy_siblings=True):
        if timeout <= 0 or memory_mb <= 0 or output_limit < 0:
            raise ValueError("timeout and memory_mb must be positive, output_limit not negative")
        if isolation not in ISOLATION_MODES:
            raise ValueError(f"isolation must be one of {', '.join(ISOLATION_MODES)}")
        self.submission_path = Path(submission_path)
        self.drivers_path = Path(drivers_path).resolve()
        if not self.drivers_path.is_file():
            raise ValueError(f"drivers module {drivers_path} does not exist")
        self.driver_names = _public_functions(self.drivers_path)
        self.timeout = float(timeout)
        self.memory_mb = int(memory_mb)
        self.cpu_seconds = int(cpu_seconds or math.ceil(self.timeout) + 1)
        self.output_limit = int(output_limit)
        self.forbidden_modules = tuple(dict.fromkeys(DEFAULT_FORBIDDEN_MODULES
                                                     + tuple(forbidden_modules)))
        self.entry = entry
        self.names = sorted(set(names))
        self.load_timeout = float(load_timeout or max(30.0, 3 * self.timeout))
        # the hard RLIMIT_CPU of one child; the parent starts a fresh one before it runs out
        self.cpu_lifetime = math.ceil(self.load_timeout) + 1 + max(300, 20 * self.cpu_seconds)
        self.guards = bool(guards)
        self.file_limit_mb = int(file_limit_mb)
        self.max_files = int(max_files)
        self.max_input_bytes = int(max_input_bytes)
        self.max_result_bytes = int(max_result_bytes)
        self.max_processes = int(max_processes)
        self.copy_siblings = bool(copy_siblings)
        self.tmp_dir = str(tmp_dir) if tmp_dir is not None else tempfile.gettempdir()
        self.forbidden_paths = forbidden_paths(self.forbidden_modules, extra_forbidden_paths,
                                               self.tmp_dir)
        self.machine = isolation_module.machine()
        if isolation == "sandbox" and not self.machine.sandbox:
            raise SandboxError(self.machine.sandbox_problem())
        self.isolation = self.machine.isolation(sandbox=isolation != "none", seccomp=seccomp,
                                                cgroup_limits=cgroup_limits)
        self.cgroup_delegation = self.machine.delegation if self.isolation.cgroups.startswith(
            "memory") else None
        self._tree: staging.Tree | None = None
        self._programs = None
        self._child: ChildProcess | None = None
        self._load_result: LoadResult | None = None
        self._load_failed = False
        self._closed = False
        self._next_id = 0

    # -- context manager
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def load_result(self) -> LoadResult | None:
        return self._load_result

    @property
    def pid(self) -> int | None:
        """The pid of the process started for the current child (bwrap's, in a sandbox); None
        between a failure and the next call. For diagnostics."""
        return self._child.proc.pid if self._child else None

    @property
    def workdir(self) -> str | None:
        """The current child's folder on this host (its staged copy of the submission)."""
        return self._child.folder if self._child else None

    def start(self) -> LoadResult:
        """Start the child and load the submission (once); the result of that first load."""
        if self._closed:
            raise RuntimeError("this sandbox is closed")
        if self._load_result is None:
            try:
                self._tree = staging.scan(self.submission_path, siblings=self.copy_siblings)
            except staging.StagingError as exc:
                raise SubmissionError(str(exc)) from None
            self._load_result = self._launch()
            self._load_failed = not self._load_result.ok
        return self._load_result

    def call(self, driver_name, params=None, arrays=None) -> CallResult:
        """Run drivers.<driver_name>(submission, params, arrays) in the child.

        A mistake of the caller (unknown driver, params that are not JSON, arrays that are not
        numeric) raises; anything the submission does becomes the result's status.
        """
        if driver_name not in self.driver_names:
            raise ValueError(f"{self.drivers_path.name} has no driver {driver_name!r}; it has "
                             f"{', '.join(sorted(self.driver_names))}")
        params = dict(params or {})
        json.dumps(params, allow_nan=True)  # TypeError now rather than in the child
        inputs = {name: plain_input(name, value) for name, value in (arrays or {}).items()}
        if sum(a.nbytes for a in inputs.values()) > self.max_input_bytes:
            raise ValueError(f"the inputs exceed max_input_bytes ({self.max_input_bytes} bytes)")
        self.start()
        if self._load_failed:  # loading is deterministic enough: do not retry it per call
            first = self._load_result
            return CallResult(first.status, error=ErrorInfo(
                "NotLoaded", f"the submission could not be loaded: {first.error or first.status}"))
        if self._child is None:  # the previous call killed it: start afresh, reload
            failure = self._relaunch("after the previous failure")
        elif self._child.cpu_used() + self.cpu_seconds + 2 > self.cpu_lifetime:
            # its lifetime CPU budget (the hard RLIMIT_CPU) is nearly spent: replace it rather
            # than let it be killed in the middle of an innocent call
            self._child, old = None, self._child
            old.stop(graceful=True)
            failure = self._relaunch("when its CPU budget was renewed")
        elif self._child.unsolicited():
            failure = self._replace_tainted()
        else:
            failure = None
        return failure or self._call(driver_name, params, inputs)

    def close(self) -> None:
        """Stop the child and every process it started; remove its folders."""
        self._closed = True
        child, self._child = self._child, None
        if child is not None:
            child.stop(graceful=True)

    # -- what the launcher and the child need
    def seccomp_program(self) -> bytes | None:
        if not self.isolation.seccomp:
            return None
        self._compile()
        return self._programs[0]

    def _compile(self):
        if self._programs is None:
            self._programs = (seccomp_policy.sandbox_program(), seccomp_policy.exec_program())

    def cgroup_memory_bytes(self) -> int:
        """Everything the sandbox may hold: its address space and its folder's cap (its own
        files, copied there, are charged to it too)."""
        return ((self.memory_mb + self.file_limit_mb + 64) << 20) + self._tree.total_bytes

    def start_frame(self, launch, inputs_fd) -> dict:
        exec_filter = None
        if self.isolation.seccomp:
            self._compile()
            exec_filter = self._programs[1].hex()
        # a folder's files are copied into the working folder itself; a file (and its
        # siblings) too
        submission = launch.workdir if self._tree.is_dir else \
            os.path.join(launch.workdir, self._tree.files[0][0][0])
        return {"kind": "start", "loader": launch.loader, "drivers": launch.drivers,
                "source": launch.source, "workdir": launch.workdir, "submission": submission,
                "entry": self.entry, "names": self.names, "inputs_fd": inputs_fd,
                "forbidden_modules": list(self.forbidden_modules),
                "forbidden_paths": self.forbidden_paths,
                "readable_files": launch.readable_files,
                "cell_timeout": self.timeout, "memory_bytes": self.memory_mb << 20,
                # RLIMIT_FSIZE bounds what the submission writes, and its own files are
                # copied into its folder under it: the largest of them must fit
                "file_bytes": max([self.file_limit_mb << 20,
                                   *(size for _, size in self._tree.files)]),
                "open_files": OPEN_FILES,
                # RLIMIT_CPU: soft per load/call, hard for the child's whole life
                "cpu_load_seconds": math.ceil(self.load_timeout) + 1,
                "cpu_seconds": self.cpu_seconds, "cpu_lifetime_seconds": self.cpu_lifetime,
                "max_processes": self.max_processes, "uid": launch.uid, "gid": launch.uid,
                "parent_pid": None if self.isolation.sandbox else os.getpid(),
                "exec_filter": exec_filter, "guards": self.guards}

    # -- internals
    def _replace_tainted(self) -> CallResult | None:
        """The child wrote after its answer to the previous call (a second, forged answer, or
        its end of file: it died between calls): that was the previous call's doing. Start a
        fresh child, so that this call runs on a clean one."""
        child, self._child = self._child, None
        if child is not None:
            child.stop()
        return self._relaunch("after the previous call wrote more than its answer (or ended)")

    def _relaunch(self, when) -> CallResult | None:
        again = self._launch()
        if again.ok:
            return None
        return CallResult(again.status, error=ErrorInfo(
            "NotLoaded", f"{when} the submission could not be loaded again: "
            f"{again.error or again.status}"))

    def _launch(self) -> LoadResult:
        started = time.monotonic()
        try:
            child = ChildProcess(self, self._tree)
        except OSError as exc:
            raise SandboxError(f"the grading process could not be started: {exc}") from None
        try:
            child.start()
            ready, _ = child.receive(started + max(30.0, self.timeout), ("ready", "fatal"))
        except ChildFailure as exc:
            child.capture.sync()
            output = child.capture.text()
            child.stop()
            raise SandboxError(f"the grading process did not start: {exc}\n{output}") from None
        if ready["kind"] == "fatal":
            child.stop()
            raise SandboxError(f"the grading process could not start: {ready['message']}")
        child.ready(ready)
        result = LoadResult("ok", notes=list(ready["notes"]), isolation=self.isolation)
        try:
            loaded, _ = child.receive(started + self.load_timeout, ("loaded",))
            result.refused = [Refusal(r["event"], child.scrub(r["detail"]))
                              for r in loaded["refused"]]
            if "error" in loaded:
                result.status, result.error = "error", self._error(child, loaded["error"])
            else:
                result.report = _scrub_all(child, loaded["report"])
            result.refused[:0] = [Refusal(event, path) for event, path in self._tree.left_out[:20]]
        except ChildFailure as exc:
            child.kill_tree()
            result.status, result.error = self._failure(
                child, exc, "loading the submission", self.load_timeout,
                math.ceil(self.load_timeout) + 1)
        result.wall_time = time.monotonic() - started
        child.capture.sync()
        result.output, result.output_bytes = child.scrub(child.capture.text()), \
            child.capture.total
        if result.ok:
            self._child = child
        else:
            child.stop()
        return result

    def _call(self, driver_name, params, inputs, first_try=True) -> CallResult:
        child = self._child
        self._next_id += 1
        specs = child.region.place(inputs)
        request = {"kind": "call", "id": self._next_id, "driver": driver_name,
                   "params": params, "inputs": specs}
        mark = child.capture.mark()
        started = time.monotonic()
        deadline = started + self.timeout
        try:
            child.send(request, deadline)
            header, arrays = child.receive(deadline, ("result",), self._next_id)
            result = self._call_result(child, header, arrays, specs)
        except ChildFailure as exc:
            if isinstance(exc, Stale) and first_try:
                # a late frame of the previous call: not this call's doing, so run it again
                return self._replace_tainted() or self._call(driver_name, params, inputs, False)
            child.kill_tree()
            status, error = self._failure(child, exc, "the call", self.timeout, self.cpu_seconds)
            result = CallResult(status, error=error)
        result.wall_time = time.monotonic() - started
        child.capture.sync()
        result.stdout_tail, result.output_bytes = child.capture.since(mark)
        result.stdout_tail = child.scrub(result.stdout_tail)
        if result.status not in ("ok", "error"):  # dead, or in a state not worth trusting
            self._child = None
            child.stop()
        return result

    def _call_result(self, child, header, arrays, specs) -> CallResult:
        result = CallResult(header["status"],
                            refused=[Refusal(r["event"], child.scrub(r["detail"]))
                                     for r in header["refused"]])
        result.inputs_after = child.region.read_back(specs, header.get("views"))
        if result.status != "ok":
            result.error = self._error(child, header["error"])
            return result
        result.outputs = {**header["scalars"], **arrays}
        return result

    @staticmethod
    def _error(child, error) -> ErrorInfo:
        return ErrorInfo(error["type"], child.scrub(error["message"]),
                         child.scrub(error.get("traceback", "")))

    def _failure(self, child, exc, what, limit, cpu_limit) -> tuple:
        if isinstance(exc, Timeout):
            return "timeout", ErrorInfo("Timeout", f"{what} did not finish within {limit:g} s "
                                        "and was stopped")
        if isinstance(exc, TooManyFiles):
            return "crashed", ErrorInfo("TooManyFiles", f"during {what} the submission made "
                                       f"{exc.count} files and folders in its folder, more than "
                                       f"the {child.max_files} allowed, and was stopped")
        if isinstance(exc, ProtocolError):
            return "protocol_error", ErrorInfo("ProtocolError", f"the grading process sent a "
                                               f"malformed answer during {what} ({exc}); it was "
                                               "stopped")
        returncode = exc.returncode if isinstance(exc, Died) else None
        if child.oom_killed():
            returncode = -signal.SIGKILL
        return _death(returncode, what, self, cpu_limit)


def _death(returncode, what, box, cpu_limit) -> tuple:
    """(status, ErrorInfo) for a child that died by itself."""
    if returncode is None:
        return "protocol_error", ErrorInfo("ProtocolError", f"during {what} the grading process "
                                           "closed its result channel")
    if returncode >= 0:
        return "crashed", ErrorInfo("Crash", f"the grading process exited with status "
                                    f"{returncode} during {what}: the submission ended it "
                                    "(os._exit() or a fatal error)")
    sig = -returncode
    try:
        name = signal.Signals(sig).name
    except ValueError:
        name = f"signal {sig}"
    if sig == signal.SIGXCPU:
        return "timeout", ErrorInfo("Timeout", f"{what} used more than its CPU time "
                                    f"({cpu_limit} s) and was stopped")
    if sig == signal.SIGXFSZ:
        return "crashed", ErrorInfo("Crash", f"during {what} the submission wrote a file larger "
                                    f"than {box.file_limit_mb} MB")
    if sig == signal.SIGKILL:
        return "memory", ErrorInfo("MemoryError", f"the grading process was killed during "
                                   f"{what}, most likely for using more than {box.memory_mb} MB "
                                   "of memory")
    return "crashed", ErrorInfo("Crash", f"the grading process died of {name} during {what}"
                                + ("; this also happens when memory runs out"
                                   if sig in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT)
                                   else ""))


def _scrub_all(child, value):
    if isinstance(value, str):
        return child.scrub(value)
    if isinstance(value, list):
        return [_scrub_all(child, v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_all(child, v) for k, v in value.items()}
    return value


def _public_functions(path: Path) -> frozenset:
    """Driver names: the public top-level functions of the drivers module (read, not run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return frozenset(n.name for n in tree.body
                     if isinstance(n, ast.FunctionDef) and not n.name.startswith("_"))

