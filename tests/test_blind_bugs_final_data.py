"""The final holdout's integrity: every replacement applies exactly once, names are unique, labels
come from the lists and cover every component and class, every buggy source compiles and
imports, and every bug changes what its own component computes.

Nothing here asks what the grader says about these submissions (the diagnosis's figures are in
tests/blind_bugs_final/README.md). `apply` and
the row checks are the first holdout's, tested in tests/test_blind_bugs_holdout_data.py. The
checks are a class that takes the set's rows, so that the second final holdout
(tests/test_blind_bugs_final2_data.py) runs the same ones on its own.
"""

from collections import Counter

import pytest

import scratch_cnn
from tests import blind_sets
from tests.blind_bugs_final import behaviour, bugs
from tests.test_blind_bugs_holdout_data import label_problems

MIN_BUGS, MIN_PER_COMPONENT, MIN_PER_CLASS = 64, 6, 3


class IntegrityChecks:
    """The checks of one set: `rows`, its bugs; `earlier`, the earlier sets' bugs, whose files
    no row may give again. A subclass named Test... runs them."""

    rows = earlier = ()
    # how much a set covers: what its writer aimed at (a set trimmed later may say less)
    min_bugs, min_per_component, min_per_class = MIN_BUGS, MIN_PER_COMPONENT, MIN_PER_CLASS

    def pytest_generate_tests(self, metafunc):
        if "bug" in metafunc.fixturenames:
            metafunc.parametrize("bug", self.rows, ids=lambda b: b.name)

    @pytest.fixture(scope="class")
    @classmethod
    def example(cls):
        """The correct example's source, scratch_cnn's outputs, and where the two already
        differ."""
        source, reference = bugs.example_source(), behaviour.observe(scratch_cnn)
        return source, reference, behaviour.example_baseline(source, reference)

    def test_rows_are_well_formed(self):
        repeated = [name for name, n in Counter(b.name for b in self.rows).items() if n > 1]
        assert repeated + [p for bug in self.rows for p in label_problems(bug)] == []

    def test_components_and_classes_are_covered(self):
        counts = Counter(b.component for b in self.rows) + Counter(b.bug_class for b in self.rows)
        least = {**dict.fromkeys(bugs.COMPONENTS, self.min_per_component),
                 **dict.fromkeys(bugs.BUG_CLASSES, self.min_per_class)}  # no class is a component
        assert len(self.rows) >= self.min_bugs
        assert {label: counts[label] for label, n in least.items() if counts[label] < n} == {}

    def test_every_submission_is_a_new_one(self, example):
        source = example[0]
        # two rows that produce the same file, here or in an earlier set, would measure one
        # mistake twice
        files = {bugs.apply(bug, source): bug.name for bug in self.rows}
        assert len(files) == len(self.rows)
        earlier = {bugs.apply(bug, source) for bug in self.earlier}
        assert sorted(name for text, name in files.items() if text in earlier) == []

    def test_the_example_agrees_with_the_reference(self, example):
        assert example[2] == set()

    def test_bug_applies_compiles_and_changes_its_component(self, bug, example):
        source, reference, baseline = example
        buggy = bugs.apply(bug, source)  # ReplacementError unless each old text is there once
        assert buggy != source
        # module_from_source inside: the source compiles and imports cleanly
        assert behaviour.own_changes(bug, buggy, reference, baseline), \
            f"{bug.name} computes what the correct example computes on every input"


class TestFinalHoldout(IntegrityChecks):
    rows = bugs.BUGS
    earlier = blind_sets.rows_before("final")
