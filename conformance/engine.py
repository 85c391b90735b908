"""The comparison engine: one case, the implementation's outcome, the oracle's answer, a
verdict per behaviour. Both front ends (pytest plugin, grader) go through `judge`."""

import re
import traceback
from dataclasses import dataclass, field

import numpy as np

from . import compare, divergences, drivers, variants

# Errors that count as "a clear error" for an invalid input.
CLEAR_ERRORS = {"ValueError", "TypeError", "CallOrderError"}
CALL_ORDER_ERRORS = CLEAR_ERRORS | {"RuntimeError"}


@dataclass
class Outcome:
    """What an implementation did on one case (in process, or reported by the sandbox)."""

    status: str  # ok | error | contract | timeout | crashed | memory | protocol_error
    outputs: dict = field(default_factory=dict)
    mutated: list = field(default_factory=list)
    error_type: str = ""
    error_message: str = ""
    traceback: str = ""

    def describe_error(self, component):
        if self.status == "contract":
            return self.error_message
        if self.status == "error":
            # a starter's `# YOUR CODE HERE` stub: where it raised is no news to the student
            stub = self.error_type == "NotImplementedError"
            where = f"\n{self.traceback.rstrip()}" if self.traceback and not stub else ""
            return f"{component} raised {self.error_type}: {self.error_message}{where}"
        return {"timeout": f"{component} did not finish in time (killed)",
                "crashed": f"{component} crashed the process ({self.error_message})",
                "memory": f"{component} ran out of memory",
                "protocol_error": f"{component} sent an answer the grader refused "
                                  f"({self.error_message})"}.get(
            self.status, f"{component}: {self.status} {self.error_message}")


def run_in_process(ns, case, inputs):
    """Run a case's driver on `ns` in this process (the conformance front end)."""
    component = case_component(case)
    try:
        outputs, mutated = drivers.run(ns, component.driver, case.params, inputs)
    except drivers.ContractError as exc:
        return Outcome("contract", error_type="ContractError", error_message=str(exc))
    except Exception as exc:  # the implementation's own error: that is the outcome
        frames = traceback.extract_tb(exc.__traceback__)
        theirs = [f for f in frames if "/conformance/" not in f.filename.replace("\\", "/")]
        return Outcome("error", error_type=type(exc).__name__, error_message=str(exc),
                       traceback="".join(traceback.format_list(theirs[-3:])))
    return Outcome("ok", outputs=outputs, mutated=mutated)


def case_component(case):
    from .catalog import COMPONENTS

    return COMPONENTS[case.component]


@dataclass
class Check:
    """The verdict on one behaviour of one case."""

    behaviour: str
    ok: bool
    message: str = ""
    notes: list = field(default_factory=list)  # accepted book behaviours seen
    hints: list = field(default_factory=list)  # names of the variants that explain a failure
    max_abs: float = 0.0
    max_rel: float = 0.0
    error: str = ""  # the error that kept this behaviour from being checked, in plain words


@dataclass
class Policy:
    """What counts as conforming. The conformance suite accepts nothing but PyTorch's answer;
    the grader's rubric accepts some of the book's behaviours (divergences.toml)."""

    accepted: frozenset = frozenset()
    name_in_errors: bool = True  # invalid input: the message must name the component
    diagnose: bool = True

    @classmethod
    def strict(cls):
        return cls()


def expected_for(case, inputs, oracle, outcome=None):
    component = case_component(case)
    if component.expected_from_actual:
        return component.expected_from_actual(case.params, inputs,
                                              outcome.outputs if outcome else None)
    return oracle.compute(component, case.params, inputs)


def judge(case, inputs, outcome, expected, policy, seed=0, impl="scratch_cnn"):
    """Verdicts for every behaviour of `case`: {behaviour: Check}."""
    component = case_component(case)
    if case.error:
        return {"invalid_input": _judge_invalid(case, outcome, policy, seed, impl)}
    behaviours = _behaviour_keys(component, expected)
    if outcome.status != "ok":
        error = outcome.describe_error(component.name)
        hints, error = _diagnose_error(case, inputs, expected, error, policy)
        message = compare.failure_message(component.name, "", compare.Comparison(False, error),
                                          case, seed, impl, 0, 0, _hint_text(hints, component))
        return {b: Check(b, False, message, hints=list(hints), error=error)
                for b in (*behaviours, "output_shape", "dtype", "inputs_unchanged")}
    rtol, atol = compare.tolerance(case)
    checks = {}
    for behaviour, keys in behaviours.items():
        checks[behaviour] = _judge_values(case, component, behaviour, keys, inputs, outcome,
                                          expected, policy, rtol, atol, seed, impl)
    checks["output_shape"] = _judge_shapes(case, component, outcome, expected, seed, impl)
    checks["dtype"] = _judge_dtype(case, component, outcome, policy, seed, impl)
    checks["inputs_unchanged"] = _judge_mutation(case, component, outcome, policy, seed, impl)
    return checks


def _behaviour_keys(component, expected):
    keys = {}
    for behaviour, names in component.behaviours.items():
        # networks: "parameter_gradients" means every d<param> the case has
        keys[behaviour] = names if names is not None else tuple(
            k for k in expected if k.startswith("d"))
    return keys


def _diagnose_error(case, inputs, expected, error, policy):
    """Hints for an implementation that raised: a contract message may carry them as
    [hint: name]; otherwise known bugs whose crash looks like this one."""
    tagged = re.findall(r" ?\[hint: ([\w-]+)\]", error)
    error = re.sub(r" ?\[hint: [\w-]+\]", "", error)
    if not policy.diagnose:
        return [], error
    return tagged + variants.matching_error(case, inputs, expected, error), error


def _hint_text(hints, component):
    return "; ".join(variants.hint(h, component.name) for h in hints)


def _stage_errors(outputs):
    return "; ".join(f"{k[len('error:'):]} raised {v}" for k, v in outputs.items()
                     if k.startswith("error:"))


def _judge_values(case, component, behaviour, keys, inputs, outcome, expected, policy, rtol,
                  atol, seed, impl):
    check = Check(behaviour, True)
    failures = []
    for key in keys:
        if key not in outcome.outputs:
            check.ok = False
            check.error = f"{component.name}: {_stage_errors(outcome.outputs) or 'no ' + key}"
            hints, check.error = _diagnose_error(case, inputs, expected, check.error, policy)
            check.hints += [h for h in hints if h not in check.hints]
            failures.append(compare.failure_message(
                component.name, key, compare.Comparison(False, f"not computed: {check.error}"),
                case, seed, impl, rtol, atol, _hint_text(hints, component)))
            continue
        result = compare.compare(outcome.outputs[key], expected[key], rtol, atol)
        check.max_abs = max(check.max_abs, result.max_abs)
        check.max_rel = max(check.max_rel, result.max_rel)
        if result.ok:
            continue
        accepted = variants.matching(case, inputs, expected, outcome.outputs, [key],
                                     names=policy.accepted)
        if accepted:
            check.notes += [divergences.note(name) for name in accepted]
            continue
        check.ok = False
        hints = variants.matching(case, inputs, expected, outcome.outputs, [key]) \
            if policy.diagnose else []
        check.hints += [h for h in hints if h not in check.hints]
        failures.append(compare.failure_message(component.name, key, result, case, seed, impl,
                                                rtol, atol, _hint_text(hints, component)))
    if component.name == "Dropout" and "out" in keys and check.ok:
        from .catalog.losses import dropout_kept_fraction

        problem = dropout_kept_fraction(case.params, outcome.outputs)
        if problem:
            check.ok = False
            failures.append(compare.failure_message(
                "Dropout", "mask", compare.Comparison(False, problem), case, seed, impl, rtol,
                atol))
    check.message = "\n".join(failures)
    return check


def _judge_shapes(case, component, outcome, expected, seed, impl):
    """Output shapes against the formula and against the oracle."""
    problems = []
    for key, shape in component.output_shapes(case.params).items():
        if key not in outcome.outputs or key not in expected:
            continue
        got = np.shape(outcome.outputs[key])
        wanted = np.shape(expected[key])
        if tuple(shape) != wanted:
            problems.append(f"{key}: the formula gives {tuple(shape)} but the oracle {wanted} "
                            f"(a bug in the suite, please report it)")
        elif got != wanted:
            problems.append(f"{key} has shape {got}, expected {wanted}")
    return _simple_check("output_shape", component, problems, case, seed, impl)


def _judge_dtype(case, component, outcome, policy, seed, impl):
    problems = []
    book_like = True  # every problem is float64 for float32 input: book difference 6
    for key, value in outcome.outputs.items():
        if key == "accuracy" or key.startswith("error:"):
            continue
        dtype = np.asarray(value).dtype
        if dtype != case.dtype and (dtype.kind in "fbiu" and np.asarray(value).ndim > 0
                                    or dtype.kind == "f"):
            problems.append(f"{key} is {dtype} for {case.dtype} input")
            book_like &= dtype == np.float64 and case.dtype == np.float32
    if problems and book_like and divergences.name_of(6) in policy.accepted:
        return Check("dtype", True, notes=[divergences.note(divergences.name_of(6))])
    return _simple_check("dtype", component, problems, case, seed, impl)


def _judge_mutation(case, component, outcome, policy, seed, impl):
    mutated = list(outcome.mutated)
    notes = []
    relu_dout = divergences.name_of(9)
    if component.name == "Relu" and mutated == ["dout"] and relu_dout in policy.accepted:
        mutated, notes = [], [divergences.note(relu_dout)]
    problems = [f"it modified its input `{k}` in place; a layer must not change the arrays it "
                f"is given" for k in mutated]
    check = _simple_check("inputs_unchanged", component, problems, case, seed, impl)
    check.notes = notes
    return check


def _simple_check(behaviour, component, problems, case, seed, impl):
    if not problems:
        return Check(behaviour, True)
    message = compare.failure_message(component.name, behaviour.replace("_", " "),
                                      compare.Comparison(False, "; ".join(problems)), case,
                                      seed, impl, 0, 0)
    return Check(behaviour, False, message)


def _judge_invalid(case, outcome, policy, seed, impl):
    name = case.component
    allowed = CALL_ORDER_ERRORS if "backward-before-forward" in case.tags else CLEAR_ERRORS
    if outcome.status == "ok":
        problem = f"accepted invalid input ({case.error}) without raising an error"
    elif outcome.status == "contract" and "ran before forward" not in outcome.error_message:
        problem = outcome.error_message
    elif outcome.status == "contract":
        problem = f"{outcome.error_message}; it must raise a clear error"
    elif outcome.status != "error":
        problem = outcome.describe_error(name)
    elif outcome.error_type not in allowed:
        problem = (f"raised {outcome.error_type} ({outcome.error_message}) for invalid input "
                   f"({case.error}); expected {' or '.join(sorted(allowed - {'CallOrderError'}))}")
    elif policy.name_in_errors and name not in outcome.error_message:
        problem = (f"raised {outcome.error_type} for invalid input ({case.error}) but the "
                   f"message does not name {name}: {outcome.error_message!r}")
    else:
        return Check("invalid_input", True)
    message = compare.failure_message(name, "invalid input", compare.Comparison(False, problem),
                                      case, seed, impl, 0, 0)
    return Check("invalid_input", False, message)
