"""Tests of scratch_cnn.functional: output-size formulas, im2col/col2im, softmax,
log_softmax, cross_entropy_error and numerical_gradient.

Expected values come from direct loops written here (independent of the library's kernels),
from closed forms, or from the DESIGN's list of book-vs-PyTorch differences. Bad-input cases
live in test_errors.py.
"""

import numpy as np
import pytest

from scratch_cnn import (
    col2im,
    conv_output_size,
    cross_entropy_error,
    im2col,
    log_softmax,
    numerical_gradient,
    pool_output_size,
    softmax,
)

pytestmark = pytest.mark.filterwarnings("error")


def loop_im2col(x, fh, fw, stride, pad):
    """The definition: one row per (n, oh, ow), one column per (c, fh, fw)."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = (h + 2 * ph - fh) // sh + 1, (w + 2 * pw - fw) // sw + 1
    rows = [xp[i, :, a * sh:a * sh + fh, b * sw:b * sw + fw].reshape(-1)
            for i in range(n) for a in range(oh) for b in range(ow)]
    return np.array(rows).reshape(n * oh * ow, c * fh * fw)


def loop_col2im(col, shape, fh, fw, stride, pad):
    """The definition of the adjoint: add every row back into the window it came from."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    n, c, h, w = shape
    oh, ow = (h + 2 * ph - fh) // sh + 1, (w + 2 * pw - fw) // sw + 1
    img = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=col.dtype)
    rows = iter(col)
    for i in range(n):
        for a in range(oh):
            for b in range(ow):
                img[i, :, a * sh:a * sh + fh, b * sw:b * sw + fw] += next(rows).reshape(c, fh, fw)
    return img[:, :, ph:ph + h, pw:pw + w]


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


# --- conv_output_size and pool_output_size ---------------------------------------------------
# columns: input_size, filter_size, stride, pad, expected
CONV_SIZES = [
    (28, 5, 1, 0, 24),
    (28, 5, 1, 2, 28),
    (7, 3, 2, 0, 3),
    (8, 3, 2, 0, 3),   # (8 - 3) / 2 + 1 = 3.5 in the book; PyTorch floors
    (8, 3, 2, 1, 4),
    (5, 5, 1, 0, 1),   # the kernel exactly covers the input
    (1, 3, 1, 1, 1),   # the kernel exactly covers the padded input
    (10, 1, 3, 0, 4),
]


@pytest.mark.parametrize("input_size, filter_size, stride, pad, expected", CONV_SIZES)
def test_conv_output_size_is_pytorchs_integer_floor(input_size, filter_size, stride, pad,
                                                    expected):
    got = conv_output_size(input_size, filter_size, stride, pad)
    assert got == expected
    assert type(got) is int, f"{type(got)}: the book returns a float from true division"


def test_conv_output_size_accepts_numpy_integers_and_returns_python_int():
    got = conv_output_size(np.int64(28), np.int32(5), stride=np.int64(1), pad=np.int8(0))
    assert got == 24 and type(got) is int


# columns: input_size, pool_size, stride, pad, expected
POOL_SIZES = [
    (24, 2, None, 0, 12),  # stride defaults to the window (PyTorch)
    (25, 2, None, 0, 12),  # odd sizes floor
    (7, 3, None, 0, 2),
    (7, 3, 2, 1, 4),       # the padding counts: (7 + 2 - 3) // 2 + 1
    (8, 3, 2, 1, 4),
    (4, 2, 1, 1, 5),
    (4, 2, 2, 1, 3),
    (1, 2, 2, 1, 1),
]


@pytest.mark.parametrize("input_size, pool_size, stride, pad, expected", POOL_SIZES)
def test_pool_output_size_counts_padding_and_defaults_stride_to_window(input_size, pool_size,
                                                                       stride, pad, expected):
    got = pool_output_size(input_size, pool_size, stride, pad)
    assert got == expected and type(got) is int


# --- im2col ----------------------------------------------------------------------------------
# columns: x shape (N, C, H, W), filter_h, filter_w, stride, pad
WINDOW_CASES = [
    ((2, 3, 5, 5), 3, 3, 1, 0),
    ((1, 2, 6, 5), 2, 3, 2, 1),
    ((2, 1, 7, 6), 3, 2, (2, 1), (1, 0)),
    ((1, 2, 4, 4), 4, 4, 1, 0),        # one window per image
    ((1, 2, 5, 7), 1, 1, 2, 0),        # 1x1 kernel, strided
    ((2, 2, 5, 5), 3, 3, 3, 2),        # stride > kernel - pad: windows of padding alone
    ((1, 1, 3, 8), 3, 2, (1, 3), (0, 1)),
]


@pytest.mark.parametrize("shape, fh, fw, stride, pad", WINDOW_CASES)
def test_im2col_rows_are_windows_n_oh_ow_and_columns_c_fh_fw(shape, fh, fw, stride, pad):
    x = np.random.default_rng(0).standard_normal(shape)
    col = im2col(x, fh, fw, stride, pad)
    expected = loop_im2col(x, fh, fw, stride, pad)
    assert col.shape == expected.shape
    np.testing.assert_array_equal(col, expected)
    assert col.flags.c_contiguous


# columns: input dtype, expected col dtype
DTYPES = [
    (np.float32, np.float32),  # the book allocates float64 (DESIGN difference 6)
    (np.float64, np.float64),
    (np.int64, np.float64),
    (np.uint8, np.float64),
]


@pytest.mark.parametrize("dtype, expected", DTYPES)
def test_im2col_keeps_float_dtypes_and_promotes_integers_to_float64(dtype, expected):
    x = np.arange(2 * 2 * 4 * 4).reshape(2, 2, 4, 4).astype(dtype)
    col = im2col(x, 3, 3, 1, 1)
    assert col.dtype == expected
    np.testing.assert_array_equal(col, loop_im2col(x.astype(np.float64), 3, 3, 1, 1))


def test_im2col_does_not_modify_its_input():
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 5))
    before = x.copy()
    col = im2col(x, 3, 3, 2, 1)
    col[...] = 7.0  # the result is not a view of x either
    np.testing.assert_array_equal(x, before)


def test_im2col_accepts_nested_lists():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(im2col(x.tolist(), 2, 2, 2), im2col(x, 2, 2, 2))


# --- col2im ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, fh, fw, stride, pad", WINDOW_CASES)
def test_col2im_sums_rows_back_into_their_windows(shape, fh, fw, stride, pad):
    rng = np.random.default_rng(2)
    rows = loop_im2col(np.zeros(shape), fh, fw, stride, pad).shape
    col = rng.standard_normal(rows)
    img = col2im(col, shape, fh, fw, stride, pad)
    assert img.shape == shape
    np.testing.assert_allclose(img, loop_col2im(col, shape, fh, fw, stride, pad),
                               rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("shape, fh, fw, stride, pad", WINDOW_CASES)
def test_col2im_is_the_adjoint_of_im2col(shape, fh, fw, stride, pad):
    # <im2col(x), c> == <x, col2im(c)>: one number that catches any misplaced element
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    col = im2col(x, fh, fw, stride, pad)
    c = rng.standard_normal(col.shape)
    lhs = np.sum(col * c)
    rhs = np.sum(x * col2im(c, shape, fh, fw, stride, pad))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


def test_col2im_of_ones_counts_the_windows_covering_each_pixel():
    shape = (1, 1, 4, 4)
    counts = col2im(np.ones((9, 4)), shape, 2, 2, stride=1)
    expected = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]], float)
    np.testing.assert_array_equal(counts[0, 0], expected)


def test_col2im_inverts_im2col_when_windows_tile_the_image():
    x = np.random.default_rng(4).standard_normal((2, 3, 6, 4))
    np.testing.assert_array_equal(col2im(im2col(x, 3, 2, (3, 2)), x.shape, 3, 2, (3, 2)), x)


@pytest.mark.parametrize("dtype, expected", DTYPES)
def test_col2im_keeps_float_dtypes_and_promotes_integers_to_float64(dtype, expected):
    img = col2im(np.ones((9, 4), dtype=dtype), (1, 1, 4, 4), 2, 2)
    assert img.dtype == expected
    assert img.shape == (1, 1, 4, 4)


def test_col2im_does_not_modify_col():
    col = np.random.default_rng(5).standard_normal((8, 12))
    before = col.copy()
    col2im(col, (2, 3, 3, 3), 2, 2, 1, 0)
    np.testing.assert_array_equal(col, before)


# --- softmax and log_softmax -----------------------------------------------------------------
def test_softmax_is_exp_over_sum_of_exp_along_the_last_axis():
    x = np.random.default_rng(6).standard_normal((4, 5))
    e = np.exp(x)
    np.testing.assert_allclose(softmax(x), e / e.sum(axis=1, keepdims=True), rtol=1e-14)


def test_softmax_rows_sum_to_one_and_shift_does_not_matter():
    x = np.random.default_rng(7).standard_normal((3, 6)) * 10
    y = softmax(x)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(softmax(x + 123.0), y, rtol=1e-12, atol=1e-300)


def test_softmax_of_logits_of_scale_1000_is_finite_and_exact():
    y = softmax(np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]]))
    assert np.all(np.isfinite(y))
    np.testing.assert_array_equal(y[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(y[1], [1 / 3] * 3, rtol=1e-15)


def test_softmax_axis_argument_selects_the_normalised_axis():
    x = np.random.default_rng(8).standard_normal((4, 3))
    np.testing.assert_allclose(softmax(x, axis=0), softmax(x.T).T, rtol=1e-15)


def test_softmax_of_one_dimensional_input_is_one_distribution():
    y = softmax(np.array([0.0, np.log(3.0)]))
    np.testing.assert_allclose(y, [0.25, 0.75], rtol=1e-15)


@pytest.mark.parametrize("fn", [softmax, log_softmax])
@pytest.mark.parametrize("dtype, expected", DTYPES[:3])
def test_softmax_and_log_softmax_keep_float_dtypes(fn, dtype, expected):
    x = np.arange(6).reshape(2, 3).astype(dtype)
    assert fn(x).dtype == expected


@pytest.mark.parametrize("fn", [softmax, log_softmax])
def test_softmax_and_log_softmax_do_not_modify_their_input(fn):
    x = np.random.default_rng(9).standard_normal((3, 4))
    before = x.copy()
    fn(x)
    np.testing.assert_array_equal(x, before)


def test_log_softmax_equals_log_of_softmax_for_moderate_logits():
    x = np.random.default_rng(10).standard_normal((4, 5))
    np.testing.assert_allclose(log_softmax(x), np.log(softmax(x)), rtol=1e-13)


def test_log_softmax_is_exact_for_logits_of_scale_1000():
    # log(softmax) would give log(0) = -inf for the second entry
    np.testing.assert_array_equal(log_softmax(np.array([1000.0, -1000.0])), [0.0, -2000.0])


# --- cross_entropy_error ---------------------------------------------------------------------
PROBS = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])


def test_cross_entropy_of_probabilities_with_labels_is_mean_negative_log_likelihood():
    loss = cross_entropy_error(PROBS, np.array([2, 1]))
    np.testing.assert_allclose(loss, -(np.log(0.7) + np.log(0.25)) / 2, rtol=1e-15)


def test_cross_entropy_of_labels_and_of_one_hot_targets_agree():
    labels = np.array([2, 0])
    one_hot = np.eye(3)[labels]
    assert cross_entropy_error(PROBS, labels) == cross_entropy_error(PROBS, one_hot)


def test_cross_entropy_accepts_integral_float_labels():
    assert cross_entropy_error(PROBS, np.array([2.0, 1.0])) == cross_entropy_error(
        PROBS, np.array([2, 1]))


def test_cross_entropy_has_no_epsilon_inside_the_log():
    # DESIGN difference 3: the book computes -log(1 + 1e-7) < 0 here and log(0.5 + 1e-7) below
    assert cross_entropy_error(np.array([[0.0, 1.0]]), np.array([1])) == 0.0
    assert cross_entropy_error(np.array([[0.5, 0.5]]), np.array([0])) == np.log(2.0)


def test_cross_entropy_of_a_zero_probability_for_the_label_is_infinite():
    assert cross_entropy_error(np.array([[0.0, 1.0]]), np.array([0])) == np.inf


def test_cross_entropy_of_soft_targets_is_the_true_soft_label_loss():
    # DESIGN difference 4: the book's loss uses argmax(t) only
    y = np.array([[0.4, 0.6], [0.9, 0.1]])
    t = np.array([[0.3, 0.7], [0.5, 0.5]])
    expected = -np.sum(t * np.log(y)) / 2
    np.testing.assert_allclose(cross_entropy_error(y, t), expected, rtol=1e-15)


def test_cross_entropy_soft_target_zero_weight_on_a_zero_probability_counts_as_zero():
    loss = cross_entropy_error(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]]))
    assert loss == 0.0


def test_cross_entropy_with_logits_is_mean_negative_log_softmax():
    x = np.random.default_rng(11).standard_normal((5, 4)) * 3
    t = np.array([0, 3, 1, 1, 2])
    expected = -np.mean(log_softmax(x)[np.arange(5), t])
    np.testing.assert_allclose(cross_entropy_error(x, t, logits=True), expected, rtol=1e-14)
    np.testing.assert_allclose(cross_entropy_error(softmax(x), t), expected, rtol=1e-13)


# columns: logits row, label, exact loss
LARGE_LOGITS = [
    ([0.0, 100.0], 0, 100.0),        # the book's epsilon caps this at 16.1
    ([1000.0, -1000.0], 1, 2000.0),
    ([1000.0, -1000.0], 0, 0.0),
    ([-1000.0, -1000.0], 0, np.log(2.0)),
]


@pytest.mark.parametrize("logits, label, expected", LARGE_LOGITS)
def test_cross_entropy_with_logits_is_exact_at_any_scale(logits, label, expected):
    loss = cross_entropy_error(np.array([logits]), np.array([label]), logits=True)
    np.testing.assert_allclose(loss, expected, rtol=1e-15, atol=0)


def test_cross_entropy_with_logits_and_soft_targets():
    x = np.array([[1.0, 2.0, 3.0]])
    t = np.array([[0.2, 0.3, 0.5]])
    expected = -np.sum(t * log_softmax(x))
    np.testing.assert_allclose(cross_entropy_error(x, t, logits=True), expected, rtol=1e-15)


# columns: y (one sample), t, expected loss
UNBATCHED = [
    ([0.25, 0.75], 1, -np.log(0.75)),
    ([0.25, 0.75], np.array([1]), -np.log(0.75)),  # a (1,) label, as the book allows
    ([0.25, 0.75], np.array([0.0, 1.0]), -np.log(0.75)),
    ([0.25, 0.75], np.array([0.5, 0.5]), -(np.log(0.25) + np.log(0.75)) / 2),
]


@pytest.mark.parametrize("y, t, expected", UNBATCHED)
def test_cross_entropy_of_one_unbatched_sample(y, t, expected):
    np.testing.assert_allclose(cross_entropy_error(np.array(y), t), expected, rtol=1e-15)


def test_cross_entropy_of_a_certain_prediction_is_plus_zero():
    loss = cross_entropy_error(np.array([[1000.0, 0.0]]), np.array([0]), logits=True)
    assert loss == 0.0 and not np.signbit(loss)


def test_cross_entropy_is_the_mean_over_the_batch():
    y = softmax(np.random.default_rng(12).standard_normal((6, 3)))
    t = np.array([0, 1, 2, 2, 1, 0])
    per_sample = [cross_entropy_error(y[i], t[i]) for i in range(6)]
    np.testing.assert_allclose(cross_entropy_error(y, t), np.mean(per_sample), rtol=1e-14)


# columns: logits flag
@pytest.mark.parametrize("logits", [False, True])
def test_cross_entropy_of_float32_is_a_float32_scalar(logits):
    y = softmax(np.random.default_rng(13).standard_normal((4, 3))).astype(np.float32)
    for t in (np.array([0, 1, 2, 0]), np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]):
        loss = cross_entropy_error(y, t, logits=logits)
        assert loss.dtype == np.float32 and np.ndim(loss) == 0


def test_cross_entropy_does_not_modify_y_or_t():
    y, t, soft = PROBS.copy(), np.array([2, 1]), np.array([[0.2, 0.3, 0.5], [1.0, 0, 0]])
    for target in (t, soft):
        before_t = target.copy()
        cross_entropy_error(y, target)
        cross_entropy_error(y, target, logits=True)
        np.testing.assert_array_equal(target, before_t)
    np.testing.assert_array_equal(y, PROBS)


# --- numerical_gradient ----------------------------------------------------------------------
def test_numerical_gradient_of_a_cubic_is_three_x_squared():
    x = np.random.default_rng(14).standard_normal((3, 4))
    grad = numerical_gradient(lambda a: np.sum(a ** 3), x)
    assert grad.shape == x.shape and grad.dtype == np.float64
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=0, atol=1e-7)  # error is h**2 = 1e-8


def test_numerical_gradient_perturbs_x_in_place_and_restores_it():
    x = np.random.default_rng(15).standard_normal(5)
    before = x.copy()
    seen = []

    def f(a):
        seen.append(a is x)
        return float(np.sum(np.sin(a)))

    grad = numerical_gradient(f, x)
    assert all(seen) and len(seen) == 2 * x.size
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(grad, np.cos(x), atol=1e-8)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.arange(4.0)
    calls = []

    def f(a):
        calls.append(1)
        if len(calls) == 2:
            raise ZeroDivisionError("boom")
        return 0.0

    with pytest.raises(ZeroDivisionError):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, np.arange(4.0))


def test_numerical_gradient_keeps_float32():
    x = np.ones((2, 2), dtype=np.float32)
    grad = numerical_gradient(lambda a: float(np.sum(2 * a)), x, h=1e-2)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, 2.0, rtol=1e-3)


def test_numerical_gradient_of_an_empty_array_is_empty():
    grad = numerical_gradient(lambda a: 0.0, np.zeros((0, 3)))
    assert grad.shape == (0, 3)
