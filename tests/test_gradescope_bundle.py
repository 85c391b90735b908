"""The Gradescope bundle as Gradescope builds and runs it: setup.sh installs what the rubric
lists (apt, then pip, pinned), run_autograder grades like `scratch-cnn grade`, students see
their total, torch is PyTorch's CPU build, and reports name the student's files."""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from conformance.cli import main
from conformance.grading import bundle, grade, rubric
from tests.buggy import bugs

ROOT = Path(__file__).resolve().parent.parent
PLOT_FIRST = "import numpy as np\nimport matplotlib.pyplot as plt\n\n"
# col2im raising from a helper: its traceback names the file
RAISES_IN_A_HELPER = ("\n\ndef _boom():\n    raise ValueError('boom')\n\n\n"
                      "def col2im(*args, **kwargs):\n    _boom()\n")


def _write_rubric(folder, text):
    path = folder / "rubric.toml"
    path.write_text(text)
    return path


def _bundle(tmp_path, *argv, name="autograder"):
    zip_path = tmp_path / f"{name}.zip"
    assert main(["gradescope-bundle", "-o", str(zip_path), *argv]) == 0
    root = tmp_path / name
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    return root


def _plot_first_notebook(folder):
    """The book's chapter 7 in one notebook cell that starts by importing matplotlib."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(PLOT_FIRST + Path(bugs.EXAMPLE).read_text())]
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / "ch7.ipynb")
    return folder / "ch7.ipynb"


@pytest.mark.parametrize(("text", "message"), [
    ('requirements = "matplotlib"\n', "requirements must be a list of strings"),
    ('requirements = ["--index-url=https://example.org/simple"]\n', "no options"),
    ('requirements = ["matplotlib>=>3"]\n', "is not a package with a version pip accepts"),
    ('apt = ["Graphviz"]\n', "is not a Debian package name"),
    ('apt = ["graphviz; rm -rf /"]\n', "is not a Debian package name"),
    ("apt = [3]\n", "apt must be a list of strings"),
])
def test_bad_requirements_are_refused_with_the_key_named(tmp_path, capsys, text, message):
    path = _write_rubric(tmp_path, text)
    assert main(["gradescope-bundle", "-o", str(tmp_path / "a.zip"), "--rubric", str(path)]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "a.zip").exists()


def test_setup_installs_the_rubrics_packages_pinned(tmp_path):
    path = _write_rubric(tmp_path, 'requirements = ["matplotlib>=3.5"]\napt = ["graphviz"]\n')
    pins = tmp_path / "pins.txt"
    pins.write_text("numpy==2.0.0\nmatplotlib==3.9.0\n")
    root = _bundle(tmp_path, "--rubric", str(path), "--constraints", str(pins))
    source = root / "source"
    assert (source / "requirements.txt").read_text().splitlines()[-1] == "matplotlib>=3.5"
    constraints = (source / "constraints.txt").read_text()
    assert "numpy==2.0.0" in constraints and "matplotlib==3.9.0" in constraints
    setup = (source / "setup.sh").read_text()
    # apt first, then pip; every pip install is pinned by the bundle's constraints
    assert setup.index("apt-get install") < setup.index("pip\" install")
    assert "for package in python3 python3-venv python3-pip bubblewrap libseccomp2 graphviz; " \
        "do" in setup
    pip_lines = [line for line in setup.splitlines() if '"$pip" install' in line]
    assert pip_lines == ['"$pip" install --quiet -c "$source/constraints.txt" '
                         '-r "$source/requirements.txt"']


def test_torch_oracle_is_pinned_to_the_cpu_build(tmp_path):
    setup = (_bundle(tmp_path, "--oracle", "torch") / "source" / "setup.sh").read_text()
    assert (f'"$pip" install --quiet --index-url https://download.pytorch.org/whl/cpu '
            f'"torch=={bundle.TORCH_VERSION}"') in setup
    assert "--oracle torch" in (tmp_path / "autograder" / "source" / "run_autograder").read_text()
    # no other line installs torch, and the pin is the one the suite is checked against
    assert len(re.findall(r"torch", setup.replace("# PyTorch", ""))) == 1 + setup.count("torch==")
    assert f"torch=={bundle.TORCH_VERSION}\n" in (ROOT / "constraints.txt").read_text()
    without = (_bundle(tmp_path, name="reference") / "source" / "setup.sh").read_text()
    assert "torch" not in without


def test_the_rubrics_torch_oracle_bundles_torch(tmp_path):
    path = _write_rubric(tmp_path, 'oracle = "torch"\n')
    setup = (_bundle(tmp_path, "--rubric", str(path)) / "source" / "setup.sh").read_text()
    assert "download.pytorch.org/whl/cpu" in setup


def test_students_see_their_total_by_default(tmp_path):
    """Gradescope's spec: while any test is after_due_date or after_published, students see no
    total; "hidden" tests never show and do not withhold it."""
    out = tmp_path / "results.json"
    assert main(["grade", str(bugs.EXAMPLE), "-o", str(out), "-q", "--seed", "1"]) == 0
    results = json.loads(out.read_text())
    visibilities = {t["visibility"] for t in results["tests"]}
    assert visibilities == {"visible", "hidden"}
    assert results.get("visibility", "visible") == "visible"
    assert rubric.load(ROOT / "conformance" / "examples" / "rubric.toml").hidden_visibility \
        == "hidden"


def test_bundle_notes_when_students_will_not_see_their_total(tmp_path, capsys):
    path = _write_rubric(tmp_path, 'hidden_visibility = "after_published"\n')
    _bundle(tmp_path, "--rubric", str(path))
    assert "Gradescope shows students no total" in capsys.readouterr().out


def test_reports_name_the_students_file_not_the_graders_path(tmp_path):
    submission = tmp_path / "autograder" / "submission"
    submission.mkdir(parents=True)
    (submission / "cnn.py").write_text(Path(bugs.EXAMPLE).read_text() + RAISES_IN_A_HELPER)
    report = grade.grade(submission, rubric.Rubric(hidden=False), seed=1)
    assert report.submission == "cnn.py"
    text = "\n".join(t.feedback() for t in report.tests)
    assert "--impl cnn.py" in text and str(tmp_path) not in text
    assert 'File "cnn.py", line' in text  # the traceback of the helper that raises
    assert "/tmp/" not in text


def _run_setup(root):
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
    proc = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]


def _run_autograder(root, notebook):
    (root / "submission").mkdir()
    shutil.copy(notebook, root / "submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root)}
    env.pop("PYTHON", None)  # the bundle's own environment, as on Gradescope
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((root / "results" / "results.json").read_text())


def test_a_notebook_that_imports_matplotlib_scores_the_same_on_the_bundle(tmp_path):
    """setup.sh really runs (a fresh virtual environment, pip from the index): the bundle's
    environment has exactly what the rubric lists, not what this one has."""
    notebook = _plot_first_notebook(tmp_path / "student")
    local = tmp_path / "local.json"
    assert main(["grade", str(notebook), "-o", str(local), "-q"]) == 0
    local_score = json.loads(local.read_text())["score"]
    assert local_score == pytest.approx(100)

    with_plot = _bundle(tmp_path, "--rubric", str(_write_rubric(
        tmp_path, 'requirements = ["matplotlib"]\n')), name="with-matplotlib")
    _run_setup(with_plot)
    assert _run_autograder(with_plot, notebook)["score"] == pytest.approx(local_score)

    (tmp_path / "rubric.toml").unlink()
    without = _bundle(tmp_path, name="without-matplotlib")
    _run_setup(without)
    results = _run_autograder(without, notebook)
    assert results["score"] == 0
    assert ("`matplotlib` is not installed where submissions are graded" in results["output"])
    assert "rubric's `requirements`" in results["output"]
    assert "ch7.ipynb, cell 1: ModuleNotFoundError" in results["output"]
