"""The holdout bug set's integrity: the table applies cleanly, its labels come from the lists,
every buggy source compiles and imports, and every bug changes what its own component computes.

Nothing here asks what the grader says about these submissions: the set measures the grader's
diagnosis and must never be used to tune it (tests/blind_bugs_holdout/README.md).
"""

from collections import Counter

import pytest

import scratch_cnn
from tests.blind_bugs_holdout import behaviour, bugs


@pytest.fixture(scope="module")
def source():
    return bugs.example_source()


@pytest.fixture(scope="module")
def reference():
    return behaviour.observe(scratch_cnn)


@pytest.fixture(scope="module")
def example_disagrees(source, reference):
    example = behaviour.observe(behaviour.module_from_source(source, "example"))
    return set(behaviour.disagreements(example, reference))


def label_problems(bug):
    """What is wrong with one row's labels and replacements, in words."""
    problems = []
    if bug.component not in bugs.COMPONENTS:
        problems.append(f"unknown component {bug.component!r}")
    if bug.bug_class not in bugs.BUG_CLASSES:
        problems.append(f"unknown class {bug.bug_class!r}")
    if not bug.description.strip().endswith("."):
        problems.append("the description is not a sentence")
    if not bug.replace or any(not old or old == new for old, new in bug.replace):
        problems.append("a replacement is empty or changes nothing")
    return [f"{bug.name}: {problem}" for problem in problems]


def test_rows_are_well_formed():
    repeated = [name for name, n in Counter(b.name for b in bugs.BUGS).items() if n > 1]
    assert repeated + [p for bug in bugs.BUGS for p in label_problems(bug)] == []


def test_components_and_classes_are_spread():
    per_component = Counter(b.component for b in bugs.BUGS)
    per_class = Counter(b.bug_class for b in bugs.BUGS)
    assert len(bugs.BUGS) >= 45
    assert {c: per_component[c] for c in bugs.COMPONENTS if per_component[c] < 4} == {}
    assert {c: per_class[c] for c in bugs.BUG_CLASSES if per_class[c] < 2} == {}


@pytest.mark.parametrize(("old", "times"), [("no such text", 0), ("self.W = W", 2)])
def test_apply_refuses_text_that_is_not_there_exactly_once(source, old, times):
    bug = bugs.Bug("refused", "Relu", "sign", "Nothing.", [(old, "x")])
    with pytest.raises(bugs.ReplacementError, match=f"step 1: .* finds it {times} times"):
        bugs.apply(bug, source)


def test_apply_makes_the_replacements_in_order():
    bug = bugs.Bug("chained", "Relu", "sign", "Nothing.", [("a = 1", "b = 1"), ("b", "c")])
    assert bugs.apply(bug, "a = 1\n") == "c = 1\n"


def test_the_example_agrees_with_the_reference(example_disagrees):
    # the baseline: a bug only counts where the correct example already agrees
    assert example_disagrees == set()


@pytest.mark.parametrize("bug", bugs.BUGS, ids=lambda b: b.name)
def test_bug_applies_compiles_and_changes_its_component(bug, source, reference,
                                                        example_disagrees):
    buggy = bugs.apply(bug, source)  # raises ReplacementError naming the step
    assert buggy != source
    module = behaviour.module_from_source(buggy, bug.name)  # compiles and imports cleanly
    changed = set(behaviour.disagreements(behaviour.observe(module), reference))
    own = {k for k in changed - example_disagrees if k.startswith(bug.component + "/")}
    assert own, f"{bug.name} computes what the correct example computes on every input"
