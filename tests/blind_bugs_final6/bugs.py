"""The sixth set of single-bug chapter 7 submissions written blind as a holdout: measured once
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
IM2COL_PAD = ('    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)],'
              ' "constant")\n')
IM2COL_SLICE = ("            col[:, :, fy, fx, :, :]"
                " = img[:, :, fy:fy_end:stride, fx:fx_end:stride]\n")
IM2COL_ROWS = "    col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)\n"
COL2IM_RESHAPE = ("    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w)"
                  ".transpose(0, 3, 4, 5, 1, 2)\n")
COL2IM_BUFFER = "    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))\n"
COL2IM_SLICE = ("            img[:, :, fy:fy_end:stride, fx:fx_end:stride]"
                " += col[:, :, fy, fx, :, :]\n")
CONV_FORWARD_SHAPES = "        FN, C, FH, FW = self.W.shape\n        N, C, H, W = x.shape\n"
CONV_BACKWARD_SHAPES = ("        FN, C, FH, FW = self.W.shape\n"
                        "        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n")
CONV_SIZES = ("        out_h = (H + 2 * self.pad - FH) // self.stride + 1\n"
              "        out_w = (W + 2 * self.pad - FW) // self.stride + 1\n")
CONV_CACHE = "        self.x = x\n        self.col = col\n        self.col_W = col_W\n"
CONV_DB = "        self.db = np.sum(dout, axis=0)\n        self.dW = np.dot(self.col.T, dout)\n"
POOL_SIZES = ("        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1\n"
              "        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1\n")
POOL_PAD = ("        p = self.pad\n"
            '        x_padded = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], "constant",\n'
            "                          constant_values=-np.inf)\n")
POOL_WINDOWS = ("        col = col.reshape(-1, self.pool_h * self.pool_w)"
                "  # one row per (n, y, x, c) window\n\n"
                "        arg_max = np.argmax(col, axis=1)\n"
                "        out = np.max(col, axis=1)\n")
AFFINE_DB = ("        self.db = np.sum(dout, axis=0)\n"
             "        dx = dx.reshape(*self.original_x_shape)\n")
RELU_FORWARD = "        out = x.copy()\n        out[self.mask] = 0\n        return out\n"
SOFTMAX_LOSS_FORWARD = ("        self.t = t\n"
                        "        self.y = softmax(x)\n"
                        "        self.loss = cross_entropy_error(self.y, self.t)\n")
NET_CONV_SIZES = ("        conv_h = (input_h - filter_size + 2 * filter_pad)"
                  " // filter_stride + 1\n"
                  "        conv_w = (input_w - filter_size + 2 * filter_pad)"
                  " // filter_stride + 1\n")
NET_POOL_SIZE = ("        # the 2x2, stride 2 pooling floors odd sizes\n"
                 "        pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)\n")
NET_AFFINES = ("        self.layers['Affine1'] = Affine(self.params['W2'], self.params['b2'])\n"
               "        self.layers['Relu2'] = Relu()\n"
               "        self.layers['Affine2'] = Affine(self.params['W3'], self.params['b3'])\n")
NET_ACCURACY_BATCH = ("            y = self.predict(tx)\n"
                      "            y = np.argmax(y, axis=1)\n")

BUGS = [
    # ------------------------------------------------------------------------------------------
    # im2col
    Bug("im2col-rows-batch-last", "im2col", "axis-order",
        "The rows are ordered (out_y, out_x, n) by transposing the buffer with "
        "`(4, 5, 0, 1, 2, 3)`, so the images of a batch are interleaved.",
        [(IM2COL_ROWS, IM2COL_ROWS.replace("(0, 4, 5, 1, 2, 3)", "(4, 5, 0, 1, 2, 3)"))]),
    Bug("im2col-pad-after-division", "im2col", "output-size",
        "The output sizes add the padding after the division by the stride: "
        "`(H - filter_h) // stride + 1 + 2 * pad`.",
        [(IM2COL_SIZES,
          "    out_h = (H - filter_h) // stride + 1 + 2 * pad\n"
          "    out_w = (W - filter_w) // stride + 1 + 2 * pad\n\n    img = np.pad(")]),
    Bug("im2col-shape-channels-last", "im2col", "axis-order",
        "The input's shape is unpacked channels-last, `N, H, W, C = input_data.shape`, although "
        "the images are (N, C, H, W).",
        [("    N, C, H, W = input_data.shape\n", "    N, H, W, C = input_data.shape\n")]),
    Bug("im2col-slice-step-filter", "im2col", "stride",
        "The window pixels are sliced with the filter size as the step, "
        "`fy:fy_end:filter_h, fx:fx_end:filter_w`, instead of the stride.",
        [(IM2COL_SLICE, IM2COL_SLICE.replace("fy:fy_end:stride, fx:fx_end:stride",
                                             "fy:fy_end:filter_h, fx:fx_end:filter_w"))]),
    Bug("im2col-padded-input-reused", "im2col", "overwrite",
        "The padded image is stored back into `input_data` before its shape is read, so the "
        "sizes count the padding twice.",
        [(IM2COL_PAD, "    img = input_data\n"),
         ("    N, C, H, W = input_data.shape\n",
          '    input_data = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)],'
          ' "constant")\n'
          "    N, C, H, W = input_data.shape\n")]),
    Bug("im2col-column-slice-from-zero", "im2col", "missing-term",
        "The column slice has no start, `img[:, :, fy:fy_end:stride, :fx_end:stride]`, so every "
        "filter column reads from the left edge.",
        [(IM2COL_SLICE, IM2COL_SLICE.replace("fx:fx_end:stride", ":fx_end:stride"))]),
    Bug("im2col-pad-minus-inf", "im2col", "padding",
        "im2col pads with `constant_values=-np.inf` (the pooling's padding value moved into the "
        "shared helper), so a padded convolution gets infinities.",
        [(IM2COL_PAD, IM2COL_PAD.replace('"constant")', '"constant",\n'
                                         "                 constant_values=-np.inf)"))]),

    # ------------------------------------------------------------------------------------------
    # col2im
    Bug("col2im-rows-batch-last", "col2im", "axis-order",
        "The columns' rows are read as (out_y, out_x, n): "
        "`col.reshape(out_h, out_w, N, C, filter_h, filter_w).transpose(2, 3, 4, 5, 0, 1)`.",
        [(COL2IM_RESHAPE,
          "    col = col.reshape(out_h, out_w, N, C, filter_h, filter_w)"
          ".transpose(2, 3, 4, 5, 0, 1)\n")]),
    Bug("col2im-transpose-batch-channel", "col2im", "axis-order",
        "The reshaped columns are transposed with `(3, 0, 4, 5, 1, 2)`, putting the channel axis "
        "before the batch axis.",
        [(COL2IM_RESHAPE, COL2IM_RESHAPE.replace("(0, 3, 4, 5, 1, 2)", "(3, 0, 4, 5, 1, 2)"))]),
    Bug("col2im-square-output-from-rows", "col2im", "output-size",
        "The output size is taken from the number of rows assuming a square output, "
        "`out_h = out_w = int(np.sqrt(col.shape[0] // N))`.",
        [(COL2IM_SIZES,
          "    out_h = out_w = int(np.sqrt(col.shape[0] // N))\n    col = col.reshape(")]),
    Bug("col2im-height-padded-in-place", "col2im", "overwrite",
        "`H, W` are reassigned to the padded sizes at the top, and the final crop "
        "`pad:H + pad` still treats them as the image's sizes.",
        [("    N, C, H, W = input_shape\n" + COL2IM_SIZES,
          "    N, C, H, W = input_shape\n"
          "    H, W = H + 2 * pad, W + 2 * pad  # padded size\n"
          "    out_h = (H - filter_h) // stride + 1\n"
          "    out_w = (W - filter_w) // stride + 1\n    col = col.reshape("),
         (COL2IM_BUFFER, "    img = np.zeros((N, C, H + stride - 1, W + stride - 1))\n")]),
    Bug("col2im-signature-shape-first", "col2im", "swapped-arguments",
        "col2im is defined as `col2im(input_shape, col, ...)` while every caller passes the "
        "columns first.",
        [("def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):",
          "def col2im(input_shape, col, filter_h, filter_w, stride=1, pad=0):")]),
    Bug("col2im-slice-without-end", "col2im", "missing-term",
        "The accumulation slices run to the end of the buffer, "
        "`img[:, :, fy::stride, fx::stride]`, without the ends.",
        [(COL2IM_SLICE, COL2IM_SLICE.replace("fy:fy_end:stride, fx:fx_end:stride",
                                             "fy::stride, fx::stride"))]),

    # ------------------------------------------------------------------------------------------
    # Convolution
    Bug("conv-input-channels-named-fn", "Convolution", "overwrite",
        "forward unpacks the input as `N, FN, H, W = x.shape`, overwriting the filter count with "
        "the number of channels before the filters are flattened.",
        [(CONV_FORWARD_SHAPES,
          "        FN, C, FH, FW = self.W.shape\n        N, FN, H, W = x.shape\n")]),
    Bug("conv-backward-shape-c-fn", "Convolution", "swapped-arguments",
        "backward unpacks the filter shape as `C, FN, FH, FW = self.W.shape`.",
        [(CONV_BACKWARD_SHAPES, CONV_BACKWARD_SHAPES.replace("FN, C, FH, FW", "C, FN, FH, FW"))]),
    Bug("conv-db-negated", "Convolution", "sign",
        "db is negated, `-np.sum(dout, axis=0)`, as if backward had to return the descent "
        "direction.",
        [(CONV_DB, CONV_DB.replace("np.sum(dout, axis=0)", "-np.sum(dout, axis=0)"))]),
    Bug("conv-input-subsampled-and-strided", "Convolution", "stride",
        "forward subsamples the input by the stride, `x[:, :, ::self.stride, ::self.stride]`, "
        "and also passes the stride to im2col.",
        [("        col = im2col(x, FH, FW, self.stride, self.pad)\n",
          "        col = im2col(x[:, :, ::self.stride, ::self.stride], FH, FW, self.stride,"
          " self.pad)\n")]),
    Bug("conv-sizes-same-padding", "Convolution", "output-size",
        "The output sizes assume 'same' padding: `out_h = H // self.stride`, "
        "`out_w = W // self.stride`.",
        [(CONV_SIZES, "        out_h = H // self.stride\n        out_w = W // self.stride\n")]),
    Bug("conv-columns-cached-transposed", "Convolution", "wrong-cached-value",
        "forward caches the columns already transposed, `self.col = col.T`, and backward "
        "still uses `self.col.T`.",
        [(CONV_CACHE, CONV_CACHE.replace("self.col = col\n", "self.col = col.T\n"))]),

    # ------------------------------------------------------------------------------------------
    # Pooling
    Bug("pool-max-into-argmax-buffer", "Pooling", "integer-dtype",
        "The maxima are written into `np.zeros_like(arg_max)`, an integer array.",
        [(POOL_WINDOWS, POOL_WINDOWS.replace(
            "        out = np.max(col, axis=1)\n",
            "        out = np.zeros_like(arg_max)\n        out[:] = np.max(col, axis=1)\n"))]),
    Bug("pool-pad-reset-after-padding", "Pooling", "state-mutated",
        "After padding the input by hand, forward sets `self.pad = 0` so that nothing pads "
        "twice, which changes the layer for backward's crop and for later calls.",
        [(POOL_PAD, POOL_PAD + "        self.pad = 0  # x_padded is padded already\n")]),
    Bug("pool-sizes-window-as-stride", "Pooling", "stride",
        "The output sizes divide by the window, `// self.pool_h + 1` and `// self.pool_w + 1`, "
        "instead of by the stride.",
        [(POOL_SIZES, POOL_SIZES.replace(") // self.stride + 1\n        out_w",
                                         ") // self.pool_h + 1\n        out_w")
          .replace("self.pool_w) // self.stride", "self.pool_w) // self.pool_w"))]),
    Bug("pool-pad-mode-minimum", "Pooling", "padding",
        "The input is padded with np.pad's `\"minimum\"` mode (the smallest value of each row "
        "or column) instead of -inf.",
        [(POOL_PAD, "        p = self.pad\n"
                    '        x_padded = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)],'
                    ' "minimum")\n')]),
    Bug("pool-sizes-from-padded-input", "Pooling", "padding",
        "The sizes are computed after padding, from `x_padded.shape`, with `2 * self.pad` still "
        "added.",
        [("        N, C, H, W = x.shape\n" + POOL_SIZES, ""),
         (POOL_PAD, POOL_PAD + "        N, C, H, W = x_padded.shape\n" + POOL_SIZES)]),
    Bug("pool-height-plus-window", "Pooling", "sign",
        "The output height adds the window instead of subtracting it: "
        "`(H + 2 * self.pad + self.pool_h) // self.stride + 1`.",
        [(POOL_SIZES, POOL_SIZES.replace("(H + 2 * self.pad - self.pool_h)",
                                         "(H + 2 * self.pad + self.pool_h)"))]),
    Bug("pool-max-over-window-rows", "Pooling", "reduction-axis",
        "The windows are reshaped to (pool_h, pool_w) and the maximum is taken over axis 1 "
        "only, one value per window column.",
        [(POOL_WINDOWS,
          "        col = col.reshape(-1, self.pool_h, self.pool_w)  # one window per row\n\n"
          "        arg_max = np.argmax(col.reshape(len(col), -1), axis=1)\n"
          "        out = np.max(col, axis=1)\n")]),
    Bug("pool-argmax-cached-nchw", "Pooling", "axis-order",
        "forward caches the argmax reshaped and transposed like the output, "
        "`arg_max.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)`, while backward flattens "
        "dout channels-last.",
        [("        self.arg_max = arg_max\n",
          "        self.arg_max = arg_max.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)\n")]),

    # ------------------------------------------------------------------------------------------
    # Relu
    Bug("relu-abs-trick-floor-division", "Relu", "integer-dtype",
        "forward computes `(x + np.abs(x)) // 2`, floor division instead of a halving.",
        [(RELU_FORWARD, "        out = (x + np.abs(x)) // 2\n        return out\n")]),
    Bug("relu-forward-selects-positives", "Relu", "output-size",
        "forward returns `x[~self.mask]`, the positive entries only, instead of zeroing the "
        "others.",
        [(RELU_FORWARD, "        out = x[~self.mask]\n        return out\n")]),
    Bug("relu-forward-abs", "Relu", "sign",
        "forward flips the sign of the negative entries, `out[self.mask] = -out[self.mask]`, "
        "instead of zeroing them.",
        [(RELU_FORWARD, RELU_FORWARD.replace("out[self.mask] = 0",
                                             "out[self.mask] = -out[self.mask]"))]),
    Bug("relu-mask-local", "Relu", "stale-forward",
        "forward keeps the mask in a local `mask`, so backward indexes with the `None` set in "
        "`__init__`.",
        [("        self.mask = (x <= 0)\n        out = x.copy()\n        out[self.mask] = 0\n",
          "        mask = (x <= 0)\n        out = x.copy()\n        out[mask] = 0\n")]),
    Bug("relu-output-flattened", "Relu", "output-size",
        "forward returns the output flattened per sample, `out.reshape(x.shape[0], -1)`.",
        [(RELU_FORWARD, RELU_FORWARD.replace("        return out\n",
                                             "        return out.reshape(x.shape[0], -1)\n"))]),
    Bug("relu-output-cached-as-mask", "Relu", "wrong-cached-value",
        "forward caches the output, `self.mask = np.maximum(x, 0)`, where backward expects the "
        "boolean mask.",
        [("        self.mask = (x <= 0)\n        out = x.copy()\n        out[self.mask] = 0\n",
          "        out = x.copy()\n        out[x <= 0] = 0\n"
          "        self.mask = np.maximum(x, 0)\n")]),

    # ------------------------------------------------------------------------------------------
    # Affine
    Bug("affine-no-flatten", "Affine", "missing-term",
        "forward leaves out the flattening `x.reshape(x.shape[0], -1)` of 4-D inputs.",
        [("        x = x.reshape(x.shape[0], -1)  # (N, C, H, W) -> (N, C*H*W)\n", "")]),
    Bug("affine-dw-from-batch-sums", "Affine", "reduction-axis",
        "dW is the outer product of the batch sums, "
        "`np.outer(self.x.sum(axis=0), dout.sum(axis=0))`, instead of a sum of per-sample "
        "products.",
        [("        self.dW = np.dot(self.x.T, dout)\n",
          "        self.dW = np.outer(self.x.sum(axis=0), dout.sum(axis=0))\n")]),
    Bug("affine-dx-unflattened-channels-last", "Affine", "axis-order",
        "backward unflattens 4-D gradients channels-last, `dx.reshape(N, H, W, C)` transposed "
        "back, while forward flattens channels-first.",
        [("        dx = dx.reshape(*self.original_x_shape)\n",
          "        if len(self.original_x_shape) == 4:\n"
          "            N, C, H, W = self.original_x_shape\n"
          "            dx = dx.reshape(N, H, W, C).transpose(0, 3, 1, 2)\n"
          "        else:\n"
          "            dx = dx.reshape(*self.original_x_shape)\n")]),
    Bug("affine-input-not-kept", "Affine", "stale-forward",
        "forward uses the flattened input as a local only, so backward reads the `self.x = None` "
        "of `__init__`.",
        [("        self.x = x\n        out = np.dot(self.x, self.W) + self.b\n",
          "        out = np.dot(x, self.W) + self.b\n")]),
    Bug("affine-db-from-dx", "Affine", "wrong-cached-value",
        "db is summed from `dx` instead of `dout`.",
        [(AFFINE_DB, AFFINE_DB.replace("np.sum(dout, axis=0)", "np.sum(dx, axis=0)"))]),

    # ------------------------------------------------------------------------------------------
    # SoftmaxWithLoss
    Bug("softmax-shift-first-score", "SoftmaxWithLoss", "numerical-stability",
        "softmax shifts each row by its first score, `x - x[..., :1]`, instead of its maximum.",
        [("    x = x - np.max(x, axis=-1, keepdims=True)  # shift so that exp cannot overflow\n",
          "    x = x - x[..., :1]  # any constant per row gives the same softmax\n")]),
    Bug("softmax-shift-first-row-max", "SoftmaxWithLoss", "numerical-stability",
        "softmax shifts every row by the first row's maximum, `x - np.max(x[0])`.",
        [("    x = x - np.max(x, axis=-1, keepdims=True)  # shift so that exp cannot overflow\n",
          "    x = x - np.max(x[0])  # shift so that exp cannot overflow\n")]),
    Bug("ce-log2", "SoftmaxWithLoss", "scale",
        "The cross-entropy uses `np.log2` instead of the natural logarithm.",
        [("np.log(y[np.arange(batch_size), t] + 1e-7)",
          "np.log2(y[np.arange(batch_size), t] + 1e-7)")]),
    Bug("softmax-loss-caches-predictions", "SoftmaxWithLoss", "wrong-cached-value",
        "forward caches the predicted labels, `self.t = self.y.argmax(axis=1)`, as the targets "
        "for backward.",
        [(SOFTMAX_LOSS_FORWARD,
          "        self.y = softmax(x)\n"
          "        self.t = self.y.argmax(axis=1)\n"
          "        self.loss = cross_entropy_error(self.y, t)\n")]),
    Bug("softmax-loss-dx-like-labels", "SoftmaxWithLoss", "integer-dtype",
        "The label branch makes dx with `np.zeros_like(self.t, shape=self.y.shape)` and copies "
        "the probabilities into it, an integer array.",
        [("            dx = self.y.copy()\n",
          "            dx = np.zeros_like(self.t, shape=self.y.shape)\n"
          "            dx[...] = self.y\n")]),
    Bug("softmax-loss-targets-not-kept", "SoftmaxWithLoss", "stale-forward",
        "forward passes `t` straight to the cross-entropy without `self.t = t`, so backward "
        "reads the `None` of `__init__`.",
        [(SOFTMAX_LOSS_FORWARD,
          "        self.y = softmax(x)\n"
          "        self.loss = cross_entropy_error(self.y, t)\n")]),

    # ------------------------------------------------------------------------------------------
    # SimpleConvNet
    Bug("net-pool-size-rounded-up", "SimpleConvNet", "output-size",
        "W2's rows count the pooled size rounded up, `(conv_h + 1) // 2`, although the pooling "
        "floors odd sizes.",
        [(NET_POOL_SIZE,
          "        pool_output_size = filter_num * ((conv_h + 1) // 2) * ((conv_w + 1) // 2)\n")]),
    Bug("net-no-first-relu", "SimpleConvNet", "missing-term",
        "The network leaves out the ReLU between the convolution and the pooling.",
        [("        self.layers['Relu1'] = Relu()\n", "")]),
    Bug("net-affines-params-exchanged", "SimpleConvNet", "swapped-arguments",
        "Affine1 is built from W3 and b3 and Affine2 from W2 and b2.",
        [(NET_AFFINES, NET_AFFINES.replace("'W2'", "'WX'").replace("'b2'", "'bX'")
          .replace("'W3'", "'W2'").replace("'b3'", "'b2'")
          .replace("'WX'", "'W3'").replace("'bX'", "'b3'"))]),
    Bug("net-accuracy-argmax-keepdims", "SimpleConvNet", "reduction-axis",
        "accuracy takes `np.argmax(y, axis=1, keepdims=True)`, so `y == tt` broadcasts to a "
        "batch-by-batch table.",
        [(NET_ACCURACY_BATCH, NET_ACCURACY_BATCH.replace("np.argmax(y, axis=1)",
                                                         "np.argmax(y, axis=1, keepdims=True)"))]),
    Bug("net-accuracy-scores-into-x", "SimpleConvNet", "overwrite",
        "accuracy stores each batch's scores in `x`, the name of the whole input, which later "
        "batches slice.",
        [(NET_ACCURACY_BATCH,
          "            x = self.predict(tx)\n"
          "            y = np.argmax(x, axis=1)\n")]),
    Bug("net-conv-sizes-same", "SimpleConvNet", "output-size",
        "The convolution's output size is taken as 'same', `input_h // filter_stride`, "
        "ignoring the filter size and the padding.",
        [(NET_CONV_SIZES, "        conv_h = input_h // filter_stride\n"
                          "        conv_w = input_w // filter_stride\n")]),

    # ------------------------------------------------------------------------------------------
    # added in a second round, after the first run of behaviour.py (see README.md)
    Bug("relu-derivative-without-half", "Relu", "scale",
        "forward is written `(x + np.abs(x)) / 2` and backward as its derivative without the "
        "half, `dout * (1 + np.sign(self.x))`.",
        [("        self.mask = (x <= 0)\n" + RELU_FORWARD,
          "        self.x = x\n        return (x + np.abs(x)) / 2\n"),
         ("        dout[self.mask] = 0\n        dx = dout\n        return dx\n",
          "        dx = dout * (1 + np.sign(self.x))  # d/dx (x + |x|) / 2\n        return dx\n")]),
    Bug("relu-zeros-buffer-reused", "Relu", "state-mutated",
        "forward keeps one zero-filled output buffer on the layer and copies only the positive "
        "entries into it, so entries that were positive in an earlier call stay.",
        [("        self.mask = None\n", "        self.mask = None\n        self.out = None\n"),
         (RELU_FORWARD,
          "        if self.out is None or self.out.shape != x.shape:\n"
          "            self.out = np.zeros_like(x)  # zeros once, reused by every call\n"
          "        np.copyto(self.out, x, where=~self.mask)\n"
          "        return self.out\n")]),
    Bug("conv-db-averaged-over-positions", "Convolution", "scale",
        "db is divided by the number of output positions, "
        "`dout.shape[0] // self.x.shape[0]`, as if the shared bias took their mean.",
        [(CONV_DB, CONV_DB.replace(
            "np.sum(dout, axis=0)\n",
            "np.sum(dout, axis=0) / (dout.shape[0] // self.x.shape[0])\n"))]),
    Bug("conv-hand-padding-resets-pad", "Convolution", "state-mutated",
        "forward pads the input by hand and then sets `self.pad = 0` so that im2col does not "
        "pad again, which changes the layer for backward and later calls.",
        [("        col = im2col(x, FH, FW, self.stride, self.pad)\n",
          "        x_in = x\n"
          "        if self.pad > 0:  # pad once here, then im2col must not pad again\n"
          "            p = self.pad\n"
          '            x_in = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], "constant")\n'
          "            self.pad = 0\n"
          "        col = im2col(x_in, FH, FW, self.stride, self.pad)\n")]),
    Bug("affine-flatten-height-twice", "Affine", "output-size",
        "4-D inputs are flattened to `x.shape[1] * x.shape[2] * x.shape[2]` features, the "
        "height written twice.",
        [("        x = x.reshape(x.shape[0], -1)  # (N, C, H, W) -> (N, C*H*W)\n",
          "        if x.ndim == 4:  # (N, C, H, W) -> (N, C*H*W)\n"
          "            x = x.reshape(x.shape[0], x.shape[1] * x.shape[2] * x.shape[2])\n")]),
    Bug("col2im-fancy-index-add", "col2im", "overwrite",
        "The windows are added back in one step with index arrays, "
        "`img[:, :, rows, cols] += ...`, where repeated pixels keep only the last window's "
        "value instead of the sum.",
        [("    for fy in range(filter_h):\n"
          "        fy_end = fy + stride * out_h\n"
          "        for fx in range(filter_w):\n"
          "            fx_end = fx + stride * out_w\n" + COL2IM_SLICE,
          "    # every window's pixel coordinates at once: (out_h, out_w, filter_h, filter_w)\n"
          "    rows = (stride * np.arange(out_h))[:, None, None, None]"
          " + np.arange(filter_h)[None, None, :, None]\n"
          "    cols = (stride * np.arange(out_w))[None, :, None, None]"
          " + np.arange(filter_w)[None, None, None, :]\n"
          "    img[:, :, rows, cols] += col.transpose(0, 1, 4, 5, 2, 3)\n")]),
    Bug("col2im-no-crop-without-pad", "col2im", "output-size",
        "col2im returns the whole buffer when `pad == 0`, although it is `stride - 1` larger "
        "than the image.",
        [("    return img[:, :, pad:H + pad, pad:W + pad]\n",
          "    if pad == 0:  # nothing to crop\n"
          "        return img\n"
          "    return img[:, :, pad:H + pad, pad:W + pad]\n")]),
    Bug("softmax-loss-from-scores-unshifted", "SoftmaxWithLoss", "numerical-stability",
        "forward computes the loss from the scores with a log-sum-exp that is not shifted, "
        "`x - np.log(np.sum(np.exp(x), axis=1, keepdims=True))`.",
        [("        self.loss = cross_entropy_error(self.y, self.t)\n",
          "        # log-softmax straight from the scores, more accurate than log(y)\n"
          "        labels = t.argmax(axis=1) if t.size == x.size else t\n"
          "        log_y = x - np.log(np.sum(np.exp(x), axis=1, keepdims=True))\n"
          "        self.loss = -np.mean(log_y[np.arange(x.shape[0]), labels])\n")]),
    Bug("softmax-loss-dx-target-column", "SoftmaxWithLoss", "missing-term",
        "The label branch subtracts 1 from whole columns, `dx[:, self.t] -= 1`, without the row "
        "index.",
        [("            dx[np.arange(batch_size), self.t] -= 1\n",
          "            dx[:, self.t] -= 1\n")]),
    Bug("net-predict-scales-input", "SimpleConvNet", "scale",
        "predict divides the input by 255 before the first layer.",
        [("    def predict(self, x):\n",
          "    def predict(self, x):\n        x = x / 255.0  # pixels to [0, 1]\n")]),
    Bug("net-backward-result-dropped", "SimpleConvNet", "missing-term",
        "gradient calls `layer.backward(dout)` without assigning the result, so every layer gets "
        "the loss layer's gradient.",
        [("            dout = layer.backward(dout)\n", "            layer.backward(dout)\n")]),
    Bug("net-pool-size-precedence", "SimpleConvNet", "output-size",
        "W2's rows are `filter_num * (conv_h // 2 * conv_w // 2)`, which Python reads as "
        "`((conv_h // 2) * conv_w) // 2`.",
        [(NET_POOL_SIZE,
          "        pool_output_size = filter_num * (conv_h // 2 * conv_w // 2)\n")]),
    Bug("pool-pad-mode-edge", "Pooling", "padding",
        "The input is padded with np.pad's `\"edge\"` mode, repeating the border pixels, "
        "instead of -inf.",
        [(POOL_PAD, "        p = self.pad\n"
                    '        x_padded = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], "edge")\n')]),
    Bug("net-conv-width-plus-filter", "SimpleConvNet", "sign",
        "The convolution's output width adds the filter size, "
        "`(input_w + filter_size + 2 * filter_pad) // filter_stride + 1`.",
        [(NET_CONV_SIZES, NET_CONV_SIZES.replace("(input_w - filter_size",
                                                 "(input_w + filter_size"))]),
    Bug("softmax-exp-float16", "SoftmaxWithLoss", "numerical-stability",
        "softmax exponentiates in half precision, `np.exp(x.astype(np.float16))`, to save "
        "memory.",
        [("    e = np.exp(x)\n", "    e = np.exp(x.astype(np.float16))\n")]),
    Bug("net-loss-reused-for-same-batch", "SimpleConvNet", "stale-forward",
        "loss returns the loss it computed last when it is given the same input array again, "
        "even after the parameters changed.",
        [("        y = self.predict(x)\n        return self.last_layer.forward(y, t)\n",
          "        if getattr(self, '_last_x', None) is x:  # same batch: reuse the loss\n"
          "            return self._last_loss\n"
          "        y = self.predict(x)\n"
          "        self._last_x, self._last_loss = x, self.last_layer.forward(y, t)\n"
          "        return self._last_loss\n")]),
]
