"""Convolution on channels-last column matrices: the path for 4 or more input channels.

The column matrix has one row per output pixel, (n, oh, ow), and one column per kernel tap,
(fh, fw, c), plus a column of ones that carries the bias through the GEMMs. It is built from a
padded channels-last (N, H, W, C) copy of a batch chunk, where each kernel row's window is
FW*C contiguous values: one strided copy per kernel row gathers them. The output is
channels-last too, (N, OH, OW, FN), returned as an (N, FN, OH, OW) view; the next layer reads it
as it is, and backward takes dout in that layout as a free view.

Why this layout (one thread, benchmarks/README.md "Where the time goes"): with the pixels as
rows, every GEMM runs at 160-190 GFLOP/s in float32 at 64 channels, and 100-150 at 16 channels,
where the transposed (channel-major) matrix reached 40-75 for dW and dx. Its copies are runs of
FW*C values, not OW, and it needs no wide rows (the previous layout computed 12% extra columns).

dx is a convolution too, of the padded dout with the flipped kernel (stride 1 only): one more
column matrix and a GEMM, and no scatter-add. With stride > 1 (or more padding than the kernel
can absorb) dx falls back to the GEMM with W and a fold of its columns.
"""

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import NDArray

from .windows import FloatArray, Pair, batch_chunks, chunk_size, weight_gradient_dtype

# From this many input channels on, convolution takes this path. Measured at C = 1
# (SimpleConvNet's first layer): the channel-major matrix is 2-5x faster there, because its
# copies are runs of OW values and these would be runs of FW.
MIN_CHANNELS = 4


def conv_forward(x: FloatArray, W: FloatArray, b: FloatArray, stride: Pair, pad: Pair,
                 out_hw: Pair) -> FloatArray:
    """out = W * x + b: per batch chunk, one GEMM of the chunk's columns (and their column
    of ones) with the weights (and the bias), straight into a channels-last result."""
    n, fn = x.shape[0], W.shape[0]
    kernel = (W.shape[2], W.shape[3])
    out = np.empty((n,) + out_hw + (fn,), dtype=x.dtype)
    weights = np.concatenate([_weight_rows(W), b[None, :]])
    chunks = batch_chunks(n, _columns_bytes(x.shape[1], kernel, out_hw, x.itemsize))
    for s, cols in column_chunks(_channels_last(x), kernel, stride, pad, out_hw, chunks,
                                 ones=True):
        np.matmul(cols, weights, out=out[s].reshape(-1, fn))
    return out.transpose(0, 3, 1, 2)


def conv_backward(x: FloatArray, W: FloatArray, dout: FloatArray, stride: Pair, pad: Pair,
                  out_hw: Pair, need_dx: bool = True
                  ) -> tuple[FloatArray | None, FloatArray, FloatArray]:
    """(dx, dW, db) of `conv_forward`. Per batch chunk the columns are rebuilt (cheaper than
    holding the whole batch's: they are FH*FW times the input), and one GEMM with the
    chunk's dout rows gives dW and db (`weight_gradient_dtype` says in which dtype). dx: see
    `_transposed_fits`."""
    n, c, h, w = x.shape
    fn = W.shape[0]
    kernel = (W.shape[2], W.shape[3])
    taps = kernel[0] * kernel[1] * c
    d = dout.transpose(0, 2, 3, 1)  # (N, OH, OW, FN): free when dout came from conv_forward
    transposed = need_dx and _transposed_fits(kernel, stride, pad)
    per_sample = _columns_bytes(c, kernel, out_hw, x.itemsize)
    if transposed:
        per_sample = max(per_sample, _columns_bytes(fn, kernel, (h, w), x.itemsize))
    chunks = batch_chunks(n, per_sample)
    gemm = weight_gradient_dtype(x.dtype, n * out_hw[0] * out_hw[1] * (taps + 1) * fn)
    grads = np.zeros((fn, taps + 1))  # [dW | db] in float64; dW's columns (fh, fw, c)
    bias = np.zeros(fn, dtype=np.float64)
    dx = np.empty((n, h, w, c), dtype=x.dtype) if need_dx else None
    dcols_of = (column_chunks(d, kernel, (1, 1), _transposed_pad(kernel, pad), (h, w), chunks,
                              ones=False) if transposed else None)
    dx_weights = _flipped_weight_rows(W) if transposed else _weight_rows(W).T
    for s, cols in column_chunks(_channels_last(x), kernel, stride, pad, out_hw, chunks,
                                 ones=True):
        rows = np.ascontiguousarray(d[s]).reshape(-1, fn)  # a view when d is contiguous
        grads += rows.T.astype(gemm, copy=False) @ cols.astype(gemm, copy=False)
        if x.dtype == np.float32:
            bias += column_sums(rows)
        if dx is not None and dcols_of is not None:
            _, dcols = next(dcols_of)
            np.matmul(dcols, dx_weights, out=dx[s].reshape(-1, c))
        elif dx is not None:
            fold_columns(rows @ dx_weights, dx[s], kernel, stride, pad, out_hw)
    dW = np.ascontiguousarray(grads[:, :taps].reshape(fn, kernel[0], kernel[1], c)
                              .transpose(0, 3, 1, 2), dtype=x.dtype)
    db = (bias if x.dtype == np.float32 else grads[:, taps]).astype(x.dtype)
    return (None if dx is None else dx.transpose(0, 3, 1, 2)), dW, db


def column_chunks(src: FloatArray, kernel: Pair, stride: Pair, pad: Pair, out_hw: Pair,
                  chunks: list[slice], ones: bool) -> Iterator[tuple[slice, FloatArray]]:
    """For each chunk s, the column matrix of src[s], src channels-last (N, H, W, C) with any
    strides: rows (n, oh, ow), columns (fh, fw, c), and a last column of ones if `ones`.

    One padded buffer and one column buffer serve every chunk, so the padding and the ones
    are written once per call, and the buffers stay in cache from chunk to chunk."""
    n, h, w, c = src.shape
    (kh, kw), (ph, pw), (oh, ow) = kernel, pad, out_hw
    m, taps = chunk_size(chunks), kh * kw * c
    padded = np.zeros((m, h + 2 * ph, w + 2 * pw, c), dtype=src.dtype)
    cols = np.empty((m, oh, ow, taps + ones), dtype=src.dtype)
    if ones:
        cols[..., taps] = 1
    for s in chunks:
        size = s.stop - s.start
        padded[:size, ph:ph + h, pw:pw + w] = src[s]
        _gather_windows(padded[:size], kernel, stride, cols[:size])
        yield s, cols[:size].reshape(size * oh * ow, taps + ones)


def _gather_windows(padded: FloatArray, kernel: Pair, stride: Pair, cols: FloatArray) -> None:
    """cols[n, oh, ow, (i, j, c)] = padded[n, SH*oh + i, SW*ow + j, c]: one copy of a 5-D
    strided view whose last axis is a window row, FW*C contiguous values of `padded`."""
    m, _, _, c = padded.shape
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = cols.shape[1:3]
    s0, s1, s2, s3 = padded.strides
    source = as_strided(padded, (m, oh, ow, kh, kw * c), (s0, sh * s1, sw * s2, s1, s3),
                        writeable=False)
    t0, t1, t2, t3 = cols.strides  # cols may have a column of ones after the taps
    target = as_strided(cols, (m, oh, ow, kh, kw * c), (t0, t1, t2, kw * c * t3, t3))
    np.copyto(target, source)


def fold_columns(dcols: FloatArray, dx: FloatArray, kernel: Pair, stride: Pair, pad: Pair,
                 out_hw: Pair) -> None:
    """The adjoint of the column matrix: add each row's taps back into the window they came
    from (one strided add per kernel tap, into a padded buffer), then write the inside of the
    buffer to dx (channels-last (m, H, W, C))."""
    m, h, w, c = dx.shape
    (kh, kw), (sh, sw), (ph, pw), (oh, ow) = kernel, stride, pad, out_hw
    buf = np.zeros((m, h + 2 * ph, w + 2 * pw, c), dtype=dx.dtype)
    taps = dcols.reshape(m, oh, ow, kh, kw, c)
    for i in range(kh):
        for j in range(kw):
            buf[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += taps[:, :, :, i, j]
    dx[...] = buf[:, ph:ph + h, pw:pw + w]


def column_sums(rows: FloatArray) -> NDArray[np.float64]:
    """Each column's sum, in float64, with float32's error kept small: blocks of 16 rows add
    up in the array's own dtype (one pass, no float64 temporary of the whole), then the block
    sums in float64. A sequential float32 sum of P rows errs by up to P ulps; this, 16."""
    p, f = rows.shape
    whole = p - p % 16
    blocks = rows[:whole].reshape(-1, 16, f).sum(axis=1)
    sums: NDArray[np.float64] = (blocks.sum(axis=0, dtype=np.float64)
                                 + rows[whole:].sum(axis=0, dtype=np.float64))
    return sums


def _transposed_fits(kernel: Pair, stride: Pair, pad: Pair) -> bool:
    """dx as a convolution of dout needs stride 1 (else dout would need zeros between its
    pixels) and pad <= kernel - 1 (the padding it gives dout is kernel - 1 - pad)."""
    return stride == (1, 1) and all(p <= k - 1 for k, p in zip(kernel, pad))


def _transposed_pad(kernel: Pair, pad: Pair) -> Pair:
    return kernel[0] - 1 - pad[0], kernel[1] - 1 - pad[1]


def _weight_rows(W: FloatArray) -> FloatArray:
    """W (FN, C, FH, FW) as (FH*FW*C, FN), rows in the column matrix's tap order."""
    fn = W.shape[0]
    return W.transpose(2, 3, 1, 0).reshape(-1, fn)


def _flipped_weight_rows(W: FloatArray) -> FloatArray:
    """The weights of dx as a convolution of dout: W rotated by 180 degrees, with the roles
    of FN and C swapped: (FH*FW*FN, C), rows (fh, fw, fn)."""
    c = W.shape[1]
    return W[:, :, ::-1, ::-1].transpose(2, 3, 0, 1).reshape(-1, c)


def _channels_last(x: FloatArray) -> FloatArray:
    return x.transpose(0, 2, 3, 1)


def _columns_bytes(channels: int, kernel: Pair, out_hw: Pair, itemsize: int) -> int:
    """Bytes of one sample's column matrix (with its column of ones)."""
    return out_hw[0] * out_hw[1] * (kernel[0] * kernel[1] * channels + 1) * itemsize

