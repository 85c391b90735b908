"""Dropout with PyTorch's scaling."""

from numbers import Integral, Real

import numpy as np

from .._checks import CallOrderError, numeric_array, same_shape


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

    def __init__(self, dropout_ratio=0.5, rng=None):
        if not isinstance(dropout_ratio, Real) or not 0 <= dropout_ratio <= 1:
            raise ValueError(f"Dropout: dropout_ratio must be a number in [0, 1]; "
                             f"got {dropout_ratio!r}")
        if isinstance(rng, Integral) and not isinstance(rng, bool):
            rng = np.random.default_rng(int(rng))
        elif rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"Dropout: rng must be None, an int seed or a numpy Generator; "
                            f"got {rng!r}")
        self.dropout_ratio = float(dropout_ratio)
        self.rng = rng
        self.mask = None
        self._scale = None  # None until forward has run

    def forward(self, x, train_flg=True):
        x = numeric_array(x, "x", "Dropout.forward")
        self._shape = x.shape
        if not train_flg or self.dropout_ratio == 0:
            self.mask, self._scale = None, 1.0
            return x
        draws = self.rng.random(x.shape) if self.rng is not None else np.random.rand(*x.shape)
        self.mask = draws > self.dropout_ratio
        keep = 1.0 - self.dropout_ratio
        self._scale = 1.0 / keep if keep > 0 else 0.0
        return x * self.mask * np.asarray(self._scale, dtype=_float(x))

    def backward(self, dout):
        if self._scale is None:
            raise CallOrderError("Dropout.backward called before Dropout.forward: call forward "
                                 "first; backward needs its mask")
        dout = same_shape(dout, self._shape, "Dropout.backward")
        if self.mask is None:
            return dout
        return dout * self.mask * np.asarray(self._scale, dtype=_float(dout))


def _float(x):
    return x.dtype if x.dtype.kind == "f" else np.float64
