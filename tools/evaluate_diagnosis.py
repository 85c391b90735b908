"""Measure the diagnosis on a set of single-bug submissions: how many get their bug class named.

    python tools/evaluate_diagnosis.py blind|holdout [-v]
    python tools/evaluate_diagnosis.py tests.blind_bugs_final [-v]

The argument is `blind` (tests/blind_bugs), `holdout` (tests/blind_bugs_holdout) or the dotted
name of any module in the blind set's format (`BUGS`, each with `name`, `component`,
`bug_class`; `apply(bug, source)`; `example_source()`). Each bug's submission is graded on its
own component's graded cases, as the grader's default rubric grades them, and diagnosed. One
line per bug says whether its class was named (certainly or as a possibility), and flags a
wrong *certain* class ("Likely bug" of another class: the feedback states a bug that is not
there). `-v` prints the feedback lines too. The last line gives the figures: how many are
named, how many of those as the likely bug (the rest as possibilities), how many state a
wrong class as the likely one, how many no graded check detects.
"""

import importlib
import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance import suite  # noqa: E402
from conformance.grading.rubric import Rubric  # noqa: E402

SETS = {"blind": "tests.blind_bugs.bugs", "holdout": "tests.blind_bugs_holdout.bugs"}


def load_bugs(which):
    """The bug-set module: a short name from SETS or a dotted module name (its `bugs`
    submodule when it is a package)."""
    module = importlib.import_module(SETS.get(which, which))
    if not hasattr(module, "BUGS"):
        module = importlib.import_module(f"{module.__name__}.bugs")
    return module


def diagnose_bug(module, bug, folder, named=False):
    """(detected, certain classes, all classes, feedback lines) for one bug; with `named`,
    the names.Named statements too, last."""
    path = folder / f"{bug.name}.py"
    path.write_text(module.apply(bug, module.example_source()), encoding="utf-8")
    session = suite.Session(suite.load_target(str(path)), "quick", 0, "reference",
                            known_differences="xfail")
    graded = Rubric()
    cases = [c for c in session.cases(bug.component) if graded.graded(c)]
    detected = any(not check.ok for c in cases for check in session.verdict(c).checks.values())
    if not detected:
        return (False, set(), set(), []) + (([],) if named else ())
    found = session.diagnose(bug.component, cases)
    certain = {b.bug_class for d in found.values() for b in d.bugs if b.certain}
    classes = {b.bug_class for d in found.values() for b in d.bugs}
    lines = [f"[{behaviour}] {line}" for behaviour, d in found.items() for line in d.lines()]
    statements = [b for d in found.values() for b in d.bugs]
    return (True, certain, classes, lines) + ((statements,) if named else ())


def main(argv):
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    if len(args) != 1:
        raise SystemExit(__doc__)
    module = load_bugs(args[0])
    warnings.simplefilter("ignore")
    folder = Path(tempfile.mkdtemp())
    named = likely = wrong = undetected = 0
    for bug in module.BUGS:
        detected, certain, classes, lines = diagnose_bug(module, bug, folder)
        undetected += not detected
        named += bug.bug_class in classes
        likely += bug.bug_class in certain
        wrong_certain = sorted(certain - {bug.bug_class})
        wrong += bool(wrong_certain)
        verdict = ("UNDETECTED" if not detected else
                   "NAMED" if bug.bug_class in classes else "miss ")
        print(f"{bug.name:42s} {bug.bug_class:19s} {verdict} {sorted(classes)}"
              + (f"  WRONG-LIKELY {wrong_certain}" if wrong_certain else ""))
        if verbose:
            for line in lines:
                print(f"    {line[:400]}")
    total = len(module.BUGS)
    print(f"named {named}/{total} ({100 * named / total:.0f}%; {likely} as the likely bug), "
          f"wrong certain class {wrong}, undetected {undetected}")


if __name__ == "__main__":
    main(sys.argv[1:])
