"""The transposed column matrix (the book's im2col, transposed) and its adjoint.

`columns_t` builds (C*FH*FW, N*OH*OW) with one strided slice copy per kernel offset over a whole
block of images: this beats both the book's 6-D im2col and `sliding_window_view` copies
(measured with benchmarks/, one thread). `functional.im2col` and `col2im` are built on these
two, and so is the convolution path for few input channels (conv_channel_major.py).
"""

import numpy as np

from .windows import FloatArray, Pair, crop_hw, pad_hw, windows


def columns_t(x: FloatArray, kernel: Pair, stride: Pair, pad: Pair, out_hw: Pair,
              ones_row: bool = False) -> FloatArray:
    """The transposed column matrix of x (N, C, H, W): shape (C*FH*FW, N*OH*OW),
    rows ordered (c, fh, fw) and columns (n, oh, ow), so im2col(x) is its transpose.
    With ones_row, a last row of ones is appended (it carries the bias through the GEMMs)."""
    n, c = x.shape[:2]
    xp = pad_hw(x.transpose(1, 0, 2, 3), pad)  # (C, N, Hp, Wp): each copy below is one block
    kh, kw = kernel
    rows = c * kh * kw
    cols = np.empty((rows + ones_row, n * out_hw[0] * out_hw[1]), dtype=x.dtype)
    blocks = cols[:rows].reshape((c, kh * kw, n) + tuple(out_hw))
    for k, view in windows(xp, kernel, stride, out_hw):
        blocks[:, k] = view
    if ones_row:
        cols[rows] = 1
    return cols


def fold_columns_t(cols_t: FloatArray, x_shape: tuple[int, ...], kernel: Pair, stride: Pair,
                   pad: Pair, out_hw: Pair) -> FloatArray:
    """The adjoint of `columns_t`: sum each column back into the window it came from.
    Returns an (N, C, H, W) view of a fresh buffer."""
    n, c, h, w = x_shape
    (kh, kw), (ph, pw) = kernel, pad
    buf = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=cols_t.dtype)
    cols = cols_t.reshape((c, kh * kw, n) + tuple(out_hw))
    for k, view in windows(buf, kernel, stride, out_hw):
        view += cols[:, k]
    image: FloatArray = crop_hw(buf, pad).transpose(1, 0, 2, 3)
    return image
