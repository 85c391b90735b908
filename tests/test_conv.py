"""Tests of scratch_cnn.layers.conv: Convolution with int and (h, w) stride and pad."""

import numpy as np
import pytest

from scratch_cnn import Convolution

pytestmark = pytest.mark.filterwarnings("error")


def loop_conv(x, W, b, stride, pad):
    """Direct cross-correlation, one output element at a time."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    n, _, h, w = x.shape
    fn, _, fh, fw = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = (h + 2 * ph - fh) // sh + 1, (w + 2 * pw - fw) // sw + 1
    out = np.empty((n, fn, oh, ow))
    for i in range(n):
        for f in range(fn):
            for a in range(oh):
                for c in range(ow):
                    window = xp[i, :, a * sh:a * sh + fh, c * sw:c * sw + fw]
                    out[i, f, a, c] = np.sum(window * W[f]) + b[f]
    return out


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


# columns: x shape (N, C, H, W), W shape (FN, C, FH, FW), stride, pad
CONV_CASES = [
    ((2, 1, 6, 6), (3, 1, 3, 3), 1, 0),
    ((2, 3, 5, 5), (2, 3, 3, 3), 1, 1),
    ((1, 2, 7, 6), (2, 2, 3, 3), 2, 0),     # odd size: floor((7 - 3) / 2) + 1
    ((1, 2, 6, 7), (4, 2, 3, 2), 2, 1),
    ((2, 2, 5, 6), (2, 2, 2, 3), (2, 1), (1, 0)),
    ((1, 3, 4, 4), (2, 3, 1, 1), 1, 0),
    ((1, 1, 3, 3), (1, 1, 5, 5), 1, 1),     # kernel = padded input: one output
    ((2, 2, 4, 5), (3, 2, 4, 5), 1, 0),     # kernel = input
    ((1, 1, 8, 8), (1, 1, 3, 3), 3, 2),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_convolution_forward_is_cross_correlation_plus_bias(x_shape, w_shape, stride, pad):
    rng = np.random.default_rng(0)
    x, W, b = (rng.standard_normal(x_shape), rng.standard_normal(w_shape),
               rng.standard_normal(w_shape[0]))
    out = Convolution(W, b, stride, pad).forward(x)
    expected = loop_conv(x, W, b, stride, pad)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_convolution_backward_is_the_adjoint_of_forward(x_shape, w_shape, stride, pad):
    # without bias, forward is linear in x and in W: <conv(x), y> = <x, dx(y)> = <W, dW(y)>
    rng = np.random.default_rng(1)
    x, W = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    layer = Convolution(W, np.zeros(w_shape[0]), stride, pad)
    out = layer.forward(x)
    y = rng.standard_normal(out.shape)
    dx = layer.backward(y)
    inner = np.sum(out * y)
    np.testing.assert_allclose(np.sum(x * dx), inner, rtol=1e-12)
    np.testing.assert_allclose(np.sum(W * layer.dW), inner, rtol=1e-12)
    np.testing.assert_allclose(layer.db, y.sum(axis=(0, 2, 3)), rtol=1e-13)


def test_int_and_pair_stride_and_pad_mean_the_same():
    rng = np.random.default_rng(2)
    x, W, b = rng.standard_normal((1, 2, 7, 7)), rng.standard_normal((2, 2, 3, 3)), np.ones(2)
    np.testing.assert_array_equal(Convolution(W, b, 2, 1).forward(x),
                                  Convolution(W, b, (2, 2), (1, 1)).forward(x))
    np.testing.assert_array_equal(Convolution(W, b, [2, 2], [1, 1]).forward(x),
                                  Convolution(W, b, 2, 1).forward(x))


def test_convolution_pads_with_zeros():
    W = np.ones((1, 1, 3, 3))
    out = Convolution(W, np.zeros(1), 1, 1).forward(np.ones((1, 1, 3, 3)))
    np.testing.assert_array_equal(out[0, 0], [[4, 6, 4], [6, 9, 6], [4, 6, 4]])


def test_convolution_sees_in_place_updates_of_its_weights():
    rng = np.random.default_rng(3)
    layer = Convolution(rng.standard_normal((2, 1, 3, 3)), np.zeros(2))
    layer.W[...] = 0.0
    layer.b[...] = [1.0, 2.0]
    out = layer.forward(rng.standard_normal((1, 1, 4, 4)))
    np.testing.assert_array_equal(out[0, 0], np.ones((2, 2)))
    np.testing.assert_array_equal(out[0, 1], np.full((2, 2), 2.0))


def test_convolution_keeps_the_stride_and_pad_it_was_given():
    layer = Convolution(np.ones((1, 1, 2, 2)), np.zeros(1), stride=(2, 1), pad=1)
    assert layer.stride == (2, 1) and layer.pad == 1
