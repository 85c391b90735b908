"""What every window kernel shares: output geometry, padding, the views of one kernel offset,
and the batch chunks that keep a kernel's working set in cache."""

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.floating[Any]]
Pair = tuple[int, int]

# Working-set size of one batch chunk (its column matrix, or its input for pooling). Measured:
# 1-2 MiB is best; smaller chunks pay NumPy's per-call overhead, larger ones leave the caches.
# benchmarks/check_kernels.py sets it to 1 byte (one sample per chunk) to cross every boundary.
CHUNK_BYTES = 1 << 21


def output_hw(hw: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
              pad: tuple[int, ...]) -> Pair:
    """Output height and width by PyTorch's formula: floor((H + 2P - K) / S) + 1."""
    oh, ow = ((n + 2 * p - k) // s + 1 for n, k, s, p in zip(hw, kernel, stride, pad))
    return oh, ow


def pad_hw(x: FloatArray, pad: Pair, fill: float = 0.0) -> FloatArray:
    """`x` with its last two axes padded by `pad` = (ph, pw) on each side; `x` itself if no pad."""
    ph, pw = pad
    if ph == 0 and pw == 0:
        return x
    h, w = x.shape[-2:]
    out = np.full(x.shape[:-2] + (h + 2 * ph, w + 2 * pw), fill, dtype=x.dtype)
    out[..., ph:ph + h, pw:pw + w] = x
    return out


def crop_hw(x: FloatArray, pad: Pair) -> FloatArray:
    """The inverse of `pad_hw`: a view without the padding."""
    ph, pw = pad
    h, w = x.shape[-2:]
    return x[..., ph:h - ph, pw:w - pw]


def windows(x: FloatArray, kernel: Pair, stride: Pair,
            out_hw: Pair) -> Iterator[tuple[int, FloatArray]]:
    """Yield (k, view) for each kernel offset k = i*FW + j, where
    view[..., oh, ow] is x[..., i + SH*oh, j + SW*ow]: one strided view per offset."""
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, x[..., i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]


def batch_chunks(n: int, bytes_per_sample: int) -> list[slice]:
    """Slices of the batch axis holding about CHUNK_BYTES of work each (at least one sample)."""
    step = max(1, CHUNK_BYTES // max(1, bytes_per_sample))
    return [slice(start, min(start + step, n)) for start in range(0, n, step)]


def chunk_size(chunks: list[slice]) -> int:
    """The largest chunk's sample count (the first one's): what a chunk buffer must hold."""
    return int(chunks[0].stop) - int(chunks[0].start)


# float32 weight and bias gradients sum N*OH*OW terms, and a float32 GEMM adds them one after
# the other: on a few hundred terms its rounding already reaches PyTorch's float32 tolerance
# (1e-5 absolute; measured on the conformance grid, where torch's own float32 result is just
# inside it). Problems with at most this many multiply-adds run their weight-gradient GEMM in
# float64, where it costs under 0.1 ms; larger ones add each batch chunk's float32 GEMM into a
# float64 sum, so the float32 rounding is that of a chunk's sum (as torch's float32 is).
EXACT_WEIGHT_GRADIENT_MACS = 1 << 22


def weight_gradient_dtype(dtype: np.dtype[Any], macs: int) -> type[np.floating[Any]]:
    """The dtype in which to run a weight-gradient GEMM of `macs` multiply-adds."""
    if dtype == np.float32 and macs <= EXACT_WEIGHT_GRADIENT_MACS:
        return np.float64
    return np.float32 if dtype == np.float32 else np.float64


class SavedInput(NamedTuple):
    """What a convolution's backward needs of its input: `x` itself for the channel-major path,
    its padded channels-last copy for the other (1.1-1.3x x's memory; transposing x again in
    backward cost 3-8% of a fwd+bwd), and the batch chunks. The column matrices are rebuilt
    chunk by chunk in backward: keeping them cost FH*FW times x's memory and was no faster,
    measured at 64x64x16x16 (a fresh chunk's columns are in cache for its GEMM, kept ones
    come back from memory)."""
    x: FloatArray
    x_shape: tuple[int, ...]
    chunks: list[slice]
