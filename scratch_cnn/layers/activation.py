"""Element-wise activations."""

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._checks import from_forward, numeric_array, same_shape
from .._types import FloatArray


class Relu:
    """max(x, 0). The gradient at exactly 0 is 0, as in PyTorch and the book.

    Unlike the book's, `backward` never writes into the caller's `dout`.
    """

    def __init__(self) -> None:
        self.mask: NDArray[np.bool_] | None = None  # True where x <= 0 (the book's attribute)

    def forward(self, x: ArrayLike) -> NDArray[Any]:
        x = numeric_array(x, "x", "Relu.forward")
        self.mask = x <= 0
        # np.maximum is ~2x faster than np.where with a scalar (measured); NaN stays NaN
        out: NDArray[Any] = np.maximum(x, np.zeros((), x.dtype))
        return out

    def backward(self, dout: ArrayLike) -> NDArray[Any]:
        mask = from_forward(self, self.mask)
        dout = same_shape(dout, mask.shape, "Relu.backward")
        dx: NDArray[Any] = dout * ~mask  # a multiply is faster than np.where...
        if dout.dtype.kind == "f" and not np.isfinite(dx.sum()):
            dx = np.where(mask, np.zeros((), dout.dtype), dout)  # ...but inf * 0 is NaN
        return dx


class Sigmoid:
    """1 / (1 + exp(-x)); exp overflow for very negative x correctly gives 0."""

    def __init__(self) -> None:
        self.out: FloatArray | None = None

    def forward(self, x: ArrayLike) -> FloatArray:
        x = numeric_array(x, "x", "Sigmoid.forward")
        if x.dtype.kind != "f":
            x = x.astype(np.float64)
        with np.errstate(over="ignore"):
            out: FloatArray = 1 / (1 + np.exp(-x))
        self.out = out
        return out

    def backward(self, dout: ArrayLike) -> FloatArray:
        out = from_forward(self, self.out)
        dout = same_shape(dout, out.shape, "Sigmoid.backward")
        dx: FloatArray = dout * (1.0 - out) * out
        return dx
