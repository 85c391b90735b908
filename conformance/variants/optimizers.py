"""Optimizers: the book's formulas on the same trajectory (book difference 13)."""

import numpy as np

from ..drivers import mlp_loss_and_gradient
from . import variant


def _book_trajectory(step):
    def predict(p, a, e):
        params = {k: a[k].copy() for k in ("W1", "b1", "W2", "b2")}
        state, losses = {}, []
        for i, (x, t) in enumerate(zip(a["x"], a["t"])):
            loss, grads = mlp_loss_and_gradient(params, x, t)
            losses.append(loss)
            for k in params:
                step(p["hyper"], state.setdefault(k, {}), params[k], grads[k], i + 1)
        return {"losses": np.array(losses), **{f"final_{k}": v for k, v in params.items()}}
    return predict


def _book_nesterov(h, s, param, grad, _):
    v = s.setdefault("v", np.zeros_like(param))
    v *= h["momentum"]
    v -= h["lr"] * grad
    param += h["momentum"] * h["momentum"] * v
    param -= (1 + h["momentum"]) * h["lr"] * grad


def _book_adagrad(h, s, param, grad, _):
    acc = s.setdefault("h", np.zeros_like(param))
    acc += grad * grad
    param -= h["lr"] * grad / (np.sqrt(acc) + 1e-7)


def _book_rmsprop(h, s, param, grad, _):
    acc = s.setdefault("h", np.zeros_like(param))
    acc *= h["decay_rate"]
    acc += (1 - h["decay_rate"]) * grad * grad
    param -= h["lr"] * grad / (np.sqrt(acc) + 1e-7)


def _book_adam(h, s, param, grad, it):
    m, v = s.setdefault("m", np.zeros_like(param)), s.setdefault("v", np.zeros_like(param))
    lr_t = h["lr"] * np.sqrt(1.0 - h["beta2"] ** it) / (1.0 - h["beta1"] ** it)
    m += (1 - h["beta1"]) * (grad - m)
    v += (1 - h["beta2"]) * (grad ** 2 - v)
    param -= lr_t * m / (np.sqrt(v) + 1e-7)


for _name, _step in (("Nesterov", _book_nesterov), ("AdaGrad", _book_adagrad),
                     ("RMSprop", _book_rmsprop), ("Adam", _book_adam)):
    variant(_name, "book-optimizer-formulas")(_book_trajectory(_step))
