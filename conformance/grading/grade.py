"""Grading one submission: the catalog's cases run in the sandbox, judged in this process by
the same pipeline as the conformance suite (conformance/pipeline.py).

The submission never runs here. The child only returns arrays (its outputs, and the copies of
the inputs it was given, as they were after the call), which are validated and judged here.
Nothing the child says about passing is ever read.

Scoring: each component's points go to one test per behaviour (forward, input gradient,
parameter gradients, ...) and a small share (the rubric's `contract_share`) to the array
contract (output shapes that still let the values be judged, dtype, inputs left unchanged), on
visible and, with `hidden`, on hidden inputs. A check charges only the behaviour it checks.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import catalog, diagnosis, engine, oracles, pipeline
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
    """One graded test: a behaviour of a component (or its array contract), on visible or
    hidden inputs."""

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
    diagnosis: object = None  # conformance/diagnosis: where, what relation, which bug class

    @property
    def name(self):
        inputs = "hidden inputs" if self.hidden else "visible inputs"
        return f"{self.component}: {self.behaviour.replace('_', ' ')} ({inputs})"

    @property
    def ok(self):
        return self.passed == self.cases

    def deduction(self):
        """'Lost 2.5 of 5 points: 3 of 6 cases fail.' (what the deduction was for)."""
        failing = self.cases - self.passed
        lost = self.max_score - self.score
        return (f"Lost {_points(lost)} of {_points(self.max_score)} points: {failing} of "
                f"{self.cases} cases fail ({BEHAVIOUR_MEANING.get(self.behaviour, '')}).")

    def feedback(self):
        """What the student reads: the deduction and the problem in words, then the
        evidence."""
        lines = []
        if self.cases and not self.ok:
            lines.append(self.deduction())
        lines += self.problems
        if self.diagnosis is not None:
            lines += self.diagnosis.lines()
        if self.failures:
            lines.append("Smallest failing case:")
            lines.append(min(self.failures)[2])
        lines += [f"Note: {n}" for n in self.notes]
        if self.ok and not self.notes:
            lines.append(f"All {self.cases} cases pass." if self.cases else
                         "No case of this test is graded by this rubric.")
        return "\n".join(lines)


# What a test's points pay for, said in each deduction.
BEHAVIOUR_MEANING = {
    "forward": "the forward output",
    "input_gradient": "dx, the gradient with respect to the input",
    "parameter_gradients": "the gradients of the parameters",
    "array_contract": "output shapes, dtype, and the inputs left unchanged",
    "invalid_input": "a clear error for invalid input",
    "accuracy": "the accuracy",
    "eval_mode": "evaluation mode",
    "running_statistics": "the running statistics",
    "trajectory": "the losses along the optimisation",
    "final_parameters": "the parameters after the optimisation",
}


def _points(x):
    return f"{x:.2f}".rstrip("0").rstrip(".")


@dataclass
class GradeReport:
    submission: str
    rubric: Rubric
    oracle: str
    visible_seed: int
    hidden_inputs: str  # where the hidden inputs come from, in words (never the secret)
    tests: list = field(default_factory=list)
    load_messages: list = field(default_factory=list)
    graded_from: dict = field(default_factory=dict)  # name -> where its definition came from
    refused: list = field(default_factory=list)
    output_excerpt: str = ""
    wall_time: float = 0.0
    calls: int = 0
    refusals_dropped: int = 0
    # every check of every case run: (hidden, case id, behaviour) -> (ok, hints)
    verdicts: dict = field(default_factory=dict)
    isolation: dict = field(default_factory=dict)  # Isolation.to_dict(): the layers in effect

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
        return engine.Outcome("ok", outputs=call.outputs, inputs_after=call.inputs_after)
    error = call.error
    if call.status == "error" and error is not None and error.type == "ContractError":
        return engine.Outcome("contract", error_type="ContractError",
                              error_message=shown(error.message))
    if call.status == "error" and error is not None:
        return engine.Outcome("error", error_type=error.type, error_message=shown(error.message),
                              traceback=shown(error.traceback))
    return engine.Outcome(call.status, error_message=shown(str(error)) if error else "")


class SandboxCall:
    """The pipeline's caller for untrusted code: every call goes through the sandbox.
    shown: rewrites the grader's paths in messages to the student's file names."""

    def __init__(self, box, shown=str):
        self.box, self.shown = box, shown
        self.calls = 0
        self.refused = []

    def __call__(self, case, params, inputs):
        self.calls += 1
        call = self.box.call(catalog.COMPONENTS[case.component].driver, params, inputs)
        self.refused += call.refused
        return _outcome(call, self.shown)


def plan(rubric):
    """[(component, hidden, seed, cases)] for every graded run."""
    runs = [(False, rubric.visible_seed)] + ([(True, rubric.hidden_seed())]
                                             if rubric.hidden else [])
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
    """The component's tests on one run (visible or hidden) and their points: the array
    contract gets `contract_share` of them, the behaviours share the rest equally."""
    behaviours = list(catalog.COMPONENTS[component].behaviours)
    if any(c.error for c in catalog.cases(component, rubric.grid) if rubric.graded(c)):
        behaviours.append("invalid_input")  # only when the rubric opts in (invalid input)
    runs = 2 if rubric.hidden else 1
    contract = points * rubric.contract_share
    shares = split_points(points - contract, len(behaviours) * runs)
    mine = shares[len(behaviours):] if hidden else shares[:len(behaviours)]
    tests = {b: TestResult(component, b, hidden, share) for b, share in zip(behaviours, mine)}
    contract_shares = split_points(contract, runs)
    tests[engine.CONTRACT] = TestResult(component, engine.CONTRACT, hidden,
                                        contract_shares[-1] if hidden else contract_shares[0])
    return tests


def grade(submission, rubric=None, *, oracle=None, seed=None, timeout=None, memory_mb=None,
          progress=None, copy_siblings=True):
    """Grade `submission` (a .py file, notebook, Markdown export or folder).

    seed: the hidden inputs' seed, overriding the rubric's secret (for tests).
    copy_siblings: for a single file, the .py files beside it are its helper modules; off
    where the folder holds other students' files (grade-batch)."""
    rubric = rubric or Rubric()
    if seed is not None:
        rubric = rubric.with_hidden_seed(seed)
    started = time.monotonic()
    oracle_impl = oracles.get(oracle or rubric.oracle)
    policy = engine.Policy(accepted=rubric.accepted(), name_in_errors=False)
    report = GradeReport(str(submission), rubric, oracle_impl.name, rubric.visible_seed,
                         rubric.describe_hidden_inputs())
    runs = plan(rubric)
    aliases = rubric.driver_aliases()
    names = set(rubric.points) | set(rubric.aliases.get("names", {}).values())
    # The cases' outputs are small; 64 MB is far above any of them and keeps a submission
    # from making the grader allocate gigabytes.
    with Sandbox(submission, DRIVERS, timeout=timeout or rubric.timeout,
                 memory_mb=memory_mb or rubric.memory_mb, entry=rubric.entry, names=names,
                 max_result_bytes=64 << 20, copy_siblings=copy_siblings) as box:
        load = box.start()
        report.isolation = load.isolation.to_dict()
        # every report names the student's files as the student knows them (cnn.py)
        report.submission = display.submission_name(submission, load.report)
        shown = display.relative_paths(display.file_names(submission, copy_siblings))
        report.load_messages = [shown(m) for m in load.messages()]
        found = load.definitions()
        report.graded_from = {name: shown(found[name]) for name in [
            *rubric.points, *sorted(set(found) - set(rubric.points))] if name in found}
        report.load_messages += display.missing_modules(load.report)
        report.output_excerpt = shown(load.output)
        call = SandboxCall(box, shown)
        deadline = started + rubric.time_budget
        for i, (name, hidden, run_seed, cases) in enumerate(runs):
            if progress:
                progress(name, hidden)
            tests = _tests_for(name, hidden, rubric.points[name], rubric)
            report.tests += tests.values()
            # each component gets a fair share of the time left, so a slow one cannot
            # starve those after it; what it does not use carries forward
            share = (deadline - time.monotonic()) / (len(runs) - i)
            # a hidden test's repro line must not reveal the secret seed
            label = "HIDDEN" if hidden else run_seed
            _run_component(call, cases, run_seed, label, tests, oracle_impl, policy, aliases,
                           report, time.monotonic() + share)
        report.calls = call.calls
        _note_refusals(report, call.refused)
    if report.refusals_dropped:
        report.refused.append(f"... and {report.refusals_dropped} more refused attempts")
    for test in report.tests:
        _score(test, rubric)
    report.wall_time = time.monotonic() - started
    return report


def _run_component(call, cases, seed, label, tests, oracle, policy, aliases, report,
                   deadline):
    stopped = None
    runs = []
    for case in cases:
        if not stopped and time.monotonic() > deadline:
            stopped = (f"{case.component} used up its share of the grading time budget (its "
                       f"calls were slow); the remaining cases were not run")
        if stopped:
            _record_not_run(case, tests, stopped)
            continue
        params = {**case.params, "aliases": aliases} if aliases else None
        run = pipeline.run_case(case, seed, call, oracle, policy, label=label,
                                impl=report.submission, params=params)
        runs.append(run)
        _record(run, tests)
        report.verdicts.update({(label == "HIDDEN", case.id, behaviour): (c.ok, tuple(c.hints))
                                for behaviour, c in run.checks.items()})
        outcome = run.outcome
        if outcome.status in _STOP_AFTER or (outcome.status == "contract"
                                             and "not found" in outcome.error_message):
            stopped = outcome.describe_error(case.component)
    _diagnose(runs, seed, label, call, oracle, policy, aliases, report, tests, deadline)


def _diagnose(runs, seed, label, call, oracle, policy, aliases, report, tests, deadline):
    """What each failing test's cases show (conformance/diagnosis/): experiments run through
    the sandbox like the cases, in what is left of the component's time."""
    failing = {b: [r for r in runs if b in r.checks and not r.checks[b].ok] for b in tests}
    if not runs or not any(failing.values()) or time.monotonic() > deadline:
        return
    if any(r.outcome.status in _STOP_AFTER for r in runs):
        return  # a hang or a memory bomb: experiments would only repeat it, at its cost
    component = catalog.COMPONENTS[runs[0].case.component]

    def rerun(case):
        if time.monotonic() > deadline:
            raise TimeoutError("the time budget is spent")
        params = {**case.params, "aliases": aliases} if aliases else None
        return pipeline.run_case(case, seed, call, oracle, policy, label=label,
                                 impl=report.submission, params=params)

    found = diagnosis.diagnose_component(component, failing, rerun, oracle,
                                         accepted=policy.accepted)
    for behaviour, result in found.items():
        tests[behaviour].diagnosis = result


def _note_refusals(report, refused):
    for refusal in refused:
        if refusal.message in report.refused:
            continue
        if len(report.refused) < _MAX_REFUSALS:
            report.refused.append(refusal.message)
        else:
            report.refusals_dropped += 1


def _record(run, tests):
    """Fold a case's checks into the tests they belong to: each check counts in its own test
    only."""
    case = run.case
    size = sum(v.size for v in run.inputs.values())
    for behaviour, test in tests.items():
        if (behaviour == "invalid_input") != bool(case.error):
            continue
        check = run.checks[behaviour]
        test.cases += 1
        test.passed += check.ok
        test.notes += [n for n in check.notes if n not in test.notes]
        if check.ok:
            continue
        for hint in check.hints:
            test.hints[hint] = test.hints.get(hint, 0) + 1
        if run.outcome.status != "ok" or check.error:  # the same problem in every case: once
            problem = check.error or run.outcome.describe_error(case.component)
            if problem not in test.problems and len(test.problems) < 3:
                test.problems.append(problem)
            message = "\n".join(dict.fromkeys(
                line for line in check.message.splitlines()
                if line.lstrip().startswith(("case:", "repro:", "hint:"))))
        else:
            message = check.message
        test.failures.append((size, case.id, message))


def _record_not_run(case, tests, reason):
    for behaviour, test in tests.items():
        if (behaviour == "invalid_input") != bool(case.error):
            continue
        test.cases += 1
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
