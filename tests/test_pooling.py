"""Tests of scratch_cnn.layers.pooling: Pooling (max: -inf padding, ties to the first maximum,
output size counting the padding, default stride = window) and AvgPooling
(count_include_pad)."""

import numpy as np
import pytest

from scratch_cnn import AvgPooling, Pooling
from tests.helpers import LAYOUTS

pytestmark = pytest.mark.filterwarnings("error")


def loop_pool(x, ph_, pw_, stride, pad, kind):
    """Forward and the backward routing matrix of a pooling, one window at a time."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    n, c, h, w = x.shape
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    oh, ow = (h + 2 * ph - ph_) // sh + 1, (w + 2 * pw - pw_) // sw + 1
    out = np.empty((n, c, oh, ow))
    grad = np.zeros((n, c, oh, ow) + xp.shape[2:])  # d out[n, c, a, b] / d xp[n, c]
    for i in range(n):
        for j in range(c):
            for a in range(oh):
                for b in range(ow):
                    win = xp[i, j, a * sh:a * sh + ph_, b * sw:b * sw + pw_]
                    g = grad[i, j, a, b, a * sh:a * sh + ph_, b * sw:b * sw + pw_]
                    if kind == "max":
                        out[i, j, a, b] = win.max()
                        g.flat[np.argmax(win)] = 1.0  # argmax: the first maximum
                    else:
                        out[i, j, a, b] = win.mean()
                        g[...] = 1.0 / win.size
    return out, grad[..., ph:ph + h, pw:pw + w]


def loop_backward(grad, dout):
    return np.einsum("ncab,ncabhw->nchw", dout, grad)


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


# columns: x shape, pool_h, pool_w, stride, pad
POOL_CASES = [
    ((2, 2, 4, 4), 2, 2, 2, 0),
    ((1, 2, 5, 5), 2, 2, 2, 0),           # odd size: the last row and column are dropped
    ((2, 1, 5, 5), 3, 3, 2, 1),           # AlexNet's overlapping, padded pool
    ((1, 2, 6, 5), 3, 3, 1, 1),
    ((1, 1, 4, 6), 2, 3, (1, 2), (1, 1)),
    ((1, 2, 4, 4), 2, 2, 1, 1),
    ((2, 1, 7, 4), 3, 2, (2, 1), (1, 0)),
    ((1, 1, 4, 4), 4, 4, 1, 2),            # pad = half the window
]
KINDS = [("max", Pooling), ("avg", AvgPooling)]


@pytest.mark.parametrize("kind, cls", KINDS)
@pytest.mark.parametrize("shape, ph, pw, stride, pad", POOL_CASES)
def test_pooling_forward_and_backward_match_window_loops(shape, ph, pw, stride, pad, kind, cls):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    layer = cls(ph, pw, stride, pad)
    out = layer.forward(x)
    expected, grad = loop_pool(x, ph, pw, stride, pad, kind)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(layer.backward(dout), loop_backward(grad, dout), rtol=1e-13,
                               atol=1e-15)


# columns: H, pool, stride, pad, expected output height
@pytest.mark.parametrize("h, pool, stride, pad, expected", [
    (4, 2, 2, 1, 3),   # the book ignores pad here (DESIGN difference 1)
    (7, 3, 2, 1, 4),
    (5, 2, 1, 1, 6),
    (6, 3, None, 0, 2),
    (7, 3, None, 1, 3),
])
@pytest.mark.parametrize("cls", [Pooling, AvgPooling])
def test_output_size_counts_the_padding(h, pool, stride, pad, expected, cls):
    out = cls(pool, pool, stride, pad).forward(np.zeros((1, 1, h, h)))
    assert out.shape == (1, 1, expected, expected)


@pytest.mark.parametrize("cls", [Pooling, AvgPooling])
def test_stride_defaults_to_the_window(cls):
    layer = cls(3, 2)
    assert layer.forward(np.zeros((1, 1, 7, 7))).shape == (1, 1, 2, 3)


def test_max_pool_pads_with_minus_infinity():
    # DESIGN difference 2: with zero padding an all-negative border window returns 0
    x = -1.0 - np.arange(16.0).reshape(1, 1, 4, 4)
    out = Pooling(2, 2, 2, 1).forward(x)
    assert np.all(out < 0)
    np.testing.assert_array_equal(out[0, 0], [[-1, -2, -4], [-5, -6, -8], [-13, -14, -16]])


def test_max_pool_tie_goes_to_the_first_maximum_in_the_window():
    layer = Pooling(2, 2, 2)
    x = np.ones((1, 1, 4, 4))
    x[0, 0, 2:, 2:] = [[0, 5], [5, 5]]
    layer.forward(x)
    dx = layer.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    expected = np.array([[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 0, 4], [0, 0, 0, 0]], float)
    np.testing.assert_array_equal(dx[0, 0], expected)


def test_max_pool_gradient_sums_over_overlapping_windows():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # the maximum of all four 2x2 windows
    layer = Pooling(2, 2, 1)
    layer.forward(x)
    dx = layer.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    assert dx[0, 0, 1, 1] == 10.0 and np.count_nonzero(dx) == 1


def test_max_pool_with_nan_propagates_nan_as_torch_does():
    x = np.zeros((1, 1, 2, 2))
    x[0, 0, 1, 0] = np.nan
    assert np.isnan(Pooling(2, 2, 2).forward(x)[0, 0, 0, 0])


def test_max_pool_gradient_of_an_all_minus_inf_window_goes_to_its_first_real_input():
    # padding never wins, even against -inf (as in torch)
    x = np.full((1, 1, 2, 2), -np.inf)
    layer = Pooling(2, 2, 2, 1)  # four windows, each one real input and three pads
    out = layer.forward(x)
    np.testing.assert_array_equal(out, np.full((1, 1, 2, 2), -np.inf))
    dx = layer.backward(np.ones(out.shape))
    np.testing.assert_array_equal(dx, np.ones((1, 1, 2, 2)))  # what torch's max_pool2d gives


def test_avg_pool_counts_the_zero_padding_in_the_mean():
    x = np.full((1, 1, 2, 2), 4.0)
    out = AvgPooling(2, 2, 2, 1).forward(x)
    np.testing.assert_array_equal(out[0, 0], [[1.0, 1.0], [1.0, 1.0]])  # 4 / 4 cells


def test_pooling_keeps_integer_input_as_float64():
    x = np.arange(16).reshape(1, 1, 4, 4)
    for cls in (Pooling, AvgPooling):
        out = cls(2, 2, 2).forward(x)
        assert out.dtype == np.float64


# Max pooling's kernels (scratch_cnn/_kernels/max_pooling.py) work on the planes in the order
# they lie in memory, a chunk of planes at a time: 2x2/2 has its own kernel, every other
# window runs on the stride's phases. Each, for NCHW, channel-major and channels-last input,
# with the default chunks and with one plane per chunk. Columns: x shape, pool, stride, pad.
LAYOUT_CASES = [
    ((2, 3, 6, 8), 2, 2, 0),       # the 2x2/2 kernel
    ((2, 3, 7, 7), 3, 2, 1),       # phases: 2x2 of them, padded
    ((2, 3, 9, 8), 3, 3, 0),       # phases: 3x3, windows apart
    ((2, 3, 5, 6), 3, 1, 1),       # one phase, overlapping
]


@pytest.mark.parametrize("fast_ufunc_at", [True, False])  # NumPy >= 1.25, and older ones
@pytest.mark.parametrize("chunk_bytes", [None, 1])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape, pool, stride, pad", LAYOUT_CASES)
def test_max_pool_kernels_match_window_loops_in_every_layout(shape, pool, stride, pad, layout,
                                                            chunk_bytes, fast_ufunc_at,
                                                            monkeypatch):
    from scratch_cnn._kernels import max_pooling, windows
    if chunk_bytes is not None:
        monkeypatch.setattr(windows, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(max_pooling, "_FAST_UFUNC_AT", fast_ufunc_at)
    rng = np.random.default_rng(5)
    x = rng.integers(-2, 3, shape).astype(float)  # many ties
    expected, grad = loop_pool(x, pool, pool, stride, pad, "max")
    dout = rng.standard_normal(expected.shape)
    layer = Pooling(pool, pool, stride, pad)
    np.testing.assert_array_equal(layer.forward(LAYOUTS[layout](x)), expected)
    np.testing.assert_allclose(layer.backward(LAYOUTS[layout](dout)),
                               loop_backward(grad, dout), rtol=1e-13, atol=1e-15)
