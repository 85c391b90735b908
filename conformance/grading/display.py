"""How reports name the student's files: as the student knows them (`cnn.py`), never by the
grader's paths (/autograder/submission/cnn.py, the sandbox's copy in a temporary folder),
which mean nothing to a student and make repro lines that do not run on their machine."""

import re
from pathlib import Path

from . import staging

_MAX_FILES = 1000  # names looked for in messages; a submission rarely has more than a few


def submission_name(submission, load_report=None) -> str:
    """A single file: its name. A folder: the one file that ran, relative to the folder, or
    "." (the folder itself, as `--impl .` from inside it) when several did."""
    path = Path(submission)
    if not path.is_dir():
        return path.name
    ran = {unit.get("file") for unit in (load_report or {}).get("units", [])
           if isinstance(unit.get("file"), str)}
    return ran.pop() if len(ran) == 1 else "."


def file_names(submission, siblings=True) -> list:
    """The submission's files, relative to it: what a path in a message may end with. Walked
    like the sandbox reads it (staging.scan: no link followed, no recursion: a student's tree
    may be 1500 folders deep)."""
    try:
        tree = staging.scan(submission, siblings=siblings)
    except staging.StagingError:
        return []
    return sorted("/".join(parts) for parts, _ in tree.files)[:_MAX_FILES]


def relative_paths(names):
    """A function that rewrites every absolute path ending in one of `names` (a traceback's
    File "/tmp/scratch-cnn-sandbox-12/submission/cnn.py") to that name (File "cnn.py")."""
    if not names:
        return lambda text: text
    alternatives = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
    # the shortest folder prefix first, so that "hw/cnn.py" keeps its folder
    pattern = re.compile(rf"(?<![\w.~-])(?:/[^/\s\"'<>]+)+?/(?=(?:{alternatives})(?![\w./-]))")

    def shown(text):
        return pattern.sub("", text) if text else text

    return shown


def missing_modules(load_report) -> list:
    """Sentences for the modules the submission imported that are not installed where it is
    graded (a notebook's `import matplotlib.pyplot as plt` on a grader with NumPy only)."""
    modules = []
    for unit in (load_report or {}).get("units", []):
        error = unit.get("error") or {}
        if error.get("type") == "ModuleNotFoundError" and isinstance(error.get("module"), str):
            modules.append(error["module"].split(".")[0])
    return [f"`{m}` is not installed where submissions are graded, so the code after that "
            f"import did not run. Instructors: list it in the rubric's `requirements` (and "
            f"rebuild the Gradescope bundle or the image); students: if your layers do not need "
            f"it, remove the import." for m in dict.fromkeys(modules)]
