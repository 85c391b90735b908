"""Optimizers with the book's interface, `update(params, grads)`, following torch.optim.

Every update is in place (`params[key] -= ...`), so layers that hold the arrays see it.
Optimizer state is created on the first update, one entry per params key.
"""

from collections.abc import Callable, Mapping

import numpy as np
from numpy.typing import ArrayLike

from ._types import FloatArray

# One parameter's step: its params key, the array updated in place, its gradient in its dtype.
Step = tuple[str, FloatArray, FloatArray]


class Optimizer:
    """Checks the two dicts and keeps per-parameter state (book attributes: v, h, m).

    Every check runs before the first parameter moves, so an update that raises leaves the
    parameters and the optimizer state as they were.
    """

    lr: float
    # Each optimizer's update rule for one parameter, in place.
    _step: Callable[[str, FloatArray, FloatArray], None]

    def update(self, params: Mapping[str, FloatArray], grads: Mapping[str, ArrayLike]) -> None:
        steps = self._checked(params, grads)
        self._begin_step()
        for key, param, grad in steps:
            self._step(key, param, grad)

    def _begin_step(self) -> None:
        """Hook for state shared by all parameters (Adam's step count)."""

    def _checked(self, params: Mapping[str, FloatArray], grads: Mapping[str, ArrayLike]
                 ) -> list[Step]:
        name = type(self).__name__
        for arg, value in (("params", params), ("grads", grads)):
            if not isinstance(value, Mapping):
                raise TypeError(f"{name}.update: {arg} must be a dict of arrays keyed like "
                                f"net.params; got {type(value).__name__}")
        missing = [k for k in params if k not in grads]
        if missing:
            raise ValueError(f"{name}.update: grads has no entry for {missing}; pass the dict "
                             f"returned by net.gradient(x, t)")
        steps: list[Step] = []
        for key, param in params.items():
            if (not isinstance(param, np.ndarray) or not param.flags.writeable
                    or param.dtype.kind != "f"):
                what = type(param).__name__ if not isinstance(param, np.ndarray) else (
                    f"a {'' if param.flags.writeable else 'read-only '}array of dtype "
                    f"{param.dtype}")
                raise TypeError(f"{name}.update: params[{key!r}] must be a writeable float "
                                f"ndarray (it is updated in place); got {what}")
            grad = np.asarray(grads[key])
            if grad.dtype.kind not in "biuf":
                raise TypeError(f"{name}.update: grads[{key!r}] must hold real numbers; got "
                                f"dtype {grad.dtype}")
            if grad.shape != param.shape:
                raise ValueError(f"{name}.update: grads[{key!r}] has shape {grad.shape} but "
                                 f"params[{key!r}] has {param.shape}")
            steps.append((key, param, grad.astype(param.dtype, copy=False)))
        return steps

    def _state(self, attribute: str, key: str, like: FloatArray) -> FloatArray:
        store = getattr(self, attribute)
        if store is None:
            store = {}
            setattr(self, attribute, store)
        if key not in store:
            store[key] = np.zeros_like(like)
        state: FloatArray = store[key]
        return state


class SGD(Optimizer):
    """p -= lr * g."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def _step(self, key: str, param: FloatArray, grad: FloatArray) -> None:
        param -= self.lr * grad


class Momentum(Optimizer):
    """torch's SGD(momentum): v = momentum * v + g; p -= lr * v.

    The book keeps v' = momentum * v' - lr * g and adds it; with a constant lr the two are
    the same sequence of parameters (v' = -lr * v).
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr, self.momentum = lr, momentum
        self.v: dict[str, FloatArray] | None = None

    def _velocity(self, key: str, param: FloatArray, grad: FloatArray) -> FloatArray:
        v = self._state("v", key, param)
        v *= self.momentum
        v += grad
        return v

    def _step(self, key: str, param: FloatArray, grad: FloatArray) -> None:
        param -= self.lr * self._velocity(key, param, grad)


class Nesterov(Momentum):
    """torch's SGD(momentum, nesterov=True): v = momentum * v + g; p -= lr * (g + momentum * v).

    The book's Nesterov (after Sutskever's reformulation) uses
    p += momentum**2 * v' - (1 + momentum) * lr * g with v' = momentum * v' - lr * g; it is the
    same method written for the look-ahead parameters, and gives different iterates.
    """

    def _step(self, key: str, param: FloatArray, grad: FloatArray) -> None:
        v = self._velocity(key, param, grad)
        param -= self.lr * (grad + self.momentum * v)


class AdaGrad(Optimizer):
    """torch's Adagrad: h += g*g; p -= lr * g / (sqrt(h) + eps), eps = 1e-10 (the book: 1e-7)."""

    def __init__(self, lr: float = 0.01, eps: float = 1e-10) -> None:
        self.lr, self.eps = lr, eps
        self.h: dict[str, FloatArray] | None = None

    def _step(self, key: str, param: FloatArray, grad: FloatArray) -> None:
        h = self._state("h", key, param)
        h += grad * grad
        param -= self.lr * grad / (np.sqrt(h) + self.eps)


class RMSprop(Optimizer):
    """torch's RMSprop: h = decay_rate * h + (1 - decay_rate) * g*g;
    p -= lr * g / (sqrt(h) + eps), eps = 1e-8 (the book: 1e-7)."""

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99, eps: float = 1e-8) -> None:
        self.lr, self.decay_rate, self.eps = lr, decay_rate, eps
        self.h: dict[str, FloatArray] | None = None

    def _step(self, key: str, param: FloatArray, grad: FloatArray) -> None:
        h = self._state("h", key, param)
        h *= self.decay_rate
        h += (1 - self.decay_rate) * grad * grad
        param -= self.lr * grad / (np.sqrt(h) + self.eps)


class Adam(Optimizer):
    """torch's Adam: m and v are moving averages of g and g*g, bias-corrected, and
    p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps), eps = 1e-8.

    The book folds both corrections into the step size and adds its eps (1e-7) to the
    uncorrected sqrt(v), which weights eps differently in the first steps.
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter = 0
        self.m: dict[str, FloatArray] | None = None
        self.v: dict[str, FloatArray] | None = None

    def _begin_step(self) -> None:
        self.iter += 1

    def _step(self, key: str, param: FloatArray, grad: FloatArray) -> None:
        m, v = self._state("m", key, param), self._state("v", key, param)
        m += (1 - self.beta1) * (grad - m)
        v *= self.beta2
        v += (1 - self.beta2) * grad * grad
        step_size = self.lr / (1 - self.beta1 ** self.iter)
        denom = np.sqrt(v) / np.sqrt(1 - self.beta2 ** self.iter) + self.eps
        param -= step_size * m / denom


OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    "sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": AdaGrad,
    "rmsprop": RMSprop, "adam": Adam}
