"""Student text is data: whatever a submission says, every output shows it, escaped, and the
score a TA reads on the terminal is the score in results.json."""

import json
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET

import pytest

from conformance.grading import grade, results
from conformance.untrusted import indent_lines, visible
from tests.student_text import ACTIVE, NASTY, nasty_submission

ACTIVE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp", "Cn"}


def active_characters(text, allowed="\n\t"):
    return sorted({ch for ch in text if ch not in allowed
                   and unicodedata.category(ch) in ACTIVE_CATEGORIES})


@pytest.fixture(scope="module")
def nasty_report(tmp_path_factory):
    path = nasty_submission(tmp_path_factory.mktemp("nasty"))
    return grade.grade(str(path), seed=1)


# --- visible() --------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, shown", [
    # raw character    what every output shows instead
    ("\x1b[2K", "\\x1b[2K"),
    ("\r", "\\r"),
    ("\x08", "\\x08"),
    ("\x00", "\\x00"),
    ("\x7f", "\\x7f"),
    ("\x9b", "\\x9b"),  # the 8-bit CSI
    ("\ud800", "\\ud800"),
    ("\u202e", "\\u202e"),
    ("\u2028", "\\u2028"),
    ("\ufeff", "\\ufeff"),
    ("\U000e0041", "\\U000e0041"),  # a tag character (format, invisible)
])
def test_active_characters_are_shown_as_escapes(raw, shown):
    assert visible(f"a{raw}b") == f"a{shown}b"


def test_ordinary_text_is_untouched():
    text = "Relu: 3 of 4 cases fail\n\tcafé, 数据, emoji 🎉, «quotes»"
    assert visible(text) == text


def test_one_line_fields_show_their_newlines():
    assert visible("bob\nscore 100 / 100.py", newlines=False) == "bob\\nscore 100 / 100.py"


def test_escaped_text_is_free_of_active_characters():
    assert active_characters(visible(NASTY)) == []
    assert visible(visible(NASTY)) == visible(NASTY)  # escaping twice changes nothing


def test_indented_lines_never_start_at_the_margin():
    assert indent_lines("a\nscore 100 / 100", "  ") == "  a\n  score 100 / 100"


# --- The grader's outputs, for a student whose error message is NASTY -------------------------
def test_the_message_really_reaches_the_report(nasty_report):
    """Otherwise every test below would pass trivially."""
    assert "score 100 / 100" in "".join(t.feedback() for t in nasty_report.tests)
    assert any("\x1b" in t.feedback() for t in nasty_report.tests)
    assert 0 < nasty_report.score < nasty_report.max_score


def test_text_report_has_no_control_characters_and_one_score_line(nasty_report):
    text = results.text(nasty_report)
    assert active_characters(text) == []
    assert "\\x1b[2A\\x1b[2K\\rscore 100 / 100" in text  # shown, escaped
    score_lines = [line for line in text.splitlines() if line.startswith("score")]
    assert score_lines == [f"score {results._points(nasty_report.score)} / 100"]


def test_a_message_raised_while_loading_cannot_pose_as_the_score(tmp_path):
    (tmp_path / "student.py").write_text(f"import numpy as np\nraise ValueError({NASTY!r})\n")
    report = grade.grade(str(tmp_path / "student.py"), seed=1)
    text = results.text(report)
    assert any("score 100 / 100" in m for m in report.load_messages)
    assert active_characters(text) == []
    assert [line for line in text.splitlines() if line.startswith("score")] == ["score 0 / 100"]
    assert "\n  score 100 / 100\n" in text  # the message's second line, indented


def test_terminal_summary_shows_the_real_score(tmp_path):
    """As a TA runs it: the bytes on the terminal hold no escape sequence, and the score line
    is the one in results.json."""
    path = nasty_submission(tmp_path)
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "grade", str(path),
                           "-o", str(out), "--seed", "1"], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    stdout = proc.stdout.decode("utf-8")  # strict: no lone surrogate could be encoded
    assert active_characters(stdout) == []
    assert not any(ch in proc.stderr.decode("utf-8") for ch in ACTIVE)
    score = json.loads(out.read_text())["score"]
    assert [line for line in stdout.splitlines() if line.startswith("score")] == \
        [f"score {results._points(score)} / 100"]


def strings(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from strings(item)


def test_json_formats_carry_the_message_escaped(nasty_report):
    for render in (results.gradescope, results.rich_json):
        data = json.loads(render(nasty_report))
        texts = list(strings(data))
        assert any("\\x1b[2A\\x1b[2K\\rscore 100 / 100" in t for t in texts)
        assert [active_characters(t) for t in texts if active_characters(t)] == []


def test_html_report_escapes_markup_and_control_characters(nasty_report, tmp_path):
    nasty_report.submission = "<script>alert('x')</script>\x1b[2K.py"
    page = results.html_page(nasty_report)
    assert active_characters(page) == []
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "\\x1b[2A\\x1b[2K\\rscore 100 / 100" in page


def test_junit_is_well_formed_and_holds_the_escaped_message(nasty_report):
    document = results.junit(nasty_report)
    assert active_characters(document) == []
    root = ET.fromstring(document)
    failures = [f.text for f in root.iter("failure")]
    assert any("\\x1b[2A\\x1b[2K\\rscore 100 / 100" in text for text in failures)


@pytest.mark.parametrize(("raw", "cell"), [
    ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("-rf", "'-rf"), ("@SUM(1)", "'@SUM(1)"),
    ("\tTAB", "'\tTAB"), ("alice", "alice"), ("bob = 2", "bob = 2"), ("a\nb", "a\\nb")])
def test_spreadsheet_cells_are_never_formulas(raw, cell):
    from conformance.untrusted import spreadsheet_cell

    assert spreadsheet_cell(raw) == cell
