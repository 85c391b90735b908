"""Batch normalization and local response normalization."""

from numbers import Real
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import _kernels
from .._checks import (
    as_float,
    float_dtype,
    from_forward,
    numeric_array,
    positive_int,
    same_shape,
)
from .._types import FloatArray


class BatchNormalization:
    """Batch normalization as torch's BatchNorm1d on (N, D) input and BatchNorm2d on
    (N, C, H, W) input (per channel; the book normalises each of the C*H*W features instead).

    `momentum` keeps the book's meaning, the weight of the old running statistics
    (torch's momentum is 1 - momentum). Like torch, the running variance is updated with the
    unbiased batch variance and eps defaults to 1e-5 (the book: biased, 1e-6).
    """

    param_names = ("gamma", "beta")
    has_train_mode = True

    def __init__(self, gamma: ArrayLike, beta: ArrayLike, momentum: float = 0.9,
                 running_mean: ArrayLike | None = None, running_var: ArrayLike | None = None,
                 eps: float = 1e-5) -> None:
        owner = "BatchNormalization"
        self.gamma = numeric_array(gamma, "gamma", owner, ndim=1)
        self.beta = numeric_array(beta, "beta", owner, ndim=1)
        if self.beta.shape != self.gamma.shape:
            raise ValueError(f"{owner}: gamma and beta must have the same shape (features,); "
                             f"got {self.gamma.shape} and {self.beta.shape}")
        for name, value in (("momentum", momentum), ("eps", eps)):
            if not isinstance(value, Real) or not 0 <= value <= 1:
                raise ValueError(f"{owner}: {name} must be a number in [0, 1]; got {value!r}")
        self.momentum, self.eps = float(momentum), float(eps)
        if (running_mean is None) != (running_var is None):
            given = "running_mean" if running_var is None else "running_var"
            raise ValueError(f"{owner}: pass both running_mean and running_var, or neither; "
                             f"got only {given}")
        self.running_mean: NDArray[Any] | None = None
        self.running_var: NDArray[Any] | None = None
        if running_mean is not None and running_var is not None:
            self.running_mean = numeric_array(running_mean, "running_mean", owner, ndim=1)
            self.running_var = numeric_array(running_var, "running_var", owner, ndim=1)
            for name, array in (("running_mean", self.running_mean),
                                ("running_var", self.running_var)):
                if array.shape != self.gamma.shape:
                    raise ValueError(f"{owner}: {name} must have gamma's shape "
                                     f"{self.gamma.shape}, one value per channel; "
                                     f"got {array.shape}")
        self.dgamma: FloatArray | None = None
        self.dbeta: FloatArray | None = None
        self._cache: tuple[FloatArray, FloatArray, tuple[int, ...], bool] | None = None

    def forward(self, x: ArrayLike, train_flg: bool = True) -> FloatArray:
        owner = "BatchNormalization.forward"
        x = numeric_array(x, "x", owner)
        if x.ndim not in (2, 4) or x.shape[1] != self.gamma.shape[0]:
            raise ValueError(f"{owner}: x must be (N, {self.gamma.shape[0]}) or "
                             f"(N, {self.gamma.shape[0]}, H, W) for gamma {self.gamma.shape}; "
                             f"got {x.shape}")
        dtype = float_dtype(x, self.gamma, self.beta)
        x = as_float(x, dtype)
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        per_channel = x.size // x.shape[1]
        if self.running_mean is None:
            self.running_mean = np.zeros(x.shape[1], dtype)
            self.running_var = np.ones(x.shape[1], dtype)
        running_var = cast("NDArray[Any]", self.running_var)  # set along with running_mean
        if train_flg:
            if per_channel < 2:
                raise ValueError(f"{owner}: training needs more than one value per channel to "
                                 f"estimate a variance; got x of shape {x.shape}")
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            m = self.momentum
            unbiased = var * (per_channel / (per_channel - 1))
            self.running_mean = m * self.running_mean + (1 - m) * mean
            self.running_var = m * running_var + (1 - m) * unbiased
        else:
            mean = as_float(self.running_mean, dtype)
            var = as_float(running_var, dtype)
        std = np.sqrt(var + dtype.type(self.eps))
        x_hat = (x - _channels(mean, x.ndim)) / _channels(std, x.ndim)
        self._cache = (x_hat, std, axes, train_flg)
        out: FloatArray = (_channels(as_float(self.gamma, dtype), x.ndim) * x_hat
                           + _channels(as_float(self.beta, dtype), x.ndim))
        return out

    def backward(self, dout: ArrayLike) -> FloatArray:
        x_hat, std, axes, training = from_forward(self, self._cache)
        dout = as_float(same_shape(dout, x_hat.shape, "BatchNormalization.backward"), x_hat.dtype)
        self.dbeta = dout.sum(axis=axes)
        self.dgamma = (dout * x_hat).sum(axis=axes)
        dx_hat = dout * _channels(as_float(self.gamma, x_hat.dtype), dout.ndim)
        if training:  # the batch statistics depend on x too
            dx_hat = (dx_hat - _channels(dx_hat.mean(axis=axes), dout.ndim)
                      - x_hat * _channels((dx_hat * x_hat).mean(axis=axes), dout.ndim))
        dx: FloatArray = dx_hat / _channels(std, dout.ndim)
        return dx


def _channels(v: NDArray[Any], ndim: int) -> NDArray[Any]:
    """A per-channel vector shaped to broadcast against (N, C) or (N, C, H, W)."""
    return v if ndim == 2 else v[:, None, None]


class LRN:
    """Local response normalization across channels, as torch's LocalResponseNorm:
    b_c = a_c / (k + alpha/size * sum of a_c'^2 over the `size` channels around c) ** beta."""

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        owner = "LRN"
        self.size = positive_int(size, "size", owner)
        for name, value in (("alpha", alpha), ("beta", beta), ("k", k)):
            if not isinstance(value, Real):
                raise TypeError(f"{owner}: {name} must be a number; got {value!r}")
        self.alpha, self.beta, self.k = float(alpha), float(beta), float(k)
        self._cache: tuple[FloatArray, FloatArray, FloatArray] | None = None

    def forward(self, x: ArrayLike) -> FloatArray:
        x = numeric_array(x, "x", "LRN.forward", min_ndim=3)
        x = x.astype(float_dtype(x), copy=False)
        squares = _kernels.channel_window_sum(x * x, self.size // 2, (self.size - 1) // 2)
        denom = self.k + (self.alpha / self.size) * squares
        scale = denom ** -self.beta
        self._cache = (x, denom, scale)
        out: FloatArray = x * scale
        return out

    def backward(self, dout: ArrayLike) -> FloatArray:
        x, denom, scale = from_forward(self, self._cache)
        dout = as_float(same_shape(dout, x.shape, "LRN.backward"), x.dtype)
        # each channel also appears in the windows of its neighbours: the transposed window
        spread = _kernels.channel_window_sum(dout * x * scale / denom, (self.size - 1) // 2,
                                             self.size // 2)
        dx: FloatArray = dout * scale - (2 * self.alpha * self.beta / self.size) * x * spread
        return dx
