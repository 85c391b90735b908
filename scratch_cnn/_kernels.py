"""The array kernels behind convolution and pooling.

Why they look like this (measured, see DESIGN "Speed"): a window loop over the FH*FW kernel
offsets, each a single strided slice copy or `+=` over the whole batch, beats both the book's
6-D im2col and `sliding_window_view` copies. Convolution builds its column matrix transposed,
(C*FH*FW, N*OH*OW), so that forward and both backward products are single GEMMs on
contiguous operands.
"""

import numpy as np


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


def columns_t(x, kernel, stride, pad, out_hw):
    """The transposed column matrix of x (N, C, H, W): shape (C*FH*FW, N*OH*OW),
    rows ordered (c, fh, fw) and columns (n, oh, ow), so im2col(x) is its transpose."""
    n, c = x.shape[:2]
    xp = pad_hw(x.transpose(1, 0, 2, 3), pad)  # (C, N, Hp, Wp): each copy below is one block
    kh, kw = kernel
    cols = np.empty((c, kh * kw, n) + tuple(out_hw), dtype=x.dtype)
    for k, view in windows(xp, kernel, stride, out_hw):
        cols[:, k] = view
    return cols.reshape(c * kh * kw, -1)


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


def max_pool(x, kernel, stride, pad, out_hw):
    """Window maxima and the offset k of the first maximum in each window (PyTorch's tie rule).

    Padding is -inf, as in PyTorch, so a window of negative numbers never returns the pad.
    NaN wins, as in PyTorch's max_pool2d.
    """
    xp = pad_hw(x, pad, fill=-np.inf)
    check_nan = np.isnan(np.sum(x))  # one cheap pass; NaN-aware comparisons only when needed
    out = arg = None
    for k, view in windows(xp, kernel, stride, out_hw):
        if out is None:
            out = view.copy()
            arg = np.zeros(out.shape, dtype=np.min_scalar_type(kernel[0] * kernel[1]))
            continue
        better = view > out  # strict: the first maximum keeps the window
        if check_nan:
            better |= np.isnan(view) & ~np.isnan(out)
        np.copyto(out, view, where=better)
        np.copyto(arg, k, where=better)
    return out, arg


def max_pool_backward(dout, arg, x_shape, kernel, stride, pad, out_hw):
    """Route each output gradient to the input that won its window."""
    buf = np.zeros(x_shape[:2] + tuple(s + 2 * p for s, p in zip(x_shape[2:], pad)),
                   dtype=dout.dtype)
    for k, view in windows(buf, kernel, stride, out_hw):
        view += np.where(arg == k, dout, 0)
    return crop_hw(buf, pad)


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
