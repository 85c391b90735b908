"""The convolution layer."""

from typing import Any, Literal, overload

from numpy.typing import NDArray

from .. import _kernels
from .._checks import as_float, float_dtype, numeric_array, require_forward, same_shape
from .._kernels.windows import Pair, SavedInput
from ..functional import geometry


class Convolution:
    """2-D cross-correlation, as in torch's conv2d: W is (FN, C, FH, FW), b is (FN,),
    stride and pad are ints or (h, w) pairs. Output size (H + 2P - FH) // S + 1.

    Forward is one GEMM per batch chunk on a column matrix: channels-last from 4 input
    channels on, channel-major below. Backward rebuilds the chunk's columns for dW and db, and
    computes dx as a convolution of dout (stride 1) or by a fold of its columns (see
    scratch_cnn/_kernels/conv.py). The output is a view of channels-last or channel-major
    memory, and backward takes dout in that layout for free.
    """

    param_names = ("W", "b")
    skips_input_grad = True  # backward(dout, input_grad=False): see Network.gradient

    def __init__(self, W: Any, b: Any, stride: Any = 1, pad: Any = 0) -> None:
        owner = "Convolution"
        self.W = numeric_array(W, "W", owner, ndim=4)
        self.b = numeric_array(b, "b", owner)
        if self.b.shape != (self.W.shape[0],):
            raise ValueError(f"{owner}: b must have shape ({self.W.shape[0]},), one bias per "
                             f"filter of W {self.W.shape}; got {self.b.shape}")
        # validated now so that a bad stride fails at construction, not at first use
        kernel = (int(self.W.shape[2]), int(self.W.shape[3]))
        geometry(owner, kernel, kernel, stride, pad)
        self.stride, self.pad = stride, pad
        self.x: NDArray[Any] | None = None
        self.dW: NDArray[Any] | None = None
        self.db: NDArray[Any] | None = None
        self._saved: SavedInput | None = None  # what backward needs of x (conv_forward's)
        self._geometry: tuple[Pair, Pair, Pair] | None = None

    def forward(self, x: Any) -> NDArray[Any]:
        owner = "Convolution.forward"
        x = numeric_array(x, "x", owner, ndim=4)
        fn, c, fh, fw = self.W.shape
        if x.shape[1] != c:
            raise ValueError(f"{owner}: x has {x.shape[1]} channels (shape {x.shape}) but W "
                             f"{self.W.shape} expects {c}; x must be (N, {c}, H, W)")
        geometry_ = geometry(owner, x.shape, (fh, fw), self.stride, self.pad)
        dtype = float_dtype(x, self.W, self.b)
        self.x, self._geometry = x, geometry_
        out, self._saved = _kernels.conv_forward(as_float(x, dtype), as_float(self.W, dtype),
                                                 as_float(self.b, dtype), *geometry_)
        return out

    @overload
    def backward(self, dout: Any, input_grad: Literal[True] = ...) -> NDArray[Any]: ...

    @overload
    def backward(self, dout: Any, input_grad: Literal[False]) -> None: ...

    def backward(self, dout: Any, input_grad: bool = True) -> NDArray[Any] | None:
        """dx; dW and db are stored. input_grad=False computes only dW and db and returns
        None (the book's signature is backward(dout); networks skip their first dx)."""
        require_forward(self, "_saved")
        saved, geometry_ = self._saved, self._geometry
        assert saved is not None and geometry_ is not None  # (require_forward checked)
        stride, pad, out_hw = geometry_
        dout = same_shape(dout, (saved.x_shape[0], self.W.shape[0]) + out_hw,
                          "Convolution.backward")
        dtype = saved.x.dtype
        dx, self.dW, self.db = _kernels.conv_backward(
            saved, as_float(self.W, dtype), as_float(dout, dtype), stride, pad, out_hw,
            need_dx=input_grad)
        return dx
