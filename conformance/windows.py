"""The book's window loops (im2col, col2im), with the knobs students get wrong: the suite's own
im2col for the adjoint witness, and the variants' way to reproduce a bug exactly."""

import numpy as np


def out_size(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def _steps(step, stride):
    """(row step, column step): one number for both, or a pair."""
    step = stride if step is None else step
    return tuple(step) if isinstance(step, (tuple, list)) else (step, step)


def unfold(x, fh, fw, stride, pad, out_hw=None, step=None, fill=0.0, padding=None):
    """The book's im2col: rows (n, oh, ow), columns (c, fh, fw). `out_hw`, `step` (one, or a
    (rows, columns) pair) and `padding` ((top, bottom, left, right), default `pad` on every
    side) let a variant take the wrong number of windows, step or padding."""
    n, c, h, w = x.shape
    oh, ow = out_hw or (out_size(h, fh, stride, pad), out_size(w, fw, stride, pad))
    sy, sx = _steps(step, stride)
    top, bottom, left, right = padding or (pad, pad, pad, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=fill)
    col = np.zeros((n, c, fh, fw, oh, ow))
    for y in range(fh):
        for x_ in range(fw):
            col[:, :, y, x_] = xp[:, :, y:y + sy * oh:sy, x_:x_ + sx * ow:sx]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1)


def fold(col, shape, fh, fw, stride, pad, accumulate=True, step=None, reset_rows=False):
    """The book's col2im before the crop: an (N, C, H + 2P + S - 1, W + 2P + S - 1) buffer.
    `accumulate=False` overwrites where windows overlap; `reset_rows` starts the buffer again
    for every filter row (only the last row's contributions are left)."""
    n, c, h, w = shape
    oh, ow = out_size(h, fh, stride, pad), out_size(w, fw, stride, pad)
    sy, sx = _steps(step, stride)
    cols = col.reshape(n, oh, ow, c, fh, fw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * pad + stride - 1, w + 2 * pad + stride - 1))
    for y in range(fh):
        if reset_rows:
            img[...] = 0
        for x_ in range(fw):
            window = img[:, :, y:y + sy * oh:sy, x_:x_ + sx * ow:sx]
            if accumulate:
                window += cols[:, :, y, x_]
            else:
                window[...] = cols[:, :, y, x_]
    return img


def crop(img, shape, pad):
    h, w = shape[2:]
    return img[:, :, pad:pad + h, pad:pad + w]


def pad_once_hw(p, k_h, k_w):
    """Output size with the padding counted once: (H + P - K) // S + 1."""
    return ((p["H"] + p["pad"] - k_h) // p["stride"] + 1,
            (p["W"] + p["pad"] - k_w) // p["stride"] + 1)


def conv_from_col(col, W, b, n, out_hw):
    fn = W.shape[0]
    out = col @ W.reshape(fn, -1).T + b
    return out.reshape(n, out_hw[0], out_hw[1], fn).transpose(0, 3, 1, 2)


def dcol(p, a):
    fn = a["W"].shape[0]
    return a["dout"].transpose(0, 2, 3, 1).reshape(-1, fn) @ a["W"].reshape(fn, -1)


def reshape_error(*dims):
    """numpy's message for reshaping into (dims...)."""
    return r"cannot reshape array of size \d+ into shape \(" + r",\s*".join(
        str(d) for d in dims) + r"\)"
