"""Argument checks shared by the functional API and the layers.

Every message names who complained (`owner`, e.g. "Convolution.forward"), what it got and what
it needs, so that a user never has to read a reshape error from deep inside NumPy.
"""

from numbers import Integral
from typing import Any, TypeGuard, TypeVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

T = TypeVar("T")


class CallOrderError(ValueError, RuntimeError):
    """A method was called out of order, e.g. `backward` before `forward`.

    It is a ValueError like every other bad-input error here, and a RuntimeError because
    that is what the mistake is; callers may catch either.
    """


def int_pair(value: object, name: str, owner: str, minimum: int) -> tuple[int, int]:
    """`value` (an int or an (h, w) pair of ints) as a tuple of two Python ints >= minimum."""
    pair_like = isinstance(value, (tuple, list)) or (
        isinstance(value, np.ndarray) and value.ndim > 0)  # a 0-d array has no len()
    items: Any = value if pair_like else (value, value)
    if len(items) != 2 or not all(_is_int(v) for v in items):
        raise TypeError(f"{owner}: {name} must be an int or an (h, w) pair of ints; got {value!r}")
    pair = (int(items[0]), int(items[1]))
    if min(pair) < minimum:
        need = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{owner}: {name} must be {need}; got {value!r}")
    return pair


def positive_int(value: object, name: str, owner: str, minimum: int = 1) -> int:
    if not _is_int(value):
        raise TypeError(f"{owner}: {name} must be an int; got {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be >= {minimum}; got {value!r}")
    return int(value)


def _is_int(value: object) -> TypeGuard[int | np.integer[Any]]:
    return isinstance(value, Integral) and not isinstance(value, bool)


def numeric_array(x: ArrayLike, name: str, owner: str, ndim: int | None = None,
                  min_ndim: int | None = None) -> NDArray[Any]:
    """`x` as an ndarray of numbers, with a clear error for wrong types and dimensions."""
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{owner}: {name} must be an array of numbers; {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: {name} must hold real numbers; got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        layout = {4: " (N, C, H, W)", 2: " (N, D)", 1: ""}.get(ndim, "")
        hint = ". Add a batch axis with x[np.newaxis]" if ndim == 4 and arr.ndim == 3 else ""
        raise ValueError(f"{owner}: {name} must be {ndim}-D{layout}; got shape {arr.shape}{hint}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(
            f"{owner}: {name} must have at least {min_ndim} dimensions; got shape {arr.shape}")
    return arr


def float_dtype(*arrays: NDArray[Any]) -> np.dtype[np.floating[Any]]:
    """The dtype to compute in: the arrays' common float type, float64 for integers."""
    dtype = np.result_type(*arrays)
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def as_float(x: ArrayLike, dtype: DTypeLike) -> NDArray[np.floating[Any]]:
    """`x` in `dtype`, never a copy when it already is (the layers never write to it)."""
    return np.asarray(x, dtype=dtype)


def from_forward(layer: object, value: T | None) -> T:
    """`value`, which `layer.forward` stores; CallOrderError while forward has not run."""
    if value is None:
        name = type(layer).__name__
        raise CallOrderError(
            f"{name}.backward called before {name}.forward: call forward first; "
            f"backward needs what forward saw")
    return value


def require_forward(layer: object, attribute: str) -> None:
    """Raise CallOrderError if `layer.forward` has not stored `attribute` yet."""
    from_forward(layer, getattr(layer, attribute, None))


def same_shape(dout: ArrayLike, expected_shape: tuple[int, ...], owner: str) -> NDArray[Any]:
    dout = numeric_array(dout, "dout", owner)
    if dout.shape != tuple(expected_shape):
        raise ValueError(f"{owner}: dout must have the forward output's shape "
                         f"{tuple(expected_shape)}; got {dout.shape}")
    return dout
