"""Max pooling with PyTorch's semantics: the first maximum in a window wins, padding (-inf)
never wins, and NaN wins (its gradient goes to the last NaN of the window).

Two kernels (one thread, measured with benchmarks/; see benchmarks/README.md):
- `max_pool_2x2`: 2x2 windows, stride 2, no padding (SimpleConvNet's).
- `max_pool_windows`: anything else, on the stride's phases of the input (see there).
Both are branch-free NumPy passes over a batch chunk at a time, and both keep every pass on
contiguous memory: NumPy's maximum has a SIMD loop for contiguous operands only, and runs
3-15x slower on the strided views that a window tap is.
"""

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from .windows import FloatArray, Pair, batch_chunks, chunk_size

BoolArray = NDArray[np.bool_]
# ufunc.at became fast in NumPy 1.25 (on 3x3/2 windows it now beats np.bincount 1.5-2x);
# before that it is ~100x slower, and the scatter-add takes np.bincount (in float64).
_FAST_UFUNC_AT = np.lib.NumpyVersion(np.__version__) >= "1.25.0"
IndexArray = NDArray[np.unsignedinteger]


class PairWinners(NamedTuple):
    """Which element of each pair won in `max_pool_2x2`: the right one of each column pair
    (P, 2*OH, OW) and the lower of each row pair of column maxima (P, OH, OW), for the planes
    in the order of `channel_major` (see `as_planes`)."""
    right: BoolArray
    lower: BoolArray
    channel_major: bool


class WindowWinners(NamedTuple):
    """The winning tap k = i*FW + j of each window of `max_pool_windows`, (P, OH, width):
    rows as wide as the phases (the columns from OW on are never read)."""
    arg: IndexArray
    channel_major: bool


Winners = PairWinners | WindowWinners


def max_pool(x: FloatArray, kernel: Pair, stride: Pair, pad: Pair,
             out_hw: Pair) -> tuple[FloatArray, Winners]:
    """Window maxima, and what `max_pool_backward` needs to route the gradient. The kernels
    work on the images' planes in the order they lie in memory (`as_planes`), and the result
    keeps that order: a channel-major input gives a channel-major output."""
    n, c = x.shape[:2]
    planes, channel_major = as_planes(x)
    pooled: tuple[FloatArray, Winners] | None = None
    if kernel == (2, 2) and stride == (2, 2) and pad == (0, 0):
        pooled = max_pool_2x2(planes, out_hw, channel_major)
    if pooled is None:
        pooled = max_pool_windows(planes, kernel, stride, pad, out_hw, channel_major)
    return from_planes(pooled[0], n, c, channel_major), pooled[1]


def max_pool_backward(dout: FloatArray, winners: Winners, x_shape: tuple[int, ...],
                      kernel: Pair, stride: Pair, pad: Pair, out_hw: Pair) -> FloatArray:
    """Route each output gradient to the input that won its window. dx has x's plane order,
    so that the layer before gets dout in the layout its output had."""
    n, c, h, w = x_shape
    d = as_planes_in(dout, winners.channel_major)
    if isinstance(winners, PairWinners):
        dx = max_pool_2x2_backward(d, winners, (h, w), out_hw)
    else:
        dx = max_pool_windows_backward(d, winners, (h, w), kernel, stride, pad, out_hw)
    return from_planes(dx, n, c, winners.channel_major)


def as_planes(x: FloatArray) -> tuple[FloatArray, bool]:
    """x (N, C, H, W) as (P, H, W) contiguous planes in the order they lie in memory, and
    whether that order is channel-major: (c, n) when x is a view of a (C, N, H, W) array, as
    a channel-major convolution returns, else (n, c) (a copy if x is not C-contiguous).
    Chunks of images of a channel-major array ran pooling 1.3-1.8x slower (measured)."""
    channel_major = x.transpose(1, 0, 2, 3)
    if not x.flags.c_contiguous and channel_major.flags.c_contiguous:
        return channel_major.reshape((-1,) + x.shape[2:]), True
    return np.ascontiguousarray(x).reshape((-1,) + x.shape[2:]), False


def as_planes_in(a: FloatArray, channel_major: bool) -> FloatArray:
    """a (N, C, H, W) as contiguous (P, H, W) planes in the given order (a view if it is)."""
    ordered = a.transpose(1, 0, 2, 3) if channel_major else a
    return np.ascontiguousarray(ordered).reshape((-1,) + a.shape[2:])


def from_planes(planes: FloatArray, n: int, c: int, channel_major: bool) -> FloatArray:
    """The (N, C, H, W) view of planes in the given order."""
    hw = planes.shape[1:]
    if channel_major:
        view: FloatArray = planes.reshape((c, n) + hw).transpose(1, 0, 2, 3)
        return view
    return planes.reshape((n, c) + hw)


# --- 2x2 windows, stride 2 ------------------------------------------------------------------


def max_pool_2x2(x: FloatArray, out_hw: Pair,
                 channel_major: bool) -> tuple[FloatArray, PairWinners] | None:
    """The max of each column pair, then of each row pair of those maxima, recording which
    won, over planes x (P, H, W). The second of a pair wins only if strictly greater, so ties
    go to the first maximum in row-major order, as in torch (rows first would not: its last
    step compares columns). The column pairs are first copied into two contiguous halves, so
    that the maxima and comparisons run on NumPy's SIMD loops: 2x faster than on the stride-2
    views (measured). Returns None if a window holds NaN (np.maximum propagates it, but torch
    routes its gradient to the last NaN: `max_pool_windows` does that)."""
    oh, ow = out_hw
    p = x.shape[0]
    out = np.empty((p, oh, ow), dtype=x.dtype)
    right = np.empty((p, 2 * oh, ow), dtype=bool)
    lower = np.empty((p, oh, ow), dtype=bool)
    chunks = batch_chunks(p, x[:1].nbytes)  # one chunk's passes stay in cache
    halves = np.empty((3, chunk_size(chunks), 2 * oh, ow), dtype=x.dtype)
    for s in chunks:
        left_x, right_x, pairs = halves[:, :s.stop - s.start]
        np.copyto(left_x, x[s, :2 * oh, 0:2 * ow:2])
        np.copyto(right_x, x[s, :2 * oh, 1:2 * ow:2])
        np.maximum(left_x, right_x, out=pairs)
        np.greater(right_x, left_x, out=right[s])
        upper_m, lower_m = pairs[:, 0::2], pairs[:, 1::2]
        np.maximum(upper_m, lower_m, out=out[s])
        np.greater(lower_m, upper_m, out=lower[s])
    if _holds_nan(out):
        return None
    return out, PairWinners(right, lower, channel_major)


def max_pool_2x2_backward(dout: FloatArray, winners: PairWinners, x_hw: Pair,
                          out_hw: Pair) -> FloatArray:
    """dx planes of `max_pool_2x2`: split dout between the rows of each pair, then the
    columns; the column split is computed contiguous, then written to dx's stride-2 halves."""
    oh, ow = out_hw
    p, (h, w) = dout.shape[0], x_hw
    exact = _not_finite(dout)
    fresh = np.empty if (h, w) == (2 * oh, 2 * ow) else np.zeros
    dx = fresh((p, h, w), dtype=dout.dtype)
    chunks = batch_chunks(p, h * w * dout.itemsize)
    buffers = np.empty((2, chunk_size(chunks), 2 * oh, ow), dtype=dout.dtype)
    for s in chunks:
        rows, second = buffers[:, :s.stop - s.start]
        _split(dout[s], winners.lower[s], rows[:, 0::2], rows[:, 1::2], exact)
        tile = dx[s, :2 * oh, :2 * ow]
        _split(rows, winners.right[s], tile[..., 0::2], second, exact)
        tile[..., 1::2] = second
    return dx


def _split(g: FloatArray, second_won: BoolArray, first: FloatArray, second: FloatArray,
           exact: bool) -> None:
    """first = g where the first of a pair won, else 0; second = g where the second won."""
    if exact:
        second[...] = np.where(second_won, g, 0)
        first[...] = np.where(second_won, 0, g)
    else:  # exact for finite g, and branch-free
        np.multiply(g, second_won, out=second)
        np.subtract(g, second, out=first)


def _not_finite(a: FloatArray) -> bool:
    """True if `a` holds inf or NaN: then 0 * a is not 0 everywhere. The maximum and the
    minimum, SIMD reductions that propagate NaN, take 0.6x the time of a sum (measured)."""
    return a.size > 0 and not (np.isfinite(np.max(a)) and np.isfinite(np.min(a)))


def _holds_nan(a: FloatArray) -> bool:
    """True if `a` holds NaN: its maximum is NaN (2.5x faster than a sum, measured)."""
    return a.size > 0 and bool(np.isnan(np.max(a)))


# --- any window: the stride's phases -----------------------------------------------------
# A window tap (i, j) is a strided view of the input, with rows of OW values: NumPy runs its
# passes over such views 3-15x slower than over contiguous memory. So the (padded) planes are
# first split into their SH*SW phases, phase (py, px) holding the pixels (SH*r + py, SW*q + px):
# tap (i, j) then reads phase (i % SH, j % SW) shifted by (i // SH, j // SW), and with output
# rows as wide as the phase (the extra columns are computed and never read), the tap over a
# whole plane is one contiguous run. 1.3-1.6x faster than the taps' strided views, measured on
# 3x3/2 windows (benchmarks/README.md).


def _phase_shape(x_hw: Pair, kernel: Pair, stride: Pair, pad: Pair, out_hw: Pair) -> Pair:
    """(rows, width) of one phase: enough for every tap's run, with one spare row (the last
    taps' runs reach past the last output row), and for every pixel of the padded input."""
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out_hw
    rows = max(oh + (kh - 1) // sh + 1, -(-(x_hw[0] + 2 * pad[0]) // sh))
    width = max(ow + (kw - 1) // sw, -(-(x_hw[1] + 2 * pad[1]) // sw))
    return rows, width


def _phase_slices(x_hw: Pair, stride: Pair, pad: Pair, phase_shape: Pair, py: int,
                  px: int) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """(phase rows and columns, image rows and columns) of the pixels of phase (py, px)
    that lie inside the image."""
    (h, w), (sh, sw), (ph, pw), (rows, width) = x_hw, stride, pad, phase_shape
    r0, r1 = max(0, -(-(ph - py) // sh)), min(rows, -(-(h + ph - py) // sh))
    c0, c1 = max(0, -(-(pw - px) // sw)), min(width, -(-(w + pw - px) // sw))
    if r1 <= r0 or c1 <= c0:
        return (slice(0, 0), slice(0, 0)), (slice(0, 0), slice(0, 0))
    image = (slice(sh * r0 + py - ph, sh * (r1 - 1) + py - ph + 1, sh),
             slice(sw * c0 + px - pw, sw * (c1 - 1) + px - pw + 1, sw))
    return (slice(r0, r1), slice(c0, c1)), image


def _tap_runs(kernel: Pair, stride: Pair, phase_shape: Pair) -> list[tuple[int, int, int, int]]:
    """(k, py, px, start) of each tap k = i*FW + j: its phase and the start of its run in the
    phase's flattened plane; each run is OH*width long."""
    (kh, kw), (sh, sw), width = kernel, stride, phase_shape[1]
    return [(i * kw + j, i % sh, j % sw, (i // sh) * width + j // sw)
            for i in range(kh) for j in range(kw)]


def max_pool_windows(x: FloatArray, kernel: Pair, stride: Pair, pad: Pair, out_hw: Pair,
                     channel_major: bool) -> tuple[FloatArray, WindowWinners]:
    """Any window, stride and padding over planes x (P, H, W): torch's loop over the window,
    vectorised over a chunk of planes, one pass per tap on the phases. Returns the maxima and
    the winning taps.

    As in torch, a later tap wins only if it is greater or NaN (so the first maximum and the
    last NaN win), and padding (-inf here) never wins: a window of -inf keeps its first
    element inside the image. The winner updates are branch-free: `arg = max(arg, k * won)`,
    since a tap that wins is later than every tap that won before it (and than the first
    inside, the start value). The NaN-aware comparisons run only if the maxima hold NaN (a
    window holds NaN exactly when its maximum is NaN): a check of the output, not the input.
    """
    pooled = _max_pool_phases(x, kernel, stride, pad, out_hw, channel_major, check_nan=False)
    if not _holds_nan(pooled[0]):
        return pooled
    return _max_pool_phases(x, kernel, stride, pad, out_hw, channel_major, check_nan=True)


def _max_pool_phases(x: FloatArray, kernel: Pair, stride: Pair, pad: Pair, out_hw: Pair,
                     channel_major: bool, check_nan: bool) -> tuple[FloatArray, WindowWinners]:
    p, h, w = x.shape
    oh, ow = out_hw
    shape = _phase_shape((h, w), kernel, stride, pad, out_hw)
    width, run = shape[1], oh * shape[1]
    out = np.empty((p, oh, ow), dtype=x.dtype)
    arg = np.empty((p, oh, width), dtype=np.uint8 if kernel[0] * kernel[1] <= 256
                   else np.uint32)
    first = np.zeros((oh, width), dtype=arg.dtype)
    first[:, :ow] = _first_inside(kernel, stride, pad, out_hw)
    chunks = batch_chunks(p, x[:1].nbytes)
    m = chunk_size(chunks)
    phases = np.full(stride + (m,) + shape, -np.inf, dtype=x.dtype)  # padding stays -inf
    flat = phases.reshape(stride + (m, -1))
    best, won = np.empty((m, run), dtype=x.dtype), np.empty((m, run), dtype=bool)
    k_won = np.empty((m, run), dtype=arg.dtype)
    for s in chunks:
        size = s.stop - s.start
        _fill_phases(phases, x[s], stride, pad)
        arg[s] = first
        b, better, a = best[:size], won[:size], arg[s].reshape(size, run)
        for k, py, px, start in _tap_runs(kernel, stride, shape):
            view = flat[py, px, :size, start:start + run]
            if k == 0:  # the first tap: nothing to beat yet (padding is -inf, arg is first)
                np.copyto(b, view)
                continue
            np.greater(view, b, out=better)
            if check_nan:
                better |= np.isnan(view)
            np.maximum(b, view, out=b)  # NaN propagates, as it should
            np.multiply(better.view(np.uint8), k, out=k_won[:size])
            np.maximum(a, k_won[:size], out=a)
        out[s] = b.reshape(size, oh, width)[..., :ow]
    return out, WindowWinners(arg, channel_major)


def _fill_phases(phases: FloatArray, x: FloatArray, stride: Pair, pad: Pair) -> None:
    """Copy the planes x (m, H, W) into the inside of their phases (SH, SW, >= m, rows,
    width); what lies outside the image is left as it is."""
    for py, px, inside, image in _phase_pixels(x.shape[1:], stride, pad, phases.shape[-2:]):
        phases[(py, px, slice(0, x.shape[0])) + inside] = x[(slice(None),) + image]


def _phase_pixels(x_hw: tuple[int, ...], stride: Pair, pad: Pair, phase_shape: tuple[int, ...]
                  ) -> Iterator[tuple[int, int, tuple[slice, slice], tuple[slice, slice]]]:
    """(py, px, phase rows and columns, image rows and columns) of each phase."""
    for py in range(stride[0]):
        for px in range(stride[1]):
            inside, image = _phase_slices((x_hw[0], x_hw[1]), stride, pad,
                                          (phase_shape[0], phase_shape[1]), py, px)
            yield py, px, inside, image


def _first_inside(kernel: Pair, stride: Pair, pad: Pair, out_hw: Pair) -> IndexArray:
    """(OH, OW) grid of the tap k of each window's first element inside the image."""
    kw, (sh, sw), (ph, pw), (oh, ow) = kernel[1], stride, pad, out_hw
    i0 = np.maximum(0, ph - sh * np.arange(oh))
    j0 = np.maximum(0, pw - sw * np.arange(ow))
    return (i0[:, None] * kw + j0[None, :]).astype(np.uint32)


def max_pool_windows_backward(dout: FloatArray, winners: WindowWinners, x_hw: Pair,
                              kernel: Pair, stride: Pair, pad: Pair,
                              out_hw: Pair) -> FloatArray:
    """dx planes of `max_pool_windows`: each output's gradient goes to the input pixel that
    won its window, in one scatter-add over the winners' flat indices, which adds up where
    windows overlap. 1.3-4x faster than a masked scatter-add per tap (measured on 3x3/2), and
    exact for inf and NaN in dout (nothing is multiplied by 0), as torch's loop is."""
    p, (h, w), (oh, ow), kw = dout.shape[0], x_hw, out_hw, kernel[1]
    # the pixel (SH*oh + i - PH, SW*ow + j - PW) of tap k = i*FW + j: a window's top-left
    # pixel plus the tap's offset (a winner is inside the image: padding never wins)
    taps = np.arange(kernel[0] * kw)
    offset = (taps // kw) * w + taps % kw
    corner = ((stride[0] * np.arange(oh) - pad[0])[:, None] * w
              + (stride[1] * np.arange(ow) - pad[1])[None, :])
    index = offset[winners.arg[..., :ow]]
    index += corner
    index += (np.arange(p) * (h * w))[:, None, None]
    if _FAST_UFUNC_AT:  # in the dtype of dout
        dx = np.zeros(p * h * w, dtype=dout.dtype)
        with np.errstate(invalid="ignore"):  # inf + -inf where windows overlap, as torch
            np.add.at(dx, index.ravel(), dout.ravel())
        return dx.reshape(p, h, w)
    dx64 = np.bincount(index.ravel(), weights=dout.ravel(), minlength=p * h * w)  # float64
    return dx64.reshape(p, h, w).astype(dout.dtype, copy=False)
