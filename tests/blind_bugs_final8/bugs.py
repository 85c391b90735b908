"""The eighth set of single-bug chapter 7 submissions written blind as a holdout: measured once
untouched, then a tuning set of the diagnosis (README.md has the figures and how it was made).

Each Bug is the correct example `conformance/examples/submission/cnn.py` with one mistake, given
as exact text replacements applied in order. The format and its machinery are the first
holdout's (tests/blind_bugs_holdout/bugs.py), imported; `BUGS` is this set's own. Every name
starts with `f8-`.
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
COL2IM_ROWS = ("    for fy in range(filter_h):\n"
               "        fy_end = fy + stride * out_h\n"
               "        for fx in range(filter_w):\n"
               "            fx_end = fx + stride * out_w\n"
               "            img[")
IM2COL_ROWS = ("    for fy in range(filter_h):\n"
               "        fy_end = fy + stride * out_h\n"
               "        for fx in range(filter_w):\n"
               "            fx_end = fx + stride * out_w\n"
               "            col[")
COL2IM_BUFFER = "    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))\n"
COL2IM_ADD = ("            img[:, :, fy:fy_end:stride, fx:fx_end:stride]"
              " += col[:, :, fy, fx, :, :]\n")
CONV_SIZES = ("        out_h = (H + 2 * self.pad - FH) // self.stride + 1\n"
              "        out_w = (W + 2 * self.pad - FW) // self.stride + 1\n")
POOL_SIZES = ("        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1\n"
              "        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1\n")
CONV_DB = "        self.db = np.sum(dout, axis=0)\n        self.dW = np.dot(self.col.T, dout)\n"
CONV_INIT_DB = "        self.db = None\n\n    def forward(self, x):\n        FN, C, FH, FW"
AFFINE_INIT_DW = ("        self.dW = None\n        self.db = None\n\n    def forward(self, x):\n"
                  "        self.original_x_shape")
AFFINE_DB = ("        self.db = np.sum(dout, axis=0)\n"
             "        dx = dx.reshape(*self.original_x_shape)\n")
AFFINE_FLATTEN = "        x = x.reshape(x.shape[0], -1)  # (N, C, H, W) -> (N, C*H*W)\n"
RELU_FORWARD = "        out = x.copy()\n        out[self.mask] = 0\n        return out\n"
RELU_BACKWARD = "        dout[self.mask] = 0\n        dx = dout\n        return dx\n"
SOFTMAX_BODY = ("    x = x - np.max(x, axis=-1, keepdims=True)"
                "  # shift so that exp cannot overflow\n"
                "    e = np.exp(x)\n")
ONE_HOT_DX = "            dx = (self.y - self.t) / batch_size\n"
NET_SIZES = ("        conv_h = (input_h - filter_size + 2 * filter_pad) // filter_stride + 1\n"
             "        conv_w = (input_w - filter_size + 2 * filter_pad) // filter_stride + 1\n")
ACCURACY_LOOP = ("        for start in range(0, x.shape[0], batch_size):"
                 "  # the last batch may be shorter\n"
                 "            tx = x[start:start + batch_size]\n"
                 "            tt = t[start:start + batch_size]\n")


def _sub(text, old, new):
    """`text` with its one `old` made `new` (for building a row's replacement)."""
    assert text.count(old) == 1, (old, text)
    return text.replace(old, new)


BUGS = [
    # ------------------------------------------------------------------------------------------
    # im2col
    Bug("f8-im2col-shape-w-h", "im2col", "swapped-arguments",
        "Unpacks the input shape as `N, C, W, H`, exchanging the height and the width.",
        [("    N, C, H, W = input_data.shape\n", "    N, C, W, H = input_data.shape\n")]),
    Bug("f8-im2col-rows-n-out-h", "im2col", "output-size",
        "Reshapes the columns to `(N * out_h, -1)`, leaving `out_w` out of the row count.",
        [("    col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)\n",
          "    col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h, -1)\n")]),
    Bug("f8-im2col-pad-after-only", "im2col", "padding",
        "Gives np.pad the widths `(0, 2 * pad)`, so all the padding goes below and to the right "
        "of the image and none above or to the left.",
        [('    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")\n',
          '    img = np.pad(input_data, [(0, 0), (0, 0), (0, 2 * pad), (0, 2 * pad)], '
          '"constant")\n')]),
    Bug("f8-im2col-out-w-no-stride", "im2col", "stride",
        "Leaves `// stride` out of the output width, so `out_w` is the stride-1 width.",
        [(IM2COL_SIZES, _sub(IM2COL_SIZES, "out_w = (W + 2 * pad - filter_w) // stride + 1",
                             "out_w = (W + 2 * pad - filter_w) + 1"))]),
    Bug("f8-im2col-plus-filter-h", "im2col", "sign",
        "Adds the filter height in the output height, `(H + 2 * pad + filter_h)`, instead of "
        "subtracting it.",
        [(IM2COL_SIZES, _sub(IM2COL_SIZES, "(H + 2 * pad - filter_h)",
                             "(H + 2 * pad + filter_h)"))]),

    # ------------------------------------------------------------------------------------------
    # col2im
    Bug("f8-col2im-col-last-axes", "col2im", "axis-order",
        "Takes each filter offset's entries as `col[:, :, :, :, fy, fx]`, indexing the output "
        "position axes instead of the filter axes.",
        [(COL2IM_ADD, COL2IM_ADD.replace("col[:, :, fy, fx, :, :]", "col[:, :, :, :, fy, fx]"))]),
    Bug("f8-col2im-start-times-stride", "col2im", "stride",
        "Starts the slices at `fy * stride` and `fx * stride` instead of at the filter offsets.",
        [(COL2IM_ADD, COL2IM_ADD.replace("fy:fy_end:stride, fx:fx_end:stride",
                                         "fy * stride:fy_end:stride, fx * stride:fx_end:stride"))]),
    Bug("f8-col2im-row-end-minus-one", "col2im", "output-size",
        "Ends the row slices at `fy + stride * out_h - 1`, one short.",
        [(COL2IM_ROWS, _sub(COL2IM_ROWS, "fy_end = fy + stride * out_h",
                            "fy_end = fy + stride * out_h - 1"))]),
    Bug("f8-col2im-buffer-w-h", "col2im", "swapped-arguments",
        "Makes the image buffer `(N, C, W + …, H + …)`, with the height and the width exchanged.",
        [(COL2IM_BUFFER,
          "    img = np.zeros((N, C, W + 2 * pad + stride - 1, H + 2 * pad + stride - 1))\n")]),
    Bug("f8-col2im-add-dedented", "col2im", "missing-term",
        "Dedents the `+=` out of the `fx` loop, so each filter row adds only its last column.",
        [(COL2IM_ADD, COL2IM_ADD[4:])]),

    # ------------------------------------------------------------------------------------------
    # Convolution
    Bug("f8-conv-dout-forward-transpose", "Convolution", "axis-order",
        "Transposes dout in backward with forward's `(0, 3, 1, 2)` instead of `(0, 2, 3, 1)`.",
        [("        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n",
          "        dout = dout.transpose(0, 3, 1, 2).reshape(-1, FN)\n")]),
    Bug("f8-conv-col-w-not-kept", "Convolution", "stale-forward",
        "Leaves out `self.col_W = col_W` in forward, so backward reads the `None` of `__init__`.",
        [("        self.col_W = col_W\n", "")]),
    Bug("f8-conv-dw-reshape-fw-fh", "Convolution", "swapped-arguments",
        "Reshapes dW to `(FN, C, FW, FH)`, with the filter height and width exchanged.",
        [("        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)\n",
          "        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FW, FH)\n")]),
    Bug("f8-conv-out-h-pad-once", "Convolution", "padding",
        "Counts the padding once in the output height, `(H + self.pad - FH)`.",
        [(CONV_SIZES, _sub(CONV_SIZES, "(H + 2 * self.pad - FH)", "(H + self.pad - FH)"))]),
    Bug("f8-conv-dx-averaged", "Convolution", "scale",
        "Divides dx by `FH * FW`, averaging what the filter positions send back to a pixel.",
        [("        dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)\n",
          "        dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad) / (FH * FW)\n")]),
    Bug("f8-conv-db-keepdims", "Convolution", "reduction-axis",
        "Sums db with `keepdims=True`, giving a (1, FN) gradient for the (FN,) bias.",
        [(CONV_DB, _sub(CONV_DB, "np.sum(dout, axis=0)", "np.sum(dout, axis=0, keepdims=True)"))]),
    Bug("f8-conv-db-nchw-axes", "Convolution", "reduction-axis",
        "Sums db from the (N, FN, out_h, out_w) dout before the transpose over axes "
        "`(0, 1, 2)`, the channels-last axes, instead of `(0, 2, 3)`.",
        [("        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n\n"
          "        self.db = np.sum(dout, axis=0)\n",
          "        self.db = np.sum(dout, axis=(0, 1, 2))\n"
          "        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n\n")]),
    Bug("f8-conv-x-cached-as-col", "Convolution", "wrong-cached-value",
        "Keeps the columns in `self.x` (`self.x = col`), so backward gives col2im the columns' "
        "shape as the input shape.",
        [("        self.x = x\n        self.col = col\n",
          "        self.x = col\n        self.col = col\n")]),
    Bug("f8-conv-out-w-minus-one", "Convolution", "sign",
        "Ends the output width formula with `- 1` instead of `+ 1`.",
        [(CONV_SIZES, _sub(CONV_SIZES, "(W + 2 * self.pad - FW) // self.stride + 1",
                           "(W + 2 * self.pad - FW) // self.stride - 1"))]),
    Bug("f8-conv-im2col-default-stride", "Convolution", "stride",
        "Calls `im2col(x, FH, FW, pad=self.pad)`, leaving im2col's stride at its default 1.",
        [("        col = im2col(x, FH, FW, self.stride, self.pad)\n",
          "        col = im2col(x, FH, FW, pad=self.pad)\n")]),

    # ------------------------------------------------------------------------------------------
    # Pooling
    Bug("f8-pool-out-h-no-plus-one", "Pooling", "output-size",
        "Leaves the `+ 1` out of the output height.",
        [(POOL_SIZES, _sub(POOL_SIZES, "(H + 2 * self.pad - self.pool_h) // self.stride + 1",
                           "(H + 2 * self.pad - self.pool_h) // self.stride"))]),
    Bug("f8-pool-zero-padding", "Pooling", "padding",
        "Pads with np.pad's default zeros, leaving out `constant_values=-np.inf`.",
        [('        x_padded = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], "constant",\n'
          "                          constant_values=-np.inf)\n",
          '        x_padded = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], "constant")\n')]),
    Bug("f8-pool-crop-leading-only", "Pooling", "padding",
        "Returns `dx_padded[:, :, p:, p:]`, cropping the padding off the top and the left only.",
        [("        return dx_padded[:, :, p:p + H, p:p + W]\n",
          "        return dx_padded[:, :, p:, p:]\n")]),
    Bug("f8-pool-im2col-pad-stride-swapped", "Pooling", "swapped-arguments",
        "Calls `im2col(x_padded, self.pool_h, self.pool_w, 0, self.stride)`, with the stride "
        "and the padding exchanged.",
        [("        col = im2col(x_padded, self.pool_h, self.pool_w, self.stride, 0)\n",
          "        col = im2col(x_padded, self.pool_h, self.pool_w, 0, self.stride)\n")]),
    Bug("f8-pool-stride-two-hardcoded", "Pooling", "stride",
        "Divides by a hard-coded `2` in the output sizes instead of `self.stride`.",
        [(POOL_SIZES, POOL_SIZES.replace("// self.stride + 1", "// 2 + 1"))]),
    Bug("f8-pool-padded-shape-not-kept", "Pooling", "stale-forward",
        "Leaves out `self.padded_shape = x_padded.shape` in forward, so backward gives col2im "
        "the `None` of `__init__`.",
        [("        self.padded_shape = x_padded.shape\n", "")]),
    Bug("f8-pool-rows-batch-inner", "Pooling", "axis-order",
        "Reshapes the maxima to `(out_h, out_w, N, C)` and transposes `(2, 3, 0, 1)`, as if the "
        "window rows ran over the batch fastest.",
        [("        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)\n",
          "        out = out.reshape(out_h, out_w, N, C).transpose(2, 3, 0, 1)\n")]),
    Bug("f8-pool-minus-pad", "Pooling", "sign",
        "Subtracts the padding in the output height, `(H - 2 * self.pad - self.pool_h)`.",
        [(POOL_SIZES, _sub(POOL_SIZES, "(H + 2 * self.pad - self.pool_h)",
                           "(H - 2 * self.pad - self.pool_h)"))]),
    Bug("f8-pool-dmax-argmax-dtype", "Pooling", "integer-dtype",
        "Makes dmax with `dtype=self.arg_max.dtype`, an integer array, so the gradients written "
        "into it are truncated.",
        [("        dmax = np.zeros((dout.size, pool_size))\n",
          "        dmax = np.zeros((dout.size, pool_size), dtype=self.arg_max.dtype)\n")]),

    # ------------------------------------------------------------------------------------------
    # Relu
    Bug("f8-relu-astype-int", "Relu", "integer-dtype",
        "Copies the input with `x.astype(int)` instead of `x.copy()`, truncating the output to "
        "integers.",
        [(RELU_FORWARD, RELU_FORWARD.replace("out = x.copy()", "out = x.astype(int)"))]),
    Bug("f8-relu-backward-from-x", "Relu", "stale-forward",
        "Writes backward as `dout * (self.x > 0)` with `self.x = None` in `__init__` but never "
        "stores x in forward.",
        [("        self.mask = None\n", "        self.mask = None\n        self.x = None\n"),
         (RELU_BACKWARD, "        dx = dout * (self.x > 0)\n        return dx\n")]),
    Bug("f8-relu-forward-no-zeroing", "Relu", "missing-term",
        "Leaves out `out[self.mask] = 0`, so forward returns a copy of the input.",
        [(RELU_FORWARD, "        out = x.copy()\n        return out\n")]),
    Bug("f8-relu-zeroes-input-first", "Relu", "state-mutated",
        "Zeroes `x[self.mask]` and then copies x, changing the caller's array.",
        [(RELU_FORWARD, "        x[self.mask] = 0\n        out = x.copy()\n        return out\n")]),
    Bug("f8-relu-backward-returns-dout", "Relu", "missing-term",
        "Masks a copy of dout in backward but returns dout itself.",
        [(RELU_BACKWARD,
          "        dx = dout.copy()\n        dx[self.mask] = 0\n        return dout\n")]),
    Bug("f8-relu-minimum", "Relu", "sign",
        "Writes forward as `np.minimum(x, 0)` instead of keeping the positive part.",
        [(RELU_FORWARD, "        out = np.minimum(x, 0)\n        return out\n")]),

    # ------------------------------------------------------------------------------------------
    # Affine
    Bug("f8-affine-flatten-shape1", "Affine", "output-size",
        "Flattens with `x.reshape(x.shape[0], x.shape[1])`, which only fits 2-D inputs.",
        [(AFFINE_FLATTEN, AFFINE_FLATTEN.replace("x.reshape(x.shape[0], -1)",
                                                 "x.reshape(x.shape[0], x.shape[1])"))]),
    Bug("f8-affine-db-negated", "Affine", "sign",
        "Negates the bias gradient, `self.db = -np.sum(dout, axis=0)`.",
        [(AFFINE_DB, _sub(AFFINE_DB, "self.db = np.sum", "self.db = -np.sum"))]),
    Bug("f8-affine-flatten-columns-transposed", "Affine", "axis-order",
        "Flattens with `x.reshape(-1, x.shape[0]).T`, giving the right shape with the entries of "
        "different samples mixed.",
        [(AFFINE_FLATTEN, AFFINE_FLATTEN.replace("x.reshape(x.shape[0], -1)",
                                                 "x.reshape(-1, x.shape[0]).T"))]),
    Bug("f8-affine-db-from-x", "Affine", "wrong-cached-value",
        "Sums the cached input instead of dout for db, `np.sum(self.x, axis=0)`.",
        [(AFFINE_DB, _sub(AFFINE_DB, "np.sum(dout, axis=0)", "np.sum(self.x, axis=0)"))]),
    Bug("f8-affine-products-swapped", "Affine", "swapped-arguments",
        "Assigns the two products to each other's names: `dx = np.dot(self.x.T, dout)` and "
        "`self.dW = np.dot(dout, self.W.T)`.",
        [("        dx = np.dot(dout, self.W.T)\n        self.dW = np.dot(self.x.T, dout)\n",
          "        dx = np.dot(self.x.T, dout)\n        self.dW = np.dot(dout, self.W.T)\n")]),
    Bug("f8-affine-dx-flat-shape", "Affine", "wrong-cached-value",
        "Reshapes dx to `self.x.shape`, the flattened input's shape, instead of the original one.",
        [(AFFINE_DB, _sub(AFFINE_DB, "dx.reshape(*self.original_x_shape)",
                          "dx.reshape(*self.x.shape)"))]),

    # ------------------------------------------------------------------------------------------
    # SoftmaxWithLoss
    Bug("f8-softmax-shift-unused", "SoftmaxWithLoss", "numerical-stability",
        "Stores the shifted scores in `x_shift` but takes `np.exp(x)` of the unshifted ones.",
        [(SOFTMAX_BODY, SOFTMAX_BODY.replace("    x = x - np.max", "    x_shift = x - np.max"))]),
    Bug("f8-softmax-divide-exp-max", "SoftmaxWithLoss", "numerical-stability",
        "Divides `np.exp(x)` by `np.exp` of the row maximum instead of subtracting the maximum "
        "before the exponential.",
        [(SOFTMAX_BODY,
          "    e = np.exp(x) / np.exp(np.max(x, axis=-1, keepdims=True))\n")]),
    Bug("f8-softmax-float32", "SoftmaxWithLoss", "numerical-stability",
        "Casts the scores to float32 before the shift, `x = x.astype(np.float32) - np.max(...)`.",
        [(SOFTMAX_BODY, SOFTMAX_BODY.replace("    x = x - np.max",
                                             "    x = x.astype(np.float32) - np.max"))]),
    Bug("f8-cross-entropy-one-hot-no-delta", "SoftmaxWithLoss", "numerical-stability",
        "Computes the one-hot loss as `-np.sum(t * np.log(y)) / batch`, without the 1e-7, so a "
        "probability that underflows to 0 gives `0 * -inf`.",
        [("    if t.size == y.size:\n        t = t.argmax(axis=1)\n",
          "    if t.size == y.size:\n"
          "        return -np.sum(t * np.log(y)) / y.shape[0]\n")]),
    Bug("f8-softmax-one-hot-dx-over-size", "SoftmaxWithLoss", "scale",
        "Divides the one-hot gradient by `self.t.size`, the number of target entries, instead of "
        "the batch size.",
        [(ONE_HOT_DX, ONE_HOT_DX.replace("/ batch_size", "/ self.t.size"))]),
    Bug("f8-cross-entropy-one-hot-axis1", "SoftmaxWithLoss", "reduction-axis",
        "Computes the one-hot loss as `-np.sum(t * np.log(y + 1e-7), axis=1) / batch`, one value "
        "per sample instead of one number.",
        [("    if t.size == y.size:\n        t = t.argmax(axis=1)\n",
          "    if t.size == y.size:\n"
          "        return -np.sum(t * np.log(y + 1e-7), axis=1) / y.shape[0]\n")]),
    Bug("f8-softmax-not-normalised", "SoftmaxWithLoss", "missing-term",
        "Returns the shifted exponentials from softmax without dividing by their row sums.",
        [("    return e / np.sum(e, axis=-1, keepdims=True)\n", "    return e\n")]),
    Bug("f8-softmax-label-dx-over-classes", "SoftmaxWithLoss", "scale",
        "Divides the label gradient by `self.y.shape[1]`, the number of classes, instead of the "
        "batch size.",
        [("            dx = dx / batch_size\n", "            dx = dx / self.y.shape[1]\n")]),

    # ------------------------------------------------------------------------------------------
    # SimpleConvNet
    Bug("f8-net-accuracy-book-loop", "SimpleConvNet", "missing-term",
        "Loops over `range(x.shape[0] // batch_size)` whole batches, leaving out the last, "
        "shorter batch (and every sample when there are fewer than `batch_size`).",
        [(ACCURACY_LOOP,
          "        for i in range(x.shape[0] // batch_size):\n"
          "            tx = x[i * batch_size:(i + 1) * batch_size]\n"
          "            tt = t[i * batch_size:(i + 1) * batch_size]\n")]),
    Bug("f8-net-conv-w-equals-h", "SimpleConvNet", "output-size",
        "Sets `conv_w = conv_h`, as if every input were square.",
        [(NET_SIZES, NET_SIZES.split("\n")[0] + "\n        conv_w = conv_h\n")]),
    Bug("f8-net-conv-size-stride-filter-swapped", "SimpleConvNet", "swapped-arguments",
        "Exchanges the filter size and the stride in the convolution sizes, "
        "`(input_h - filter_stride + 2 * filter_pad) // filter_size + 1`.",
        [(NET_SIZES, NET_SIZES.replace("- filter_size +", "- filter_stride +")
          .replace("// filter_stride + 1", "// filter_size + 1"))]),
    Bug("f8-net-predict-not-assigned", "SimpleConvNet", "missing-term",
        "Calls `layer.forward(x)` in predict without assigning the result to x.",
        [("            x = layer.forward(x)\n        return x\n",
          "            layer.forward(x)\n        return x\n")]),
    Bug("f8-net-b2-key-b1", "SimpleConvNet", "overwrite",
        "Stores the hidden bias under `'b1'`, copied from the line above, overwriting the "
        "convolution's bias and leaving `'b2'` unset.",
        [("        self.params['b2'] = np.zeros(hidden_size)\n",
          "        self.params['b1'] = np.zeros(hidden_size)\n")]),
    Bug("f8-net-b3-int", "SimpleConvNet", "integer-dtype",
        "Makes the output bias `np.zeros(output_size, dtype=int)`.",
        [("        self.params['b3'] = np.zeros(output_size)\n",
          "        self.params['b3'] = np.zeros(output_size, dtype=int)\n")]),
    Bug("f8-net-grad-b3-param", "SimpleConvNet", "wrong-cached-value",
        "Returns the second Affine's bias `.b` as the b3 gradient instead of `.db`.",
        [("self.layers['Affine2'].dW, self.layers['Affine2'].db\n",
          "self.layers['Affine2'].dW, self.layers['Affine2'].b\n")]),
]
