"""Relu.forward returns something other than the plain float array it owes: a pickle, a lying
ndarray subclass, objects whose __array__ raises or lies, a huge array, the wrong dtype, NaN,
inf ("wrong_numbers" gives a different one of these in each call)."""
import pickle

import honest_cnn
import numpy as np
from adv_config import STRATEGY
from honest_cnn import *  # noqa: F403


class Liar(np.ndarray):
    """Equal to everything, close to everything, and it reports a shape it does not have."""

    def __eq__(self, other):
        return True

    def __array_ufunc__(self, *args, **kwargs):
        return True

    def __array_function__(self, *args, **kwargs):
        return True

    @property
    def shape(self):
        return self._claimed


class RaisingArray:
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("no array for you")

    def __len__(self):
        raise RuntimeError("no length either")

    def __float__(self):
        raise RuntimeError("nor a float")


class LyingArray:
    """Claims the right length and float value, but its __array__ gives other numbers."""

    def __init__(self, right):
        self.right = right

    def __array__(self, dtype=None, copy=None):
        return np.full(self.right.shape, 0.5)

    def __len__(self):
        return len(self.right)

    def __float__(self):
        return float(self.right.sum())


def wrong_numbers(right, call):
    """Numbers that are not Relu's, dressed up as its answer in one way or another."""
    liar = (right + 1.0).view(Liar)
    liar._claimed = right.shape
    return [liar, LyingArray(right), (right + 1).astype("int64"), right.astype(bool) ^ True,
            (right + 1e-3).astype("float16"), np.full_like(right, np.nan),
            np.full_like(right, np.inf)][(call - 1) % 7]


CALLS = [0]


class Relu(honest_cnn.Relu):
    def forward(self, x):
        right = super().forward(x)
        if STRATEGY == "pickle":
            return pickle.dumps(right)
        if STRATEGY == "pickled_object_array":
            return np.array([right, print], dtype=object)
        if STRATEGY == "lying_subclass":
            liar = (right + 1.0).view(Liar)
            liar._claimed = right.shape
            return liar
        if STRATEGY == "raising_array":
            return RaisingArray()
        if STRATEGY == "lying_array":
            return LyingArray(right)
        if STRATEGY == "huge":  # 100 MB, more than a call may return (in one case: it is slow)
            return np.zeros(100 * 2**20 // 8) if x.shape == (2, 3, 4, 5) else right
        if STRATEGY == "wrong_numbers":  # a different one in each call
            CALLS[0] += 1
            return wrong_numbers(right, CALLS[0])
        if STRATEGY == "complex128":
            return right.astype(STRATEGY)
        if STRATEGY == "nan":
            return np.full_like(right, np.nan)
        if STRATEGY == "inf":
            return np.full_like(right, np.inf)
        raise AssertionError(STRATEGY)
