"""The book's functions (common/functions.py, common/util.py) with PyTorch's semantics.

Differences from the book (see DESIGN, "Known differences"): output sizes are integers (floor),
pooling sizes count the padding, cross entropy is exact (log-softmax, no 1e-7 in the log) and
takes soft targets, and float32 stays float32.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _kernels
from ._checks import _is_int, float_dtype, int_pair, numeric_array, positive_int
from ._types import FloatArray, IntOrPair


def conv_output_size(input_size: int, filter_size: int, stride: int = 1, pad: int = 0) -> int:
    """Output length of a convolution: (input_size + 2*pad - filter_size) // stride + 1.

    The book returns a float from true division; this is PyTorch's integer floor.
    """
    return _output_size("conv_output_size", input_size, filter_size, "filter_size", stride, pad)


def _output_size(owner: str, input_size: object, filter_size: object, filter_name: str,
                 stride: object, pad: object) -> int:
    """The checked floor formula; errors name `owner`, the public function called."""
    input_size = positive_int(input_size, "input_size", owner)
    filter_size = positive_int(filter_size, filter_name, owner)
    stride = positive_int(stride, "stride", owner)
    pad = positive_int(pad, "pad", owner, minimum=0)
    if filter_size > input_size + 2 * pad:
        raise ValueError(f"{owner}: {filter_name} {filter_size} is larger than the padded input "
                         f"{input_size} + 2*{pad}; use a smaller {filter_name.split('_')[0]} "
                         f"or more padding")
    return (input_size + 2 * pad - filter_size) // stride + 1


def pool_output_size(input_size: int, pool_size: int, stride: int | None = None,
                     pad: int = 0) -> int:
    """Output length of a pooling window: like `conv_output_size`, counting the padding,
    with PyTorch's defaults and limits: stride defaults to pool_size, and pad may be at most
    half the window (a window of padding alone has no maximum)."""
    owner = "pool_output_size"
    pool_size = positive_int(pool_size, "pool_size", owner)
    stride = pool_size if stride is None else stride
    pad = positive_int(pad, "pad", owner, minimum=0)
    if 2 * pad > pool_size:
        raise ValueError(f"{owner}: pad {pad} is more than half the window {pool_size}; "
                         f"use pad <= {pool_size // 2}")
    return _output_size(owner, input_size, pool_size, "pool_size", stride, pad)


def geometry(owner: str, x_shape: tuple[int, ...], kernel: tuple[int, int], stride: object,
             pad: object) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Check a window operation's arguments; return (stride, pad, (out_h, out_w)) as int pairs."""
    stride = int_pair(stride, "stride", owner, minimum=1)
    pad = int_pair(pad, "pad", owner, minimum=0)
    (h, w), (kh, kw) = x_shape[-2:], kernel
    if kh > h + 2 * pad[0] or kw > w + 2 * pad[1]:
        raise ValueError(
            f"{owner}: the {kh}x{kw} kernel is larger than the padded input "
            f"{h + 2 * pad[0]}x{w + 2 * pad[1]} (H={h}, W={w}, pad={pad}); "
            f"use a smaller kernel or more padding")
    out_hw: tuple[int, int] = _kernels.output_hw((h, w), kernel, stride, pad)
    return stride, pad, out_hw


def _kernel_size(filter_h: int, filter_w: int, owner: str) -> tuple[int, int]:
    return (positive_int(filter_h, "filter_h", owner), positive_int(filter_w, "filter_w", owner))


def im2col(input_data: ArrayLike, filter_h: int, filter_w: int, stride: IntOrPair = 1,
           pad: IntOrPair = 0) -> FloatArray:
    """Unfold (N, C, H, W) images into rows of windows: shape (N*OH*OW, C*FH*FW).

    Rows are ordered (n, oh, ow) and columns (c, fh, fw): PyTorch's `unfold`, transposed.
    `stride` and `pad` are ints or (h, w) pairs. The result keeps the input's float dtype.
    """
    owner = "im2col"
    x = numeric_array(input_data, "input_data", owner, ndim=4)
    kernel = _kernel_size(filter_h, filter_w, owner)
    stride, pad, out_hw = geometry(owner, x.shape, kernel, stride, pad)
    x = x.astype(float_dtype(x), copy=False)
    cols: FloatArray = np.ascontiguousarray(_kernels.columns_t(x, kernel, stride, pad, out_hw).T)
    return cols


def col2im(col: ArrayLike, input_shape: tuple[int, int, int, int], filter_h: int,
           filter_w: int, stride: IntOrPair = 1, pad: IntOrPair = 0) -> FloatArray:
    """The adjoint of `im2col` (PyTorch's `fold`): sum every window row back into an
    (N, C, H, W) image, adding where windows overlap, and drop the padding."""
    owner = "col2im"
    col = numeric_array(col, "col", owner, ndim=2)
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list, np.ndarray)) else None
    if shape is None or len(shape) != 4 or not all(_is_int(s) and s > 0 for s in shape):
        raise ValueError(f"{owner}: input_shape must be 4 positive ints (N, C, H, W); "
                         f"got {input_shape!r}")
    shape = tuple(int(s) for s in shape)
    kernel = _kernel_size(filter_h, filter_w, owner)
    stride, pad, (oh, ow) = geometry(owner, shape, kernel, stride, pad)
    n, c = shape[:2]
    expected = (n * oh * ow, c * kernel[0] * kernel[1])
    if col.shape != expected:
        raise ValueError(f"{owner}: col must have shape (N*OH*OW, C*FH*FW) = {expected} for "
                         f"input_shape {shape}, kernel {kernel}, stride {stride}, pad {pad}; "
                         f"got {col.shape}")
    col = col.astype(float_dtype(col), copy=False)
    # (n, oh, ow, c, fh, fw) rows -> the transposed layout the kernel folds.
    cols_t = col.reshape(n, oh * ow, c * kernel[0] * kernel[1]).transpose(2, 0, 1)
    img = _kernels.fold_columns_t(np.ascontiguousarray(cols_t), shape, kernel, stride, pad,
                                  (oh, ow))
    image: FloatArray = np.ascontiguousarray(img)
    return image


def softmax(x: ArrayLike, axis: int = -1) -> FloatArray:
    """Softmax along `axis`, shifted by the maximum so that large logits do not overflow."""
    x = numeric_array(x, "x", "softmax")
    x = x.astype(float_dtype(x), copy=False)
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    probabilities: FloatArray = z / z.sum(axis=axis, keepdims=True)
    return probabilities


def log_softmax(x: ArrayLike, axis: int = -1) -> FloatArray:
    """log(softmax(x)) computed without forming softmax: exact for logits of any scale."""
    x = numeric_array(x, "x", "log_softmax")
    x = x.astype(float_dtype(x), copy=False)
    z = x - x.max(axis=axis, keepdims=True)
    log_p: FloatArray = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    return log_p


def targets_as_matrix(t: ArrayLike, y_shape: tuple[int, ...], owner: str
                      ) -> tuple[NDArray[Any], NDArray[np.intp] | None]:
    """Class labels (N,) or targets of y's shape (one-hot or soft) as a float target matrix.

    Labels are checked against the number of classes; returns (matrix, labels or None).
    """
    t = numeric_array(t, "t", owner)
    classes = y_shape[-1]
    if t.shape == tuple(y_shape):
        return t, None
    if t.shape != tuple(y_shape[:-1]):
        raise ValueError(f"{owner}: t must be class labels of shape {tuple(y_shape[:-1])} or "
                         f"one-hot/soft targets of shape {tuple(y_shape)}; got shape {t.shape}")
    if t.dtype.kind == "f":
        if not np.all(t == np.round(t)):
            raise TypeError(f"{owner}: class labels must be integers; got non-integral values "
                            f"in t (dtype {t.dtype})")
    labels = t.astype(np.intp)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"{owner}: labels must be in [0, {classes}) for {classes} classes; "
                         f"got min {labels.min()}, max {labels.max()}")
    matrix = np.zeros(y_shape, dtype=np.float64)
    np.put_along_axis(matrix, labels[..., None], 1.0, axis=-1)
    return matrix, labels


def one_sample_targets(t: NDArray[Any], classes: int, owner: str) -> NDArray[Any]:
    """The targets of one unbatched sample as a batch of one: a label (a scalar, or shape (1,)
    as the book allows) or one-hot/soft targets of shape (classes,)."""
    if t.shape == (classes,):
        return t[np.newaxis]
    if t.ndim <= 1 and t.size == 1:
        return t.reshape(1)
    raise ValueError(f"{owner}: for one sample of {classes} scores, t must be a class label or "
                     f"one-hot/soft targets of shape ({classes},); got shape {t.shape}")


def cross_entropy_error(y: ArrayLike, t: ArrayLike, *, logits: bool = False
                        ) -> np.floating[Any]:
    """Mean cross entropy over the batch.

    y: probabilities (the book's convention; `log(y)` is taken exactly, with no 1e-7 guard)
    or, with `logits=True`, raw scores, for which log-softmax gives the exact loss at any scale.
    t: class labels (N,), or one-hot or soft targets of y's shape.
    """
    owner = "cross_entropy_error"
    y = numeric_array(y, "y", owner, min_ndim=1)
    y = y.astype(float_dtype(y), copy=False)
    batched = y.ndim > 1
    if not batched:
        y = y[np.newaxis]
    if y.ndim != 2:
        raise ValueError(f"{owner}: y must be (N, classes) or (classes,); got shape {y.shape}")
    t = numeric_array(t, "t", owner)
    t = t if batched else one_sample_targets(t, y.shape[1], owner)
    target, _ = targets_as_matrix(t, y.shape, owner)
    log_p: FloatArray
    if logits:
        log_p = log_softmax(y)
    else:
        with np.errstate(divide="ignore"):
            log_p = np.log(y)  # log(0) = -inf: the true loss of a zero probability
    return mean_cross_entropy(log_p, target)


def mean_cross_entropy(log_p: FloatArray, target: NDArray[Any]) -> np.floating[Any]:
    """-sum(target * log_p) / N for (N, classes) arrays, in log_p's dtype."""
    # 0 * log(0) counts as 0, as in the definition of cross entropy (and without the
    # "invalid value" warning that computing 0 * -inf before discarding it would give)
    with np.errstate(invalid="ignore"):
        terms = np.where(target != 0, target * log_p, 0.0)
    loss: np.floating[Any] = log_p.dtype.type(0.0 - terms.sum() / log_p.shape[0])  # no -0.0
    return loss


def numerical_gradient(f: Callable[[FloatArray], Any], x: FloatArray, h: float = 1e-4
                       ) -> FloatArray:
    """Central-difference gradient of the scalar function f at x (the book's algorithm).

    f is called as f(x) while x is perturbed in place one element at a time; every element is
    restored afterwards, even if f raises. Use float64 for meaningful results.
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(f"numerical_gradient: x must be a float array (it is perturbed in "
                        f"place); got dtype {x.dtype}")
    grad: FloatArray = np.zeros_like(x)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    if x.size and not np.shares_memory(flat_x, x):
        raise ValueError("numerical_gradient: x must be contiguous so it can be perturbed in place")
    for i in range(flat_x.size):
        original = flat_x[i]
        try:
            flat_x[i] = original + h
            f_plus = f(x)
            flat_x[i] = original - h
            f_minus = f(x)
        finally:
            flat_x[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
