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

from . import catalog, compare, divergences, drivers, engine, oracles, pipeline


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
        self._call = pipeline.InProcess(target.namespace)
        self._runs = OrderedDict()

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
        if not check.ok and check.behaviour in WITNESSES:
            forward = self.check(case, next(iter(catalog.COMPONENTS[case.component].behaviours)))
            if forward.notes:  # the witness sees the book's forward, e.g. its epsilon
                return "; ".join(forward.notes)
        return None

    def cases(self, component, kind="valid"):
        """The grid's cases of a component: "valid", "invalid", or those a witness applies to
        ("numerical_gradient", "adjoint")."""
        chosen = catalog.cases(component, self.grid, invalid=(kind == "invalid"))
        if kind == "numerical_gradient":
            chosen = [c for c in chosen if numerical_witness_applies(c)]
        elif kind == "adjoint":
            chosen = [c for c in chosen if catalog.COMPONENTS[component].adjoint is not None]
        return chosen

    def verdict(self, case):
        """The CaseRun of a case, computed once: the plugin runs the tests of one case back to
        back, so a small cache holds every case while its tests run."""
        if case.id in self._runs:
            return self._runs[case.id]
        run = pipeline.run_case(case, self.seed, self._call, self.oracle, self.policy,
                                impl=self.target.spec)
        self._runs[case.id] = run
        if len(self._runs) > 64:
            self._runs.popitem(last=False)
        return run

    def check(self, case, behaviour):
        return self.verdict(case).checks[behaviour]

    def run(self, case):
        """A case that is not in the grid (a diagnosis experiment), judged the same way."""
        return pipeline.run_case(case, self.seed, self._call, self.oracle, self.policy,
                                 impl=self.target.spec)

    def diagnose(self, component, cases=None):
        """{behaviour: Diagnosis} of a component's failing behaviours, from the grid's failing
        cases (or the given ones): conformance/diagnosis/."""
        from . import diagnosis

        chosen = cases if cases is not None else self.cases(component)
        runs = [self.verdict(case) for case in chosen]
        failing = {b: [r for r in runs if not r.checks[b].ok] for b in runs[0].checks} \
            if runs else {}
        return diagnosis.diagnose_component(catalog.COMPONENTS[component], failing, self.run,
                                            self.oracle, accepted=self.policy.accepted)

    # -- torch-free witnesses

    def numerical_gradient(self, case):
        run = self.verdict(case)
        return numerical_gradient_check(self.target.namespace, case, run.inputs, run.outcome,
                                        self.seed, self.target.spec)

    def adjoint(self, case):
        run = self.verdict(case)
        return adjoint_check(case, run.inputs, run.outcome, self.seed, self.target.spec)


# ---------------------------------------------------------------------------------------------
# Witnesses that need no oracle

WITNESSES = ("numerical_gradient", "adjoint")


def numerical_witness_applies(case):
    """Float64 cases small enough for central differences, away from kinks and ties (as the
    component declares): every such case of the quick grid, and one in twelve of the full
    grid's (central differences run the implementation twice per input element, and the full
    grid has a thousand of them)."""
    component = catalog.COMPONENTS[case.component]
    if not component.gradients or case.dtype != np.float64 or case.error:
        return False
    if component.numerical_witness and not component.numerical_witness(case.params):
        return False
    if "quick" not in case.grids and zlib.crc32(case.id.encode()) % 12:
        return False
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


def adjoint_check(case, inputs, outcome, seed, impl):
    """Linear maps and their adjoints, <A x, y> = <x, A^T y>, one number per identity the
    component declares. Exact up to rounding, so a wrong col2im or backward shows at once."""
    component = catalog.COMPONENTS[case.component]
    if outcome.status != "ok":
        return engine.Check("adjoint", False, outcome.describe_error(case.component))
    failures = []
    try:
        identities = component.adjoint(case.params, inputs, outcome.outputs,
                                       case.rng(seed + 1))
    except KeyError as exc:  # an output the identity needs was not computed
        identities, failures = [], [f"{exc.args[0]} was not computed"]
    for identity in identities:
        try:
            a2 = np.asarray(identity.right_a, np.float64)
            b2 = np.asarray(identity.right_b, np.float64)
            left = np.vdot(np.asarray(identity.left_a, np.float64),
                           np.asarray(identity.left_b, np.float64))
            right = np.vdot(a2, b2)
            scale = np.sum(np.abs(a2) * np.abs(b2))
        except (ValueError, TypeError) as exc:  # shapes that do not line up
            failures.append(f"{identity.right}: {exc}")
            continue
        eps = 1e-5 if case.dtype == np.float32 else 1e-11
        if abs(left - right) > eps * max(scale, 1.0):
            failures.append(compare.failure_message(
                case.component, "adjoint identity", compare.Comparison(
                    False, f"{identity.left} = {left:.12g} but {identity.right} = "
                           f"{right:.12g}"), case, seed, impl, 0, 0))
    return engine.Check("adjoint", not failures, "\n".join(failures))
