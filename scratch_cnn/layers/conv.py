"""The convolution layer."""

from .. import _kernels
from .._checks import as_float, float_dtype, numeric_array, require_forward, same_shape
from ..functional import geometry


class Convolution:
    """2-D cross-correlation, as in torch's conv2d: W is (FN, C, FH, FW), b is (FN,),
    stride and pad are ints or (h, w) pairs. Output size (H + 2P - FH) // S + 1.

    Forward is one GEMM on the transposed column matrix (C*FH*FW, N*OH*OW); backward is
    two GEMMs and a window-wise scatter-add (see _kernels).
    """

    param_names = ("W", "b")

    def __init__(self, W, b, stride=1, pad=0):
        owner = "Convolution"
        self.W = numeric_array(W, "W", owner, ndim=4)
        self.b = numeric_array(b, "b", owner)
        if self.b.shape != (self.W.shape[0],):
            raise ValueError(f"{owner}: b must have shape ({self.W.shape[0]},), one bias per "
                             f"filter of W {self.W.shape}; got {self.b.shape}")
        # validated now so that a bad stride fails at construction, not at first use
        geometry(owner, self.W.shape[2:], self.W.shape[2:], stride, pad)
        self.stride, self.pad = stride, pad
        self.x = None
        self.dW = None
        self.db = None
        self._cols_t = None

    def forward(self, x):
        owner = "Convolution.forward"
        x = numeric_array(x, "x", owner, ndim=4)
        fn, c, fh, fw = self.W.shape
        if x.shape[1] != c:
            raise ValueError(f"{owner}: x has {x.shape[1]} channels (shape {x.shape}) but W "
                             f"{self.W.shape} expects {c}; x must be (N, {c}, H, W)")
        stride, pad, out_hw = geometry(owner, x.shape, (fh, fw), self.stride, self.pad)
        dtype = float_dtype(x, self.W, self.b)
        self.x = x
        self._geometry = (stride, pad, out_hw)
        self._cols_t = _kernels.columns_t(as_float(x, dtype), (fh, fw), stride, pad, out_hw)
        out = as_float(self.W, dtype).reshape(fn, -1) @ self._cols_t
        out += as_float(self.b, dtype)[:, None]
        return out.reshape((fn, x.shape[0]) + out_hw).transpose(1, 0, 2, 3)

    def backward(self, dout):
        require_forward(self, "_cols_t")
        stride, pad, out_hw = self._geometry
        fn = self.W.shape[0]
        dout = same_shape(dout, (self.x.shape[0], fn) + out_hw, "Convolution.backward")
        dtype = self._cols_t.dtype
        dout_2d = as_float(dout, dtype).transpose(1, 0, 2, 3).reshape(fn, -1)
        self.db = dout_2d.sum(axis=1)
        self.dW = (dout_2d @ self._cols_t.T).reshape(self.W.shape)
        dcols_t = as_float(self.W, dtype).reshape(fn, -1).T @ dout_2d
        return _kernels.fold_columns_t(dcols_t, self.x.shape, self.W.shape[2:], stride, pad,
                                       out_hw)
