"""Comparing numbers: tolerances (all of them, here) and the one shape of a failure message."""

from dataclasses import dataclass

import numpy as np

# PyTorch's defaults (torch.testing.assert_close) for the case's dtype.
DEFAULT_TOLERANCE = {"float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}  # (rtol, atol)

# The only other tolerances, each with its reason.
# 50 optimizer steps in float64 agree with torch.optim to ~1e-15 (measured); 1e-9 relative is
# the stated aim and still far below any formula difference (eps placement gives 1e-6).
TRAJECTORY_TOLERANCE = (1e-9, 1e-12)
# Central differences (h = 1e-4) carry a truncation error of about h^2 * f''' ~ 1e-8 and a
# rounding error of about 1e-16 * |f| / h; 1e-5 leaves room for curved layers (LRN, softmax).
NUMERICAL_GRADIENT_TOLERANCE = (1e-5, 1e-5)


def tolerance(case):
    if case.params.get("optimizer"):
        return TRAJECTORY_TOLERANCE
    return DEFAULT_TOLERANCE[str(case.dtype)]


@dataclass
class Comparison:
    """How an actual array differs from an expected one."""

    ok: bool
    problem: str = ""  # a shape or type problem, reported before any numbers
    mismatched: int = 0
    total: int = 0
    max_abs: float = 0.0
    max_abs_at: tuple = ()
    max_rel: float = 0.0
    max_rel_at: tuple = ()
    got: float = 0.0
    wanted: float = 0.0

    def describe(self, rtol, atol):
        if self.problem:
            return self.problem
        if self.ok:
            return f"all {self.total} elements agree (greatest abs difference {self.max_abs:.3g})"
        at = list(self.max_abs_at)
        return (f"{self.mismatched}/{self.total} elements differ (rtol {rtol:g}, atol {atol:g}); "
                f"greatest abs difference {self.max_abs:.3g} at {at} (got {self.got:.6g}, "
                f"expected {self.wanted:.6g}); greatest rel difference {self.max_rel:.3g} at "
                f"{list(self.max_rel_at)}")


def as_numbers(value):
    """`value` as a float64 ndarray, or None if it is not made of real numbers."""
    try:
        arr = np.array(value, copy=True)
    except Exception:
        return None
    if arr.dtype.kind not in "biuf":
        return None
    return arr.astype(np.float64)


def compare(actual, expected, rtol, atol):
    expected = np.asarray(expected, dtype=np.float64)
    got = as_numbers(actual)
    if got is None:
        return Comparison(False, f"returned {type(actual).__name__}, not an array of numbers")
    if got.shape != expected.shape:
        if got.size != expected.size:
            return Comparison(False, f"shape {got.shape}, expected {expected.shape}",
                              total=expected.size)
        # The same number of values in another shape ((1, FN) for (FN,), say): the values are
        # still judged, in order; the shape is the array contract's business.
        got = got.reshape(expected.shape)
    if got.size == 0:
        return Comparison(True, total=0)
    diff = np.abs(got - expected)
    diff = np.where(np.isnan(diff), np.inf, diff)  # NaN is never close
    bad = diff > atol + rtol * np.abs(expected)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0, 0.0, diff / np.abs(expected))
    i_abs = np.unravel_index(int(np.argmax(diff)), diff.shape)
    i_rel = np.unravel_index(int(np.argmax(rel)), rel.shape)
    return Comparison(
        ok=not bad.any(), mismatched=int(bad.sum()), total=int(bad.size),
        max_abs=float(diff[i_abs]), max_abs_at=tuple(int(i) for i in i_abs),
        max_rel=float(rel[i_rel]), max_rel_at=tuple(int(i) for i in i_rel),
        got=float(got[i_abs]), wanted=float(expected[i_abs]))


def close(actual, expected, rtol, atol):
    """True if actual matches expected (used to test variant predictions)."""
    return compare(actual, expected, rtol, atol).ok


def failure_message(component, key, comparison, case, seed, impl, rtol, atol, hint=""):
    """The one shape of every failure: what differs, the numbers, the case, a repro line."""
    what = f"{component} {key}: " if key else ""
    lines = [f"{what}{comparison.describe(rtol, atol)}",
             f"  case: {case.id} ({describe_params(case)})",
             f"  repro: {case.repro(seed, impl)}"]
    if hint:
        lines.append(f"  hint: {hint}")
    return "\n".join(lines)


def describe_params(case):
    shown = {k: v for k, v in case.params.items()
             if k not in ("param_shapes", "init", "aliases")}
    return ", ".join(f"{k}={v}" for k, v in shown.items())
