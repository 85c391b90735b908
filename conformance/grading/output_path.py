"""The results file of `scratch-cnn grade -o FILE`, made ready before any grading.

- A folder that cannot be created or written, or that has no room, is a clear error up front,
  not a traceback after the whole grading has run.
- A results file left by an earlier run is never mistaken for this run's: before grading, a
  Gradescope or JSON results file is replaced by a placeholder that says grading did not finish
  (Gradescope's run_autograder checks that results.json exists: if the grader is killed, what it
  finds tells the truth); a file of the other formats is removed. The real results then replace
  the placeholder atomically (results.write).
"""

from __future__ import annotations

import json
import os
import tempfile

from ..files import write_text_atomic

MIN_FREE_BYTES = 1 << 20  # results files are small; less than this left is a full disk
NOT_FINISHED = ("Grading did not finish: the grader stopped before writing its results (it was "
                "stopped or killed, or the machine failed). This is not a grade: grade again.")


class OutputPathError(ValueError):
    pass


def prepare(path, fmt: str) -> None:
    """Check that `path` can be written, and put the placeholder in place (see above)."""
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise OutputPathError(f"{path} is a folder; give a file name (e.g. {path}/results.json)")
    check_folder(folder)
    try:
        if fmt in ("gradescope", "json"):
            write_text_atomic(path, placeholder(fmt))
        elif os.path.lexists(path):
            os.unlink(path)
    except OSError as exc:
        raise OutputPathError(f"cannot replace the earlier {path} ({exc.strerror})") from None


def check_folder(folder) -> None:
    """`folder` exists (made if need be), can be written into, and has room."""
    folder = os.fspath(folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"cannot create the output folder {folder} ({exc.strerror}); "
                              "choose another one") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".scratch-cnn-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputPathError(f"cannot write into {folder} ({exc.strerror}); choose another "
                              "output or make the folder writable") from None
    try:
        stats = os.statvfs(folder)
    except OSError:
        return
    if stats.f_bavail * stats.f_frsize < MIN_FREE_BYTES:
        free = stats.f_bavail * stats.f_frsize
        raise OutputPathError(f"{folder} has only {free // 1024} KB free; free some space or "
                              "choose another output")


def placeholder(fmt: str) -> str:
    if fmt == "gradescope":
        return json.dumps({"score": 0.0, "output": NOT_FINISHED, "tests": []}, indent=1)
    return json.dumps({"status": "not finished", "message": NOT_FINISHED}, indent=1)
