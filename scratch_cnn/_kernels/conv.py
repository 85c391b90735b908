"""Convolution: which column-matrix layout computes it, by the number of input channels.

conv_forward returns the output and what conv_backward needs of the input
(windows.SavedInput).
"""

from . import conv_channel_major, conv_channels_last
from .windows import FloatArray, Pair, SavedInput


def conv_forward(x: FloatArray, W: FloatArray, b: FloatArray, stride: Pair, pad: Pair,
                 out_hw: Pair) -> tuple[FloatArray, SavedInput]:
    """(out, saved): out = W * x + b for x (N, C, H, W), W (FN, C, FH, FW), an (N, FN, OH, OW)
    view of a channels-last or channel-major result (the layout the path computes in)."""
    if _channels_last(x.shape[1]):
        return conv_channels_last.conv_forward(x, W, b, stride, pad, out_hw)
    return conv_channel_major.conv_forward(x, W, b, stride, pad, out_hw)


def conv_backward(saved: SavedInput, W: FloatArray, dout: FloatArray, stride: Pair,
                  pad: Pair, out_hw: Pair, need_dx: bool = True
                  ) -> tuple[FloatArray | None, FloatArray, FloatArray]:
    """(dx, dW, db) of `conv_forward`, from what it saved; need_dx=False skips dx (None): a
    network's first layer has no use for it."""
    if _channels_last(W.shape[1]):
        return conv_channels_last.conv_backward(saved, W, dout, stride, pad, out_hw, need_dx)
    return conv_channel_major.conv_backward(saved, W, dout, stride, pad, out_hw, need_dx)


def _channels_last(channels: int) -> bool:
    return int(channels) >= conv_channels_last.MIN_CHANNELS
