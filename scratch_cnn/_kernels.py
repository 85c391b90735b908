"""The array kernels behind convolution and pooling.

Why they look like this (measured with benchmarks/, one thread; see benchmarks/README.md):
- A window loop over the FH*FW kernel offsets, each a single strided slice copy or `+=` over a
  whole block of images, beats both the book's 6-D im2col and `sliding_window_view` copies.
- Convolution builds its column matrix transposed, (C*FH*FW, N*OH*OW), so that forward and
  both backward products are single GEMMs on contiguous operands. It does so a batch chunk at a
  time (`batch_chunks`): the chunk's columns stay in cache, and the whole batch's column matrix
  is never held, so a layer's forward + backward peaks at 0.07-0.37x the book's memory.
  "Shift-GEMM" (a GEMM per kernel offset on the flattened NHWC input) was measured too and lost
  to the column matrix on every stride-1 benchmark shape (1.6x slower at 64x64x16x16), so it
  is gone.
- Max pooling: 2x2/2 has its own kernel, from elementwise maxima of strided views; any other
  window takes the general loop over the window, with branch-free updates.
NumPy allocations are tracked by tracemalloc, which is how the benchmark measures memory.
"""

from typing import NamedTuple

import numpy as np

# Working-set size of one batch chunk (its column matrix, or its input for pooling). Measured:
# 1-2 MiB is best; smaller chunks pay NumPy's per-call overhead, larger ones leave the caches.
CHUNK_BYTES = 1 << 21


def output_hw(hw, kernel, stride, pad):
    """Output height and width by PyTorch's formula: floor((H + 2P - K) / S) + 1."""
    return tuple((n + 2 * p - k) // s + 1 for n, k, s, p in zip(hw, kernel, stride, pad))


def pad_hw(x, pad, fill=0.0):
    """`x` with its last two axes padded by `pad` = (ph, pw) on each side; `x` itself if no pad."""
    ph, pw = pad
    if ph == 0 and pw == 0:
        return x
    h, w = x.shape[-2:]
    out = np.full(x.shape[:-2] + (h + 2 * ph, w + 2 * pw), fill, dtype=x.dtype)
    out[..., ph:ph + h, pw:pw + w] = x
    return out


def crop_hw(x, pad):
    ph, pw = pad
    h, w = x.shape[-2:]
    return x[..., ph:h - ph, pw:w - pw]


def windows(x, kernel, stride, out_hw):
    """Yield (k, view) for each kernel offset k = i*FW + j, where
    view[..., oh, ow] is x[..., i + SH*oh, j + SW*ow]: one strided view per offset."""
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, x[..., i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]


def batch_chunks(n, bytes_per_sample):
    """Slices of the batch axis holding about CHUNK_BYTES of work each (at least one sample)."""
    step = max(1, CHUNK_BYTES // max(1, bytes_per_sample))
    return [slice(start, min(start + step, n)) for start in range(0, n, step)]


# --- convolution -----------------------------------------------------------------------------
# Two layouts of the transposed column matrix, both (C*FH*FW [+1], N*OH*width):
# - `columns_t`: width = OW, one strided slice copy per kernel offset. Any stride. It wins when
#   C is small (SimpleConvNet's C = 1), where wide rows would only add GEMM work.
# - `columns_t_wide` (stride 1): width = Wp, the padded input's width, so that each window is
#   one contiguous run of the flattened image per channel and image; the Wp - OW extra columns
#   per row are computed and dropped. It wins from C = 16 (about 10% on the benchmark's
#   shapes): copies and folds of contiguous runs outweigh 6-12% more GEMM columns.
WIDE_MIN_CHANNELS = 16


def columns_t(x, kernel, stride, pad, out_hw, ones_row=False):
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


def fold_columns_t(cols_t, x_shape, kernel, stride, pad, out_hw):
    """The adjoint of `columns_t`: sum each column back into the window it came from.
    Returns an (N, C, H, W) view of a fresh buffer."""
    n, c, h, w = x_shape
    (kh, kw), (ph, pw) = kernel, pad
    buf = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=cols_t.dtype)
    cols = cols_t.reshape((c, kh * kw, n) + tuple(out_hw))
    for k, view in windows(buf, kernel, stride, out_hw):
        view += cols[:, k]
    return crop_hw(buf, pad).transpose(1, 0, 2, 3)


def _wide_shifts(kernel, padded_w):
    """(k, start) of each kernel offset's window in a flattened image of width padded_w."""
    kh, kw = kernel
    return [(i * kw + j, i * padded_w + j) for i in range(kh) for j in range(kw)]


def columns_t_wide(x, kernel, pad, out_hw, ones_row=False):
    """Stride 1 only: like `columns_t`, with columns (n, oh, 0..Wp-1) over the padded width,
    so that each kernel offset is one slice of the flattened padded images."""
    n, c, h, w = x.shape
    (kh, kw), (ph, pw), oh = kernel, pad, out_hw[0]
    wp = w + 2 * pw
    run = oh * wp
    # one spare row: the last offsets' runs reach up to kw - 1 columns past the padded image
    xp = np.zeros((c, n, h + 2 * ph + 1, wp), dtype=x.dtype)
    xp[:, :, ph:ph + h, pw:pw + w] = x.transpose(1, 0, 2, 3)
    flat = xp.reshape(c, n, -1)
    rows = c * kh * kw
    cols = np.empty((rows + ones_row, n * run), dtype=x.dtype)
    blocks = cols[:rows].reshape(c, kh * kw, n, run)
    for k, start in _wide_shifts(kernel, wp):
        blocks[:, k] = flat[:, :, start:start + run]
    if ones_row:
        cols[rows] = 1
    return cols


def fold_columns_t_wide(cols_t, x_shape, kernel, pad, out_hw):
    """The adjoint of `columns_t_wide` (its extra columns must hold zeros)."""
    n, c, h, w = x_shape
    (kh, kw), (ph, pw), oh = kernel, pad, out_hw[0]
    wp = w + 2 * pw
    run = oh * wp
    buf = np.zeros((c, n, h + 2 * ph + 1, wp), dtype=cols_t.dtype)
    flat = buf.reshape(c, n, -1)
    blocks = cols_t.reshape(c, kh * kw, n, run)
    for k, start in _wide_shifts(kernel, wp):
        flat[:, :, start:start + run] += blocks[:, k]
    return buf[:, :, ph:ph + h, pw:pw + w].transpose(1, 0, 2, 3)


def _conv_plan(x, kernel, stride, pad, out_hw):
    """Which layout (wide or not), its columns per output row, and the batch chunks."""
    wide = tuple(stride) == (1, 1) and x.shape[1] >= WIDE_MIN_CHANNELS
    width = x.shape[3] + 2 * pad[1] if wide else out_hw[1]
    rows = x.shape[1] * kernel[0] * kernel[1] + 1
    return wide, width, batch_chunks(x.shape[0], rows * out_hw[0] * width * x.itemsize)


def conv_forward(x, W, b, stride, pad, out_hw):
    """out = W * x + b for x (N, C, H, W), W (FN, C, FH, FW): per batch chunk, one GEMM of
    [W | b] with the chunk's columns and their row of ones (so the bias costs no extra pass),
    into the chunk's block of an (FN, N, OH, OW) result. Returns its (N, FN, OH, OW) view:
    the next layer reads it as it is, and backward takes dout in that layout for free."""
    n, fn, kernel = x.shape[0], W.shape[0], W.shape[2:]
    (oh, ow), per_image = out_hw, out_hw[0] * out_hw[1]
    w_b = np.concatenate([W.reshape(fn, -1), b[:, None]], axis=1)
    out = np.empty((fn, n, oh, ow), dtype=x.dtype)
    wide, width, chunks = _conv_plan(x, kernel, stride, pad, out_hw)
    for s in chunks:
        if wide:  # compute every padded-width column, keep the first OW of each row
            cols = columns_t_wide(x[s], kernel, pad, out_hw, ones_row=True)
            out[:, s] = (w_b @ cols).reshape(fn, -1, oh, width)[..., :ow]
        else:  # the GEMM writes straight into the result
            cols = columns_t(x[s], kernel, stride, pad, out_hw, ones_row=True)
            block = out.reshape(fn, -1)[:, s.start * per_image:s.stop * per_image]
            np.matmul(w_b, cols, out=block)
    return out.transpose(1, 0, 2, 3)


def conv_backward(x, W, dout, stride, pad, out_hw, need_dx=True):
    """(dx, dW, db) of `conv_forward`. Per batch chunk the columns are rebuilt (cheaper than
    holding the whole batch's: they are 9-25x the input), then dW and db come from one GEMM
    with the columns and their row of ones, and dx from one GEMM and a fold of its columns.
    need_dx=False skips dx (None): a network's first layer has no use for it."""
    fn, kernel = W.shape[0], W.shape[2:]
    w_t = W.reshape(fn, -1).T
    dout_t = dout.transpose(1, 0, 2, 3)  # (FN, N, OH, OW): free if dout came from conv_forward
    dw_b = np.zeros((fn, w_t.shape[0] + 1), dtype=dout.dtype)
    dx = np.empty(x.shape, dtype=dout.dtype) if need_dx else None
    wide, width, chunks = _conv_plan(x, kernel, stride, pad, out_hw)
    for s in chunks:
        d = _dout_matrix(dout_t, s, out_hw, width)
        if wide:
            dw_b += d @ columns_t_wide(x[s], kernel, pad, out_hw, ones_row=True).T
            if need_dx:
                dx[s] = fold_columns_t_wide(w_t @ d, x[s].shape, kernel, pad, out_hw)
        else:
            dw_b += d @ columns_t(x[s], kernel, stride, pad, out_hw, ones_row=True).T
            if need_dx:
                dx[s] = fold_columns_t(w_t @ d, x[s].shape, kernel, stride, pad, out_hw)
    return dx, dw_b[:, :-1].reshape(W.shape), dw_b[:, -1].copy()


def _dout_matrix(dout_t, s, out_hw, width):
    """The chunk s of dout_t (FN, N, OH, OW) as an (FN, m*OH*width) matrix: a view when dout
    is channel-major, else a copy; with zeros in the extra columns of the wide layout."""
    fn, (oh, ow) = dout_t.shape[0], out_hw
    if width == ow and dout_t.flags.c_contiguous:
        return dout_t.reshape(fn, -1)[:, s.start * oh * ow:s.stop * oh * ow]
    if width == ow:
        return np.ascontiguousarray(dout_t[:, s]).reshape(fn, -1)
    d = np.zeros((fn, s.stop - s.start, oh, width), dtype=dout_t.dtype)
    d[..., :ow] = dout_t[:, s]
    return d.reshape(fn, -1)


# --- max pooling -----------------------------------------------------------------------------


class PairWinners(NamedTuple):
    """Which element of each pair won in `max_pool_2x2`: the right one of each column pair
    (N, C, 2*OH, OW) and the lower of each row pair of column maxima (N, C, OH, OW)."""
    right: np.ndarray
    lower: np.ndarray


def max_pool(x, kernel, stride, pad, out_hw):
    """Window maxima and what `max_pool_backward` needs to route the gradient (PyTorch's
    semantics: the first maximum in the window wins, padding never wins, NaN wins)."""
    if tuple(kernel) == (2, 2) and tuple(stride) == (2, 2) and tuple(pad) == (0, 0):
        pooled = max_pool_2x2(x, out_hw)
        if pooled is not None:
            return pooled
    return max_pool_windows(x, kernel, stride, pad, out_hw)


def max_pool_backward(dout, winners, x, kernel, stride, pad, out_hw):
    """Route each output gradient to the input that won its window. dx has x's memory layout
    (np.empty_like): a convolution's output is channel-major, and so its dout comes back."""
    if isinstance(winners, PairWinners):
        return max_pool_2x2_backward(dout, winners, x, out_hw)
    return max_pool_windows_backward(dout, winners, x, kernel, stride, pad, out_hw)


def max_pool_2x2(x, out_hw):
    """2x2 windows with stride 2 and no padding (SimpleConvNet's), at about half torch's time:
    the max of each column pair, then of each row pair of those maxima, recording which won.
    The second of a pair wins only if strictly greater, so ties go to the first maximum in
    row-major order, as in torch. Returns None if a window holds NaN (np.maximum propagates
    it, but torch routes its gradient to the last NaN: `max_pool_windows` does that)."""
    oh, ow = out_hw
    n, c = x.shape[:2]
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    right = np.empty((n, c, 2 * oh, ow), dtype=bool)
    lower = np.empty((n, c, oh, ow), dtype=bool)
    for s in batch_chunks(n, x[:1].nbytes):  # one chunk's passes stay in cache
        left_x, right_x = x[s, :, :2 * oh, 0:2 * ow:2], x[s, :, :2 * oh, 1:2 * ow:2]
        pairs = np.maximum(left_x, right_x)
        np.greater(right_x, left_x, out=right[s])
        upper_m, lower_m = pairs[:, :, 0::2], pairs[:, :, 1::2]
        np.maximum(upper_m, lower_m, out=out[s])
        np.greater(lower_m, upper_m, out=lower[s])
    with np.errstate(invalid="ignore"):  # inf + -inf is NaN too: then the general path
        if np.isnan(np.sum(out)):
            return None
    return out, PairWinners(right, lower)


def max_pool_2x2_backward(dout, winners, x, out_hw):
    """dx of `max_pool_2x2`: split dout between the rows of each pair, then the columns."""
    oh, ow = out_hw
    n, c, h, w = x.shape
    with np.errstate(invalid="ignore", over="ignore"):
        exact = not np.isfinite(np.sum(dout))  # 0 * inf is NaN: inf or NaN take np.where
    fresh = np.empty_like if (h, w) == (2 * oh, 2 * ow) else np.zeros_like
    dx = fresh(x, dtype=dout.dtype)
    for s in batch_chunks(n, c * h * w * dout.itemsize):
        rows = np.empty((s.stop - s.start, c, 2 * oh, ow), dtype=dout.dtype)
        _split(dout[s], winners.lower[s], rows[:, :, 0::2], rows[:, :, 1::2], exact)
        tile = dx[s, :, :2 * oh, :2 * ow]
        _split(rows, winners.right[s], tile[..., 0::2], tile[..., 1::2], exact)
    return dx


def _split(g, second_won, first, second, exact):
    """first = g where the first of a pair won, else 0; second = g where the second won."""
    if exact:
        second[...] = np.where(second_won, g, 0)
        first[...] = np.where(second_won, 0, g)
    else:  # exact for finite g, and branch-free
        np.multiply(g, second_won, out=second)
        np.subtract(g, second, out=first)


def max_pool_windows(x, kernel, stride, pad, out_hw):
    """Any window, stride and padding: PyTorch's loop over the window, vectorised over a batch
    chunk, one pass per kernel offset. Returns the maxima and the winning offset k = i*FW + j.

    As in torch, a later element wins only if it is greater or NaN (so the first maximum and
    the last NaN win), and padding (-inf here) never wins: a window of -inf keeps its first
    element inside the image. The updates are branch-free (np.maximum, and `arg += (k - arg)
    * better` in modular uint8): 2-3x faster than np.copyto(..., where=better).
    """
    kh, kw = kernel
    n, c = x.shape[:2]
    out = np.empty((n, c) + tuple(out_hw), dtype=x.dtype)
    arg = np.empty(out.shape, dtype=np.uint8 if kh * kw <= 256 else np.uint32)
    with np.errstate(invalid="ignore"):  # one cheap pass; NaN-aware comparisons only if needed
        check_nan = np.isnan(np.sum(x))
    for s in batch_chunks(n, x[:1].nbytes):
        m, a = out[s], arg[s]
        m[...] = -np.inf
        a[...] = _first_inside(kernel, stride, pad, out_hw)
        better, step = np.empty(m.shape, dtype=bool), np.empty(m.shape, dtype=a.dtype)
        for k, view in windows(pad_hw(x[s], pad, fill=-np.inf), kernel, stride, out_hw):
            np.greater(view, m, out=better)
            if check_nan:
                better |= np.isnan(view)
            np.maximum(m, view, out=m)  # NaN propagates, as it should
            np.subtract(k, a, out=step)
            step *= better
            a += step
    return out, arg


def _first_inside(kernel, stride, pad, out_hw):
    """(OH, OW) grid of the offset k of each window's first element inside the image."""
    (kw, (sh, sw), (ph, pw), (oh, ow)) = kernel[1], stride, pad, out_hw
    i0 = np.maximum(0, ph - sh * np.arange(oh))
    j0 = np.maximum(0, pw - sw * np.arange(ow))
    return i0[:, None] * kw + j0[None, :]


def max_pool_windows_backward(dout, arg, x, kernel, stride, pad, out_hw):
    """dx of `max_pool_windows`: one scatter-add per kernel offset (windows may overlap)."""
    n, c = x.shape[:2]
    padded = tuple(size + 2 * p for size, p in zip(x.shape[2:], pad))
    dx = np.empty_like(x, dtype=dout.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        exact = not np.isfinite(np.sum(dout))  # 0 * inf is NaN: inf or NaN take np.where
    for s in batch_chunks(n, c * padded[0] * padded[1] * dout.itemsize):
        buf = np.zeros((s.stop - s.start, c) + padded, dtype=dout.dtype)
        hit = np.empty(arg[s].shape, dtype=bool)
        share = np.empty(hit.shape, dtype=dout.dtype)
        for k, view in windows(buf, kernel, stride, out_hw):
            np.equal(arg[s], k, out=hit)
            if exact:
                share[...] = np.where(hit, dout[s], 0)
            else:
                np.multiply(dout[s], hit, out=share)
            with np.errstate(invalid="ignore"):  # inf + -inf where windows overlap, as torch
                view += share
        dx[s] = crop_hw(buf, pad)
    return dx


# --- average pooling and LRN -----------------------------------------------------------------


def avg_pool(x, kernel, stride, pad, out_hw):
    """Window means, counting the zero padding (PyTorch's count_include_pad=True)."""
    xp = pad_hw(x, pad)
    out = np.zeros(x.shape[:2] + tuple(out_hw), dtype=x.dtype)
    for _, view in windows(xp, kernel, stride, out_hw):
        out += view
    out /= kernel[0] * kernel[1]
    return out


def avg_pool_backward(dout, x_shape, kernel, stride, pad, out_hw):
    share = dout / (kernel[0] * kernel[1])
    buf = np.zeros(x_shape[:2] + tuple(s + 2 * p for s, p in zip(x_shape[2:], pad)),
                   dtype=dout.dtype)
    for _, view in windows(buf, kernel, stride, out_hw):
        view += share
    return crop_hw(buf, pad)


def channel_window_sum(a, before, after):
    """s[:, c] = sum of a[:, c - before .. c + after] along axis 1, zero outside the channels."""
    s = a.copy()
    channels = a.shape[1]
    for d in range(1, min(max(before, after), channels - 1) + 1):
        if d <= after:  # channel c + d contributes to c
            s[:, :channels - d] += a[:, d:]
        if d <= before:  # channel c - d contributes to c
            s[:, d:] += a[:, :channels - d]
    return s
