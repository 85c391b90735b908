"""One case, judged the same way for every front end: inputs -> call -> expected -> judge.

The pytest plugin (conformance/suite.py) calls the implementation in this process; the grader
(conformance/grading/grade.py) calls it through the sandbox. Both hand `run_case` a caller and
get the same `CaseRun` back, so a submission gets the same per-case verdicts from
`scratch-cnn conformance --impl` and from `scratch-cnn grade`.
"""

import copy
import traceback
from dataclasses import dataclass, field

from . import drivers, engine


@dataclass
class CaseRun:
    """Everything about one case: what went in, what came out, the verdicts."""

    case: object
    inputs: dict
    outcome: engine.Outcome
    expected: dict | None
    checks: dict = field(default_factory=dict)


def case_inputs(case, seed):
    """The case's inputs for a seed: the same arrays on every machine."""
    return engine.case_component(case).make_inputs(case.params, case.rng(seed))


def run_case(case, seed, call, oracle, policy, *, label=None, impl="scratch_cnn",
             params=None):
    """Judge `case` on the inputs drawn from `seed`.

    call(case, params, inputs) -> engine.Outcome runs the implementation (never on the
    caller's own arrays: it gets copies). label: what the repro lines show for the seed (a
    hidden test shows HIDDEN, not the secret). params: the parameters the driver gets, when
    they differ from the case's (a rubric's aliases)."""
    inputs = case_inputs(case, seed)
    component = engine.case_component(case)
    expected = None
    if not case.error and not component.expected_from_actual:
        expected = engine.expected_for(case, inputs, oracle)
    outcome = call(case, params or case.params, {k: v.copy() for k, v in inputs.items()})
    if expected is None and not case.error:
        expected = engine.expected_for(case, inputs, oracle, outcome)
    checks = engine.judge(case, inputs, outcome, expected, policy,
                          seed if label is None else label, impl)
    return CaseRun(case, inputs, outcome, expected, checks)


class InProcess:
    """Calls the implementation's namespace in this process (the conformance suite: the code
    under test is the user's own, trusted as far as their own machine goes)."""

    def __init__(self, namespace):
        self.namespace = namespace

    def __call__(self, case, params, inputs):
        component = engine.case_component(case)
        # a copy: code that changes a dict it was given (conv_param.pop(...)) must not change
        # the case for the oracle and the cases after it
        params = copy.deepcopy(params)
        try:
            outputs, inputs_after = drivers.run(self.namespace, component.driver, params, inputs)
        except drivers.ContractError as exc:
            return engine.Outcome("contract", error_type="ContractError",
                                  error_message=str(exc))
        except Exception as exc:  # the implementation's own error: that is the outcome
            frames = traceback.extract_tb(exc.__traceback__)
            theirs = [f for f in frames if "/conformance/" not in f.filename.replace("\\", "/")]
            return engine.Outcome("error", error_type=type(exc).__name__,
                                  error_message=str(exc),
                                  traceback="".join(traceback.format_list(theirs[-3:])))
        return engine.Outcome("ok", outputs=outputs, inputs_after=inputs_after)
