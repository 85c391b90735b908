"""The final holdout's integrity: every replacement applies exactly once, names are unique, labels
come from the lists and cover every component and class, every buggy source compiles and
imports, and every bug changes what its own component computes.

Nothing here asks what the grader says about these submissions: the set measures the grader's
diagnosis and must never be used to tune it (tests/blind_bugs_final/README.md). `apply` and
the row checks are the first holdout's, tested in tests/test_blind_bugs_holdout_data.py. The
checks below take the set's rows as an argument: the second final holdout
(tests/test_blind_bugs_final2_data.py) runs the same ones on its own.
"""

from collections import Counter

import pytest

import scratch_cnn
from tests.blind_bugs import bugs as blind_bugs
from tests.blind_bugs_final import behaviour, bugs
from tests.blind_bugs_holdout import bugs as holdout_bugs
from tests.test_blind_bugs_holdout_data import label_problems

MIN_BUGS, MIN_PER_COMPONENT, MIN_PER_CLASS = 64, 6, 3


def observed_example():
    """The correct example's source, scratch_cnn's outputs, and where the two already differ."""
    source, reference = bugs.example_source(), behaviour.observe(scratch_cnn)
    return source, reference, behaviour.example_baseline(source, reference)


@pytest.fixture(scope="module")
def example():
    return observed_example()


def row_problems(rows):
    """Names used twice, and each row's problems with its labels and replacements."""
    repeated = [name for name, n in Counter(b.name for b in rows).items() if n > 1]
    return repeated + [p for bug in rows for p in label_problems(bug)]


def coverage_shortfall(rows):
    """{component or class: rows} for each one with fewer rows than the minimum; {} if none,
    and an entry "bugs" when the set is too small."""
    counts = Counter(b.component for b in rows) + Counter(b.bug_class for b in rows)
    least = {**dict.fromkeys(bugs.COMPONENTS, MIN_PER_COMPONENT),
             **dict.fromkeys(bugs.BUG_CLASSES, MIN_PER_CLASS)}  # no class is named as a component
    short = {label: counts[label] for label, n in least.items() if counts[label] < n}
    return short | ({"bugs": len(rows)} if len(rows) < MIN_BUGS else {})


def repeated_submissions(rows, earlier_rows, source):
    """The names of rows whose file another row, or an earlier set's row, also gives: two rows
    that produce the same file would measure one mistake twice."""
    files = Counter(bugs.apply(bug, source) for bug in rows)
    earlier = {bugs.apply(bug, source) for bug in earlier_rows}
    return sorted(bug.name for bug in rows
                  if files[text := bugs.apply(bug, source)] > 1 or text in earlier)


def check_changes_its_component(bug, example):
    source, reference, baseline = example
    buggy = bugs.apply(bug, source)  # ReplacementError unless each old text is there once
    assert buggy != source
    # module_from_source inside: the source compiles and imports cleanly
    assert behaviour.own_changes(bug, buggy, reference, baseline), \
        f"{bug.name} computes what the correct example computes on every input"


def test_rows_are_well_formed():
    assert row_problems(bugs.BUGS) == []


def test_components_and_classes_are_covered():
    assert coverage_shortfall(bugs.BUGS) == {}


def test_every_submission_is_a_new_one(example):
    earlier = blind_bugs.BUGS + holdout_bugs.BUGS
    assert repeated_submissions(bugs.BUGS, earlier, example[0]) == []


def test_the_example_agrees_with_the_reference(example):
    assert example[2] == set()


@pytest.mark.parametrize("bug", bugs.BUGS, ids=lambda b: b.name)
def test_bug_applies_compiles_and_changes_its_component(bug, example):
    check_changes_its_component(bug, example)
