"""The anatomy of a wrong output: exact relations between what an implementation returned and
the right answer, each checked on every failing case it applies to.

Every detector looks at one output of one failing case and answers with a Finding (the
relation holds exactly, within the case's tolerance), False (it could apply, and does not), or
None (it cannot apply here). A finding is kept only if no other failing case says False.
"""

import itertools
import re
from dataclasses import replace

import numpy as np

from .. import compare, drivers, engine
from ..windows import crop, fold
from .accuracy import accuracy_relations, accuracy_slips, empty_batch
from .findings import (
    _DISCRETE,
    Finding,
    _close,
    _error_texts,
    _informative,
    _one_of,
    _pair,
)
from .shapes import (
    axis_missing_in_error,
    batch_and_classes_in_error,
    crop_size,
    flattened_to_other_sizes,
    float_index_in_error,
    float_size_in_error,
    four_axes_got_more,
    four_axes_got_two,
    index_out_of_bounds,
    integer_in_error,
    key_missing_in_error,
    none_in_error,
    none_returned,
    other_kind_in_error,
    padded_batch_in_error,
    parameter_shape,
    product_not_aligned,
    reshaped_output,
    scatter_count_in_error,
    shape_of_another_array,
    sides_swapped_in_broadcast,
    size_formula,
    size_in_error,
    slice_length_in_error,
    unexplained_size,
    wrong_size_in_error,
    zero_stride_in_error,
)


def find_relations(component, behaviour, runs, oracle, accepted=()):
    """Findings about the failing outputs of `behaviour`: each found on some run, and
    contradicted by none (a detector that could apply to a run and does not, or that finds
    another relation there, drops it). `accepted`: the book differences the policy accepts,
    whose answers count as right answers too (the book's 1e-7 in the log, ...)."""
    _ACCEPTED.names = frozenset(accepted)
    found = []
    for run in runs:
        for key in _failing_keys(component, behaviour, run):
            for detector in DETECTORS:
                finding = _detect(detector, component, run, key, oracle, accepted)
                if isinstance(finding, Finding) and (finding.kind, key) not in {
                        (f.kind, f.key) for _, f in found}:
                    found.append((detector, finding))
    kept = []
    for detector, finding in found:
        seen_on = 0
        failing_on = sum(finding.key in _failing_keys(component, behaviour, run)
                         for run in runs)
        for run in runs:
            finding, seen = _agreed(detector, component, behaviour, run, finding, oracle,
                                    accepted)
            if finding is None:
                break
            # a relation to a right answer of (almost) zeros holds by coincidence (the
            # relu of negative inputs only is zero: anything minus the input fits it)
            seen_on += seen and _informative_answer(run, finding.key)
        else:
            kept.append(replace(finding, seen_on=seen_on, failing_on=failing_on))
    return _strongest_per_output(kept)


def _informative_answer(run, key):
    """The right answer for `key` says something: not all zeros (a shape reported as data,
    or an output that is not numbers, counts as saying something)."""
    try:
        expected = np.asarray(run.expected[key], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        return True
    return _informative(expected, run)


def _strongest_per_output(findings):
    """One relation per output: the most specific (the detectors' order), plus the facts
    about where (no class). Two true relations of one output are one cause seen twice (a
    square dout summed over the wrong axis is also dout transposed): the simpler one names
    it."""
    rank = {d.__name__: i for i, d in enumerate(DETECTORS)}
    best = {}
    for f in findings:
        if f.classes and (f.key not in best or rank[f.detector] < rank[best[f.key].detector]):
            best[f.key] = f
    return [f for f in findings if not f.classes or best.get(f.key) is f]


def _agreed(detector, component, behaviour, run, found, oracle, accepted):
    """(the finding as `run` leaves it, whether the run shows it too): unchanged where the run
    cannot say, narrowed to the explanations that fit it too, or None where the run
    contradicts it."""
    if found.key not in _failing_keys(component, behaviour, run):
        return found, False  # this output is right there: nothing to contradict
    other = _detect(detector, component, run, found.key, oracle, accepted)
    if other is None:
        return found, False
    if not isinstance(other, Finding) or other.kind != found.kind:
        return None, False
    return found.narrowed(other), True


def _detect(detector, component, run, key, oracle, accepted):
    """The detector against the right answer, or against an accepted book behaviour's: the
    first relation found; False if it applies to every one and holds for none."""
    answers = [run.expected] + _accepted_answers(run, key, accepted)
    results = [_safely(detector, component, replace(run, expected=answer), key, oracle)
               for answer in answers]
    found = next((r for r in results if isinstance(r, Finding)), None)
    if found is not None:
        found.detector = detector.__name__
        return found
    return False if results and all(r is False for r in results) else None


def _accepted_answers(run, key, accepted):
    """The right answers with `key` replaced by what an accepted book behaviour gives."""
    if not accepted or run.expected is None:
        return []
    from .. import variants

    answers = []
    for name, predicted in variants.predictions(run.case, run.inputs, run.expected).items():
        if name in accepted and key in predicted:
            for alternative in (predicted[key] if isinstance(predicted[key], list)
                                else [predicted[key]]):
                answers.append({**run.expected, key: np.asarray(alternative)})
    return answers


def _safely(detector, *args):
    try:
        with np.errstate(all="ignore"):
            return detector(*args)
    except Exception:  # a detector that cannot form on this case says nothing
        return None


def _failing_keys(component, behaviour, run):
    """The outputs of `behaviour` that are wrong in `run` (missing ones included), and the
    facts reported as data (shape:W2) that differ from the right ones."""
    if behaviour is None or run.expected is None:
        return []
    if behaviour == "array_contract":
        return ["(inputs)"] if run.outcome.status == "ok" else []
    keys = component.behaviours.get(behaviour) or [
        k for k in run.expected if k.startswith("d") and ":" not in k]
    rtol, atol = compare.tolerance(run.case)
    wrong = [k for k in keys if k in run.expected and not engine.repeats_first(
        component, k, run.outcome.outputs) and (
        k not in run.outcome.outputs
        or not compare.compare(run.outcome.outputs[k], run.expected[k], rtol, atol).ok)]
    if wrong:
        wrong += [k for k in run.outcome.outputs if k.startswith("shape:") and k in run.expected
                  and not compare.close(run.outcome.outputs[k], run.expected[k], 0, 0.5)]
    return wrong


# ---------------------------------------------------------------------------------------------
# Detectors: (component, run, key, oracle) -> Finding | False | None


def setting_changed(component, run, key, oracle):
    """A setting the layer was constructed with (its stride, pad, window) that its own calls
    changed, as the driver saw it (setting:pad holds the value before and after): state
    changed in place, seen, not inferred."""
    changed = {k[len("setting:"):]: np.asarray(v).reshape(-1)
               for k, v in run.outcome.outputs.items() if k.startswith("setting:")}
    if not changed:
        return None
    said = "; ".join(f"self.{attr} went from {int(v[0])} to {int(v[-1])}"
                     for attr, v in sorted(changed.items()))
    return Finding("setting-changed", key,
                   f"{component.name}'s own calls change the settings it was made with "
                   f"({said}): the layer is left different for backward and for the next "
                   f"call; keep them, and use local variables", ("state-mutated",))


def second_call_differs(component, run, key, oracle):
    """A repeated output (backward called again with the same dout) differs from the first
    answer, which was right: the first call changed the layer's state."""
    first = component.repeats.get(key)
    if first is None or first not in run.outcome.outputs:
        return None
    if not _close(compare.as_numbers(run.outcome.outputs[first]), run.expected[first], run):
        return None
    return Finding("second-call", key,
                   f"a second call of backward with the same dout gives a different {first}: "
                   f"the first call changed something the layer keeps (an in-place operation "
                   f"such as -= or *= on a cached array like self.y, self.out or self.x)",
                   ("state-mutated",))


def accumulated_over_calls(component, run, key, oracle):
    """A parameter gradient exactly twice the right one: backward runs twice in the driver,
    and the second call added to what the first left (self.dW += ...)."""
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape or not _informative(expected, run) or \
            component.kind != "layer" or not key.startswith("d") or key == "dx":
        return None
    if not _close(actual, 2 * expected, run):
        return None
    return Finding("accumulated", key,
                   f"{key} is exactly twice the right value, after backward ran twice: each "
                   f"call adds to the gradient the previous one left (self.{key} += ...) "
                   f"instead of setting it", ("stale-forward", "state-mutated"))


def not_finite(component, run, key, oracle):
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape or not np.isfinite(expected).all():
        return None
    if np.isfinite(actual).all():
        return False
    large = max((np.abs(np.asarray(v, dtype=np.float64)).max(initial=0)
                 for v in run.inputs.values() if np.asarray(v).dtype.kind == "f"), default=0)
    overflow = np.isnan(actual).any() or large > 50
    return Finding("not-finite", key,
                   f"{key} has NaN or infinite values where the right ones are finite"
                   + (": an overflow (exp of large numbers) or a log of 0" if overflow else
                      " (the inputs are small: an infinite value put there, a padding "
                      "value?)"), ("numerical-stability",) if overflow else ())


def _log_guard(p, loss):
    """The guard e for which -mean(log(p + e)) is `loss` (bisected on log10 e), or None."""
    def f(e):
        return -np.mean(np.log(p + e))
    low, high = -30.0, 10.0  # f falls as e grows
    if not f(10 ** high) <= loss <= f(10 ** low):
        return None
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if f(10 ** mid) > loss else (low, mid)
    return 10 ** ((low + high) / 2)


def log_guard(component, run, key, oracle):
    """A cross-entropy loss that is the right one with another constant in the log, log(y +
    e): a guard typed wrong (1e7 for 1e-7, or as large as 1e-4, which shifts every loss).
    Only a guard of one significant digit counts (a typed constant), and the cases must agree
    on it (the options are its value)."""
    x, t = run.inputs.get("x"), run.inputs.get("t")
    actual, expected = _pair(run, key)
    if key != "loss" or actual is None or actual.size != 1 or x is None or t is None \
            or np.ndim(x) != 2:
        return None
    x = np.asarray(x, dtype=np.float64)
    labels = np.argmax(t, axis=1) if np.ndim(t) == 2 else np.asarray(t).astype(int)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    p = (e / e.sum(axis=1, keepdims=True))[np.arange(len(x)), labels]
    guard = _log_guard(p, float(actual.reshape(-1)[0]))
    if guard is None:
        return False
    typed = float(f"{guard:.0e}")
    if abs(guard - typed) > 1e-3 * typed or 1e-9 <= typed <= 1e-6:
        return False  # no typed constant, or a guard as harmless as the book's
    return Finding.of_options("log-guard", key, f"{key} is the right cross-entropy but for "
                                                f"the constant in its log: ",
                              {f"log(y + {typed:g}), a guard large enough to shift the loss, "
                               f"where a tiny one (1e-7) belongs": ("numerical-stability",)})


def half_precision(component, run, key, oracle):
    """An output computed in a narrower float than its input (float16, or float32 for float64
    input): it keeps too few digits for the answer (np.exp(x.astype(np.float16)))."""
    raw = run.outcome.outputs.get(key)
    given = [np.asarray(v).dtype for v in run.inputs.values() if np.asarray(v).dtype.kind == "f"]
    if raw is None or np.asarray(raw).dtype.kind != "f" or not given:
        return None
    narrow = np.asarray(raw).dtype
    if narrow.itemsize >= max(d.itemsize for d in given):
        return None
    return Finding("half-precision", key,
                   f"{key} comes back as {narrow} for {max(given, key=lambda d: d.itemsize)} "
                   f"input: it was computed in a narrower float, which keeps too few digits "
                   f"(float16 about three, and overflows past 65504)",
                   ("numerical-stability",) if narrow == np.float16 else
                   ("numerical-stability", "integer-dtype"))


def whole_numbers(component, run, key, oracle):
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape:
        return None
    raw = np.asarray(run.outcome.outputs[key])
    if raw.dtype.kind in "iu" and not np.allclose(expected, np.round(expected)):
        return Finding("whole-numbers", key,
                       f"{key} comes back as {raw.dtype} where the right values have fractions: "
                       f"an integer buffer (np.zeros(..., dtype=int)) or a sum with dtype=int "
                       f"drops them", ("integer-dtype",))
    if expected.size < 4:  # a loss: floored (// for /) is exact, and no other slip gives it
        floored = np.floor(expected)
        if not expected.size or (expected == floored).any() or not floored.all():
            return None  # whole already, or floored to 0, which any value near 0 looks like
        if not _close(actual, floored, run):
            return False
        return Finding("floored", key,
                       f"{key} is exactly the right value rounded down to a whole number: a "
                       f"floor division (//) where / was meant", ("integer-dtype",))
    fractional = expected != np.round(expected)
    if np.mean(fractional) < 0.5:
        return None  # the right answer is mostly whole numbers itself
    if not actual.any():
        return None  # all zeros: nothing was written, which says nothing of the dtype
    raw = np.asarray(run.outcome.outputs[key])
    if raw.dtype.kind in "iu" or np.all(actual == np.round(actual)):
        truncated = _close(actual, np.trunc(expected), run)
        # only 0s and 1s, not the truncated answer: as much a mask or an indicator (a local
        # derivative) never multiplied by the gradient coming in as an integer buffer
        indicator = not truncated and bool(np.isin(actual, (0, 1)).all())
        return Finding("whole-numbers", key,
                       f"{key} holds only whole numbers ({raw.dtype}) where the right values "
                       f"have fractions" + (": they are the right values truncated" if truncated
                                            else "") + "; an integer buffer (np.zeros(..., "
                       "dtype=int), or np.zeros_like of an integer array) drops the fractions"
                       + (", or, as it holds only 0s and 1s, a mask or a derivative left "
                          "unmultiplied by the gradient coming in" if indicator else ""),
                       ("integer-dtype",) + (("missing-term",) if indicator else ()))
    return False


def negated_in_part(component, run, key, oracle):
    """Right everywhere but at some entries, which hold the right value with its sign flipped
    (1 - y where y - 1 belongs, at the targets only): a subtraction reversed in one term."""
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape or not _informative(expected, run):
        return None
    rtol, atol = compare.tolerance(run.case)
    right = np.isclose(actual, expected, rtol=rtol, atol=atol)
    flipped = np.isclose(actual, -expected, rtol=rtol, atol=atol) & ~right
    if right.all():
        return None
    if not (right | flipped).all():
        return False
    return Finding("negated-in-part", key,
                   f"{key} is right except at {int(flipped.sum())} of its {flipped.size} "
                   f"entries, which hold the right value with its sign flipped: one term's "
                   f"subtraction reversed (1 - y for y - 1)", ("sign",))


def negated(component, run, key, oracle):
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape or not _informative(expected, run):
        return None
    if not _close(actual, -expected, run):
        return False
    # a minus sign added or left out, or the two operands of a subtraction swapped (t - y
    # for y - t): the output cannot tell which
    return Finding("negated", key, f"{key} is exactly the right value with its sign flipped "
                                   f"(a minus sign, or the operands of a subtraction swapped)",
                   ("sign", "swapped-arguments"))


def _scale_words(run, k):
    """{symbol: words}: which of the case's numbers the factor k is: {'1/N': '1/N (N = 2)'},
    every one that fits (N and K may both be 4 in one case)."""
    p = run.case.params
    named = {}
    for name in ("N", "C", "FN", "K", "stride"):
        if isinstance(p.get(name), int) and p[name] > 1:
            named[name] = p[name]
    for a, b in (("FH", "FW"), ("PH", "PW")):
        if isinstance(p.get(a), int) and p[a] * p[b] > 1:
            named[f"{a}*{b}"] = p[a] * p[b]
    shape = p.get("x_shape") or p.get("shape")
    if shape and shape[0] > 1:
        named.setdefault("N", shape[0])
    for inputs_key in ("dout",):
        arr = run.inputs.get(inputs_key)
        if arr is not None and arr.ndim == 4:
            positions = arr.shape[0] * arr.shape[2] * arr.shape[3]
            named.setdefault("N*out_h*out_w", positions)
            named.setdefault("out_h*out_w", arr.shape[2] * arr.shape[3])
    found = {}
    for name, value in named.items():
        for factor, words in ((value, name), (1 / value, f"1/{name}")):
            if np.isclose(k, factor, rtol=1e-6):
                found[words] = f"{words} ({name} = {value})"
    # one count divided by where another belongs (dx / K for dx / N): their ratio
    for (a, va), (b, vb) in itertools.permutations(named.items(), 2):
        if va != vb and np.isclose(k, va / vb, rtol=1e-6):
            found[f"{a}/{b}"] = f"{a}/{b}: divided by {b} where {a} belongs"
    # a logarithm in another base is the natural one times a constant
    for base, words in ((10, "np.log10"), (2, "np.log2")):
        if np.isclose(k, 1 / np.log(base), rtol=1e-6):
            found[f"1/ln {base}"] = f"1/ln {base}: {words} where np.log belongs"
    return found


def scaled(component, run, key, oracle):
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape or not _informative(expected, run):
        return None
    k = float(np.vdot(actual, expected) / np.vdot(expected, expected))
    if not np.isfinite(k) or abs(k) < 1e-12 or np.isclose(k, 1):
        return None
    if np.isclose(k, -1):
        return False  # a flipped sign is another relation (negated)
    if not _close(actual, k * expected, run):
        return False
    named = _scale_words(run, k)
    if actual.size == 1 and not named:
        return False  # any number is some multiple of another: only a named factor says more
    # the factor's symbol is what must hold on every case (its number changes with the
    # case), or the number itself where it is the same in every case
    options = {f"a factor of {symbol}": ("scale",) for symbol in named}
    options[f"a factor of {k:.6g}"] = ("scale",)
    return Finding("scaled", key, f"{key} is exactly {k:.6g} times the right value: "
                   + _one_of(options), ("scale",), options=options)


# k in actual = expected + k * b: what it says of the term b
_TERM_MULTIPLES = {
    -1: {"`{name}` is never added": ("missing-term",)},
    -2: {"`{name}` is subtracted where it should be added": ("sign",)},
}
# a term as large as the output itself is no bias left out: the formula may have it with the
# wrong sign and half its weight ((|x| - x) / 2 is the right value minus x)
_WHOLE_TERM = {-1: {"`{name}` is subtracted with half its weight": ("sign",)}}


def input_term_off(component, run, key, oracle):
    """actual = expected + k * b, with b an input broadcast along one axis and k = -1 (the
    term never added) or -2 (subtracted instead of added)."""
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape:
        return None
    diff = actual - expected
    for name, value in run.inputs.items():
        v = np.asarray(value, dtype=np.float64)
        if v.ndim != 1 or v.size < 2 or not np.abs(v).max(initial=0):
            continue
        for axis, size in enumerate(actual.shape):
            if size != v.size:
                continue
            shape = [1] * actual.ndim
            shape[axis] = size
            term = np.broadcast_to(v.reshape(shape), diff.shape)
            for k, options in _TERM_MULTIPLES.items():
                if v.size == actual.size:
                    options = {**options, **_WHOLE_TERM.get(k, {})}
                if _close(diff, k * term, run):
                    return Finding.of_options(
                        f"input-term:{k}", key,
                        f"{key} is the right value {'minus' if k < 0 else 'plus'} {abs(k)} x "
                        f"the input `{name}` along axis {axis}: ",
                        {w.format(name=name): c for w, c in options.items()})
    return None


def gate_leaks(component, run, key, oracle):
    """Right where the answer is not zero, and k times an input where it is (a gate that
    should zero those entries lets k of them through: a leaky ReLU's slope)."""
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape or not _informative(expected, run):
        return None
    rtol, atol = compare.tolerance(run.case)
    gated = np.abs(expected) <= atol
    if gated.all() or not gated.any() or not _close(actual[~gated], expected[~gated], run):
        return None
    for name, value in run.inputs.items():
        v = np.asarray(value, dtype=np.float64)
        if v.shape != actual.shape or not np.abs(v[gated]).max(initial=0) > 10 * atol:
            continue
        k = float(np.vdot(actual[gated], v[gated]) / np.vdot(v[gated], v[gated]))
        if abs(k) > 1e-6 and not np.isclose(k, 1) and _close(actual[gated], k * v[gated], run):
            options = {f"{k:.6g} times `{name}`": ("scale",)}
            return Finding.of_options("gate-leaks", key,
                                      f"{key} is right where the answer is not zero, and where "
                                      f"it is (the gate should zero those entries) it is: ",
                                      options)
    return False


def equals_an_input(component, run, key, oracle):
    actual, expected = _pair(run, key)
    if actual is None or not _informative(expected, run):
        return None
    for name, value in run.inputs.items():
        v = np.asarray(value, dtype=np.float64)
        if v.shape == actual.shape and not _close(v, expected, run) and _close(actual, v, run):
            if key == f"d{name}":  # a parameter's gradient that is the parameter itself
                return Finding("equals-parameter", key,
                               f"{key} is the parameter `{name}` itself, not its gradient: it "
                               f"is read from the wrong place", ("wrong-cached-value",))
            if name == "dout":  # backward transforms dout with what forward stored
                return Finding("equals-input", key,
                               f"{key} is its input `dout`, unchanged: the step that should "
                               f"transform it (a mask, a product) is left out, or what "
                               f"forward stored for it changes nothing (a mask that is never "
                               f"true)", ("missing-term", "wrong-cached-value"))
            return Finding("equals-input", key,
                           f"{key} is its input `{name}`, unchanged: the step that should "
                           f"transform it (a mask, a product) is left out", ("missing-term",))
    return None


def complement(component, run, key, oracle):
    """actual + expected = an input: the wrong half of the input is kept (a mask inverted, or
    a comparison the wrong way round)."""
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape:
        return None
    for name, value in run.inputs.items():
        v = np.asarray(value, dtype=np.float64)
        if v.shape != actual.shape or _close(actual, v, run) or _close(expected, v, run):
            continue
        kept = np.abs(actual) > 0
        if kept.any() and (~kept).any() and _close(actual + expected, v, run):
            forward = key in ("out", "col", "scores", "loss")
            return Finding("complement", key,
                           f"{key} keeps exactly the entries of `{name}` that should be zero "
                           f"and zeroes the ones that should be kept: "
                           + ("the mask's comparison is the wrong way round, or the two "
                              "branches of a choice (np.where) swapped" if forward else
                              "backward applies the mask inverted"),
                           # an inverted mask is a comparison reversed as often as two
                           # operands given in the wrong order
                           ("sign", "swapped-arguments") if forward
                           else ("wrong-cached-value", "sign"))
    return None


def _layouts(component, run, key, expected):
    """Ways to see the right answer as a higher-dimensional array whose axes a student may
    have ordered otherwise: (description, shape)."""
    p = run.case.params
    layouts = [("its axes", expected.shape)]
    if component.geometry is None:
        return layouts
    try:
        oh, ow = component.geometry.right(p)
    except (KeyError, TypeError):
        return layouts
    kh, kw = (p.get("FH"), p.get("FW")) if "FH" in p else (p.get("PH"), p.get("PW"))
    if key == "col" and expected.ndim == 2:
        layouts.append(("(N, out_h, out_w, C, FH, FW)", (p["N"], oh, ow, p["C"], kh, kw)))
    if key == "dW" and expected.ndim == 4:
        layouts.append(("(FN, C, FH, FW)", expected.shape))
    return layouts


def reordered(component, run, key, oracle):
    """The right values in another order: some axes transposed, or reshaped without the
    transpose that should come first."""
    actual, expected = _pair(run, key)
    if actual is None or actual.size != expected.size or actual.size < 2:
        return None
    if not _close(np.sort(actual, axis=None), np.sort(expected, axis=None), run):
        return False
    if expected.ndim == 2 and actual.shape == expected.shape and _close(
            expected.reshape(expected.shape[::-1]).T, actual, run):
        return Finding("reshaped-then-transposed", key,
                       f"{key} holds the right values in another order: reshaped to "
                       f"{expected.shape[::-1]} and then transposed (.reshape(-1, rows).T) "
                       f"instead of reshaped to {expected.shape} directly", ("axis-order",))
    for description, shape in _layouts(component, run, key, expected):
        if len(shape) > 6 or int(np.prod(shape)) != expected.size:
            continue
        base = expected.reshape(shape)
        for order in itertools.permutations(range(len(shape))):
            if order == tuple(range(len(shape))):
                continue
            moved = base.transpose(order)
            if _close(moved.reshape(actual.shape), actual, run):
                how = ("transposed" if moved.shape == actual.shape else
                       "taken in another axis order and reshaped (a reshape without the "
                       "transpose it needs)")
                return Finding("reordered", key,
                               f"{key} holds the right values in another order: seen as "
                               f"{description}, they are {how} with axes {order}"
                               + (" (two indices, or the operands of a product, swapped?)"
                                  if _one_swap(order) or _product(key) else ""),
                               ("axis-order", "swapped-arguments") if _product(key) else
                               _order_classes(order))
    # no order of the axes explains it: an array read in another layout than it was stored
    return Finding("reordered-unknown", key,
                   f"{key} holds exactly the right values, but in an order no transpose of "
                   f"its axes gives: an array read in another layout than it has (reshaped "
                   f"without its transpose, or stored before it was flattened?)",
                   ("axis-order", "wrong-cached-value"))


def _product(key):
    """A weight's gradient is a matrix product (x.T @ dout): its operands swapped give its
    transpose, which reshaped reads as any reordering of the weight's axes."""
    return key.startswith("dW")


def _one_swap(order):
    """The permutation exchanges exactly two axes."""
    return sum(i != j for i, j in enumerate(order)) == 2


def _order_classes(order):
    """Two axes exchanged is what two swapped indices, loop offsets or product operands give
    ((A B).T = B.T A.T) as much as a missing transpose: the output cannot tell them apart."""
    return ("axis-order", "swapped-arguments") if _one_swap(order) else ("axis-order",)


def shifted(component, run, key, oracle):
    """A 4-D output equal to the right one moved by a few rows/columns (a crop off by the
    padding, or by one)."""
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape or actual.ndim != 4:
        return None
    pad = run.case.params.get("pad") if isinstance(run.case.params.get("pad"), int) else 0
    steps = sorted({1, pad, 2 * pad} - {0})
    h, w = actual.shape[2:]
    for dy, dx in itertools.product([0, *steps, *(-s for s in steps)], repeat=2):
        if (dy, dx) == (0, 0) or abs(dy) >= h or abs(dx) >= w:
            continue
        a = actual[:, :, max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
        e = expected[:, :, max(0, dy):h - max(0, -dy), max(0, dx):w - max(0, -dx)]
        if a.size * 2 >= actual.size and _close(a, e, run):
            by_pad = pad and {abs(dy), abs(dx)} <= {0, pad}
            return Finding("shifted", key,
                           f"{key} is the right image moved by {dy} rows and {dx} columns"
                           + (" (the padding): the crop that removes the padding starts at "
                              "the wrong offset" if by_pad else ""),
                           ("padding",) if by_pad else ())
    return None


def _coverage(component, run, shape):
    """How many windows cover each pixel of an (N, C, H, W) input."""
    p = run.case.params
    kh, kw = (p["FH"], p["FW"]) if "FH" in p else (p["PH"], p["PW"])
    oh, ow = component.geometry.right(p) if component.geometry else (
        (p["H"] + 2 * p["pad"] - kh) // p["stride"] + 1,
        (p["W"] + 2 * p["pad"] - kw) // p["stride"] + 1)
    ones = np.ones((shape[0] * oh * ow, shape[1] * kh * kw))
    return crop(fold(ones, shape, kh, kw, p["stride"], p["pad"]), shape, p["pad"])


def overlaps_only(component, run, key, oracle):
    """Right wherever one window covers a pixel, wrong only where windows overlap: the
    contributions of overlapping windows are overwritten instead of added."""
    actual, expected = _pair(run, key)
    p = run.case.params
    if actual is None or actual.shape != expected.shape or actual.ndim != 4 or \
            "stride" not in p or ("FH" not in p and "PH" not in p):
        return None
    cover = _coverage(component, run, actual.shape)
    rtol, atol = compare.tolerance(run.case)
    wrong = np.abs(actual - expected) > atol + rtol * np.abs(expected)
    single = (cover == 1) & (np.abs(expected) > atol)
    if not (cover > 1).any() or not single.any():
        return None  # nothing to compare with: no pixel a single window covers has a value
    if _close(actual * np.maximum(cover, 1), expected, run):
        return Finding("divided-by-cover", key,
                       f"{key} is the right value divided by the number of windows that cover "
                       f"each pixel: overlapping contributions are averaged instead of added",
                       ("scale",))
    if wrong.any() and not (wrong & (cover <= 1)).any():
        return Finding("overlaps-only", key,
                       f"{key} is right wherever a single window covers a pixel and wrong "
                       f"only where windows overlap: overlapping contributions are "
                       f"overwritten (=) instead of added (+=)", ("overwrite",))
    return False


def _axes_of_layouts(component, run, key):
    """(description, axis, size, actual, expected, wrong) for each axis of the output and of
    its layouts (the output seen as (N, out_h, out_w, C, FH, FW), ...), the arrays reshaped
    to the layout; nothing where the output is right or not comparable."""
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape or actual.ndim < 1:
        return
    rtol, atol = compare.tolerance(run.case)
    for description, shape in _layouts(component, run, key, expected):
        if int(np.prod(shape)) != expected.size:
            continue
        a, e = actual.reshape(shape), expected.reshape(shape)
        wrong = np.abs(a - e) > atol + rtol * np.abs(e)
        if not wrong.any():
            return
        for axis, size in enumerate(shape):
            if size >= 2:
                yield description, axis, size, a, e, wrong


def all_zeros(component, run, key, oracle):
    """Nothing but zeros where the right answer is not: nothing was written to it, or
    everything was masked (x[None] = 0 zeroes every entry: a mask of None, never set).
    Weak: tried late."""
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape or not _informative(expected, run):
        return None
    if actual.any():
        return False
    return Finding("all-zeros", key,
                   f"{key} is all zeros: nothing was written to it (a buffer returned unfilled, "
                   f"a result never assigned), or every entry was masked (indexing with a mask "
                   f"of None, never set, selects them all)",
                   ("missing-term", "stale-forward", "wrong-cached-value"))


def zeros_at_one_index(component, run, key, oracle):
    """Right everywhere but at one index of one axis (of the output or of its layout), where it
    is zero: a loop that skips that part, or whose range stops one short (the last index: a
    count off by one, range(out_h - 1)). Each axis that fits is an option, narrowed over the
    failing cases."""
    options = {}
    for description, axis, size, a, _, wrong in _axes_of_layouts(component, run, key):
        hit = np.flatnonzero(wrong.any(axis=tuple(i for i in range(wrong.ndim) if i != axis)))
        if len(hit) == 1 and not np.take(a, hit[0], axis=axis).any():
            if hit[0] == size - 1:
                options[f"the last index of axis {axis} (seen as {description})"] = (
                    "missing-term", "output-size")
            else:
                options[f"index {hit[0]} of axis {axis} (seen as {description})"] = (
                    "missing-term",)
    return Finding.of_options("zeros-at-index", key,
                              f"{key} is right except for zeros that a loop skipping a part, "
                              f"or a range that stops one short, leaves at: ", options)


def _sample_terms(v, shape):
    """{sample index: that sample's term of a sum over the samples (axis 0) of `v` that gives
    `shape`}: the sample's slice itself, or summed over every axis but the one of shape's
    size (a bias gradient summed over the positions too)."""
    terms = {}
    for i in (0, v.shape[0] - 1):
        one = v[i]
        if one.shape == shape:
            terms[i] = one
        elif len(shape) == 1:
            axes = [j for j, size in enumerate(one.shape) if size == shape[0]]
            if len(axes) == 1:
                terms[i] = one.sum(axis=tuple(j for j in range(one.ndim) if j != axes[0]))
    return terms


def sum_misses_a_sample(component, run, key, oracle):
    """A sum over the samples that leaves out the first one (a loop from 1) or the last one
    (a range one short): the right value minus that sample's term."""
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape or not _informative(expected, run):
        return None
    diff = actual - expected
    applies = False
    for name, value in run.inputs.items():
        v = np.asarray(value, dtype=np.float64)
        if v.ndim < 2 or v.shape[0] < 2:
            continue
        for i, term in _sample_terms(v, diff.shape).items():
            applies = True
            if np.abs(term).max(initial=0) > 0 and _close(diff, -term, run):
                first = i == 0
                return Finding.of_options(
                    f"sum-misses-sample:{'first' if first else 'last'}", key,
                    f"{key} is the right sum over the samples of `{name}` without the "
                    f"{'first' if first else 'last'} sample's term: ",
                    {"a loop that starts at 1": ("missing-term",)} if first else
                    {"a range that stops one short": ("missing-term", "output-size")})
    return False if applies else None


def kept_entries_only(component, run, key, oracle):
    """A flat output that holds exactly the right answer's entries that are not zero: a
    boolean selection (dout[mask]) where the other entries should have been set to zero."""
    actual, expected = _pair(run, key)
    if actual is None or actual.ndim != 1 or actual.size >= expected.size or \
            not _informative(expected, run):
        return None
    rtol, atol = compare.tolerance(run.case)
    kept = expected[np.abs(expected) > atol]
    if kept.size == actual.size and _close(actual, kept, run):
        return Finding("kept-entries-only", key,
                       f"{key} holds only the right answer's entries that are not zero, "
                       f"flattened ({actual.size} of {expected.size}): a boolean selection "
                       f"(a[mask]) where the other entries should be set to zero",
                       ("missing-term", "output-size"))
    return False


def last_index_only(component, run, key, oracle):
    """Right at the last index of one axis (of the output or of its layout) and zero at every
    other: only the loop's last pass kept its values, the buffer re-created (or reset)
    inside the loop."""
    for description, axis, size, a, e, wrong in _axes_of_layouts(component, run, key):
        kept = np.take(a, [size - 1], axis=axis)
        earlier = np.take(a, range(size - 1), axis=axis)
        if not earlier.any() and kept.any() and \
                _close(kept, np.take(e, [size - 1], axis=axis), run) \
                and np.take(wrong, range(size - 1), axis=axis).any():
            return Finding("last-index-only", key,
                           f"{key} is right at the last index of axis {axis} (seen as "
                           f"{description}) and zero at every other: only the last pass "
                           f"of a loop kept its values (the buffer is created, or reset, "
                           f"inside the loop)", ("overwrite",))
    return None


# the driver's own words for an output the implementation never set
_NEVER_SET = (re.compile(r"keeps no gradient in `(\w+)`"),
              re.compile(r"must return a dict with keys \[([^\]]*)\]; got \[([^\]]*)\]"),
              re.compile(r"gradient\(\)\['(\w+)'\]` returned None"))


def never_computed(component, run, key, oracle):
    """An output missing because the implementation never set it (an attribute left None, a
    key left out of a dict), while the call itself went through."""
    if key in run.outcome.outputs or run.outcome.status != "ok":
        return None
    for text in _error_texts(run):
        attribute = _NEVER_SET[0].search(text)
        listed = _NEVER_SET[1].search(text)
        missing = {attribute.group(1)} if attribute else set()
        missing |= {f"d{name}" for name in _NEVER_SET[2].findall(text)}
        if listed:
            wanted, got = (set(re.findall(r"'(\w+)'", g)) for g in listed.groups())
            missing |= {f"d{k}" for k in wanted - got} | (wanted - got)
        if key in missing:
            # a value never stored under its own name is left out, or stored under
            # another name, overwriting what that held (self.b = ... for self.db = ...)
            return Finding("never-set", key,
                           f"{key} is never set: the implementation computes the others and "
                           f"leaves this one out, or stores it under another name",
                           ("missing-term", "overwrite"))
    return None


def where_wrong(component, run, key, oracle):
    """Facts about where the wrong values are (one sample, one channel, the last row...)."""
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape or actual.ndim < 2:
        return None
    rtol, atol = compare.tolerance(run.case)
    wrong = np.abs(actual - expected) > atol + rtol * np.abs(expected)
    if not wrong.any() or wrong.all():
        return None
    if actual.ndim == 4:
        pad = run.case.params.get("pad")
        h, w = actual.shape[2:]
        if isinstance(pad, int) and pad > 0:
            border = np.ones((h, w), dtype=bool)
            border[pad:h - pad, pad:w - pad] = False
            inner = ~border & (np.abs(expected) > atol)  # right values away from the border
            if inner.any() and not (wrong & ~border).any():
                return Finding("border-only", key,
                               f"only the cells of {key} within {pad} of the edge (those the "
                               f"padding touches) are wrong", ())
        edge = np.zeros((h, w), dtype=bool)
        edge[-1, :] = edge[:, -1] = True
        if not (wrong & ~edge).any():
            return Finding("last-row-column", key,
                           f"only the last row and column of {key} are wrong", ())
    return None


def _counterfactual_params(component, p):
    """(words, bug classes, params): the case with one argument ignored or two swapped."""
    changes = []
    if isinstance(p.get("pad"), int) and p["pad"] > 0:
        changes.append(("pad 0 (the padding ignored)", ("padding",), {"pad": 0}))
    for a, b in (("FH", "FW"), ("PH", "PW")):
        if a in p and p[a] != p[b]:
            changes.append((f"{a} and {b} swapped", ("swapped-arguments",),
                            {a: p[b], b: p[a]}))
    if isinstance(p.get("pad"), int) and "stride" in p and p["pad"] != p["stride"] and \
            p["pad"] > 0:
        changes.append(("stride and pad swapped", ("swapped-arguments",),
                        {"stride": p["pad"], "pad": p["stride"]}))
    if "PH" in p and p["stride"] != p["PH"]:
        changes.append((f"stride {p['PH']}, the window's height (windows that never overlap "
                        f"nor skip)", ("stride",), {"stride": p["PH"]}))
    return changes


def _counterfactual_inputs(inputs):
    """(words, bug classes, changed inputs): two inputs of one shape swapped; x negated."""
    found = []
    names = [n for n, v in inputs.items() if np.asarray(v).dtype.kind == "f"]
    for a, b in itertools.combinations(names, 2):
        if np.shape(inputs[a]) == np.shape(inputs[b]):
            found.append((f"`{a}` and `{b}` swapped", ("swapped-arguments",),
                          {a: inputs[b], b: inputs[a]}))
    if np.ndim(inputs.get("W")) == 4:  # the filters read backwards in both directions
        found.append(("the filters flipped (W[:, :, ::-1, ::-1]): a convolution where the "
                      "chapter's cross-correlation is meant", ("axis-order",),
                      {"W": np.ascontiguousarray(np.asarray(inputs["W"])[:, :, ::-1, ::-1])}))
    if "x" in names:
        found.append(("-x (a comparison or sign the wrong way: the minimum for the maximum, "
                      "...)", ("sign",), {"x": -np.asarray(inputs["x"])}))
    x, t = inputs.get("x"), inputs.get("t")
    if t is not None and np.ndim(x) == 2:  # scores and targets: the predictions kept instead
        predicted = np.argmax(x, axis=1)
        if np.ndim(t) == 2:
            predicted = np.eye(np.shape(x)[1], dtype=np.asarray(t).dtype)[predicted]
        found.append(("the predicted classes as the targets (self.t = y.argmax(...)): the "
                      "wrong value kept for backward", ("wrong-cached-value",),
                      {"t": predicted.astype(np.asarray(t).dtype)}))
    return found


def right_for_another_case(component, run, key, oracle):
    """The output is exactly the right one for the case with an argument ignored or two
    arguments swapped."""
    actual, expected = _pair(run, key)
    if actual is None:
        return None
    for words, classes, change in _counterfactual_params(component, run.case.params):
        other = component.neighbour(run.case, change)
        if other is None:
            continue
        try:
            alternative = oracle.compute(component, other.params, run.inputs)
        except Exception:  # the inputs do not fit that case (dout's size, ...)
            continue
        if key in alternative and _close(actual, alternative[key], run):
            return Finding(f"right-for:{words}", key,
                           f"{key} is exactly the right answer for {words}", classes)
    for words, classes, changed in _counterfactual_inputs(run.inputs):
        try:
            alternative = oracle.compute(component, run.case.params, {**run.inputs, **changed})
        except Exception:
            continue
        if key in alternative and not _close(alternative[key], expected, run) and \
                _close(actual, alternative[key], run):
            return Finding(f"right-for:{words}", key,
                           f"{key} is exactly the right answer for {words}", classes)
    w = run.inputs.get("W")
    if w is not None and np.ndim(w) == 2 and w.shape[0] == w.shape[1]:
        try:
            alternative = oracle.compute(component, run.case.params,
                                         {**run.inputs, "W": np.ascontiguousarray(w.T)})
        except Exception:
            alternative = {}
        if key in alternative and _close(actual, alternative[key], run):
            return Finding("right-for:W.T", key,
                           f"{key} is exactly what the right code gives with W transposed: "
                           f"W and W.T are swapped (dout @ W instead of dout @ W.T)",
                           ("swapped-arguments",))
    return None


def _previous_answer(component, run, key, oracle):
    """The right answer for `key` on the warm-up call's input (the call before the judged
    one), or None where it cannot be computed."""
    if "x" not in run.inputs:
        return None
    earlier = dict(run.inputs)
    earlier["x"] = drivers._other_values(run.inputs["x"])
    if component.kind == "network":
        earlier["t"] = np.asarray(run.inputs["t"])[::-1].copy()
    try:
        return oracle.compute(component, run.case.params, earlier).get(key)
    except Exception:
        return None


def previous_call(component, run, key, oracle):
    """The output is the right answer for the warm-up call's input (the call before the judged
    one): a value cached by an earlier call, never refreshed."""
    actual, expected = _pair(run, key)
    earlier = None if actual is None else _previous_answer(component, run, key, oracle)
    if earlier is None:
        return None
    if not _close(earlier, expected, run) and _close(actual, earlier, run):
        return Finding("previous-call", key,
                       f"{key} is exactly the right answer for the input of the previous call: "
                       f"a value stored by an earlier forward pass is used, not the current one "
                       f"(a cache filled only once, or a gradient without its own forward pass)",
                       ("stale-forward",))
    return False


def previous_call_in_part(component, run, key, oracle):
    """Right everywhere but where it holds the previous call's answer, entry for entry: a
    buffer kept on the layer and written only in part, or a cache refreshed in part (the
    whole answer stale is the case of no entry right)."""
    actual, expected = _pair(run, key)
    earlier = None if actual is None else _previous_answer(component, run, key, oracle)
    if earlier is None or np.shape(earlier) != actual.shape:
        return None
    rtol, atol = compare.tolerance(run.case)
    earlier = np.asarray(earlier, dtype=np.float64)
    wrong = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
    if wrong.sum() < 2 or not earlier[wrong].any() or not np.allclose(
            actual[wrong], earlier[wrong], rtol=rtol, atol=atol):
        return False
    return Finding("previous-call-in-part", key,
                   f"{key} is right except where it holds the previous call's answer: values "
                   f"left from an earlier call (a buffer kept on the layer and written only "
                   f"in part, or a cache refreshed in part)", ("state-mutated", "stale-forward"))


def times_another_output(component, run, key, oracle):
    """dx = dout * (another output of the layer, such as its forward output): backward
    multiplies by the wrong stored value."""
    actual, expected = _pair(run, key)
    dout = run.inputs.get("dout")
    if actual is None or dout is None or np.shape(dout) != actual.shape:
        return None
    for other, value in run.expected.items():
        v = np.asarray(value, dtype=np.float64)
        if other != key and v.shape == actual.shape and _close(actual, dout * v, run) and \
                not _close(expected, dout * v, run):
            return Finding("times-other", key,
                           f"{key} is dout times the layer's `{other}`: backward multiplies "
                           f"by the wrong stored value", ("wrong-cached-value",))
    return None


# the reductions a student may run over the wrong axes
_REDUCTIONS = (("summed", np.sum), ("reduced with np.max", np.max), ("averaged", np.mean))


def _sum_is_right(g, axes, expected, run):
    """Whether summing over these axes gives the right value: then the axes are right, and a
    mean over them is a scale, not a reduction over the wrong axes."""
    summed = g.sum(axis=axes)
    return summed.size == expected.size and _close(summed.reshape(expected.shape), expected, run)


def _reduces_to(value, expected, run):
    """Whether some sum of the array over some of its axes is the right answer."""
    g = np.asarray(value, dtype=np.float64)
    return g.dtype.kind == "f" and any(
        _sum_is_right(g, axes, expected, run) for r in range(1, g.ndim + 1)
        for axes in itertools.combinations(range(g.ndim), r))


def sums_other_axes(component, run, key, oracle):
    """A reduction over the wrong axes of an input (db summed over the filters instead of the
    positions; np.max(x, 0) for np.maximum(x, 0))."""
    actual, expected = _pair(run, key)
    if actual is None:
        return None
    sources = [name for name, value in run.inputs.items() if _reduces_to(value, expected, run)]
    for name, value in run.inputs.items():
        g = np.asarray(value, dtype=np.float64)
        if g.ndim < 2 or (sources and name not in sources):
            continue  # summing another input than the one the answer is a sum of: the wrong
            # array, not the wrong axes (sum_of_another)
        for (words, reduce), r in itertools.product(_REDUCTIONS, range(1, g.ndim + 1)):
            for axes in itertools.combinations(range(g.ndim), r):
                reduced = reduce(g, axis=axes)
                if reduced.size == actual.size and not _sum_is_right(g, axes, expected, run) \
                        and _close(actual.reshape(-1), reduced.reshape(-1), run):
                    return Finding("sums-other-axes", key,
                                   f"{key} is `{name}` {words} over axes {axes}, which are "
                                   f"the wrong ones", ("reduction-axis",))
    return None


def changed_inputs(component, run, key, oracle):
    """The array contract: which inputs came back changed (judged from the arrays)."""
    if key != "(inputs)":
        return None
    from .. import divergences

    changed = engine.mutated_inputs(run.inputs, run.outcome.inputs_after)
    excused = divergences.allowed_mutations(_ACCEPTED.get(), component.name)
    changed = [k for k in changed if k not in excused]
    if not changed:
        return None
    return Finding("changed-inputs", "(inputs)",
                   f"it changes its input {', '.join(f'`{k}`' for k in changed)} in place (the "
                   f"caller's array): an in-place operation (x -= ..., x[mask] = 0, x.shape = "
                   f"...) on an array it was given", ("state-mutated",))


def integer_parameters(component, run, key, oracle):
    """A network whose parameter arrays are integers: the weights set into them are
    truncated (np.zeros(n, dtype=int), or from a list of ints)."""
    ints = [k[len("initial:"):] for k, v in run.outcome.outputs.items()
            if k.startswith("initial:") and np.asarray(v).dtype.kind in "iub"]
    if not ints:
        return None
    return Finding("integer-parameters", key,
                   f"params[{', '.join(repr(k) for k in ints)}] hold integers: the weights set "
                   f"into them are truncated", ("integer-dtype",))


def equals_another_output(component, run, key, oracle):
    """The output is exactly the right value of another output: two results mixed up."""
    actual, expected = _pair(run, key)
    if actual is None:
        return None
    for other, value in run.expected.items():
        if other == key or ":" in other or other in _DISCRETE:
            continue
        right = np.asarray(value, dtype=np.float64)
        if right.shape == actual.shape and not _close(right, expected, run) and \
                _informative(right, run) and _close(actual, right, run):
            back = compare.as_numbers(run.outcome.outputs.get(other))
            mutual = back is not None and _close(back, expected, run)
            return Finding(f"equals-other:{'mutual' if mutual else 'one-way'}", key,
                           f"{key} is exactly the right {other}" + (
                               f", and {other} the right {key}: the two are swapped" if mutual
                               else ": it is read from the wrong place"),
                           ("swapped-arguments",) if mutual else ("wrong-cached-value",))
    return None


def sum_of_another(component, run, key, oracle):
    """The output is another array of the call (an input, or another output's right answer)
    summed over one axis: the sum is taken of the wrong array (db = np.sum(dx, axis=0))."""
    actual, expected = _pair(run, key)
    if actual is None or actual.shape == () or ":" in key:
        return None
    arrays = {f"`{name}`": v for name, v in run.inputs.items()}
    arrays |= {f"the right `{name}`": v for name, v in run.expected.items()
               if name != key and ":" not in name and name not in _DISCRETE}
    for name, value in arrays.items():
        value = np.asarray(value)
        if value.dtype.kind != "f":
            continue
        for axis in range(value.ndim):
            total = value.sum(axis=axis)
            if total.shape == actual.shape and _informative(total, run) and \
                    not _close(total, expected, run) and _close(actual, total, run):
                return Finding("sum-of-another", key,
                               f"{key} is {name} summed over axis {axis}: the sum is taken of "
                               f"the wrong array, or of a name reused for it (dout = ...)",
                               ("wrong-cached-value", "swapped-arguments", "overwrite"))
    return None


_LAYOUTS = {
    # input name -> (the component's axis names for it, given the case)
    "col": lambda p, hw: (p["N"], hw[0], hw[1], p["C"], p["FH"], p["FW"]),
}


def right_for_reordered_input(component, run, key, oracle):
    """The output is the right answer for an input read in another axis order: a reshape of
    the input without the transpose it needs."""
    actual, expected = _pair(run, key)
    if actual is None or actual.shape != expected.shape:
        return None
    p = run.case.params
    for name, value in run.inputs.items():
        arr = np.asarray(value)
        if arr.ndim < 2 or arr.dtype.kind != "f":
            continue
        layout = arr.shape
        if name in _LAYOUTS and component.geometry is not None:
            layout = _LAYOUTS[name](p, component.geometry.right(p))
        elif name == "col" and "input_shape" in p:
            n, c, h, w = p["input_shape"]
            oh = (h + 2 * p["pad"] - p["FH"]) // p["stride"] + 1
            ow = (w + 2 * p["pad"] - p["FW"]) // p["stride"] + 1
            layout = (n, oh, ow, c, p["FH"], p["FW"])
        if int(np.prod(layout)) != arr.size or len(layout) > 6:
            continue
        for order in itertools.permutations(range(len(layout))):
            if order == tuple(range(len(layout))):
                continue
            # the memory of `arr` read as if its axes came in `order`
            moved = arr.reshape([layout[i] for i in order]).transpose(np.argsort(order))
            try:
                alternative = oracle.compute(component, p, {**run.inputs,
                                                            name: moved.reshape(arr.shape)})
            except Exception:
                continue
            if key in alternative and _close(actual, alternative[key], run):
                return Finding("reordered-input", key,
                               f"{key} is exactly the right answer for `{name}` read in "
                               f"another axis order ({order}): `{name}` is reshaped without "
                               f"the transpose it needs" + (
                                   ", or two of its indices are swapped" if _one_swap(order)
                                   else ""), _order_classes(order))
    return None


class _Accepted:
    """The accepted book differences of the diagnosis under way (for the contract check)."""

    names = frozenset()

    @classmethod
    def get(cls):
        return cls.names


_ACCEPTED = _Accepted


# Most specific first: where two relations of one output hold, the first one names it.
DETECTORS = (changed_inputs, setting_changed, second_call_differs, not_finite,
             half_precision, whole_numbers,
             integer_in_error,
             flattened_to_other_sizes,
    float_size_in_error,
             integer_parameters, never_computed, size_formula, slice_length_in_error,
             size_in_error,
    unexplained_size,
    wrong_size_in_error,
             log_guard,
             padded_batch_in_error, product_not_aligned, zero_stride_in_error,
             four_axes_got_two, four_axes_got_more, float_index_in_error, none_in_error,
             none_returned,
             other_kind_in_error, key_missing_in_error, scatter_count_in_error,
             batch_and_classes_in_error, reshaped_output,
             parameter_shape,
             crop_size, negated, negated_in_part, input_term_off,
             equals_another_output, equals_an_input, gate_leaks, previous_call,
             previous_call_in_part, complement,
             accumulated_over_calls, times_another_output, sums_other_axes,
             sum_of_another,
             accuracy_slips, empty_batch, accuracy_relations, right_for_another_case,
             overlaps_only, shifted, scaled,
             zeros_at_one_index, last_index_only, sum_misses_a_sample, kept_entries_only,
             right_for_reordered_input, reordered,
             # crashes that say little: only where nothing more specific is found
             sides_swapped_in_broadcast, index_out_of_bounds, shape_of_another_array,
             axis_missing_in_error, unexplained_size, wrong_size_in_error, all_zeros,
             flattened_to_other_sizes,
             where_wrong)
