"""Run untrusted student code in a child process and call drivers on it (the parent's side).

    with Sandbox("hw7.ipynb", "conformance/drivers.py", timeout=10) as box:
        print(box.load_result.messages())
        result = box.call("im2col", {"FH": 3, ...}, {"x": x})
        if result.ok: compare(result.outputs["col"], expected)

The parent never imports the submission and trusts nothing the child sends: every frame is
size-capped and validated, arrays are read with allow_pickle=False and must be plain bool, int or
float arrays, and a malformed answer is a "protocol_error" result, never an exception. The parent
alone compares and writes results; the child only ever gets inputs, never expected values.

Defences, outermost first (tests/test_sandbox.py has one attack per defence):
- a separate process in its own session, whose whole tree is SIGKILLed on timeout or close;
  the parent is a child subreaper, so descendants that setsid/double-fork come back to it;
- when the parent is root: the child gets its own mount, network and IPC namespaces and runs
  as nobody/nogroup. It sees the system folders (/usr, /etc, /lib...) and the folders the
  interpreter needs, nothing else: /tmp, /var, /home, /root, /opt, /dev/shm, this project's
  checkout, a stray copy of the reference anywhere, are hidden (so even a submission that
  switched the audit hook off cannot read them, or leave files behind); the forbidden packages
  and /proc are hidden; its working folder is a tmpfs of its own, capped in size and files;
- resource limits: address space, CPU time per call, file size, no core files, and no new
  process or thread at all (RLIMIT_NPROC 1 for nobody);
- a fresh temporary working folder holding a copy of the submission, a minimal environment,
  stdin from /dev/null, stdout/stderr drained by a thread that keeps only a head and a tail;
- inside the child, an audit hook and an import finder refuse and record imports of forbidden
  modules, reads of hidden paths, writes outside the working folder, processes, signals,
  sockets, ctypes, tracing. After every call, process-wide state the next call depends on is
  put back (builtins, numpy, the modules the harness and drivers use, signal handlers, timers,
  the signal mask...), and the submission's objects are finalized while the call's clock runs;
- a child that writes after answering (a forged early answer, or its end of file) is replaced
  before the next call, which is not blamed for it.
The audit hook runs in the submission's own interpreter, so a determined submission can reach
and disable it (frame walking, sys.modules["__main__"]); it reports and refuses what a naive one
tries. What must hold against any submission is outside its reach: the parent's judgement, the
namespaces, the user and the resource limits.

Process trees and output draining live in processes.py; the child's side in child.py.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import io
import json
import math
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISDIR, S_ISREG

import numpy as np

from .processes import (
    LIVE_CHILDREN,
    LIVE_LOCK,
    OutputCapture,
    become_subreaper,
    kill_tree,
    proc_stat,
)

__all__ = ["CallResult", "ErrorInfo", "LoadResult", "Refusal", "Sandbox", "SandboxError",
           "SubmissionError", "DEFAULT_FORBIDDEN_MODULES", "describe_refusal"]

_HERE = Path(__file__).resolve().parent
CHILD_SCRIPT = _HERE / "child.py"
LOADER_FILE = _HERE.parent / "loader.py"

DEFAULT_FORBIDDEN_MODULES = ("torch", "torchvision", "tensorflow", "keras", "jax", "jaxlib",
                             "scipy.signal", "scipy.ndimage", "scratch_cnn", "conformance")
STATUSES = ("ok", "error", "timeout", "crashed", "protocol_error", "memory")
NOBODY = 65534  # nobody / nogroup
# RLIMIT_NPROC of the unprivileged child. It counts all of nobody's processes and threads, so 1
# means no new process and no thread at all: a submission cannot leave a thread spinning or
# printing into later calls, nor fork, whatever it does to the audit hook.
MAX_PROCESSES = 1

_FRAME_LENGTH = struct.Struct(">I")
_MAX_HEADER_BYTES = 4 << 20
_MAX_NAME = 200
_MAX_TEXT = 20_000
_ALLOWED_DTYPES = frozenset(np.dtype(t) for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64))
_PROCESS_EVENTS = ("os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn",
                   "os.spawn", "subprocess.Popen", "pty.spawn", "os.startfile")
_JUNK = frozenset({".git", "__pycache__", ".ipynb_checkpoints", ".venv", "venv", "node_modules",
                   ".mypy_cache", ".pytest_cache"})
_MAX_COPY_BYTES = 512 << 20
_MAX_SIBLING_BYTES = 1 << 20
_MAX_SIBLINGS = 100


def _load_submission_error():
    """The loader's SubmissionError, so that callers catch one class whichever side raised it."""
    try:
        from conformance.loader import SubmissionError as error
    except ImportError:  # the loader is standalone; importing it by path is fine too
        spec = importlib.util.spec_from_file_location("_conformance_loader", LOADER_FILE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        error = module.SubmissionError
    return error


SubmissionError = _load_submission_error()


class SandboxError(RuntimeError):
    """The sandbox itself could not start: a problem of the grader, not of the submission."""


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Refusal:
    """Something the submission tried and was refused (or a patch that was undone)."""

    event: str   # the audit event, "import", "open", "tamper", ...
    detail: str  # its argument: a module name, a path, a pid

    @property
    def message(self) -> str:
        return describe_refusal(self.event, self.detail)


def describe_refusal(event: str, detail: str) -> str:
    if event == "import":
        return f"the submission tried to import {detail} (not allowed)"
    if event == "open":
        return f"the submission tried to open {detail} (refused)"
    if event == "tamper":
        return f"the submission replaced {detail}; the original was put back"
    if event == "left_out":
        return (f"{detail} was left out: symbolic links and special files in a submission "
                "are not copied")
    if event == "timer":
        return f"the submission left a timer running ({detail}); it was cancelled"
    if event == "signal":
        return f"the submission changed {detail} (signals); the original was put back"
    if event == "more":
        return f"... and {detail} more refused attempts"
    if event in _PROCESS_EVENTS:
        return f"the submission tried to start another process ({event}; refused)"
    if event.startswith("socket."):
        return "the submission tried to use the network (refused)"
    if event == "os.kill":
        return f"the submission tried to signal process {detail} (refused)"
    if event.startswith("ctypes."):
        return "the submission tried to use ctypes (refused)"
    return f"the submission tried {event} ({detail}; refused)"


@dataclass
class ErrorInfo:
    type: str
    message: str
    traceback: str = ""

    def __str__(self) -> str:
        text = f"{self.type}: {self.message}"
        return f"{self.traceback.rstrip()}\n{text}" if self.traceback else text


@dataclass
class LoadResult:
    """What happened when the child loaded the submission."""

    status: str                                   # "ok", "error", "timeout", "crashed", ...
    report: dict = field(default_factory=dict)    # conformance.loader.LoadReport.to_dict()
    refused: list = field(default_factory=list)   # [Refusal]
    output: str = ""                              # stdout+stderr (head and tail)
    output_bytes: int = 0
    wall_time: float = 0.0
    notes: list = field(default_factory=list)     # how the child was confined
    error: ErrorInfo | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def messages(self) -> list:
        """Plain sentences for the student's report."""
        from ..loader import lost_names

        lines = [str(self.error)] if self.error else []
        for unit in self.report.get("units", []):
            where = unit.get("file", "?") + (f", cell {unit['cell']}" if unit.get("cell") else "")
            if unit.get("status") == "skipped":
                lines.append(f"{where}: skipped ({unit.get('reason')})")
            elif unit.get("status") != "ran":
                e = unit.get("error") or {}
                at = f" at line {e['line']}" if e.get("line") else ""
                lost = [n for n in unit.get("lost", []) if isinstance(n, str)]
                lines.append(f"{where}: {e.get('type')}{at}: {e.get('message')}"
                             + lost_names(lost))
        lines += [str(w) for w in self.report.get("warnings", [])]
        lines += [r.message for r in self.refused]
        if self.report.get("missing"):
            lines.append("not defined: " + ", ".join(map(str, self.report["missing"])))
        return lines

    def definitions(self) -> dict:
        """{graded name: where its graded definition came from}, e.g. 'cnn.py:41', or
        'common/layers.py:10, by from common.layers import * in hw.ipynb, cell 2'."""
        found = {}
        for name, d in sorted(self.report.get("definitions", {}).items()):
            place = d.get("source") or d.get("unit") or "?"
            how = d.get("how") or ""
            found[name] = place if how in ("class statement", "def statement", "") else \
                f"{place}, by {how} in {d.get('unit')}"
        return found


@dataclass
class CallResult:
    status: str                                  # one of STATUSES
    outputs: dict = field(default_factory=dict)  # name -> plain ndarray or scalar (validated)
    error: ErrorInfo | None = None
    stdout_tail: str = ""                        # what the call printed (the last output_limit)
    output_bytes: int = 0                        # how much it printed in all
    wall_time: float = 0.0
    refused: list = field(default_factory=list)  # [Refusal] during this call
    # the copies of the inputs the driver was given, as they were after the call
    inputs_after: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# ---------------------------------------------------------------------------------------------
# The sandbox


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
    drop_privileges / namespaces: when root, run as nobody / in private namespaces.
    guards: the in-child audit hook; turn off only to test the defences around it.
    copy_siblings: for a single file, copy the .py files beside it too (its helper modules);
        turn off where the files beside it are other people's (a class folder).
    max_processes: RLIMIT_NPROC of the unprivileged child (1: no thread, no process; raise it
        only to test the defences behind it).
    tmp_dir: where the child's working folders are made (default: the system's temp folder;
        a size-limited tmpfs is a good choice). uid 65534 must be able to reach it.
    """

    def __init__(self, submission_path, drivers_path, *, timeout=10.0, memory_mb=1024,
                 cpu_seconds=None, output_limit=64_000, forbidden_modules=(),
                 extra_forbidden_paths=(), entry=None, names=(), load_timeout=None,
                 drop_privileges=True, namespaces=True, guards=True, file_limit_mb=64,
                 max_result_bytes=512 << 20, tmp_dir=None, max_processes=MAX_PROCESSES,
                 copy_siblings=True):
        if timeout <= 0 or memory_mb <= 0 or output_limit < 0:
            raise ValueError("timeout and memory_mb must be positive, output_limit not negative")
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
        self.drop_privileges = bool(drop_privileges) and os.geteuid() == 0
        self.namespaces = bool(namespaces)
        self.guards = bool(guards)
        self.file_limit_mb = int(file_limit_mb)
        self.max_result_bytes = int(max_result_bytes)
        self.max_processes = int(max_processes)
        self.copy_siblings = bool(copy_siblings)
        self.tmp_dir = str(tmp_dir) if tmp_dir is not None else tempfile.gettempdir()
        self.forbidden_paths = _forbidden_paths(self.forbidden_modules, extra_forbidden_paths,
                                                self.tmp_dir)
        self._child: _Child | None = None
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
        """The current child's pid (None between a failure and the next call), for diagnostics."""
        return self._child.proc.pid if self._child else None

    @property
    def workdir(self) -> str | None:
        """The current child's working folder (a copy of the submission lives in it)."""
        return self._child.workdir if self._child else None

    def start(self) -> LoadResult:
        """Start the child and load the submission (once); the result of that first load."""
        if self._closed:
            raise RuntimeError("this sandbox is closed")
        if self._load_result is None:
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
        blobs = {name: _npy_bytes(name, value) for name, value in (arrays or {}).items()}
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
        return failure or self._call(driver_name, params, blobs)

    def _replace_tainted(self) -> CallResult | None:
        """The child wrote after its answer to the previous call (a second, forged answer, or
        its end of file: it died between calls): that was the previous call's doing. Start a
        fresh child, so that this call runs on a clean one."""
        child, self._child = self._child, None
        if child is not None:
            child.stop()
        return self._relaunch("after the previous call wrote more than its answer (or ended)")

    def close(self) -> None:
        """Stop the child and every process it started; remove its working folder."""
        self._closed = True
        child, self._child = self._child, None
        if child is not None:
            child.stop(graceful=True)

    # -- internals
    def _relaunch(self, when) -> CallResult | None:
        again = self._launch()
        if again.ok:
            return None
        return CallResult(again.status, error=ErrorInfo(
            "NotLoaded", f"{when} the submission could not be loaded again: "
            f"{again.error or again.status}"))

    def _launch(self) -> LoadResult:
        started = time.monotonic()
        child = _Child(self)
        try:
            child.start()
            ready, _ = child.receive(started + max(30.0, self.timeout), ("ready", "fatal"))
        except _ChildFailure as exc:
            output = child.capture.text()
            child.stop()
            raise SandboxError(f"the grading process did not start: {exc}\n{output}") from None
        if ready["kind"] == "fatal":
            child.stop()
            raise SandboxError(f"the grading process could not start: {ready.get('message')}")
        child.uid = ready.get("uid") if isinstance(ready.get("uid"), int) else None
        notes = ready.get("notes") if isinstance(ready.get("notes"), list) else []
        result = LoadResult("ok", notes=[n[:_MAX_TEXT] for n in notes if isinstance(n, str)])
        try:
            loaded, _ = child.receive(started + self.load_timeout, ("loaded",))
            _validated(_load_result, loaded, result)
            result.refused[:0] = [Refusal("left_out", p) for p in child.left_out[:20]]
        except _ChildFailure as exc:
            child.kill_tree()
            result.status, result.error = self._failure(
                exc, "loading the submission", self.load_timeout, math.ceil(self.load_timeout) + 1)
        result.wall_time = time.monotonic() - started
        child.capture.sync()
        result.output, result.output_bytes = child.capture.text(), child.capture.total
        if result.ok:
            self._child = child
        else:
            child.stop()
        return result

    def _call(self, driver_name, params, blobs, first_try=True) -> CallResult:
        child = self._child
        self._next_id += 1
        request = {"kind": "call", "id": self._next_id, "driver": driver_name, "params": params}
        mark = child.capture.mark()
        started = time.monotonic()
        deadline = started + self.timeout
        try:
            child.send(request, blobs, deadline)
            header, arrays = child.receive(deadline, ("result",), self._next_id)
            result = _validated(_call_result, header, arrays, set(blobs))
        except _ChildFailure as exc:
            if isinstance(exc, _Stale) and first_try:
                # a late frame of the previous call: not this call's doing, so run it again
                return self._replace_tainted() or self._call(driver_name, params, blobs, False)
            child.kill_tree()
            status, error = self._failure(exc, "the call", self.timeout, self.cpu_seconds)
            result = CallResult(status, error=error)
        result.wall_time = time.monotonic() - started
        child.capture.sync()
        result.stdout_tail, result.output_bytes = child.capture.since(mark)
        if result.status not in ("ok", "error"):  # dead, or in a state not worth trusting
            self._child = None
            child.stop()
        return result

    def _failure(self, exc, what, limit, cpu_limit) -> tuple:
        if isinstance(exc, _Timeout):
            return "timeout", ErrorInfo("Timeout", f"{what} did not finish within {limit:g} s "
                                        "and was stopped")
        if isinstance(exc, _ProtocolError):
            return "protocol_error", ErrorInfo("ProtocolError", f"the grading process sent a "
                                               f"malformed answer during {what} ({exc}); it was "
                                               "stopped")
        return _death(exc.returncode, what, self, cpu_limit)


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


# ---------------------------------------------------------------------------------------------
# Validating what the child sends


class _ChildFailure(Exception):
    pass


class _Timeout(_ChildFailure):
    def __str__(self):
        return "no answer in time"


class _ProtocolError(_ChildFailure):
    pass


class _Stale(_ProtocolError):
    """A frame that answers an earlier request: written after the answer we took for it."""


class _Died(_ChildFailure):
    def __init__(self, returncode):
        super().__init__(f"exited with {returncode}")
        self.returncode = returncode


def _text(value, limit=_MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise _ProtocolError(f"expected text, got {type(value).__name__}")
    return value[:limit]


def _refusals(entries) -> list:
    if not isinstance(entries, list) or len(entries) > 1000:
        raise _ProtocolError("malformed list of refused attempts")
    out = []
    for e in entries:
        if not isinstance(e, dict):
            raise _ProtocolError("malformed refused attempt")
        out.append(Refusal(_text(e.get("event"), _MAX_NAME), _text(e.get("detail"), 1000)))
    return out


def _error_info(e) -> ErrorInfo:
    if not isinstance(e, dict):
        raise _ProtocolError("malformed error")
    return ErrorInfo(_text(e.get("type"), _MAX_NAME), _text(e.get("message")),
                     _text(e.get("traceback", "")))


def _validated(parse, *args):
    """parse(*args), where any surprise in what the child sent is a protocol error."""
    try:
        return parse(*args)
    except _ChildFailure:
        raise
    except Exception as exc:
        raise _ProtocolError(f"{type(exc).__name__}: {exc}") from None


def _load_result(loaded, result: LoadResult) -> None:
    result.refused = _refusals(loaded.get("refused", []))
    if "error" in loaded:
        result.status, result.error = "error", _error_info(loaded["error"])
    else:
        result.report = _report(loaded.get("report"))


def _report(report) -> dict:
    """The loader's report, checked for shape only: it is shown to people, never acted upon."""
    if not isinstance(report, dict):
        raise _ProtocolError("the load report is missing")
    for key in ("units", "skipped_files"):
        if not isinstance(report.get(key, []), list) or \
                not all(isinstance(x, dict) for x in report.get(key, [])):
            raise _ProtocolError(f"malformed load report ({key})")
    for key in ("defined", "missing", "notes"):
        if not isinstance(report.get(key, []), list) or \
                not all(isinstance(x, str) for x in report.get(key, [])):
            raise _ProtocolError(f"malformed load report ({key})")
    for unit in report.get("units", []):
        if not isinstance(unit.get("error") or {}, dict):
            raise _ProtocolError("malformed load report (error)")
    if not isinstance(report.get("warnings", []), list) or \
            not all(isinstance(x, str) for x in report.get("warnings", [])):
        raise _ProtocolError("malformed load report (warnings)")
    definitions = report.get("definitions", {})
    if not isinstance(definitions, dict) or len(definitions) > 1000 or not all(
            isinstance(k, str) and isinstance(d, dict) and all(
                isinstance(v, (str, bool, type(None))) for v in d.values())
            for k, d in definitions.items()):
        raise _ProtocolError("malformed load report (definitions)")
    return report


def _call_result(header, arrays, input_names) -> CallResult:
    status = header.get("status")
    if status not in ("ok", "error", "memory"):  # the others are for the parent to decide
        raise _ProtocolError(f"unknown status {status!r}")
    result = CallResult(status, refused=_refusals(header.get("refused", [])))
    for name in [n for n in arrays if n.startswith("input:")]:
        if name[len("input:"):] not in input_names:
            raise _ProtocolError(f"an input {name!r} that was never sent")
        result.inputs_after[name[len("input:"):]] = arrays.pop(name)
    if status != "ok":
        result.error = _error_info(header.get("error"))
        return result
    scalars = header.get("scalars", {})
    if not isinstance(scalars, dict):
        raise _ProtocolError("malformed scalar outputs")
    for name, value in scalars.items():
        if len(name) > _MAX_NAME or name in arrays:
            raise _ProtocolError(f"bad output name {name[:_MAX_NAME]!r}")
        if value is not None and type(value) not in (bool, int, float, str):
            raise _ProtocolError(f"output {name!r} is a {type(value).__name__}")
        result.outputs[name] = value[:_MAX_TEXT] if isinstance(value, str) else value
    result.outputs.update(arrays)
    return result


def _parse_npy(name: str, blob: bytes) -> np.ndarray:
    """A plain numeric ndarray from .npy bytes; the header is checked before any allocation."""
    f = io.BytesIO(blob)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except Exception as exc:  # any parse problem at all is the child's fault
        raise _ProtocolError(f"array {name!r}: bad .npy header ({exc})") from None
    if dtype.newbyteorder("=") not in _ALLOWED_DTYPES or dtype.hasobject:
        raise _ProtocolError(f"array {name!r} has dtype {dtype}; only bool, int and float "
                             "arrays are accepted")
    if len(shape) > 32 or not all(type(n) is int and n >= 0 for n in shape):
        raise _ProtocolError(f"array {name!r}: bad shape {shape}")
    if math.prod(shape) * dtype.itemsize != len(blob) - f.tell():
        raise _ProtocolError(f"array {name!r}: {len(blob) - f.tell()} bytes of data for shape "
                             f"{shape} and dtype {dtype}")
    try:
        arr = np.load(io.BytesIO(blob), allow_pickle=False)
    except Exception as exc:
        raise _ProtocolError(f"array {name!r}: {exc}") from None
    if type(arr) is not np.ndarray or arr.dtype.newbyteorder("=") not in _ALLOWED_DTYPES:
        raise _ProtocolError(f"array {name!r} is not a plain numeric array")
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return np.asarray(arr, order="C")  # not ascontiguousarray: it makes a 0-d array 1-d


def _npy_bytes(name, value) -> bytes:
    if not isinstance(name, str):
        raise TypeError(f"array names must be strings, not {name!r}")
    arr = np.asarray(value)
    if arr.dtype.newbyteorder("=") not in _ALLOWED_DTYPES:
        raise TypeError(f"input {name!r} has dtype {arr.dtype}; only bool, int and float arrays "
                        "can be sent")
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr, order="C"), allow_pickle=False)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# One child process


_WORKDIR_PREFIX = "scratch-cnn-sandbox-"
_SWEPT = set()


def _sweep_stale_workdirs(tmp_dir):
    """Remove the working folders of graders that died without cleaning up (SIGKILL): each
    folder's name carries its grader's pid. Done once per folder per process."""
    folder = Path(tmp_dir or tempfile.gettempdir())
    if folder in _SWEPT:
        return
    _SWEPT.add(folder)
    for entry in folder.glob(f"{_WORKDIR_PREFIX}*"):
        owner = entry.name[len(_WORKDIR_PREFIX):].split("-", 1)[0]
        if not owner.isdigit() or int(owner) == os.getpid():
            continue
        try:
            os.kill(int(owner), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except PermissionError:
            pass  # alive, someone else's


class _Child:
    """One child process, its pipes, its output drain and its working folder."""

    def __init__(self, box: Sandbox):
        self.max_result_bytes = box.max_result_bytes
        self.uid = None
        become_subreaper()
        _sweep_stale_workdirs(box.tmp_dir)
        self.workdir = tempfile.mkdtemp(prefix=f"{_WORKDIR_PREFIX}{os.getpid()}-",
                                        dir=box.tmp_dir)
        fds = []
        try:
            self.left_out = []
            copy = _copy_submission(box.submission_path, Path(self.workdir), self.left_out,
                                    box.copy_siblings)
            if box.drop_privileges:
                _chown_tree(self.workdir, NOBODY, NOBODY)
            req_r, self.req_w = os.pipe()
            self.res_r, res_w = os.pipe()
            out_r, out_w = os.pipe()
            fds = [req_r, self.req_w, self.res_r, res_w, out_r, out_w]
            for fd in (self.req_w, self.res_r):
                _grow_pipe(fd)
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-B", "-u", str(CHILD_SCRIPT), str(req_r), str(res_w),
                 str(os.getpid())],
                stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, pass_fds=(req_r, res_w),
                cwd=self.workdir, env=_child_env(self.workdir), start_new_session=True)
        except BaseException:
            for fd in fds:
                os.close(fd)
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise
        for fd in (req_r, res_w, out_w):
            os.close(fd)
        with LIVE_LOCK:
            LIVE_CHILDREN.add(self.proc.pid)
        info = proc_stat(self.proc.pid)
        self.start_ticks = info.start if info else 0
        self.capture = OutputCapture(out_r, box.output_limit)
        os.set_blocking(self.req_w, False)
        os.set_blocking(self.res_r, False)
        self.stopped = False
        self.settings = _start_frame(box, copy, self.workdir)
        # If the Sandbox is dropped without close(), stop the child when it is collected or at
        # interpreter exit (a parent killed outright takes the child along: PDEATHSIG).
        self._finalizer = weakref.finalize(box, self.stop)

    # -- frames
    def start(self):
        """Send the start frame: what to load, and how to confine itself first."""
        self.send(self.settings, {}, time.monotonic() + 10)

    def send(self, header, blobs, deadline):
        data = json.dumps(dict(header, arrays=[{"name": n, "nbytes": len(b)}
                                               for n, b in blobs.items()])).encode()
        view = memoryview(b"".join([_FRAME_LENGTH.pack(len(data)), data, *blobs.values()]))
        while view:
            try:
                view = view[os.write(self.req_w, view):]
                continue
            except BlockingIOError:
                pass
            except BrokenPipeError:
                raise _Died(self._exit_status(deadline)) from None
            self._wait_io(self.req_w, select.POLLOUT, deadline)

    def receive(self, deadline, kinds, request_id=None):
        """(header, arrays) of the next frame, validated; _ChildFailure otherwise."""
        (size,) = _FRAME_LENGTH.unpack(self._read_exact(_FRAME_LENGTH.size, deadline))
        if size > _MAX_HEADER_BYTES:
            raise _ProtocolError(f"a header of {size} bytes")
        try:
            header = json.loads(self._read_exact(size, deadline).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise _ProtocolError(f"the header is not JSON ({exc})") from None
        if not isinstance(header, dict) or header.get("kind") not in kinds:
            raise _ProtocolError(f"expected a {'/'.join(kinds)} frame")
        if request_id is not None and header.get("id") != request_id:
            if type(header.get("id")) is int and 0 < header["id"] < request_id:
                raise _Stale("an answer to an earlier request")
            raise _ProtocolError("an answer to another request")
        listing = header.get("arrays", [])
        if not isinstance(listing, list) or len(listing) > 1000:
            raise _ProtocolError("malformed array list")
        sizes = {}
        for item in listing:
            name = item.get("name") if isinstance(item, dict) else None
            nbytes = item.get("nbytes") if isinstance(item, dict) else None
            if not isinstance(name, str) or len(name) > _MAX_NAME or name in sizes \
                    or type(nbytes) is not int or nbytes < 0:
                raise _ProtocolError("malformed array entry")
            sizes[name] = nbytes
        if sum(sizes.values()) > self.max_result_bytes:
            raise _ProtocolError(f"{sum(sizes.values())} bytes of arrays, more than the "
                                 f"{self.max_result_bytes / 2**20:g} MB a call may return")
        arrays = {name: _parse_npy(name, self._read_exact(n, deadline))
                  for name, n in sizes.items()}
        return header, arrays

    def _read_exact(self, n, deadline) -> bytes:
        buf = bytearray(n)
        view, got = memoryview(buf), 0
        while got < n:
            try:
                k = os.readv(self.res_r, [view[got:]])
            except BlockingIOError:
                k = None
            if k == 0:  # end of file: the child is gone (or closed its channel)
                raise _Died(self._exit_status(deadline))
            if k:
                got += k
                continue
            self._wait_io(self.res_r, select.POLLIN, deadline)
        return bytes(buf)

    def unsolicited(self) -> bool:
        """Whether the child sent something (or closed its channel) while no call was made."""
        poller = select.poll()
        poller.register(self.res_r, select.POLLIN)
        return bool(poller.poll(0))

    def _wait_io(self, fd, events, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Timeout()
        poller = select.poll()
        poller.register(fd, events)
        # Short slices: a dead child whose descendants hold the pipe open sends no EOF.
        if not poller.poll(min(remaining, 0.05) * 1000) and self.proc.poll() is not None:
            raise _Died(self.proc.returncode)

    def _exit_status(self, deadline):
        try:
            return self.proc.wait(timeout=max(0.0, min(1.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            return None

    # -- limits and processes
    def cpu_used(self) -> float:
        info = proc_stat(self.proc.pid)
        return info.cpu_seconds if info else 0.0

    def kill_tree(self):
        kill_tree(self.proc, self.start_ticks, self.uid)

    def stop(self, graceful=False):
        """Kill everything, reap it, drain the output, close the pipes, delete the folder."""
        if self.stopped:
            return
        self.stopped = True
        self._finalizer.detach()
        if graceful and self.proc.poll() is None:
            try:
                self.send({"kind": "exit"}, {}, time.monotonic() + 0.2)
                self.proc.wait(timeout=0.5)
            except (_ChildFailure, subprocess.TimeoutExpired):
                pass
        self.kill_tree()
        with LIVE_LOCK:
            LIVE_CHILDREN.discard(self.proc.pid)
        self.capture.close()
        for fd in (self.req_w, self.res_r):
            os.close(fd)
        _remove_tree(self.workdir)


# ---------------------------------------------------------------------------------------------
# Files and environment


def _start_frame(box: Sandbox, copy: Path, workdir: str) -> dict:
    return {"kind": "start", "loader": str(LOADER_FILE), "drivers": str(box.drivers_path),
            "submission": str(copy), "workdir": workdir, "entry": box.entry, "names": box.names,
            "forbidden_modules": list(box.forbidden_modules),
            "forbidden_paths": box.forbidden_paths,
            "readable_files": [str(CHILD_SCRIPT), str(LOADER_FILE), str(box.drivers_path)],
            "cell_timeout": box.timeout, "memory_bytes": box.memory_mb << 20,
            "file_bytes": box.file_limit_mb << 20,
            # RLIMIT_CPU: soft per load/call, hard for the child's whole life
            "cpu_load_seconds": math.ceil(box.load_timeout) + 1,
            "cpu_seconds": box.cpu_seconds, "cpu_lifetime_seconds": box.cpu_lifetime,
            "max_processes": box.max_processes, "uid": NOBODY, "gid": NOBODY,
            "drop_privileges": box.drop_privileges, "namespaces": box.namespaces,
            "guards": box.guards}


def _child_env(workdir) -> dict:
    # Nothing from our own environment: it may hold the grading seed or credentials.
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": workdir,
            "TMPDIR": workdir, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1"}


def _copy_submission(src: Path, workdir: Path, left_out=None, siblings=True) -> Path:
    """Copy the submission into the working folder: the child never sees the original.
    Symbolic links and special files are left out (a link could point at anything; we copy as
    root): their paths, relative to the submission, are appended to `left_out`. A submission
    that is itself a link is refused, for the same reason."""
    if os.path.islink(src):
        raise SubmissionError(f"{src} is a symbolic link; give the file or folder itself (the "
                              "grader never follows links out of a submission)")
    try:
        real = Path(os.path.realpath(src))
        if not real.exists():
            raise SubmissionError(f"{src}: no such file or folder")
        dest = workdir / real.name
        if real.is_dir():
            total = 0
            for dirpath, dirnames, filenames in os.walk(real):
                dirnames[:] = [d for d in dirnames if d not in _JUNK]
                total += sum(os.lstat(os.path.join(dirpath, f)).st_size for f in filenames)
            if total > _MAX_COPY_BYTES:
                raise SubmissionError(f"{src}: larger than {_MAX_COPY_BYTES >> 20} MB")

            def ignore(folder, names):
                ignored = _ignore_for_copy(folder, names)
                if left_out is not None:
                    left_out.extend(os.path.relpath(os.path.join(folder, n), real)
                                    for n in sorted(ignored - _JUNK))
                return ignored

            shutil.copytree(real, dest, symlinks=True, ignore=ignore)
        elif real.is_file():
            shutil.copyfile(real, dest)
            # its sibling modules too, so that `from util import im2col` works (they only run
            # if imported)
            for sibling in sorted(real.parent.glob("*.py"))[:_MAX_SIBLINGS] if siblings else ():
                if sibling.name != real.name and sibling.is_file() and not sibling.is_symlink() \
                        and sibling.stat().st_size <= _MAX_SIBLING_BYTES:
                    shutil.copyfile(sibling, workdir / sibling.name)
        else:
            raise SubmissionError(f"{src}: not a regular file or folder")
    except OSError as exc:
        raise SubmissionError(f"{src}: cannot be read ({exc.strerror or exc})") from None
    return dest


def _ignore_for_copy(folder, names):
    ignored = set()
    for name in names:
        st = os.lstat(os.path.join(folder, name))
        if name in _JUNK or not (S_ISREG(st.st_mode) or S_ISDIR(st.st_mode)):
            ignored.add(name)
    return ignored


def _chown_tree(root, uid, gid):
    for dirpath, dirnames, filenames in os.walk(root):
        os.lchown(dirpath, uid, gid)
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), uid, gid)


def _remove_tree(path):
    def retry(func, p, _exc):  # a submission may have left read-only folders behind
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=retry)
    else:
        shutil.rmtree(path, onerror=retry)


def _grow_pipe(fd):
    try:
        import fcntl
        fcntl.fcntl(fd, 1031, 1 << 20)  # F_SETPIPE_SZ: fewer wake-ups for large arrays
    except (ImportError, OSError):
        pass


def _public_functions(path: Path) -> frozenset:
    """Driver names: the public top-level functions of the drivers module (read, not run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return frozenset(n.name for n in tree.body
                     if isinstance(n, ast.FunctionDef) and not n.name.startswith("_"))


def _module_dirs(name: str) -> set:
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


def _forbidden_paths(modules, extra, tmp_dir) -> list:
    """Folders the child must not read: the forbidden packages and, in a source checkout, the
    whole checkout except the interpreter's environment (its tests and .git hold the reference
    too)."""
    paths = {os.path.realpath(_HERE.parent)}
    for name in modules:
        paths |= _module_dirs(name)
    checkout = _HERE.parent.parent
    if (checkout / "pyproject.toml").is_file():
        keep = [os.path.realpath(p) for p in (sys.prefix, sys.exec_prefix, tmp_dir)]
        for entry in checkout.iterdir():
            real = os.path.realpath(entry)
            if not any(k == real or k.startswith(real + os.sep) for k in keep):
                paths.add(real)
    paths |= {os.path.realpath(p) for p in extra}
    return sorted(paths)
