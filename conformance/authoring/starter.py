"""The student's starter for a set of components: the book's signatures with docstrings and
`# YOUR CODE HERE` stubs, the code they need given complete, as a .py file or a notebook whose
check cells run each component's visible cases.

What an exercise needs but the assignment does not ask for (im2col and col2im under
Convolution, the layers under SimpleConvNet, softmax under SoftmaxWithLoss) is given, complete,
from the book-style solution, so every exercise can be written and checked on its own.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..loader import SELF_CHECK_MARKER
from . import book_code

TEMPLATES = Path(__file__).resolve().parent / "templates"
EXERCISES = Path(__file__).resolve().parent / "exercises.toml"
FORMATS = ("ipynb", "py")


class AuthoringError(ValueError):
    """The assignment cannot be written as asked; the message says why and what works."""


@cache
def exercise_texts():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    with open(EXERCISES, "rb") as f:
        return tomllib.load(f)


def supported():
    """The components a starter can ask for, in the book's order."""
    texts = exercise_texts()
    return [name for name in book_code.definitions() if name in texts]


@dataclass
class Method:
    function: book_code.Function
    given: bool
    doc: str = ""


@dataclass
class Exercise:
    name: str
    kind: str
    summary: str
    doc: str
    header: str
    uses: list  # what its code calls from the rest of the starter
    function: book_code.Function | None = None  # functions
    methods: list | None = None  # classes: [Method]


@dataclass
class Starter:
    title: str
    filename: str
    exercises: list
    given: list  # [book_code.Definition], complete
    imports: list
    seed: int
    grid: str
    points: dict

    @property
    def exercise_names(self):
        return [e.name for e in self.exercises]


def plan(components, *, filename, title, seed, grid, points):
    """A Starter for `components` (names in any order): exercises in the book's order, and
    everything they need that is not an exercise, given."""
    texts, definitions = exercise_texts(), book_code.definitions()
    unknown = [c for c in components if c not in texts]
    if unknown:
        raise AuthoringError(
            f"no starter for {', '.join(unknown)}: `scratch-cnn assignment` writes starters "
            f"for {', '.join(supported())} (the book's chapter 7 code; other components can "
            f"still be graded with a rubric of your own)")
    chosen = set(components)
    needed = set()
    todo = list(chosen)
    while todo:
        for name in texts.get(todo.pop(), {}).get("needs", []):
            if name not in needed:
                needed.add(name)
                todo.append(name)
    exercises = [_exercise(definitions[name], texts[name]) for name in definitions
                 if name in chosen]
    given = [definitions[name] for name in definitions if name in needed - chosen]
    imports = [line for line in book_code.imports()
               if "OrderedDict" not in line or "SimpleConvNet" in chosen | needed]
    return Starter(title, filename, exercises, given, imports, seed, grid, points)


def _exercise(definition, text):
    uses = list(text.get("needs", []))
    if definition.kind == "function":
        return Exercise(definition.name, "function", text["summary"], text["doc"],
                        definition.header, uses, function=_function(definition))
    given = set(text.get("given", []))
    docs = text.get("methods", {})
    methods = [Method(function, name in given, docs.get(name, {}).get("doc", ""))
               for name, function in definition.methods.items()
               if name in given or name in docs]
    return Exercise(definition.name, "class", text["summary"], text["doc"], definition.header,
                    uses, methods=methods)


def _function(definition):
    return book_code.Function(definition.name, definition.header, definition.source, "")


# ---------------------------------------------------------------------------------------------
# Rendering


@cache
def environment():
    try:
        import jinja2
    except ModuleNotFoundError:
        raise AuthoringError("writing an assignment needs jinja2 and nbformat: "
                             "pip install 'scratch-cnn[instructor]'") from None
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True)
    env.filters["code"] = lambda name: f"`{name}`"
    env.filters["toml"] = toml_value
    return env


def render(template, **context):
    return environment().get_template(template).render(**context)


def toml_value(value):
    """A TOML literal for a rubric value (TOML strings take JSON's escapes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return json.dumps(value)
    raise TypeError(f"no TOML literal for {value!r}")


def python_file(starter):
    code = [render("exercise.py.j2", exercise=e).strip() for e in starter.exercises]
    return render("starter.py.j2", exercise_code=code, **_context(starter))


def notebook(starter):
    """The starter as an nbformat 4 notebook (validated before it is returned)."""
    try:
        import nbformat
    except ModuleNotFoundError:
        raise AuthoringError("writing a notebook needs nbformat: "
                             "pip install 'scratch-cnn[instructor]'") from None
    v4 = nbformat.v4
    context = _context(starter)
    # cell ids say what a cell is, so that the same assignment writes the same notebook
    cells = [v4.new_markdown_cell(render("intro.md.j2", **context).strip(), id="intro"),
             v4.new_code_cell("\n".join(starter.imports), id="imports")]
    if starter.given:
        cells.append(v4.new_markdown_cell(render("given.md.j2", **context).strip(),
                                          id="given-text"))
        cells.append(v4.new_code_cell("\n\n\n".join(d.source for d in starter.given),
                                      id="given"))
    for number, exercise in enumerate(starter.exercises, 1):
        each = {**context, "exercise": exercise, "number": number}
        name = exercise.name
        cells.append(v4.new_markdown_cell(render("exercise.md.j2", **each).strip(),
                                          id=f"{name}-text"))
        cells.append(v4.new_code_cell(render("exercise.py.j2", **each).strip(), id=name))
        cells.append(v4.new_code_cell(render("check.py.j2", **each).strip(),
                                      id=f"{name}-check"))
    nb = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return nbformat.writes(nb)


def _context(starter):
    return {"title": starter.title, "filename": starter.filename,
            "exercises": starter.exercises, "exercise_names": starter.exercise_names,
            "given": starter.given, "imports": starter.imports, "seed": starter.seed,
            "grid": starter.grid, "points": starter.points, "marker": SELF_CHECK_MARKER}
