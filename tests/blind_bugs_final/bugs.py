"""A final holdout of single-bug chapter 7 submissions, written blind (see README.md).

Each Bug is the correct example `conformance/examples/submission/cnn.py` with one mistake, given
as exact text replacements applied in order. It was measured untouched, then used to tune the
diagnosis (README.md).
"""

# The format and its machinery are the holdout's (one definition of a Bug and of applying it);
# only the rows below are new.
from tests.blind_bugs_holdout.bugs import (  # noqa: F401 (re-exported: the set's interface)
    BUG_CLASSES,
    COMPONENTS,
    EXAMPLE,
    Bug,
    ReplacementError,
    apply,
    example_source,
)

# ----------------------------------------------------------------------------------------------
# Anchors shared by several bugs (each is unique in the example)

IM2COL_LOOP = (
    "    # one strided slice per filter offset (fy, fx): every window's pixel at that offset\n"
    "    for fy in range(filter_h):\n"
    "        fy_end = fy + stride * out_h\n"
    "        for fx in range(filter_w):\n"
    "            fx_end = fx + stride * out_w\n"
    "            col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end:stride, fx:fx_end:stride]\n")
COL2IM_LOOP = (
    "    for fy in range(filter_h):\n"
    "        fy_end = fy + stride * out_h\n"
    "        for fx in range(filter_w):\n"
    "            fx_end = fx + stride * out_w\n"
    "            img[:, :, fy:fy_end:stride, fx:fx_end:stride] += col[:, :, fy, fx, :, :]\n")
IM2COL_PAD = '    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")\n'
CONV_DW = ("        self.dW = np.dot(self.col.T, dout)\n"
           "        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)\n")
POOL_MAX = ("        arg_max = np.argmax(col, axis=1)\n"
            "        out = np.max(col, axis=1)\n")
POOL_RESHAPE = "        col = col.reshape(-1, self.pool_h * self.pool_w)"
RELU_FORWARD = ("        self.mask = (x <= 0)\n"
                "        out = x.copy()\n"
                "        out[self.mask] = 0\n")
RELU_BACKWARD = "        dout[self.mask] = 0\n        dx = dout\n"
AFFINE_CACHE = "        self.x = x\n        out = np.dot(self.x, self.W) + self.b\n"
AFFINE_DX = "        dx = np.dot(dout, self.W.T)\n"
CEE_RETURN = "    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size\n"
NET_BATCH = ("            tx = x[start:start + batch_size]\n"
             "            tt = t[start:start + batch_size]\n"
             "            y = self.predict(tx)\n")
NET_ACCURACY_RETURN = "        return correct / x.shape[0]\n"
NET_BACKWARD_LOOP = ("        layers = list(self.layers.values())\n"
                     "        layers.reverse()\n"
                     "        for layer in layers:\n")

BUGS = [
    # --- im2col ---------------------------------------------------------------------------------
    Bug("im2col-pad-edge-mode", "im2col", "padding",
        "Pads the image by repeating its border pixels (np.pad mode 'edge') instead of zeros.",
        [('(pad, pad)], "constant")', '(pad, pad)], "edge")')]),
    Bug("im2col-hand-pad-slice-end", "im2col", "padding",
        "Pads by hand into a zero array but writes the image into img[:, :, pad:H, pad:W], "
        "one pad short of where it belongs.",
        [(IM2COL_PAD,
          "    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))\n"
          "    img[:, :, pad:H, pad:W] = input_data\n")]),
    Bug("im2col-slices-unpadded-input", "im2col", "padding",
        "Pads the image into img but then slices the windows out of input_data.",
        [("= img[:, :, fy:fy_end:stride, fx:fx_end:stride]",
          "= input_data[:, :, fy:fy_end:stride, fx:fx_end:stride]")]),
    Bug("im2col-loop-last-row-skipped", "im2col", "output-size",
        "Copies one window per output position in a loop over range(out_h - 1), so the last "
        "row of windows stays zero.",
        [(IM2COL_LOOP,
          "    # one window per output position\n"
          "    for y in range(out_h - 1):\n"
          "        for x in range(out_w):\n"
          "            ys, xs = y * stride, x * stride\n"
          "            col[:, :, :, :, y, x] = img[:, :, ys:ys + filter_h, xs:xs + filter_w]\n")]),
    Bug("im2col-loop-window-end-unstrided", "im2col", "stride",
        "Loops over output positions and starts each window at y * stride but ends it at "
        "y + filter_h, forgetting the stride in the end index.",
        [(IM2COL_LOOP,
          "    for y in range(out_h):\n"
          "        y_start = y * stride\n"
          "        for x in range(out_w):\n"
          "            x_start = x * stride\n"
          "            col[:, :, :, :, y, x] = img[:, :, y_start:y + filter_h,"
          " x_start:x + filter_w]\n")]),
    Bug("im2col-offset-times-stride", "im2col", "stride",
        "Starts the strided slice for filter offset fy at fy * stride (and fx at fx * stride) "
        "instead of at the offset itself.",
        [("        fy_end = fy + stride * out_h\n"
          "        for fx in range(filter_w):\n"
          "            fx_end = fx + stride * out_w\n"
          "            col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end:stride, fx:fx_end:stride]\n",
          "        fy_end = fy * stride + stride * out_h\n"
          "        for fx in range(filter_w):\n"
          "            fx_end = fx * stride + stride * out_w\n"
          "            col[:, :, fy, fx, :, :] = img[:, :, fy * stride:fy_end:stride,"
          " fx * stride:fx_end:stride]\n")]),
    Bug("im2col-columns-sized-filter-h-squared", "im2col", "output-size",
        "Reshapes the columns to C * filter_h * filter_h, typing filter_h twice.",
        [("col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)",
          "col = col.transpose(0, 4, 5, 1, 2, 3).reshape(-1, C * filter_h * filter_h)")]),
    Bug("im2col-true-division-size", "im2col", "integer-dtype",
        "Computes the output height with / instead of //, so it is a float and the buffer "
        "cannot be allocated.",
        [("    out_h = (H + 2 * pad - filter_h) // stride + 1\n"
          "    out_w = (W + 2 * pad - filter_w) // stride + 1\n\n    img = np.pad(",
          "    out_h = (H + 2 * pad - filter_h) / stride + 1\n"
          "    out_w = (W + 2 * pad - filter_w) / stride + 1\n\n    img = np.pad(")]),

    # --- col2im ---------------------------------------------------------------------------------
    Bug("col2im-subtracts-contributions", "col2im", "sign",
        "Puts the column entries back with -= instead of +=.",
        [("fx:fx_end:stride] += col[:, :, fy, fx, :, :]",
          "fx:fx_end:stride] -= col[:, :, fy, fx, :, :]")]),
    Bug("col2im-first-filter-column-skipped", "col2im", "missing-term",
        "Loops over the filter columns with range(1, filter_w), so offset 0 never contributes.",
        [(COL2IM_LOOP, COL2IM_LOOP.replace("for fx in range(filter_w)",
                                           "for fx in range(1, filter_w)"))]),
    Bug("col2im-signature-pad-before-stride", "col2im", "swapped-arguments",
        "Declares col2im(col, input_shape, filter_h, filter_w, pad=0, stride=1), so callers "
        "passing stride then pad get them swapped.",
        [("def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):",
          "def col2im(col, input_shape, filter_h, filter_w, pad=0, stride=1):")]),
    Bug("col2im-slice-end-without-stride", "col2im", "stride",
        "Ends each strided slice at fy + out_h instead of fy + stride * out_h.",
        [(COL2IM_LOOP, COL2IM_LOOP.replace("fy + stride * out_h", "fy + out_h")
          .replace("fx + stride * out_w", "fx + out_w"))]),
    Bug("col2im-reshape-filter-w-before-h", "col2im", "axis-order",
        "Reshapes the columns to (N, out_h, out_w, C, filter_w, filter_h), the filter axes in "
        "the wrong order.",
        [("col = col.reshape(N, out_h, out_w, C, filter_h, filter_w)",
          "col = col.reshape(N, out_h, out_w, C, filter_w, filter_h)")]),
    Bug("col2im-crops-rows-only", "col2im", "padding",
        "Crops the padding (and the stride margin) off the rows only and returns every column.",
        [("    return img[:, :, pad:H + pad, pad:W + pad]\n",
          "    return img[:, :, pad:H + pad]\n")]),
    Bug("col2im-loop-bounds-swapped", "col2im", "output-size",
        "Adds one window per output position in loops over range(out_w) for rows and "
        "range(out_h) for columns.",
        [(COL2IM_LOOP,
          "    for y in range(out_w):\n"
          "        for x in range(out_h):\n"
          "            ys, xs = y * stride, x * stride\n"
          "            img[:, :, ys:ys + filter_h, xs:xs + filter_w] += col[:, :, :, :, y, x]\n")]),

    # --- Convolution ----------------------------------------------------------------------------
    Bug("conv-signature-pad-before-stride", "Convolution", "swapped-arguments",
        "Declares Convolution(W, b, pad=0, stride=1), so positional stride and pad land swapped.",
        [("    def __init__(self, W, b, stride=1, pad=0):",
          "    def __init__(self, W, b, pad=0, stride=1):")]),
    Bug("conv-backward-col2im-stride-1", "Convolution", "stride",
        "Calls col2im in backward with stride 1 instead of self.stride.",
        [("dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)",
          "dx = col2im(dcol, self.x.shape, FH, FW, 1, self.pad)")]),
    Bug("conv-backward-dout-transpose-0321", "Convolution", "axis-order",
        "Moves the filter axis last in backward with transpose(0, 3, 2, 1), so the rows run "
        "over (n, x, y) instead of (n, y, x).",
        [("dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)",
          "dout = dout.transpose(0, 3, 2, 1).reshape(-1, FN)")]),
    Bug("conv-weights-flattened-channels-last", "Convolution", "axis-order",
        "Flattens the filters channels-last with W.transpose(0, 2, 3, 1) before the reshape, "
        "while im2col's columns are channels-first.",
        [("col_W = self.W.reshape(FN, -1).T",
          "col_W = self.W.transpose(0, 2, 3, 1).reshape(FN, -1).T")]),
    Bug("conv-input-name-reused-for-columns", "Convolution", "overwrite",
        "Stores im2col's result back into x, so the layer caches the columns as its input.",
        [("        col = im2col(x, FH, FW, self.stride, self.pad)\n",
          "        x = im2col(x, FH, FW, self.stride, self.pad)\n"),
         ("out = np.dot(col, col_W) + self.b", "out = np.dot(x, col_W) + self.b"),
         ("        self.col = col\n", "        self.col = x\n")]),
    Bug("conv-dW-buffer-is-W", "Convolution", "state-mutated",
        "Preallocates the gradient as self.dW = W and fills it with dW[...] =, writing the "
        "gradient into the weights.",
        [("        self.col_W = None\n\n        self.dW = None\n",
          "        self.col_W = None\n\n        self.dW = W\n"),
         (CONV_DW,
          "        self.dW[...] = np.dot(self.col.T, dout).transpose(1, 0)"
          ".reshape(FN, C, FH, FW)\n")]),
    Bug("conv-dW-from-input", "Convolution", "wrong-cached-value",
        "Computes dW from the cached input self.x instead of the cached columns self.col.",
        [("self.dW = np.dot(self.col.T, dout)", "self.dW = np.dot(self.x.T, dout)")]),
    Bug("conv-filter-loop-last-skipped", "Convolution", "missing-term",
        "Computes the output one filter at a time in a loop over range(FN - 1), so the last "
        "filter's output stays zero.",
        [("        out = np.dot(col, col_W) + self.b  # (N*out_h*out_w, FN)\n",
          "        out = np.zeros((col.shape[0], FN))\n"
          "        for f in range(FN - 1):\n"
          "            out[:, f] = np.dot(col, col_W[:, f]) + self.b[f]\n")]),

    # --- Pooling --------------------------------------------------------------------------------
    Bug("pool-argmax-before-reshape", "Pooling", "wrong-cached-value",
        "Takes the argmax right after im2col, before reshaping to one window per row, and "
        "caches those indices for backward.",
        [(POOL_RESHAPE + "  # one row per (n, y, x, c) window\n\n"
          "        arg_max = np.argmax(col, axis=1)\n",
          "        arg_max = np.argmax(col, axis=1)\n"
          + POOL_RESHAPE + "  # one row per (n, y, x, c) window\n\n")]),
    Bug("pool-columns-overwritten-by-max", "Pooling", "overwrite",
        "Stores the window maxima back into col and then takes the argmax of that.",
        [(POOL_MAX,
          "        col = np.max(col, axis=1)\n"
          "        arg_max = np.argmax(col, axis=1)\n"
          "        out = col\n")]),
    Bug("pool-windows-reshaped-then-transposed", "Pooling", "axis-order",
        "Groups the columns into windows with reshape(pool_h * pool_w, -1).T instead of "
        "reshape(-1, pool_h * pool_w).",
        [(POOL_RESHAPE + "  #", "        col = col.reshape(self.pool_h * self.pool_w, -1).T  #")]),
    Bug("pool-max-over-windows-axis", "Pooling", "reduction-axis",
        "Takes the output maximum with axis=0, over the windows, instead of axis=1.",
        [("        out = np.max(col, axis=1)\n", "        out = np.max(col, axis=0)\n")]),
    Bug("pool-dmax-without-row-index", "Pooling", "missing-term",
        "Scatters the gradient with dmax[:, arg_max] = dout, leaving out the np.arange row "
        "index.",
        [("dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()",
          "dmax[:, self.arg_max.flatten()] = dout.flatten()")]),
    Bug("pool-backward-size-pool-h-squared", "Pooling", "output-size",
        "Sizes the backward window as pool_h * pool_h.",
        [("pool_size = self.pool_h * self.pool_w", "pool_size = self.pool_h * self.pool_h")]),

    # --- Relu -----------------------------------------------------------------------------------
    Bug("relu-mask-as-int", "Relu", "integer-dtype",
        "Converts the mask to int with astype(int), so out[mask] indexes rows 0 and 1 instead "
        "of selecting entries.",
        [("        self.mask = (x <= 0)\n", "        self.mask = (x <= 0).astype(int)\n")]),
    Bug("relu-mask-set-after-use", "Relu", "stale-forward",
        "Zeroes out[self.mask] before computing the new mask, so forward uses the previous "
        "call's mask (None the first time).",
        [(RELU_FORWARD,
          "        out = x.copy()\n"
          "        out[self.mask] = 0\n"
          "        self.mask = (x <= 0)\n")]),
    Bug("relu-backward-mask-minus-one", "Relu", "sign",
        "Writes the backward gate as dout * (self.mask - 1) instead of dout * (1 - self.mask).",
        [(RELU_BACKWARD, "        dx = dout * (self.mask - 1)\n")]),
    Bug("relu-np-max-for-maximum", "Relu", "reduction-axis",
        "Writes np.max(x, 0), a reduction over axis 0, for the elementwise np.maximum(x, 0).",
        [(RELU_FORWARD, "        self.mask = (x <= 0)\n        out = np.max(x, 0)\n")]),
    Bug("relu-mask-from-where-rows", "Relu", "wrong-cached-value",
        "Caches np.where(x <= 0)[0], the row indices only, as the mask for backward.",
        [(RELU_FORWARD,
          "        self.mask = np.where(x <= 0)[0]\n"
          "        out = x.copy()\n"
          "        out[x <= 0] = 0\n")]),
    Bug("relu-abs-trick-without-half", "Relu", "scale",
        "Computes ReLU as x + |x| and forgets to halve it.",
        [(RELU_FORWARD, "        self.mask = (x <= 0)\n        out = x + np.abs(x)\n")]),

    # --- Affine ---------------------------------------------------------------------------------
    Bug("affine-bias-subtracted", "Affine", "sign",
        "Subtracts the bias in forward.",
        [("out = np.dot(self.x, self.W) + self.b", "out = np.dot(self.x, self.W) - self.b")]),
    Bug("affine-input-cache-overwritten", "Affine", "overwrite",
        "Stores the output in self.x and returns it, so backward's dW uses the output.",
        [(AFFINE_CACHE, "        self.x = np.dot(x, self.W) + self.b\n        out = self.x\n")]),
    Bug("affine-db-keepdims", "Affine", "reduction-axis",
        "Sums db with keepdims=True, so it has shape (1, out) instead of the bias's (out,).",
        [("        self.dW = np.dot(self.x.T, dout)\n        self.db = np.sum(dout, axis=0)\n",
          "        self.dW = np.dot(self.x.T, dout)\n"
          "        self.db = np.sum(dout, axis=0, keepdims=True)\n")]),
    Bug("affine-dx-averaged", "Affine", "scale",
        "Divides dx by the batch size.",
        [(AFFINE_DX, "        dx = np.dot(dout, self.W.T) / dout.shape[0]\n")]),
    Bug("affine-weights-transposed-in-backward", "Affine", "state-mutated",
        "Transposes the weights in place with self.W = self.W.T to compute dx, leaving them "
        "transposed for the next forward.",
        [(AFFINE_DX, "        self.W = self.W.T\n        dx = np.dot(dout, self.W)\n")]),
    Bug("affine-input-cached-once", "Affine", "stale-forward",
        "Caches the input only when self.x is None, so later batches reuse the first batch.",
        [(AFFINE_CACHE,
          "        if self.x is None:\n"
          "            self.x = x\n"
          "        out = np.dot(self.x, self.W) + self.b\n")]),

    # --- SoftmaxWithLoss ------------------------------------------------------------------------
    Bug("swl-log-guard-1e7", "SoftmaxWithLoss", "numerical-stability",
        "Types the log guard as 1e7 instead of 1e-7.",
        [(CEE_RETURN, CEE_RETURN.replace("1e-7", "1e7"))]),
    Bug("swl-shift-by-min", "SoftmaxWithLoss", "numerical-stability",
        "Shifts the scores by their row minimum instead of their maximum before exp.",
        [("x = x - np.max(x, axis=-1, keepdims=True)",
          "x = x - np.min(x, axis=-1, keepdims=True)")]),
    Bug("swl-log-softmax-unshifted", "SoftmaxWithLoss", "numerical-stability",
        "Computes softmax as exp(x - log(sum(exp(x)))) with no shift, so exp overflows.",
        [("    x = x - np.max(x, axis=-1, keepdims=True)  # shift so that exp cannot overflow\n"
          "    e = np.exp(x)\n"
          "    return e / np.sum(e, axis=-1, keepdims=True)\n",
          "    return np.exp(x - np.log(np.sum(np.exp(x), axis=-1, keepdims=True)))\n")]),
    Bug("swl-loss-mean-then-divided", "SoftmaxWithLoss", "scale",
        "Averages the log-likelihoods with np.mean and then divides by the batch size again.",
        [(CEE_RETURN,
          "    return -np.mean(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size\n")]),
    Bug("swl-log10", "SoftmaxWithLoss", "scale",
        "Uses np.log10 in the cross-entropy.",
        [(CEE_RETURN, CEE_RETURN.replace("np.log(", "np.log10("))]),
    Bug("swl-one-hot-argmax-axis-0", "SoftmaxWithLoss", "reduction-axis",
        "Converts one-hot targets to labels with argmax(axis=0), over the batch.",
        [("t = t.argmax(axis=1)", "t = t.argmax(axis=0)")]),
    Bug("swl-shift-without-keepdims", "SoftmaxWithLoss", "reduction-axis",
        "Takes the row maximum without keepdims, so it broadcasts along the classes.",
        [("x = x - np.max(x, axis=-1, keepdims=True)", "x = x - np.max(x, axis=-1)")]),
    Bug("swl-backward-floor-division", "SoftmaxWithLoss", "integer-dtype",
        "Divides the label-path gradient by the batch size with //.",
        [("            dx = dx / batch_size\n", "            dx = dx // batch_size\n")]),
    Bug("swl-forward-signature-t-x", "SoftmaxWithLoss", "swapped-arguments",
        "Declares forward(self, t, x), the targets first.",
        [("    def forward(self, x, t):", "    def forward(self, t, x):")]),

    # --- SimpleConvNet --------------------------------------------------------------------------
    Bug("net-second-relu-key-reused", "SimpleConvNet", "overwrite",
        "Registers the hidden ReLU under the key 'Relu1' again, replacing the first entry, so "
        "the hidden layer has no ReLU.",
        [("self.layers['Relu2'] = Relu()", "self.layers['Relu1'] = Relu()")]),
    Bug("net-accuracy-floor-division", "SimpleConvNet", "integer-dtype",
        "Divides the number of correct answers by the sample count with //.",
        [(NET_ACCURACY_RETURN, "        return correct // x.shape[0]\n")]),
    Bug("net-accuracy-batch-overwrites-x", "SimpleConvNet", "overwrite",
        "Slices the batch into x itself, so the next batch is sliced from the previous one.",
        [(NET_BATCH,
          "            x = x[start:start + batch_size]\n"
          "            tt = t[start:start + batch_size]\n"
          "            y = self.predict(x)\n")]),
    Bug("net-grads-dict-is-params", "SimpleConvNet", "state-mutated",
        "Starts the gradients from grads = self.params, so gradient() replaces the parameters "
        "with their gradients.",
        [("        grads = {}\n", "        grads = self.params\n")]),
    Bug("net-gradient-predicts-without-loss", "SimpleConvNet", "stale-forward",
        "Runs self.predict(x) instead of self.loss(x, t) before backward, so the softmax layer "
        "keeps the scores and targets of the last loss call.",
        [("        # forward\n        self.loss(x, t)\n",
          "        # forward\n        self.predict(x)\n")]),
    Bug("net-pooling-left-out", "SimpleConvNet", "missing-term",
        "Leaves the pooling layer out and sizes W2 for the unpooled convolution output.",
        [("        # the 2x2, stride 2 pooling floors odd sizes\n"
          "        pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)\n",
          "        pool_output_size = filter_num * conv_h * conv_w\n"),
         ("        self.layers['Pool1'] = Pooling(pool_h=2, pool_w=2, stride=2)\n", "")]),
    Bug("net-backward-slice-skips-first-layer", "SimpleConvNet", "missing-term",
        "Walks the layers backwards with [:0:-1], which stops before the convolution.",
        [(NET_BACKWARD_LOOP, "        for layer in list(self.layers.values())[:0:-1]:\n")]),
    Bug("net-W2-randn-arguments-swapped", "SimpleConvNet", "swapped-arguments",
        "Draws W2 with np.random.randn(hidden_size, pool_output_size).",
        [("np.random.randn(pool_output_size, hidden_size)",
          "np.random.randn(hidden_size, pool_output_size)")]),
    Bug("net-W3-sized-hidden-by-hidden", "SimpleConvNet", "output-size",
        "Draws W3 with np.random.randn(hidden_size, hidden_size), so the network has "
        "hidden_size outputs.",
        [("np.random.randn(hidden_size, output_size)",
          "np.random.randn(hidden_size, hidden_size)")]),
    Bug("net-pooling-given-conv-pad", "SimpleConvNet", "padding",
        "Passes the convolution's pad on to the pooling layer.",
        [("Pooling(pool_h=2, pool_w=2, stride=2)",
          "Pooling(pool_h=2, pool_w=2, stride=2, pad=filter_pad)")]),
    Bug("net-accuracy-argmin", "SimpleConvNet", "sign",
        "Predicts the class with np.argmin of the scores.",
        [("            y = np.argmax(y, axis=1)\n", "            y = np.argmin(y, axis=1)\n")]),
    Bug("net-gradient-takes-a-step", "SimpleConvNet", "state-mutated",
        "Applies an SGD step (lr 0.01) to self.params inside gradient() before returning.",
        [("        return grads\n",
          "        for key in grads:\n"
          "            self.params[key] -= 0.01 * grads[key]\n"
          "        return grads\n")]),
    Bug("net-accuracy-mean-of-batch-means", "SimpleConvNet", "scale",
        "Averages the per-batch accuracies, so a shorter last batch weighs as much as a full one.",
        [("        correct = 0.0\n", "        correct = 0.0\n        batches = 0\n"),
         ("            correct += np.sum(y == tt)\n",
          "            correct += np.mean(y == tt)\n            batches += 1\n"),
         (NET_ACCURACY_RETURN, "        return correct / batches\n")]),
    Bug("net-accuracy-slice-end-without-start", "SimpleConvNet", "missing-term",
        "Slices each batch as x[start:batch_size], leaving start out of the end index.",
        [(NET_BATCH,
          "            tx = x[start:batch_size]\n"
          "            tt = t[start:batch_size]\n"
          "            y = self.predict(tx)\n")]),
]
