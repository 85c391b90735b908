"""Reading a submission's files into cells of code, without running anything.

A .py file is one cell; a notebook (.ipynb, nbformat 3 or 4) has its code cells; a Markdown or
text export of a notebook has the code after its `In [n]:` prompts and in its ```python
fences. IPython syntax (magics, shell lines, `obj?`) becomes `pass`; a cell magic makes the
whole cell something else, so it is skipped.

STANDALONE: standard library only. conformance/loader.py, which runs the cells, uses it, in the
grading child too, where this project's packages cannot be imported.
"""

from __future__ import annotations

import ast
import io
import json
import re
import textwrap
import tokenize

PY_SUFFIXES = (".py",)
NOTEBOOK_SUFFIXES = (".ipynb",)
TEXT_SUFFIXES = (".md", ".markdown", ".txt")
MAX_FILE_BYTES = 20 * 2**20  # notebooks with inline images are large; bigger is not code


class SubmissionError(ValueError):
    """The submission cannot be read at all (missing, unreadable, not a supported kind)."""


def read_cells(path: str) -> tuple:
    """(kind, [(source, label, start_line)]) of one file: its code cells, in order."""
    kind = kind_of(path)
    text = read_text(path)
    if kind == "py":
        return kind, [(text, None, None)]
    return kind, (notebook_cells(text, path) if kind == "ipynb"
                  else extract_markdown_cells(text))


def kind_of(path: str) -> str:
    lower = path.lower()
    if lower.endswith(PY_SUFFIXES):
        return "py"
    if lower.endswith(NOTEBOOK_SUFFIXES):
        return "ipynb"
    if lower.endswith(TEXT_SUFFIXES):
        return "md"
    raise SubmissionError(f"{path}: not a .py file, a notebook (.ipynb), a Markdown/text export "
                          f"(.md, .txt) or a folder")


def read_text(path: str) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SubmissionError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise SubmissionError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MB")
    try:
        if path.lower().endswith(PY_SUFFIXES):  # honour a PEP 263 coding line
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            return data.decode(encoding)
        return data.decode("utf-8-sig")
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"{path}: not readable as text ({exc})") from None


# The first line of the check cells `scratch-cnn assignment` writes into a starter notebook.
SELF_CHECK_MARKER = "# scratch-cnn: self-check (not graded; the grader skips this cell)"


def is_self_check(source: str) -> bool:
    """Whether a notebook cell is a starter's self-check cell (its first line is the marker)."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return first == SELF_CHECK_MARKER


def defined_names(path: str) -> set:
    """Names a file binds at top level (def, class, assignment), found without running it."""
    kind = kind_of(path)
    text = read_text(path)
    if kind == "py":
        sources = [text]
    else:
        cells = notebook_cells(text, path) if kind == "ipynb" else extract_markdown_cells(text)
        sources = [strip_ipython(src)[0] or "" for src, _, _ in cells]
    found = set()
    for src in sources:
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # reported when it runs
            found |= set(re.findall(r"^[ \t]*(?:def|class)\s+(\w+)", src, re.M))
            continue
        found |= bound_at_top_level(tree.body)
    return found


def bound_at_top_level(body) -> set:
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
                found |= bound_at_top_level(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                found |= bound_at_top_level(handler.body)
    return found


def notebook_cells(text: str, path: str) -> list:
    """[(source, label, None)] for the code cells of an nbformat 4 (or 3) notebook."""
    try:
        nb = json.loads(text)
    except ValueError as exc:
        raise SubmissionError(f"{path}: not a valid notebook (JSON error: {exc})") from None
    except RecursionError:  # [[[[... thousands deep: no notebook nests like that
        raise SubmissionError(f"{path}: not a valid notebook (its JSON is nested too deeply); "
                              "save it again from Jupyter") from None
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


def imported_modules(path: str) -> set:
    """The absolute module names a .py file imports anywhere (read, not run), e.g.
    {"numpy", "common.layers"}; empty for a file that cannot be parsed."""
    try:
        tree = ast.parse(read_text(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError, SubmissionError):
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found
