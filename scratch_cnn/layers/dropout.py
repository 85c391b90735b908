"""Dropout with PyTorch's scaling."""

from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._checks import CallOrderError, numeric_array, same_shape
from .._types import RngLike


class Dropout:
    """Zeroes each input with probability `dropout_ratio` while training.

    Like torch (and unlike the book, which multiplies by 1 - ratio at test time), the kept
    values are scaled by 1 / (1 - ratio) during training and evaluation is the identity, so
    the expected activation is the same in both modes.
    The mask is drawn as the book draws it, `rand(*x.shape) > ratio`, from `rng` (a
    numpy Generator, or an int seed for a new one) or, when rng is None, from np.random's
    global state.
    """

    has_train_mode = True

    def __init__(self, dropout_ratio: float = 0.5, rng: RngLike = None) -> None:
        if not isinstance(dropout_ratio, Real) or not 0 <= dropout_ratio <= 1:
            raise ValueError(f"Dropout: dropout_ratio must be a number in [0, 1]; "
                             f"got {dropout_ratio!r}")
        if isinstance(rng, Integral) and not isinstance(rng, bool):
            rng = np.random.default_rng(int(rng))
        elif rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"Dropout: rng must be None, an int seed or a numpy Generator; "
                            f"got {rng!r}")
        self.dropout_ratio: float = float(dropout_ratio)
        self.rng: np.random.Generator | None = rng
        self.mask: NDArray[np.bool_] | bool | None = None
        self._scale: float | None = None  # None until forward has run

    def forward(self, x: ArrayLike, train_flg: bool = True) -> NDArray[Any]:
        x = numeric_array(x, "x", "Dropout.forward")
        self._shape = x.shape
        if not train_flg or self.dropout_ratio == 0:
            self.mask, self._scale = None, 1.0
            return x
        # np.random.rand() of a 0-d shape is a float, and the mask then a bool
        draws: NDArray[Any] | float = (self.rng.random(x.shape) if self.rng is not None
                                       else np.random.rand(*x.shape))
        self.mask = draws > self.dropout_ratio
        keep = 1.0 - self.dropout_ratio
        self._scale = 1.0 / keep if keep > 0 else 0.0
        out: NDArray[Any] = x * self.mask * np.asarray(self._scale, dtype=_float(x))
        return out

    def backward(self, dout: ArrayLike) -> NDArray[Any]:
        if self._scale is None:
            raise CallOrderError("Dropout.backward called before Dropout.forward: call forward "
                                 "first; backward needs its mask")
        dout = same_shape(dout, self._shape, "Dropout.backward")
        if self.mask is None:
            return dout
        dx: NDArray[Any] = dout * self.mask * np.asarray(self._scale, dtype=_float(dout))
        return dx


def _float(x: NDArray[Any]) -> np.dtype[Any] | type[np.float64]:
    return x.dtype if x.dtype.kind == "f" else np.float64
