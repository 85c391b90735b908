"""A student's local check: one component's visible cases, run in-process on the student's own
namespace (a notebook's `globals()`), with a short table of what passed.

    from conformance.selfcheck import check
    check("im2col", globals())

The cases and inputs are those of the grader's visible tests (same grid, same seed, same
accepted book differences), and the right answers come from the verified reference, so no
PyTorch is needed. Hidden tests draw other inputs: passing here is necessary, not sufficient.
"""

import types
from dataclasses import dataclass, field

from . import catalog, suite
from .grading.rubric import Rubric


@dataclass
class BehaviourRow:
    """One row of the table: a behaviour of the component over the visible cases."""

    behaviour: str
    cases: int = 0
    passed: int = 0
    first_failure: str = ""

    @property
    def failed(self):
        return self.cases - self.passed


@dataclass
class SelfCheck:
    component: str
    seed: int
    grid: str
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def ok(self):
        return all(row.failed == 0 for row in self.rows)

    def table(self):
        """The table a student reads: one row per test, then the first failure in full."""
        cases = max((row.cases for row in self.rows), default=0)
        lines = [f"{self.component}: {cases} visible cases ({self.grid} grid, seed {self.seed})",
                 f"  {'test':22s} {'cases':>5s} {'passed':>6s} {'failed':>6s}  first failure"]
        for row in self.rows:
            first = row.first_failure.splitlines()[0] if row.first_failure else ""
            if len(first) > 70:
                first = first[:67] + "..."
            lines.append(f"  {row.behaviour.replace('_', ' '):22s} {row.cases:5d} "
                         f"{row.passed:6d} {row.failed:6d}  {first}")
        failing = next((row for row in self.rows if row.failed), None)
        if failing:
            lines += ["", f"First failure ({failing.behaviour.replace('_', ' ')}):"]
            lines += [f"  {line}" for line in failing.first_failure.splitlines()]
        else:
            lines.append(f"All {cases} cases pass.")
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)


def run(component, namespace, *, seed=0, grid="quick", source=None):
    """Check `component` in `namespace` (a dict such as globals(), or a module) on the visible
    cases; returns a SelfCheck. `source` names the student's file in repro lines."""
    if component not in catalog.COMPONENTS:
        raise ValueError(f"no component named {component!r}; known: "
                         f"{', '.join(catalog.COMPONENTS)}")
    module = _as_module(namespace)
    source = source or _file_of(module)
    target = suite.Target(module, source, f"{source} (in this process)")
    session = suite.Session(target, grid=grid, seed=seed, oracle="reference",
                            known_differences="xfail")
    graded = Rubric()  # the grader's default: which cases count, which differences are accepted
    # the grader's tests: one per behaviour, and the array contract (shapes, dtype, inputs)
    tests = [*catalog.COMPONENTS[component].behaviours, "array_contract"]
    result = SelfCheck(component, seed, grid, [BehaviourRow(t) for t in tests])
    for case in session.cases(component):
        if not graded.graded(case):
            continue
        for row in result.rows:
            check = session.check(case, row.behaviour)
            row.cases += 1
            row.passed += check.ok
            if not check.ok and not row.first_failure:
                row.first_failure = check.message or check.error
            result.notes += [n for n in check.notes if n not in result.notes]
    return result


def check(component, namespace, *, seed=0, grid="quick", source=None):
    """Run `component`'s visible cases on `namespace` and print the table (see `run`)."""
    print(run(component, namespace, seed=seed, grid=grid, source=source).table())


def _as_module(namespace):
    """The grader reads names as attributes of a module; a notebook hands us globals()."""
    if isinstance(namespace, types.ModuleType):
        return namespace
    if not isinstance(namespace, dict):
        raise TypeError(f"check() takes globals() (a dict) or a module; got "
                        f"{type(namespace).__name__}")
    module = types.ModuleType("your_code")
    module.__dict__.update(namespace)
    return module


def _file_of(module):
    path = getattr(module, "__file__", None)
    return path if isinstance(path, str) else "YOUR_NOTEBOOK.ipynb"
