"""Every JSON file the project writes is strict RFC 8259 JSON: no NaN, no Infinity, no lone
surrogate. Non-finite numbers are the strings "NaN", "Infinity", "-Infinity"."""

import json
import math
import shutil
import subprocess

import numpy as np
import pytest

from conformance.cli import main
from conformance.grading import grade, results
from scratch_cnn import strict_json, train_cli
from tests.buggy import bugs
from tests.student_text import nasty_submission


def strict_loads(text):
    """json.loads that refuses NaN, Infinity and -Infinity, as JSON.parse does."""
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


def node_parses(path):
    """JavaScript's JSON.parse on the file, where node is installed."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the strict Python parser ran")
    script = "JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'))"
    proc = subprocess.run([node, "-e", script, str(path)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_non_finite_numbers_become_explicit_strings():
    data = {"inf": math.inf, "ninf": -math.inf, "nan": math.nan, "ok": 1.5,
            "nested": [np.float32("nan"), (np.float64("inf"),)], "n": np.int64(3)}
    parsed = strict_loads(strict_json.dumps(data))
    assert parsed == {"inf": "Infinity", "ninf": "-Infinity", "nan": "NaN", "ok": 1.5,
                      "nested": ["NaN", ["Infinity"]], "n": 3}
    assert [float(v) for v in ("Infinity", "-Infinity")] == [math.inf, -math.inf]


def test_lone_surrogates_become_visible_text():
    text = strict_json.dumps({"message\udcff": "bad byte \udcff here"})
    assert "\\udcff" not in text.replace("\\\\udcff", "")  # no surrogate escape left
    assert strict_loads(text) == {"message\\udcff": "bad byte \\udcff here"}


def test_python_json_would_have_written_infinity():
    """The reason for all this: json.dumps writes what JSON.parse rejects."""
    with pytest.raises(ValueError, match="Infinity"):
        strict_loads(json.dumps({"worst": math.inf}))


@pytest.fixture(scope="module")
def conformance_json(tmp_path_factory):
    """A run whose worst relative error is infinite (a nonzero where PyTorch has 0)."""
    folder = tmp_path_factory.mktemp("json")
    impl = folder / "impl.py"
    impl.write_text(bugs.apply(next(b for b in bugs.BUGS if b.name == "im2col-ignores-stride")))
    out = folder / "report.json"
    assert main(["conformance", "--oracle", "reference", "--impl", str(impl), "-q",
                 "-k", "im2col and forward", "--report", str(out)]) == 1
    return out


def test_conformance_json_is_strict(conformance_json):
    data = strict_loads(conformance_json.read_text())
    im2col = data["components"]["im2col"]
    assert im2col["worst_rel"] == "Infinity"
    assert im2col["failed"] > 0
    states = {c["state"] for c in im2col["case_results"].values()}
    assert states <= {"passed", "failed", "known", "missing"} and "failed" in states


def test_conformance_json_passes_javascript_json_parse(conformance_json):
    node_parses(conformance_json)


def test_grade_json_formats_are_strict(tmp_path):
    report = grade.grade(str(nasty_submission(tmp_path)), seed=1)
    report.wall_time = math.nan  # what a broken clock would give: still valid JSON
    for fmt in ("gradescope", "json"):
        out = tmp_path / f"{fmt}.json"
        results.write(report, out, fmt)
        data = strict_loads(out.read_text())
        assert data["score"] == pytest.approx(report.score, abs=0.01)
        node_parses(out)


def test_training_metrics_with_a_diverged_loss_are_strict(tmp_path):
    out = tmp_path / "metrics.json"
    train_cli._write_json(str(out), {"train_loss": math.nan, "history": [{"loss": math.inf}]})
    assert strict_loads(out.read_text()) == {"train_loss": "NaN",
                                             "history": [{"loss": "Infinity"}]}
