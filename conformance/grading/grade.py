"""Grading one submission: the catalog's cases run in the sandbox, judged in this process.

The submission never runs here. Inputs and the right answers are computed before the child
starts; the child only returns arrays, which are validated and compared here. Nothing the
child says about passing is ever read.
"""

import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import catalog, engine, oracles, patterns, variants
from . import display
from .rubric import Rubric
from .sandbox import Sandbox

DRIVERS = Path(__file__).resolve().parent.parent / "drivers.py"
# Outcomes after which the rest of a component's cases are not run: the answer would be the
# same, and a submission that hangs must not cost minutes per case. (A crash costs only a
# restart, and may hit some inputs only, so it stops nothing; each component's share of the
# time budget bounds what repeated crashes can cost.)
_STOP_AFTER = ("timeout", "memory")
_MAX_REFUSALS = 30  # distinct refused attempts listed in a report; the rest are counted


@dataclass
class TestResult:
    """One graded test: a behaviour of a component, on visible or hidden inputs."""

    component: str
    behaviour: str
    hidden: bool
    max_score: float
    score: float = 0.0
    cases: int = 0
    passed: int = 0
    failures: list = field(default_factory=list)  # (input size, case id, message)
    hints: dict = field(default_factory=dict)  # variant name -> failing cases it explains
    notes: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # contract problems, crashes: plain words
    pattern: str = ""
    results: list = field(default_factory=list)  # (params, passed) for the pattern

    @property
    def name(self):
        inputs = "hidden inputs" if self.hidden else "visible inputs"
        return f"{self.component}: {self.behaviour.replace('_', ' ')} ({inputs})"

    @property
    def ok(self):
        return self.passed == self.cases

    def feedback(self):
        """What the student reads: the problem in words, then the evidence."""
        lines = []
        if self.cases and not self.ok:
            lines.append(f"{self.cases - self.passed} of {self.cases} cases fail.")
        lines += self.problems
        if self.pattern:
            lines.append(f"Where: {self.pattern}.")
        failing = self.cases - self.passed
        for name, count in sorted(self.hints.items(), key=lambda kv: -kv[1]):
            lines.append(f"Likely bug ({count} of {failing} failing cases match it exactly): "
                         f"{variants.hint(name, self.component)}")
        if self.failures:
            lines.append("Smallest failing case:")
            lines.append(min(self.failures)[2])
        lines += [f"Note: {n}" for n in self.notes]
        if self.ok and not self.notes:
            lines.append(f"All {self.cases} cases pass." if self.cases else
                         "No case of this test is graded by this rubric.")
        return "\n".join(lines)


@dataclass
class GradeReport:
    submission: str
    rubric: Rubric
    oracle: str
    visible_seed: int
    hidden_seed_digest: str
    tests: list = field(default_factory=list)
    load_messages: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    output_excerpt: str = ""
    wall_time: float = 0.0
    calls: int = 0
    refusals_dropped: int = 0

    @property
    def score(self):
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self):
        return round(sum(t.max_score for t in self.tests), 4)

    def components(self):
        """{component: (score, max_score)} in the rubric's order."""
        table = {}
        for t in self.tests:
            s, m = table.get(t.component, (0.0, 0.0))
            table[t.component] = (s + t.score, m + t.max_score)
        return table


def _outcome(call, shown=str):
    """The sandbox's CallResult as the engine's Outcome (never trusting anything but data).
    shown: rewrites the grader's paths in messages to the student's file names."""
    if call.status == "ok":
        return engine.Outcome("ok", outputs=call.outputs, mutated=list(call.mutated))
    error = call.error
    if call.status == "error" and error is not None and error.type == "ContractError":
        return engine.Outcome("contract", error_type="ContractError",
                              error_message=shown(error.message))
    if call.status == "error" and error is not None:
        return engine.Outcome("error", error_type=error.type, error_message=shown(error.message),
                              traceback=shown(error.traceback))
    return engine.Outcome(call.status, error_message=shown(str(error)) if error else "")


def plan(rubric, hidden_seed):
    """[(component, hidden, seed, cases)] for every graded test."""
    runs = [(False, rubric.visible_seed)] + ([(True, hidden_seed)] if rubric.hidden else [])
    chosen = []
    for name in rubric.points:
        cases = [c for c in catalog.cases(name, rubric.grid, invalid=None) if rubric.graded(c)]
        for hidden, seed in runs:
            chosen.append((name, hidden, seed, cases))
    return chosen


def split_points(points, n):
    """n shares of `points` in hundredths that add up exactly (the last takes the rest)."""
    share = round(points / n, 2)
    return [share] * (n - 1) + [round(points - share * (n - 1), 2)]


def _tests_for(component, hidden, points, rubric):
    behaviours = list(catalog.COMPONENTS[component].behaviours)
    if any(c.error for c in catalog.cases(component, rubric.grid) if rubric.graded(c)):
        behaviours.append("invalid_input")  # only when the rubric opts in (difference 10)
    runs = 2 if rubric.hidden else 1
    shares = split_points(points, len(behaviours) * runs)
    mine = shares[len(behaviours):] if hidden else shares[:len(behaviours)]
    return {b: TestResult(component, b, hidden, share) for b, share in zip(behaviours, mine)}


def grade(submission, rubric=None, *, oracle=None, seed=None, timeout=None, memory_mb=None,
          progress=None, copy_siblings=True):
    """Grade `submission` (a .py file, notebook, Markdown export or folder).

    copy_siblings: for a single file, the .py files beside it are its helper modules; off
    where the folder holds other students' files (grade-batch)."""
    rubric = rubric or Rubric()
    started = time.monotonic()
    hidden_seed = seed if seed is not None else _secret_seed()
    oracle_impl = oracles.get(oracle or rubric.oracle)
    policy = engine.Policy(accepted=rubric.accepted(), name_in_errors=False)
    report = GradeReport(str(submission), rubric, oracle_impl.name, rubric.visible_seed,
                         _digest(hidden_seed))
    runs = plan(rubric, hidden_seed)
    prepared = [(name, hidden, [(case, *_prepare(case, seed_, oracle_impl)) for case in cases])
                for name, hidden, seed_, cases in runs]
    aliases = rubric.driver_aliases()
    names = set(rubric.points) | set(rubric.aliases.get("names", {}).values())
    # The cases' outputs are small; 64 MB is far above any of them and keeps a submission
    # from making the grader allocate gigabytes.
    with Sandbox(submission, DRIVERS, timeout=timeout or rubric.timeout,
                 memory_mb=memory_mb or rubric.memory_mb, entry=rubric.entry, names=names,
                 max_result_bytes=64 << 20, copy_siblings=copy_siblings) as box:
        load = box.start()
        # every report names the student's files as the student knows them (cnn.py)
        report.submission = display.submission_name(submission, load.report)
        shown = display.relative_paths(display.file_names(submission, copy_siblings))
        report.load_messages = [shown(m) for m in load.messages()]
        report.load_messages += display.missing_modules(load.report)
        report.output_excerpt = shown(load.output)
        deadline = started + rubric.time_budget
        for i, (name, hidden, cases) in enumerate(prepared):
            if progress:
                progress(name, hidden)
            tests = _tests_for(name, hidden, rubric.points[name], rubric)
            report.tests += tests.values()
            # each component gets a fair share of the time left, so a slow one cannot
            # starve those after it; what it does not use carries forward
            share = (deadline - time.monotonic()) / (len(prepared) - i)
            _run_component(box, name, cases, tests, policy, aliases, hidden, report,
                           time.monotonic() + share, shown)
    if report.refusals_dropped:
        report.refused.append(f"... and {report.refusals_dropped} more refused attempts")
    for test in report.tests:
        _score(test, rubric)
    report.wall_time = time.monotonic() - started
    return report


def _prepare(case, seed, oracle):
    """Inputs and the right answer, computed before the submission runs."""
    inputs = catalog.COMPONENTS[case.component].make_inputs(case.params, case.rng(seed))
    needs_actual = catalog.COMPONENTS[case.component].expected_from_actual or case.error
    expected = None if needs_actual else engine.expected_for(case, inputs, oracle)
    return inputs, expected


def _run_component(box, name, cases, tests, policy, aliases, hidden, report, deadline,
                   shown=str):
    component = catalog.COMPONENTS[name]
    stopped = None
    for case, inputs, expected in cases:
        if not stopped and time.monotonic() > deadline:
            stopped = (f"{name} used up its share of the grading time budget (its calls were "
                       f"slow); the remaining cases were not run")
        if stopped:
            _record_not_run(case, tests, stopped)
            continue
        params = {**case.params, "aliases": aliases} if aliases else case.params
        call = box.call(component.driver, params, inputs)
        report.calls += 1
        _note_refusals(report, call.refused)
        outcome = _outcome(call, shown)
        if expected is None and not case.error:
            expected = component.expected_from_actual(case.params, inputs, outcome.outputs)
        # a hidden test's repro line must not reveal the secret seed
        label = "HIDDEN" if hidden else report.visible_seed
        checks = engine.judge(case, inputs, outcome, expected, policy, label, report.submission)
        _record(case, inputs, checks, outcome, tests)
        if outcome.status in _STOP_AFTER or (outcome.status == "contract"
                                             and "not found" in outcome.error_message):
            stopped = outcome.describe_error(name)


def _note_refusals(report, refused):
    for refusal in refused:
        if refusal.message in report.refused:
            continue
        if len(report.refused) < _MAX_REFUSALS:
            report.refused.append(refusal.message)
        else:
            report.refusals_dropped += 1


def _record(case, inputs, checks, outcome, tests):
    """Fold a case's checks into the tests they belong to. Output shape, dtype and inputs
    left unchanged count in every test of the case: a case passes a test only if all hold."""
    size = sum(np.size(v) for v in inputs.values())
    folded = [checks[k] for k in ("output_shape", "dtype", "inputs_unchanged") if k in checks]
    for behaviour, test in tests.items():
        if (behaviour == "invalid_input") != bool(case.error):
            continue
        check = checks[behaviour]
        related = [check] + (folded if behaviour != "invalid_input" else [])
        ok = all(c.ok for c in related)
        test.cases += 1
        test.passed += ok
        test.results.append((case.params, ok))
        for c in related:
            test.notes += [n for n in c.notes if n not in test.notes]
        if ok:
            continue
        for hint in check.hints:
            test.hints[hint] = test.hints.get(hint, 0) + 1
        if outcome.status != "ok" or check.error:  # the same problem in every case: once
            problem = check.error or outcome.describe_error(case.component)
            if problem not in test.problems and len(test.problems) < 3:
                test.problems.append(problem)
            message = "\n".join(dict.fromkeys(
                line for line in check.message.splitlines()
                if line.lstrip().startswith(("case:", "repro:", "hint:"))))
        else:
            message = "\n".join(dict.fromkeys(c.message for c in related if not c.ok))
        test.failures.append((size, case.id, message))


def _record_not_run(case, tests, reason):
    for behaviour, test in tests.items():
        if (behaviour == "invalid_input") != bool(case.error):
            continue
        test.cases += 1
        test.results.append((case.params, False))
        if reason not in test.problems:
            test.problems.append(reason)


def _score(test, rubric):
    if test.cases == 0:
        test.score = test.max_score  # nothing graded here (all cases outside the contract)
        return
    fraction = test.passed / test.cases
    if not rubric.partial_credit:
        fraction = float(fraction == 1.0)
    test.score = test.max_score * fraction
    test.pattern = patterns.explain(test.results)


def _secret_seed():
    env = os.environ.get("SCRATCH_CNN_GRADING_SECRET")
    if env:
        return int.from_bytes(env.encode(), "little") % (2**63)
    return secrets.randbits(63)


def _digest(seed):
    """A fingerprint of the hidden seed: instructors can match runs without revealing it."""
    import hashlib

    return hashlib.sha256(str(seed).encode()).hexdigest()[:12]

