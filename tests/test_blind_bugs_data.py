"""The blind bug set's integrity: the table applies cleanly, every bug compiles and changes what
its component computes, and every correct alternative agrees with scratch_cnn.

Nothing here asks what the grader says about these submissions (that is for the grader's own
tests); a broken table would make any such test meaningless, so it fails here first.
"""

from collections import Counter
from pathlib import Path

import pytest

import scratch_cnn
from tests.blind_bugs import bugs, probes

CORRECT = sorted((Path(__file__).parent / "blind_bugs" / "correct").glob("*.py"))
# the example returns the book's loss, with 1e-7 inside the log: equal to 1e-6, not 1e-10
BUG_TOLERANCE = 1e-6
CORRECT_TOLERANCE = 1e-10


@pytest.fixture(scope="module")
def source():
    return bugs.example_source()


@pytest.fixture(scope="module")
def reference():
    return probes.observe(scratch_cnn)


@pytest.fixture(scope="module")
def example(source):
    return probes.observe(probes.module_from_source(source, "example"))


def of(component, observation):
    return {k: v for k, v in observation.items() if k.startswith(component + "/")}


def test_names_are_unique():
    repeated = [name for name, n in Counter(b.name for b in bugs.BUGS).items() if n > 1]
    assert not repeated


def test_components_and_classes_come_from_the_lists():
    for bug in bugs.BUGS:
        assert bug.component in bugs.COMPONENTS, bug.name
        assert bug.bug_class in bugs.BUG_CLASSES, bug.name
        assert bug.description.strip().endswith("."), bug.name
        assert bug.replace and all(old and old != new for old, new in bug.replace), bug.name


def test_every_component_and_class_is_covered():
    per_component = Counter(b.component for b in bugs.BUGS)
    per_class = Counter(b.bug_class for b in bugs.BUGS)
    assert len(bugs.BUGS) >= 64
    assert {c: n for c, n in per_component.items() if n < 5} == {}
    assert set(per_component) == set(bugs.COMPONENTS)
    assert {c: per_class[c] for c in bugs.BUG_CLASSES if per_class[c] < 3} == {}


def test_apply_refuses_text_that_is_not_there_exactly_once(source):
    missing = bugs.Bug("missing", "Relu", "sign", "Nothing.", [("no such text", "x")])
    twice = bugs.Bug("twice", "Relu", "sign", "Nothing.", [("self.W = W", "x")])
    with pytest.raises(bugs.ReplacementError, match="finds it 0 times"):
        bugs.apply(missing, source)
    with pytest.raises(bugs.ReplacementError, match="finds it 2 times"):
        bugs.apply(twice, source)


def test_the_example_agrees_with_the_reference(example, reference):
    # the probes' baseline: a bug only counts where the correct example already agrees
    assert probes.differences(example, reference, BUG_TOLERANCE) == []


@pytest.mark.parametrize("bug", bugs.BUGS, ids=lambda b: b.name)
def test_bug_applies_and_compiles(bug, source):
    buggy = bugs.apply(bug, source)  # raises ReplacementError naming the step
    assert buggy != source
    compile(buggy, bug.name, "exec")


@pytest.mark.parametrize("bug", bugs.BUGS, ids=lambda b: b.name)
def test_bug_changes_its_component(bug, source, reference, example):
    module = probes.module_from_source(bugs.apply(bug, source), bug.name)  # imports cleanly
    seen = probes.observe(module, [bug.component])
    ref, ex = of(bug.component, reference), of(bug.component, example)
    changed = set(probes.differences(seen, ref, BUG_TOLERANCE))
    changed -= set(probes.differences(ex, ref, BUG_TOLERANCE))
    assert changed, f"{bug.name} behaves like the correct example on every probe"


def test_there_are_six_correct_alternatives():
    assert len(CORRECT) >= 6


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
@pytest.mark.parametrize("seed", [0, 1])
def test_correct_alternative_matches_the_reference(path, seed):
    module = probes.module_from_path(path)
    seen = probes.observe(module, seed=seed)
    assert not [k for k in seen if k.endswith("/raised")], seen
    expected = probes.observe(scratch_cnn, seed=seed)
    assert probes.differences(seen, expected, CORRECT_TOLERANCE) == []
