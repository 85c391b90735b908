"""One conformance run: the implementation under test, the oracle, the seed, and the
memoised outcome of every case. The pytest plugin holds one Session; each test asks it for a
verdict."""

import importlib
import importlib.util
import os
import re
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from . import catalog, compare, divergences, drivers, engine, oracles, variants

ARRAY_CONTRACT = ("output_shape", "dtype", "inputs_unchanged")


class TargetError(Exception):
    """The implementation under test cannot be loaded; the message says why."""


@dataclass
class Target:
    namespace: object
    spec: str
    description: str
    load_problems: list = field(default_factory=list)

    def provides(self, component):
        return getattr(self.namespace, component, None) is not None


def load_target(spec):
    """--impl: a module name, a .py file, a notebook (.ipynb or a Markdown export) or a folder.
    A name that is both (`scratch_cnn` run from the repository) means the module."""
    if re.fullmatch(r"[A-Za-z_][\w.]*", spec) and not spec.endswith((".py", ".ipynb", ".md")):
        if importlib.util.find_spec(spec.split(".")[0]) is not None or not os.path.exists(spec):
            return _import_target(spec)
    if os.path.exists(spec):
        from . import loader

        try:
            report = loader.load_submission(spec, names=set(catalog.COMPONENTS),
                                            module_name="conformance_target")
        except loader.SubmissionError as exc:
            raise TargetError(str(exc)) from None
        problems = report.summary().splitlines() if not report.ok else []
        if not report.defined:
            raise TargetError(f"{spec} defines none of the book's components "
                              f"({', '.join(catalog.BOOK_CONTRACT)}, ...)"
                              + (": " + "; ".join(problems) if problems else ""))
        return Target(report.module, spec, f"{os.path.abspath(spec)} ({report.kind})", problems)
    raise TargetError(f"{spec}: no such file or folder")


def _import_target(spec):
    try:
        module = importlib.import_module(spec)
    except Exception as exc:  # a module that fails to import: say why, loudly
        raise TargetError(f"cannot import module {spec!r}: {type(exc).__name__}: {exc}") from None
    where = getattr(module, "__file__", None) or "built-in"
    return Target(module, spec, f"module {spec} ({where})")


class Session:
    """known_differences: "fail" holds the target to PyTorch on every known book difference
    (the default for the reference); "xfail" reports a failure that is exactly a known book
    behaviour the grader accepts, or a case outside the book's contract, as an expected
    failure that names the difference (the default for any other implementation)."""

    def __init__(self, target, grid="quick", seed=0, oracle="torch", known_differences=None):
        self.target = target
        self.grid = grid
        self.seed = seed
        self.oracle = oracles.get(oracle)
        if known_differences is None:
            known_differences = "fail" if target.spec == "scratch_cnn" else "xfail"
        self.known_differences = known_differences
        if known_differences == "xfail":
            self.policy = engine.Policy(accepted=divergences.default_policy("accepted"))
            self.outside_contract = divergences.ungraded_tags(
                divergences.default_policy("ungraded"))
        else:
            self.policy = engine.Policy.strict()
            self.outside_contract = frozenset()
        self._verdicts = OrderedDict()

    def known_difference(self, case, check):
        """Why a check's result is an expected failure (a known book difference), or None."""
        if self.known_differences != "xfail":
            return None
        if check.ok and check.notes:
            return "; ".join(check.notes)
        if not check.ok and case.tags & self.outside_contract:
            tags = ", ".join(sorted(case.tags & self.outside_contract))
            first = check.message.splitlines()[0] if check.message else ""
            return f"outside the book's contract ({tags}): {first}"
        if not check.ok and check.behaviour in ("numerical_gradient", "adjoint"):
            forward = self.check(case, next(iter(catalog.COMPONENTS[case.component].behaviours)))
            if forward.notes:  # the witness sees the book's forward, e.g. its epsilon
                return "; ".join(forward.notes)
        return None

    def cases(self, component, kind="valid"):
        chosen = catalog.cases(component, self.grid, invalid=(kind == "invalid"))
        if kind == "numerical":
            chosen = [c for c in chosen if numerical_witness_applies(c)]
        return chosen

    def inputs(self, case):
        component = catalog.COMPONENTS[case.component]
        return component.make_inputs(case.params, case.rng(self.seed))

    def verdict(self, case):
        """(inputs, outcome, checks) of a case, computed once: the plugin runs the tests of
        one case back to back, so a small cache holds every case while its tests run."""
        if case.id in self._verdicts:
            return self._verdicts[case.id]
        result = self._compute_verdict(case)
        self._verdicts[case.id] = result
        if len(self._verdicts) > 64:
            self._verdicts.popitem(last=False)
        return result

    def _compute_verdict(self, case):
        inputs = self.inputs(case)
        outcome = engine.run_in_process(self.target.namespace, case, inputs)
        expected = None if case.error else engine.expected_for(case, inputs, self.oracle,
                                                               outcome)
        checks = engine.judge(case, inputs, outcome, expected, self.policy, self.seed,
                              self.target.spec)
        return inputs, outcome, checks

    def check(self, case, behaviour):
        return self.verdict(case)[2][behaviour]

    def array_contract(self, case):
        """The output_shape, dtype and inputs_unchanged checks as one."""
        checks = [self.check(case, b) for b in ARRAY_CONTRACT]
        failed = [c for c in checks if not c.ok]
        return engine.Check("array_contract", not failed,
                            "\n".join(dict.fromkeys(c.message for c in failed)),
                            notes=[n for c in checks for n in c.notes],
                            hints=[h for c in failed for h in c.hints])

    # -- torch-free witnesses

    def numerical_gradient(self, case):
        inputs, outcome, _ = self.verdict(case)
        return numerical_gradient_check(self.target.namespace, case, inputs, outcome,
                                        self.seed, self.target.spec)

    def adjoint(self, case):
        inputs, outcome, _ = self.verdict(case)
        return adjoint_check(self.target.namespace, case, inputs, outcome, self.seed,
                             self.target.spec)


# ---------------------------------------------------------------------------------------------
# Witnesses that need no oracle


def numerical_witness_applies(case):
    """Float64 cases small enough for central differences, away from kinks and ties: every
    such case of the quick grid, and one in twelve of the full grid's (central differences run
    the implementation twice per input element, and the full grid has a thousand of them)."""
    component = catalog.COMPONENTS[case.component]
    if not component.gradients or case.dtype != np.float64 or case.error:
        return False
    if "quick" not in case.grids and zlib.crc32(case.id.encode()) % 12:
        return False
    if case.params.get("fill") in ("ties", "zeros"):
        return False
    if case.component in ("SimpleConvNet", "AlexNet", "DeepConvNet") or \
            case.params.get("activation") == "relu":
        return False  # ReLU kinks inside a network sit at unpredictable places
    sizes = [int(np.prod(s)) for s in component.output_shapes(case.params).values()]
    return sum(sizes) <= 400


def _witness_scalar(outputs, inputs, p):
    if "loss" in outputs:
        return float(np.asarray(outputs["loss"], dtype=np.float64)) * p.get("dout", 1)
    return float(np.sum(np.asarray(outputs["out"], dtype=np.float64) * inputs["dout"]))


def numerical_gradient_check(ns, case, inputs, outcome, seed, impl, h=1e-4):
    """The implementation's own forward, differentiated by central differences, against its
    own backward."""
    component = catalog.COMPONENTS[case.component]
    rtol, atol = compare.NUMERICAL_GRADIENT_TOLERANCE
    if outcome.status != "ok":
        return engine.Check("numerical_gradient", False, outcome.describe_error(case.component))
    base = {k: np.array(v, dtype=np.float64) if v.dtype.kind == "f" else v
            for k, v in inputs.items()}
    failures = []
    for name, grad_key in component.gradients.items():
        if name not in base:
            continue
        arr = base[name]
        numeric = np.zeros_like(arr)
        flat, out = arr.reshape(-1), numeric.reshape(-1)
        try:
            for i in range(flat.size):
                values = []
                for delta in (h, -h):
                    original = flat[i]
                    flat[i] = original + delta
                    try:
                        outputs, _ = drivers.run(ns, component.driver, case.params, base)
                    finally:
                        flat[i] = original
                    values.append(_witness_scalar(outputs, base, case.params))
                out[i] = (values[0] - values[1]) / (2 * h)
        except Exception as exc:  # a forward whose output does not fit dout, a crash, ...
            failures.append(compare.failure_message(
                case.component, f"{grad_key} vs central differences", compare.Comparison(
                    False, f"the forward cannot be differentiated numerically: "
                           f"{drivers.describe_error(exc)}"), case, seed, impl, rtol, atol))
            continue
        result = compare.compare(outcome.outputs.get(grad_key), numeric, rtol, atol)
        if not result.ok:
            failures.append(compare.failure_message(
                case.component, f"{grad_key} vs central differences", result, case, seed, impl,
                rtol, atol))
    return engine.Check("numerical_gradient", not failures, "\n".join(failures))


def adjoint_check(ns, case, inputs, outcome, seed, impl):
    """Linear maps and their adjoints: <A x, y> = <x, A^T y>, one number per identity.

    col2im cases: <im2col(x), col> = <x, col2im(col)>; Convolution: <out - b, dout> =
    <x, dx> = <W, dW>. Exact up to rounding, so a wrong col2im or backward shows at once."""
    p = case.params
    if outcome.status != "ok":
        return engine.Check("adjoint", False, outcome.describe_error(case.component))
    if case.component == "col2im":
        # the suite's own im2col (the book's loop), so a wrong im2col is not blamed on col2im
        x = case.rng(seed + 1).standard_normal(p["input_shape"])
        col = variants.unfold(x, p["FH"], p["FW"], p["stride"], p["pad"])
        pairs = [("<im2col(x), col>", col, inputs["col"], "<x, col2im(col)>", x,
                  outcome.outputs["img"])]
    else:
        out = np.asarray(outcome.outputs["out"], dtype=np.float64)
        linear = out - np.asarray(inputs["b"], dtype=np.float64)[None, :, None, None]
        pairs = [("<out - b, dout>", linear, inputs["dout"], "<x, dx>", inputs["x"],
                  outcome.outputs["dx"]),
                 ("<out - b, dout>", linear, inputs["dout"], "<W, dW>", inputs["W"],
                  outcome.outputs["dW"])]
    failures = []
    for left_name, a1, b1, right_name, a2, b2 in pairs:
        try:
            left = np.vdot(np.asarray(a1, np.float64), np.asarray(b1, np.float64))
            right = np.vdot(np.asarray(a2, np.float64), np.asarray(b2, np.float64))
            scale = np.sum(np.abs(a2) * np.abs(np.asarray(b2, np.float64)))
        except ValueError as exc:  # shapes that do not line up
            failures.append(f"{right_name}: {exc}")
            continue
        eps = 1e-5 if case.dtype == np.float32 else 1e-11
        if abs(left - right) > eps * max(scale, 1.0):
            failures.append(compare.failure_message(
                case.component, "adjoint identity", compare.Comparison(
                    False, f"{left_name} = {left:.12g} but {right_name} = {right:.12g}"),
                case, seed, impl, 0, 0))
    return engine.Check("adjoint", not failures, "\n".join(failures))
