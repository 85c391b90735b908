"""The seventh set of single-bug chapter 7 submissions written blind as a holdout: measured once
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
COL2IM_BUFFER = "    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))\n"
CONV_SHAPES = "        N, C, H, W = x.shape\n        out_h = (H + 2 * self.pad - FH)"
CONV_BACKWARD_SHAPES = ("        FN, C, FH, FW = self.W.shape\n"
                        "        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n")
CONV_DB = "        self.db = np.sum(dout, axis=0)\n        self.dW = np.dot(self.col.T, dout)\n"
POOL_SIZES = ("        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1\n"
              "        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1\n")
RELU_FORWARD = ("        self.mask = (x <= 0)\n"
                "        out = x.copy()\n"
                "        out[self.mask] = 0\n"
                "        return out\n")
AFFINE_DB = ("        self.db = np.sum(dout, axis=0)\n"
             "        dx = dx.reshape(*self.original_x_shape)\n")
NET_CONV_SIZES = ("        conv_h = (input_h - filter_size + 2 * filter_pad) // filter_stride + 1\n"
                  "        conv_w = (input_w - filter_size + 2 * filter_pad)"
                  " // filter_stride + 1\n")

BUGS = [
    # ------------------------------------------------------------------------------------------
    # im2col
    Bug("im2col-transpose-of-col2im", "im2col", "axis-order",
        "im2col reorders its buffer with col2im's permutation (0, 3, 4, 5, 1, 2) instead of "
        "(0, 4, 5, 1, 2, 3) before flattening it.",
        [("col = col.transpose(0, 4, 5, 1, 2, 3)", "col = col.transpose(0, 3, 4, 5, 1, 2)")]),
    Bug("im2col-returns-transpose", "im2col", "axis-order",
        "im2col returns its matrix transposed, one column per filter position instead of one "
        "row.",
        [("    return col\n", "    return col.T\n")]),
    Bug("im2col-sizes-with-modulo", "im2col", "output-size",
        "im2col computes both output sizes with % instead of // before adding one.",
        [(IM2COL_SIZES,
          IM2COL_SIZES.replace(") // stride + 1", ") % stride + 1"))]),
    Bug("im2col-slice-ends-minus-one", "im2col", "output-size",
        "im2col takes one off both slice ends, as if a slice's end were inclusive.",
        [(IM2COL_ROWS,
          IM2COL_ROWS.replace("stride * out_h\n", "stride * out_h - 1\n")
                     .replace("stride * out_w\n", "stride * out_w - 1\n"))]),
    Bug("im2col-filter-x-index-dropped", "im2col", "missing-term",
        "im2col leaves fx out of the buffer index, col[:, :, fy, :, :, :] = ..., so each slice "
        "is broadcast over every filter column.",
        [("col[:, :, fy, fx, :, :] = img", "col[:, :, fy, :, :, :] = img")]),
    Bug("im2col-buffer-out-w-before-out-h", "im2col", "swapped-arguments",
        "im2col allocates its buffer with the output width before the output height.",
        [("col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))",
          "col = np.zeros((N, C, filter_h, filter_w, out_w, out_h))")]),
    Bug("im2col-float16-buffer", "im2col", "numerical-stability",
        "im2col allocates its column buffer in float16 to save memory.",
        [("col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))",
          "col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=np.float16)")]),
    Bug("im2col-pads-batch-and-channels", "im2col", "padding",
        "im2col gives np.pad the (pad, pad) widths for the batch and channel axes and (0, 0) for "
        "the height and width.",
        [("[(0, 0), (0, 0), (pad, pad), (pad, pad)]", "[(pad, pad), (pad, pad), (0, 0), (0, 0)]")]),
    # ------------------------------------------------------------------------------------------
    # col2im
    Bug("col2im-crop-height-twice", "col2im", "output-size",
        "col2im crops the width with the height, img[:, :, pad:H + pad, pad:H + pad].",
        [("return img[:, :, pad:H + pad, pad:W + pad]",
          "return img[:, :, pad:H + pad, pad:H + pad]")]),
    Bug("col2im-crop-strided", "col2im", "stride",
        "col2im crops the image with a step of stride, keeping every stride-th pixel only.",
        [("return img[:, :, pad:H + pad, pad:W + pad]",
          "return img[:, :, pad:H + pad:stride, pad:W + pad:stride]")]),
    Bug("col2im-sizes-times-stride", "col2im", "stride",
        "col2im, being the reverse of im2col, multiplies by the stride in the output sizes "
        "instead of dividing.",
        [(COL2IM_SIZES, COL2IM_SIZES.replace(") // stride + 1", ") * stride + 1"))]),
    Bug("col2im-out-w-minus-one", "col2im", "sign",
        "col2im subtracts one instead of adding one in the output width.",
        [(COL2IM_SIZES,
          COL2IM_SIZES.replace("filter_w) // stride + 1", "filter_w) // stride - 1"))]),
    Bug("col2im-float16-buffer", "col2im", "numerical-stability",
        "col2im accumulates the image in a float16 buffer.",
        [(COL2IM_BUFFER, COL2IM_BUFFER.replace("))\n", "), dtype=np.float16)\n"))]),
    Bug("col2im-buffer-minus-stride", "col2im", "sign",
        "col2im sizes its buffer H + 2 * pad - stride + 1 (and the same for the width) instead "
        "of + stride - 1.",
        [(COL2IM_BUFFER, COL2IM_BUFFER.replace("+ stride - 1", "- stride + 1"))]),
    # ------------------------------------------------------------------------------------------
    # Convolution
    Bug("conv-forward-transpose-of-backward", "Convolution", "axis-order",
        "The convolution's forward reorders its output with backward's transpose (0, 2, 3, 1) "
        "instead of (0, 3, 1, 2).",
        [("out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)",
          "out = out.reshape(N, out_h, out_w, -1).transpose(0, 2, 3, 1)")]),
    Bug("conv-input-shape-width-height", "Convolution", "swapped-arguments",
        "The convolution's forward unpacks the input's shape as N, C, W, H.",
        [(CONV_SHAPES, CONV_SHAPES.replace("N, C, H, W = x.shape", "N, C, W, H = x.shape"))]),
    Bug("conv-backward-shape-from-input", "Convolution", "wrong-cached-value",
        "The convolution's backward unpacks FN, C, FH, FW from the cached input's shape instead "
        "of the filters'.",
        [(CONV_BACKWARD_SHAPES,
          CONV_BACKWARD_SHAPES.replace("= self.W.shape", "= self.x.shape"))]),
    Bug("conv-dcol-from-columns", "Convolution", "wrong-cached-value",
        "The convolution's backward multiplies dout by the cached input columns' transpose "
        "instead of the flattened filters'.",
        [("dcol = np.dot(dout, self.col_W.T)", "dcol = np.dot(dout, self.col.T)")]),
    Bug("conv-im2col-pad-for-stride", "Convolution", "missing-term",
        "The convolution's forward calls im2col without the stride, so the padding is passed "
        "where the stride belongs.",
        [("col = im2col(x, FH, FW, self.stride, self.pad)", "col = im2col(x, FH, FW, self.pad)")]),
    Bug("conv-col2im-stride-as-pad", "Convolution", "padding",
        "The convolution's backward passes the stride as col2im's padding.",
        [("dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)",
          "dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.stride)")]),
    Bug("conv-input-not-kept", "Convolution", "stale-forward",
        "The convolution's forward never stores self.x, which backward reads for the input "
        "shape.",
        [("        self.x = x\n        self.col = col\n", "        self.col = col\n")]),
    Bug("conv-db-summed-as-int", "Convolution", "integer-dtype",
        "The convolution's bias gradient is summed with dtype=int.",
        [(CONV_DB, CONV_DB.replace("np.sum(dout, axis=0)", "np.sum(dout, axis=0, dtype=int)"))]),
    Bug("conv-db-overwritten-by-dw", "Convolution", "overwrite",
        "The convolution's backward stores the reshaped filter gradient into self.db, so db is "
        "lost and dW stays a 2-D matrix.",
        [("        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)\n",
          "        self.db = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)\n")]),

    # ------------------------------------------------------------------------------------------
    # Pooling
    Bug("pool-padded-shape-unpadded", "Pooling", "wrong-cached-value",
        "Pooling caches the unpadded input's shape as self.padded_shape.",
        [("self.padded_shape = x_padded.shape", "self.padded_shape = x.shape")]),
    Bug("pool-crop-height-twice", "Pooling", "output-size",
        "Pooling's backward crops the width with the height, [p:p + H, p:p + H].",
        [("return dx_padded[:, :, p:p + H, p:p + W]", "return dx_padded[:, :, p:p + H, p:p + H]")]),
    Bug("pool-window-size-added", "Pooling", "output-size",
        "Pooling's backward computes the window size as pool_h + pool_w instead of "
        "pool_h * pool_w.",
        [("pool_size = self.pool_h * self.pool_w", "pool_size = self.pool_h + self.pool_w")]),
    Bug("pool-out-w-minus-one", "Pooling", "sign",
        "Pooling's forward subtracts one instead of adding one in the output width.",
        [(POOL_SIZES, POOL_SIZES.replace("self.pool_w) // self.stride + 1",
                                         "self.pool_w) // self.stride - 1"))]),
    Bug("pool-pads-with-nan", "Pooling", "padding",
        "Pooling pads with NaN instead of -inf, thinking the maximum ignores it.",
        [("constant_values=-np.inf)", "constant_values=np.nan)")]),
    Bug("pool-dmax-dims-swapped", "Pooling", "swapped-arguments",
        "Pooling's backward allocates dmax as (pool_size, dout.size) instead of "
        "(dout.size, pool_size).",
        [("dmax = np.zeros((dout.size, pool_size))", "dmax = np.zeros((pool_size, dout.size))")]),
    Bug("pool-input-shape-not-kept", "Pooling", "stale-forward",
        "Pooling's forward never stores self.x_shape, which backward reads for the crop.",
        [("        self.x_shape = x.shape\n", "")]),
    Bug("pool-sizes-pad-once", "Pooling", "padding",
        "Pooling's output sizes count the padding once, H + self.pad, instead of on both sides.",
        [(POOL_SIZES, POOL_SIZES.replace("2 * self.pad", "self.pad"))]),

    # ------------------------------------------------------------------------------------------
    # Relu
    Bug("relu-forward-compares-instead-of-assigns", "Relu", "missing-term",
        "The ReLU's forward writes out[self.mask] == 0, a comparison, so nothing is zeroed.",
        [(RELU_FORWARD, RELU_FORWARD.replace("out[self.mask] = 0", "out[self.mask] == 0"))]),
    Bug("relu-backward-negates", "Relu", "sign",
        "The ReLU's backward multiplies the masked gradient by -1 instead of setting it to 0.",
        [("        dout[self.mask] = 0\n", "        dout[self.mask] *= -1\n")]),
    Bug("relu-mask-flattened", "Relu", "missing-term",
        "The ReLU's forward works on the flattened input and keeps the flattened mask, and "
        "backward indexes the unflattened dout with it without reshaping.",
        [(RELU_FORWARD,
          "        self.mask = (x <= 0).flatten()\n"
          "        out = x.flatten()\n"
          "        out[self.mask] = 0\n"
          "        return out.reshape(x.shape)\n")]),
    Bug("relu-backward-divided-by-batch", "Relu", "scale",
        "The ReLU's backward divides its gradient by the batch size.",
        [("        dx = dout\n        return dx\n",
          "        dx = dout / dout.shape[0]\n        return dx\n")]),
    Bug("relu-input-kept-as-mask", "Relu", "wrong-cached-value",
        "The ReLU keeps the input itself as self.mask and compares it only in forward.",
        [(RELU_FORWARD, "        self.mask = x\n"
                        "        out = x.copy()\n"
                        "        out[x <= 0] = 0\n"
                        "        return out\n")]),
    Bug("relu-output-like-mask", "Relu", "integer-dtype",
        "The ReLU's forward builds its output with np.zeros_like(self.mask), a boolean array, "
        "and copies the positive inputs into it.",
        [(RELU_FORWARD, "        self.mask = (x <= 0)\n"
                        "        out = np.zeros_like(self.mask)\n"
                        "        out[~self.mask] = x[~self.mask]\n"
                        "        return out\n")]),
    Bug("relu-mask-attribute-typo", "Relu", "stale-forward",
        "The ReLU's forward stores its mask as self.masks, so backward indexes with the None "
        "left by __init__.",
        [(RELU_FORWARD, RELU_FORWARD.replace("self.mask", "self.masks"))]),

    # ------------------------------------------------------------------------------------------
    # Affine
    Bug("affine-db-not-summed", "Affine", "reduction-axis",
        "The affine layer's bias gradient is dout itself, not summed over the batch.",
        [(AFFINE_DB, AFFINE_DB.replace("np.sum(dout, axis=0)", "dout"))]),
    Bug("affine-dx-from-input", "Affine", "wrong-cached-value",
        "The affine layer's backward multiplies dout by the cached input's transpose instead of "
        "the weights'.",
        [("dx = np.dot(dout, self.W.T)", "dx = np.dot(dout, self.x.T)")]),
    Bug("affine-flattens-everything", "Affine", "output-size",
        "The affine layer flattens its input with x.flatten(), losing the batch axis.",
        [("x = x.reshape(x.shape[0], -1)  # (N", "x = x.flatten()  # (N")]),
    Bug("affine-input-shape-not-kept", "Affine", "stale-forward",
        "The affine layer's forward never stores self.original_x_shape, which backward uses "
        "to reshape dx.",
        [("        self.original_x_shape = x.shape\n", "")]),
    Bug("affine-dx-transposed", "Affine", "axis-order",
        "The affine layer's backward transposes dx before reshaping it to the input's shape.",
        [("dx = np.dot(dout, self.W.T)", "dx = np.dot(dout, self.W.T).T")]),
    Bug("affine-flatten-by-second-axis", "Affine", "output-size",
        "The affine layer flattens to x.size // x.shape[1] features instead of "
        "x.size // x.shape[0].",
        [("x = x.reshape(x.shape[0], -1)  # (N",
          "x = x.reshape(x.shape[0], x.size // x.shape[1])  # (N")]),
    Bug("affine-dw-overwritten-by-db", "Affine", "overwrite",
        "The affine layer's backward assigns the bias gradient to self.dW (a copy-paste of the "
        "line above), so dW is lost and db stays None.",
        [(AFFINE_DB, AFFINE_DB.replace("self.db =", "self.dW ="))]),

    # ------------------------------------------------------------------------------------------
    # SoftmaxWithLoss
    Bug("swl-loss-from-scores", "SoftmaxWithLoss", "wrong-cached-value",
        "SoftmaxWithLoss computes the cross-entropy from the scores x instead of the "
        "probabilities self.y.",
        [("self.loss = cross_entropy_error(self.y, self.t)",
          "self.loss = cross_entropy_error(x, self.t)")]),
    Bug("swl-shift-by-argmax", "SoftmaxWithLoss", "numerical-stability",
        "The softmax subtracts np.argmax(x, ...) (an index) instead of np.max(x, ...).",
        [("np.max(x, axis=-1, keepdims=True)", "np.argmax(x, axis=-1, keepdims=True)")]),
    Bug("swl-scores-as-float32", "SoftmaxWithLoss", "numerical-stability",
        "SoftmaxWithLoss casts the scores to float32 before the softmax to save memory.",
        [("self.y = softmax(x)", "self.y = softmax(x.astype(np.float32))")]),
    Bug("swl-one-hot-dx-precedence", "SoftmaxWithLoss", "scale",
        "SoftmaxWithLoss's one-hot gradient is self.y - self.t / batch_size, without the "
        "parentheses.",
        [("dx = (self.y - self.t) / batch_size", "dx = self.y - self.t / batch_size")]),
    Bug("swl-label-dx-replaced-by-entries", "SoftmaxWithLoss", "overwrite",
        "SoftmaxWithLoss's label gradient is replaced by the target entries minus one, "
        "dx = dx[np.arange(batch_size), self.t] - 1.",
        [("dx[np.arange(batch_size), self.t] -= 1",
          "dx = dx[np.arange(batch_size), self.t] - 1")]),
    Bug("swl-probabilities-in-a-local", "SoftmaxWithLoss", "stale-forward",
        "SoftmaxWithLoss keeps the softmax output in a local y, so backward reads the None left "
        "by __init__.",
        [("        self.y = softmax(x)\n        self.loss = cross_entropy_error(self.y, self.t)\n",
          "        y = softmax(x)\n        self.loss = cross_entropy_error(y, self.t)\n")]),
    Bug("swl-label-dx-times-batch", "SoftmaxWithLoss", "scale",
        "SoftmaxWithLoss multiplies the label gradient by the batch size instead of dividing.",
        [("            dx = dx / batch_size\n", "            dx = dx * batch_size\n")]),
    Bug("swl-one-hot-dx-summed-over-batch", "SoftmaxWithLoss", "reduction-axis",
        "SoftmaxWithLoss sums the one-hot gradient over the batch axis before dividing by the "
        "batch size.",
        [("dx = (self.y - self.t) / batch_size",
          "dx = np.sum(self.y - self.t, axis=0) / batch_size")]),

    # ------------------------------------------------------------------------------------------
    # SimpleConvNet
    Bug("net-pool-size-from-float-halves", "SimpleConvNet", "output-size",
        "SimpleConvNet sizes W2 with the book's int(filter_num * (conv_h / 2) * (conv_w / 2)).",
        [("pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)",
          "pool_output_size = int(filter_num * (conv_h / 2) * (conv_w / 2))")]),
    Bug("net-w1-single-channel", "SimpleConvNet", "missing-term",
        "SimpleConvNet makes W1 with one input channel, as for MNIST, whatever input_dim says.",
        [("np.random.randn(filter_num, channels, filter_size, filter_size)",
          "np.random.randn(filter_num, 1, filter_size, filter_size)")]),
    Bug("net-softmax-backward-skipped", "SimpleConvNet", "missing-term",
        "SimpleConvNet's gradient starts the layers' backward pass from dout = 1, without "
        "calling the last layer's backward.",
        [("        dout = self.last_layer.backward(dout)\n", "")]),
    Bug("net-conv-height-minus-pad", "SimpleConvNet", "sign",
        "SimpleConvNet subtracts the padding in the convolution's output height it sizes W2 "
        "with.",
        [(NET_CONV_SIZES,
          NET_CONV_SIZES.replace("(input_h - filter_size + 2 * filter_pad)",
                                 "(input_h - filter_size - 2 * filter_pad)"))]),
    Bug("net-accuracy-batches-without-step", "SimpleConvNet", "stride",
        "SimpleConvNet's accuracy loops over range(0, x.shape[0]) without the batch_size step, "
        "so the batches overlap.",
        [("range(0, x.shape[0], batch_size)", "range(0, x.shape[0])")]),
    Bug("net-predict-input-as-uint8", "SimpleConvNet", "integer-dtype",
        "SimpleConvNet's predict converts its input to np.uint8, as if it were raw pixels.",
        [("    def predict(self, x):\n",
          "    def predict(self, x):\n        x = x.astype(np.uint8)\n")]),

    # ------------------------------------------------------------------------------------------
    # added in a second round: the first round left state-mutated with no row that shows and
    # reduction-axis with two
    Bug("affine-dw-accumulated", "Affine", "state-mutated",
        "The affine layer starts self.dW as zeros in __init__ and adds each backward call's "
        "gradient to it with +=.",
        [("        self.dW = None\n        self.db = None\n\n    def forward(self, x):\n"
          "        self.original_x_shape",
          "        self.dW = np.zeros_like(W)\n        self.db = None\n\n"
          "    def forward(self, x):\n        self.original_x_shape"),
         ("        self.dW = np.dot(self.x.T, dout)\n",
          "        self.dW += np.dot(self.x.T, dout)\n")]),
    Bug("conv-db-accumulated", "Convolution", "state-mutated",
        "The convolution starts self.db as zeros in __init__ and adds each backward call's "
        "bias gradient to it with +=.",
        [("        self.dW = None\n        self.db = None\n\n    def forward(self, x):\n"
          "        FN, C, FH, FW",
          "        self.dW = None\n        self.db = np.zeros_like(b)\n\n"
          "    def forward(self, x):\n        FN, C, FH, FW"),
         (CONV_DB, CONV_DB.replace("self.db = np.sum", "self.db += np.sum"))]),
    Bug("relu-mask-kept-across-calls", "Relu", "state-mutated",
        "The ReLU ors each call's mask into the one it already holds, so a unit masked once "
        "stays masked.",
        [(RELU_FORWARD,
          RELU_FORWARD.replace("        self.mask = (x <= 0)\n",
                               "        if self.mask is None:\n"
                               "            self.mask = (x <= 0)\n"
                               "        else:\n"
                               "            self.mask |= (x <= 0)\n"))]),
    Bug("net-accuracy-max-for-argmax", "SimpleConvNet", "reduction-axis",
        "SimpleConvNet's accuracy takes np.max of the scores instead of np.argmax and compares "
        "those values with the labels.",
        [("            y = np.argmax(y, axis=1)\n", "            y = np.max(y, axis=1)\n")]),
    # added in a third round, so that fewer classes sit at the minimum of 3
    Bug("conv-output-reshaped-width-first", "Convolution", "swapped-arguments",
        "The convolution's forward reshapes the product to (N, out_w, out_h, -1) before the "
        "transpose.",
        [("out = out.reshape(N, out_h, out_w, -1)", "out = out.reshape(N, out_w, out_h, -1)")]),
    Bug("net-pool-size-by-conv-stride", "SimpleConvNet", "stride",
        "SimpleConvNet sizes W2 by dividing the convolution sizes by the convolution's stride "
        "instead of the pooling's 2.",
        [("pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)",
          "pool_output_size = filter_num * (conv_h // filter_stride)"
          " * (conv_w // filter_stride)")]),
    Bug("swl-batch-size-from-last-axis", "SoftmaxWithLoss", "scale",
        "SoftmaxWithLoss's backward reads the batch size as self.t.shape[-1], the class count "
        "for one-hot targets.",
        [("batch_size = self.t.shape[0]", "batch_size = self.t.shape[-1]")]),
    Bug("swl-loss-not-summed", "SoftmaxWithLoss", "reduction-axis",
        "The cross-entropy returns the per-sample losses divided by the batch size, without "
        "summing them.",
        [("return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size",
          "return -np.log(y[np.arange(batch_size), t] + 1e-7) / batch_size")]),
    # added in a fourth round, after the integrity check found two repeats of earlier rows
    Bug("col2im-window-rebound", "col2im", "overwrite",
        "col2im names each image window, then writes window = window + col[...], which rebinds "
        "the name to a new array and leaves the image buffer at zero.",
        [("            img[:, :, fy:fy_end:stride, fx:fx_end:stride] += col[:, :, fy, fx, :, :]\n",
          "            window = img[:, :, fy:fy_end:stride, fx:fx_end:stride]\n"
          "            window = window + col[:, :, fy, fx, :, :]\n")]),
]
