"""Optimizers with the book's interface, `update(params, grads)`, following torch.optim.

Every update is in place (`params[key] -= ...`), so layers that hold the arrays see it.
Optimizer state is created on the first update, one entry per params key.
"""

from collections.abc import Mapping

import numpy as np


class Optimizer:
    """Checks the two dicts and keeps per-parameter state (book attributes: v, h, m).

    Every check runs before the first parameter moves, so an update that raises leaves the
    parameters and the optimizer state as they were.
    """

    def update(self, params, grads):
        steps = self._checked(params, grads)
        self._begin_step()
        for key, param, grad in steps:
            self._step(key, param, grad)

    def _begin_step(self):
        """Hook for state shared by all parameters (Adam's step count)."""

    def _checked(self, params, grads):
        name = type(self).__name__
        for arg, value in (("params", params), ("grads", grads)):
            if not isinstance(value, Mapping):
                raise TypeError(f"{name}.update: {arg} must be a dict of arrays keyed like "
                                f"net.params; got {type(value).__name__}")
        missing = [k for k in params if k not in grads]
        if missing:
            raise ValueError(f"{name}.update: grads has no entry for {missing}; pass the dict "
                             f"returned by net.gradient(x, t)")
        steps = []
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

    def _state(self, attribute, key, like):
        store = getattr(self, attribute)
        if store is None:
            store = {}
            setattr(self, attribute, store)
        if key not in store:
            store[key] = np.zeros_like(like)
        return store[key]


class SGD(Optimizer):
    """p -= lr * g."""

    def __init__(self, lr=0.01):
        self.lr = lr

    def _step(self, key, param, grad):
        param -= self.lr * grad


class Momentum(Optimizer):
    """torch's SGD(momentum): v = momentum * v + g; p -= lr * v.

    The book keeps v' = momentum * v' - lr * g and adds it; with a constant lr the two are
    the same sequence of parameters (v' = -lr * v).
    """

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.v = None

    def _velocity(self, key, param, grad):
        v = self._state("v", key, param)
        v *= self.momentum
        v += grad
        return v

    def _step(self, key, param, grad):
        param -= self.lr * self._velocity(key, param, grad)


class Nesterov(Momentum):
    """torch's SGD(momentum, nesterov=True): v = momentum * v + g; p -= lr * (g + momentum * v).

    The book's Nesterov (after Sutskever's reformulation) uses
    p += momentum**2 * v' - (1 + momentum) * lr * g with v' = momentum * v' - lr * g; it is the
    same method written for the look-ahead parameters, and gives different iterates.
    """

    def _step(self, key, param, grad):
        v = self._velocity(key, param, grad)
        param -= self.lr * (grad + self.momentum * v)


class AdaGrad(Optimizer):
    """torch's Adagrad: h += g*g; p -= lr * g / (sqrt(h) + eps), eps = 1e-10 (the book: 1e-7)."""

    def __init__(self, lr=0.01, eps=1e-10):
        self.lr, self.eps = lr, eps
        self.h = None

    def _step(self, key, param, grad):
        h = self._state("h", key, param)
        h += grad * grad
        param -= self.lr * grad / (np.sqrt(h) + self.eps)


class RMSprop(Optimizer):
    """torch's RMSprop: h = decay_rate * h + (1 - decay_rate) * g*g;
    p -= lr * g / (sqrt(h) + eps), eps = 1e-8 (the book: 1e-7)."""

    def __init__(self, lr=0.01, decay_rate=0.99, eps=1e-8):
        self.lr, self.decay_rate, self.eps = lr, decay_rate, eps
        self.h = None

    def _step(self, key, param, grad):
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

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter = 0
        self.m = None
        self.v = None

    def _begin_step(self):
        self.iter += 1

    def _step(self, key, param, grad):
        m, v = self._state("m", key, param), self._state("v", key, param)
        m += (1 - self.beta1) * (grad - m)
        v *= self.beta2
        v += (1 - self.beta2) * grad * grad
        step_size = self.lr / (1 - self.beta1 ** self.iter)
        denom = np.sqrt(v) / np.sqrt(1 - self.beta2 ** self.iter) + self.eps
        param -= step_size * m / denom


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": AdaGrad,
              "rmsprop": RMSprop, "adam": Adam}
