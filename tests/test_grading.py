"""Grading what students submit: correct work gets full marks in every form, and each
single-bug submission loses points in the right component with the right hint."""

import re
import textwrap
from pathlib import Path

import pytest

from conformance import divergences, variants
from conformance.grading import grade, rubric
from tests.buggy import bugs

EXAMPLE = bugs.EXAMPLE
BOOK_COMPONENTS = set(rubric.DEFAULT_POINTS)


@pytest.fixture(scope="module")
def visible_only():
    """Visible inputs only: the hidden run repeats the same checks on other numbers."""
    return rubric.Rubric(hidden=False)


def _split_top_level(source):
    """The example's top-level blocks (imports, functions, classes) as separate chunks."""
    chunks, current = [], []
    for line in source.splitlines():
        if re.match(r"(def|class|from|import) ", line) and current:
            chunks.append("\n".join(current))
            current = []
        current.append(line)
    chunks.append("\n".join(current))
    return [c for c in chunks if c.strip()]


def test_correct_py_file_gets_full_marks():
    report = grade.grade(EXAMPLE, seed=11)
    assert report.score == pytest.approx(report.max_score) == pytest.approx(100)
    assert not report.load_messages


def test_correct_notebook_gets_full_marks(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Chapter 7")]
    nb.cells += [nbformat.v4.new_code_cell(chunk)
                 for chunk in _split_top_level(EXAMPLE.read_text())]
    nb.cells.insert(2, nbformat.v4.new_code_cell("%matplotlib inline\n!ls"))
    path = tmp_path / "chapter7.ipynb"
    nbformat.write(nb, path)
    report = grade.grade(path, seed=12)
    assert report.score == pytest.approx(100)


def test_correct_folder_with_several_files_gets_full_marks(tmp_path):
    source = EXAMPLE.read_text()
    layers, net = source.split("class SimpleConvNet", 1)
    (tmp_path / "layers.py").write_text(layers)
    (tmp_path / "net.py").write_text("from collections import OrderedDict\n\nimport numpy as np\n"
                                     "from layers import *\n\n\nclass SimpleConvNet" + net)
    (tmp_path / "conftest.py").write_text("raise SystemExit('a conftest must never run')\n")
    (tmp_path / "test_mine.py").write_text("raise SystemExit('tests must never run')\n")
    report = grade.grade(tmp_path, seed=13)
    assert report.score == pytest.approx(100), [t.feedback() for t in report.tests if not t.ok]


def test_markdown_export_of_a_notebook_is_graded_like_the_notebook(tmp_path):
    cells = _split_top_level(EXAMPLE.read_text())
    text = "# Chapter 7 notes\n\n" + "\n\n".join(
        f"In [{i}]:\n{textwrap.dedent(cell)}\n\n#### note {i}" for i, cell in enumerate(cells, 1))
    path = tmp_path / "notes.md"
    path.write_text(text)
    report = grade.grade(path, seed=14)
    assert report.score == pytest.approx(100), report.load_messages


def test_hidden_inputs_come_from_the_secret_and_visible_ones_do_not(monkeypatch):
    """A submission cannot pass by memorising outputs: hidden inputs derive from the
    assignment's secret (a new secret, new inputs), and re-grading repeats them exactly."""
    monkeypatch.delenv(rubric.SECRET_VARIABLE, raising=False)
    one, other = rubric.Rubric(secret="one"), rubric.Rubric(secret="other")
    assert one.hidden_seed() == rubric.Rubric(secret="one").hidden_seed()
    assert one.hidden_seed() != other.hidden_seed()
    seeds = {(name, hidden): seed for name, hidden, seed, _ in grade.plan(one)}
    assert seeds[("Convolution", False)] == 0
    assert seeds[("Convolution", True)] == one.hidden_seed()
    monkeypatch.setenv(rubric.SECRET_VARIABLE, "from the environment")
    assert one.hidden_seed() == other.hidden_seed() != rubric.Rubric(secret="one").with_hidden_seed(
        7).hidden_seed() == 7
    assert "$SCRATCH_CNN_GRADING_SECRET" in one.describe_hidden_inputs()
    assert "from the environment" not in one.describe_hidden_inputs()


def test_without_a_secret_the_report_says_hidden_inputs_are_not_secret(monkeypatch):
    monkeypatch.delenv(rubric.SECRET_VARIABLE, raising=False)
    assert "NOT secret" in rubric.Rubric().describe_hidden_inputs()


def test_regrading_gives_identical_results(tmp_path):
    """The same buggy file graded twice, hidden tests included: the same results.json but
    for the timings."""
    import json

    from conformance.grading import results

    bug = bugs.BY_NAME["conv-db-mean"]
    path = bugs.write_buggy(bug, tmp_path)
    graded = rubric.Rubric(secret="regrade", points={"Convolution": 20, "Relu": 5})
    texts = []
    for i in range(2):
        report = grade.grade(path, graded)
        results.write(report, tmp_path / f"r{i}.json", "json")
        data = json.loads((tmp_path / f"r{i}.json").read_text())
        data.pop("wall_time")
        texts.append(data)
    assert texts[0] == texts[1]
    assert 0 < texts[0]["score"] < texts[0]["max_score"]


def _component_scores(report):
    return {name: score for name, (score, _) in report.components().items()}


@pytest.mark.parametrize("bug", bugs.BUGS, ids=lambda b: b.name)
def test_single_bug_loses_points_in_its_component_with_its_hint(bug, tmp_path, visible_only):
    path = bugs.write_buggy(bug, tmp_path)
    report = grade.grade(path, visible_only, seed=3)
    scores, full = _component_scores(report), rubric.DEFAULT_POINTS
    graded = bug.component if bug.component in full else None
    if bug.hint in divergences.default_policy("ungraded"):
        graded = None  # the book's own behaviour, outside its contract: not graded by default
        assert scores[bug.component] == full[bug.component]
    if graded:
        assert scores[graded] < full[graded], f"{bug.name}: {graded} kept its points"
    untouched = BOOK_COMPONENTS - {bug.component, *bug.also_fails}
    lost = {c: scores[c] for c in untouched if scores[c] < full[c]}
    assert not lost, f"{bug.name} cost points elsewhere: {lost}"
    if bug.hint and graded:
        feedback = "\n".join(t.feedback() for t in report.tests if t.component == graded)
        assert variants.hint(bug.hint, graded) in feedback, feedback[:1500]


def test_the_correct_example_gets_no_hint():
    report = grade.grade(EXAMPLE, seed=21)
    assert not any(t.hints for t in report.tests)
    assert "Likely bug" not in "\n".join(t.feedback() for t in report.tests)


def test_rubric_aliases_let_the_maths_be_graded(tmp_path):
    source = EXAMPLE.read_text().replace("class Pooling", "class MaxPool")
    source = source.replace("Pooling(pool_h=2", "MaxPool(pool_h=2")
    for old, new in (("self.dW", "self.dweight"), ("self.db", "self.dbias"),
                     ("].dW", "].dweight"), ("].db", "].dbias")):
        source = source.replace(old, new)
    path = tmp_path / "renamed.py"
    path.write_text(source)
    plain = grade.grade(path, rubric.Rubric(hidden=False), seed=1)
    pooling = "\n".join(t.feedback() for t in plain.tests if t.component == "Pooling")
    assert "`Pooling` not found; a class `MaxPool` looks like it" in pooling
    conv = "\n".join(t.feedback() for t in plain.tests if t.component == "Convolution")
    assert "keeps no gradient in `dW` after backward; this layer set `dweight`" in conv
    aliased = rubric.Rubric(hidden=False, aliases={"names": {"Pooling": "MaxPool"},
                                                   "attributes": {"dW": "dweight",
                                                                  "db": "dbias"}})
    assert grade.grade(path, aliased, seed=1).score == pytest.approx(100)


def test_constructor_mismatch_is_explained(tmp_path):
    source = EXAMPLE.read_text().replace("conv_param={", "conv_params={").replace(
        "filter_num = conv_param[", "filter_num = conv_params[").replace(
        "conv_param['", "conv_params['")
    path = tmp_path / "renamed.py"
    path.write_text(source)
    report = grade.grade(path, rubric.Rubric(hidden=False), seed=1)
    feedback = "\n".join(t.feedback() for t in report.tests if t.component == "SimpleConvNet")
    assert "`SimpleConvNet` does not accept `conv_param`" in feedback


def test_predict_returning_none_is_named(tmp_path):
    source = EXAMPLE.read_text().replace(
        "        for layer in self.layers.values():\n            x = layer.forward(x)\n"
        "        return x", "        for layer in self.layers.values():\n"
        "            x = layer.forward(x)")
    path = tmp_path / "none.py"
    path.write_text(source)
    report = grade.grade(path, rubric.Rubric(hidden=False), seed=1)
    feedback = "\n".join(t.feedback() for t in report.tests if t.component == "SimpleConvNet")
    assert "`SimpleConvNet.predict` returned None" in feedback


def test_book_differences_are_accepted_with_a_note():
    report = grade.grade(EXAMPLE, rubric.Rubric(hidden=False), seed=2)
    notes = {n for t in report.tests for n in t.notes}
    assert any("float32-becomes-float64" in n for n in notes)
    assert any("relu-overwrites-dout" in n for n in notes)


def test_a_rubric_can_grade_a_book_difference_as_wrong(tmp_path):
    strict = rubric.Rubric(hidden=False, points={"Relu": 5},
                           differences={"relu-overwrites-dout": "wrong"})
    report = grade.grade(EXAMPLE, strict, seed=2)
    assert report.score < 5
    assert "modified its input `dout` in place" in "\n".join(t.feedback() for t in report.tests)


def test_example_path_exists():
    assert Path(EXAMPLE).is_file()


EXTRAS = Path(__file__).parent / "grading_fixtures" / "book_style_extras.py"
EXTRA_COMPONENTS = ("Dropout", "BatchNormalization", "SGD", "Momentum", "Nesterov", "AdaGrad",
                    "RMSprop", "Adam")


def test_every_accepted_book_difference_costs_nothing(tmp_path):
    """The book's own behaviour for each difference the default rubric accepts, in one
    submission (the example keeps the chapter 7 ones; book_style_extras.py the others), is
    graded on visible and hidden inputs: full marks, and a note naming each difference."""
    folder = tmp_path / "book"
    folder.mkdir()
    (folder / "cnn.py").write_text(EXAMPLE.read_text())
    (folder / "extras.py").write_text(EXTRAS.read_text())
    points = {**rubric.DEFAULT_POINTS, **dict.fromkeys(EXTRA_COMPONENTS, 5)}
    report = grade.grade(folder, rubric.Rubric(points=points, secret="book"))
    assert report.score == pytest.approx(report.max_score), \
        [t.feedback() for t in report.tests if not t.ok]
    notes = "\n".join(n for t in report.tests for n in t.notes)
    accepted = divergences.default_policy("accepted")
    graded = {name for name in accepted if divergences.get(name)["components"]}
    assert graded, "no accepted difference has a component"
    for name in sorted(graded):
        assert f"book difference ({name})" in notes, f"{name}: no note\n{notes}"
    for name in accepted - graded:  # e.g. a helper outside the graded API: nothing to charge
        assert not divergences.get(name)["components"]


def test_the_report_says_what_was_graded_and_warns_of_a_stale_copy(tmp_path):
    """A folder with the student's solution and a stale copy of Pooling that runs later: the
    report names the file each graded definition came from and warns, so a lower grade is
    never silent ("loaded without problems" is not said)."""
    import json

    from conformance.grading import results

    folder = tmp_path / "hw"
    folder.mkdir()
    source = EXAMPLE.read_text()
    (folder / "solution.py").write_text(source)
    pooling = source[source.index("class Pooling"):source.index("class SimpleConvNet")]
    stale = pooling.replace("np.max(col, axis=1)", "np.min(col, axis=1)")
    (folder / "zz_old.py").write_text("import numpy as np\nfrom solution import im2col, col2im"
                                      "\n\n\n" + stale)
    report = grade.grade(folder, rubric.Rubric(hidden=False, points={"Pooling": 15}))
    assert report.graded_from["Pooling"].startswith("zz_old.py:")
    warning = "\n".join(report.load_messages)
    assert "`Pooling` from solution.py:" in warning and "zz_old.py" in warning
    assert report.score < 15
    results.write(report, tmp_path / "results.json")
    output = json.loads((tmp_path / "results.json").read_text())["output"]
    assert "What was graded:" in output and "loaded without problems" not in output
