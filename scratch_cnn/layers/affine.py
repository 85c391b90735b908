"""The fully connected layer."""

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._checks import as_float, float_dtype, from_forward, numeric_array, same_shape
from .._types import FloatArray


class Affine:
    """out = x.reshape(N, -1) @ W + b, with W of shape (in, out): the transpose of torch's
    Linear.weight. N-d input is flattened after the batch axis and dx gets x's shape back;
    1-D input is one unbatched sample, as in torch."""

    param_names = ("W", "b")

    def __init__(self, W: ArrayLike, b: ArrayLike) -> None:
        owner = "Affine"
        self.W = numeric_array(W, "W", owner, ndim=2)
        self.b = numeric_array(b, "b", owner)
        if self.b.shape != (self.W.shape[1],):
            raise ValueError(f"{owner}: b must have shape ({self.W.shape[1]},), one bias per "
                             f"output of W {self.W.shape}; got {self.b.shape}")
        self.x: NDArray[Any] | None = None
        self.dW: FloatArray | None = None
        self.db: FloatArray | None = None

    def forward(self, x: ArrayLike) -> FloatArray:
        owner = "Affine.forward"
        x = numeric_array(x, "x", owner, min_ndim=1)
        # the feature count is spelt out: reshape(N, -1) fails for an empty batch
        features = math.prod(x.shape[1:]) if x.ndim > 1 else x.shape[0]
        rows = x.reshape(1 if x.ndim == 1 else x.shape[0], features)
        if rows.shape[1] != self.W.shape[0]:
            raise ValueError(
                f"{owner}: x of shape {x.shape} has {rows.shape[1]} features per sample but W "
                f"{self.W.shape} expects {self.W.shape[0]}")
        dtype = float_dtype(x, self.W, self.b)
        self.x = x
        self._rows = as_float(rows, dtype)
        out: FloatArray = self._rows @ as_float(self.W, dtype) + as_float(self.b, dtype)
        return out[0] if x.ndim == 1 else out

    def backward(self, dout: ArrayLike) -> FloatArray:
        x = from_forward(self, self.x)
        out_shape = (self.W.shape[1],) if x.ndim == 1 else (x.shape[0], self.W.shape[1])
        dout = same_shape(dout, out_shape, "Affine.backward").reshape(-1, self.W.shape[1])
        dout = as_float(dout, self._rows.dtype)
        self.dW = self._rows.T @ dout
        # a sum over the batch: accumulated in float64, as the float32 rounding adds up
        self.db = dout.sum(axis=0, dtype=np.float64).astype(dout.dtype)
        dx: FloatArray = (dout @ as_float(self.W, self._rows.dtype).T).reshape(x.shape)
        return dx
