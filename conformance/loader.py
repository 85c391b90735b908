"""Run a student's submission (.py file, notebook, Markdown export or folder) into a module,
and say what ran, what failed, and where each graded name was defined.

STANDALONE: this file imports only the standard library (and its sibling cells.py, which reads
the files into cells), because the grader's child process loads it by file path, where this
project's packages cannot be imported.

`load_submission(path)` executes the student's code into a fresh module and returns a `LoadReport`
saying, per file and per notebook cell, what ran, what raised (type, message, line) and what was
skipped and why. One broken cell never stops the load: later cells still run, as they would for a
student who runs the notebook top to bottom and ignores the red box. Only a path that cannot be
read at all raises `SubmissionError`.

The report also says where each graded name's final definition came from (file and line, or
notebook cell), and warns when it replaced an earlier one (a later file, a star import, a copy
of the book's `common/` folder): the grade is of the code the student sees named.

Folder order (documented in the README): the files that define a graded name run, .py files
first, then notebooks, then Markdown exports; among the .py files a file runs after the files
it imports (so a chapter's own classes come after the `common/` modules they import, and win),
otherwise in path order. A rubric's `entry` names the file(s) to run instead, in its order.

This module does not isolate anything: run untrusted code through conformance.grading.sandbox.
"""

from __future__ import annotations

import ast
import linecache
import os
import re
import signal
import sys
import threading
import types
from dataclasses import asdict, dataclass, field

try:
    from . import cells
except ImportError:  # loaded by file path (the grading child): its sibling, by file path too
    import importlib.util

    _spec = importlib.util.spec_from_file_location(
        "_submission_cells", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                          "cells.py"))
    cells = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(cells)

SubmissionError = cells.SubmissionError
SELF_CHECK_MARKER = cells.SELF_CHECK_MARKER
is_self_check = cells.is_self_check
extract_markdown_cells = cells.extract_markdown_cells

__all__ = ["CONTRACT_NAMES", "SELF_CHECK_MARKER", "LoadReport", "SubmissionError", "UnitReport",
           "code_units", "extract_markdown_cells", "is_self_check", "load_submission",
           "lost_names"]

# The book's API that the grader looks for (the catalog's BOOK_CONTRACT; a test keeps them equal).
CONTRACT_NAMES = frozenset({"im2col", "col2im", "Convolution", "Pooling", "Relu", "Affine",
                            "SoftmaxWithLoss", "SimpleConvNet"})

# Never executed: pytest would run these, and so might a grader that globbed carelessly.
_EXCLUDED_FILES = re.compile(r"^(conftest\.py|setup\.py|test_.*\.py|.*_test\.py)$")
_EXCLUDED_DIRS = frozenset({"tests", "__pycache__", ".ipynb_checkpoints", ".git", ".venv",
                            "venv", "env", "site-packages", "node_modules"})
_MAX_FILES = 200
# The book's own code lives in common/ (layers.py, util.py, functions.py, ...): a file under a
# folder of that name is most likely a copy of it rather than the student's work.
_BOOK_FOLDER = "common"


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
class Definition:
    """Where a graded name's value came from when one unit bound it."""

    name: str
    unit: str             # the unit that bound it: 'cnn.py' or 'notes.ipynb, cell 3 (In [4])'
    how: str              # 'class statement', 'from common.layers import *', ...
    source: str | None    # the file (relative to the submission) and line that define the
    #                       object, e.g. 'common/layers.py:41'; None where it cannot be told
    book_copy: bool       # the source lies in a copy of the book's common/ folder

    def describe(self) -> str:
        place = self.source or self.unit
        via = "" if self.how in ("class statement", "def statement") else f", by {self.how}"
        in_unit = f" in {self.unit}" if via and self.source and not self.source.startswith(
            self.unit.split(",")[0] + ":") else ""
        return f"{place}{via}{in_unit}"


@dataclass
class LoadReport:
    path: str
    kind: str                        # "py" | "ipynb" | "md" | "folder"
    units: list = field(default_factory=list)          # [UnitReport]
    skipped_files: list = field(default_factory=list)  # [{"file", "reason"}]
    defined: list = field(default_factory=list)        # contract names the module ends up with
    missing: list = field(default_factory=list)        # contract names it lacks
    notes: list = field(default_factory=list)
    # name -> the definition that is graded (the last binding), as a plain dict
    definitions: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)  # replaced definitions, book copies: sentences
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
                "notes": list(self.notes), "definitions": dict(self.definitions),
                "warnings": list(self.warnings)}

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
        return "\n".join(lines + list(self.warnings) + list(self.notes))


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
    - a folder runs `entry` (a file, or a list of files, in that order) if given, else every
      file that defines one of `names` (found with `ast`, without running anything), in the
      order the module docstring gives. Test files (conftest.py, test_*.py, *_test.py, tests/)
      and setup.py never run.

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
        kind = cells.kind_of(root.path)
        if _EXCLUDED_FILES.match(os.path.basename(root.path)):
            raise SubmissionError(f"{root.path}: test and setup files are never executed")
        plan, skipped = [root.path], []
    base = root.path if root.is_dir else os.path.dirname(root.path)
    report = LoadReport(path=root.path, kind=kind, skipped_files=skipped, module=module)
    history = {n: [] for n in names}  # name -> [Definition], in the order they were bound
    sys.modules[module_name] = module
    cwd = os.getcwd()
    imported_before = set(sys.modules)
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
                if code is None:
                    continue
                before = {n: module.__dict__.get(n, _UNBOUND) for n in names}
                _run_unit(unit, code, file, module, cell_timeout)
                # bookkeeping runs on what the code may have patched (builtins.isinstance...):
                # at worst it says less, never fails the load
                _best_effort(_record_bindings, history, before, module, unit, code, base)
                if unit.status in ("raised", "timeout"):
                    unit.lost = _best_effort(_names_bound, code) or []
    finally:
        os.chdir(cwd)
        _best_effort(_forget_submission_modules, imported_before, base)
    report.defined = [n for n in names if hasattr(module, n)]
    report.missing = [n for n in names if not hasattr(module, n)]
    for unit in report.units:  # what a failed cell would have defined, and nothing else did
        unit.lost = [n for n in unit.lost if n in report.missing]
    for name in report.defined:
        if history[name]:
            report.definitions[name] = asdict(history[name][-1])
            report.warnings += _replacement_warnings(name, history[name])
    if kind == "folder" and not plan:
        report.notes.append("no file in the folder defines any of: " + ", ".join(names))
    return report


def _best_effort(function, *args):
    try:
        return function(*args)
    except Exception:  # the submission broke something this needs; the load goes on
        return None


def _names_bound(code):
    return sorted(cells.bound_at_top_level(ast.parse(code).body))


def _forget_submission_modules(imported_before, base):
    """Drop the modules the submission's files imported from its own folder (its common/, a
    helper module) from sys.modules: the next submission loaded in this process imports its
    own, not a stale one of the same name."""
    base = os.path.realpath(base) + os.sep
    for name in set(sys.modules) - imported_before:
        origin = getattr(sys.modules.get(name), "__file__", None)
        if isinstance(origin, str) and os.path.realpath(origin).startswith(base):
            del sys.modules[name]


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
# Where each graded name came from

_UNBOUND = object()


def _record_bindings(history, before, module, unit, code, base):
    """Add a Definition for each graded name whose value the unit changed."""
    changed = [n for n, old in before.items() if module.__dict__.get(n, _UNBOUND) is not old]
    if not changed:
        return
    try:
        statements = ast.parse(code).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        statements = []
    for name in changed:
        value = module.__dict__.get(name, _UNBOUND)
        if value is _UNBOUND:
            continue  # deleted
        source = _source_of(value, unit, base)
        history[name].append(Definition(
            name=name, unit=unit.where(), how=_binding_statement(name, statements),
            source=source, book_copy=_in_book_folder(source)))


def _binding_statement(name, statements):
    """How the unit's top-level code binds `name`, in words (its last binding statement)."""
    how = "code that ran"
    for node in statements:
        if isinstance(node, ast.ClassDef) and node.name == name:
            how = "class statement"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            how = "def statement"
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name == "*":
                    how = f"from {module} import *"
                elif (alias.asname or alias.name) == name:
                    how = f"from {module} import {alias.name}"
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and name in cells.bound_at_top_level(
                [node]):
            how = "an assignment"
    return how


def _source_of(value, unit, base):
    """Where the code that defines `value` is: 'file:line' relative to the submission, or a
    notebook cell; None outside the submission (an installed package) or where it cannot be
    told."""
    code = getattr(value, "__code__", None)
    if code is None and isinstance(value, type):  # a class: its first method defined here
        codes = [f.__code__ for f in vars(value).values() if hasattr(f, "__code__")]
        code = min(codes, key=lambda c: c.co_firstlineno) if codes else None
    filename = getattr(code, "co_filename", None)
    if filename is None:
        module = sys.modules.get(getattr(value, "__module__", None) or "")
        filename = getattr(module, "__file__", None)
    if not isinstance(filename, str):
        return None
    line = None
    if code is not None:
        line = _class_line(value, code) if isinstance(value, type) else code.co_firstlineno
    cell = _CELL_FILENAME.match(filename)  # code compiled from a notebook cell
    if cell:
        return f"{cell.group(1)}, cell {cell.group(2)}" + (f", line {line}" if line else "")
    try:
        rel = os.path.relpath(os.path.realpath(filename), os.path.realpath(base))
    except ValueError:
        return None
    if rel.startswith(os.pardir):
        return None
    return f"{rel}:{line}" if line else rel


# the filename a notebook cell's code is compiled under (see _read_units)
_CELL_FILENAME = re.compile(r"^(.*) \[cell (\d+)\]$")


def _class_line(cls, method_code):
    """The line of `class Name` in the file that defines it (read from linecache)."""
    lines = linecache.getlines(method_code.co_filename)
    pattern = re.compile(rf"^\s*class\s+{re.escape(cls.__name__)}\b")
    for number in range(min(method_code.co_firstlineno, len(lines)), 0, -1):
        if pattern.match(lines[number - 1]):
            return number
    return method_code.co_firstlineno


def _in_book_folder(source):
    return bool(source) and _BOOK_FOLDER in source.split(":")[0].replace("\\", "/").split("/")[:-1]


def _origin(definition):
    return (definition.source or definition.unit).split(":")[0].split(",")[0]


def _replacement_warnings(name, definitions):
    """Sentences for a graded name whose final definition is not simply the student's own:
    one that replaced the student's earlier definition from another file or by an import, and
    one that comes from a copy of the book's common/ folder."""
    final = definitions[-1]
    warnings = []
    earlier = [d for d in definitions[:-1] if _origin(d) != _origin(final)]
    # the student's own definition replacing a book copy it imported first is the usual way
    if earlier and not (earlier[-1].book_copy and not final.book_copy):
        replaced = earlier[-1]
        warnings.append(
            f"`{name}` from {replaced.describe()} was replaced by the one from "
            f"{final.describe()}, which ran later: the grade is of that one. If that is not "
            f"the code you mean, remove the other file (a stale copy?) or say which file to "
            f"grade (the rubric's `entry`).")
    if final.book_copy:
        warnings.append(
            f"`{name}` comes from {final.describe()}, which looks like a copy of the book's "
            f"common/ folder, not a file you wrote: it is what gets graded.")
    return warnings


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
    cells.kind_of(p)
    if not os.access(p, os.R_OK):
        raise SubmissionError(f"{path}: the file cannot be read (permission denied)")
    return _Root(p, False)


def _add_to_path(folder: str) -> None:
    if folder not in sys.path:
        sys.path.insert(0, folder)


def _read_units(path: str, rel: str) -> list:
    """[(UnitReport, code or None)] for one file; code None means the unit is skipped."""
    kind, sources = cells.read_cells(path)
    if kind == "py":
        return [(UnitReport(file=rel, kind="py", filename=path), sources[0][0])]
    units = []
    for number, (source, label, start_line) in enumerate(sources, 1):
        if cells.is_self_check(source):
            continue  # it imports the checker, which grading refuses; it defines nothing
        unit = UnitReport(file=rel, kind=kind, filename=f"{rel} [cell {number}]", cell=number,
                          label=label, start_line=start_line)
        code, unit.skipped_lines, skip_reason = cells.strip_ipython(source)
        if skip_reason:
            unit.status, unit.reason, code = "skipped", skip_reason, None
        elif not code.strip():
            unit.status, unit.reason, code = "skipped", "empty cell", None
        units.append((unit, code))
    return units


def _plan_folder(folder: str, names: list, entry):
    """Which files of a folder to execute, in order, and which were left out and why."""
    if entry is not None:
        return [_entry_file(folder, e) for e in ([entry] if isinstance(entry, str) else entry)], []
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
                kind = cells.kind_of(name)
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
        chosen = []
        for path in sorted(groups[kind], key=lambda p: os.path.relpath(p, folder)):
            rel = os.path.relpath(path, folder)
            if kind == "md" and os.path.splitext(path)[0] in notebooks:
                skipped.append({"file": rel, "reason": "an export of a notebook that is present"})
                continue
            try:
                found = cells.defined_names(path) & set(names) if names else {"*"}
            except SubmissionError as exc:
                skipped.append({"file": rel, "reason": str(exc)})
                continue
            if not found:
                skipped.append({"file": rel, "reason": "defines none of the graded names"})
            elif len(plan) + len(chosen) >= _MAX_FILES:
                skipped.append({"file": rel, "reason": f"more than {_MAX_FILES} files"})
            else:
                chosen.append(path)
        plan += _imported_first(chosen, folder) if kind == "py" else chosen
    return plan, skipped


def _entry_file(folder, entry):
    target = os.path.realpath(os.path.join(folder, os.fspath(entry)))
    if os.path.commonpath([target, folder]) != folder:
        raise SubmissionError(f"entry {entry!r} is outside the submission folder {folder}")
    if not os.path.isfile(target):
        raise SubmissionError(f"entry {entry!r}: no such file in {folder}")
    if _EXCLUDED_FILES.match(os.path.basename(target)):
        raise SubmissionError(f"entry {entry!r}: test and setup files are never executed")
    cells.kind_of(target)
    return target


def _imported_first(paths, folder):
    """The .py files in an order where a file runs after the files of the folder it imports
    (path order otherwise, and for files that import each other)."""
    dotted = {p: os.path.relpath(p, folder)[:-3].replace(os.sep, ".") for p in paths}

    def provides(path, module):  # `import a.b` may name a/b.py from any folder on sys.path
        return dotted[path] == module or dotted[path].endswith("." + module)

    needs = {}
    for path in paths:
        imported = cells.imported_modules(path)
        needs[path] = [other for other in paths if other != path
                       and any(provides(other, m) for m in imported)]
    order, done, visiting = [], set(), set()

    def visit(path):
        if path in done or path in visiting:  # a cycle: leave it in path order
            return
        visiting.add(path)
        for other in needs[path]:
            visit(other)
        visiting.discard(path)
        done.add(path)
        order.append(path)

    for path in paths:
        visit(path)
    return order


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
