"""`scratch-cnn conformance` and `pytest --pyargs conformance`: what a maintainer or a
student sees when checking an implementation."""

import json
import subprocess
import sys
import textwrap

import pytest

from conformance.cli import main

RELU_ONLY = textwrap.dedent("""
    import numpy as np

    class Relu:
        mask = None

        def forward(self, x):
            self.mask = x <= 0
            return np.where(self.mask, 0, x).astype(x.dtype)

        def backward(self, dout):
            if self.mask is None:
                raise ValueError("Relu.backward called before forward")
            return np.where(self.mask, 0, dout).astype(dout.dtype)
""")

RELU_MASK_FROM_DOUT = RELU_ONLY.replace("return np.where(self.mask, 0, dout)",
                                        "return np.where(dout <= 0, 0, dout)")


def conformance(*args):
    return main(["conformance", "--oracle", "reference", *args])


@pytest.fixture
def relu_file(tmp_path):
    path = tmp_path / "relu.py"
    path.write_text(RELU_ONLY)
    return path


def test_partial_implementation_passes_and_reports_the_rest_missing(relu_file, capsys):
    assert conformance("--impl", str(relu_file), "-k", "Relu or Affine") == 0
    out = capsys.readouterr().out
    assert "Relu" in out and "missing" in out
    affine_row = next(line for line in out.splitlines() if line.startswith("Affine "))
    assert affine_row.split()[4] == affine_row.split()[1]  # every Affine case missing


def test_a_bug_fails_its_component_with_a_hint(tmp_path, capsys):
    path = tmp_path / "relu.py"
    path.write_text(RELU_MASK_FROM_DOUT)
    assert conformance("--impl", str(path), "-k", "Relu") == 1
    out = capsys.readouterr().out
    assert "Relu dx:" in out
    assert "Possible bug (wrong-cached-value): the ReLU mask comes from dout" in out
    assert "repro: scratch-cnn repro 'Relu-" in out


def test_a_module_that_cannot_be_imported_fails_loudly():
    assert conformance("--impl", "no.such.module") == 2  # a usage error


def test_unloadable_target_message_names_the_reason(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("x = 1\n")
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "conformance", "--impl",
                           str(broken), "--oracle", "reference"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "cannot load the implementation under test" in proc.stdout + proc.stderr
    assert "defines none of the book's components" in proc.stdout + proc.stderr


def test_html_report_has_a_heat_map_per_component(tmp_path):
    report = tmp_path / "report.html"
    assert conformance("-k", "Pooling and forward", "--report", str(report)) == 0
    page = report.read_text()
    assert page.count('<table class="heat">') == 4  # Pooling and AvgPooling, two maps each
    assert "<th>stride \\ pad</th>" in page and "<th>kernel \\ input size</th>" in page


def test_json_report_holds_the_matrix(tmp_path):
    report = tmp_path / "report.json"
    assert conformance("-k", "im2col", "--report", str(report)) == 0
    data = json.loads(report.read_text())
    assert data["grid"] == "quick" and data["components"]["im2col"]["failed"] == 0
    assert data["components"]["im2col"]["cases"] >= 16


def test_junit_report(tmp_path):
    report = tmp_path / "report.xml"
    assert conformance("-k", "Sigmoid", "--report", str(report)) == 0
    assert "<testsuite" in report.read_text()


def test_report_must_have_a_known_extension(capsys):
    assert conformance("--report", "report.txt") == 2


def test_notebook_implementation_with_a_failing_cell_still_loads(tmp_path, capsys):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np"),
                nbformat.v4.new_code_cell("raise RuntimeError('a cell that fails')"),
                nbformat.v4.new_code_cell("!pip install nothing"),
                nbformat.v4.new_code_cell(RELU_ONLY)]
    path = tmp_path / "relu.ipynb"
    nbformat.write(nb, path)
    assert conformance("--impl", str(path), "-k", "Relu") == 0
    out = capsys.readouterr().out
    assert "load problem" in out and "a cell that fails" in out


@pytest.mark.torch
def test_pytest_plugin_runs_with_pyargs_against_torch(relu_file):
    pytest.importorskip("torch")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "-p", "conformance.plugin", "--pyargs", "conformance",
                           "--cnn-impl", str(relu_file), "-k", "Relu"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "scratch-cnn conformance: " in proc.stdout  # the header names what is under test
    assert "oracle torch" in proc.stdout


@pytest.mark.torch
def test_the_reference_conforms_on_the_quick_grid():
    """The main job: scratch_cnn against PyTorch, every quick case."""
    pytest.importorskip("torch")
    assert main(["conformance", "-q"]) == 0


def test_the_plugin_leaves_other_projects_alone(tmp_path):
    """Another project's conftest defines its own --impl and --grid: pytest runs it as if
    scratch-cnn were not installed, and even with the plugin loaded the options do not
    clash (they are --cnn-*)."""
    project = tmp_path / "other"
    project.mkdir()
    (project / "conftest.py").write_text(textwrap.dedent("""
        def pytest_addoption(parser):
            parser.addoption("--impl", default="mine")
            parser.addoption("--grid", default="theirs")
    """))
    (project / "test_other.py").write_text(textwrap.dedent("""
        def test_own_options(request):
            assert request.config.getoption("impl") == "given"
            assert request.config.getoption("grid") == "theirs"
    """))
    for extra in ([], ["-p", "conformance.plugin"]):
        proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *extra,
                               "--impl", "given", str(project)], capture_output=True, text=True,
                              cwd=project)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert "1 passed" in proc.stdout
        assert "scratch-cnn conformance" not in proc.stdout  # nothing of ours ran
