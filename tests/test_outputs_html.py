"""The HTML reports of `scratch-cnn conformance --report x.html` and `scratch-cnn grade
--format html`, checked as data and as a browser draws them."""

import re

import pytest

from conformance import pages, report_html
from conformance.cli import main
from conformance.grading import grade, results
from tests.browser import pixels_of, screenshot
from tests.buggy import bugs
from tests.student_text import nasty_submission

# A heat-map cell is about 100 x 25 pixels at this size; a legend swatch about 50 x 24. A
# state's colour over more than 5000 pixels is several cells, not only its swatch.
CELLS_WORTH = 5000
STATES = ("passed", "failed", "known", "missing")


@pytest.fixture(scope="module")
def mixed_impl(tmp_path_factory):
    """Every state at once: the reference's im2col (passed), the book-style Convolution with a
    bug (failed), the book-style Pooling (known: book behaviours), no AvgPooling (missing)."""
    bug = next(b for b in bugs.BUGS if b.name == "conv-output-transposed-hw")
    path = tmp_path_factory.mktemp("impl") / "mixed.py"
    path.write_text(bugs.apply(bug) + "\nfrom scratch_cnn import col2im, im2col  # noqa\n")
    return path


@pytest.fixture(scope="module")
def conformance_page(mixed_impl, tmp_path_factory):
    page = tmp_path_factory.mktemp("report") / "report.html"
    # im2col and Convolution in the grid: the report used to crash on their invalid cases
    code = main(["conformance", "--oracle", "reference", "--impl", str(mixed_impl), "-q",
                 "-k", "(im2col or Convolution or Pooling) and (forward or contract)",
                 "--report", str(page)])
    assert code == 1  # Convolution fails
    return page


def cells(page_text, state):
    return len(re.findall(rf'<td class="{state}" title=', page_text))


def test_conformance_report_has_heat_maps_in_every_state(conformance_page):
    text = conformance_page.read_text()
    for component in ("im2col", "Convolution", "Pooling", "AvgPooling"):
        assert f">{component}</h2>" in text
    assert text.count("<caption>stride x pad</caption>") == 4
    assert text.count("<caption>kernel x input size</caption>") == 4
    for state in STATES:
        assert cells(text, state) > 0, state
        assert f'<td class="swatch {state}"></td><td><b>{state}</b>' in text  # the legend


def test_conformance_report_as_chromium_draws_it(conformance_page, tmp_path):
    rgb = screenshot(conformance_page, tmp_path / "report.png", size=(1200, 2000))
    for state in STATES:
        assert pixels_of(rgb, pages.COLOURS[state]) > CELLS_WORTH, state
    assert (rgb == 255).all(axis=-1).mean() < 0.9  # not a blank page


def test_heat_map_cells_show_their_worst_state_and_sort_mixed_labels():
    def case(state, **params):
        return {"state": state, "invalid_input": False, "params": params}
    results_ = {
        "a": case("passed", stride=1, pad=0, FH=3, FW=3, H=5, W=5),
        "b": case("known", stride=1, pad=0, FH=3, FW=3, H=5, W=5),
        "c": case("failed", stride=2, pad=0, FH=3, FW=3, H=5, W=5),
        "d": case("missing", stride=10, pad=2, FH=3, FW=3, H=12, W=5),
        "e": case("passed", stride=1.5, pad="1", FH=3, FW=3, H=5, W=5),
        "bad": {"state": "failed", "invalid_input": True, "params": {"stride": 0, "pad": -1}},
    }
    by_stride, by_kernel = report_html.heatmaps(results_)
    assert by_stride.rows == ["1", "1.5", "2", "10"] and by_stride.cols == ["0", "2", "'1'"]
    assert by_stride.cells[("1", "0")].state == "known"
    assert by_stride.cells[("1", "0")].label == "1 known · 1 ok"
    assert by_stride.cells[("2", "0")].state == "failed"
    assert by_stride.cells[("10", "2")].state == "missing"
    assert ("0", "-1") not in by_stride.cells  # invalid inputs are not points of the grid
    assert by_kernel.cols == ["5x5", "12x5"]


def test_grade_report_as_chromium_draws_it(tmp_path):
    report = grade.grade(str(nasty_submission(tmp_path)), seed=1)
    page = tmp_path / "grade.html"
    results.write(report, page, "html")
    text = page.read_text()
    assert "score " + results._points(report.score) + " / 100" in text
    assert "\\x1b[2A\\x1b[2K\\rscore 100 / 100" in text
    components = report.components().values()
    passed = sum(abs(s - m) < 1e-9 for s, m in components)
    assert 0 < passed < len(components)
    rgb = screenshot(page, tmp_path / "grade.png", size=(1000, 1200))
    # one coloured points cell per component: about 70 x 24 pixels
    assert pixels_of(rgb, pages.COLOURS["passed"]) > 1000 * passed
    assert pixels_of(rgb, pages.COLOURS["failed"]) > 1000 * (len(components) - passed)
