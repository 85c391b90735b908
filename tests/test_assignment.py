"""`scratch-cnn assignment`: the starter, its rubric and autograder, as an instructor and a
student use them. A correct solution dropped into the starter gets full marks; the starter as
handed out gets 0 and says what is not implemented; the notebook's check cells run here."""

import ast
import contextlib
import inspect
import io
import json
import runpy
import textwrap
import zipfile
from pathlib import Path

import nbformat
import pytest

from conformance.cli import main

SOLUTION = Path(__file__).resolve().parent.parent / "conformance" / "examples" / "submission" \
    / "cnn.py"


def solution_functions():
    """{qualname: source} of every function and method of the book-style solution."""
    text = SOLUTION.read_text()
    lines = text.splitlines()
    found = {}
    for node in ast.parse(text).body:
        members = [(node.name, node)] if isinstance(node, ast.FunctionDef) else \
            [(f"{node.name}.{m.name}", m) for m in getattr(node, "body", [])
             if isinstance(m, ast.FunctionDef)]
        for qualname, function in members:
            found[qualname] = textwrap.dedent("\n".join(
                lines[function.lineno - 1:function.end_lineno]))
    return found


def fill(source):
    """The starter's code with every `raise NotImplementedError` stub replaced by the
    solution's function of the same name (what a student who wrote the book's code hands in)."""
    solution = solution_functions()
    lines = source.splitlines()
    stubs = []
    for node in ast.parse(source).body:
        members = [(node.name, node)] if isinstance(node, ast.FunctionDef) else \
            [(f"{node.name}.{m.name}", m) for m in getattr(node, "body", [])
             if isinstance(m, ast.FunctionDef)]
        stubs += [(qualname, f) for qualname, f in members
                  if any(isinstance(s, ast.Raise) and "NotImplementedError" in ast.unparse(s)
                         for s in f.body)]
    for qualname, f in sorted(stubs, key=lambda s: -s[1].lineno):  # bottom up: lines hold
        indent = " " * f.col_offset
        lines[f.lineno - 1:f.end_lineno] = textwrap.indent(solution[qualname], indent) \
            .splitlines()
    return "\n".join(lines) + "\n"


def fill_notebook(path, out):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = fill(cell.source)
    nbformat.write(nb, out)
    return out


def write_assignment(tmp_path, components, fmt, hidden=False):
    """Run the command; hidden tests off unless they are the point (a faster grading)."""
    dist = tmp_path / "dist"
    assert main(["assignment", "--components", components, "--format", fmt,
                 "-o", str(dist)]) == 0
    rubric = dist / "rubric.toml"
    if not hidden:
        rubric.write_text(rubric.read_text().replace("hidden = true", "hidden = false"))
    return dist, dist / f"cnn.{fmt}", rubric


def grade(submission, rubric, tmp_path):
    out = tmp_path / f"{submission.name}.json"
    assert main(["grade", str(submission), "--rubric", str(rubric), "-o", str(out),
                 "--format", "json", "-q", "--seed", "3"]) == 0
    return json.loads(out.read_text())


@pytest.mark.parametrize(("components", "fmt", "max_score"), [
    ("im2col,Convolution,Pooling", "ipynb", 45),
    ("Relu,Affine,SoftmaxWithLoss,SimpleConvNet", "py", 45),
])
def test_correct_solution_in_the_starter_gets_full_marks(tmp_path, components, fmt, max_score):
    dist, starter, rubric = write_assignment(tmp_path, components, fmt)
    solved = tmp_path / f"solved.{fmt}"
    if fmt == "ipynb":
        fill_notebook(starter, solved)
    else:
        solved.write_text(fill(starter.read_text()))
    report = grade(solved, rubric, tmp_path)
    assert report["max_score"] == pytest.approx(max_score)
    assert report["score"] == pytest.approx(max_score), [
        t["feedback"] for t in report["tests"] if t["score"] < t["max_score"]]
    assert report["load_messages"] == []  # the check cells are not run while grading
    assert set(report["components"]) == set(components.split(","))


def test_empty_starter_gets_zero_and_says_what_is_not_implemented(tmp_path):
    dist, starter, rubric = write_assignment(tmp_path, "im2col,Convolution", "ipynb")
    report = grade(starter, rubric, tmp_path)
    assert report["score"] == 0 and report["max_score"] == pytest.approx(30)
    assert report["load_messages"] == []
    for test in report["tests"]:
        feedback = test["feedback"]
        assert "raised NotImplementedError" in feedback
        assert f"{test['component']}" in feedback and "is not implemented yet" in feedback
        assert "Traceback" not in feedback and 'File "' not in feedback, feedback
        assert "repro: scratch-cnn repro" in feedback  # still one case to start from


def test_half_written_layer_says_which_method_is_missing(tmp_path):
    """forward written, backward still a stub: forward scores, backward says why not."""
    dist, starter, rubric = write_assignment(tmp_path, "Convolution", "py")
    text = starter.read_text()
    forward = solution_functions()["Convolution.forward"]
    stub_start = text.index("    def forward(self, x):")
    stub_end = text.index("    def backward(self, dout):")
    partial = tmp_path / "partial.py"
    partial.write_text(text[:stub_start] + textwrap.indent(forward, "    ") + "\n\n"
                       + text[stub_end:])
    report = grade(partial, rubric, tmp_path)
    tests = {t["behaviour"]: t for t in report["tests"]}
    assert tests["forward"]["score"] == tests["forward"]["max_score"]
    assert tests["input_gradient"]["score"] == 0
    assert "Convolution.backward is not implemented yet" in tests["input_gradient"]["feedback"]


def test_notebook_is_valid_and_the_same_on_every_run(tmp_path):
    dist, starter, _ = write_assignment(tmp_path, "im2col,Pooling", "ipynb")
    nb = nbformat.read(starter, as_version=4)
    nbformat.validate(nb)  # raises ValidationError on an invalid notebook
    first = starter.read_bytes()
    assert main(["assignment", "--components", "im2col,Pooling", "-o", str(dist),
                 "--force"]) == 0
    assert starter.read_bytes() == first
    kinds = [(c.cell_type, c.get("id")) for c in nb.cells]
    assert ("code", "im2col-check") in kinds and ("code", "Pooling-check") in kinds
    assert ("code", "given") in kinds  # col2im, which Pooling needs and nobody was asked for


def run_cells(path):
    """Every code cell of a notebook in one namespace, in order, as a kernel would; stdout."""
    namespace, out = {"__name__": "__main__"}, io.StringIO()
    with contextlib.redirect_stdout(out):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, f"<{cell.get('id')}>", "exec"), namespace)
    return out.getvalue()


def test_check_cells_run_in_process_and_print_a_table(tmp_path):
    dist, starter, _ = write_assignment(tmp_path, "im2col,Convolution", "ipynb")
    solved = fill_notebook(starter, tmp_path / "solved.ipynb")
    printed = run_cells(solved)
    assert "im2col: 16 visible cases (quick grid, seed 0)" in printed
    assert "Convolution: 18 visible cases (quick grid, seed 0)" in printed
    assert "test                   cases passed failed  first failure" in printed
    assert "forward                   16     16      0" in printed
    assert "parameter gradients       18     18      0" in printed
    assert printed.count("All 16 cases pass.") == 1 and "All 18 cases pass." in printed

    printed = run_cells(starter)  # as handed out: every case fails, and the table says why
    assert "forward                   16      0     16  im2col raised NotImplementedError" \
        in printed
    assert "Convolution.forward is not implemented yet" in printed
    assert "Traceback" not in printed


def test_check_names_the_first_failure_of_a_wrong_implementation(capsys):
    from conformance.selfcheck import check, run

    namespace = runpy.run_path(str(SOLUTION))
    book_im2col = namespace["im2col"]
    namespace["im2col"] = lambda x, fh, fw, stride=1, pad=0: book_im2col(x, fh, fw, stride,
                                                                         pad)[::-1]
    result = run("im2col", namespace, seed=0)
    assert not result.ok and result.rows[0].passed < result.rows[0].cases
    check("im2col", namespace, source="mine.py")
    printed = capsys.readouterr().out
    assert "First failure (forward):" in printed and "elements differ" in printed
    assert "--impl mine.py" in printed
    with pytest.raises(ValueError, match="no component named 'im2colx'"):
        run("im2colx", namespace)


def test_py_starter_keeps_the_book_signatures_and_checks_itself(tmp_path, capsys):
    everything = "im2col,col2im,Convolution,Pooling,Relu,Affine,SoftmaxWithLoss,SimpleConvNet"
    dist, starter, _ = write_assignment(tmp_path, everything, "py")
    capsys.readouterr()
    mine = runpy.run_path(str(starter))
    book = runpy.run_path(str(SOLUTION))
    for name in everything.split(","):
        assert inspect.signature(mine[name]) == inspect.signature(book[name]), name
        for method in ("forward", "backward", "predict", "loss", "accuracy", "gradient"):
            if hasattr(book[name], method):
                assert inspect.signature(getattr(mine[name], method)) == \
                    inspect.signature(getattr(book[name], method)), f"{name}.{method}"
    solved = tmp_path / "solved.py"
    solved.write_text(fill(starter.read_text()))
    runpy.run_path(str(solved), run_name="__main__")  # `python cnn.py`: every check runs
    printed = capsys.readouterr().out
    assert printed.count("visible cases (quick grid, seed 0)") == 8
    assert printed.count("cases pass.") == 8


def test_given_code_is_what_the_exercises_need_and_nothing_else(tmp_path):
    dist, starter, rubric = write_assignment(tmp_path, "SoftmaxWithLoss", "py")
    defined = {n.name for n in ast.parse(starter.read_text()).body
               if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert defined == {"softmax", "cross_entropy_error", "SoftmaxWithLoss"}
    assert "OrderedDict" not in starter.read_text()
    text = rubric.read_text()
    assert "[points]\nSoftmaxWithLoss = 10\n" in text
    with zipfile.ZipFile(dist / "autograder.zip") as z:
        assert z.read("rubric.toml").decode() == text.replace("hidden = false",
                                                              "hidden = true")
        assert {"setup.sh", "run_autograder"} <= set(z.namelist())


@pytest.mark.parametrize(("argv", "message"), [
    (["--components", "Convolutoin"], "no starter for Convolutoin"),
    (["--components", "Sigmoid"], "writes starters for im2col, col2im, Relu, Affine"),
    (["--components", " , "], "--components is empty"),
    (["--components", "Relu", "--name", "my-cnn"], "must be a Python identifier"),
])
def test_bad_requests_get_a_clear_error(tmp_path, capsys, argv, message):
    assert main(["assignment", *argv, "-o", str(tmp_path / "dist")]) == 2
    err = capsys.readouterr().err
    assert "scratch-cnn assignment: error:" in err and message in err
    assert not (tmp_path / "dist").exists()


def test_an_earlier_assignment_is_not_overwritten_without_force(tmp_path, capsys):
    dist = tmp_path / "dist"
    assert main(["assignment", "--components", "Relu", "-o", str(dist)]) == 0
    (dist / "cnn.ipynb").write_text("my edits")
    assert main(["assignment", "--components", "Relu", "-o", str(dist)]) == 2
    assert "use --force" in capsys.readouterr().err
    assert (dist / "cnn.ipynb").read_text() == "my edits"


def test_each_assignment_gets_its_own_secret(tmp_path):
    """The rubric holds a fresh secret: hidden inputs are secret from the start, re-grades
    use the same ones, and another assignment (or a rotated secret) draws other ones."""
    from conformance.grading.rubric import load

    _, starter, rubric = write_assignment(tmp_path / "a", "im2col", "py", hidden=True)
    _, _, other = write_assignment(tmp_path / "b", "im2col", "py", hidden=True)
    assert load(rubric).secret != load(other).secret
    assert load(rubric).hidden_seed() != load(other).hidden_seed()

    def hidden_inputs(rubric_path, name):
        out = tmp_path / name
        assert main(["grade", str(starter), "--rubric", str(rubric_path), "-o", str(out),
                     "--format", "json", "-q"]) == 0
        return json.loads(out.read_text())["hidden_inputs"]

    first = hidden_inputs(rubric, "1.json")
    assert "NOT secret" not in first and "rubric's secret" in first
    assert hidden_inputs(rubric, "2.json") == first != hidden_inputs(other, "3.json")
