"""Average pooling, and LRN's sum over neighbouring channels: window sums by strided views."""

import numpy as np

from .windows import FloatArray, Pair, crop_hw, pad_hw, windows


def avg_pool(x: FloatArray, kernel: Pair, stride: Pair, pad: Pair, out_hw: Pair) -> FloatArray:
    """Window means, counting the zero padding (PyTorch's count_include_pad=True)."""
    xp = pad_hw(x, pad)
    out = np.zeros(x.shape[:2] + out_hw, dtype=x.dtype)
    for _, view in windows(xp, kernel, stride, out_hw):
        out += view
    out /= kernel[0] * kernel[1]
    return out


def avg_pool_backward(dout: FloatArray, x_shape: tuple[int, ...], kernel: Pair, stride: Pair,
                      pad: Pair, out_hw: Pair) -> FloatArray:
    """dx of `avg_pool`: each window's share of dout, added back (windows may overlap)."""
    share = dout / (kernel[0] * kernel[1])
    buf = np.zeros(x_shape[:2] + tuple(s + 2 * p for s, p in zip(x_shape[2:], pad)),
                   dtype=dout.dtype)
    for _, view in windows(buf, kernel, stride, out_hw):
        view += share
    return crop_hw(buf, pad)


def channel_window_sum(a: FloatArray, before: int, after: int) -> FloatArray:
    """s[:, c] = sum of a[:, c - before .. c + after] along axis 1, zero outside the channels."""
    s: FloatArray = a.copy()
    channels = a.shape[1]
    for d in range(1, min(max(before, after), channels - 1) + 1):
        if d <= after:  # channel c + d contributes to c
            s[:, :channels - d] += a[:, d:]
        if d <= before:  # channel c - d contributes to c
            s[:, d:] += a[:, :channels - d]
    return s
