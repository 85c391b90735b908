"""Max and average pooling with PyTorch's max_pool2d / avg_pool2d semantics."""

from typing import Any

from numpy.typing import NDArray

from .. import _kernels
from .._checks import (
    float_dtype,
    int_pair,
    numeric_array,
    positive_int,
    require_forward,
    same_shape,
)
from .._kernels.max_pooling import Winners
from .._kernels.windows import Pair
from ..functional import geometry


class _Pool2d:
    """What both pools share: arguments, checks and output geometry.

    stride defaults to the window size (torch's default; the book's default changed between
    editions). The output size counts the padding, (H + 2P - PH) // S + 1, and pad may be at
    most half the window, as in torch.
    """

    def __init__(self, pool_h: int, pool_w: int, stride: Any = None, pad: Any = 0) -> None:
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
        self.x: NDArray[Any] | None = None
        self._geometry: tuple[Pair, Pair, Pair, Pair] = ((0, 0),) * 4  # set by forward

    def _prepare(self, x: Any) -> NDArray[Any]:
        owner = f"{type(self).__name__}.forward"
        x = numeric_array(x, "x", owner, ndim=4)
        kernel = (self.pool_h, self.pool_w)
        stride, pad, out_hw = geometry(owner, x.shape, kernel, self.stride, self.pad)
        self.x = x
        self._geometry = (kernel, stride, pad, out_hw)
        floats: NDArray[Any] = x.astype(float_dtype(x), copy=False)
        return floats

    def _dout(self, dout: Any) -> tuple[NDArray[Any], tuple[int, ...]]:
        """dout, checked and as a float array, and the shape of x."""
        require_forward(self, "x")
        assert self.x is not None  # (require_forward checked)
        out_shape = self.x.shape[:2] + self._geometry[3]
        dout = same_shape(dout, out_shape, f"{type(self).__name__}.backward")
        return dout.astype(float_dtype(dout), copy=False), self.x.shape


class Pooling(_Pool2d):
    """Max pooling. Padding is -inf, so an all-negative window never returns the pad (the book
    pads with 0); ties go to the first maximum in the window, as in torch."""

    def __init__(self, pool_h: int, pool_w: int, stride: Any = None, pad: Any = 0) -> None:
        super().__init__(pool_h, pool_w, stride, pad)
        self.arg_max: Winners | None = None  # the book's name; here, the kernel's winners

    def forward(self, x: Any) -> NDArray[Any]:
        out, self.arg_max = _kernels.max_pool(self._prepare(x), *self._geometry)
        return out

    def backward(self, dout: Any) -> NDArray[Any]:
        dout, x_shape = self._dout(dout)
        assert self.arg_max is not None  # (forward has run: _dout checked)
        return _kernels.max_pool_backward(dout, self.arg_max, x_shape, *self._geometry)


class AvgPooling(_Pool2d):
    """Average pooling with torch's avg_pool2d defaults: zero padding counts in the mean
    (count_include_pad=True) and partial windows are dropped (ceil_mode=False)."""

    def forward(self, x: Any) -> NDArray[Any]:
        return _kernels.avg_pool(self._prepare(x), *self._geometry)

    def backward(self, dout: Any) -> NDArray[Any]:
        return _kernels.avg_pool_backward(*self._dout(dout), *self._geometry)
