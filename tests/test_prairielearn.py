"""PrairieLearn: the results format (validated against a JSON schema written from PrairieLearn's
documentation), the image's entry script run on a /grade/ folder as PrairieLearn lays it out,
and the question `scratch-cnn prairielearn-bundle` writes."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conformance.cli import main
from conformance.grading import prairielearn, rubric
from tests.buggy import bugs

SCHEMA = json.loads((Path(__file__).parent / "schemas" /
                     "prairielearn-results.schema.json").read_text())
SEED_NOTES = Path(__file__).parent / "grading_fixtures" / "student-notes-ch7-cnn.md"
RELU_ONLY = "hidden = false\n[points]\nRelu = 5\n"


def _valid(results):
    jsonschema.validate(results, SCHEMA)
    for test in results.get("tests", []):
        assert test["points"] <= test["max_points"]
    assert len(json.dumps(results)) < 1 << 20  # PrairieLearn's limit on results.json
    return results


def _grade(tmp_path, submission, *argv):
    out = tmp_path / "results.json"
    assert main(["grade", str(submission), "-o", str(out), "--format", "prairielearn", "-q",
                 "--seed", "5", *argv]) == 0
    return _valid(json.loads(out.read_text()))


def test_schema_rejects_what_prairielearn_would_not_take():
    for bad in ({"score": 1.5}, {"tests": []}, {"score": 0.5, "tests": [{"name": "t"}]},
                {"gradable": False}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, SCHEMA)


def test_correct_submission_scores_one(tmp_path):
    results = _grade(tmp_path, bugs.EXAMPLE)
    assert results["gradable"] is True and results["score"] == 1.0
    assert sum(t["max_points"] for t in results["tests"]) == pytest.approx(100)


def test_failing_submission_scores_its_fraction_and_says_why(tmp_path):
    results = _grade(tmp_path, SEED_NOTES)
    assert results["score"] == 0
    assert "OrderDict" in results["output"]
    assert any("cases fail" in t["message"] for t in results["tests"])


def test_hidden_tests_show_points_but_not_feedback_unless_visible(tmp_path):
    buggy = bugs.write_buggy(bugs.BUGS[0], tmp_path / "bug")
    results = _grade(tmp_path, buggy)
    hidden = [t for t in results["tests"] if "(hidden inputs)" in t["name"]]
    visible = [t for t in results["tests"] if "(visible inputs)" in t["name"]]
    assert hidden and visible
    assert all("repro:" not in t["output"] and "not shown" in t["output"] for t in hidden)
    assert any("repro:" in t["output"] for t in visible)
    shown = tmp_path / "shown.toml"
    shown.write_text('hidden_visibility = "visible"\n')
    results = _grade(tmp_path, buggy, "--rubric", str(shown))
    assert any("repro:" in t["output"] for t in results["tests"]
               if "(hidden inputs)" in t["name"])


def _grade_folder(tmp_path, student_files=(), tests_rubric=None, course_rubric=None):
    """/grade/ as PrairieLearn lays it out, and the image's entry script run on it."""
    root = tmp_path / "grade"
    (root / "student").mkdir(parents=True)
    for path in student_files:
        shutil.copy(path, root / "student" / "cnn.py")
    if tests_rubric is not None:
        (root / "tests").mkdir()
        (root / "tests" / "rubric.toml").write_text(tests_rubric)
    if course_rubric is not None:
        (root / "serverFilesCourse" / "scratch_cnn").mkdir(parents=True)
        (root / "serverFilesCourse" / "scratch_cnn" / "rubric.toml").write_text(course_rubric)
    entry = tmp_path / "entry"
    assert main(["prairielearn-bundle", "--entrypoint-only", str(entry)]) == 0
    assert os.access(entry, os.X_OK)
    env = {**os.environ, "GRADE_ROOT": str(root), "PYTHON": sys.executable}
    proc = subprocess.run([str(entry)], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return _valid(json.loads((root / "results" / "results.json").read_text()))


def test_entry_script_grades_the_students_files_with_the_questions_rubric(tmp_path):
    buggy = bugs.write_buggy(next(b for b in bugs.BUGS if b.component == "Relu"),
                             tmp_path / "bug")
    results = _grade_folder(tmp_path, [buggy], tests_rubric=RELU_ONLY,
                            course_rubric="[points]\nim2col = 10\n")
    assert {t["name"].split(":")[0] for t in results["tests"]} == {"Relu"}
    assert results["score"] < 1
    text = json.dumps(results)
    assert "--impl cnn.py" in text and "/grade/" not in text and str(tmp_path) not in text


def test_entry_script_falls_back_to_the_courses_rubric(tmp_path):
    results = _grade_folder(tmp_path, [bugs.EXAMPLE], course_rubric=RELU_ONLY)
    assert {t["name"].split(":")[0] for t in results["tests"]} == {"Relu"}
    assert results["score"] == 1.0


def test_a_grader_that_cannot_run_costs_the_student_no_attempt(tmp_path):
    results = _grade_folder(tmp_path, [bugs.EXAMPLE], tests_rubric='grid = "huge"\n')
    assert results["gradable"] is False
    assert "grid must be one of" in results["format_errors"][0]


def test_bundle_writes_an_externally_graded_question(tmp_path):
    rubric_file = tmp_path / "rubric.toml"
    rubric_file.write_text("time_budget = 900\n" + RELU_ONLY)
    out = tmp_path / "course"
    assert main(["prairielearn-bundle", "-o", str(out), "--rubric", str(rubric_file),
                 "--image", "me/scratch-cnn-prairielearn:0.1", "--files", "layers.py"]) == 0
    question = out / "questions" / "scratch_cnn_ch7"
    info = json.loads((question / "info.json").read_text())
    assert info["type"] == "v3" and info["gradingMethod"] == "External"
    options = info["externalGradingOptions"]
    assert options == {"enabled": True, "image": "me/scratch-cnn-prairielearn:0.1",
                       "timeout": 600}  # PrairieLearn's maximum
    html = (question / "question.html").read_text()
    assert '<pl-file-upload file-names="layers.py">' in html
    assert "<pl-external-grader-results>" in html
    assert rubric.load(question / "tests" / "rubric.toml").points == {"Relu": 5}


def test_bundle_refuses_a_bad_question_name(tmp_path, capsys):
    assert main(["prairielearn-bundle", "-o", str(tmp_path), "--qid", "../x"]) == 2
    assert "is not a question folder name" in capsys.readouterr().err


def test_the_images_entry_script_is_the_bundles():
    dockerfile = (Path(__file__).resolve().parent.parent / "docker" / "prairielearn" /
                  "Dockerfile").read_text()
    assert "scratch-cnn prairielearn-bundle --entrypoint-only" in dockerfile
    assert prairielearn.ENTRY.startswith("#!/usr/bin/env bash\n")
