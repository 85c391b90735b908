"""The book's code as `conformance/examples/submission/cnn.py` has it, read with `ast`: the
signatures a starter keeps exactly, and the complete code of what a starter gives students.

The example is the grader's known-good, book-style solution, so the starter's signatures and
its given code are the very ones the grader is tested against.
"""

import ast
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SOLUTION = Path(__file__).resolve().parent.parent / "examples" / "submission" / "cnn.py"


@dataclass
class Function:
    """A top-level function or a method: its `def` lines and its whole source, both with the
    indentation they have in the file."""

    qualname: str
    header: str
    source: str
    indent: str


@dataclass
class Definition:
    name: str
    kind: str  # "function" or "class"
    source: str
    header: str  # `def ...:` or `class ...:`
    methods: dict = field(default_factory=dict)  # name -> Function, classes only


@cache
def definitions(path=SOLUTION):
    """{name: Definition} of the file's top-level functions and classes, in file order."""
    text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines()
    found = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef):
            function = _function(node, lines, node.name)
            found[node.name] = Definition(node.name, "function", function.source,
                                          function.header)
        elif isinstance(node, ast.ClassDef):
            methods = {item.name: _function(item, lines, f"{node.name}.{item.name}")
                       for item in node.body if isinstance(item, ast.FunctionDef)}
            found[node.name] = Definition(node.name, "class", _segment(node, lines),
                                          _header(node, lines), methods)
    return found


def imports(path=SOLUTION):
    """The file's top-level import statements, as written."""
    text = Path(path).read_text(encoding="utf-8")
    return [ast.get_source_segment(text, node) for node in ast.parse(text).body
            if isinstance(node, (ast.Import, ast.ImportFrom))]


def _function(node, lines, qualname):
    header = _header(node, lines)
    return Function(qualname, header, _segment(node, lines),
                    header[:len(header) - len(header.lstrip())])


def _header(node, lines):
    """The lines from `def`/`class` to the colon, comments inside the signature kept."""
    head = lines[node.lineno - 1:node.body[0].lineno - 1]
    while head and (not head[-1].strip() or head[-1].strip().startswith("#")):
        head.pop()
    return "\n".join(head)


def _segment(node, lines):
    return "\n".join(lines[node.lineno - 1:node.end_lineno])
