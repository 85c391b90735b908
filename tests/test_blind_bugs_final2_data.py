"""The second final holdout's integrity, with the final holdout's checks
(tests/test_blind_bugs_final_data.py): every replacement applies exactly once, names are
unique, labels come from the lists and cover every component and class, no row gives the file
of another row or of an earlier set's row, every buggy source compiles and imports, and every
bug changes what its own component computes.

Nothing here asks what the grader says about these submissions: the set measures the grader's
diagnosis and must never be used to tune it (tests/blind_bugs_final2/README.md).
"""

import pytest

from tests.blind_bugs import bugs as blind_bugs
from tests.blind_bugs_final import bugs as final_bugs
from tests.blind_bugs_final2 import bugs
from tests.blind_bugs_holdout import bugs as holdout_bugs
from tests.test_blind_bugs_final_data import (
    check_changes_its_component,
    coverage_shortfall,
    observed_example,
    repeated_submissions,
    row_problems,
)


@pytest.fixture(scope="module")
def example():
    # the rows of both final holdouts start from the same example (the first holdout's EXAMPLE)
    return observed_example()


def test_rows_are_well_formed():
    assert row_problems(bugs.BUGS) == []


def test_components_and_classes_are_covered():
    assert coverage_shortfall(bugs.BUGS) == {}


def test_every_submission_is_a_new_one(example):
    earlier = blind_bugs.BUGS + holdout_bugs.BUGS + final_bugs.BUGS
    assert repeated_submissions(bugs.BUGS, earlier, example[0]) == []


def test_the_example_agrees_with_the_reference(example):
    assert example[2] == set()


@pytest.mark.parametrize("bug", bugs.BUGS, ids=lambda b: b.name)
def test_bug_applies_compiles_and_changes_its_component(bug, example):
    check_changes_its_component(bug, example)
