"""Tests of scratch_cnn.layers.activation: Relu and Sigmoid."""

import numpy as np
import pytest

from scratch_cnn import Relu, Sigmoid

pytestmark = pytest.mark.filterwarnings("error")


# --- Relu ------------------------------------------------------------------------------------
def test_relu_forward_is_max_of_x_and_zero():
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    np.testing.assert_array_equal(Relu().forward(x), [[0.0, 0.0, 0.0, 0.5, 3.0]])


def test_relu_gradient_passes_dout_where_x_is_positive_and_is_zero_at_zero():
    layer = Relu()
    layer.forward(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(layer.backward(np.array([5.0, 6.0, 7.0])), [0.0, 0.0, 7.0])


def test_relu_keeps_the_books_mask_attribute():
    layer = Relu()
    layer.forward(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(layer.mask, [True, True, False])


def test_relu_backward_leaves_the_callers_dout_alone():
    # DESIGN difference 9: the book writes zeros into dout
    layer = Relu()
    layer.forward(-np.ones((2, 2)))
    dout = np.ones((2, 2))
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dout, np.ones((2, 2)))
    assert not np.shares_memory(dx, dout)


def test_relu_output_is_not_a_view_of_x():
    x = np.array([1.0, -1.0])
    out = Relu().forward(x)
    out[0] = 9.0
    assert x[0] == 1.0


def test_relu_propagates_nan_as_torch_does():
    assert np.isnan(Relu().forward(np.array([np.nan]))[0])


# --- Sigmoid ---------------------------------------------------------------------------------
# columns: x, expected sigmoid(x)
SIGMOID_VALUES = [
    (0.0, 0.5),
    (np.log(3.0), 0.75),
    (-np.log(3.0), 0.25),
    (1000.0, 1.0),
    (-1000.0, 0.0),  # exp(1000) overflows: the result is 0, without a warning
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x, expected", SIGMOID_VALUES)
def test_sigmoid_forward_values_including_overflowing_inputs(x, expected, dtype):
    out = Sigmoid().forward(np.array([x], dtype=dtype))
    assert out.dtype == dtype
    np.testing.assert_allclose(out, [expected], rtol=1e-6 if dtype == np.float32 else 1e-15)


def test_sigmoid_gradient_is_dout_times_y_times_one_minus_y():
    layer = Sigmoid()
    x = np.random.default_rng(0).standard_normal((3, 4))
    y = 1 / (1 + np.exp(-x))
    dout = np.random.default_rng(1).standard_normal((3, 4))
    layer.forward(x)
    np.testing.assert_allclose(layer.backward(dout), dout * y * (1 - y), rtol=1e-14)


def test_sigmoid_of_integers_is_float64():
    assert Sigmoid().forward(np.array([0, 1])).dtype == np.float64
