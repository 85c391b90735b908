"""Softmax with cross-entropy loss, the book's last layer."""

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._checks import from_forward, numeric_array
from .._types import FloatArray
from ..functional import (
    log_softmax,
    mean_cross_entropy,
    one_sample_targets,
    targets_as_matrix,
)


class SoftmaxWithLoss:
    """forward(x, t) returns the mean cross entropy of softmax(x) against t; backward(dout=1)
    returns dout * dloss/dx.

    t is class labels (N,), or one-hot or soft targets of x's shape. Unlike the book: the loss
    is exact (log-softmax, no 1e-7 inside the log), soft targets give the true soft-label
    cross entropy, and backward scales by dout. 1-D x is one unbatched sample, as in torch.
    """

    def __init__(self) -> None:
        self.loss: np.floating[Any] | None = None
        self.y: FloatArray | None = None  # softmax(x)
        self.t: NDArray[Any] | None = None

    def forward(self, x: ArrayLike, t: ArrayLike) -> np.floating[Any]:
        owner = "SoftmaxWithLoss.forward"
        x = numeric_array(x, "x", owner, min_ndim=1)
        if x.ndim > 2:
            raise ValueError(f"{owner}: x must be (N, classes) scores or one (classes,) sample; "
                             f"got shape {x.shape}")
        t = numeric_array(t, "t", owner)
        self._unbatched = x.ndim == 1
        if self._unbatched:
            x, t = x[np.newaxis], one_sample_targets(t, x.shape[0], owner)
        target, _ = targets_as_matrix(t, x.shape, owner)
        log_p = log_softmax(x)
        self.t = t
        self.y = np.exp(log_p)
        self._target = target.astype(log_p.dtype, copy=False)
        self.loss = loss = mean_cross_entropy(log_p, self._target)
        return loss

    def backward(self, dout: ArrayLike = 1) -> FloatArray:
        y = from_forward(self, self.y)
        dout = numeric_array(dout, "dout", "SoftmaxWithLoss.backward")
        if dout.size != 1:
            raise ValueError(f"SoftmaxWithLoss.backward: dout must be a scalar (the gradient of "
                             f"the loss); got shape {dout.shape}")
        n = y.shape[0]
        scale = y.dtype.type(dout.item() / n)
        # d(-sum t*log softmax)/dx = softmax * sum(t) - t; sum(t) = 1 for labels and one-hot
        dx: FloatArray = (y * self._target.sum(axis=1, keepdims=True) - self._target) * scale
        return dx[0] if self._unbatched else dx
