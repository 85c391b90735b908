"""Tests of scratch_cnn.layers.dropout: the book's mask draw with PyTorch's 1/(1-p) scaling."""

import numpy as np
import pytest

from scratch_cnn import Dropout

pytestmark = pytest.mark.filterwarnings("error")

X = np.random.default_rng(0).standard_normal((6, 7)) + 3.0


# columns: dropout_ratio
@pytest.mark.parametrize("ratio", [0.1, 0.5, 0.8])
def test_mask_is_the_books_draw_rand_greater_than_ratio_from_the_global_state(ratio):
    np.random.seed(42)
    expected = np.random.rand(*X.shape) > ratio
    np.random.seed(42)
    layer = Dropout(ratio)
    layer.forward(X)
    np.testing.assert_array_equal(layer.mask, expected)


def test_mask_is_drawn_from_the_given_generator():
    expected = np.random.default_rng(5).random(X.shape) > 0.3
    layer = Dropout(0.3, rng=np.random.default_rng(5))
    layer.forward(X)
    np.testing.assert_array_equal(layer.mask, expected)


def test_an_int_rng_seeds_a_new_generator():
    expected = np.random.default_rng(5).random(X.shape) > 0.3
    layer = Dropout(0.3, rng=5)
    layer.forward(X)
    np.testing.assert_array_equal(layer.mask, expected)


# columns: dropout_ratio
@pytest.mark.parametrize("ratio", [0.1, 0.5, 0.8])
def test_training_keeps_unmasked_values_scaled_by_one_over_one_minus_ratio(ratio):
    layer = Dropout(ratio, rng=np.random.default_rng(1))
    out = layer.forward(X, train_flg=True)
    np.testing.assert_allclose(out, X * layer.mask / (1 - ratio), rtol=1e-15)
    dout = np.random.default_rng(2).standard_normal(X.shape)
    np.testing.assert_allclose(layer.backward(dout), dout * layer.mask / (1 - ratio),
                               rtol=1e-15)


def test_training_is_the_default_mode():
    layer = Dropout(0.5, rng=np.random.default_rng(1))
    out = layer.forward(X)
    assert np.count_nonzero(out == 0) > 0


def test_evaluation_is_the_identity_forward_and_backward():
    # unlike the book, which multiplies by (1 - ratio) at test time
    layer = Dropout(0.5, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(layer.forward(X, train_flg=False), X)
    dout = np.ones_like(X)
    np.testing.assert_array_equal(layer.backward(dout), dout)


def test_expected_training_output_equals_the_input():
    layer = Dropout(0.3, rng=np.random.default_rng(3))
    x = np.ones((200, 500))
    mean = layer.forward(x).mean()
    assert abs(mean - 1.0) < 0.01, mean  # 1e5 draws: the standard error is 0.0015


def test_ratio_zero_keeps_everything():
    layer = Dropout(0.0, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(layer.forward(X), X)
    np.testing.assert_array_equal(layer.backward(X), X)


def test_ratio_one_drops_everything_without_nan():
    layer = Dropout(1.0, rng=np.random.default_rng(1))
    out = layer.forward(X)
    np.testing.assert_array_equal(out, np.zeros_like(X))
    np.testing.assert_array_equal(layer.backward(np.ones_like(X)), np.zeros_like(X))


# columns: train_flg
@pytest.mark.parametrize("train_flg", [True, False])
def test_float32_stays_float32(train_flg):
    layer = Dropout(0.5, rng=np.random.default_rng(1))
    x = X.astype(np.float32)
    assert layer.forward(x, train_flg).dtype == np.float32
    assert layer.backward(x).dtype == np.float32


def test_each_forward_draws_a_new_mask():
    layer = Dropout(0.5, rng=np.random.default_rng(1))
    layer.forward(X)
    first = layer.mask.copy()
    layer.forward(X)
    assert not np.array_equal(first, layer.mask)
