"""Tests of scratch_cnn.layers.loss: SoftmaxWithLoss (labels, one-hot and soft targets,
backward(dout), exactness for large logits, dtypes, no input mutation, gradient check)."""

import numpy as np
import pytest

from scratch_cnn import SoftmaxWithLoss, log_softmax, softmax

pytestmark = pytest.mark.filterwarnings("error")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3)) * 2
LABELS = np.array([0, 2, 1, 2])
ONE_HOT = np.eye(3)[LABELS]
SOFT = softmax(RNG.standard_normal((4, 3)))

# columns: target kind, t
TARGETS = [("labels", LABELS), ("one-hot", ONE_HOT), ("soft", SOFT)]


def expected_loss(x, t_matrix):
    return -np.sum(t_matrix * log_softmax(x)) / x.shape[0]


def as_matrix(t):
    return np.eye(3)[t] if t.ndim == 1 else t


@pytest.mark.parametrize("kind, t", TARGETS)
def test_loss_is_mean_cross_entropy_of_softmax_against_the_targets(kind, t):
    loss = SoftmaxWithLoss().forward(X, t)
    np.testing.assert_allclose(loss, expected_loss(X, as_matrix(t)), rtol=1e-14, err_msg=kind)


@pytest.mark.parametrize("kind, t", TARGETS)
def test_gradient_is_softmax_minus_targets_over_batch_size(kind, t):
    layer = SoftmaxWithLoss()
    layer.forward(X, t)
    np.testing.assert_allclose(layer.backward(), (softmax(X) - as_matrix(t)) / 4, rtol=1e-13,
                               atol=1e-16, err_msg=kind)


def test_soft_target_loss_uses_the_whole_distribution_not_its_argmax():
    # DESIGN difference 4: the book's loss looks only at argmax(t)
    t = np.array([[0.6, 0.4, 0.0]])
    x = np.array([[0.0, 1.0, 2.0]])
    arg_max_loss = SoftmaxWithLoss().forward(x, np.array([0]))
    soft_loss = SoftmaxWithLoss().forward(x, t)
    assert soft_loss != arg_max_loss
    np.testing.assert_allclose(soft_loss, expected_loss(x, t), rtol=1e-15)


def test_gradient_of_unnormalised_soft_targets_is_softmax_times_their_sum_minus_t():
    t = np.array([[0.5, 1.0, 0.5]])
    layer = SoftmaxWithLoss()
    layer.forward(X[:1], t)
    np.testing.assert_allclose(layer.backward(), softmax(X[:1]) * 2.0 - t, rtol=1e-14)


# columns: dout
@pytest.mark.parametrize("dout", [1, 2.5, -1.0, 0.0, np.array(3.0), np.array([0.5])])
def test_backward_scales_the_gradient_by_dout(dout):
    # DESIGN difference 5: the book ignores dout
    layer = SoftmaxWithLoss()
    layer.forward(X, LABELS)
    np.testing.assert_allclose(layer.backward(dout), layer.backward() * float(np.ravel(dout)[0]),
                               rtol=1e-15)


# columns: logits row, label, exact loss
LARGE = [
    ([1000.0, -1000.0], 1, 2000.0),
    ([1000.0, -1000.0], 0, 0.0),
    ([-1000.0, 1000.0, 0.0], 2, 1000.0),
    ([0.0, 100.0], 0, 100.0),  # the book: 16.1, capped by its 1e-7
]


@pytest.mark.parametrize("logits, label, expected", LARGE)
def test_logits_up_to_1000_give_an_exact_finite_loss_and_gradient(logits, label, expected):
    layer = SoftmaxWithLoss()
    loss = layer.forward(np.array([logits]), np.array([label]))
    assert loss == expected
    dx = layer.backward()
    assert np.all(np.isfinite(dx))
    np.testing.assert_allclose(dx, softmax(np.array([logits])) - np.eye(len(logits))[[label]],
                               atol=1e-300)


# columns: the target of one sample (class 2)
@pytest.mark.parametrize("t", [2, np.array(2), np.array([2]), np.eye(3)[2]])
def test_one_dimensional_x_is_one_unbatched_sample(t):
    layer = SoftmaxWithLoss()
    loss = layer.forward(X[1], t)
    np.testing.assert_allclose(loss, -log_softmax(X[1])[2], rtol=1e-15)
    dx = layer.backward()
    assert dx.shape == (3,)
    np.testing.assert_allclose(dx, softmax(X[1]) - np.eye(3)[2], rtol=1e-14)


def test_loss_of_a_certain_prediction_is_plus_zero():
    loss = SoftmaxWithLoss().forward(np.array([[1000.0, -1000.0]]), np.array([0]))
    assert loss == 0.0 and not np.signbit(loss)


def test_forward_keeps_the_books_attributes_loss_y_and_t():
    layer = SoftmaxWithLoss()
    loss = layer.forward(X, LABELS)
    assert layer.loss == loss
    np.testing.assert_allclose(layer.y, softmax(X), rtol=1e-14)
    np.testing.assert_array_equal(layer.t, LABELS)


@pytest.mark.parametrize("kind, t", TARGETS)
def test_float32_scores_give_a_float32_loss_and_gradient(kind, t):
    layer = SoftmaxWithLoss()
    target = t.astype(np.float32) if t.dtype.kind == "f" else t
    loss = layer.forward(X.astype(np.float32), target)
    assert loss.dtype == np.float32 and np.ndim(loss) == 0, kind
    assert layer.backward().dtype == np.float32, kind
    assert layer.backward(np.float64(2.0)).dtype == np.float32, kind


@pytest.mark.parametrize("kind, t", TARGETS)
def test_softmax_with_loss_modifies_neither_x_nor_t(kind, t):
    x, target = X.copy(), t.copy()
    layer = SoftmaxWithLoss()
    layer.forward(x, target)
    layer.backward(2.0)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(target, t)


@pytest.mark.parametrize("kind, t", TARGETS)
def test_gradient_matches_central_differences(kind, t):
    layer = SoftmaxWithLoss()
    x = X.copy()
    layer.forward(x, t)
    dx = layer.backward(1.5)
    h = 1e-6
    numeric = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        x[idx] = original + h
        plus = SoftmaxWithLoss().forward(x, t)
        x[idx] = original - h
        minus = SoftmaxWithLoss().forward(x, t)
        x[idx] = original
        numeric[idx] = 1.5 * (plus - minus) / (2 * h)
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-9, err_msg=kind)
