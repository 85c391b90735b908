"""Load a student's submission (.py file, notebook, Markdown export or folder) into a module.

STANDALONE: this file imports only the standard library, because the grader's child process loads
it by file path, where this project's packages cannot be imported.

`load_submission(path)` executes the student's code into a fresh module and returns a `LoadReport`
saying, per file and per notebook cell, what ran, what raised (type, message, line) and what was
skipped and why. One broken cell never stops the load: later cells still run, as they would for a
student who runs the notebook top to bottom and ignores the red box. Only a path that cannot be
read at all raises `SubmissionError`.

This module does not isolate anything: run untrusted code through conformance.grading.sandbox.
"""

from __future__ import annotations

import ast
import io
import json
import linecache
import os
import re
import signal
import sys
import textwrap
import threading
import tokenize
import types
from dataclasses import asdict, dataclass, field

__all__ = ["CONTRACT_NAMES", "SELF_CHECK_MARKER", "LoadReport", "SubmissionError", "UnitReport",
           "code_units", "extract_markdown_cells", "is_self_check", "load_submission",
           "lost_names"]

# The book's API that the grader looks for (DESIGN.md, "The contract a submission meets").
CONTRACT_NAMES = frozenset({"im2col", "col2im", "Convolution", "Pooling", "Relu", "Affine",
                            "SoftmaxWithLoss", "SimpleConvNet"})

PY_SUFFIXES = (".py",)
NOTEBOOK_SUFFIXES = (".ipynb",)
TEXT_SUFFIXES = (".md", ".markdown", ".txt")

# Never executed: pytest would run these, and so might a grader that globbed carelessly.
_EXCLUDED_FILES = re.compile(r"^(conftest\.py|setup\.py|test_.*\.py|.*_test\.py)$")
_EXCLUDED_DIRS = frozenset({"tests", "__pycache__", ".ipynb_checkpoints", ".git", ".venv",
                            "venv", "env", "site-packages", "node_modules"})
_MAX_FILE_BYTES = 20 * 2**20  # notebooks with inline images are large; bigger is not code
_MAX_FILES = 200


class SubmissionError(ValueError):
    """The submission cannot be read at all (missing, unreadable, not a supported kind)."""


class CellTimeout(BaseException):
    """Raised inside a cell that ran past `cell_timeout` (a BaseException so that `except
    Exception` in student code does not swallow it)."""


@dataclass
class UnitReport:
    """One executed unit: a whole .py file, or one code cell of a notebook or of an export."""

    file: str                       # path relative to the submission root
    kind: str                       # "py" | "ipynb" | "md"
    filename: str                   # the name tracebacks show for this code
    cell: int | None = None         # 1-based number among the file's code cells
    label: str | None = None        # the notebook's prompt, e.g. "In [4]"
    start_line: int | None = None   # first line of the cell in the file (Markdown exports)
    status: str = "ran"             # "ran" | "raised" | "syntax_error" | "timeout" | "skipped"
    reason: str | None = None       # why it was skipped
    error: dict | None = None       # {"type", "message", "line", "text"}
    skipped_lines: list = field(default_factory=list)  # [{"line", "text", "reason"}]
    lost: list = field(default_factory=list)  # contract names this unit defines but never ran to

    def where(self) -> str:
        """'notes.md, cell 3 (In [4], line 87)' for messages."""
        if self.cell is None:
            return self.file
        extra = [x for x in (self.label, self.start_line and f"line {self.start_line}") if x]
        return f"{self.file}, cell {self.cell}" + (f" ({', '.join(extra)})" if extra else "")


@dataclass
class LoadReport:
    path: str
    kind: str                        # "py" | "ipynb" | "md" | "folder"
    units: list = field(default_factory=list)          # [UnitReport]
    skipped_files: list = field(default_factory=list)  # [{"file", "reason"}]
    defined: list = field(default_factory=list)        # contract names the module ends up with
    missing: list = field(default_factory=list)        # contract names it lacks
    notes: list = field(default_factory=list)
    module: types.ModuleType | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return all(u.status in ("ran", "skipped") for u in self.units)

    def problems(self) -> list:
        return [u for u in self.units if u.status not in ("ran", "skipped")]

    def to_dict(self) -> dict:
        """Plain JSON-serialisable data (everything but the live module)."""
        return {"path": self.path, "kind": self.kind, "units": [asdict(u) for u in self.units],
                "skipped_files": [dict(s) for s in self.skipped_files],
                "defined": list(self.defined), "missing": list(self.missing),
                "notes": list(self.notes)}

    def summary(self) -> str:
        """Plain text, one line per problem, for the student's report."""
        lines = []
        for u in self.units:
            if u.status == "skipped":
                lines.append(f"{u.where()}: skipped ({u.reason})")
            elif u.status != "ran":
                e = u.error or {}
                at = f" at line {e['line']}" if e.get("line") else ""
                lines.append(f"{u.where()}: {e.get('type')}{at}: {e.get('message')}"
                             + lost_names(u.lost))
        lines += [f"{s['file']}: not executed ({s['reason']})" for s in self.skipped_files]
        if self.missing:
            lines.append("not defined: " + ", ".join(self.missing))
        return "\n".join(lines + list(self.notes))


def lost_names(names) -> str:
    """'; so Relu and Affine, defined in it, do not exist' (a failed cell's consequence)."""
    if not names:
        return ""
    listed = ", ".join(f"`{n}`" for n in names)
    verb = "does" if len(names) == 1 else "do"
    return f"; so {listed}, defined in it, {verb} not exist"


def load_submission(path, namespace=None, *, names=CONTRACT_NAMES, entry=None,
                    module_name="submission", cell_timeout=None) -> LoadReport:
    """Execute the submission at `path` into `namespace` (a fresh module named `module_name` by
    default) and report what happened.

    - a .py file runs as one unit, with `__file__` set and its folder on sys.path;
    - a notebook (.ipynb) or a Markdown/text export runs cell by cell; IPython magics, shell lines
      and get_ipython() calls are skipped; a cell that raises is recorded and the next one runs;
    - a folder runs `entry` if given, else every file that defines one of `names` (found with
      `ast`, without running anything): .py files, then notebooks, then exports, each group in
      path order. Test files (conftest.py, test_*.py, *_test.py, tests/) and setup.py never run.

    `cell_timeout` (seconds, main thread only) stops a unit that runs too long, e.g. a training
    cell, and records it as "timeout". The module is registered in sys.modules[module_name], the
    submission's folder stays on sys.path (its functions may import lazily) and the working
    directory is restored afterwards.
    """
    root = _check_path(path)
    module = namespace if namespace is not None else types.ModuleType(module_name)
    names = sorted(set(names or ()))
    if root.is_dir:
        kind = "folder"
        plan, skipped = _plan_folder(root.path, names, entry)
    else:
        kind = _kind_of(root.path)
        if _EXCLUDED_FILES.match(os.path.basename(root.path)):
            raise SubmissionError(f"{root.path}: test and setup files are never executed")
        plan, skipped = [root.path], []
    base = root.path if root.is_dir else os.path.dirname(root.path)
    report = LoadReport(path=root.path, kind=kind, skipped_files=skipped, module=module)
    sys.modules[module_name] = module
    cwd = os.getcwd()
    try:
        _add_to_path(base)
        for file in plan:
            rel = os.path.relpath(file, base)
            try:
                units = _read_units(file, rel)
            except SubmissionError as exc:
                if not root.is_dir:
                    raise
                report.skipped_files.append({"file": rel, "reason": str(exc)})
                continue
            _add_to_path(os.path.dirname(file))
            os.chdir(os.path.dirname(file))  # as if the student ran it from its own folder
            for unit, code in units:
                report.units.append(unit)
                if code is not None:
                    _run_unit(unit, code, file, module, cell_timeout)
                    if unit.status in ("raised", "timeout"):
                        unit.lost = sorted(_bound_at_top_level(ast.parse(code).body))
    finally:
        os.chdir(cwd)
    report.defined = [n for n in names if hasattr(module, n)]
    report.missing = [n for n in names if not hasattr(module, n)]
    for unit in report.units:  # what a failed cell would have defined, and nothing else did
        unit.lost = [n for n in unit.lost if n in report.missing]
    if kind == "folder" and not plan:
        report.notes.append("no file in the folder defines any of: " + ", ".join(names))
    return report


def code_units(path) -> list:
    """[(UnitReport, code)]: the code `load_submission` would run for `path` (a file or a
    folder), read without running anything; skipped cells and unreadable files are left out.
    For tools that compare submissions (the similarity report)."""
    root = _check_path(path)
    if root.is_dir:
        files, base = _plan_folder(root.path, [], None)[0], root.path
    else:
        files, base = [root.path], os.path.dirname(root.path)
    units = []
    for file in files:
        try:
            units += [(unit, code) for unit, code in _read_units(file, os.path.relpath(file, base))
                      if code is not None]
        except SubmissionError:
            continue
    return units


# ---------------------------------------------------------------------------------------------
# Paths and files


@dataclass
class _Root:
    path: str
    is_dir: bool


def _check_path(path) -> _Root:
    try:
        p = os.path.realpath(os.fspath(path))
    except TypeError as exc:
        raise SubmissionError(f"{path!r} is not a path: {exc}") from None
    if not os.path.exists(p):
        raise SubmissionError(f"{path}: no such file or folder")
    if os.path.isdir(p):
        if not os.access(p, os.R_OK | os.X_OK):
            raise SubmissionError(f"{path}: the folder cannot be read (permission denied)")
        return _Root(p, True)
    if not os.path.isfile(p):
        raise SubmissionError(f"{path}: not a regular file or folder")
    _kind_of(p)
    if not os.access(p, os.R_OK):
        raise SubmissionError(f"{path}: the file cannot be read (permission denied)")
    return _Root(p, False)


def _kind_of(path: str) -> str:
    lower = path.lower()
    if lower.endswith(PY_SUFFIXES):
        return "py"
    if lower.endswith(NOTEBOOK_SUFFIXES):
        return "ipynb"
    if lower.endswith(TEXT_SUFFIXES):
        return "md"
    raise SubmissionError(f"{path}: not a .py file, a notebook (.ipynb), a Markdown/text export "
                          f"(.md, .txt) or a folder")


def _add_to_path(folder: str) -> None:
    if folder not in sys.path:
        sys.path.insert(0, folder)


def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SubmissionError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > _MAX_FILE_BYTES:
        raise SubmissionError(f"{path}: larger than {_MAX_FILE_BYTES // 2**20} MB")
    try:
        if path.lower().endswith(PY_SUFFIXES):  # honour a PEP 263 coding line
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            return data.decode(encoding)
        return data.decode("utf-8-sig")
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"{path}: not readable as text ({exc})") from None


def _read_units(path: str, rel: str) -> list:
    """[(UnitReport, code or None)] for one file; code None means the unit is skipped."""
    kind = _kind_of(path)
    text = _read_text(path)
    if kind == "py":
        return [(UnitReport(file=rel, kind="py", filename=path), text)]
    cells = _notebook_cells(text, path) if kind == "ipynb" else extract_markdown_cells(text)
    units = []
    for number, (source, label, start_line) in enumerate(cells, 1):
        if is_self_check(source):
            continue  # it imports the checker, which grading refuses; it defines nothing
        unit = UnitReport(file=rel, kind=kind, filename=f"{rel} [cell {number}]", cell=number,
                          label=label, start_line=start_line)
        code, unit.skipped_lines, skip_reason = strip_ipython(source)
        if skip_reason:
            unit.status, unit.reason, code = "skipped", skip_reason, None
        elif not code.strip():
            unit.status, unit.reason, code = "skipped", "empty cell", None
        units.append((unit, code))
    return units


# The first line of the check cells `scratch-cnn assignment` writes into a starter notebook.
SELF_CHECK_MARKER = "# scratch-cnn: self-check (not graded; the grader skips this cell)"


def is_self_check(source: str) -> bool:
    """Whether a notebook cell is a starter's self-check cell (its first line is the marker)."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return first == SELF_CHECK_MARKER


def _plan_folder(folder: str, names: list, entry):
    """Which files of a folder to execute, in order, and which were left out and why."""
    if entry is not None:
        target = os.path.realpath(os.path.join(folder, os.fspath(entry)))
        if os.path.commonpath([target, folder]) != folder:
            raise SubmissionError(f"entry {entry!r} is outside the submission folder {folder}")
        if not os.path.isfile(target):
            raise SubmissionError(f"entry {entry!r}: no such file in {folder}")
        if _EXCLUDED_FILES.match(os.path.basename(target)):
            raise SubmissionError(f"entry {entry!r}: test and setup files are never executed")
        _kind_of(target)
        return [target], []

    groups = {"py": [], "ipynb": [], "md": []}
    skipped = []
    for dirpath, dirnames, filenames in os.walk(folder):
        rel_dir = os.path.relpath(dirpath, folder)
        kept = []
        for d in sorted(dirnames):
            if d in _EXCLUDED_DIRS or d.startswith("."):
                skipped.append({"file": os.path.join(rel_dir, d).removeprefix("./") + "/",
                                "reason": "test or tool folder" if d == "tests"
                                else "hidden or tool folder"})
            else:
                kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, folder)
            try:
                kind = _kind_of(name)
            except SubmissionError:
                continue
            if os.path.islink(path):
                skipped.append({"file": rel, "reason": "symbolic link"})
            elif _EXCLUDED_FILES.match(name):
                skipped.append({"file": rel, "reason": "test or setup file, never executed"})
            else:
                groups[kind].append(path)
    notebooks = {os.path.splitext(p)[0] for p in groups["ipynb"]}
    plan = []
    for kind in ("py", "ipynb", "md"):
        for path in sorted(groups[kind], key=lambda p: os.path.relpath(p, folder)):
            rel = os.path.relpath(path, folder)
            if kind == "md" and os.path.splitext(path)[0] in notebooks:
                skipped.append({"file": rel, "reason": "an export of a notebook that is present"})
                continue
            try:
                found = _defined_names(path) & set(names) if names else {"*"}
            except SubmissionError as exc:
                skipped.append({"file": rel, "reason": str(exc)})
                continue
            if not found:
                skipped.append({"file": rel, "reason": "defines none of the graded names"})
            elif len(plan) >= _MAX_FILES:
                skipped.append({"file": rel, "reason": f"more than {_MAX_FILES} files"})
            else:
                plan.append(path)
    return plan, skipped


def _defined_names(path: str) -> set:
    """Names a file binds at top level (def, class, assignment), found without running it."""
    kind = _kind_of(path)
    text = _read_text(path)
    if kind == "py":
        sources = [text]
    else:
        cells = _notebook_cells(text, path) if kind == "ipynb" else extract_markdown_cells(text)
        sources = [strip_ipython(src)[0] or "" for src, _, _ in cells]
    found = set()
    for src in sources:
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # reported when it runs
            found |= set(re.findall(r"^[ \t]*(?:def|class)\s+(\w+)", src, re.M))
            continue
        found |= _bound_at_top_level(tree.body)
    return found


def _bound_at_top_level(body) -> set:
    found = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                found |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for block in ("body", "orelse", "finalbody"):
                found |= _bound_at_top_level(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                found |= _bound_at_top_level(handler.body)
    return found


# ---------------------------------------------------------------------------------------------
# Notebooks


def _notebook_cells(text: str, path: str) -> list:
    """[(source, label, None)] for the code cells of an nbformat 4 (or 3) notebook."""
    try:
        nb = json.loads(text)
    except ValueError as exc:
        raise SubmissionError(f"{path}: not a valid notebook (JSON error: {exc})") from None
    if not isinstance(nb, dict):
        raise SubmissionError(f"{path}: not a valid notebook (the top level is not an object)")
    cells = nb.get("cells")
    if cells is None and isinstance(nb.get("worksheets"), list) and nb["worksheets"]:
        cells = nb["worksheets"][0].get("cells")  # nbformat 3
    if not isinstance(cells, list):
        raise SubmissionError(f"{path}: not a valid notebook (no list of cells)")
    out = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            source = ""
        count = cell.get("execution_count", cell.get("prompt_number"))
        label = f"In [{count if isinstance(count, int) else ' '}]"
        out.append((source, label, None))
    return out


_MAGIC_ASSIGN = re.compile(r"^[\w.,\s]+=\s*[!%]")
_HELP = re.compile(r"^[\w.]+\?\??\s*$")


def strip_ipython(source: str):
    """(code, skipped_lines, reason_to_skip_the_cell) for one notebook cell.

    Magics (`%time`), shell lines (`!pip install`), `x = !ls`, `obj?` and get_ipython() calls
    are not Python: they become `pass` (so indentation and line numbers stay right). A cell magic
    (`%%time`, `%%bash`) makes the whole cell something else, so the cell is skipped.
    """
    lines = source.splitlines()
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    if first.startswith("%%"):
        return None, [], f"cell magic {first.split()[0]}"
    try:
        compile(source, "<cell>", "exec", dont_inherit=True)
        compiles = True
    except Exception:  # SyntaxError, or ValueError/RecursionError for pathological code
        compiles = False
    skipped, out = [], []
    for number, line in enumerate(lines, 1):
        stripped = line.lstrip()
        reason = None
        if "get_ipython()" in stripped and re.match(r"^([\w.,\s]+=\s*)?get_ipython\(\)", stripped):
            reason = "IPython call"
        elif not compiles:  # a `%` or `!` at the start of a valid statement is not Python
            if stripped.startswith("%"):
                reason = "IPython magic"
            elif stripped.startswith("!"):
                reason = "shell command"
            elif _MAGIC_ASSIGN.match(stripped):
                reason = "IPython magic or shell command"
            elif _HELP.match(stripped):
                reason = "IPython help request"
        if reason:
            skipped.append({"line": number, "text": line.strip()[:200], "reason": reason})
            out.append(line[: len(line) - len(stripped)] + "pass")
        else:
            out.append(line)
    return "\n".join(out) + "\n", skipped, None


# ---------------------------------------------------------------------------------------------
# Markdown / text exports of notebooks


_IN_MARKER = re.compile(r"^\s*In\s*\[[^\]]*\]:\s?(.*)$")
_OUT_MARKER = re.compile(r"^\s*Out\s*\[[^\]]*\]:")
_FENCE = re.compile(r"^\s{0,3}(```+|~~~+)\s*([\w+-]*)")
_PY_LANGS = {"python", "py", "python3", "ipython", "ipython3", "ipython2", "python2"}
_MARKDOWN_LINE = re.compile(r"^(#|!\[|>|[-*+]\s|\d+[.)]\s|\||<[a-zA-Z/!]|---|\*\*\*|===)")
_CODE_START = re.compile(
    r"^(@\w|(def|class|if|elif|else|for|while|try|except|finally|with|async|return|raise|"
    r"assert|del|pass|break|continue|global|nonlocal|yield|import|from|lambda)\b"
    r"|[A-Za-z_][\w.]*(\[[^\]]*\])*\s*(=[^=]|[-+*/%&|^@]=|\()"
    r"|[A-Za-z_][\w.]*\s*,\s*[A-Za-z_][\w.]*.*=)")
_OUTPUT_CALL = re.compile(r"^(array|tensor|matrix|Out)\(")


def extract_markdown_cells(text: str) -> list:
    """[(source, label, start_line)] for the code cells of a notebook exported as Markdown/text.

    Code appears in ```python fences, or unfenced after an `In [4]:` / `In [ ]:` prompt. An
    unfenced cell runs until the next prompt or fence, a Markdown line at its base indentation
    (heading, image, quote, list item, table), or a blank line followed by an unindented line
    that does not look like Python (the printed output of the cell, e.g. `(10, 1, 28, 28)`).
    A `#` line is a Markdown heading only after a blank line and when no code follows it;
    otherwise it is a comment of the cell.
    """
    lines = text.splitlines()
    cells, i, label = [], 0, None
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            close = _find_fence_end(lines, i + 1, fence.group(1))
            if fence.group(2).lower() in _PY_LANGS or (label and not fence.group(2)):
                body = "\n".join(lines[i + 1:close])
                if body.strip():
                    cells.append((textwrap.dedent(body) + "\n", label, i + 2))
            label, i = None, close + 1
            continue
        marker = _IN_MARKER.match(line)
        if marker:
            label = "In [" + line.split("[", 1)[1].split("]", 1)[0] + "]"
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if not marker.group(1).strip() and j < len(lines) and _FENCE.match(lines[j]):
                i = j  # the fence that follows carries the code (and the label)
                continue
            body, end, start = _unfenced_cell(lines, i, marker.group(1))
            if body.strip():
                cells.append((textwrap.dedent(body) + "\n", label, start))
            label, i = None, end
            continue
        i += 1
    return cells


def _find_fence_end(lines, start, opener) -> int:
    for k in range(start, len(lines)):
        if lines[k].strip().startswith(opener[:3]) and set(lines[k].strip()) <= set(opener[0]):
            return k
    return len(lines)


def _unfenced_cell(lines, marker_index, same_line_code):
    """(code, index after the cell, first line number of the code) for a prompt's cell."""
    code = [same_line_code] if same_line_code.strip() else []
    start = marker_index + 1 if code else None
    base, blank_before, j = None, False, marker_index + 1
    while j < len(lines):
        line = lines[j]
        if _IN_MARKER.match(line) or _OUT_MARKER.match(line) or _FENCE.match(line):
            break
        if not line.strip():
            code.append("")
            blank_before, j = True, j + 1
            continue
        indent = len(line) - len(line.lstrip())
        if base is None:
            base = indent
        if indent <= base and not code_line_continues(lines, j, blank_before):
            break
        if start is None:
            start = j + 1
        code.append(line)
        blank_before, j = False, j + 1
    while code and not code[-1].strip():
        code.pop()
    return "\n".join(code), j, start


def code_line_continues(lines, j, blank_before) -> bool:
    """Whether the unindented line `lines[j]` still belongs to the code cell."""
    stripped = lines[j].strip()
    if stripped.startswith("#"):
        if not blank_before:
            return True  # a comment right under code
        # After a blank line a `#` line is a Markdown heading unless code follows it.
        k = j + 1
        while k < len(lines) and (not lines[k].strip() or lines[k].strip().startswith("#")):
            k += 1
        return k < len(lines) and _looks_like_code(lines[k].strip())
    if _MARKDOWN_LINE.match(stripped):
        return False
    return not blank_before or _looks_like_code(stripped)


def _looks_like_code(stripped: str) -> bool:
    """A heuristic for one unindented line after a blank line: Python, or printed output?"""
    if _MARKDOWN_LINE.match(stripped) or _OUTPUT_CALL.match(stripped):
        return False
    probe = stripped + ("\n    pass" if stripped.endswith(":") else "")
    try:
        tree = ast.parse(probe)
    except (SyntaxError, ValueError):
        return bool(_CODE_START.match(stripped))  # e.g. the first line of a multi-line call
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
        value = tree.body[0].value
        # `(10, 1, 28, 28)`, `0.912`, `True`, `x`: what a cell prints or displays, not code.
        try:
            ast.literal_eval(value)
            return False
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
        return not isinstance(value, (ast.Name, ast.Attribute, ast.Compare, ast.BinOp))
    return True


# ---------------------------------------------------------------------------------------------
# Running code


def _run_unit(unit: UnitReport, code: str, path: str, module, cell_timeout) -> None:
    if unit.kind != "py":  # let tracebacks and linecache show the cell's own lines
        lines = code.splitlines(keepends=True)
        linecache.cache[unit.filename] = (len(code), None, lines, unit.filename)
    try:
        compiled = compile(code, unit.filename, "exec", dont_inherit=True)
    # ValueError: a NUL byte in the source; RecursionError/MemoryError: absurdly nested code
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as exc:
        unit.status = "syntax_error"
        unit.error = {"type": type(exc).__name__, "message": _safe_str(getattr(exc, "msg", exc)),
                      "line": getattr(exc, "lineno", None),
                      "text": (getattr(exc, "text", None) or "").strip()[:200] or None}
        return
    if unit.kind == "py":  # notebooks have no __file__ in Jupyter either
        module.__dict__["__file__"] = path
    try:
        with _time_limit(cell_timeout):
            exec(compiled, module.__dict__)
    except CellTimeout:
        unit.status = "timeout"
        unit.error = {"type": "Timeout", "message": f"stopped after {cell_timeout:g} s",
                      "line": None, "text": None}
    except BaseException as exc:  # noqa: B036 - SystemExit and KeyboardInterrupt are failures too
        unit.status = "raised"
        line = _line_in(exc, unit.filename)
        text = linecache.getline(unit.filename, line).strip()[:200] if line else ""
        message = _safe_str(exc)
        if isinstance(exc, SystemExit):  # "SystemExit: 1" says little to a student
            message = f"the code called sys.exit({_safe_repr(exc.code)}); the rest still ran"
        unit.error = {"type": type(exc).__name__, "message": message, "line": line,
                      "text": text or None}
        if isinstance(exc, ModuleNotFoundError) and isinstance(exc.name, str):
            unit.error["module"] = exc.name[:200]  # the grader says what to install


def _line_in(exc: BaseException, filename: str):
    """The line of `filename` the exception went through last (the cell's own line)."""
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is None and isinstance(exc, SyntaxError) and exc.filename == filename:
        line = exc.lineno
    return line


def _safe_str(exc) -> str:
    try:
        text = str(exc)
    except BaseException:  # noqa: B036 - a student's __str__ may raise anything
        text = "<the message could not be printed>"
    return text[:2000]


def _safe_repr(value) -> str:
    try:
        text = repr(value)
    except BaseException:  # noqa: B036 - a student's __repr__ may raise anything
        text = "..."
    return text[:200]


class _time_limit:
    """SIGALRM-based limit for one unit; a no-op off the main thread or without a limit."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.active = bool(seconds) and hasattr(signal, "setitimer") and \
            threading.current_thread() is threading.main_thread()

    def __enter__(self):
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False

    @staticmethod
    def _expired(signum, frame):
        raise CellTimeout()
