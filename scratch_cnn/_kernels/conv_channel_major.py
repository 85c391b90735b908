"""Convolution on the transposed (channel-major) column matrix: the path for few input channels.

With C < conv_channels_last.MIN_CHANNELS (SimpleConvNet's first layer has C = 1), a kernel
offset's window over a whole block of images is runs of OW values, which copy faster than the
channels-last runs of FW*C. The output is channel-major, (FN, N, OH, OW), returned as an
(N, FN, OH, OW) view: the next layer reads it as it is, and backward takes dout in that layout
as a free view.
"""

import numpy as np

from .columns import columns_t, fold_columns_t
from .windows import FloatArray, Pair, SavedInput, batch_chunks, weight_gradient_dtype


def conv_forward(x: FloatArray, W: FloatArray, b: FloatArray, stride: Pair, pad: Pair,
                 out_hw: Pair) -> tuple[FloatArray, SavedInput]:
    """out = W * x + b: per batch chunk, one GEMM of [W | b] with the chunk's columns and
    their row of ones (so the bias costs no extra pass), straight into the chunk's block of
    the (FN, N, OH, OW) result. Returns out and what backward needs."""
    n, fn = x.shape[0], W.shape[0]
    kernel = (W.shape[2], W.shape[3])
    per_image = out_hw[0] * out_hw[1]
    w_b = np.concatenate([W.reshape(fn, -1), b[:, None]], axis=1)
    out = np.empty((fn, n) + out_hw, dtype=x.dtype)
    flat = out.reshape(fn, -1)
    chunks = _chunks(x, kernel, out_hw)
    for s in chunks:
        cols = columns_t(x[s], kernel, stride, pad, out_hw, ones_row=True)
        np.matmul(w_b, cols, out=flat[:, s.start * per_image:s.stop * per_image])
    return out.transpose(1, 0, 2, 3), SavedInput(x, x.shape, chunks)


def conv_backward(saved: SavedInput, W: FloatArray, dout: FloatArray, stride: Pair,
                  pad: Pair, out_hw: Pair, need_dx: bool = True
                  ) -> tuple[FloatArray | None, FloatArray, FloatArray]:
    """(dx, dW, db) of `conv_forward`: per batch chunk the columns are rebuilt, then one GEMM
    of the columns (and their row of ones) with dout gives dW and db (in the dtype that
    `weight_gradient_dtype` says), and dx comes from `W.T @ dout` and a fold of its columns.
    need_dx=False skips dx (None)."""
    fn, dtype = W.shape[0], W.dtype
    kernel = (W.shape[2], W.shape[3])
    w_t = W.reshape(fn, -1).T
    dout_t = dout.transpose(1, 0, 2, 3)  # (FN, N, OH, OW): free if dout came from conv_forward
    gemm = weight_gradient_dtype(dtype, w_t.size * saved.x_shape[0] * out_hw[0] * out_hw[1])
    # [dW | db] transposed, in float64: cols @ d.T ran 1.3x faster than d @ cols.T (measured)
    grads_t = np.zeros((w_t.shape[0] + 1, fn))
    dx = np.empty(saved.x_shape, dtype=dtype) if need_dx else None
    for s in saved.chunks:
        d = _dout_rows(dout_t, s, out_hw)
        cols = columns_t(saved.x[s], kernel, stride, pad, out_hw, ones_row=True)
        grads_t += cols.astype(gemm, copy=False) @ d.T.astype(gemm, copy=False)
        if dx is not None:
            dx[s] = fold_columns_t(w_t @ d, dx[s].shape, kernel, stride, pad, out_hw)
    dW = np.ascontiguousarray(grads_t[:-1].T, dtype=dtype).reshape(W.shape)
    return dx, dW, grads_t[-1].astype(dtype)


def _chunks(x: FloatArray, kernel: Pair, out_hw: Pair) -> list[slice]:
    rows = x.shape[1] * kernel[0] * kernel[1] + 1
    return batch_chunks(x.shape[0], rows * out_hw[0] * out_hw[1] * x.itemsize)


def _dout_rows(dout_t: FloatArray, s: slice, out_hw: Pair) -> FloatArray:
    """The chunk s of dout_t (FN, N, OH, OW) as an (FN, m*OH*OW) matrix: a view when dout
    is channel-major, else a copy."""
    fn, per_image = dout_t.shape[0], out_hw[0] * out_hw[1]
    if dout_t.flags.c_contiguous:
        return dout_t.reshape(fn, -1)[:, s.start * per_image:s.stop * per_image]
    return np.ascontiguousarray(dout_t[:, s]).reshape(fn, -1)
