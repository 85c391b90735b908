"""Max and average pooling with PyTorch's max_pool2d / avg_pool2d semantics."""

from .. import _kernels
from .._checks import (
    float_dtype,
    int_pair,
    numeric_array,
    positive_int,
    require_forward,
    same_shape,
)
from ..functional import geometry


class _Pool2d:
    """What both pools share: arguments, checks and output geometry.

    stride defaults to the window size (torch's default; the book's default changed between
    editions). The output size counts the padding, (H + 2P - PH) // S + 1, and pad may be at
    most half the window, as in torch.
    """

    def __init__(self, pool_h, pool_w, stride=None, pad=0):
        owner = type(self).__name__
        self.pool_h = positive_int(pool_h, "pool_h", owner)
        self.pool_w = positive_int(pool_w, "pool_w", owner)
        self.stride = (self.pool_h, self.pool_w) if stride is None else stride
        self.pad = pad
        int_pair(self.stride, "stride", owner, minimum=1)
        ph, pw = int_pair(pad, "pad", owner, minimum=0)
        if 2 * ph > self.pool_h or 2 * pw > self.pool_w:
            raise ValueError(f"{owner}: pad {pad!r} is more than half the {self.pool_h}x"
                             f"{self.pool_w} window; use pad <= {self.pool_h // 2} "
                             f"(a window of padding alone has nothing to pool)")
        self.x = None

    def _prepare(self, x):
        owner = f"{type(self).__name__}.forward"
        x = numeric_array(x, "x", owner, ndim=4)
        kernel = (self.pool_h, self.pool_w)
        stride, pad, out_hw = geometry(owner, x.shape, kernel, self.stride, self.pad)
        self.x = x
        self._geometry = (kernel, stride, pad, out_hw)
        return x.astype(float_dtype(x), copy=False)

    def _dout(self, dout):
        require_forward(self, "x")
        out_shape = self.x.shape[:2] + self._geometry[3]
        dout = same_shape(dout, out_shape, f"{type(self).__name__}.backward")
        return dout.astype(float_dtype(dout), copy=False)


class Pooling(_Pool2d):
    """Max pooling. Padding is -inf, so an all-negative window never returns the pad (the book
    pads with 0); ties go to the first maximum in the window, as in torch."""

    def forward(self, x):
        x = self._prepare(x)
        out, self.arg_max = _kernels.max_pool(x, *self._geometry)
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        return _kernels.max_pool_backward(dout, self.arg_max, self.x, *self._geometry)


class AvgPooling(_Pool2d):
    """Average pooling with torch's avg_pool2d defaults: zero padding counts in the mean
    (count_include_pad=True) and partial windows are dropped (ceil_mode=False)."""

    def forward(self, x):
        return _kernels.avg_pool(self._prepare(x), *self._geometry)

    def backward(self, dout):
        return _kernels.avg_pool_backward(self._dout(dout), self.x.shape, *self._geometry)
