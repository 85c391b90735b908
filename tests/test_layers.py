"""Properties every layer shares, checked over one table of layer cases:

- backward agrees with central differences in float64, for dx and for every parameter;
- float32 in gives float32 out (output, dx, parameter gradients), float64 stays float64;
- the layers never modify the arrays they are given (x, the parameters, dout) and hold the
  very parameter arrays they were built with;
- backward returns dx of x's shape and can be called again with the same result.

Each layer's own semantics are in test_<family>.py; SoftmaxWithLoss, whose forward takes
targets, is covered there (test_loss.py). Bad-input cases live in test_errors.py.
"""

from collections import namedtuple

import numpy as np
import pytest

from scratch_cnn import (
    LRN,
    Affine,
    AvgPooling,
    BatchNormalization,
    Convolution,
    Dropout,
    Pooling,
    Relu,
    Sigmoid,
)
from tests.helpers import central_difference

pytestmark = pytest.mark.filterwarnings("error")


# --- how a case is run -----------------------------------------------------------------------
def plain(layer, x):
    return layer.forward(x)


def train(layer, x):
    return layer.forward(x, True)


def evaluate(layer, x):
    return layer.forward(x, False)


def seeded_train(layer, x):
    """Dropout in training mode with the same mask at every call (for the gradient check)."""
    layer.rng = np.random.default_rng(7)
    return layer.forward(x, True)


def normal(shape, rng):
    return rng.standard_normal(shape)


def distinct(shape, rng):
    """Distinct values 0.05 apart, none closer than 0.025 to 0: no ReLU kink, no max-pool tie
    within reach of the finite-difference step."""
    size = int(np.prod(shape))
    return ((rng.permutation(size) - size / 2 + 0.5) * 0.05).reshape(shape)


# --- the layers, built in a given dtype ------------------------------------------------------
def affine(n_in, n_out):
    def make(dtype, rng):
        return Affine(rng.standard_normal((n_in, n_out)).astype(dtype),
                      rng.standard_normal(n_out).astype(dtype))
    return make


def conv(w_shape, stride, pad):
    def make(dtype, rng):
        return Convolution(rng.standard_normal(w_shape).astype(dtype),
                           rng.standard_normal(w_shape[0]).astype(dtype), stride, pad)
    return make


def batchnorm(channels, with_running_stats):
    def make(dtype, rng):
        extra = {}
        if with_running_stats:
            extra = {"running_mean": rng.standard_normal(channels).astype(dtype),
                     "running_var": (0.5 + rng.random(channels)).astype(dtype)}
        return BatchNormalization((1 + 0.3 * rng.standard_normal(channels)).astype(dtype),
                                  rng.standard_normal(channels).astype(dtype), **extra)
    return make


def simple(cls, *args, **kwargs):
    def make(dtype, rng):
        return cls(*args, **kwargs)
    return make


Case = namedtuple("Case", "make x_shape values run")
# columns: make(dtype, rng), x shape, input values, run(layer, x)
CASES = {
    "Relu": Case(simple(Relu), (2, 3, 4), distinct, plain),
    "Sigmoid": Case(simple(Sigmoid), (3, 5), normal, plain),
    "Affine-2d": Case(affine(6, 4), (5, 6), normal, plain),
    "Affine-4d-flattened": Case(affine(12, 3), (2, 3, 2, 2), normal, plain),
    "Affine-1d-unbatched": Case(affine(6, 4), (6,), normal, plain),
    "Dropout-train": Case(simple(Dropout, 0.4), (4, 5), normal, seeded_train),
    "Dropout-eval": Case(simple(Dropout, 0.4), (4, 5), normal, evaluate),
    "BatchNorm-2d-train": Case(batchnorm(3, False), (6, 3), normal, train),
    "BatchNorm-2d-eval": Case(batchnorm(3, True), (6, 3), normal, evaluate),
    "BatchNorm-4d-train": Case(batchnorm(2, False), (3, 2, 3, 2), normal, train),
    "BatchNorm-4d-eval": Case(batchnorm(2, True), (3, 2, 3, 2), normal, evaluate),
    "Conv-3x3-s1-p0": Case(conv((3, 2, 3, 3), 1, 0), (2, 2, 5, 5), normal, plain),
    "Conv-3x3-s2-p1": Case(conv((2, 3, 3, 3), 2, 1), (2, 3, 6, 5), normal, plain),
    "Conv-2x3-s(2,1)-p(1,0)": Case(conv((2, 2, 2, 3), (2, 1), (1, 0)), (1, 2, 5, 6), normal,
                                   plain),
    "Conv-1x1": Case(conv((4, 3, 1, 1), 1, 0), (2, 3, 3, 3), normal, plain),
    "MaxPool-2x2-s2": Case(simple(Pooling, 2, 2, 2), (2, 2, 4, 5), distinct, plain),
    "MaxPool-3x3-s2-p1": Case(simple(Pooling, 3, 3, 2, 1), (2, 2, 5, 5), distinct, plain),
    "MaxPool-2x3-s(1,2)-p(1,1)": Case(simple(Pooling, 2, 3, (1, 2), (1, 1)), (1, 2, 4, 5),
                                      distinct, plain),
    "AvgPool-2x2-s2": Case(simple(AvgPooling, 2, 2, 2), (2, 2, 4, 5), normal, plain),
    "AvgPool-3x3-s2-p1": Case(simple(AvgPooling, 3, 3, 2, 1), (2, 2, 5, 5), normal, plain),
    "LRN-size5": Case(simple(LRN, 5, 0.5, 0.75, 2.0), (2, 7, 2, 2), normal, plain),
    "LRN-size2-even": Case(simple(LRN, 2, 1.0, 0.5, 1.0), (2, 4, 3), normal, plain),
}
PARAM_CASES = {k: c for k, c in CASES.items() if k.split("-")[0] in ("Affine", "Conv",
                                                                      "BatchNorm")}


def build(case, dtype, seed=0):
    rng = np.random.default_rng(seed)
    layer = case.make(dtype, rng)
    x = case.values(case.x_shape, rng).astype(dtype)
    return layer, x, rng


def param_names(layer):
    return getattr(layer, "param_names", ())


# --- gradients -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CASES)
def test_backward_dx_matches_central_differences(name):
    case = CASES[name]
    layer, x, rng = build(case, np.float64)
    dout = rng.standard_normal(case.run(layer, x).shape)
    dx = layer.backward(dout)
    assert dx.shape == x.shape

    numeric = central_difference(lambda: np.sum(case.run(layer, x) * dout), x)
    np.testing.assert_allclose(dx, numeric, rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("name", PARAM_CASES)
def test_parameter_gradients_match_central_differences(name):
    case = CASES[name]
    layer, x, rng = build(case, np.float64)
    dout = rng.standard_normal(case.run(layer, x).shape)
    layer.backward(dout)
    for p in param_names(layer):
        analytic = getattr(layer, "d" + p)
        param = getattr(layer, p)
        assert analytic.shape == param.shape, f"{name}: d{p}"
        numeric = central_difference(lambda: np.sum(case.run(layer, x) * dout), param)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7,
                                   err_msg=f"{name}: d{p}")


# --- dtypes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", CASES)
def test_float_dtype_is_kept_by_output_dx_and_parameter_gradients(name, dtype):
    case = CASES[name]
    layer, x, rng = build(case, dtype)
    out = case.run(layer, x)
    assert out.dtype == dtype, f"{name}: forward gave {out.dtype}"
    dx = layer.backward(rng.standard_normal(out.shape).astype(dtype))
    assert dx.dtype == dtype, f"{name}: backward gave {dx.dtype}"
    for p in param_names(layer):
        grad = getattr(layer, "d" + p)
        assert grad.dtype == dtype, f"{name}: d{p} is {grad.dtype}"


def test_batchnorm_running_statistics_keep_float32():
    layer, x, _ = build(CASES["BatchNorm-4d-train"], np.float32)
    layer.forward(x, True)
    assert layer.running_mean.dtype == layer.running_var.dtype == np.float32
    assert layer.forward(x, False).dtype == np.float32


# --- no side effects -------------------------------------------------------------------------
@pytest.mark.parametrize("name", CASES)
def test_layer_modifies_neither_x_nor_its_parameters_nor_dout(name):
    case = CASES[name]
    layer, x, rng = build(case, np.float64)
    params = {p: getattr(layer, p) for p in param_names(layer)}
    saved_params = {p: a.copy() for p, a in params.items()}
    saved_x = x.copy()
    out = case.run(layer, x)
    dout = rng.standard_normal(out.shape)
    saved_dout = dout.copy()
    layer.backward(dout)

    np.testing.assert_array_equal(x, saved_x, err_msg=f"{name} modified x")
    np.testing.assert_array_equal(dout, saved_dout, err_msg=f"{name} modified dout")
    for p, a in params.items():
        assert getattr(layer, p) is a, f"{name} rebound {p}"
        np.testing.assert_array_equal(a, saved_params[p], err_msg=f"{name} modified {p}")


@pytest.mark.parametrize("name", PARAM_CASES)
def test_layer_holds_the_very_parameter_arrays_it_was_given(name):
    # optimizers update params in place; a layer holding a copy would never see the update
    case = CASES[name]
    layer, _, _ = build(case, np.float64)
    cls = type(layer)
    given = {p: getattr(layer, p).copy() for p in param_names(layer)}
    extra = {"stride": layer.stride, "pad": layer.pad} if cls is Convolution else {}
    rebuilt = cls(*given.values(), **extra)
    for p, a in given.items():
        assert getattr(rebuilt, p) is a, f"{name}: {p} is not the array passed in"


@pytest.mark.parametrize("name", CASES)
def test_backward_can_be_called_twice_with_the_same_result(name):
    case = CASES[name]
    layer, x, rng = build(case, np.float64)
    dout = rng.standard_normal(case.run(layer, x).shape)
    first = layer.backward(dout).copy()
    np.testing.assert_array_equal(layer.backward(dout), first)


@pytest.mark.parametrize("name", CASES)
def test_non_contiguous_x_and_dout_give_the_same_results(name):
    case = CASES[name]
    layer, x, rng = build(case, np.float64)
    out = case.run(layer, x).copy()
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout).copy()
    grads = {p: getattr(layer, "d" + p).copy() for p in param_names(layer)}

    flipped = np.flip(x).copy()
    view_x = np.flip(flipped)  # x's values through negative strides
    view_dout = np.asfortranarray(dout)
    np.testing.assert_allclose(case.run(layer, view_x), out, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(layer.backward(view_dout), dx, rtol=1e-14, atol=1e-15)
    for p, g in grads.items():
        np.testing.assert_allclose(getattr(layer, "d" + p), g, rtol=1e-14, atol=1e-15)
