"""Known wrong answers: what the book's code (divergences.toml) and the usual student bugs
output on a case's inputs. When an implementation fails and its output matches one of these,
the feedback names it; when the rubric accepts a book behaviour, a match to it passes.

Each variant predicts some outputs from the inputs and the correct answer. It is only used as
evidence where its prediction differs from the correct answer, and every bug variant has a
buggy implementation in tests/ that it must name (and a correct one it must not).
"""

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from .. import compare, divergences


@dataclass(frozen=True)
class Variant:
    name: str
    component: str
    predict: object  # (p, a, e) -> {output: array or [alternatives], "error": regex} or None
    hint: str = ""  # for bugs; book differences take theirs from divergences.toml
    requires: tuple = ()  # outputs that must be right before this variant counts as evidence
    overflow: bool = False  # it predicts NaN/inf on purpose (an overflow): only then do
    #                         NaNs in a prediction count as evidence


REGISTRY = {}


def variant(component, name, hint="", requires=(), overflow=False):
    def register(predict):
        REGISTRY.setdefault(component, []).append(
            Variant(name, component, predict, hint, tuple(requires), overflow))
        return predict
    return register


def hint(name, component):
    for v in REGISTRY.get(component, []):
        if v.name == name and v.hint:
            return v.hint
    return divergences.hint(name)


def matching(case, inputs, expected, outputs, keys, names=None):
    """Names of the variants whose prediction for every one of `keys` they predict matches
    the implementation's outputs (and differs from the correct answer). Variants see the
    inputs and the facts the implementation reported as data (outputs named `kind:name`,
    such as its parameters' initial values), never its answers."""
    rtol, atol = compare.tolerance(case)
    found = []
    requirements = {v.name: v.requires for v in REGISTRY.get(case.component, [])}
    evidence = _evidence(inputs, outputs)
    overflows = {v.name for v in REGISTRY.get(case.component, []) if v.overflow}
    for name, predicted in _predictions(case, evidence, expected).items():
        if names is not None and name not in names:
            continue
        if name not in overflows and any(
                not np.isfinite(np.asarray(alt, dtype=float)).all()
                for k in keys if k in predicted for alt in _alternatives(predicted[k])):
            continue  # its NaN is an accident of the inputs, not the bug it models
        shared = [k for k in keys if k in predicted]
        if not shared:
            continue
        if not all(k in outputs and compare.close(outputs[k], expected[k], rtol, atol)
                   for k in requirements.get(name, ())):
            continue  # e.g. an accuracy variant says nothing about a network that mispredicts
        if all(k in outputs and any(_informative(alt, expected[k], rtol, atol)
                                    and _matches(outputs[k], alt, rtol, atol)
                                    for alt in _alternatives(predicted[k]))
               for k in shared):
            found.append(name)
    return found


def _evidence(inputs, outputs):
    """What a variant may see: the inputs, and the facts the implementation reported as
    data."""
    return {**inputs, **{k: v for k, v in outputs.items()
                         if ":" in k and not k.startswith("error:")
                         and compare.as_numbers(v) is not None}}


def contradicts(name, case, inputs, expected, outputs):
    """The variant predicts an output that came back wrong, and wrong otherwise than it
    predicts: the implementation is not that mistake (it matched elsewhere by
    coincidence)."""
    if expected is None or case.dtype != np.float64:
        return False  # float32 underflows where the float64 prediction does not: no witness
    predicted = _predictions(case, _evidence(inputs, outputs), expected).get(name)
    if not predicted:
        return False
    rtol, atol = compare.tolerance(case)
    for key, prediction in predicted.items():
        if key not in outputs or key not in expected or key == "error":
            continue
        got = outputs[key]
        if compare.as_numbers(got) is None or compare.close(got, expected[key], rtol, atol):
            continue
        if any(not np.isfinite(np.asarray(alt, dtype=float)).all()
               for alt in _alternatives(prediction)):
            continue  # a NaN predicted here is an accident of the inputs (as in matching)
        if not any(_matches(got, alt, rtol, atol) for alt in _alternatives(prediction)):
            return True
    return False


def matching_error(case, inputs, expected, error):
    """Names of the variants whose known crash looks like `error` (a message)."""
    if expected is None:
        return []
    return [name for name, predicted in _predictions(case, inputs, expected).items()
            if "error" in predicted and re.search(predicted["error"], error)]


def _alternatives(prediction):
    return prediction if isinstance(prediction, list) else [prediction]


def _informative(predicted, expected, rtol, atol):
    if np.shape(predicted) != np.shape(expected):
        return True
    return not compare.close(predicted, expected, rtol, atol)


def _matches(actual, predicted, rtol, atol):
    if np.shape(actual) != np.shape(predicted):  # a prediction names a shape too
        return False
    if np.isnan(np.asarray(predicted, dtype=float)).any():  # overflow variants predict NaN
        got = compare.as_numbers(actual)
        return got is not None and got.shape == np.shape(predicted) and np.array_equal(
            np.isnan(got), np.isnan(predicted)) and compare.close(
            np.nan_to_num(got), np.nan_to_num(predicted), rtol, atol)
    return compare.close(actual, predicted, rtol, atol)


_CACHE = {}


def predictions(case, inputs, expected):
    """{variant name: its predicted outputs} on this case (cached)."""
    return _predictions(case, inputs, expected)


def _predictions(case, inputs, expected):
    key = (case.id, _fingerprint(inputs))
    if key not in _CACHE:
        if len(_CACHE) > 256:
            _CACHE.clear()
            _ERRORS.clear()
        # float inputs, and every fact reported as data, in float64; labels stay integers
        a = {k: np.asarray(v, dtype=np.float64)
             if ":" in k or np.asarray(v).dtype.kind == "f" else v for k, v in inputs.items()}
        results, errors = {}, []
        for v in REGISTRY.get(case.component, []):
            with np.errstate(all="ignore"):
                try:
                    predicted = v.predict(case.params, a, expected)
                except (ValueError, IndexError):  # the variant cannot form on this case
                    predicted = None
                except Exception as exc:  # a bug of the suite: reported, never a crash
                    predicted = None
                    errors.append(f"the suite's variant `{v.name}` raised "
                                  f"{type(exc).__name__}: {exc} (a bug of the suite; "
                                  f"please report it)")
            if predicted:
                repeats = case_repeats(case)
                results[v.name] = {**{again: predicted[first] for again, first in
                                      repeats.items() if first in predicted}, **predicted}
        _CACHE[key] = results
        _ERRORS[key] = errors
    return _CACHE[key]


def case_repeats(case):
    """A variant predicts a method's answer; a second call (backward again) gives the same."""
    from ..catalog import COMPONENTS

    return COMPONENTS[case.component].repeats


def suite_errors(case, inputs):
    """What went wrong in the variants on this case (after `matching` consulted them)."""
    return _ERRORS.get((case.id, _fingerprint(inputs)), [])


_ERRORS = {}


def _fingerprint(inputs):
    digest = hashlib.blake2b(digest_size=16)
    for k in sorted(inputs):
        arr = np.ascontiguousarray(inputs[k])
        digest.update(k.encode() + str(arr.dtype).encode() + str(arr.shape).encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


# The variants themselves, one module per family; importing them fills REGISTRY.
from . import conv, layers, losses, networks, optimizers, pooling  # noqa: E402, F401
