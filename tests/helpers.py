"""Small helpers the test files share."""

import numpy as np


def central_difference(f, a, h=1e-6):
    """d f() / d a, perturbing a in place (f closes over a, or over a layer holding it); kept
    apart from scratch_cnn.numerical_gradient so that the tests do not lean on the library."""
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        original = a[idx]
        a[idx] = original + h
        f_plus = f()
        a[idx] = original - h
        f_minus = f()
        a[idx] = original
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
