"""Both JUnit files validate against Jenkins' junit-10.xsd (tests/schemas/, with its origin):
the grader's (`scratch-cnn grade --format junit`) and the suite's (`scratch-cnn conformance
--report FILE.xml`, pytest's own writer)."""

import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conformance.cli import main
from conformance.grading import grade, results
from tests.student_text import nasty_submission

SCHEMA = Path(__file__).parent / "schemas" / "junit-10.xsd"


@pytest.fixture(scope="module")
def junit_schema():
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema10(str(SCHEMA))


def assert_valid(schema, path):
    errors = [str(e.reason) for e in schema.iter_errors(str(path))]
    assert errors == [], errors[:3]
    if shutil.which("xmllint"):  # libxml2 agrees, where it is installed
        proc = subprocess.run(["xmllint", "--noout", "--schema", str(SCHEMA), str(path)],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]


def test_the_schema_rejects_what_the_old_files_had(junit_schema, tmp_path):
    """The validation has teeth: a suite without `errors`, <properties> in a <testcase>."""
    old = tmp_path / "old.xml"
    old.write_text('<testsuite name="s" tests="1" failures="0"><testcase classname="c" name="t">'
                   '<properties/></testcase></testsuite>')
    reasons = " ".join(str(e.reason) for e in junit_schema.iter_errors(str(old)))
    assert "errors" in reasons and "properties" in reasons


def test_grade_junit_validates(junit_schema, tmp_path):
    report = grade.grade(str(nasty_submission(tmp_path)), seed=1)
    out = tmp_path / "grade.xml"
    results.write(report, out, "junit")
    assert_valid(junit_schema, out)
    root = ET.parse(out).getroot()
    suite = root.find("testsuite")
    assert suite.get("errors") == "0"
    assert int(suite.get("tests")) == len(report.tests)
    assert int(suite.get("failures")) == sum(not t.ok for t in report.tests) > 0
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["score"] == results._points(report.score)
    assert all(case.find("properties") is None for case in root.iter("testcase"))


def test_grade_junit_of_a_submission_that_does_not_load_validates(junit_schema, tmp_path):
    (tmp_path / "empty.py").write_text("x = (\n")
    out = tmp_path / "grade.xml"
    assert main(["grade", str(tmp_path / "empty.py"), "-o", str(out), "--format", "junit",
                 "-q"]) == 0
    assert_valid(junit_schema, out)
    assert ET.parse(out).getroot().find("testsuite/system-out").text.startswith("Loading")


@pytest.mark.parametrize("ini", [None, "junit_family = xunit1"], ids=["default", "xunit1-ini"])
def test_conformance_junit_validates(junit_schema, tmp_path, monkeypatch, ini):
    """Passes, failures, skips (missing components) and xfails (known differences) in one
    file; an ini file in the folder it runs in that asks for xunit1 changes nothing."""
    if ini:
        (tmp_path / "pytest.ini").write_text(f"[pytest]\n{ini}\n")
    monkeypatch.chdir(tmp_path)
    example = Path(__file__).parents[1] / "conformance" / "examples" / "submission" / "cnn.py"
    impl = tmp_path / "impl.py"
    impl.write_text(example.read_text().replace("out = x.copy()", "out = -x"))  # Relu bug
    out = tmp_path / "suite.xml"
    assert main(["conformance", "--oracle", "reference", "--impl", str(impl), "-q",
                 "-k", "Relu or Sigmoid or (Pooling and forward)", "--report", str(out)]) == 1
    assert_valid(junit_schema, out)
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite.get("name") == "scratch-cnn conformance"
    kinds = {child.tag for case in suite.iter("testcase") for child in case}
    assert {"failure", "skipped"} <= kinds and "properties" not in kinds
    skipped = [s.get("type") for s in suite.iter("skipped")]
    assert "pytest.xfail" in skipped and "pytest.skip" in skipped
