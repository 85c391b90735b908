"""`scratch-cnn grade`, `grade-batch` and `gradescope-bundle` as an instructor runs them."""

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conformance.cli import main

SEED_NOTES = Path(__file__).parent / "grading_fixtures" / "student-notes-ch7-cnn.md"
GRADESCOPE_VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


@pytest.fixture
def seed_notes(tmp_path):
    folder = tmp_path / "seed"
    folder.mkdir()
    shutil.copy(SEED_NOTES, folder)
    return folder


def test_seed_notes_get_a_report_that_names_each_problem(seed_notes, capsys):
    assert main(["grade", str(seed_notes), "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "cannot import name 'OrderDict' from 'collections'" in out
    assert "so `SimpleConvNet`, defined in it, does not exist" in out
    assert "`im2col` returned None" in out
    assert "`col2im` not found" in out
    assert "`Relu` not found" in out and "`SimpleConvNet` not found" in out
    assert "score 0 / 100" in out


def test_results_json_follows_gradescope_format(seed_notes, tmp_path):
    out = tmp_path / "results" / "results.json"
    assert main(["grade", str(seed_notes), "-o", str(out), "-q", "--seed", "2"]) == 0
    data = json.loads(out.read_text())
    assert isinstance(data["score"], (int, float)) and "output" in data
    assert data["tests"], "one test per component and behaviour"
    for test in data["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility",
                             "tags"}
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in GRADESCOPE_VISIBILITIES
        assert 0 <= test["score"] <= test["max_score"]
    tags = {t for test in data["tests"] for t in test["tags"]}
    assert tags == {"im2col", "col2im", "Convolution", "Pooling", "Relu", "Affine",
                    "SoftmaxWithLoss", "SimpleConvNet"}
    assert sum(t["max_score"] for t in data["tests"]) == pytest.approx(100)


@pytest.mark.parametrize(("fmt", "check"), [
    # format     what the file must look like
    ("json", lambda text: json.loads(text)["max_score"] == pytest.approx(100)),
    ("junit", lambda text: ET.fromstring(text).find("testsuite").get("errors") == "0"),
    ("html", lambda text: text.startswith("<!doctype html>")),
    ("text", lambda text: "score 0 / 100" in text),
])
def test_every_output_format(seed_notes, tmp_path, fmt, check):
    out = tmp_path / f"out.{fmt}"
    assert main(["grade", str(seed_notes), "-o", str(out), "--format", fmt, "-q"]) == 0
    assert check(out.read_text())


@pytest.mark.parametrize("argv", [
    ["grade", "does/not/exist.py"],
    ["grade", str(SEED_NOTES), "--timeout", "0"],
    ["grade", str(SEED_NOTES), "--format", "json"],
])
def test_grader_exits_2_when_it_cannot_run(argv, capsys):
    assert main(argv) == 2
    assert "scratch-cnn grade: error:" in capsys.readouterr().err


def test_bad_rubric_is_refused_with_the_key_named(tmp_path, capsys):
    rubric = tmp_path / "rubric.toml"
    rubric.write_text('grid = "huge"\n[points]\nConvolution = 10\n')
    assert main(["grade", str(SEED_NOTES), "--rubric", str(rubric)]) == 2
    assert "grid must be one of" in capsys.readouterr().err
    rubric.write_text('[points]\nConvolutoin = 10\n')
    assert main(["grade", str(SEED_NOTES), "--rubric", str(rubric)]) == 2
    assert "unknown component 'Convolutoin'" in capsys.readouterr().err


def test_grade_batch_writes_reports_and_csv_and_resumes(tmp_path, seed_notes):
    cls = tmp_path / "class"
    (cls / "alice").mkdir(parents=True)
    shutil.copy(SEED_NOTES, cls / "alice")
    (cls / "bob.py").write_text("def im2col(*args):\n    raise SystemExit(3)\n")
    grades, reports = tmp_path / "grades.csv", tmp_path / "reports"
    argv = ["grade-batch", str(cls), "--jobs", "2", "--csv", str(grades), "--out", str(reports),
            "--seed", "4"]
    assert main(argv) == 0
    rows = {r["student"]: r for r in csv.DictReader(grades.open())}
    assert set(rows) == {"alice", "bob"}
    assert all(r["status"] == "graded" for r in rows.values())
    assert (reports / "alice" / "report.txt").read_text().count("OrderDict") >= 1
    stamp = os.path.getmtime(reports / "bob" / "results.json")
    assert main(argv) == 0  # resumes: nothing changed, nothing graded again
    assert os.path.getmtime(reports / "bob" / "results.json") == stamp
    (cls / "bob.py").write_text("def im2col(*args):\n    return None\n")
    assert main(argv) == 0
    assert os.path.getmtime(reports / "bob" / "results.json") != stamp


def test_html_reports_come_with_the_results_in_one_grading(tmp_path):
    """`grade --html` writes the page beside -o's results; `grade-batch --html` gives each
    student one, and a batch graded without it makes them on the next run."""
    example = Path(__file__).resolve().parents[1] / "conformance/examples/submission/cnn.py"
    out, page = tmp_path / "results.json", tmp_path / "report.html"
    assert main(["grade", str(example), "-o", str(out), "--html", str(page), "-q",
                 "--seed", "2"]) == 0
    assert json.loads(out.read_text())["score"] == 100
    assert "<html" in page.read_text() and "score 100 / 100" in page.read_text()
    cls, reports = tmp_path / "class", tmp_path / "reports"
    cls.mkdir()
    shutil.copy(example, cls / "alice.py")
    (cls / "bob.py").write_text("def im2col(*args):\n    return None\n")
    argv = ["grade-batch", str(cls), "--csv", str(tmp_path / "g.csv"), "--out", str(reports),
            "--seed", "4", "-q"]
    assert main(argv) == 0
    assert not (reports / "bob" / "report.html").exists()
    assert main([*argv, "--html"]) == 0
    assert "im2col" in (reports / "bob" / "report.html").read_text()
    assert (reports / "alice" / "report.html").is_file()


def test_gradescope_bundle_grades_a_submission_like_gradescope(tmp_path):
    bundle = tmp_path / "autograder.zip"
    assert main(["gradescope-bundle", "-o", str(bundle)]) == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as z:
        names = set(z.namelist())
        z.extractall(root / "source")
    assert {"setup.sh", "run_autograder", "rubric.toml"} <= names
    assert "vendor/scratch_cnn/__init__.py" in names and "vendor/conformance/drivers.py" in names
    (root / "submission").mkdir()
    shutil.copy(SEED_NOTES, root / "submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and len(results["tests"]) > 0
