"""Tests of scratch_cnn.layers.normalization: BatchNormalization (2-D and 4-D, train and eval,
running statistics and the book's momentum convention) and LRN."""

import numpy as np
import pytest

from scratch_cnn import LRN, BatchNormalization

pytestmark = pytest.mark.filterwarnings("error")

EPS = 1e-5  # PyTorch's default (the book: 1e-6)


def make_bn(channels, seed=0, **kwargs):
    rng = np.random.default_rng(seed)
    gamma = 1 + 0.5 * rng.standard_normal(channels)
    beta = rng.standard_normal(channels)
    return BatchNormalization(gamma, beta, **kwargs), rng


def per_channel(v, ndim):
    return v if ndim == 2 else v[:, None, None]


# columns: x shape, axes the statistics are taken over
SHAPES = [((8, 3), (0,)), ((4, 3, 2, 5), (0, 2, 3))]


@pytest.mark.parametrize("shape, axes", SHAPES)
def test_training_normalises_with_batch_statistics_per_channel(shape, axes):
    # 4-D input is normalised per channel (BatchNorm2d), not per C*H*W feature as in the book
    layer, rng = make_bn(3)
    x = rng.standard_normal(shape) * 3 + 2
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    nd = x.ndim
    expected = (per_channel(layer.gamma, nd) * (x - per_channel(mean, nd))
                / np.sqrt(per_channel(var, nd) + EPS) + per_channel(layer.beta, nd))
    np.testing.assert_allclose(layer.forward(x, train_flg=True), expected, rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("shape, axes", SHAPES)
def test_training_updates_running_stats_with_unbiased_variance(shape, axes):
    layer, rng = make_bn(3, momentum=0.9)
    x = rng.standard_normal(shape) * 3 + 2
    layer.forward(x, train_flg=True)
    count = x.size // 3
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.mean(axis=axes), rtol=1e-13)
    np.testing.assert_allclose(layer.running_var,
                               0.9 * 1.0 + 0.1 * x.var(axis=axes) * count / (count - 1),
                               rtol=1e-13)


def test_momentum_is_the_weight_of_the_old_running_statistics():
    # the book's convention; torch's momentum is 1 - this one
    layer, rng = make_bn(2, momentum=0.7)
    x1, x2 = rng.standard_normal((5, 2)), rng.standard_normal((5, 2)) + 4
    layer.forward(x1)
    layer.forward(x2)
    expected_mean = 0.7 * (0.3 * x1.mean(axis=0)) + 0.3 * x2.mean(axis=0)
    expected_var = 0.7 * (0.7 + 0.3 * x1.var(axis=0, ddof=1)) + 0.3 * x2.var(axis=0, ddof=1)
    np.testing.assert_allclose(layer.running_mean, expected_mean, rtol=1e-13)
    np.testing.assert_allclose(layer.running_var, expected_var, rtol=1e-13)


def test_defaults_are_momentum_0_9_and_eps_1e_5():
    layer, _ = make_bn(2)
    assert layer.momentum == 0.9 and layer.eps == EPS


@pytest.mark.parametrize("shape, axes", SHAPES)
def test_evaluation_uses_the_running_statistics_and_leaves_them_alone(shape, axes):
    layer, rng = make_bn(3, running_mean=np.array([0.5, -1.0, 2.0]),
                         running_var=np.array([2.0, 0.5, 1.5]))
    x = rng.standard_normal(shape)
    nd = x.ndim
    out = layer.forward(x, train_flg=False)
    expected = (per_channel(layer.gamma, nd) * (x - per_channel(layer.running_mean, nd))
                / np.sqrt(per_channel(layer.running_var, nd) + EPS)
                + per_channel(layer.beta, nd))
    np.testing.assert_allclose(out, expected, rtol=1e-13)
    np.testing.assert_array_equal(layer.running_mean, [0.5, -1.0, 2.0])
    np.testing.assert_array_equal(layer.running_var, [2.0, 0.5, 1.5])


def test_evaluation_before_any_training_uses_mean_zero_and_variance_one():
    layer, rng = make_bn(2)
    x = rng.standard_normal((3, 2))
    np.testing.assert_allclose(layer.forward(x, train_flg=False),
                               layer.gamma * x / np.sqrt(1 + EPS) + layer.beta, rtol=1e-14)


def test_training_then_evaluation_uses_what_training_accumulated():
    layer, rng = make_bn(2, momentum=0.0)  # momentum 0: the running stats are the last batch's
    x = rng.standard_normal((6, 2)) * 2 + 1
    layer.forward(x, train_flg=True)
    out = layer.forward(x, train_flg=False)
    unbiased = x.var(axis=0, ddof=1)
    np.testing.assert_allclose(out, layer.gamma * (x - x.mean(axis=0)) / np.sqrt(unbiased + EPS)
                               + layer.beta, rtol=1e-13)


def test_batchnorm_sees_in_place_updates_of_gamma_and_beta():
    layer, rng = make_bn(2)
    layer.gamma[...] = 0.0
    layer.beta[...] = 3.0
    np.testing.assert_array_equal(layer.forward(rng.standard_normal((4, 2))), np.full((4, 2), 3.0))


# --- LRN -------------------------------------------------------------------------------------
def loop_lrn(x, size, alpha, beta, k):
    """b_c = a_c / (k + alpha/size * sum of a_j^2, j from c - size//2 to c + (size-1)//2)**beta"""
    out = np.empty_like(x)
    channels = x.shape[1]
    for c in range(channels):
        lo, hi = max(0, c - size // 2), min(channels, c + (size - 1) // 2 + 1)
        s = np.sum(x[:, lo:hi] ** 2, axis=1)
        out[:, c] = x[:, c] / (k + alpha / size * s) ** beta
    return out


# columns: channels, size, alpha, beta, k
LRN_CASES = [
    (7, 5, 1e-4, 0.75, 2.0),   # AlexNet's
    (7, 5, 0.5, 0.75, 1.0),
    (4, 2, 1.0, 0.5, 1.0),     # even size: the window is off-centre
    (3, 8, 0.3, 0.9, 1.5),     # the window is wider than the channels
    (5, 1, 0.2, 0.75, 1.0),
    (1, 3, 0.5, 0.75, 2.0),
]


@pytest.mark.parametrize("channels, size, alpha, beta, k", LRN_CASES)
def test_lrn_forward_matches_its_definition(channels, size, alpha, beta, k):
    x = np.random.default_rng(1).standard_normal((2, channels, 3, 2)) * 2
    np.testing.assert_allclose(LRN(size, alpha, beta, k).forward(x),
                               loop_lrn(x, size, alpha, beta, k), rtol=1e-13)


def test_lrn_defaults_are_torchs():
    layer = LRN()
    assert (layer.size, layer.alpha, layer.beta, layer.k) == (5, 1e-4, 0.75, 1.0)


# columns: x shape (N, C, ...)
@pytest.mark.parametrize("shape", [(2, 5, 4), (2, 5, 3, 3), (1, 5, 2, 2, 2)])
def test_lrn_works_on_any_input_with_a_channel_axis(shape):
    x = np.random.default_rng(2).standard_normal(shape)
    layer = LRN(3, 0.5, 0.75, 2.0)
    out = layer.forward(x)
    np.testing.assert_allclose(out, loop_lrn(x, 3, 0.5, 0.75, 2.0), rtol=1e-13)
    assert layer.backward(np.ones(shape)).shape == shape
