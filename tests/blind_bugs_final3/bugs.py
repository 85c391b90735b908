"""The third set of single-bug chapter 7 submissions written blind as a holdout: measured once
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

# Anchors: text of the example that several bugs edit, each there exactly once.
IM2COL_SIZES = """\
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
"""
IM2COL_PAD = """\
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
"""
IM2COL_BODY = """\
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))

    # one strided slice per filter offset (fy, fx): every window's pixel at that offset
    for fy in range(filter_h):
        fy_end = fy + stride * out_h
        for fx in range(filter_w):
            fx_end = fx + stride * out_w
            col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end:stride, fx:fx_end:stride]

    col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)
"""
COL2IM_SIZES = """\
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
"""
COL2IM_RESHAPE = """\
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
"""
COL2IM_BUFFER = """\
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))
"""
COL2IM_LOOP = """\
    for fy in range(filter_h):
        fy_end = fy + stride * out_h
        for fx in range(filter_w):
            fx_end = fx + stride * out_w
            img[:, :, fy:fy_end:stride, fx:fx_end:stride] += col[:, :, fy, fx, :, :]
"""
CONV_OUT = "        out = np.dot(col, col_W) + self.b  # (N*out_h*out_w, FN)\n"
CONV_DW = "        self.dW = np.dot(self.col.T, dout)\n"
POOL_OUT_W = "        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1\n"
POOL_COL2IM = ("        dx_padded = col2im(dcol, self.padded_shape, self.pool_h, self.pool_w, "
               "self.stride, 0)\n")
RELU_OUT = """        out = x.copy()
        out[self.mask] = 0
"""
RELU_BACKWARD = """        dout[self.mask] = 0
        dx = dout
"""
AFFINE_FLATTEN = "        x = x.reshape(x.shape[0], -1)  # (N, C, H, W) -> (N, C*H*W)\n"
AFFINE_DB = """        self.db = np.sum(dout, axis=0)
        dx = dx.reshape(*self.original_x_shape)
"""
ONE_HOT = """\
    # one-hot targets -> class labels
    if t.size == y.size:
        t = t.argmax(axis=1)
"""
SOFTMAX_LOSS = "        self.loss = cross_entropy_error(self.y, self.t)\n"
NET_SIZES = """        conv_h = (input_h - filter_size + 2 * filter_pad) // filter_stride + 1
        conv_w = (input_w - filter_size + 2 * filter_pad) // filter_stride + 1
"""


def bug(name, component, bug_class, description, *replace):
    return Bug(name, component, bug_class, description, list(replace))


BUGS = [
    # ------------------------------------------------------------------------------ im2col
    bug("im2col-window-view-filter-axes", "im2col", "axis-order",
        "Builds the windows with sliding_window_view and transposes them to (n, y, x, c, "
        "filter_x, filter_y), so each column holds the window transposed.",
        (IM2COL_BODY, """\
    windows = np.lib.stride_tricks.sliding_window_view(img, (filter_h, filter_w), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride, :, :]  # (N, C, out_h, out_w, FH, FW)
    col = windows.transpose(0, 2, 3, 1, 5, 4).reshape(N * out_h * out_w, -1)
""")),
    bug("im2col-window-view-first-windows", "im2col", "stride",
        "Builds the windows with sliding_window_view and keeps the first out_h by out_w of "
        "them instead of every stride-th one.",
        (IM2COL_BODY, """\
    windows = np.lib.stride_tricks.sliding_window_view(img, (filter_h, filter_w), axis=(2, 3))
    windows = windows[:, :, :out_h, :out_w, :, :]  # (N, C, out_h, out_w, FH, FW)
    col = windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * out_h * out_w, -1)
""")),
    bug("im2col-plus-one-inside-floor", "im2col", "output-size",
        "Writes the output size as (H + 2*pad - filter_h + 1) // stride, the +1 inside the "
        "floor division.",
        (IM2COL_SIZES, """\
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h + 1) // stride
    out_w = (W + 2 * pad - filter_w + 1) // stride
""")),
    bug("im2col-hand-pad-one-side", "im2col", "padding",
        "Pads by hand into a buffer of H + pad by W + pad with the image at [pad:, pad:], so "
        "the padding is on the top and left only.",
        (IM2COL_PAD, """\
    img = np.zeros((N, C, H + pad, W + pad))
    img[:, :, pad:, pad:] = input_data
""")),
    bug("im2col-slice-offsets-swapped", "im2col", "swapped-arguments",
        "Slices the image with the column offset on the rows and the row offset on the "
        "columns: img[:, :, fx:fx_end:stride, fy:fy_end:stride].",
        ("col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end:stride, fx:fx_end:stride]",
         "col[:, :, fy, fx, :, :] = img[:, :, fx:fx_end:stride, fy:fy_end:stride]")),
    bug("im2col-loop-window-width-filter-h", "im2col", "output-size",
        "Loops over output positions and cuts each window filter_h wide as well as filter_h "
        "tall.",
        (IM2COL_BODY, """\
    col = np.zeros((N, out_h, out_w, C, filter_h, filter_w))
    for y in range(out_h):
        y0 = y * stride
        for x in range(out_w):
            x0 = x * stride
            col[:, y, x] = img[:, :, y0:y0 + filter_h, x0:x0 + filter_h]
    col = col.reshape(N * out_h * out_w, -1)
""")),
    bug("im2col-pad-value-is-pad", "im2col", "padding",
        "Passes the pad as np.pad's constant_values, so the border is filled with the pad "
        "width instead of zeros.",
        (IM2COL_PAD, """\
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant",
                 constant_values=pad)
""")),
    # ------------------------------------------------------------------------------ col2im
    bug("col2im-buffer-pad-once", "col2im", "padding",
        "Allocates the padded buffer as H + pad + stride - 1 by W + pad + stride - 1, the pad "
        "counted once.",
        (COL2IM_BUFFER,
         "    img = np.zeros((N, C, H + pad + stride - 1, W + pad + stride - 1))\n")),
    bug("col2im-transpose-positions-first", "col2im", "axis-order",
        "Transposes the columns to (N, C, out_h, out_w, filter_h, filter_w) but still takes "
        "col[:, :, fy, fx] as the slice at filter offset (fy, fx).",
        (COL2IM_RESHAPE, """\
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 1, 2, 4, 5)
""")),
    bug("col2im-loop-windows-step-filter", "col2im", "stride",
        "Loops over output positions and places window (y, x) at (y * filter_h, x * filter_w), "
        "stepping by the filter size as in pooling instead of by the stride.",
        (COL2IM_RESHAPE, "    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w)\n"),
        (COL2IM_LOOP, """\
    for y in range(out_h):
        y0 = y * filter_h
        for x in range(out_w):
            x0 = x * filter_w
            img[:, :, y0:y0 + filter_h, x0:x0 + filter_w] += col[:, y, x]
""")),
    bug("col2im-row-end-name-reused", "col2im", "overwrite",
        "Copies the row-end line for the columns and keeps its name, so fy_end is overwritten "
        "with the column end and used for both slices.",
        ("""            fx_end = fx + stride * out_w
            img[:, :, fy:fy_end:stride, fx:fx_end:stride] +=""",
         """            fy_end = fx + stride * out_w
            img[:, :, fy:fy_end:stride, fx:fy_end:stride] +=""")),
    bug("col2im-sizes-ceil", "col2im", "output-size",
        "Computes the output sizes with np.ceil of the true division, rounding up where the "
        "stride does not divide.",
        (COL2IM_SIZES, """\
    N, C, H, W = input_shape
    out_h = int(np.ceil((H + 2 * pad - filter_h) / stride)) + 1
    out_w = int(np.ceil((W + 2 * pad - filter_w) / stride)) + 1
""")),
    bug("col2im-reshape-width-height", "col2im", "swapped-arguments",
        "Reshapes the columns to (N, out_w, out_h, ...), the two output sizes in the other "
        "order.",
        (COL2IM_RESHAPE, """\
    col = col.reshape(N, out_w, out_h, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
""")),
    bug("col2im-inner-loop-filter-h", "col2im", "missing-term",
        "Runs the inner loop over range(filter_h), so the filter columns past filter_h are "
        "never added back.",
        (COL2IM_LOOP, COL2IM_LOOP.replace("for fx in range(filter_w)",
                                          "for fx in range(filter_h)"))),
    bug("col2im-unpack-width-height", "col2im", "swapped-arguments",
        "Unpacks the input shape as N, C, W, H.",
        ("    N, C, H, W = input_shape\n", "    N, C, W, H = input_shape\n")),
    # -------------------------------------------------------------------------- Convolution
    bug("conv-dw-per-image-assigned", "Convolution", "missing-term",
        "Computes dW image by image over blocks of rows and assigns each block's product to "
        "self.dW, so only the last image's gradient is kept.",
        (CONV_DW, """        rows = self.col.shape[0] // self.x.shape[0]  # rows of one image
        for n in range(self.x.shape[0]):
            block = slice(n * rows, (n + 1) * rows)
            self.dW = np.dot(self.col[block].T, dout[block])
""")),
    bug("conv-kernel-flipped", "Convolution", "axis-order",
        "Flips the filters with W[:, :, ::-1, ::-1] before flattening them, a signal-processing "
        "convolution instead of the chapter's cross-correlation.",
        ("        col_W = self.W.reshape(FN, -1).T  # (C*FH*FW, FN)\n",
         "        col_W = self.W[:, :, ::-1, ::-1].reshape(FN, -1).T  # (C*FH*FW, FN)\n")),
    bug("conv-caches-output-as-x", "Convolution", "wrong-cached-value",
        "Stores the output instead of the input in self.x, so backward rebuilds dx with the "
        "output's shape.",
        ("        self.x = x\n        self.col = col\n",
         "        self.x = out\n        self.col = col\n")),
    bug("conv-dw-reshaped-channels-last", "Convolution", "axis-order",
        "Reshapes the transposed dW as (FN, FH, FW, C) and moves the channels forward, as if "
        "im2col's columns ran channels last.",
        ("        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)\n",
         "        self.dW = self.dW.T.reshape(FN, FH, FW, C).transpose(0, 3, 1, 2)\n")),
    bug("conv-bias-subtracted", "Convolution", "sign",
        "Subtracts the bias from the product instead of adding it.",
        (CONV_OUT, CONV_OUT.replace("+ self.b", "- self.b"))),
    bug("conv-forward-uses-cached-col", "Convolution", "stale-forward",
        "Multiplies self.col, the columns cached by the previous call, instead of this call's "
        "col.",
        (CONV_OUT, CONV_OUT.replace("np.dot(col, col_W)", "np.dot(self.col, col_W)"))),
    bug("conv-unpacks-fw-fh", "Convolution", "swapped-arguments",
        "Unpacks the filter shape in forward as FN, C, FW, FH.",
        ("    def forward(self, x):\n        FN, C, FH, FW = self.W.shape\n",
         "    def forward(self, x):\n        FN, C, FW, FH = self.W.shape\n")),
    bug("conv-caches-col-as-col-w", "Convolution", "wrong-cached-value",
        "Caches col in self.col_W, so backward multiplies dout by the columns instead of the "
        "flattened filters.",
        ("        self.col_W = col_W\n", "        self.col_W = col\n")),
    bug("conv-dout-reshaped-filters-first", "Convolution", "axis-order",
        "Reshapes the transposed dout to (FN, -1) and transposes it, instead of reshaping it "
        "to (-1, FN).",
        ("        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n",
         "        dout = dout.transpose(0, 2, 3, 1).reshape(FN, -1).T\n")),
    bug("conv-db-is-b", "Convolution", "state-mutated",
        "Makes self.db the bias array itself and fills it with db[...] =, so backward "
        "overwrites the layer's (and the caller's) bias.",
        ("        self.db = np.sum(dout, axis=0)\n        self.dW",
         "        self.db = self.b\n        self.db[...] = np.sum(dout, axis=0)\n        self.dW")),
    bug("conv-db-channels-last-axes", "Convolution", "reduction-axis",
        "Sums db over axes (0, 2, 3) of dout after transposing it channels last, so the "
        "filters' axis is summed over and the height kept.",
        ("        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n\n"
         "        self.db = np.sum(dout, axis=0)\n",
         "        dout = dout.transpose(0, 2, 3, 1)\n"
         "        self.db = np.sum(dout, axis=(0, 2, 3))\n"
         "        dout = dout.reshape(-1, FN)\n\n")),
    # ------------------------------------------------------------------------------ Pooling
    bug("pool-out-w-is-out-h", "Pooling", "output-size",
        "Sets out_w = out_h, assuming square inputs.",
        (POOL_OUT_W, "        out_w = out_h\n")),
    bug("pool-caches-output-shape", "Pooling", "wrong-cached-value",
        "Stores out.shape as self.x_shape, so backward crops the gradient to the output's "
        "size.",
        ("        self.x_shape = x.shape\n", "        self.x_shape = out.shape\n")),
    bug("pool-crop-minus-pad", "Pooling", "padding",
        "Crops the padding off the gradient with [p:-p, p:-p], which is empty when the pad is "
        "0.",
        ("        return dx_padded[:, :, p:p + H, p:p + W]\n",
         "        return dx_padded[:, :, p:-p, p:-p]\n")),
    bug("pool-backward-stride-pool-h", "Pooling", "stride",
        "Passes self.pool_h as col2im's stride in backward.",
        (POOL_COL2IM, POOL_COL2IM.replace("self.stride, 0)", "self.pool_h, 0)"))),
    bug("pool-dmax-index-order", "Pooling", "swapped-arguments",
        "Indexes dmax as [arg_max, arange] instead of [arange, arg_max].",
        ("dmax[np.arange(self.arg_max.size), self.arg_max.flatten()]",
         "dmax[self.arg_max.flatten(), np.arange(self.arg_max.size)]")),
    bug("pool-backward-forward-transpose", "Pooling", "axis-order",
        "Transposes dout with the forward's (0, 3, 1, 2) instead of (0, 2, 3, 1) in "
        "backward.",
        ("        dout = dout.transpose(0, 2, 3, 1)\n",
         "        dout = dout.transpose(0, 3, 1, 2)\n")),
    bug("pool-dmax-zeros-like-argmax", "Pooling", "integer-dtype",
        "Allocates dmax with np.zeros_like(self.arg_max, shape=...), an integer buffer that "
        "truncates the gradient.",
        ("        dmax = np.zeros((dout.size, pool_size))\n",
         "        dmax = np.zeros_like(self.arg_max, shape=(dout.size, pool_size))\n")),
    bug("pool-max-over-channels", "Pooling", "reduction-axis",
        "Reshapes the columns to (rows, C, window) and takes the maximum and its index over "
        "axis 1, the channels, instead of over the window.",
        ("""        arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
""", """        col = col.reshape(-1, C, self.pool_h * self.pool_w)
        arg_max = np.argmax(col, axis=1).reshape(-1)
        out = np.max(col, axis=1)
""")),
    # --------------------------------------------------------------------------------- Relu
    bug("relu-backward-sign", "Relu", "sign",
        "Caches x and multiplies dout by np.sign(x) in backward, so negative inputs pass "
        "-dout back.",
        ("        self.mask = (x <= 0)\n        out = x.copy()\n",
         "        self.mask = (x <= 0)\n        self.x = x\n        out = x.copy()\n"),
        (RELU_BACKWARD, "        dx = dout * np.sign(self.x)\n")),
    bug("relu-int-output", "Relu", "integer-dtype",
        "Builds the output in np.zeros(x.shape, dtype=int) and copies the kept entries in, "
        "truncating them.",
        (RELU_OUT, """        out = np.zeros(x.shape, dtype=int)
        out[~self.mask] = x[~self.mask]
""")),
    bug("relu-backward-kept-only", "Relu", "missing-term",
        "Returns dout[~self.mask] from backward: the kept entries only, flattened, without the "
        "zeros.",
        (RELU_BACKWARD, "        dx = dout[~self.mask]\n")),
    bug("relu-stacked-max-axis-1", "Relu", "reduction-axis",
        "Takes np.max of [x, zeros] over axis 1 instead of axis 0.",
        (RELU_OUT, "        out = np.max([x, np.zeros_like(x)], axis=1)\n")),
    bug("relu-where-branches-swapped", "Relu", "swapped-arguments",
        "Writes np.where(self.mask, x, 0), the two branches in the other order.",
        (RELU_OUT, "        out = np.where(self.mask, x, 0)\n")),
    bug("relu-abs-formula-sign", "Relu", "sign",
        "Writes the ReLU as (np.abs(x) - x) / 2 instead of (np.abs(x) + x) / 2.",
        (RELU_OUT, "        out = (np.abs(x) - x) / 2\n")),
    # ------------------------------------------------------------------------------- Affine
    bug("affine-flatten-true-division", "Affine", "integer-dtype",
        "Flattens with x.reshape(x.shape[0], x.size / x.shape[0]), a float size.",
        (AFFINE_FLATTEN, AFFINE_FLATTEN.replace("-1)", "x.size / x.shape[0])"))),
    bug("affine-db-into-b", "Affine", "overwrite",
        "Assigns the bias gradient to self.b instead of self.db.",
        (AFFINE_DB, AFFINE_DB.replace("self.db =", "self.b ="))),
    bug("affine-flatten-fortran-order", "Affine", "axis-order",
        "Flattens with order=\"F\" (column-major) and reshapes dx back in C order.",
        (AFFINE_FLATTEN, AFFINE_FLATTEN.replace("-1)", "-1, order=\"F\")"))),
    bug("affine-db-loop-from-1", "Affine", "missing-term",
        "Sums the bias gradient in a loop over range(1, N), skipping the first sample.",
        (AFFINE_DB, """        self.db = np.zeros_like(self.b)
        for i in range(1, dout.shape[0]):
            self.db += dout[i]
        dx = dx.reshape(*self.original_x_shape)
""")),
    bug("affine-flatten-four-axes", "Affine", "output-size",
        "Flattens with x.shape[1] * x.shape[2] * x.shape[3], which only fits 4-D inputs.",
        (AFFINE_FLATTEN,
         AFFINE_FLATTEN.replace("-1)", "x.shape[1] * x.shape[2] * x.shape[3])"))),
    bug("affine-db-int-buffer", "Affine", "integer-dtype",
        "Sums the bias gradient row by row into np.zeros(dout.shape[1], dtype=int).",
        (AFFINE_DB, """        self.db = np.zeros(dout.shape[1], dtype=int)
        for row in dout:
            self.db += row
        dx = dx.reshape(*self.original_x_shape)
""")),
    bug("affine-db-is-b", "Affine", "state-mutated",
        "Makes self.db the bias array itself and fills it with db[...] =, so backward "
        "overwrites the bias.",
        (AFFINE_DB, AFFINE_DB.replace("self.db = np.sum(dout, axis=0)",
                                      "self.db = self.b\n"
                                      "        self.db[...] = np.sum(dout, axis=0)"))),
    bug("affine-dw-is-w", "Affine", "state-mutated",
        "Makes self.dW the weight array itself and fills it with dW[...] =, so backward "
        "overwrites the weights.",
        ("        self.dW = np.dot(self.x.T, dout)\n",
         "        self.dW = self.W\n        self.dW[...] = np.dot(self.x.T, dout)\n")),
    # ---------------------------------------------------------------------- SoftmaxWithLoss
    bug("softmax-loss-from-raw-exp", "SoftmaxWithLoss", "numerical-stability",
        "Computes the loss from np.exp of the raw scores instead of the shifted softmax.",
        (SOFTMAX_LOSS, """        labels = t.argmax(axis=1) if t.size == x.size else t
        e = np.exp(x)
        p = e[np.arange(x.shape[0]), labels] / np.sum(e, axis=1)
        self.loss = -np.mean(np.log(p + 1e-7))
""")),
    bug("softmax-batch-branch-unshifted", "SoftmaxWithLoss", "numerical-stability",
        "Writes the book's softmax with a batch branch (transpose, sum over axis 0) but "
        "subtracts the maximum only in the one-sample branch.",
        ("""\
    x = x - np.max(x, axis=-1, keepdims=True)  # shift so that exp cannot overflow
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)
""", """\
    if x.ndim == 2:
        x = x.T
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
    x = x - np.max(x)
    return np.exp(x) / np.sum(np.exp(x))
""")),
    bug("softmax-backward-recomputed-raw", "SoftmaxWithLoss", "numerical-stability",
        "Caches the scores and recomputes the probabilities in backward as exp(x) / sum, "
        "without the shift.",
        ("        self.t = t\n        self.y = softmax(x)\n",
         "        self.t = t\n        self.x = x\n        self.y = softmax(x)\n"),
        ("        batch_size = self.t.shape[0]\n        if",
         """        batch_size = self.t.shape[0]
        self.y = np.exp(self.x) / np.sum(np.exp(self.x), axis=1, keepdims=True)
        if""")),
    bug("softmax-backward-divided-by-y-size", "SoftmaxWithLoss", "scale",
        "Divides the label branch's gradient by self.y.size instead of the batch size.",
        ("            dx = dx / batch_size\n", "            dx = dx / self.y.size\n")),
    bug("softmax-loss-into-y", "SoftmaxWithLoss", "overwrite",
        "Assigns the loss to self.y instead of self.loss.",
        (SOFTMAX_LOSS, SOFTMAX_LOSS.replace("self.loss =", "self.y ="))),
    bug("softmax-label-index-order", "SoftmaxWithLoss", "swapped-arguments",
        "Subtracts 1 at dx[self.t, np.arange(batch_size)], the indices in the other order.",
        ("dx[np.arange(batch_size), self.t] -= 1", "dx[self.t, np.arange(batch_size)] -= 1")),
    bug("softmax-loss-before-softmax", "SoftmaxWithLoss", "stale-forward",
        "Computes the loss before this call's softmax, from the previous call's self.y.",
        ("        self.y = softmax(x)\n" + SOFTMAX_LOSS,
         SOFTMAX_LOSS + "        self.y = softmax(x)\n")),
    bug("softmax-one-hot-mean-all", "SoftmaxWithLoss", "scale",
        "Returns -np.mean(t * np.log(y + 1e-7)) for one-hot targets, a mean over every entry "
        "instead of a sum divided by the batch size.",
        (ONE_HOT, """\
    if t.size == y.size:  # one-hot targets
        return -np.mean(t * np.log(y + 1e-7))
""")),
    bug("softmax-one-hot-sum-axis-0", "SoftmaxWithLoss", "reduction-axis",
        "For one-hot targets sums t * log(y) over axis 0 (the batch) and averages over the "
        "classes.",
        (ONE_HOT, """\
    if t.size == y.size:  # one-hot targets
        loss = -np.sum(t * np.log(y + 1e-7), axis=0)
        return np.mean(loss)
""")),
    # ------------------------------------------------------------------------ SimpleConvNet
    bug("net-one-relu-twice", "SimpleConvNet", "overwrite",
        "Builds one Relu and registers it as both Relu1 and Relu2, so the second forward "
        "overwrites the first one's mask.",
        ("        self.layers['Relu1'] = Relu()\n",
         "        relu = Relu()\n        self.layers['Relu1'] = relu\n"),
        ("        self.layers['Relu2'] = Relu()\n", "        self.layers['Relu2'] = relu\n")),
    bug("net-pool-size-divided-once", "SimpleConvNet", "output-size",
        "Sizes W2 with filter_num * conv_h * conv_w // 4, which is not the pooled size when "
        "the convolution's output is odd.",
        ("        pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)\n",
         "        pool_output_size = filter_num * conv_h * conv_w // 4\n")),
    bug("net-accuracy-last-batch-skipped", "SimpleConvNet", "missing-term",
        "Loops over range(0, x.shape[0] - batch_size, batch_size), leaving the last batch out "
        "of the count.",
        ("range(0, x.shape[0], batch_size)", "range(0, x.shape[0] - batch_size, batch_size)")),
    bug("net-w1-channels-last", "SimpleConvNet", "axis-order",
        "Creates W1 as (filter_num, filter_size, filter_size, channels).",
        ("np.random.randn(filter_num, channels, filter_size, filter_size)",
         "np.random.randn(filter_num, filter_size, filter_size, channels)")),
    bug("net-pool-given-conv-stride", "SimpleConvNet", "stride",
        "Gives the pooling layer the convolution's stride instead of 2.",
        ("Pooling(pool_h=2, pool_w=2, stride=2)",
         "Pooling(pool_h=2, pool_w=2, stride=filter_stride)")),
    bug("net-conv-same-padding", "SimpleConvNet", "padding",
        "Builds the convolution with pad filter_size // 2 ('same' padding) while sizing W2 "
        "with conv_param's pad.",
        ("                                           filter_stride, filter_pad)\n",
         "                                           filter_stride, filter_size // 2)\n")),
    bug("net-accuracy-batch-means-summed", "SimpleConvNet", "scale",
        "Adds np.mean(y == tt) per batch and still divides the total by the number of "
        "samples.",
        ("correct += np.sum(y == tt)", "correct += np.mean(y == tt)")),
    bug("net-gradient-forward-once", "SimpleConvNet", "stale-forward",
        "Runs the forward in gradient only while the softmax layer has no output yet, so later "
        "calls backpropagate an earlier batch.",
        ("        # forward\n        self.loss(x, t)\n",
         "        # forward\n"
         "        if self.last_layer.y is None:\n            self.loss(x, t)\n")),
    bug("net-stride-read-from-pad", "SimpleConvNet", "stride",
        "Reads the convolution's stride from conv_param['pad'] (a copied line).",
        ("filter_stride = conv_param['stride']", "filter_stride = conv_param['pad']")),
]
