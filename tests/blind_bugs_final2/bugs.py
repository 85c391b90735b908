"""A second final holdout of single-bug chapter 7 submissions, written blind (see README.md).

Each Bug is the correct example `conformance/examples/submission/cnn.py` with one mistake, given
as exact text replacements applied in order. It was measured untouched, then used to tune the
diagnosis (README.md). The format and its machinery are the first holdout's, imported.
"""

from tests.blind_bugs_holdout import bugs as holdout

# the format and its machinery, defined once for every set
Bug, ReplacementError, apply, example_source = (
    holdout.Bug, holdout.ReplacementError, holdout.apply, holdout.example_source)
EXAMPLE, COMPONENTS, BUG_CLASSES = holdout.EXAMPLE, holdout.COMPONENTS, holdout.BUG_CLASSES

# Texts of the example that several rows replace. im2col and col2im share their size lines and
# the shape of their loop, so each anchor carries a line that only its own function has.
IM2COL_SIZES = """\
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
"""
COL2IM_SIZES = """\
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
"""
IM2COL_LOOP = """\
    for fy in range(filter_h):
        fy_end = fy + stride * out_h
        for fx in range(filter_w):
            fx_end = fx + stride * out_w
            col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end:stride, fx:fx_end:stride]
"""
COL2IM_LOOP = """\
    for fy in range(filter_h):
        fy_end = fy + stride * out_h
        for fx in range(filter_w):
            fx_end = fx + stride * out_w
            img[:, :, fy:fy_end:stride, fx:fx_end:stride] += col[:, :, fy, fx, :, :]
"""
CONV_SIZES = """\
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
"""
CONV_COL2IM = "dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)"
POOL_PAD = """\
        x_padded = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], "constant",
                          constant_values=-np.inf)

        col = im2col(x_padded, self.pool_h, self.pool_w, self.stride, 0)
"""
RELU_FORWARD = """\
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
"""
RELU_BACKWARD = """\
        dout[self.mask] = 0
        dx = dout
"""
AFFINE_BACKWARD = """\
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        dx = dx.reshape(*self.original_x_shape)
"""
SOFTMAX_BODY = """\
    x = x - np.max(x, axis=-1, keepdims=True)  # shift so that exp cannot overflow
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)
"""
CEE_RETURN = "return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size"
SWL_LABEL_BRANCH = """\
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
"""
NET_CONV_SIZES = """\
        conv_h = (input_h - filter_size + 2 * filter_pad) // filter_stride + 1
        conv_w = (input_w - filter_size + 2 * filter_pad) // filter_stride + 1
"""
NET_POOL_SIZE = "pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)"


def _im2col(name, bug_class, description, *replace):
    return Bug(name, "im2col", bug_class, description, list(replace))


BUGS = [
    # ------------------------------------------------------------------------------------------
    # im2col
    _im2col(
        "im2col-buffer-out-h-twice", "output-size",
        "The window buffer is allocated as (N, C, filter_h, filter_w, out_h, out_h), with "
        "out_h for both output sizes.",
        ("col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))",
         "col = np.zeros((N, C, filter_h, filter_w, out_h, out_h))"),
    ),
    _im2col(
        "im2col-columns-channel-last", "axis-order",
        "The window axes are transposed to (0, 4, 5, 2, 3, 1), so each row runs over "
        "(filter_y, filter_x, c) instead of (c, filter_y, filter_x).",
        ("col.transpose(0, 4, 5, 1, 2, 3)", "col.transpose(0, 4, 5, 2, 3, 1)"),
    ),
    _im2col(
        "im2col-reshape-windows-as-columns", "axis-order",
        "The result is reshaped to (-1, N * out_h * out_w), one column per window, without "
        "the transpose that would make it the book's layout.",
        (".reshape(N * out_h * out_w, -1)\n    return col",
         ".reshape(-1, N * out_h * out_w)\n    return col"),
    ),
    _im2col(
        "im2col-loop-windows-start-at-y", "stride",
        "im2col is rewritten as a loop over output positions whose windows start at (y, x) "
        "instead of (y * stride, x * stride).",
        ("col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))",
         "col = np.zeros((N, out_h, out_w, C, filter_h, filter_w))"),
        ("    # one strided slice per filter offset (fy, fx): every window's pixel at that offset\n"
         + IM2COL_LOOP,
         "    for y in range(out_h):\n"
         "        for x in range(out_w):\n"
         "            col[:, y, x] = img[:, :, y:y + filter_h, x:x + filter_w]\n"),
        ("col = col.transpose(0, 4, 5, 1, 2, 3).reshape(", "col = col.reshape("),
    ),
    _im2col(
        "im2col-size-helper-pads-once", "output-size",
        "A helper computes the output size as (size + pad - filter) // stride + 1, counting "
        "the padding on one side only, and im2col uses it.",
        ("def im2col(",
         "def output_size(size, filter_size, stride, pad):\n"
         "    return (size + pad - filter_size) // stride + 1\n\n\n"
         "def im2col("),
        (IM2COL_SIZES,
         "    N, C, H, W = input_data.shape\n"
         "    out_h = output_size(H, filter_h, stride, pad)\n"
         "    out_w = output_size(W, filter_w, stride, pad)\n"),
    ),
    _im2col(
        "im2col-pads-channels-and-rows", "padding",
        "np.pad is given the channels-last pad widths [(0, 0), (pad, pad), (pad, pad), "
        "(0, 0)], so it pads the channels and the rows instead of the rows and the columns.",
        ("[(0, 0), (0, 0), (pad, pad), (pad, pad)]", "[(0, 0), (pad, pad), (pad, pad), (0, 0)]"),
    ),
    _im2col(
        "im2col-slice-ends-without-stride", "stride",
        "The filter offsets' slice ends are fy + out_h and fx + out_w, without the stride.",
        (IM2COL_LOOP, IM2COL_LOOP.replace("+ stride * out", "+ out")),
    ),
    # ------------------------------------------------------------------------------------------
    # col2im
    Bug(
        "col2im-loop-assigns-windows", "col2im", "overwrite",
        "col2im is rewritten as a loop over output positions that assigns each window with = "
        "instead of adding it, so overlapping windows overwrite each other.",
        [(".transpose(0, 3, 4, 5, 1, 2)", ""),
         (COL2IM_LOOP,
          "    for y in range(out_h):\n"
          "        for x in range(out_w):\n"
          "            ys, xs = y * stride, x * stride\n"
          "            img[:, :, ys:ys + filter_h, xs:xs + filter_w] = col[:, y, x]\n")],
    ),
    Bug(
        "col2im-transpose-out-w-before-out-h", "col2im", "axis-order",
        "The reshaped columns are transposed with (0, 3, 4, 5, 2, 1), putting out_w before "
        "out_h.",
        [("transpose(0, 3, 4, 5, 1, 2)", "transpose(0, 3, 4, 5, 2, 1)")],
    ),
    Bug(
        "col2im-buffer-of-input-shape", "col2im", "padding",
        "The image buffer is np.zeros(input_shape), without room for the padding, and the "
        "padding is still cropped off at the end.",
        [("img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))",
          "img = np.zeros(input_shape)")],
    ),
    Bug(
        "col2im-crop-leading-pad-only", "col2im", "padding",
        "The result is cropped as img[:, :, pad:, pad:], keeping the trailing padding and "
        "the buffer's margin.",
        [("return img[:, :, pad:H + pad, pad:W + pad]", "return img[:, :, pad:, pad:]")],
    ),
    Bug(
        "col2im-width-from-filter-h", "col2im", "output-size",
        "out_w is computed with filter_h instead of filter_w.",
        [(COL2IM_SIZES, COL2IM_SIZES.replace("W + 2 * pad - filter_w", "W + 2 * pad - filter_h"))],
    ),
    Bug(
        "col2im-columns-read-channel-last", "col2im", "axis-order",
        "The columns are reshaped to (N, out_h, out_w, filter_h, filter_w, C), reading each "
        "row as channels-last, and transposed to match.",
        [("col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)",
          "col.reshape(N, out_h, out_w, filter_h, filter_w, C).transpose(0, 5, 3, 4, 1, 2)")],
    ),
    Bug(
        "col2im-sizes-true-division", "col2im", "integer-dtype",
        "col2im's output sizes are computed with / instead of //, so they are floats.",
        [(COL2IM_SIZES, COL2IM_SIZES.replace(") // stride", ") / stride"))],
    ),
    # ------------------------------------------------------------------------------------------
    # Convolution
    Bug(
        "conv-sizes-true-division", "Convolution", "integer-dtype",
        "Convolution.forward computes out_h and out_w with / instead of //.",
        [(CONV_SIZES, CONV_SIZES.replace(") // self.stride", ") / self.stride"))],
    ),
    Bug(
        "conv-width-from-FH", "Convolution", "output-size",
        "Convolution.forward computes out_w with FH instead of FW.",
        [(CONV_SIZES, CONV_SIZES.replace("W + 2 * self.pad - FW", "W + 2 * self.pad - FH"))],
    ),
    Bug(
        "conv-sizes-without-stride", "Convolution", "stride",
        "Convolution.forward computes out_h and out_w without dividing by the stride.",
        [(CONV_SIZES, CONV_SIZES.replace(") // self.stride + 1", ") + 1"))],
    ),
    Bug(
        "conv-dcol-without-transpose", "Convolution", "axis-order",
        "backward computes dcol as np.dot(dout, self.col_W), leaving out the transpose.",
        [("dcol = np.dot(dout, self.col_W.T)", "dcol = np.dot(dout, self.col_W)")],
    ),
    Bug(
        "conv-db-before-reshape", "Convolution", "reduction-axis",
        "db is summed over axis 0 of the 4-D dout, before dout is transposed and flattened.",
        [("        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n\n"
          "        self.db = np.sum(dout, axis=0)\n",
          "        self.db = np.sum(dout, axis=0)\n"
          "        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n\n")],
    ),
    Bug(
        "conv-caches-W-as-col-W", "Convolution", "wrong-cached-value",
        "forward caches self.col_W = self.W, the 4-D filters, instead of the flattened col_W.",
        [("self.col_W = col_W", "self.col_W = self.W")],
    ),
    Bug(
        "conv-im2col-without-pad", "Convolution", "padding",
        "forward calls im2col(x, FH, FW, self.stride) without the padding.",
        [("im2col(x, FH, FW, self.stride, self.pad)", "im2col(x, FH, FW, self.stride)")],
    ),
    Bug(
        "conv-pads-by-hand-caches-padded-x", "Convolution", "padding",
        "forward pads x by hand and calls im2col without pad, keeping the padded x for "
        "backward, which gives its shape to col2im together with the pad.",
        [("        col = im2col(x, FH, FW, self.stride, self.pad)\n",
          "        p = self.pad\n"
          "        x = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], \"constant\")\n"
          "        col = im2col(x, FH, FW, self.stride)\n")],
    ),
    Bug(
        "conv-W-flattened-in-place", "Convolution", "state-mutated",
        "forward flattens the filters with self.W = self.W.reshape(FN, -1), replacing the "
        "layer's 4-D weights.",
        [("col_W = self.W.reshape(FN, -1).T",
          "self.W = self.W.reshape(FN, -1)\n        col_W = self.W.T")],
    ),
    Bug(
        "conv-col2im-FW-FH", "Convolution", "swapped-arguments",
        "backward passes the filter sizes to col2im as FW, FH.",
        [(CONV_COL2IM, CONV_COL2IM.replace("FH, FW", "FW, FH"))],
    ),
    # ------------------------------------------------------------------------------------------
    # Pooling
    Bug(
        "pool-output-transposed-to-width-height", "Pooling", "axis-order",
        "The pooled output is transposed with (0, 3, 2, 1), giving (N, C, out_w, out_h).",
        [("out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)",
          "out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 2, 1)")],
    ),
    Bug(
        "pool-backward-col2im-pool-w-h", "Pooling", "swapped-arguments",
        "backward passes the window sizes to col2im as pool_w, pool_h.",
        [("col2im(dcol, self.padded_shape, self.pool_h, self.pool_w,",
          "col2im(dcol, self.padded_shape, self.pool_w, self.pool_h,")],
    ),
    Bug(
        "pool-crop-ends-at-H", "Pooling", "padding",
        "backward crops the padding as dx_padded[:, :, p:H, p:W], ending p pixels early.",
        [("return dx_padded[:, :, p:p + H, p:p + W]", "return dx_padded[:, :, p:H, p:W]")],
    ),
    Bug(
        "pool-padded-input-named-x", "Pooling", "overwrite",
        "forward stores the padded input back into x, so the shape cached as the input's is "
        "the padded one.",
        [(POOL_PAD, POOL_PAD.replace("x_padded =", "x =").replace("im2col(x_padded", "im2col(x")),
         ("self.padded_shape = x_padded.shape", "self.padded_shape = x.shape")],
    ),
    Bug(
        "pool-backward-loop-untransposed-dout", "Pooling", "axis-order",
        "backward is rewritten as a loop over windows that takes the gradients from "
        "dout.flatten() in (N, C, H, W) order, while the windows run over (N, H, W, C).",
        [("        dout = dout.transpose(0, 2, 3, 1)\n\n", ""),
         ("        dmax = np.zeros((dout.size, pool_size))\n"
          "        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()\n"
          "        dmax = dmax.reshape(dout.shape + (pool_size,))\n",
          "        grads = dout.flatten()\n"
          "        dcol = np.zeros((grads.size, pool_size))\n"
          "        for i in range(grads.size):  # the window's maximum gets its gradient\n"
          "            dcol[i, self.arg_max[i]] = grads[i]\n"),
         ("\n        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)\n",
          "")],
    ),
    Bug(
        "pool-width-true-division", "Pooling", "integer-dtype",
        "forward computes out_w with / instead of //.",
        [("out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1",
          "out_w = (W + 2 * self.pad - self.pool_w) / self.stride + 1")],
    ),
    Bug(
        "pool-max-gathered-with-cached-argmax", "Pooling", "stale-forward",
        "forward gathers the maxima with self.arg_max, the previous call's indices, before "
        "storing this call's.",
        [("out = np.max(col, axis=1)", "out = col[np.arange(col.shape[0]), self.arg_max]")],
    ),
    # ------------------------------------------------------------------------------------------
    # Relu
    Bug(
        "relu-zeroes-input-in-place", "Relu", "state-mutated",
        "forward sets the negative entries of x itself to zero and returns x.",
        [(RELU_FORWARD + "        return out\n",
          "        self.mask = (x <= 0)\n        x[self.mask] = 0\n        return x\n")],
    ),
    Bug(
        "relu-backward-times-mask", "Relu", "sign",
        "backward returns dout * self.mask, passing the gradient where x <= 0 instead of "
        "where x > 0.",
        [(RELU_BACKWARD, "        dx = dout * self.mask\n")],
    ),
    Bug(
        "relu-backward-compares-mask", "Relu", "missing-term",
        "backward writes dx[self.mask] == 0, a comparison, so the mask is never applied.",
        [(RELU_BACKWARD, "        dx = dout.copy()\n        dx[self.mask] == 0\n")],
    ),
    Bug(
        "relu-leaky-slope", "Relu", "scale",
        "forward multiplies the negative entries by 0.01 instead of setting them to zero.",
        [(RELU_FORWARD, RELU_FORWARD.replace("out[self.mask] = 0", "out[self.mask] *= 0.01"))],
    ),
    Bug(
        "relu-mask-from-output-below-zero", "Relu", "wrong-cached-value",
        "forward computes out = np.maximum(0, x) and caches out < 0 as the mask, which is "
        "never true.",
        [(RELU_FORWARD, "        out = np.maximum(0, x)\n        self.mask = (out < 0)\n")],
    ),
    Bug(
        "relu-positive-mask-book-backward", "Relu", "sign",
        "forward caches the mask x > 0 and returns x * mask, but backward still zeroes dout "
        "where the mask is true.",
        [(RELU_FORWARD, "        self.mask = (x > 0)\n        out = x * self.mask\n")],
    ),
    # ------------------------------------------------------------------------------------------
    # Affine
    Bug(
        "affine-flatten-batch-last", "Affine", "axis-order",
        "forward flattens the input with x.reshape(-1, x.shape[0]).",
        [("x = x.reshape(x.shape[0], -1)", "x = x.reshape(-1, x.shape[0])")],
    ),
    Bug(
        "affine-dout-reused-for-dx", "Affine", "overwrite",
        "backward stores the input gradient in dout, so dW and db are computed from it.",
        [(AFFINE_BACKWARD, AFFINE_BACKWARD.replace("dx = np.dot", "dout = np.dot")
          .replace("dx = dx.reshape", "dx = dout.reshape"))],
    ),
    Bug(
        "affine-db-over-last-axis", "Affine", "reduction-axis",
        "db sums dout over axis -1, per sample, instead of over the batch.",
        [(AFFINE_BACKWARD, AFFINE_BACKWARD.replace("np.sum(dout, axis=0)",
                                                   "np.sum(dout, axis=-1)"))],
    ),
    Bug(
        "affine-dW-transposed", "Affine", "axis-order",
        "dW is computed as np.dot(self.x.T, dout).T, the transpose of W's shape.",
        [(AFFINE_BACKWARD, AFFINE_BACKWARD.replace("np.dot(self.x.T, dout)",
                                                   "np.dot(self.x.T, dout).T"))],
    ),
    Bug(
        "affine-dW-loop-assigns", "Affine", "overwrite",
        "dW is computed in a loop over samples that assigns each sample's outer product with "
        "= instead of adding it, so only the last sample's remains.",
        [(AFFINE_BACKWARD, AFFINE_BACKWARD.replace(
            "        self.dW = np.dot(self.x.T, dout)\n",
            "        self.dW = np.zeros_like(self.W)\n"
            "        for i in range(dout.shape[0]):  # one sample at a time\n"
            "            self.dW = np.outer(self.x[i], dout[i])\n"))],
    ),
    Bug(
        "affine-W-dot-x", "Affine", "swapped-arguments",
        "forward computes np.dot(self.W, self.x) instead of np.dot(self.x, self.W).",
        [("out = np.dot(self.x, self.W) + self.b", "out = np.dot(self.W, self.x) + self.b")],
    ),
    Bug(
        "affine-uses-input-before-caching", "Affine", "stale-forward",
        "forward computes the output from self.x before storing the new input there.",
        [("        self.x = x\n        out = np.dot(self.x, self.W) + self.b\n",
          "        out = np.dot(self.x, self.W) + self.b\n        self.x = x\n")],
    ),
    # ------------------------------------------------------------------------------------------
    # SoftmaxWithLoss (and its helpers softmax and cross_entropy_error)
    Bug(
        "swl-one-sample-softmax", "SoftmaxWithLoss", "reduction-axis",
        "softmax is the chapter 3 version for one sample: it shifts by the batch's maximum "
        "and divides by the sum over the whole batch.",
        [(SOFTMAX_BODY,
          "    c = np.max(x)  # shift so that exp cannot overflow\n"
          "    e = np.exp(x - c)\n"
          "    return e / np.sum(e)\n")],
    ),
    Bug(
        "swl-softmax-one-line-unshifted", "SoftmaxWithLoss", "numerical-stability",
        "softmax is written as one line, np.exp(x) / np.sum(np.exp(x), ...), without the "
        "shift by the maximum.",
        [(SOFTMAX_BODY, "    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)\n")],
    ),
    Bug(
        "swl-softmax-exp-before-shift", "SoftmaxWithLoss", "numerical-stability",
        "softmax takes exp of the scores before the line that shifts them by the maximum.",
        [(SOFTMAX_BODY,
          "    e = np.exp(x)\n"
          "    x = x - np.max(x, axis=-1, keepdims=True)  # shift so that exp cannot overflow\n"
          "    return e / np.sum(e, axis=-1, keepdims=True)\n")],
    ),
    Bug(
        "swl-softmax-denominator-unshifted", "SoftmaxWithLoss", "numerical-stability",
        "softmax shifts the scores in the numerator but sums exp of the unshifted scores in "
        "the denominator.",
        [(SOFTMAX_BODY,
          "    c = np.max(x, axis=-1, keepdims=True)  # shift so that exp cannot overflow\n"
          "    e = np.exp(x - c)\n"
          "    return e / np.sum(np.exp(x), axis=-1, keepdims=True)\n")],
    ),
    Bug(
        "swl-batch-size-from-classes", "SoftmaxWithLoss", "axis-order",
        "cross_entropy_error reads the batch size from y.shape[1], the number of classes.",
        [("batch_size = y.shape[0]", "batch_size = y.shape[1]")],
    ),
    Bug(
        "swl-loss-without-row-index", "SoftmaxWithLoss", "missing-term",
        "cross_entropy_error picks the targets' probabilities with y[:, t], without the row "
        "index, so every row's entries at every target are summed.",
        [(CEE_RETURN, CEE_RETURN.replace("y[np.arange(batch_size), t]", "y[:, t]"))],
    ),
    Bug(
        "swl-backward-one-hot-formula-only", "SoftmaxWithLoss", "missing-term",
        "backward always computes (y - t) / batch_size, without the branch for label targets.",
        [("        if self.t.size == self.y.size:  # one-hot\n"
          "            dx = (self.y - self.t) / batch_size\n",
          "        dx = (self.y - self.t) / batch_size\n"),
         (SWL_LABEL_BRANCH, "")],
    ),
    Bug(
        "swl-softmax-exp-of-minus-x", "SoftmaxWithLoss", "sign",
        "softmax takes np.exp(-x), as in the sigmoid, so the lowest score gets the highest "
        "probability.",
        [(SOFTMAX_BODY, SOFTMAX_BODY.replace("e = np.exp(x)", "e = np.exp(-x)"))],
    ),
    Bug(
        "swl-softmax-shifts-scores-in-place", "SoftmaxWithLoss", "state-mutated",
        "softmax shifts the scores with x -= ..., changing the caller's array.",
        [("x = x - np.max(x, axis=-1, keepdims=True)", "x -= np.max(x, axis=1, keepdims=True)")],
    ),
    Bug(
        "swl-loss-floor-division", "SoftmaxWithLoss", "integer-dtype",
        "cross_entropy_error divides the summed loss by the batch size with //.",
        [(CEE_RETURN, CEE_RETURN.replace(") / batch_size", ") // batch_size"))],
    ),
    Bug(
        "swl-batch-division-dedented", "SoftmaxWithLoss", "scale",
        "The label branch's dx = dx / batch_size is dedented out of the else, so one-hot "
        "gradients are divided by the batch size twice.",
        [("            dx = dx / batch_size\n", "        dx = dx / batch_size\n")],
    ),
    # ------------------------------------------------------------------------------------------
    # SimpleConvNet
    Bug(
        "net-W2-sized-without-pooling", "SimpleConvNet", "output-size",
        "W2's input size is filter_num * conv_h * conv_w, forgetting that pooling halves "
        "the convolution's output.",
        [(NET_POOL_SIZE, "pool_output_size = filter_num * conv_h * conv_w")],
    ),
    Bug(
        "net-Affine2-given-b2", "SimpleConvNet", "wrong-cached-value",
        "The second Affine layer is built with b2 instead of b3.",
        [("Affine(self.params['W3'], self.params['b3'])",
          "Affine(self.params['W3'], self.params['b2'])")],
    ),
    Bug(
        "net-backward-not-reversed", "SimpleConvNet", "missing-term",
        "gradient leaves out layers.reverse(), so backward runs through the layers in "
        "forward order.",
        [("        layers.reverse()\n", "")],
    ),
    Bug(
        "net-conv-stride-left-out", "SimpleConvNet", "swapped-arguments",
        "The convolution is built with (W1, b1, filter_pad), so the pad is passed as the "
        "stride and the pad is left at 0.",
        [("self.params['b1'],\n                                           filter_stride, "
          "filter_pad)",
          "self.params['b1'],\n                                           filter_pad)")],
    ),
    Bug(
        "net-forward-after-backward", "SimpleConvNet", "stale-forward",
        "gradient runs backward first and calls self.loss(x, t) only after it, so backward "
        "uses the previous forward's caches.",
        [("        # forward\n        self.loss(x, t)\n\n", ""),
         ("            dout = layer.backward(dout)\n",
          "            dout = layer.backward(dout)\n        self.loss(x, t)\n")],
    ),
    Bug(
        "net-W3-assigned-to-W2", "SimpleConvNet", "overwrite",
        "The third weight matrix is assigned to params['W2'], a copy-paste slip that "
        "replaces W2 and leaves W3 out.",
        [("self.params['W3'] = weight_init_std", "self.params['W2'] = weight_init_std")],
    ),
    Bug(
        "net-accuracy-argmax-without-axis", "SimpleConvNet", "reduction-axis",
        "accuracy takes np.argmax(y) without the axis, one index over the whole batch.",
        [("y = np.argmax(y, axis=1)", "y = np.argmax(y)")],
    ),
    Bug(
        "net-pool-size-true-division", "SimpleConvNet", "integer-dtype",
        "W2's input size is computed with conv_h / 2 and conv_w / 2, a float.",
        [(NET_POOL_SIZE, NET_POOL_SIZE.replace(" // 2", " / 2"))],
    ),
    Bug(
        "net-size-helper-without-pad", "SimpleConvNet", "padding",
        "A helper conv_output_size(size, filter_size, stride=1, pad=0) computes the "
        "convolution's size, and the network calls it without the pad.",
        [("class SimpleConvNet:",
          "def conv_output_size(size, filter_size, stride=1, pad=0):\n"
          "    return (size + 2 * pad - filter_size) // stride + 1\n\n\n"
          "class SimpleConvNet:"),
         (NET_CONV_SIZES,
          "        conv_h = conv_output_size(input_h, filter_size, filter_stride)\n"
          "        conv_w = conv_output_size(input_w, filter_size, filter_stride)\n")],
    ),
    Bug(
        "net-conv-size-without-stride", "SimpleConvNet", "stride",
        "The network computes the convolution's size without dividing by the stride.",
        [(NET_CONV_SIZES, NET_CONV_SIZES.replace(") // filter_stride + 1", ") + 1"))],
    ),
    Bug(
        "net-weights-scaled-after-layers", "SimpleConvNet", "stale-forward",
        "The weights are scaled by weight_init_std with new arrays after the layers are "
        "built, so the layers keep the unscaled arrays that params no longer holds.",
        [("self.params['W1'] = weight_init_std * \\\n            np.random.randn(",
          "self.params['W1'] = np.random.randn("),
         ("self.params['W2'] = weight_init_std * np.random",
          "self.params['W2'] = np.random"),
         ("self.params['W3'] = weight_init_std * np.random",
          "self.params['W3'] = np.random"),
         ("        self.last_layer = SoftmaxWithLoss()\n",
          "        self.last_layer = SoftmaxWithLoss()\n\n"
          "        for key in ('W1', 'W2', 'W3'):  # scale the initial weights\n"
          "            self.params[key] = weight_init_std * self.params[key]\n")],
    ),
    Bug(
        "net-loss-divided-by-batch", "SimpleConvNet", "scale",
        "loss divides the softmax layer's loss, already a mean, by the batch size again.",
        [("return self.last_layer.forward(y, t)", "return self.last_layer.forward(y, t) / len(x)")],
    ),
]
