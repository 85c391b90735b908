"""Tests of scratch_cnn.optim: SGD, Momentum, Nesterov, AdaGrad, RMSprop and Adam.

The expected iterates are written from torch.optim's documented algorithms (pseudocode on
each class's documentation page), step by step; test_against_torch.py runs torch itself.
Error messages for bad arguments are in test_errors.py.
"""

import numpy as np
import pytest

from scratch_cnn import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop

pytestmark = pytest.mark.filterwarnings("error")

OPTIMIZERS = [SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam]


def gradient_sequence(steps, shape=(3, 2), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(steps)]


def reference(cls, kwargs, p0, grads):
    """The iterates of torch.optim's documented algorithm (weight_decay 0, no dampening)."""
    p = p0.copy()
    lr = kwargs["lr"]
    b = v = m = s = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        if cls is SGD:
            p = p - lr * g
        elif cls in (Momentum, Nesterov):
            mu = kwargs["momentum"]
            b = g if t == 1 else mu * b + g  # torch: buf = g on the first step
            p = p - lr * (g + mu * b if cls is Nesterov else b)
        elif cls is AdaGrad:
            s = s + g * g
            p = p - lr * g / (np.sqrt(s) + kwargs["eps"])
        elif cls is RMSprop:
            alpha = kwargs["decay_rate"]
            v = alpha * v + (1 - alpha) * g * g
            p = p - lr * g / (np.sqrt(v) + kwargs["eps"])
        elif cls is Adam:
            b1, b2, eps = kwargs["beta1"], kwargs["beta2"], kwargs["eps"]
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
            p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


# columns: optimizer class, constructor keyword arguments
SETTINGS = [
    (SGD, {"lr": 0.1}),
    (Momentum, {"lr": 0.05, "momentum": 0.9}),
    (Momentum, {"lr": 0.2, "momentum": 0.5}),
    (Nesterov, {"lr": 0.05, "momentum": 0.9}),
    (AdaGrad, {"lr": 0.3, "eps": 1e-10}),
    (RMSprop, {"lr": 0.01, "decay_rate": 0.99, "eps": 1e-8}),
    (RMSprop, {"lr": 0.1, "decay_rate": 0.5, "eps": 1e-3}),
    (Adam, {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}),
    (Adam, {"lr": 0.1, "beta1": 0.5, "beta2": 0.8, "eps": 1e-2}),
]


@pytest.mark.parametrize("cls, kwargs", SETTINGS)
def test_iterates_follow_torchs_documented_algorithm(cls, kwargs):
    grads = gradient_sequence(8)
    p0 = np.random.default_rng(1).standard_normal((3, 2))
    params = {"W": p0.copy()}
    opt = cls(**kwargs)
    for g in grads:
        opt.update(params, {"W": g})
    np.testing.assert_allclose(params["W"], reference(cls, kwargs, p0, grads), rtol=1e-12,
                               atol=1e-15)


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_update_is_in_place(cls):
    W = np.ones((2, 2))
    params = {"W": W}
    cls().update(params, {"W": np.full((2, 2), 0.5)})
    assert params["W"] is W
    assert np.all(W < 1.0)


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_update_does_not_modify_the_gradients(cls):
    g = np.random.default_rng(2).standard_normal(4)
    saved = g.copy()
    opt = cls()
    for _ in range(3):
        opt.update({"W": np.ones(4)}, {"W": g})
    np.testing.assert_array_equal(g, saved)


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_each_parameter_keeps_its_own_state(cls):
    grads = gradient_sequence(4, shape=(3,))
    together = {"a": np.zeros(3), "b": np.ones(3)}
    alone_a, alone_b = {"a": np.zeros(3)}, {"b": np.ones(3)}
    opt, opt_a, opt_b = cls(), cls(), cls()
    for g in grads:
        opt.update(together, {"a": g, "b": -2 * g})
        opt_a.update(alone_a, {"a": g})
        opt_b.update(alone_b, {"b": -2 * g})
    np.testing.assert_array_equal(together["a"], alone_a["a"])
    np.testing.assert_array_equal(together["b"], alone_b["b"])


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_float32_parameters_stay_float32(cls):
    params = {"W": np.ones(3, dtype=np.float32)}
    opt = cls()
    for g in gradient_sequence(3, shape=(3,)):
        opt.update(params, {"W": g})  # float64 gradients
    assert params["W"].dtype == np.float32


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_extra_gradient_entries_are_ignored(cls):
    params = {"W": np.ones(2)}
    cls().update(params, {"W": np.ones(2), "unused": np.ones(7)})
    assert np.all(params["W"] < 1)


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_a_refused_update_changes_neither_parameters_nor_state(cls):
    params = {"a": np.ones(2), "b": np.ones(3)}
    opt = cls()
    with pytest.raises(ValueError, match=r"grads\['b'\]"):
        opt.update(params, {"a": np.ones(2), "b": np.ones(2)})  # 'a' is fine, 'b' is not
    np.testing.assert_array_equal(params["a"], np.ones(2))
    # the state is as fresh as a new optimizer's: the next good update matches one
    fresh = {"a": np.ones(2), "b": np.ones(3)}
    good = {"a": np.full(2, 0.5), "b": np.full(3, -0.5)}
    opt.update(params, good)
    cls().update(fresh, good)
    np.testing.assert_array_equal(params["a"], fresh["a"])
    np.testing.assert_array_equal(params["b"], fresh["b"])


def test_momentum_gives_the_books_iterates_for_a_constant_learning_rate():
    # the book: v = momentum * v - lr * g; p += v
    grads = gradient_sequence(10)
    p_book = np.random.default_rng(3).standard_normal((3, 2))
    params = {"W": p_book.copy()}
    v = np.zeros_like(p_book)
    opt = Momentum(lr=0.05, momentum=0.9)
    for g in grads:
        v = 0.9 * v - 0.05 * g
        p_book = p_book + v
        opt.update(params, {"W": g})
    np.testing.assert_allclose(params["W"], p_book, rtol=1e-12)


def test_adams_first_step_moves_each_parameter_by_about_lr():
    params = {"W": np.zeros(4)}
    Adam(lr=0.01).update(params, {"W": np.array([1e-3, -5.0, 20.0, -0.1])})
    np.testing.assert_allclose(params["W"], [-0.01, 0.01, -0.01, 0.01], rtol=1e-4)


# columns: class, attribute -> PyTorch's default value
DEFAULTS = [
    (SGD, {"lr": 0.01}),
    (Momentum, {"lr": 0.01, "momentum": 0.9}),
    (Nesterov, {"lr": 0.01, "momentum": 0.9}),
    (AdaGrad, {"lr": 0.01, "eps": 1e-10}),
    (RMSprop, {"lr": 0.01, "decay_rate": 0.99, "eps": 1e-8}),
    (Adam, {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}),
]


@pytest.mark.parametrize("cls, expected", DEFAULTS)
def test_defaults_are_the_books_learning_rates_and_torchs_epsilons(cls, expected):
    opt = cls()
    assert {k: getattr(opt, k) for k in expected} == expected


# columns: class, the book's state attributes, created on the first update
@pytest.mark.parametrize("cls, attributes", [
    (Momentum, ["v"]), (Nesterov, ["v"]), (AdaGrad, ["h"]), (RMSprop, ["h"]), (Adam, ["m", "v"]),
])
def test_state_uses_the_books_attribute_names_and_is_created_lazily(cls, attributes):
    opt = cls()
    assert all(getattr(opt, a) is None for a in attributes)
    opt.update({"W": np.ones(2)}, {"W": np.ones(2)})
    for a in attributes:
        state = getattr(opt, a)
        assert list(state) == ["W"] and state["W"].shape == (2,)
