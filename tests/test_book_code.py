"""The book's own chapter 7 code, graded as a student's folder: it loses points only for its
three real limitations, each with its hint, and every other book habit costs nothing."""

from pathlib import Path

import pytest

from conformance import variants
from conformance.grading import grade, rubric

BOOK = Path(__file__).resolve().parents[1] / "third_party" / "deep-learning-from-scratch"

# component -> the book differences that must be named where it loses points
LIMITATIONS = {
    "Pooling": {"pooling-size-ignores-pad"},
    "SimpleConvNet": {"pool-size-rounding", "simple-conv-net-square-input"},
}


@pytest.fixture(scope="module")
def report():
    return grade.grade(BOOK, seed=0)


def test_the_book_loses_points_only_for_its_real_limitations(report):
    lost = {name for name, (score, full) in report.components().items() if score < full}
    assert lost == set(LIMITATIONS)
    assert report.max_score == pytest.approx(sum(rubric.DEFAULT_POINTS.values()))


@pytest.mark.parametrize("component", sorted(LIMITATIONS))
def test_each_limitation_is_named_with_its_hint(report, component):
    feedback = "\n".join(t.feedback() for t in report.tests if t.component == component)
    for difference in LIMITATIONS[component]:
        assert variants.hint(difference, component) in feedback, feedback[:2000]


def test_the_book_habits_that_are_accepted_are_noted_not_charged(report):
    notes = "\n".join(n for t in report.tests if t.ok for n in t.notes)
    assert "float32-becomes-float64" in notes
    assert "relu-overwrites-dout" in notes


def test_the_report_says_the_layers_come_from_a_copy_of_the_book(report):
    assert report.graded_from["Convolution"].startswith("common/layers.py:")
    assert report.graded_from["SimpleConvNet"].startswith("ch07/simple_convnet.py:")
    assert any("copy of the book's common/" in m for m in report.load_messages)
