"""The fourth set of single-bug chapter 7 submissions written blind as a holdout: measured once
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

# Texts that occur more than once in the example, pinned down by what surrounds them.
IM2COL_SIZES = ("    N, C, H, W = input_data.shape\n"
                "    out_h = (H + 2 * pad - filter_h) // stride + 1\n"
                "    out_w = (W + 2 * pad - filter_w) // stride + 1\n")
COL2IM_SIZES = ("    N, C, H, W = input_shape\n"
                "    out_h = (H + 2 * pad - filter_h) // stride + 1\n"
                "    out_w = (W + 2 * pad - filter_w) // stride + 1\n")
IM2COL_LOOP = ("    # one strided slice per filter offset (fy, fx): every window's pixel at that"
               " offset\n"
               "    for fy in range(filter_h):\n"
               "        fy_end = fy + stride * out_h\n"
               "        for fx in range(filter_w):\n"
               "            fx_end = fx + stride * out_w\n"
               "            col[:, :, fy, fx, :, :] ="
               " img[:, :, fy:fy_end:stride, fx:fx_end:stride]\n")
COL2IM_BUFFER = "    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))\n"
COL2IM_LOOP = (COL2IM_BUFFER
               + "    for fy in range(filter_h):\n"
                 "        fy_end = fy + stride * out_h\n"
                 "        for fx in range(filter_w):\n"
                 "            fx_end = fx + stride * out_w\n"
                 "            img[:, :, fy:fy_end:stride, fx:fx_end:stride] +="
                 " col[:, :, fy, fx, :, :]\n")
RELU_FORWARD_TAIL = ("        out = x.copy()\n"
                     "        out[self.mask] = 0\n"
                     "        return out\n")
RELU_BACKWARD = ("        dout[self.mask] = 0\n"
                 "        dx = dout\n"
                 "        return dx\n")
LABEL_BACKWARD = ("            dx = self.y.copy()\n"
                  "            dx[np.arange(batch_size), self.t] -= 1\n"
                  "            dx = dx / batch_size\n")

BUGS = [
    # ---------------------------------------------------------------------------- im2col
    Bug("im2col-pad-reflect", "im2col", "padding",
        "Pads the images with np.pad's 'reflect' mode, so the border copies pixels instead of "
        "adding zeros.",
        [('(pad, pad), (pad, pad)], "constant")', '(pad, pad), (pad, pad)], "reflect")')]),
    Bug("im2col-pad-rows-only", "im2col", "padding",
        "Gives np.pad the widths (pad, pad) for the rows and (0, 0) for the columns, so the "
        "width is never padded.",
        [("[(0, 0), (0, 0), (pad, pad), (pad, pad)]", "[(0, 0), (0, 0), (pad, pad), (0, 0)]")]),
    Bug("im2col-einsum-positions-swapped", "im2col", "axis-order",
        "Reorders the axes with np.einsum('ncijhw->nwhcij', col), so the rows run over "
        "(n, out_x, out_y) instead of (n, out_y, out_x).",
        [("col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)",
          "col = np.einsum('ncijhw->nwhcij', col).reshape(N * out_h * out_w, -1)")]),
    Bug("im2col-window-view-untransposed", "im2col", "axis-order",
        "Cuts the windows with sliding_window_view and reshapes the (N, C, out_h, out_w, fh, fw) "
        "array to rows without moving the channel axis after the positions.",
        [("    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))\n\n" + IM2COL_LOOP
          + "\n    col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)\n",
          "    windows = np.lib.stride_tricks.sliding_window_view(img, (filter_h, filter_w),\n"
          "                                                       axis=(2, 3))\n"
          "    windows = windows[:, :, ::stride, ::stride]  # (N, C, out_h, out_w, fh, fw)\n"
          "    col = windows.reshape(N * out_h * out_w, -1)\n")]),
    Bug("im2col-slice-end-one-window-short", "im2col", "output-size",
        "Ends each strided slice at the last window's start, fy + stride * (out_h - 1), so the "
        "slice holds one window fewer than out_h.",
        [("        fy_end = fy + stride * out_h\n        for fx in range(filter_w):\n"
          "            fx_end = fx + stride * out_w\n            col[",
          "        fy_end = fy + stride * (out_h - 1)\n        for fx in range(filter_w):\n"
          "            fx_end = fx + stride * out_w\n            col[")]),
    Bug("im2col-out-w-from-filter-h", "im2col", "output-size",
        "Computes out_w with filter_h, a copy of the out_h line with only H changed to W.",
        [(IM2COL_SIZES, IM2COL_SIZES.replace("(W + 2 * pad - filter_w)",
                                             "(W + 2 * pad - filter_h)"))]),
    Bug("im2col-first-filter-row-skipped", "im2col", "missing-term",
        "Loops the filter rows over range(1, filter_h), so the first row of every window stays "
        "zero.",
        [(IM2COL_LOOP, IM2COL_LOOP.replace("range(filter_h)", "range(1, filter_h)"))]),
    Bug("im2col-int-padding-buffer", "im2col", "integer-dtype",
        "Pads by hand into np.zeros(..., dtype=int), so every pixel is truncated to an integer.",
        [('    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")\n',
          "    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=int)\n"
          "    img[:, :, pad:pad + H, pad:pad + W] = input_data\n")]),
    Bug("im2col-columns-unstrided", "im2col", "stride",
        "Steps the row slice by the stride but not the column slice, img[..., fy:fy_end:stride, "
        "fx:fx_end].",
        [("col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end:stride, fx:fx_end:stride]",
          "col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end:stride, fx:fx_end]")]),
    Bug("im2col-loop-window-end-unstrided", "im2col", "stride",
        "Loops over output positions and ends each window's columns at x + filter_w instead of "
        "x * stride + filter_w.",
        [(IM2COL_LOOP,
          "    for y in range(out_h):\n"
          "        for x in range(out_w):\n"
          "            window = img[:, :, y * stride:y * stride + filter_h,\n"
          "                         x * stride:x + filter_w]\n"
          "            col[:, :, :, :, y, x] = window\n")]),
    # ---------------------------------------------------------------------------- col2im
    Bug("col2im-crop-from-buffer-size", "col2im", "padding",
        "Crops pad from each side of the buffer, img[:, :, pad:-pad] by its shape, although the "
        "buffer holds stride - 1 extra rows and columns.",
        [("return img[:, :, pad:H + pad, pad:W + pad]",
          "return img[:, :, pad:img.shape[2] - pad, pad:img.shape[3] - pad]")]),
    Bug("col2im-filter-axes-swapped", "col2im", "axis-order",
        "Transposes the columns with (0, 3, 5, 4, 1, 2), so col[:, :, fy, fx] holds the entries "
        "of offset (fx, fy).",
        [(".transpose(0, 3, 4, 5, 1, 2)", ".transpose(0, 3, 5, 4, 1, 2)")]),
    Bug("col2im-loop-positions-unstrided", "col2im", "stride",
        "Loops over output positions and adds each window at (y, x) instead of "
        "(y * stride, x * stride).",
        [(COL2IM_LOOP,
          COL2IM_BUFFER
          + "    for y in range(out_h):\n"
            "        for x in range(out_w):\n"
            "            img[:, :, y:y + filter_h, x:x + filter_w] += col[:, :, :, :, y, x]\n")]),
    Bug("col2im-out-h-without-plus-one", "col2im", "output-size",
        "Computes out_h as (H + 2*pad - filter_h) // stride, without the + 1.",
        [(COL2IM_SIZES, COL2IM_SIZES.replace("filter_h) // stride + 1", "filter_h) // stride"))]),
    Bug("col2im-signature-filter-w-first", "col2im", "swapped-arguments",
        "Declares col2im(col, input_shape, filter_w, filter_h, ...) while every caller passes "
        "the height first.",
        [("def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):",
          "def col2im(col, input_shape, filter_w, filter_h, stride=1, pad=0):")]),
    Bug("col2im-last-filter-row-skipped", "col2im", "missing-term",
        "Loops the filter rows over range(filter_h - 1), so the last row of every window is "
        "never added back.",
        [(COL2IM_LOOP, COL2IM_LOOP.replace("range(filter_h)", "range(filter_h - 1)"))]),
    Bug("col2im-buffer-without-padding", "col2im", "padding",
        "Allocates the image without the padding, H + stride - 1 by W + stride - 1.",
        [(COL2IM_BUFFER,
          "    img = np.zeros((N, C, H + stride - 1, W + stride - 1))\n")]),
    Bug("col2im-window-view-add", "col2im", "overwrite",
        "Adds the columns through a writeable sliding_window_view of the image; NumPy buffers "
        "the overlapping += so each pixel keeps one window's entry instead of the sum.",
        [(COL2IM_LOOP,
          COL2IM_BUFFER
          + "    windows = np.lib.stride_tricks.sliding_window_view(\n"
            "        img, (filter_h, filter_w), axis=(2, 3), writeable=True)\n"
            "    windows[:, :, ::stride, ::stride][:, :, :out_h, :out_w] += "
            "col.transpose(0, 1, 4, 5, 2, 3)\n")]),
    # ---------------------------------------------------------------------------- Convolution
    Bug("conv-filters-flattened-from-W-T", "Convolution", "axis-order",
        "Flattens the filters as self.W.T.reshape(-1, FN), whose rows run over (fw, fh, c) "
        "instead of (c, fh, fw).",
        [("col_W = self.W.reshape(FN, -1).T", "col_W = self.W.T.reshape(-1, FN)")]),
    Bug("conv-size-without-pad", "Convolution", "padding",
        "Computes out_h and out_w without the padding, (H - FH) // stride + 1.",
        [("out_h = (H + 2 * self.pad - FH) // self.stride + 1",
          "out_h = (H - FH) // self.stride + 1"),
         ("out_w = (W + 2 * self.pad - FW) // self.stride + 1",
          "out_w = (W - FW) // self.stride + 1")]),
    Bug("conv-dout-reused-for-dW", "Convolution", "overwrite",
        "Stores dW's product back into dout and then computes dcol from that overwritten dout.",
        [("        self.dW = np.dot(self.col.T, dout)\n"
          "        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)\n",
          "        dout = np.dot(self.col.T, dout)\n"
          "        self.dW = dout.transpose(1, 0).reshape(FN, C, FH, FW)\n")]),
    Bug("conv-stride-fixed-at-one", "Convolution", "stride",
        "Stores self.stride = 1 in the constructor instead of the stride argument.",
        [("        self.b = b\n        self.stride = stride\n",
          "        self.b = b\n        self.stride = 1\n")]),
    Bug("conv-db-int-loop", "Convolution", "integer-dtype",
        "Sums db filter by filter into np.zeros(FN, dtype=int), truncating every bias gradient.",
        [("        self.db = np.sum(dout, axis=0)\n        self.dW = np.dot(self.col.T, dout)\n",
          "        self.db = np.zeros(FN, dtype=int)\n"
          "        for f in range(FN):\n"
          "            self.db[f] = np.sum(dout[:, f])\n"
          "        self.dW = np.dot(self.col.T, dout)\n")]),
    Bug("conv-size-stride-divides-input-only", "Convolution", "output-size",
        "Writes out_h as (H + 2*pad) // stride - FH + 1, dividing only the padded height by the "
        "stride.",
        [("out_h = (H + 2 * self.pad - FH) // self.stride + 1",
          "out_h = (H + 2 * self.pad) // self.stride - FH + 1")]),
    Bug("conv-col-W-cached-untransposed", "Convolution", "wrong-cached-value",
        "Caches W.reshape(FN, -1) for backward instead of the transposed matrix the forward "
        "multiplied by.",
        [("        self.col_W = col_W\n", "        self.col_W = self.W.reshape(FN, -1)\n")]),
    Bug("conv-db-per-image", "Convolution", "reduction-axis",
        "Sums db over the 4-D dout's spatial axes (2, 3) only, leaving one bias gradient per "
        "image.",
        [("        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n\n"
          "        self.db = np.sum(dout, axis=0)\n",
          "        self.db = np.sum(dout, axis=(2, 3))\n"
          "        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n\n")]),
    # ---------------------------------------------------------------------------- Pooling
    Bug("pool-windows-reshaped-window-first", "Pooling", "axis-order",
        "Reshapes the columns to (pool_h * pool_w, -1), windows along the columns, and still "
        "takes the maximum along axis 1.",
        [("col = col.reshape(-1, self.pool_h * self.pool_w)",
          "col = col.reshape(self.pool_h * self.pool_w, -1)")]),
    Bug("pool-windows-from-unpadded-x", "Pooling", "padding",
        "Cuts the windows from the unpadded x with im2col's zero padding, so a border window of "
        "negative numbers has maximum 0.",
        [("col = im2col(x_padded, self.pool_h, self.pool_w, self.stride, 0)",
          "col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)")]),
    Bug("pool-col2im-stride-and-pad-swapped", "Pooling", "swapped-arguments",
        "Passes col2im the pad 0 and the stride in the other order in backward.",
        [("self.pool_h, self.pool_w, self.stride, 0)\n\n        H, W",
          "self.pool_h, self.pool_w, 0, self.stride)\n\n        H, W")]),
    Bug("pool-size-halves-input", "Pooling", "output-size",
        "Computes the output size as (H + 2*pad) // stride, as if the window always equalled "
        "the stride.",
        [("out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1\n"
          "        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1",
          "out_h = (H + 2 * self.pad) // self.stride\n"
          "        out_w = (W + 2 * self.pad) // self.stride")]),
    Bug("pool-forward-stride-one", "Pooling", "stride",
        "Calls im2col without the stride in forward, so the windows are taken at every pixel.",
        [("col = im2col(x_padded, self.pool_h, self.pool_w, self.stride, 0)",
          "col = im2col(x_padded, self.pool_h, self.pool_w)")]),
    Bug("pool-backward-padding-kept", "Pooling", "padding",
        "Returns the padded gradient from backward without cropping the padding off.",
        [("        return dx_padded[:, :, p:p + H, p:p + W]\n", "        return dx_padded\n")]),
    Bug("pool-gradient-ones", "Pooling", "missing-term",
        "Marks each window's maximum with 1 in backward instead of putting dout there.",
        [("self.arg_max.flatten()] = dout.flatten()", "self.arg_max.flatten()] = 1")]),
    # ---------------------------------------------------------------------------- Relu
    Bug("relu-half-difference", "Relu", "sign",
        "Computes the output as (x - |x|) / 2, which is min(x, 0).",
        [(RELU_FORWARD_TAIL, "        out = (x - np.abs(x)) / 2\n        return out\n")]),
    Bug("relu-clip-bounds-swapped", "Relu", "swapped-arguments",
        "Computes the output as np.clip(x, None, 0), the bounds in the other order.",
        [(RELU_FORWARD_TAIL, "        out = np.clip(x, None, 0)\n        return out\n")]),
    Bug("relu-backward-where-swapped", "Relu", "swapped-arguments",
        "Computes dx = np.where(self.mask, dout, 0), passing the gradient where the input was "
        "not positive.",
        [(RELU_BACKWARD, "        dx = np.where(self.mask, dout, 0)\n        return dx\n")]),
    Bug("relu-backward-int-buffer", "Relu", "integer-dtype",
        "Copies the passed gradients into np.zeros(dout.shape, dtype=int), truncating them.",
        [(RELU_BACKWARD,
          "        dx = np.zeros(dout.shape, dtype=int)\n"
          "        dx[~self.mask] = dout[~self.mask]\n"
          "        return dx\n")]),
    Bug("relu-backward-no-return", "Relu", "missing-term",
        "Zeroes the gradient in backward but never returns it.",
        [(RELU_BACKWARD, "        dout[self.mask] = 0\n        dx = dout\n")]),
    Bug("relu-backward-local-derivative-only", "Relu", "missing-term",
        "Returns ReLU's own derivative, np.where(self.mask, 0.0, 1.0), without multiplying by "
        "dout.",
        [(RELU_BACKWARD, "        dx = np.where(self.mask, 0.0, 1.0)\n        return dx\n")]),
    # ---------------------------------------------------------------------------- Affine
    Bug("affine-einsum-W-as-out-by-in", "Affine", "axis-order",
        "Computes the output with np.einsum('ni,oi->no', x, W), treating W as (out, in).",
        [("out = np.dot(self.x, self.W) + self.b",
          "out = np.einsum('ni,oi->no', self.x, self.W) + self.b")]),
    Bug("affine-signature-b-first", "Affine", "swapped-arguments",
        "Declares Affine(b, W) while the network builds it as Affine(W, b).",
        [("def __init__(self, W, b):", "def __init__(self, b, W):")]),
    Bug("affine-dW-broadcast-summed-over-inputs", "Affine", "reduction-axis",
        "Forms dW from the per-sample outer products x[:, :, None] * dout[:, None, :] and sums "
        "them over axis 1 instead of the batch axis 0.",
        [("self.dW = np.dot(self.x.T, dout)",
          "self.dW = np.sum(self.x[:, :, None] * dout[:, None, :], axis=1)")]),
    Bug("affine-dx-as-W-dout-T", "Affine", "axis-order",
        "Computes dx as W @ dout.T, the transpose of the right gradient, and reshapes it to the "
        "input's shape.",
        [("dx = np.dot(dout, self.W.T)", "dx = np.dot(self.W, dout.T)")]),
    Bug("affine-shape-per-sample", "Affine", "wrong-cached-value",
        "Caches x.shape[1:], one sample's shape, and reshapes dx to it.",
        [("self.original_x_shape = x.shape", "self.original_x_shape = x.shape[1:]")]),
    Bug("affine-flatten-keeps-last-axis", "Affine", "output-size",
        "Flattens with x.reshape(-1, x.shape[-1]), keeping the last axis as the features.",
        [("x = x.reshape(x.shape[0], -1)", "x = x.reshape(-1, x.shape[-1])")]),
    Bug("affine-dW-into-W", "Affine", "overwrite",
        "Assigns the weight gradient to self.W instead of self.dW.",
        [("self.dW = np.dot(self.x.T, dout)", "self.W = np.dot(self.x.T, dout)")]),
    Bug("affine-input-cached-in-reshape-branch", "Affine", "stale-forward",
        "Flattens only inputs with more than two axes and caches self.x inside that branch, so "
        "a 2-D input is never cached and backward uses an earlier one.",
        [("        x = x.reshape(x.shape[0], -1)  # (N, C, H, W) -> (N, C*H*W)\n"
          "        self.x = x\n",
          "        if x.ndim > 2:\n"
          "            x = x.reshape(x.shape[0], -1)  # (N, C, H, W) -> (N, C*H*W)\n"
          "            self.x = x\n")]),
    # ---------------------------------------------------------------------------- SoftmaxWithLoss
    Bug("softmax-clip-instead-of-shift", "SoftmaxWithLoss", "numerical-stability",
        "Clips the scores to [-500, 500] instead of subtracting the row maximum.",
        [("x = x - np.max(x, axis=-1, keepdims=True)", "x = np.clip(x, -500, 500)")]),
    Bug("softmax-divide-by-max", "SoftmaxWithLoss", "numerical-stability",
        "Divides the scores by the row maximum instead of subtracting it.",
        [("x = x - np.max(x, axis=-1, keepdims=True)",
          "x = x / np.max(x, axis=-1, keepdims=True)")]),
    Bug("loss-guard-1e-4", "SoftmaxWithLoss", "numerical-stability",
        "Adds a log guard of 1e-4, which shifts every loss.",
        [("t] + 1e-7)", "t] + 1e-4)")]),
    Bug("softmax-sum-without-keepdims", "SoftmaxWithLoss", "reduction-axis",
        "Divides by np.sum(e, axis=-1) without keepdims, so a batch's row sums broadcast along "
        "the class axis.",
        [("return e / np.sum(e, axis=-1, keepdims=True)", "return e / np.sum(e, axis=-1)")]),
    Bug("softmax-backward-target-unscaled", "SoftmaxWithLoss", "scale",
        "Divides the probabilities by the batch size before subtracting 1 at the targets, so "
        "the -1 is not divided.",
        [(LABEL_BACKWARD,
          "            dx = self.y / batch_size\n"
          "            dx[np.arange(batch_size), self.t] -= 1\n")]),
    Bug("softmax-shifts-caller-scores", "SoftmaxWithLoss", "state-mutated",
        "Shifts the scores with x -= max in forward, changing the caller's array.",
        [("        self.y = softmax(x)\n",
          "        x -= np.max(x, axis=-1, keepdims=True)\n        self.y = softmax(x)\n")]),
    Bug("softmax-shift-added", "SoftmaxWithLoss", "sign",
        "Adds the row maximum to the scores instead of subtracting it.",
        [("x = x - np.max(x, axis=-1, keepdims=True)",
          "x = x + np.max(x, axis=-1, keepdims=True)")]),
    Bug("softmax-backward-one-minus-y", "SoftmaxWithLoss", "sign",
        "Sets the target entries of dx to 1 - y instead of y - 1.",
        [("dx[np.arange(batch_size), self.t] -= 1",
          "dx[np.arange(batch_size), self.t] = 1 - dx[np.arange(batch_size), self.t]")]),
    Bug("softmax-exp-into-scores", "SoftmaxWithLoss", "state-mutated",
        "Writes the exponentials into the caller's scores with np.exp(..., out=x) to save an "
        "array.",
        [("    x = x - np.max(x, axis=-1, keepdims=True)  # shift so that exp cannot overflow\n"
          "    e = np.exp(x)\n",
          "    e = np.exp(x - np.max(x, axis=-1, keepdims=True), out=x)  # no extra array\n")]),
    Bug("softmax-loss-with-previous-targets", "SoftmaxWithLoss", "stale-forward",
        "Computes the loss before storing this call's targets, so it uses self.t from the "
        "previous call.",
        [("        self.t = t\n        self.y = softmax(x)\n"
          "        self.loss = cross_entropy_error(self.y, self.t)\n",
          "        self.y = softmax(x)\n"
          "        self.loss = cross_entropy_error(self.y, self.t)\n"
          "        self.t = t\n")]),
    Bug("softmax-returns-stale-loss", "SoftmaxWithLoss", "stale-forward",
        "Puts this call's loss in a local and returns self.loss, which still holds the value "
        "from before the call.",
        [("        self.loss = cross_entropy_error(self.y, self.t)\n        return self.loss\n",
          "        loss = cross_entropy_error(self.y, self.t)\n        return self.loss\n")]),
    Bug("loss-divided-by-batch-again", "SoftmaxWithLoss", "scale",
        "Divides cross_entropy_error's already averaged loss by the batch size again.",
        [("self.loss = cross_entropy_error(self.y, self.t)\n        return",
          "self.loss = cross_entropy_error(self.y, self.t) / len(x)\n        return")]),
    # ---------------------------------------------------------------------------- SimpleConvNet
    Bug("net-b2-sized-by-input", "SimpleConvNet", "output-size",
        "Sizes b2 with pool_output_size, the hidden layer's input size, instead of hidden_size.",
        [("self.params['b2'] = np.zeros(hidden_size)",
          "self.params['b2'] = np.zeros(pool_output_size)")]),
    Bug("net-W3-transposed", "SimpleConvNet", "axis-order",
        "Creates W3 as randn(output_size, hidden_size).",
        [("np.random.randn(hidden_size, output_size)",
          "np.random.randn(output_size, hidden_size)")]),
    Bug("net-predict-skips-last-layer", "SimpleConvNet", "missing-term",
        "Runs predict over list(self.layers.values())[:-1], leaving out the last Affine layer.",
        [("        for layer in self.layers.values():\n            x = layer.forward(x)\n",
          "        for layer in list(self.layers.values())[:-1]:\n"
          "            x = layer.forward(x)\n")]),
    Bug("net-layers-replaced-by-list", "SimpleConvNet", "overwrite",
        "Reverses the layers in gradient by storing the reversed list in self.layers, losing "
        "the dictionary the gradients are read from.",
        [("        layers = list(self.layers.values())\n        layers.reverse()\n"
          "        for layer in layers:\n",
          "        self.layers = list(self.layers.values())\n        self.layers.reverse()\n"
          "        for layer in self.layers:\n")]),
    Bug("net-last-layer-the-class", "SimpleConvNet", "wrong-cached-value",
        "Stores the class SoftmaxWithLoss as the last layer instead of an instance.",
        [("self.last_layer = SoftmaxWithLoss()", "self.last_layer = SoftmaxWithLoss")]),
    Bug("net-filter-keys-swapped", "SimpleConvNet", "swapped-arguments",
        "Reads filter_num from conv_param['filter_size'] and filter_size from "
        "conv_param['filter_num'].",
        [("        filter_num = conv_param['filter_num']\n"
          "        filter_size = conv_param['filter_size']\n",
          "        filter_num = conv_param['filter_size']\n"
          "        filter_size = conv_param['filter_num']\n")]),
    Bug("net-grads-divided-by-batch", "SimpleConvNet", "scale",
        "Divides every gradient by the batch size before returning it, although the loss is "
        "already a batch mean.",
        [("        return grads\n",
          "        return {key: grad / x.shape[0] for key, grad in grads.items()}\n")]),
    Bug("net-accuracy-divided-past-end", "SimpleConvNet", "scale",
        "Divides the correct count by start + batch_size, the end of the last batch, instead "
        "of the number of samples.",
        [("        return correct / x.shape[0]\n",
          "        return correct / (start + batch_size)\n")]),
    Bug("net-conv-param-records-size", "SimpleConvNet", "state-mutated",
        "Stores the convolution's output size back into the caller's conv_param.",
        [("        # the 2x2, stride 2 pooling floors odd sizes\n",
          "        conv_param['out_size'] = (conv_h, conv_w)\n"
          "        # the 2x2, stride 2 pooling floors odd sizes\n")]),
]
