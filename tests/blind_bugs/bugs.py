"""A blind set of single-bug submissions: the correct example with one realistic mistake each.

Written without looking at the grader's diagnosis code or its own bug list (see README.md), so
that the grader's feedback can be measured on bugs it was not tuned to. Each Bug is data: exact
text replacements applied in order to conformance/examples/submission/cnn.py.
"""

from dataclasses import dataclass
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "conformance" / "examples" / "submission" / "cnn.py"

COMPONENTS = ("im2col", "col2im", "Convolution", "Pooling", "Relu", "Affine",
              "SoftmaxWithLoss", "SimpleConvNet")

BUG_CLASSES = (
    "output-size", "stride", "padding", "axis-order", "scale", "overwrite", "sign",
    "missing-term", "wrong-cached-value", "swapped-arguments", "reduction-axis",
    "integer-dtype", "state-mutated", "stale-forward", "numerical-stability",
)


@dataclass(frozen=True)
class Bug:
    name: str
    component: str  # whose own code holds the mistake
    bug_class: str  # one of BUG_CLASSES
    description: str  # what the student did, in one sentence
    replace: list  # [(old, new), ...] applied in order; each old occurs exactly once


class ReplacementError(ValueError):
    """A replacement's old text does not occur exactly once where it is applied."""


def apply(bug, source):
    """The example's source with the bug's replacements applied in order."""
    for step, (old, new) in enumerate(bug.replace, 1):
        count = source.count(old)
        if count != 1:
            raise ReplacementError(f"{bug.name}: replacement {step} of {len(bug.replace)} "
                                   f"expects its old text exactly once but finds it {count} "
                                   f"times: {old!r}")
        source = source.replace(old, new)
    return source


def example_source():
    return EXAMPLE.read_text(encoding="utf-8")


# Anchors: lines that occur in more than one function, made unique by a neighbour.
IM2COL_SIZES = ("    out_h = (H + 2 * pad - filter_h) // stride + 1\n"
                "    out_w = (W + 2 * pad - filter_w) // stride + 1\n\n    img = np.pad(")
IM2COL_READ = "col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end:stride, fx:fx_end:stride]"
COL2IM_WRITE = "img[:, :, fy:fy_end:stride, fx:fx_end:stride] += col[:, :, fy, fx, :, :]"
COL2IM_CROP = "return img[:, :, pad:H + pad, pad:W + pad]"
CONV_IM2COL = "col = im2col(x, FH, FW, self.stride, self.pad)"
CONV_COL2IM = "dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)"
CONV_DB = "self.db = np.sum(dout, axis=0)\n        self.dW = np.dot(self.col.T, dout)"
POOL_IM2COL = "col = im2col(x_padded, self.pool_h, self.pool_w, self.stride, 0)"
SOFTMAX_SHIFT = "x = x - np.max(x, axis=-1, keepdims=True)  # shift so that exp cannot overflow\n"
CE_RETURN = "    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size"
NET_AFFINE_GRADS = (
    "grads['W2'], grads['b2'] = self.layers['Affine1'].dW, self.layers['Affine1'].db\n"
    "        grads['W3'], grads['b3'] = self.layers['Affine2'].dW, self.layers['Affine2'].db")


IM2COL_BUGS = [
    Bug("im2col-size-missing-plus-one", "im2col", "output-size",
        "im2col computes out_h and out_w as (H + 2P - FH) // S without the + 1, so the last "
        "row and column of windows are never read.",
        [(IM2COL_SIZES, IM2COL_SIZES.replace(" // stride + 1", " // stride"))]),
    Bug("im2col-size-counts-pad-once", "im2col", "output-size",
        "im2col adds the padding once, (H + P - FH) // S + 1, so padded inputs lose windows.",
        [(IM2COL_SIZES, IM2COL_SIZES.replace("2 * pad", "pad"))]),
    Bug("im2col-out-w-from-height", "im2col", "output-size",
        "im2col computes out_w from the height H instead of the width W.",
        [(IM2COL_SIZES, IM2COL_SIZES.replace("(W + 2 * pad", "(H + 2 * pad"))]),
    Bug("im2col-size-rounds-up", "im2col", "output-size",
        "im2col rounds the number of window steps up with np.ceil of a true division, "
        "counting a window that runs past the padded edge.",
        [(IM2COL_SIZES,
          "    out_h = int(np.ceil((H + 2 * pad - filter_h) / stride)) + 1\n"
          "    out_w = int(np.ceil((W + 2 * pad - filter_w) / stride)) + 1\n\n"
          "    img = np.pad(")]),
    Bug("im2col-columns-end-at-out-h", "im2col", "output-size",
        "im2col ends each column slice at fx + stride * out_h, the height's count, instead of "
        "out_w.",
        [("fx_end = fx + stride * out_w\n            col[",
          "fx_end = fx + stride * out_h\n            col[")]),
    Bug("im2col-windows-step-by-one", "im2col", "stride",
        "im2col slices fy:fy + out_h and fx:fx + out_w with no step, so windows start at "
        "every pixel whatever the stride.",
        [("fy_end = fy + stride * out_h\n        for fx in range(filter_w):\n"
          "            fx_end = fx + stride * out_w\n            col[",
          "fy_end = fy + out_h\n        for fx in range(filter_w):\n"
          "            fx_end = fx + out_w\n            col["),
         (IM2COL_READ, "col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end, fx:fx_end]")]),
    Bug("im2col-stride-on-rows-only", "im2col", "stride",
        "im2col steps the rows by the stride but reads the columns fx:fx + out_w one pixel "
        "apart.",
        [(IM2COL_READ, "col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end:stride, fx:fx + out_w]")]),
    Bug("im2col-pads-twice-the-amount", "im2col", "padding",
        "im2col pads each side by 2 * pad (the 2P of the size formula), which shifts every "
        "window up and to the left.",
        [("(pad, pad), (pad, pad)", "(2 * pad, 2 * pad), (2 * pad, 2 * pad)")]),
    Bug("im2col-pads-top-left-only", "im2col", "padding",
        "im2col pads only the top and the left, (pad, 0), while the sizes assume both sides.",
        [("(pad, pad), (pad, pad)", "(pad, 0), (pad, 0)")]),
    Bug("im2col-reshape-without-transpose", "im2col", "axis-order",
        "im2col reshapes the (N, C, FH, FW, OH, OW) buffer straight to rows without moving "
        "the window axes first.",
        [("col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)",
          "col = col.reshape(N * out_h * out_w, -1)")]),
    Bug("im2col-filter-axes-swapped", "im2col", "axis-order",
        "im2col transposes with (0, 4, 5, 1, 3, 2), so each row lists the filter offsets "
        "column-major (fx before fy).",
        [("col.transpose(0, 4, 5, 1, 2, 3)", "col.transpose(0, 4, 5, 1, 3, 2)")]),
    Bug("im2col-integer-buffer", "im2col", "integer-dtype",
        "im2col allocates its buffer with dtype=int, so every pixel copied into it is "
        "truncated toward zero.",
        [("col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))",
          "col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=int)")]),
]

COL2IM_BUGS = [
    Bug("col2im-assigns-overlaps", "col2im", "overwrite",
        "col2im writes each filter offset with = instead of +=, so where windows overlap only "
        "the last contribution survives.",
        [(COL2IM_WRITE, COL2IM_WRITE.replace("+=", "="))]),
    Bug("col2im-buffer-reset-per-row", "col2im", "overwrite",
        "col2im creates the zero image inside the filter-row loop, so each fy throws away "
        "what the previous rows added.",
        [("    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))\n"
          "    for fy in range(filter_h):\n",
          "    for fy in range(filter_h):\n"
          "        img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))\n")]),
    Bug("col2im-crop-without-offset", "col2im", "padding",
        "col2im crops img[:, :, :H, :W], keeping the top-left padding and dropping real "
        "pixels at the bottom and right.",
        [(COL2IM_CROP, "return img[:, :, :H, :W]")]),
    Bug("col2im-crop-ends-short", "col2im", "padding",
        "col2im crops img[:, :, pad:H, pad:W], as if H and W already included the padding.",
        [(COL2IM_CROP, "return img[:, :, pad:H, pad:W]")]),
    Bug("col2im-crop-height-width-swapped", "col2im", "output-size",
        "col2im crops rows with W and columns with H.",
        [(COL2IM_CROP, "return img[:, :, pad:W + pad, pad:H + pad]")]),
    Bug("col2im-out-w-from-height", "col2im", "output-size",
        "col2im computes out_w from the height H instead of the width W.",
        [("out_w = (W + 2 * pad - filter_w) // stride + 1\n    col = col.reshape(",
          "out_w = (H + 2 * pad - filter_w) // stride + 1\n    col = col.reshape(")]),
    Bug("col2im-windows-step-by-one", "col2im", "stride",
        "col2im adds each offset's values into img[fy:fy + out_h, fx:fx + out_w], one pixel "
        "apart, ignoring the stride.",
        [(COL2IM_WRITE, "img[:, :, fy:fy + out_h, fx:fx + out_w] += col[:, :, fy, fx, :, :]")]),
    Bug("col2im-stride-on-columns-only", "col2im", "stride",
        "col2im steps the columns by the stride but writes the rows fy:fy + out_h one pixel "
        "apart.",
        [(COL2IM_WRITE,
          "img[:, :, fy:fy + out_h, fx:fx_end:stride] += col[:, :, fy, fx, :, :]")]),
    Bug("col2im-reshape-without-transpose", "col2im", "axis-order",
        "col2im reshapes the rows straight to (N, C, FH, FW, OH, OW) without transposing "
        "from the (n, y, x) x (c, fy, fx) layout.",
        [("col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)",
          "col = col.reshape(N, C, filter_h, filter_w, out_h, out_w)")]),
    Bug("col2im-reuses-im2col-transpose", "col2im", "axis-order",
        "col2im applies im2col's permutation (0, 4, 5, 1, 2, 3) again instead of its inverse "
        "(0, 3, 4, 5, 1, 2).",
        [("filter_w).transpose(0, 3, 4, 5, 1, 2)", "filter_w).transpose(0, 4, 5, 1, 2, 3)")]),
    Bug("col2im-integer-buffer", "col2im", "integer-dtype",
        "col2im allocates the image with dtype=int, so adding the float columns into it "
        "cannot keep their values.",
        [("img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))",
          "img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), "
          "dtype=int)")]),
]

CONVOLUTION_BUGS = [
    Bug("conv-forward-without-bias", "Convolution", "missing-term",
        "Convolution.forward returns np.dot(col, col_W) and never adds the bias.",
        [("out = np.dot(col, col_W) + self.b", "out = np.dot(col, col_W)")]),
    Bug("conv-db-over-positions", "Convolution", "reduction-axis",
        "Convolution.backward sums dout over axis 1 (the filters) for db instead of over the "
        "rows (axis 0).",
        [(CONV_DB, CONV_DB.replace("axis=0", "axis=1"))]),
    Bug("conv-db-averaged", "Convolution", "scale",
        "Convolution.backward takes db as the mean of dout over the rows instead of the sum.",
        [(CONV_DB, CONV_DB.replace("np.sum(dout, axis=0)", "np.mean(dout, axis=0)"))]),
    Bug("conv-dW-reshape-without-transpose", "Convolution", "axis-order",
        "Convolution.backward reshapes the (C*FH*FW, FN) weight gradient straight to "
        "(FN, C, FH, FW) without transposing it.",
        [("self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)",
          "self.dW = self.dW.reshape(FN, C, FH, FW)")]),
    Bug("conv-output-reshape-without-transpose", "Convolution", "axis-order",
        "Convolution.forward reshapes the (N*OH*OW, FN) product straight to (N, FN, OH, OW).",
        [("out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)",
          "out = out.reshape(N, -1, out_h, out_w)")]),
    Bug("conv-dout-reshape-without-transpose", "Convolution", "axis-order",
        "Convolution.backward reshapes dout (N, FN, OH, OW) straight to (-1, FN) without "
        "moving the filter axis last.",
        [("dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)", "dout = dout.reshape(-1, FN)")]),
    Bug("conv-weights-flattened-without-transpose", "Convolution", "axis-order",
        "Convolution.forward flattens the filters with W.reshape(-1, FN) instead of "
        "W.reshape(FN, -1).T.",
        [("col_W = self.W.reshape(FN, -1).T", "col_W = self.W.reshape(-1, FN)")]),
    Bug("conv-out-w-from-height", "Convolution", "output-size",
        "Convolution.forward computes out_w from the height H instead of the width W.",
        [("out_w = (W + 2 * self.pad - FW)", "out_w = (H + 2 * self.pad - FW)")]),
    Bug("conv-size-counts-pad-once", "Convolution", "output-size",
        "Convolution.forward adds the padding once in the output size, (H + P - FH) // S + 1.",
        [("(H + 2 * self.pad - FH)", "(H + self.pad - FH)"),
         ("(W + 2 * self.pad - FW)", "(W + self.pad - FW)")]),
    Bug("conv-im2col-filter-sizes-swapped", "Convolution", "swapped-arguments",
        "Convolution.forward calls im2col(x, FW, FH, ...), filter width before height.",
        [(CONV_IM2COL, "col = im2col(x, FW, FH, self.stride, self.pad)")]),
    Bug("conv-col2im-stride-pad-swapped", "Convolution", "swapped-arguments",
        "Convolution.backward calls col2im(..., self.pad, self.stride), pad and stride "
        "swapped.",
        [(CONV_COL2IM, "dx = col2im(dcol, self.x.shape, FH, FW, self.pad, self.stride)")]),
    Bug("conv-dW-operands-swapped", "Convolution", "swapped-arguments",
        "Convolution.backward computes np.dot(dout.T, col) for dW and then still transposes "
        "it as if it were col.T @ dout.",
        [("self.dW = np.dot(self.col.T, dout)", "self.dW = np.dot(dout.T, self.col)")]),
    Bug("conv-im2col-stride-one", "Convolution", "stride",
        "Convolution.forward calls im2col with stride 1, so the windows are stepped by one "
        "pixel whatever self.stride is.",
        [(CONV_IM2COL, "col = im2col(x, FH, FW, 1, self.pad)")]),
    Bug("conv-col2im-without-pad", "Convolution", "padding",
        "Convolution.backward calls col2im without the pad, so the padded columns are folded "
        "into an unpadded image.",
        [(CONV_COL2IM, "dx = col2im(dcol, self.x.shape, FH, FW, self.stride)")]),
    Bug("conv-columns-cached-once", "Convolution", "stale-forward",
        "Convolution.forward stores the column matrix only on its first call, so backward "
        "computes dW from the first batch.",
        [("        self.col = col\n        self.col_W",
          "        if self.col is None:\n            self.col = col\n        self.col_W")]),
    Bug("conv-stores-flattened-weights", "Convolution", "state-mutated",
        "Convolution.forward stores the flattened filters back into self.W, so the layer's "
        "weights lose their (FN, C, FH, FW) shape after one call.",
        [("col_W = self.W.reshape(FN, -1).T  # (C*FH*FW, FN)",
          "self.W = self.W.reshape(FN, -1).T  # (C*FH*FW, FN)\n        col_W = self.W")]),
]

POOLING_BUGS = [
    Bug("pool-out-w-from-height", "Pooling", "output-size",
        "Pooling.forward computes out_w from the height H instead of the width W.",
        [("out_w = (W + 2 * self.pad - self.pool_w)", "out_w = (H + 2 * self.pad - self.pool_w)")]),
    Bug("pool-out-w-uses-pool-h", "Pooling", "output-size",
        "Pooling.forward computes out_w with the window height pool_h.",
        [("out_w = (W + 2 * self.pad - self.pool_w)", "out_w = (W + 2 * self.pad - self.pool_h)")]),
    Bug("pool-stride-is-window", "Pooling", "stride",
        "Pooling.__init__ sets self.stride = pool_h, assuming windows never overlap or skip.",
        [("self.pool_w = pool_w\n        self.stride = stride",
          "self.pool_w = pool_w\n        self.stride = pool_h")]),
    Bug("pool-backward-stride-one", "Pooling", "stride",
        "Pooling.backward folds the gradient with col2im(..., 1, 0), stride 1 instead of "
        "self.stride.",
        [("self.pool_h, self.pool_w, self.stride, 0)\n\n        H, W",
          "self.pool_h, self.pool_w, 1, 0)\n\n        H, W")]),
    Bug("pool-pads-top-left-only", "Pooling", "padding",
        "Pooling.forward pads only the top and the left, (p, 0), while the sizes count both "
        "sides.",
        [("(p, p), (p, p)", "(p, 0), (p, 0)")]),
    Bug("pool-pads-twice", "Pooling", "padding",
        "Pooling.forward pads x itself and then passes self.pad to im2col too, padding twice.",
        [(POOL_IM2COL, "col = im2col(x_padded, self.pool_h, self.pool_w, self.stride, self.pad)")]),
    Bug("pool-backward-crop-without-offset", "Pooling", "padding",
        "Pooling.backward crops dx_padded[:, :, :H, :W], keeping the top-left padding.",
        [("return dx_padded[:, :, p:p + H, p:p + W]", "return dx_padded[:, :, :H, :W]")]),
    Bug("pool-output-reshape-without-transpose", "Pooling", "axis-order",
        "Pooling.forward reshapes the per-window maxima straight to (N, C, OH, OW), though "
        "they are ordered (n, y, x, c).",
        [("out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)",
          "out = out.reshape(N, C, out_h, out_w)")]),
    Bug("pool-backward-dout-not-transposed", "Pooling", "axis-order",
        "Pooling.backward scatters dout in its (N, C, OH, OW) order without moving the "
        "channels last to match the windows.",
        [("        dout = dout.transpose(0, 2, 3, 1)\n\n        pool_size",
          "        pool_size")]),
    Bug("pool-argmax-over-windows", "Pooling", "reduction-axis",
        "Pooling.forward takes np.argmax(col, axis=0), across windows, instead of within each "
        "window.",
        [("arg_max = np.argmax(col, axis=1)", "arg_max = np.argmax(col, axis=0)")]),
    Bug("pool-integer-gradient-buffer", "Pooling", "integer-dtype",
        "Pooling.backward allocates dmax with dtype=int, so the routed gradients are "
        "truncated.",
        [("dmax = np.zeros((dout.size, pool_size))",
          "dmax = np.zeros((dout.size, pool_size), dtype=int)")]),
    Bug("pool-argmax-cached-once", "Pooling", "stale-forward",
        "Pooling.forward stores arg_max only on its first call, so backward routes the "
        "gradient to the first batch's maxima.",
        [("        self.arg_max = arg_max\n        return out",
          "        if self.arg_max is None:\n            self.arg_max = arg_max\n"
          "        return out")]),
    Bug("pool-im2col-window-swapped", "Pooling", "swapped-arguments",
        "Pooling.forward calls im2col(x_padded, pool_w, pool_h, ...), width before height.",
        [(POOL_IM2COL, "col = im2col(x_padded, self.pool_w, self.pool_h, self.stride, 0)")]),
    Bug("pool-gradient-averaged", "Pooling", "scale",
        "Pooling.backward divides the gradient routed to each maximum by the window area, as "
        "average pooling would.",
        [("= dout.flatten()\n", "= dout.flatten() / pool_size\n")]),
    Bug("pool-col2im-unpadded-shape", "Pooling", "wrong-cached-value",
        "Pooling.backward folds the columns into self.x_shape, the unpadded input's shape, "
        "instead of the padded one.",
        [("dx_padded = col2im(dcol, self.padded_shape,",
          "dx_padded = col2im(dcol, self.x_shape,")]),
]

RELU_BUGS = [
    Bug("relu-mask-sign-flipped", "Relu", "sign",
        "Relu.forward masks x >= 0, zeroing the positive inputs and keeping the negative "
        "ones.",
        [("self.mask = (x <= 0)", "self.mask = (x >= 0)")]),
    Bug("relu-mask-misses-zero", "Relu", "wrong-cached-value",
        "Relu.forward masks x < 0 instead of x <= 0, so backward passes the gradient where "
        "the input is exactly 0.",
        [("self.mask = (x <= 0)", "self.mask = (x < 0)")]),
    Bug("relu-backward-inverted-mask", "Relu", "wrong-cached-value",
        "Relu.backward zeroes dout where the mask is False (~self.mask), the positive inputs.",
        [("dout[self.mask] = 0", "dout[~self.mask] = 0")]),
    Bug("relu-forward-in-place", "Relu", "state-mutated",
        "Relu.forward sets out = x without a copy, so zeroing the negatives also changes the "
        "caller's array.",
        [("out = x.copy()", "out = x")]),
    Bug("relu-backward-ignores-mask", "Relu", "missing-term",
        "Relu.backward returns dout unchanged, leaving out the mask of the inputs that were "
        "not positive.",
        [("        dout[self.mask] = 0\n        dx = dout", "        dx = dout")]),
]

AFFINE_BUGS = [
    Bug("affine-forward-without-bias", "Affine", "missing-term",
        "Affine.forward returns x @ W and never adds the bias.",
        [("out = np.dot(self.x, self.W) + self.b", "out = np.dot(self.x, self.W)")]),
    Bug("affine-db-over-features", "Affine", "reduction-axis",
        "Affine.backward sums dout over axis 1 (the outputs) for db instead of over the batch.",
        [("self.db = np.sum(dout, axis=0)\n        dx = dx.reshape",
          "self.db = np.sum(dout, axis=1)\n        dx = dx.reshape")]),
    Bug("affine-dW-divided-by-batch", "Affine", "scale",
        "Affine.backward divides dW by the batch size, though the loss's gradient is already "
        "averaged.",
        [("self.dW = np.dot(self.x.T, dout)", "self.dW = np.dot(self.x.T, dout) / dout.shape[0]")]),
    Bug("affine-dx-left-flat", "Affine", "output-size",
        "Affine.backward returns dx as (N, C*H*W) without reshaping it back to the input's "
        "shape.",
        [("        dx = dx.reshape(*self.original_x_shape)\n", "")]),
    Bug("affine-dx-uses-W-untransposed", "Affine", "swapped-arguments",
        "Affine.backward computes dx = dout @ W instead of dout @ W.T (it runs when W is "
        "square).",
        [("dx = np.dot(dout, self.W.T)", "dx = np.dot(dout, self.W)")]),
    Bug("affine-caches-unflattened-input", "Affine", "wrong-cached-value",
        "Affine.forward stores x before flattening it, so backward's x.T @ dout uses the 4-D "
        "input.",
        [("        x = x.reshape(x.shape[0], -1)  # (N, C, H, W) -> (N, C*H*W)\n"
          "        self.x = x\n        out = np.dot(self.x, self.W)",
          "        self.x = x\n"
          "        x = x.reshape(x.shape[0], -1)  # (N, C, H, W) -> (N, C*H*W)\n"
          "        out = np.dot(x, self.W)")]),
    Bug("affine-flattens-channels-last", "Affine", "axis-order",
        "Affine.forward moves the channels last (as in Keras) before flattening a 4-D input, "
        "so the features meet the wrong rows of W.",
        [("        x = x.reshape(x.shape[0], -1)  # (N, C, H, W) -> (N, C*H*W)\n",
          "        if x.ndim == 4:\n            x = x.transpose(0, 2, 3, 1)  # channels last\n"
          "        x = x.reshape(x.shape[0], -1)\n")]),
    Bug("affine-flattens-caller-array", "Affine", "state-mutated",
        "Affine.forward flattens with x.shape = (N, -1), which reshapes the caller's array in "
        "place.",
        [("        x = x.reshape(x.shape[0], -1)  # (N, C, H, W) -> (N, C*H*W)\n",
          "        x.shape = (x.shape[0], -1)  # (N, C, H, W) -> (N, C*H*W)\n")]),
]

SOFTMAX_WITH_LOSS_BUGS = [
    Bug("softmax-without-max-shift", "SoftmaxWithLoss", "numerical-stability",
        "softmax exponentiates the scores without subtracting their maximum, so large scores "
        "overflow to inf and give nan.",
        [("    " + SOFTMAX_SHIFT, "")]),
    Bug("softmax-shift-by-global-max", "SoftmaxWithLoss", "numerical-stability",
        "softmax subtracts np.max(x) over the whole batch, so a row far below the batch's "
        "maximum underflows to 0 / 0.",
        [(SOFTMAX_SHIFT, SOFTMAX_SHIFT.replace("np.max(x, axis=-1, keepdims=True)", "np.max(x)"))]),
    Bug("cross-entropy-one-hot-times-log", "SoftmaxWithLoss", "numerical-stability",
        "cross_entropy_error takes one-hot targets as -sum(t * log y) with no guard, so a "
        "probability that underflows to 0 gives 0 * -inf = nan.",
        [("    # one-hot targets -> class labels\n    if t.size == y.size:\n"
          "        t = t.argmax(axis=1)\n\n    batch_size = y.shape[0]\n",
          "    batch_size = y.shape[0]\n    if t.size == y.size:  # one-hot\n"
          "        return -np.sum(t * np.log(y)) / batch_size\n\n")]),
    Bug("swl-one-hot-gradient-sign", "SoftmaxWithLoss", "sign",
        "SoftmaxWithLoss.backward returns (t - y) / N for one-hot targets instead of "
        "(y - t) / N.",
        [("dx = (self.y - self.t) / batch_size", "dx = (self.t - self.y) / batch_size")]),
    Bug("swl-label-gradient-adds-one", "SoftmaxWithLoss", "sign",
        "SoftmaxWithLoss.backward adds 1 at the target class for label targets instead of "
        "subtracting it.",
        [("dx[np.arange(batch_size), self.t] -= 1", "dx[np.arange(batch_size), self.t] += 1")]),
    Bug("cross-entropy-without-minus", "SoftmaxWithLoss", "sign",
        "cross_entropy_error returns the mean log-probability without the minus sign.",
        [(CE_RETURN, CE_RETURN.replace("return -np.sum", "return np.sum"))]),
    Bug("swl-label-gradient-not-averaged", "SoftmaxWithLoss", "scale",
        "SoftmaxWithLoss.backward forgets to divide the label-target gradient by the batch "
        "size.",
        [("            dx = dx / batch_size\n", "")]),
    Bug("cross-entropy-sum-not-mean", "SoftmaxWithLoss", "scale",
        "cross_entropy_error returns the summed loss of the batch instead of its mean.",
        [(CE_RETURN, CE_RETURN.replace(") / batch_size", ")"))]),
    Bug("softmax-normalised-over-batch", "SoftmaxWithLoss", "reduction-axis",
        "softmax divides by the sum over axis 0 (the batch) instead of over the classes.",
        [("return e / np.sum(e, axis=-1, keepdims=True)",
          "return e / np.sum(e, axis=0, keepdims=True)")]),
    Bug("softmax-shift-per-class", "SoftmaxWithLoss", "reduction-axis",
        "softmax subtracts the maximum over axis 0, one shift per class, which changes the "
        "probabilities.",
        [(SOFTMAX_SHIFT, SOFTMAX_SHIFT.replace("axis=-1", "axis=0"))]),
    Bug("swl-gradient-from-scores", "SoftmaxWithLoss", "wrong-cached-value",
        "SoftmaxWithLoss keeps the scores x and backward subtracts the targets from them "
        "instead of from the softmax output y.",
        [("        self.y = softmax(x)\n", "        self.x = x\n        self.y = softmax(x)\n"),
         ("dx = (self.y - self.t) / batch_size", "dx = (self.x - self.t) / batch_size"),
         ("dx = self.y.copy()", "dx = self.x.copy()")]),
    Bug("swl-backward-changes-y", "SoftmaxWithLoss", "state-mutated",
        "SoftmaxWithLoss.backward sets dx = self.y without a copy and subtracts 1 from it, "
        "changing the stored softmax output.",
        [("dx = self.y.copy()", "dx = self.y")]),
    Bug("softmax-shifts-caller-array", "SoftmaxWithLoss", "state-mutated",
        "softmax subtracts the row maximum with -=, changing the caller's score array.",
        [(SOFTMAX_SHIFT, SOFTMAX_SHIFT.replace("x = x - np.max", "x -= np.max"))]),
    Bug("swl-label-gradient-misses-target", "SoftmaxWithLoss", "missing-term",
        "SoftmaxWithLoss.backward for label targets returns y / N, leaving out the -1 at the "
        "target class.",
        [("            dx[np.arange(batch_size), self.t] -= 1\n", "")]),
    Bug("cross-entropy-loop-overwrites", "SoftmaxWithLoss", "overwrite",
        "cross_entropy_error loops over the samples with loss = instead of loss +=, so only "
        "the last sample counts.",
        [(CE_RETURN,
          "    loss = 0.0\n    for i in range(batch_size):\n"
          "        loss = -np.log(y[i, t[i]] + 1e-7)\n    return loss / batch_size")]),
]

SIMPLE_CONV_NET_BUGS = [
    Bug("net-drops-hidden-relu", "SimpleConvNet", "missing-term",
        "SimpleConvNet leaves out the Relu between the two affine layers.",
        [("        self.layers['Relu2'] = Relu()\n", "")]),
    Bug("net-pooled-size-uses-height-twice", "SimpleConvNet", "output-size",
        "SimpleConvNet sizes W2 with (conv_h // 2) * (conv_h // 2), the height twice.",
        [("(conv_h // 2) * (conv_w // 2)", "(conv_h // 2) * (conv_h // 2)")]),
    Bug("net-conv-size-counts-pad-once", "SimpleConvNet", "output-size",
        "SimpleConvNet computes the convolution's output size with the padding added once.",
        [("(input_h - filter_size + 2 * filter_pad)", "(input_h - filter_size + filter_pad)"),
         ("(input_w - filter_size + 2 * filter_pad)", "(input_w - filter_size + filter_pad)")]),
    Bug("net-conv-size-ignores-stride", "SimpleConvNet", "output-size",
        "SimpleConvNet computes the convolution's output size without dividing by the "
        "stride.",
        [("conv_h = (input_h - filter_size + 2 * filter_pad) // filter_stride + 1",
          "conv_h = input_h - filter_size + 2 * filter_pad + 1"),
         ("conv_w = (input_w - filter_size + 2 * filter_pad) // filter_stride + 1",
          "conv_w = input_w - filter_size + 2 * filter_pad + 1")]),
    Bug("net-affine-holds-copies", "SimpleConvNet", "stale-forward",
        "SimpleConvNet gives the hidden Affine layer copies of W2 and b2, so updates through "
        "params never reach it and it keeps computing with the old weights.",
        [("Affine(self.params['W2'], self.params['b2'])",
          "Affine(self.params['W2'].copy(), self.params['b2'].copy())")]),
    Bug("net-gradient-skips-forward", "SimpleConvNet", "stale-forward",
        "SimpleConvNet.gradient starts backward without a forward pass, reusing the "
        "activations of whatever batch was seen last.",
        [("        # forward\n        self.loss(x, t)\n\n", "")]),
    Bug("net-conv-stride-pad-swapped", "SimpleConvNet", "swapped-arguments",
        "SimpleConvNet builds the Convolution with (pad, stride) in place of (stride, pad).",
        [("filter_stride, filter_pad)", "filter_pad, filter_stride)")]),
    Bug("net-affine-grads-swapped", "SimpleConvNet", "swapped-arguments",
        "SimpleConvNet.gradient reads W2/b2 from Affine2 and W3/b3 from Affine1.",
        [(NET_AFFINE_GRADS,
          NET_AFFINE_GRADS.replace("Affine1", "AffineX").replace("Affine2", "Affine1")
          .replace("AffineX", "Affine2"))]),
    Bug("net-W1-channels-filters-swapped", "SimpleConvNet", "swapped-arguments",
        "SimpleConvNet draws W1 with shape (channels, filter_num, FH, FW) instead of "
        "(filter_num, channels, FH, FW).",
        [("np.random.randn(filter_num, channels, filter_size, filter_size)",
          "np.random.randn(channels, filter_num, filter_size, filter_size)")]),
    Bug("net-b3-gradient-from-affine1", "SimpleConvNet", "wrong-cached-value",
        "SimpleConvNet.gradient reads b3's gradient from Affine1 (a copy-paste slip) instead "
        "of Affine2.",
        [("self.layers['Affine2'].dW, self.layers['Affine2'].db",
          "self.layers['Affine2'].dW, self.layers['Affine1'].db")]),
    Bug("net-accuracy-overwrites-count", "SimpleConvNet", "overwrite",
        "SimpleConvNet.accuracy sets correct = instead of correct += per batch, so only the "
        "last batch counts.",
        [("correct += np.sum(y == tt)", "correct = np.sum(y == tt)")]),
    Bug("net-accuracy-divides-by-batch-size", "SimpleConvNet", "scale",
        "SimpleConvNet.accuracy divides the number correct by batch_size instead of the "
        "number of samples.",
        [("return correct / x.shape[0]", "return correct / batch_size")]),
    Bug("net-W2-without-init-std", "SimpleConvNet", "scale",
        "SimpleConvNet draws W2 from a standard normal and forgets to scale it by "
        "weight_init_std.",
        [("self.params['W2'] = weight_init_std * np.random.randn(",
          "self.params['W2'] = np.random.randn(")]),
    Bug("net-pools-with-stride-one", "SimpleConvNet", "stride",
        "SimpleConvNet builds its 2x2 pooling with stride 1, so the pooled map is not the "
        "size W2 was made for.",
        [("Pooling(pool_h=2, pool_w=2, stride=2)", "Pooling(pool_h=2, pool_w=2, stride=1)")]),
    Bug("net-input-dim-channels-last", "SimpleConvNet", "axis-order",
        "SimpleConvNet unpacks input_dim as (height, width, channels) instead of "
        "(channels, height, width).",
        [("channels, input_h, input_w = input_dim", "input_h, input_w, channels = input_dim")]),
]

BUGS = (IM2COL_BUGS + COL2IM_BUGS + CONVOLUTION_BUGS + POOLING_BUGS + RELU_BUGS + AFFINE_BUGS
        + SOFTMAX_WITH_LOSS_BUGS + SIMPLE_CONV_NET_BUGS)
