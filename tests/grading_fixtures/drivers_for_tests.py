"""Drivers for the sandbox's own tests (same signature as conformance/drivers.py).

A driver is a plain function `name(ns, params, arrays) -> dict of outputs`, where `ns` is the
submission's module, `params` JSON values and `arrays` fresh copies of the inputs.
STANDALONE: loaded by file path inside the sandbox.
"""

import numpy as np


def call(ns, params, arrays):
    """ns.<name>(*arrays in `args` order, **kwargs); the result under "out" (a dict spreads)."""
    fn = getattr(ns, params["name"])
    args = [arrays[k] for k in params.get("args", sorted(arrays))]
    out = fn(*args, **params.get("kwargs", {}))
    if isinstance(out, dict) and params.get("spread"):
        return out
    result = {"out": out}
    if params.get("return_inputs"):  # what the student left in the arrays it was given
        result.update({f"input_{k}": v for k, v in arrays.items()})
    return result


def echo(ns, params, arrays):
    """Touches no student code: the arrays and params back (protocol and timing tests)."""
    return {**arrays, **{k: v for k, v in params.items() if not isinstance(v, (list, dict))}}


def names(ns, params, arrays):
    """Which of params["names"] the submission defines."""
    return {n: hasattr(ns, n) for n in params["names"]}


def numpy_still_works(ns, params, arrays):
    """Harness-side NumPy after the submission ran: allclose must still tell 0 from 1."""
    return {"allclose_0_1": bool(np.allclose(np.zeros(3), np.ones(3))),
            "isinstance_str_int": isinstance("x", int)}
