"""Convolution: which column-matrix layout computes it, by the number of input channels."""

from . import conv_channel_major, conv_channels_last
from .windows import FloatArray, Pair


def conv_forward(x: FloatArray, W: FloatArray, b: FloatArray, stride: Pair, pad: Pair,
                 out_hw: Pair) -> FloatArray:
    """out = W * x + b for x (N, C, H, W), W (FN, C, FH, FW): an (N, FN, OH, OW) view of a
    channels-last or channel-major result (the layout that the path computes in)."""
    if _channels_last(x):
        return conv_channels_last.conv_forward(x, W, b, stride, pad, out_hw)
    return conv_channel_major.conv_forward(x, W, b, stride, pad, out_hw)


def conv_backward(x: FloatArray, W: FloatArray, dout: FloatArray, stride: Pair, pad: Pair,
                  out_hw: Pair, need_dx: bool = True
                  ) -> tuple[FloatArray | None, FloatArray, FloatArray]:
    """(dx, dW, db) of `conv_forward`; need_dx=False skips dx (None): a network's first layer
    has no use for it. In float32, db is summed with a float32 error of a few ulps."""
    if _channels_last(x):
        return conv_channels_last.conv_backward(x, W, dout, stride, pad, out_hw, need_dx)
    return conv_channel_major.conv_backward(x, W, dout, stride, pad, out_hw, need_dx)


def _channels_last(x: FloatArray) -> bool:
    return int(x.shape[1]) >= conv_channels_last.MIN_CHANNELS
