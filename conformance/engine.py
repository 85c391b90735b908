"""The judge: one case's outcome against the right answer, a verdict per behaviour.

Nothing here knows a component by name: what a component needs (its behaviours, the outputs
that must repeat, its special checks, the parts of the array contract that apply) is declared
in the catalog, and the book's differences are recognised by their names, from
divergences.toml and the variants. The pipeline (conformance/pipeline.py) calls `judge` for
every front end, so the plugin and the grader reach the same verdicts.
"""

from dataclasses import dataclass, field

import numpy as np

from . import compare, divergences, variants

# Errors that count as "a clear error" for an invalid input.
CLEAR_ERRORS = {"ValueError", "TypeError", "CallOrderError"}
CALL_ORDER_ERRORS = CLEAR_ERRORS | {"RuntimeError"}
# The checks of the array contract, judged apart from the values (a slip there costs its own
# small rubric line, never the behaviour's points).
CONTRACT = "array_contract"


@dataclass
class Outcome:
    """What an implementation did on one case (in process, or in the sandbox).

    inputs_after: the copies of the inputs the implementation was given, as they were after the
    call; whether it changed them is judged here, from these arrays."""

    status: str  # ok | error | contract | timeout | crashed | memory | protocol_error
    outputs: dict = field(default_factory=dict)
    inputs_after: dict = field(default_factory=dict)
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


def case_component(case):
    from .catalog import COMPONENTS

    return COMPONENTS[case.component]


def expected_for(case, inputs, oracle, outcome=None):
    """The right answer. A component whose answer depends on the implementation's own random
    draws (Dropout's mask) computes it from the outcome; repeated outputs must equal the
    first answer."""
    component = case_component(case)
    if component.expected_from_actual:
        expected = component.expected_from_actual(case.params, inputs,
                                                  outcome.outputs if outcome else None)
    else:
        expected = oracle.compute(component, case.params, inputs)
    for repeat, original in component.repeats.items():
        if original in expected:
            expected.setdefault(repeat, expected[original])
    return expected


def mutated_inputs(inputs, inputs_after):
    """Names of the inputs whose copies came back changed (or did not come back)."""
    changed = []
    for name, before in inputs.items():
        after = inputs_after.get(name)
        before = np.asarray(before)
        if after is None or np.shape(after) != before.shape or not np.array_equal(
                np.asarray(after), before, equal_nan=before.dtype.kind == "f"):
            changed.append(name)
    return sorted(changed)


def judge(case, inputs, outcome, expected, policy, seed=0, impl="scratch_cnn"):
    """Verdicts for every behaviour of `case`, and its array contract: {name: Check}."""
    component = case_component(case)
    if case.error:
        return {"invalid_input": _judge_invalid(case, outcome, policy, seed, impl)}
    behaviours = behaviour_keys(component, expected)
    if outcome.status != "ok":
        error = outcome.describe_error(component.name)
        hints = _error_hints(case, inputs, expected, error, policy)
        message = compare.failure_message(component.name, "", compare.Comparison(False, error),
                                          case, seed, impl, 0, 0, hint_text(hints, component))
        return {b: Check(b, False, message, hints=list(hints), error=error)
                for b in (*behaviours, CONTRACT)}
    rtol, atol = compare.tolerance(case)
    checks = {behaviour: _judge_values(case, component, behaviour, keys, inputs, outcome,
                                       expected, policy, rtol, atol, seed, impl)
              for behaviour, keys in behaviours.items()}
    checks[CONTRACT] = _judge_contract(case, component, behaviours, inputs, outcome, expected,
                                       policy, seed, impl)
    return checks


def behaviour_keys(component, expected):
    """{behaviour: the outputs it judges}; None in the catalog means every d<param> the
    case's answer has (a network's parameter gradients)."""
    keys = {}
    for behaviour, names in component.behaviours.items():
        keys[behaviour] = names if names is not None else tuple(
            k for k in expected if k.startswith("d") and ":" not in k)
    return keys


def _error_hints(case, inputs, expected, error, policy):
    """Known bugs whose crash looks like this one. The message is only ever matched against
    NumPy's own wording of a shape error (bounded, never evaluated): forging it could only
    mislead the submission's own feedback."""
    if not policy.diagnose:
        return []
    return variants.matching_error(case, inputs, expected, error[:2000])


def hint_text(hints, component):
    return "; ".join(variants.hint(h, component.name) for h in hints)


def _stage_errors(outputs):
    return "; ".join(f"{k[len('error:'):]} raised {v}" for k, v in outputs.items()
                     if k.startswith("error:"))


def _data_outputs(outputs):
    """Outputs that are facts about the implementation (its parameters' shapes, ...), not
    answers to judge: evidence for the diagnosis when an answer is missing."""
    return [k for k in outputs if ":" in k and not k.startswith("error:")]


def _judge_values(case, component, behaviour, keys, inputs, outcome, expected, policy, rtol,
                  atol, seed, impl):
    check = Check(behaviour, True)
    failures = []
    for key in keys:
        if key not in outcome.outputs:
            check.ok = False
            check.error = f"{component.name}: {_stage_errors(outcome.outputs) or 'no ' + key}"
            hints = _error_hints(case, inputs, expected, check.error, policy)
            if policy.diagnose:
                hints += variants.matching(case, inputs, expected, outcome.outputs,
                                           _data_outputs(outcome.outputs))
            check.hints += [h for h in hints if h not in check.hints]
            failures.append(compare.failure_message(
                component.name, key, compare.Comparison(False, f"not computed: {check.error}"),
                case, seed, impl, rtol, atol, hint_text(hints, component)))
            continue
        if repeats_first(component, key, outcome.outputs):
            continue  # a second answer equal to the first: the first's verdict covers both
        result = compare.compare(outcome.outputs[key], expected[key], rtol, atol)
        check.max_abs = max(check.max_abs, result.max_abs)
        check.max_rel = max(check.max_rel, result.max_rel)
        if result.ok:
            continue
        accepted = variants.matching(case, inputs, expected, outcome.outputs, [key],
                                     names=policy.accepted)
        if accepted:
            check.notes += [n for n in map(divergences.note, accepted) if n not in check.notes]
            continue
        check.ok = False
        hints = variants.matching(case, inputs, expected, outcome.outputs, [key]) \
            if policy.diagnose else []
        check.hints += [h for h in hints if h not in check.hints]
        failures.append(compare.failure_message(component.name, key, result, case, seed, impl,
                                                rtol, atol, hint_text(hints, component)))
    failures += variants.suite_errors(case, inputs) if failures else []
    special = component.checks.get(behaviour)
    if special and check.ok:
        problem = special(case.params, outcome.outputs)
        if problem:
            check.ok = False
            failures.append(compare.failure_message(
                component.name, behaviour.replace("_", " "), compare.Comparison(False, problem),
                case, seed, impl, rtol, atol))
    check.message = "\n".join(failures)
    return check


def repeats_first(component, key, outputs):
    """A repeated output (backward called again) that is exactly the first answer."""
    first = component.repeats.get(key)
    if first is None or first not in outputs or key not in outputs:
        return False
    a, b = compare.as_numbers(outputs[key]), compare.as_numbers(outputs[first])
    return a is not None and b is not None and a.shape == b.shape and np.array_equal(
        a, b, equal_nan=True)


def _judge_contract(case, component, behaviours, inputs, outcome, expected, policy, seed, impl):
    """The array contract of the judged outputs: shapes (where the values could still be
    judged), dtype, and the inputs left unchanged. Accepted book differences cost nothing and
    leave a note."""
    judged = [k for keys in behaviours.values() for k in keys
              if k in outcome.outputs and k in expected]
    problems, notes = [], []
    hints = []
    if "output_shape" in component.contract:
        shape_problems = _shape_problems(case, component, judged, outcome, expected)
        problems += [problem for _, problem in shape_problems]
        if policy.diagnose:
            wrong = [key for key, _ in shape_problems if key]
            hints = variants.matching(case, inputs, expected, outcome.outputs, wrong) \
                if wrong else []
    if "dtype" in component.contract:
        found = _dtype_changes(case, judged, outcome)
        excused = divergences.dtype_changes(policy.accepted, component.name)
        if found and all(change in excused for _, change in found):
            notes += [divergences.note(excused[change]) for _, change in found]
        else:
            problems += [f"{key} is {to} for {was} input" for key, (was, to) in found]
    if "inputs_unchanged" in component.contract:
        excused = divergences.allowed_mutations(policy.accepted, component.name)
        for key in mutated_inputs(inputs, outcome.inputs_after):
            if key in excused:
                notes.append(divergences.note(excused[key]))
            else:
                problems.append(f"it modified its input `{key}` in place; a layer must not "
                                f"change the arrays it is given")
    if not problems:
        return Check(CONTRACT, True, notes=list(dict.fromkeys(notes)))
    message = compare.failure_message(component.name, "array contract",
                                      compare.Comparison(False, "; ".join(problems)), case,
                                      seed, impl, 0, 0, hint_text(hints, component))
    return Check(CONTRACT, False, message, notes=list(dict.fromkeys(notes)), hints=hints)


def _shape_problems(case, component, judged, outcome, expected):
    """[(output, problem)]: output shapes against the oracle (a shape whose size differs fails
    the values already; here it is the slip that still let the values be judged), and the
    catalog's formula against the oracle (a disagreement is a bug of the suite: output "")."""
    problems = []
    formula = component.output_shapes(case.params)
    for key in judged:
        got, wanted = np.shape(outcome.outputs[key]), np.shape(expected[key])
        if key in formula and tuple(formula[key]) != wanted:
            problems.append(("", f"{key}: the formula gives {tuple(formula[key])} but the "
                                 f"oracle {wanted} (a bug in the suite, please report it)"))
        elif got != wanted and int(np.prod(got)) == int(np.prod(wanted)):
            problems.append((key, f"{key} has shape {got}, expected {wanted}"))
    return problems


def _dtype_changes(case, judged, outcome):
    """[(output, (case dtype, its dtype))] for the numeric outputs whose dtype is not the
    case's (an accuracy may be any number; a Python float is not a change)."""
    found = []
    for key in judged:
        value = np.asarray(outcome.outputs[key])
        if key == "accuracy" or value.dtype == case.dtype or value.dtype.kind not in "fbiu":
            continue
        if value.dtype.kind == "f" or value.ndim > 0:
            found.append((key, (str(case.dtype), str(value.dtype))))
    return found


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
