"""Tests of scratch_cnn.layers.conv: Convolution with int and (h, w) stride and pad."""

import numpy as np
import pytest

from scratch_cnn import Convolution
from tests.helpers import LAYOUTS

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


# The kernels choose a path by shape (scratch_cnn/_kernels/conv.py): from 4 input channels on
# a channels-last column matrix, with dx as a convolution of dout at stride 1 and pad below
# the kernel size, else a fold; below 4 channels the channel-major matrix. Each path, in both
# dtypes, for NCHW, channel-major and channels-last inputs, and with every sample in a batch
# chunk of its own. Columns: x shape, W shape, stride, pad.
PATH_CASES = [
    ((3, 4, 6, 7), (5, 4, 3, 3), 1, 1),       # channels-last, dx by convolution
    ((2, 6, 7, 6), (3, 6, 3, 2), 2, 1),       # channels-last, dx by fold (stride 2)
    ((2, 5, 5, 6), (4, 5, 2, 3), 1, (2, 0)),  # channels-last, dx by fold (pad > kernel - 1)
    ((2, 4, 4, 5), (3, 4, 1, 1), 1, 0),       # channels-last, 1x1
    ((3, 2, 7, 6), (4, 2, 3, 3), (2, 1), 1),  # channel-major
]


def loop_conv_grads(x, W, y, stride, pad):
    """dx and dW of the cross-correlation, one output position at a time."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    fh, fw = W.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    for a in range(y.shape[2]):
        for c in range(y.shape[3]):
            window = (slice(None), slice(None), slice(a * sh, a * sh + fh),
                      slice(c * sw, c * sw + fw))
            dW += np.einsum("nf,nchw->fchw", y[:, :, a, c], xp[window])
            dxp[window] += np.einsum("nf,fchw->nchw", y[:, :, a, c], W)
    return dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]], dW


@pytest.mark.parametrize("chunk_bytes", [None, 1])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", PATH_CASES)
def test_every_kernel_path_matches_the_loops(x_shape, w_shape, stride, pad, dtype, layout,
                                             chunk_bytes, monkeypatch):
    from scratch_cnn._kernels import windows
    if chunk_bytes is not None:
        monkeypatch.setattr(windows, "CHUNK_BYTES", chunk_bytes)
    rng = np.random.default_rng(4)
    x, W, b = (rng.standard_normal(x_shape).astype(dtype),
               rng.standard_normal(w_shape).astype(dtype),
               rng.standard_normal(w_shape[0]).astype(dtype))
    y = rng.standard_normal((x_shape[0], w_shape[0]) + tuple(
        (n + 2 * p - k) // s + 1 for n, k, s, p in
        zip(x_shape[2:], w_shape[2:], _pair(stride), _pair(pad)))).astype(dtype)
    laid_x, laid_y = LAYOUTS[layout](x), LAYOUTS[layout](y)
    layer = Convolution(W, b, stride, pad)
    out = layer.forward(laid_x)
    dx = layer.backward(laid_y)
    assert out.dtype == dx.dtype == layer.dW.dtype == layer.db.dtype == dtype
    tol = {np.float64: 1e-12, np.float32: 2e-5}[dtype]
    as64 = [a.astype(np.float64) for a in (x, W, b, y)]
    expected_dx, expected_dW = loop_conv_grads(as64[0], as64[1], as64[3], stride, pad)
    np.testing.assert_allclose(out, loop_conv(*as64[:3], stride, pad), rtol=tol, atol=tol)
    np.testing.assert_allclose(dx, expected_dx, rtol=tol, atol=tol)
    np.testing.assert_allclose(layer.dW, expected_dW, rtol=tol, atol=tol)
    np.testing.assert_allclose(layer.db, as64[3].sum(axis=(0, 2, 3)), rtol=tol, atol=tol)
    np.testing.assert_array_equal(laid_x, x)  # the input is not written
    np.testing.assert_array_equal(laid_y, y)
