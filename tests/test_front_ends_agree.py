"""One judge: `scratch-cnn conformance --impl` (the implementation in this process) and
`scratch-cnn grade` (the implementation in the sandbox) reach the same verdict, with the same
hints, on every case both run: on the correct example and on every single-bug submission in
tests/ (tests/buggy/ and the blind sets, tests/blind_bugs*/).

Both go through conformance/pipeline.py; this test is what keeps it that way. The grader runs
with its default rubric (visible inputs only: hidden inputs repeat the same checks on other
numbers), and the suite with the same accepted book differences (known_differences="xfail").
"""

import pytest

from conformance import catalog, suite
from conformance.grading import grade, rubric
from tests import blind_sets
from tests.buggy import bugs as buggy

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow on purpose

BLIND_SETS = blind_sets.modules()
SUBMISSIONS = ([pytest.param(None, id="example")]
               + [pytest.param(("buggy", b), id=f"buggy-{b.name}") for b in buggy.BUGS]
               + [pytest.param((kind, b), id=f"{kind}-{b.name}")
                  for kind, module in BLIND_SETS.items() for b in module.BUGS])


def _write(which, folder):
    if which is None:
        return buggy.EXAMPLE
    kind, bug = which
    if kind == "buggy":
        return buggy.write_buggy(bug, folder)
    module = BLIND_SETS[kind]
    path = folder / "cnn.py"
    path.write_text(module.apply(bug, module.example_source()), encoding="utf-8")
    return path


@pytest.mark.parametrize("which", SUBMISSIONS)
def test_plugin_and_grader_agree_case_by_case(which, tmp_path):
    path = _write(which, tmp_path)
    graded = rubric.Rubric(hidden=False)
    report = grade.grade(path, graded)
    session = suite.Session(suite.load_target(str(path)), graded.grid, graded.visible_seed,
                            "reference", known_differences="xfail")
    assert session.policy.accepted == graded.accepted()
    assert report.verdicts, "the grader judged nothing"
    disagree = []
    for (_, case_id, behaviour), verdict in sorted(report.verdicts.items()):
        check = session.check(catalog.find(case_id), behaviour)
        if (check.ok, tuple(check.hints)) != verdict:
            disagree.append(f"{case_id} {behaviour}: grader {verdict}, suite "
                            f"{(check.ok, tuple(check.hints))}")
    assert not disagree, "\n".join(disagree[:10])
