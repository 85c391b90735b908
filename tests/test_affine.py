"""Tests of scratch_cnn.layers.affine: the fully connected layer (W is (in, out))."""

import numpy as np
import pytest

from scratch_cnn import Affine

pytestmark = pytest.mark.filterwarnings("error")


def make(n_in=6, n_out=4, seed=0):
    rng = np.random.default_rng(seed)
    return Affine(rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out)), rng


def test_affine_forward_is_x_times_w_plus_b():
    layer, rng = make()
    x = rng.standard_normal((5, 6))
    np.testing.assert_allclose(layer.forward(x), x @ layer.W + layer.b, rtol=1e-14)


def test_affine_backward_gives_books_dx_dw_db():
    layer, rng = make()
    x, dout = rng.standard_normal((5, 6)), rng.standard_normal((5, 4))
    layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_allclose(dx, dout @ layer.W.T, rtol=1e-14)
    np.testing.assert_allclose(layer.dW, x.T @ dout, rtol=1e-14)
    np.testing.assert_allclose(layer.db, dout.sum(axis=0), rtol=1e-14)


# columns: x shape (flattened after the batch axis to (N, 6))
@pytest.mark.parametrize("shape", [(2, 6), (2, 3, 2), (2, 1, 2, 3), (2, 6, 1, 1)])
def test_affine_flattens_nd_input_and_gives_dx_of_x_shape(shape):
    layer, rng = make()
    x = rng.standard_normal(shape)
    out = layer.forward(x)
    np.testing.assert_allclose(out, x.reshape(2, 6) @ layer.W + layer.b, rtol=1e-14)
    dout = rng.standard_normal((2, 4))
    dx = layer.backward(dout)
    assert dx.shape == shape
    np.testing.assert_allclose(layer.dW, x.reshape(2, 6).T @ dout, rtol=1e-14)


def test_affine_one_dimensional_input_is_one_unbatched_sample():
    layer, rng = make()
    x, dout = rng.standard_normal(6), rng.standard_normal(4)
    out = layer.forward(x)
    assert out.shape == (4,)
    np.testing.assert_allclose(out, x @ layer.W + layer.b, rtol=1e-14)
    dx = layer.backward(dout)
    assert dx.shape == (6,)
    np.testing.assert_allclose(layer.dW, np.outer(x, dout), rtol=1e-14)
    np.testing.assert_allclose(layer.db, dout, rtol=1e-14)


def test_affine_sees_in_place_updates_of_its_weights():
    layer, rng = make()
    x = rng.standard_normal((2, 6))
    layer.W[...] = 0.0
    layer.b[...] = 1.0
    np.testing.assert_array_equal(layer.forward(x), np.ones((2, 4)))


def test_affine_of_an_empty_batch_is_empty():
    layer, _ = make()
    assert layer.forward(np.zeros((0, 2, 3))).shape == (0, 4)
