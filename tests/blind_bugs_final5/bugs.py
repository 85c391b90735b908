"""The fifth set of single-bug chapter 7 submissions written blind as a holdout: measured once
untouched, then a tuning set of the diagnosis (README.md has the figures and how it was made).

Each Bug is the correct example `conformance/examples/submission/cnn.py` with one mistake, given
as exact text replacements applied in order. The format and its machinery are the first
holdout's (tests/blind_bugs_holdout/bugs.py), imported; `BUGS` is this set's own.
"""

from tests.blind_bugs_holdout.bugs import (  # noqa: F401 (the format's machinery, re-exported)
    BUG_CLASSES,
    COMPONENTS,
    EXAMPLE,
    Bug,
    ReplacementError,
    apply,
    example_source,
)

# Texts that occur more than once in the example, with enough context to be unique.
IM2COL_SIZES = ("    out_h = (H + 2 * pad - filter_h) // stride + 1\n"
                "    out_w = (W + 2 * pad - filter_w) // stride + 1\n\n    img = np.pad(")
COL2IM_SIZES = ("    out_h = (H + 2 * pad - filter_h) // stride + 1\n"
                "    out_w = (W + 2 * pad - filter_w) // stride + 1\n    col = col.reshape(")
IM2COL_ROWS = ("    for fy in range(filter_h):\n"
               "        fy_end = fy + stride * out_h\n"
               "        for fx in range(filter_w):\n"
               "            fx_end = fx + stride * out_w\n"
               "            col[")
COL2IM_ROWS = ("    for fy in range(filter_h):\n"
               "        fy_end = fy + stride * out_h\n"
               "        for fx in range(filter_w):\n"
               "            fx_end = fx + stride * out_w\n"
               "            img[")
COL2IM_BUFFER = "    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))\n"
CONV_SIZES = ("        out_h = (H + 2 * self.pad - FH) // self.stride + 1\n"
              "        out_w = (W + 2 * self.pad - FW) // self.stride + 1\n")
POOL_SIZES = ("        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1\n"
              "        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1\n")
CONV_DB = "        self.db = np.sum(dout, axis=0)\n        self.dW = np.dot(self.col.T, dout)\n"
AFFINE_DB = ("        self.db = np.sum(dout, axis=0)\n"
             "        dx = dx.reshape(*self.original_x_shape)\n")
RELU_FORWARD = "        out = x.copy()\n        out[self.mask] = 0\n        return out\n"
NET_BACKWARD = ("        # backward\n"
                "        dout = 1\n"
                "        dout = self.last_layer.backward(dout)\n\n"
                "        layers = list(self.layers.values())\n"
                "        layers.reverse()\n"
                "        for layer in layers:\n"
                "            dout = layer.backward(dout)\n\n")
NET_GRADS = ("        grads = {}\n"
             "        grads['W1'], grads['b1'] = self.layers['Conv1'].dW, self.layers['Conv1'].db\n"
             "        grads['W2'], grads['b2'] = self.layers['Affine1'].dW,"
             " self.layers['Affine1'].db\n"
             "        grads['W3'], grads['b3'] = self.layers['Affine2'].dW,"
             " self.layers['Affine2'].db\n")


BUGS = [
    # ---------------------------------------------------------------------------------- im2col
    Bug("im2col-pad-two-pairs", "im2col", "padding",
        "np.pad is given only the two (pad, pad) pairs of the image axes, not one per axis.",
        [('img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")',
          'img = np.pad(input_data, [(pad, pad), (pad, pad)], "constant")')]),
    Bug("im2col-slice-end-one-past", "im2col", "output-size",
        "The row slice ends one pixel further, `fy + stride * out_h + 1`.",
        [(IM2COL_ROWS, IM2COL_ROWS.replace("fy + stride * out_h", "fy + stride * out_h + 1"))]),
    Bug("im2col-filter-rows-by-stride", "im2col", "stride",
        "The filter rows are walked with the stride, `range(0, filter_h, stride)`.",
        [(IM2COL_ROWS, IM2COL_ROWS.replace("range(filter_h)", "range(0, filter_h, stride)"))]),
    Bug("im2col-output-positions-swapped", "im2col", "axis-order",
        "The columns are transposed `(0, 5, 4, 1, 2, 3)`, output x before output y.",
        [("col = col.transpose(0, 4, 5, 1, 2, 3)", "col = col.transpose(0, 5, 4, 1, 2, 3)")]),
    Bug("im2col-column-end-without-offset", "im2col", "missing-term",
        "The column slice ends at `stride * out_w`, without the filter offset fx.",
        [(IM2COL_ROWS, IM2COL_ROWS.replace("fx_end = fx + stride * out_w",
                                           "fx_end = stride * out_w"))]),
    Bug("im2col-filter-loops-swapped", "im2col", "swapped-arguments",
        "The filter-row loop runs over `filter_w` and the filter-column loop over `filter_h`.",
        [(IM2COL_ROWS, IM2COL_ROWS.replace("fy in range(filter_h)", "fy in range(filter_w)")
          .replace("fx in range(filter_w)", "fx in range(filter_h)"))]),
    Bug("im2col-size-pad-subtracted", "im2col", "sign",
        "The output height subtracts the padding, `H - 2 * pad - filter_h`.",
        [(IM2COL_SIZES, IM2COL_SIZES.replace("(H + 2 * pad", "(H - 2 * pad"))]),
    Bug("im2col-slice-end-scaled-with-offset", "im2col", "stride",
        "The row slice ends at `(fy + out_h) * stride`, the offset scaled by the stride too.",
        [(IM2COL_ROWS, IM2COL_ROWS.replace("fy + stride * out_h", "(fy + out_h) * stride"))]),
    # ---------------------------------------------------------------------------------- col2im
    Bug("col2im-crop-to-h-minus-pad", "col2im", "padding",
        "The padding is cropped as `pad:H - pad`, as if H were the padded size.",
        [("return img[:, :, pad:H + pad, pad:W + pad]",
          "return img[:, :, pad:H - pad, pad:W - pad]")]),
    Bug("col2im-rows-read-channel-first", "col2im", "axis-order",
        "The columns are reshaped `(N, C, out_h, out_w, filter_h, filter_w)`, rows read as "
        "(n, c, y, x).",
        [("col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)",
          "col = col.reshape(N, C, out_h, out_w, filter_h, filter_w)"
          ".transpose(0, 1, 4, 5, 2, 3)")]),
    Bug("col2im-row-end-without-offset", "col2im", "missing-term",
        "The row slice ends at `stride * out_h`, without the filter offset fy.",
        [(COL2IM_ROWS, COL2IM_ROWS.replace("fy_end = fy + stride * out_h",
                                           "fy_end = stride * out_h"))]),
    Bug("col2im-size-plus-one-inside", "col2im", "output-size",
        "The sizes are `(H + 2 * pad - filter_h + 1) // stride + 1`, one added twice.",
        [(COL2IM_SIZES, COL2IM_SIZES.replace(" - filter_h) //", " - filter_h + 1) //")
          .replace(" - filter_w) //", " - filter_w + 1) //"))]),
    Bug("col2im-row-end-by-out-w", "col2im", "swapped-arguments",
        "The row slice ends at `fy + stride * out_w`.",
        [(COL2IM_ROWS, COL2IM_ROWS.replace("fy + stride * out_h", "fy + stride * out_w"))]),
    Bug("col2im-column-end-by-out-h", "col2im", "swapped-arguments",
        "The column slice ends at `fx + stride * out_h`.",
        [(COL2IM_ROWS, COL2IM_ROWS.replace("fx + stride * out_w", "fx + stride * out_h"))]),
    Bug("col2im-buffer-width-from-height", "col2im", "output-size",
        "The buffer's width is `H + 2 * pad + stride - 1`, the height's.",
        [(COL2IM_BUFFER, COL2IM_BUFFER.replace("W + 2 * pad", "H + 2 * pad"))]),
    # ----------------------------------------------------------------------------- Convolution
    Bug("conv-width-pad-subtracted", "Convolution", "sign",
        "The output width subtracts the padding, `W - 2 * self.pad - FW`.",
        [(CONV_SIZES, CONV_SIZES.replace("(W + 2 * self.pad", "(W - 2 * self.pad"))]),
    Bug("conv-columns-recomputed-plain", "Convolution", "wrong-cached-value",
        "The cached columns are recomputed as `im2col(x, FH, FW)`, without stride and pad.",
        [("        self.col = col\n", "        self.col = im2col(x, FH, FW)\n")]),
    Bug("conv-columns-name-reused", "Convolution", "overwrite",
        "The product is stored back into `col`, so the output is cached as the columns.",
        [("        out = np.dot(col, col_W) + self.b  # (N*out_h*out_w, FN)\n\n"
          "        out = out.reshape(",
          "        col = np.dot(col, col_W) + self.b  # (N*out_h*out_w, FN)\n\n"
          "        out = col.reshape(")]),
    Bug("conv-output-transposed-hw", "Convolution", "axis-order",
        "The output is transposed `(0, 3, 2, 1)`, width before height.",
        [("out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)",
          "out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 2, 1)")]),
    Bug("conv-size-one-inside", "Convolution", "output-size",
        "The sizes are `(H + 2 * self.pad - FH + 1) // self.stride`.",
        [(CONV_SIZES, CONV_SIZES.replace("- FH) // self.stride + 1", "- FH + 1) // self.stride")
          .replace("- FW) // self.stride + 1", "- FW + 1) // self.stride"))]),
    Bug("conv-columns-from-cached-input", "Convolution", "stale-forward",
        "Forward takes the columns of `self.x`, which is set only at its end.",
        [("col = im2col(x, FH, FW, self.stride, self.pad)",
          "col = im2col(self.x, FH, FW, self.stride, self.pad)")]),
    Bug("conv-width-name-shadows-weights", "Convolution", "overwrite",
        "The filters are flattened from `W`, which `N, C, H, W = x.shape` made the width.",
        [("col_W = self.W.reshape(FN, -1).T", "col_W = W.reshape(FN, -1).T")]),
    Bug("conv-dW-averaged-over-rows", "Convolution", "scale",
        "dW is divided by the number of column rows, `len(self.col)`.",
        [(CONV_DB, CONV_DB.replace("np.dot(self.col.T, dout)\n",
                                   "np.dot(self.col.T, dout) / len(self.col)\n"))]),
    Bug("conv-sgd-step-in-backward", "Convolution", "state-mutated",
        "Backward also takes a gradient step on the caller's filters, `self.W -= 0.01 * self.dW`.",
        [("        dcol = np.dot(dout, self.col_W.T)\n",
          "        self.W -= 0.01 * self.dW\n        dcol = np.dot(dout, self.col_W.T)\n")]),
    Bug("conv-db-all-axes", "Convolution", "reduction-axis",
        "db is `np.sum(dout)`, one number summed over every axis.",
        [(CONV_DB, CONV_DB.replace("np.sum(dout, axis=0)", "np.sum(dout)"))]),
    # --------------------------------------------------------------------------------- Pooling
    Bug("pool-sizes-without-pad", "Pooling", "padding",
        "The output sizes are `(H - self.pool_h) // self.stride + 1`, without the padding.",
        [(POOL_SIZES, POOL_SIZES.replace("H + 2 * self.pad - ", "H - ")
          .replace("W + 2 * self.pad - ", "W - "))]),
    Bug("pool-input-shape-padded", "Pooling", "wrong-cached-value",
        "`self.x_shape` caches the padded input's shape.",
        [("self.x_shape = x.shape", "self.x_shape = x_padded.shape")]),
    Bug("pool-argmax-cache-holds-maxima", "Pooling", "wrong-cached-value",
        "`self.arg_max` caches the maxima `out` instead of their positions.",
        [("self.arg_max = arg_max", "self.arg_max = out")]),
    Bug("pool-output-reshaped-wh", "Pooling", "axis-order",
        "The maxima are reshaped `(N, out_w, out_h, C)`.",
        [("out = out.reshape(N, out_h, out_w, C)", "out = out.reshape(N, out_w, out_h, C)")]),
    Bug("pool-sizes-from-stored-shape", "Pooling", "stale-forward",
        "Forward reads N, C, H, W from `self.x_shape`, which it sets only at its end.",
        [("        N, C, H, W = x.shape\n" + POOL_SIZES,
          "        N, C, H, W = self.x_shape\n" + POOL_SIZES)]),
    Bug("pool-stride-hard-coded", "Pooling", "stride",
        "Forward calls im2col with stride 2 instead of `self.stride`.",
        [("col = im2col(x_padded, self.pool_h, self.pool_w, self.stride, 0)",
          "col = im2col(x_padded, self.pool_h, self.pool_w, 2, 0)")]),
    Bug("pool-pad-minus-one", "Pooling", "padding",
        "The border is padded with -1, taken to be below every activation.",
        [("constant_values=-np.inf)", "constant_values=-1)")]),
    Bug("pool-crop-sides-swapped", "Pooling", "swapped-arguments",
        "Backward reads the crop's sizes as `H, W = self.x_shape[3], self.x_shape[2]`.",
        [("H, W = self.x_shape[2], self.x_shape[3]", "H, W = self.x_shape[3], self.x_shape[2]")]),
    Bug("pool-backward-stride-hard-coded", "Pooling", "stride",
        "Backward calls col2im with stride 2 instead of `self.stride`.",
        [("self.pool_h, self.pool_w, self.stride, 0)\n\n        H, W",
          "self.pool_h, self.pool_w, 2, 0)\n\n        H, W")]),
    # ------------------------------------------------------------------------------------ Relu
    Bug("relu-maximum-into-input", "Relu", "state-mutated",
        "Forward computes `np.maximum(x, 0, out=x)`, writing into the caller's array.",
        [(RELU_FORWARD, "        out = np.maximum(x, 0, out=x)\n        return out\n")]),
    Bug("relu-mask-argwhere", "Relu", "wrong-cached-value",
        "The mask is cached as `np.argwhere(x <= 0)`, an array of coordinates.",
        [("self.mask = (x <= 0)", "self.mask = np.argwhere(x <= 0)")]),
    Bug("relu-returns-input", "Relu", "missing-term",
        "Forward zeroes the copy but returns `x`.",
        [(RELU_FORWARD, RELU_FORWARD.replace("return out", "return x"))]),
    Bug("relu-indicator-output", "Relu", "integer-dtype",
        "Forward returns `(x > 0).astype(int)`, the 0/1 indicator.",
        [(RELU_FORWARD, "        out = (x > 0).astype(int)\n        return out\n")]),
    Bug("relu-where-branches-swapped", "Relu", "swapped-arguments",
        "Forward returns `np.where(x > 0, 0, x)`.",
        [(RELU_FORWARD, "        out = np.where(x > 0, 0, x)\n        return out\n")]),
    Bug("relu-dx-copied-before-mask", "Relu", "missing-term",
        "Backward copies dout into dx before zeroing dout at the mask.",
        [("        dout[self.mask] = 0\n        dx = dout\n",
          "        dx = dout.copy()\n        dout[self.mask] = 0\n")]),
    # ---------------------------------------------------------------------------------- Affine
    Bug("affine-forward-weights-transposed", "Affine", "axis-order",
        "Forward multiplies by `self.W.T`.",
        [("out = np.dot(self.x, self.W) + self.b", "out = np.dot(self.x, self.W.T) + self.b")]),
    Bug("affine-sgd-step-in-backward", "Affine", "state-mutated",
        "Backward also takes a gradient step on the caller's weights, `self.W -= 0.01 * self.dW`.",
        [(AFFINE_DB, AFFINE_DB.replace("        dx = dx.reshape",
                                       "        self.W -= 0.01 * self.dW\n"
                                       "        dx = dx.reshape"))]),
    Bug("affine-dx-from-dW", "Affine", "wrong-cached-value",
        "dx is `np.dot(dout, self.dW.T)`, the weights' gradient in place of the weights.",
        [("dx = np.dot(dout, self.W.T)", "dx = np.dot(dout, self.dW.T)")]),
    Bug("affine-features-from-hw", "Affine", "output-size",
        "The input is flattened to `int(np.prod(x.shape[2:]))` features, without the channels.",
        [("x = x.reshape(x.shape[0], -1)",
          "x = x.reshape(x.shape[0], int(np.prod(x.shape[2:])))")]),
    Bug("affine-dx-reshape-fortran", "Affine", "axis-order",
        "dx is reshaped back with `order=\"F\"`.",
        [("dx = dx.reshape(*self.original_x_shape)",
          "dx = dx.reshape(self.original_x_shape, order=\"F\")")]),
    Bug("affine-dW-negated", "Affine", "sign",
        "dW is negated, the descent direction put into the gradient.",
        [("self.dW = np.dot(self.x.T, dout)", "self.dW = -np.dot(self.x.T, dout)")]),
    Bug("affine-shape-from-cached-input", "Affine", "stale-forward",
        "Forward records `self.x.shape`, the previous call's input, as the shape to restore.",
        [("self.original_x_shape = x.shape", "self.original_x_shape = self.x.shape")]),
    Bug("affine-backward-returns-dout", "Affine", "missing-term",
        "Backward reshapes dx but returns `dout`.",
        [("        dx = dx.reshape(*self.original_x_shape)\n        return dx\n",
          "        dx = dx.reshape(*self.original_x_shape)\n        return dout\n")]),
    # ------------------------------------------------------------------------- SoftmaxWithLoss
    Bug("softmax-floor-division", "SoftmaxWithLoss", "integer-dtype",
        "Softmax divides with `//`.",
        [("return e / np.sum(e, axis=-1, keepdims=True)",
          "return e // np.sum(e, axis=-1, keepdims=True)")]),
    Bug("softmax-shift-by-row-sum", "SoftmaxWithLoss", "numerical-stability",
        "Softmax shifts the scores by their row sum instead of the row max.",
        [("x = x - np.max(x, axis=-1, keepdims=True)",
          "x = x - np.sum(x, axis=-1, keepdims=True)")]),
    Bug("softmax-clip-scores-50", "SoftmaxWithLoss", "numerical-stability",
        "Softmax clips the scores to [-50, 50] before the shift.",
        [("    x = x - np.max(x, axis=-1, keepdims=True)",
          "    x = np.clip(x, -50, 50)\n    x = x - np.max(x, axis=-1, keepdims=True)")]),
    Bug("softmax-shift-by-abs-max", "SoftmaxWithLoss", "numerical-stability",
        "Softmax shifts the scores by their largest magnitude, `np.max(np.abs(x), …)`.",
        [("x = x - np.max(x, axis=-1, keepdims=True)",
          "x = x - np.max(np.abs(x), axis=-1, keepdims=True)")]),
    Bug("cross-entropy-argmax-without-axis", "SoftmaxWithLoss", "reduction-axis",
        "One-hot targets become labels by `t.argmax()`, without the axis.",
        [("t = t.argmax(axis=1)", "t = t.argmax()")]),
    Bug("cross-entropy-index-swapped", "SoftmaxWithLoss", "swapped-arguments",
        "The loss picks `y[t, np.arange(batch_size)]`.",
        [("y[np.arange(batch_size), t]", "y[t, np.arange(batch_size)]")]),
    Bug("softmax-label-gradient-without-y", "SoftmaxWithLoss", "missing-term",
        "The label branch starts dx from `np.zeros_like(self.y)`.",
        [("dx = self.y.copy()", "dx = np.zeros_like(self.y)")]),
    Bug("softmax-sum-without-axis", "SoftmaxWithLoss", "reduction-axis",
        "Softmax normalises with `np.sum(e)`, over the whole batch at once.",
        [("return e / np.sum(e, axis=-1, keepdims=True)", "return e / np.sum(e)")]),
    Bug("cross-entropy-divided-by-size", "SoftmaxWithLoss", "scale",
        "The loss divides by `y.size` instead of the batch size.",
        [("return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size",
          "return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / y.size")]),
    # --------------------------------------------------------------------------- SimpleConvNet
    Bug("net-b2-int", "SimpleConvNet", "integer-dtype",
        "b2 is created as `np.zeros(hidden_size, dtype=int)`.",
        [("self.params['b2'] = np.zeros(hidden_size)",
          "self.params['b2'] = np.zeros(hidden_size, dtype=int)")]),
    Bug("net-conv-width-from-height", "SimpleConvNet", "output-size",
        "The convolution's width is computed from `input_h`.",
        [("conv_w = (input_w - filter_size", "conv_w = (input_h - filter_size")]),
    Bug("net-pool-size-without-filters", "SimpleConvNet", "missing-term",
        "W2's rows are `(conv_h // 2) * (conv_w // 2)`, without `filter_num`.",
        [("pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)",
          "pool_output_size = (conv_h // 2) * (conv_w // 2)")]),
    Bug("net-affine2-registered-as-affine1", "SimpleConvNet", "overwrite",
        "The last affine layer is registered as `'Affine1'`.",
        [("self.layers['Affine2'] = Affine(", "self.layers['Affine1'] = Affine(")]),
    Bug("net-conv-size-pad-and-size-swapped", "SimpleConvNet", "swapped-arguments",
        "The convolution sizes are `(input_h - filter_pad + 2 * filter_size) // …`.",
        [("conv_h = (input_h - filter_size + 2 * filter_pad)",
          "conv_h = (input_h - filter_pad + 2 * filter_size)"),
         ("conv_w = (input_w - filter_size + 2 * filter_pad)",
          "conv_w = (input_w - filter_pad + 2 * filter_size)")]),
    Bug("net-grads-before-backward", "SimpleConvNet", "stale-forward",
        "Gradient collects the layers' dW and db before running backward.",
        [(NET_BACKWARD + NET_GRADS, NET_GRADS + "\n" + NET_BACKWARD)]),
    Bug("net-accuracy-over-last-batch", "SimpleConvNet", "scale",
        "Accuracy divides by `tx.shape[0]`, the last batch's size.",
        [("return correct / x.shape[0]", "return correct / tx.shape[0]")]),
    Bug("net-accuracy-whole-targets", "SimpleConvNet", "missing-term",
        "Accuracy compares each batch's predictions with all targets, `tt = t`.",
        [("tt = t[start:start + batch_size]", "tt = t")]),
]
