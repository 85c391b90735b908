"""What a sandbox returns: the result of loading a submission and of each call, in data the
grader judges (never anything the child says about passing)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .isolation import Isolation

STATUSES = ("ok", "error", "timeout", "crashed", "protocol_error", "memory")
PROCESS_EVENTS = ("os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn",
                  "os.spawn", "subprocess.Popen", "pty.spawn", "os.startfile")


@dataclass(frozen=True)
class Refusal:
    """Something the submission tried and was refused (or a patch that was undone)."""

    event: str   # the audit event, "import", "open", "tamper", ...
    detail: str  # its argument: a module name, a path, a pid

    @property
    def message(self) -> str:
        return describe_refusal(self.event, self.detail)


_MESSAGES = {
    "import": "the submission tried to import {} (not allowed)",
    "open": "the submission tried to open {} (refused)",
    "tamper": "the submission replaced {}; the original was put back",
    "left_out": "{} was left out: symbolic links and special files in a submission are not "
                "copied",
    "left_out_deep": "{} was left out: folders nested this deep are not copied",
    "left_out_unreadable": "{} could not be read and was left out",
    "timer": "the submission left a timer running ({}); it was cancelled",
    "signal": "the submission changed {} (signals); the original was put back",
    "more": "... and {} more refused attempts",
    "os.kill": "the submission tried to signal process {} (refused)",
}


def describe_refusal(event: str, detail: str) -> str:
    if event in _MESSAGES:
        return _MESSAGES[event].format(detail)
    if event in PROCESS_EVENTS:
        return f"the submission tried to start another process ({event}; refused)"
    if event.startswith("socket."):
        return "the submission tried to use the network (refused)"
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
    """What happened when the child loaded the submission, and how it was isolated."""

    status: str                                   # "ok", "error", "timeout", "crashed", ...
    report: dict = field(default_factory=dict)    # conformance.loader.LoadReport.to_dict()
    refused: list = field(default_factory=list)   # [Refusal]
    output: str = ""                              # stdout+stderr (head and tail)
    output_bytes: int = 0
    wall_time: float = 0.0
    notes: list = field(default_factory=list)     # how the child was confined
    error: ErrorInfo | None = None
    isolation: Isolation | None = None            # the layers in effect

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
                lines.append(f"{where}: {e.get('type')}{at}: {e.get('message')}"
                             + lost_names(unit.get("lost", [])))
        lines += list(self.report.get("warnings", []))
        lines += [r.message for r in self.refused]
        if self.report.get("missing"):
            lines.append("not defined: " + ", ".join(self.report["missing"]))
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
    # the inputs as the call left them, read back by the parent from the memory it gave the
    # child (empty when the call never ran); the grader compares them with its own copies
    inputs_after: dict = field(default_factory=dict)  # name -> np.ndarray

    @property
    def ok(self) -> bool:
        return self.status == "ok"
