"""Convolution on channels-last column matrices: the path for 4 or more input channels.

The column matrix has one row per output pixel, (n, oh, ow), and one column per kernel tap,
(fh, fw, c), plus a column of ones that carries the bias through the GEMMs. It is built from a
padded channels-last (N, H, W, C) copy of a batch chunk, where each kernel row's window is
FW*C contiguous values: one copy of a strided view gathers them all. The output is
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

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .windows import (
    FloatArray,
    Pair,
    SavedInput,
    batch_chunks,
    chunk_size,
    weight_gradient_dtype,
)

# From this many input channels on, convolution takes this path. Measured at C = 1
# (SimpleConvNet's first layer): the channel-major matrix is 2-5x faster there, because its
# copies are runs of OW values and these would be runs of FW.
MIN_CHANNELS = 4


def conv_forward(x: FloatArray, W: FloatArray, b: FloatArray, stride: Pair, pad: Pair,
                 out_hw: Pair) -> tuple[FloatArray, SavedInput]:
    """out = W * x + b: per batch chunk, one GEMM of the chunk's columns (and their column
    of ones) with the weights (and the bias), straight into a channels-last result.
    Returns out and what backward needs: x's padded channels-last copy."""
    n, c = x.shape[:2]
    fn, kernel = W.shape[0], (W.shape[2], W.shape[3])
    out = np.empty((n,) + out_hw + (fn,), dtype=x.dtype)
    weights = np.concatenate([_weight_rows(W), b[None, :]])
    chunks = batch_chunks(n, _columns_bytes(c, kernel, out_hw, x.itemsize))
    padded = padded_channels_last(x, pad)
    windows = window_rows(padded, kernel, stride, out_hw)
    cols = ColumnBuffer(chunks, c, kernel, out_hw, x.dtype, ones=True)
    for s in chunks:
        np.matmul(cols.of(windows[s]), weights, out=out[s].reshape(-1, fn))
    return out.transpose(0, 3, 1, 2), SavedInput(padded, x.shape, chunks)


def conv_backward(saved: SavedInput, W: FloatArray, dout: FloatArray, stride: Pair,
                  pad: Pair, out_hw: Pair, need_dx: bool = True
                  ) -> tuple[FloatArray | None, FloatArray, FloatArray]:
    """(dx, dW, db) of `conv_forward`, from the padded input it saved: per batch chunk the
    columns are rebuilt, and one GEMM of the chunk's dout rows with them (and their column of
    ones) gives dW and db, in the dtype that `weight_gradient_dtype` says. dx: see
    `_transposed_fits`."""
    n, c, h, w = saved.x_shape
    fn, dtype = W.shape[0], W.dtype
    kernel = (W.shape[2], W.shape[3])
    taps = kernel[0] * kernel[1] * c
    d = dout.transpose(0, 2, 3, 1)  # (N, OH, OW, FN): free when dout came from conv_forward
    gemm = weight_gradient_dtype(dtype, n * out_hw[0] * out_hw[1] * (taps + 1) * fn)
    grads = np.zeros((fn, taps + 1))  # [dW | db] in float64; dW's columns (fh, fw, c)
    dx = np.empty((n, h, w, c), dtype=dtype) if need_dx else None
    windows = window_rows(saved.x, kernel, stride, out_hw)
    columns = ColumnBuffer(saved.chunks, c, kernel, out_hw, dtype, ones=True)
    input_grad = (_TransposedConvolution(saved.chunks, W, pad, out_hw, (h, w))
                  if _transposed_fits(kernel, stride, pad) else _Fold(W, stride, pad, out_hw))
    for s in saved.chunks:
        rows = np.ascontiguousarray(d[s]).reshape(-1, fn)  # a view when d is channels-last
        cols = columns.of(windows[s])
        grads += rows.T.astype(gemm, copy=False) @ cols.astype(gemm, copy=False)
        if dx is not None:
            input_grad.write(rows, dx[s])
    dW = np.ascontiguousarray(grads[:, :taps].reshape(fn, kernel[0], kernel[1], c)
                              .transpose(0, 3, 1, 2), dtype=dtype)
    return (None if dx is None else dx.transpose(0, 3, 1, 2)), dW, grads[:, taps].astype(dtype)


class PaddedChunks:
    """One padded channels-last buffer (m, H + 2PH, W + 2PW, C) for every chunk of a call:
    its zero border is written once; each chunk copies in its inside. A kernel row's window
    is then FW*C contiguous values."""

    def __init__(self, chunks: list[slice], hw: tuple[int, ...], channels: int, pad: Pair,
                 dtype: np.dtype[Any]) -> None:
        (h, w), (ph, pw) = (hw[0], hw[1]), pad
        self.inside = (slice(ph, ph + h), slice(pw, pw + w))
        self.buffer = np.empty((chunk_size(chunks), h + 2 * ph, w + 2 * pw, channels),
                               dtype=dtype)
        self.buffer[:, :ph] = 0
        self.buffer[:, ph + h:] = 0
        self.buffer[:, :, :pw] = 0
        self.buffer[:, :, pw + w:] = 0

    def of(self, chunk: FloatArray) -> FloatArray:
        """The padded copy of a chunk of channels-last images (m, H, W, C), any strides."""
        padded = self.buffer[:chunk.shape[0]]
        padded[(slice(None),) + self.inside] = chunk
        return padded


def padded_channels_last(x: FloatArray, pad: Pair) -> FloatArray:
    """x (N, C, H, W), any layout, as a C-contiguous (N, H + 2PH, W + 2PW, C) copy with zero
    borders: a kernel row's window is then FW*C contiguous values."""
    chunks = [slice(0, x.shape[0])]
    return PaddedChunks(chunks, x.shape[2:], x.shape[1], pad, x.dtype).of(
        x.transpose(0, 2, 3, 1))


def window_rows(padded: FloatArray, kernel: Pair, stride: Pair, out_hw: Pair) -> FloatArray:
    """A read-only (N, OH, OW, FH, FW*C) view of padded channels-last images (N, Hp, Wp, C):
    [n, oh, ow, i] is row i of window (oh, ow), FW*C contiguous values. Made once per call
    and sliced per chunk (as_strided costs 4 us a call, 2% of a fwd+bwd per chunk)."""
    (kh, kw), (sh, sw), c = kernel, stride, padded.shape[3]
    s0, s1, s2, s3 = padded.strides
    rows: FloatArray = as_strided(padded, (padded.shape[0],) + out_hw + (kh, kw * c),
                                  (s0, sh * s1, sw * s2, s1, s3), writeable=False)
    return rows


class ColumnBuffer:
    """One column buffer for every chunk of a call: rows (n, oh, ow), columns (fh, fw, c),
    and a last column of ones if `ones` (written once, not per chunk); a chunk's columns
    are in cache for the GEMM that follows."""

    def __init__(self, chunks: list[slice], channels: int, kernel: Pair, out_hw: Pair,
                 dtype: np.dtype[Any], ones: bool) -> None:
        (kh, kw), self.out_hw = kernel, out_hw
        taps = kh * kw * channels
        self.buffer = np.empty((chunk_size(chunks),) + out_hw + (taps + ones,), dtype=dtype)
        if ones:
            self.buffer[..., taps] = 1
        t0, t1, t2, t3 = self.buffer.strides  # the taps, as window_rows lays them out
        self.taps = as_strided(self.buffer, self.buffer.shape[:3] + (kh, kw * channels),
                               (t0, t1, t2, kw * channels * t3, t3))

    def of(self, windows: FloatArray) -> FloatArray:
        """The column matrix of a chunk's windows (a slice of `window_rows`): one copy."""
        size = windows.shape[0]
        np.copyto(self.taps[:size], windows)
        return self.buffer[:size].reshape(size * self.out_hw[0] * self.out_hw[1], -1)


class _TransposedConvolution:
    """dx as a convolution of dout, padded by kernel - 1 - pad, with the flipped kernel: per
    chunk a column matrix of dout and one GEMM, straight into dx (stride 1 only)."""

    def __init__(self, chunks: list[slice], W: FloatArray, pad: Pair, out_hw: Pair,
                 x_hw: Pair) -> None:
        kernel, self.out_hw = (W.shape[2], W.shape[3]), out_hw
        self.padded = PaddedChunks(chunks, out_hw, W.shape[0], _transposed_pad(kernel, pad),
                                   W.dtype)
        self.windows = window_rows(self.padded.buffer, kernel, (1, 1), x_hw)
        self.columns = ColumnBuffer(chunks, W.shape[0], kernel, x_hw, W.dtype, ones=False)
        self.weights = _flipped_weight_rows(W)

    def write(self, rows: FloatArray, dx: FloatArray) -> None:
        """dx (m, H, W, C) of one chunk, from its dout rows (m*OH*OW, FN)."""
        size = dx.shape[0]
        self.padded.of(rows.reshape((size,) + self.out_hw + (-1,)))
        np.matmul(self.columns.of(self.windows[:size]), self.weights,
                  out=dx.reshape(-1, dx.shape[3]))


class _Fold:
    """dx by a GEMM of dout with W, then a fold of the resulting columns (any stride)."""

    def __init__(self, W: FloatArray, stride: Pair, pad: Pair, out_hw: Pair) -> None:
        self.weights = _weight_rows(W).T
        self.kernel = (W.shape[2], W.shape[3])
        self.stride, self.pad, self.out_hw = stride, pad, out_hw

    def write(self, rows: FloatArray, dx: FloatArray) -> None:
        fold_columns(rows @ self.weights, dx, self.kernel, self.stride, self.pad, self.out_hw)


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


def _transposed_fits(kernel: Pair, stride: Pair, pad: Pair) -> bool:
    """dx as a convolution of dout needs stride 1 (else dout would need zeros between its
    pixels) and pad <= kernel - 1 (the padding it gives dout is kernel - 1 - pad)."""
    return stride == (1, 1) and all(p <= k - 1 for k, p in zip(kernel, pad))


def _transposed_pad(kernel: Pair, pad: Pair) -> Pair:
    return kernel[0] - 1 - pad[0], kernel[1] - 1 - pad[1]


def _weight_rows(W: FloatArray) -> FloatArray:
    """W (FN, C, FH, FW) as (FH*FW*C, FN), rows in the column matrix's tap order."""
    rows: FloatArray = W.transpose(2, 3, 1, 0).reshape(-1, W.shape[0])
    return rows


def _flipped_weight_rows(W: FloatArray) -> FloatArray:
    """The weights of dx as a convolution of dout: W rotated by 180 degrees, with the roles
    of FN and C swapped: (FH*FW*FN, C), rows (fh, fw, fn)."""
    rows: FloatArray = W[:, :, ::-1, ::-1].transpose(2, 3, 0, 1).reshape(-1, W.shape[1])
    return rows


def _columns_bytes(channels: int, kernel: Pair, out_hw: Pair, itemsize: int) -> int:
    """Bytes of one sample's column matrix (with its column of ones)."""
    return out_hw[0] * out_hw[1] * (kernel[0] * kernel[1] * channels + 1) * itemsize

