"""A second set of single-bug chapter 7 submissions, written blind as a holdout and since used
to improve the diagnosis: training material now (see README.md).

Each Bug is the correct example `conformance/examples/submission/cnn.py` with one mistake, given
as exact text replacements applied in order.
"""

from dataclasses import dataclass
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "conformance" / "examples" / "submission" / "cnn.py"

COMPONENTS = ("im2col", "col2im", "Convolution", "Pooling", "Relu", "Affine", "SoftmaxWithLoss",
              "SimpleConvNet")

BUG_CLASSES = ("output-size", "stride", "padding", "axis-order", "scale", "overwrite", "sign",
               "missing-term", "wrong-cached-value", "swapped-arguments", "reduction-axis",
               "integer-dtype", "state-mutated", "stale-forward", "numerical-stability")


class ReplacementError(ValueError):
    """A bug's old text is not in the source exactly once (the example changed under it)."""


@dataclass(frozen=True)
class Bug:
    name: str
    component: str  # the component whose own code holds the mistake
    bug_class: str
    description: str  # what the student did, in one sentence
    replace: list  # [(old, new)], applied in order; each old must occur exactly once


def example_source():
    return EXAMPLE.read_text(encoding="utf-8")


def apply(bug, source):
    """The source with the bug's replacements made; ReplacementError if any old text is not
    there exactly once at its step."""
    for step, (old, new) in enumerate(bug.replace, 1):
        found = source.count(old)
        if found != 1:
            raise ReplacementError(f"{bug.name}, step {step}: expected the text once, finds it "
                                   f"{found} times: {old!r}")
        source = source.replace(old, new)
    return source


# ----------------------------------------------------------------------------------------------
# Anchors shared by several bugs (each is unique in the example)

IM2COL_SIZE = ("    out_h = (H + 2 * pad - filter_h) // stride + 1\n"
               "    out_w = (W + 2 * pad - filter_w) // stride + 1\n\n"
               "    img = np.pad(")
COL2IM_SIZE = ("    N, C, H, W = input_shape\n"
               "    out_h = (H + 2 * pad - filter_h) // stride + 1\n"
               "    out_w = (W + 2 * pad - filter_w) // stride + 1\n")
IM2COL_COPY = "col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end:stride, fx:fx_end:stride]"
COL2IM_ADD = "img[:, :, fy:fy_end:stride, fx:fx_end:stride] += col[:, :, fy, fx, :, :]"
COL2IM_CROP = "    return img[:, :, pad:H + pad, pad:W + pad]\n"
CONV_COL_W = "        col_W = self.W.reshape(FN, -1).T  # (C*FH*FW, FN)\n"
CONV_DW = ("        self.dW = np.dot(self.col.T, dout)\n"
           "        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)\n")
AFFINE_DB = "        self.dW = np.dot(self.x.T, dout)\n        self.db = np.sum(dout, axis=0)\n"
POOL_SIZE = ("        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1\n"
             "        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1\n")
RELU_BACKWARD = "        dout[self.mask] = 0\n        dx = dout\n"
CEE_RETURN = "    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size\n"
NET_GRAD_CONV = "grads['W1'], grads['b1'] = self.layers['Conv1'].dW, self.layers['Conv1'].db"
NET_ACCURACY_RETURN = "        return correct / x.shape[0]\n"

BUGS = [
    # ------------------------------------------------------------------------------ im2col
    Bug("im2col-size-without-parentheses", "im2col", "output-size",
        "The output size is typed as `H + 2*pad - filter_h // stride + 1`, so only the filter "
        "size is divided by the stride (right for stride 1 only).",
        [(IM2COL_SIZE,
          "    out_h = H + 2 * pad - filter_h // stride + 1\n"
          "    out_w = W + 2 * pad - filter_w // stride + 1\n\n"
          "    img = np.pad(")]),
    Bug("im2col-pads-every-axis", "im2col", "padding",
        "np.pad is given the bare `pad`, which pads the batch and channel axes as well as H and W.",
        [('img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")',
          'img = np.pad(input_data, pad, "constant")')]),
    Bug("im2col-signature-pad-before-stride", "im2col", "swapped-arguments",
        "im2col is declared `(input_data, filter_h, filter_w, pad=0, stride=1)`, so the callers' "
        "positional stride and pad arrive swapped.",
        [("def im2col(input_data, filter_h, filter_w, stride=1, pad=0):",
          "def im2col(input_data, filter_h, filter_w, pad=0, stride=1):")]),
    Bug("im2col-reshape-then-transpose", "im2col", "axis-order",
        "The 6-D buffer is reshaped to (C*FH*FW, N*OH*OW) order and transposed afterwards, which "
        "has the right shape but mixes entries of different windows and channels.",
        [("col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)",
          "col = col.transpose(0, 4, 5, 1, 2, 3).reshape(-1, N * out_h * out_w).T")]),
    Bug("im2col-last-filter-column-skipped", "im2col", "missing-term",
        "The inner loop runs `range(filter_w - 1)`, so the last column of every window stays zero.",
        [("        for fx in range(filter_w):\n            fx_end = fx + stride * out_w\n"
          "            col[",
          "        for fx in range(filter_w - 1):\n            fx_end = fx + stride * out_w\n"
          "            col[")]),
    Bug("im2col-buffer-allocated-in-loop", "im2col", "overwrite",
        "The zero buffer is allocated inside the filter-row loop, so each row offset wipes out "
        "what the earlier ones copied.",
        [("    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))\n\n", "\n"),
         ("    for fy in range(filter_h):\n        fy_end = fy + stride * out_h\n"
          "        for fx in range(filter_w):\n            fx_end = fx + stride * out_w\n"
          "            col[",
          "    for fy in range(filter_h):\n"
          "        col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))\n"
          "        fy_end = fy + stride * out_h\n"
          "        for fx in range(filter_w):\n            fx_end = fx + stride * out_w\n"
          "            col[")]),
    Bug("im2col-columns-stepped-by-one", "im2col", "stride",
        "Along the width the windows are read one pixel apart (`fx:fx + out_w`), whatever the "
        "stride.",
        [(IM2COL_COPY, "col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end:stride, fx:fx + out_w]")]),

    # ------------------------------------------------------------------------------ col2im
    Bug("col2im-crop-with-negative-pad", "col2im", "padding",
        "The padding is cropped with `img[:, :, pad:-pad, pad:-pad]`, which is empty for pad 0 "
        "and keeps the stride margin for pad > 0.",
        [(COL2IM_CROP, "    return img[:, :, pad:-pad, pad:-pad]\n")]),
    Bug("col2im-reshape-without-transpose", "col2im", "axis-order",
        "The rows are reshaped straight into the (N, C, FH, FW, OH, OW) layout without the "
        "transpose that undoes im2col's.",
        [("col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)",
          "col = col.reshape(N, C, filter_h, filter_w, out_h, out_w)")]),
    Bug("col2im-filter-offsets-swapped", "col2im", "swapped-arguments",
        "The column entry is read as `col[:, :, fx, fy]`, with the two filter offsets swapped.",
        [(COL2IM_ADD,
          "img[:, :, fy:fy_end:stride, fx:fx_end:stride] += col[:, :, fx, fy, :, :]")]),
    Bug("col2im-averages-overlaps", "col2im", "scale",
        "Overlapping contributions are averaged (divided by how many windows cover the pixel) "
        "instead of summed, as if col2im had to invert im2col.",
        [("    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))\n",
          "    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))\n"
          "    count = np.zeros_like(img)\n"),
         ("            " + COL2IM_ADD + "\n",
          "            " + COL2IM_ADD + "\n"
          "            count[:, :, fy:fy_end:stride, fx:fx_end:stride] += 1\n"),
         (COL2IM_CROP, "    img = img / np.maximum(count, 1)\n" + COL2IM_CROP)]),
    Bug("col2im-size-without-pad", "col2im", "output-size",
        "col2im's output size leaves the padding out (`(H - filter_h) // stride + 1`).",
        [(COL2IM_SIZE,
          "    N, C, H, W = input_shape\n"
          "    out_h = (H - filter_h) // stride + 1\n"
          "    out_w = (W - filter_w) // stride + 1\n")]),
    Bug("col2im-rows-stepped-by-one", "col2im", "stride",
        "The `:stride` step is missing from the row slice, so rows are written one pixel apart.",
        [(COL2IM_ADD, "img[:, :, fy:fy_end, fx:fx_end:stride] += col[:, :, fy, fx, :, :]")]),

    # ------------------------------------------------------------------------------ Convolution
    Bug("conv-dW-averaged-over-batch", "Convolution", "scale",
        "dW is divided by the batch size, although the loss's gradient is already averaged.",
        [("        self.dW = np.dot(self.col.T, dout)\n",
          "        self.dW = np.dot(self.col.T, dout) / self.x.shape[0]\n")]),
    Bug("conv-W-reshaped-in-place", "Convolution", "state-mutated",
        "forward flattens the filters with `self.W.shape = (FN, -1)`, changing the shared "
        "parameter array's shape.",
        [(CONV_COL_W,
          "        self.W.shape = (FN, -1)\n"
          "        col_W = self.W.T  # (C*FH*FW, FN)\n")]),
    Bug("conv-dW-accumulates", "Convolution", "stale-forward",
        "dW starts as zeros and backward adds to it (`+=`), so every call keeps the gradients of "
        "the earlier batches.",
        [("        self.col_W = None\n\n        self.dW = None\n",
          "        self.col_W = None\n\n        self.dW = np.zeros_like(W)\n"),
         (CONV_DW,
          "        self.dW += np.dot(self.col.T, dout).transpose(1, 0).reshape(FN, C, FH, FW)\n")]),
    Bug("conv-pads-twice", "Convolution", "padding",
        "forward pads x itself and still passes `self.pad` to im2col, so the input is padded "
        "twice (and the padded x is kept for backward).",
        [("        col = im2col(x, FH, FW, self.stride, self.pad)\n",
          "        p = self.pad\n"
          "        x = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], \"constant\")\n"
          "        col = im2col(x, FH, FW, self.stride, self.pad)\n")]),
    Bug("conv-output-reshaped-width-first", "Convolution", "axis-order",
        "The output rows are reshaped as (N, OW, OH, FN) and transposed back with (0, 3, 2, 1), "
        "which gives the right shape with the image transposed.",
        [("out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)",
          "out = out.reshape(N, out_w, out_h, -1).transpose(0, 3, 2, 1)")]),
    Bug("conv-bias-added-after-transpose", "Convolution", "axis-order",
        "The bias is added after the output is transposed to (N, FN, OH, OW), so it broadcasts "
        "along the width instead of the filters.",
        [("        out = np.dot(col, col_W) + self.b  # (N*out_h*out_w, FN)\n",
          "        out = np.dot(col, col_W)  # (N*out_h*out_w, FN)\n"),
         ("out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)",
          "out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2) + self.b")]),

    # ------------------------------------------------------------------------------ Pooling
    Bug("pool-pads-with-plus-inf", "Pooling", "sign",
        "Max pooling pads with `+inf` (the minus sign dropped), so every window touching the "
        "border outputs inf.",
        [("constant_values=-np.inf)", "constant_values=np.inf)")]),
    Bug("pool-backward-dout-height-width-swapped", "Pooling", "axis-order",
        "backward moves the channels last with `transpose(0, 3, 2, 1)`, swapping the output's "
        "height and width.",
        [("        dout = dout.transpose(0, 2, 3, 1)\n\n",
          "        dout = dout.transpose(0, 3, 2, 1)\n\n")]),
    Bug("pool-size-as-input-over-stride", "Pooling", "output-size",
        "The output size is taken as `H // stride`, right for 2x2 windows with stride 2 and no "
        "padding only.",
        [(POOL_SIZE, "        out_h = H // self.stride\n        out_w = W // self.stride\n")]),
    Bug("pool-dmax-buffer-reused", "Pooling", "stale-forward",
        "backward allocates the gradient buffer once and reuses it, so entries written for an "
        "earlier batch's maxima are never cleared.",
        [("        self.arg_max = None\n",
          "        self.arg_max = None\n        self.dmax = None\n"),
         ("        dmax = np.zeros((dout.size, pool_size))\n",
          "        if self.dmax is None:\n"
          "            self.dmax = np.zeros((dout.size, pool_size))\n"
          "        dmax = self.dmax\n")]),
    Bug("pool-crop-from-padded-shape", "Pooling", "wrong-cached-value",
        "backward crops the padding with the padded height and width it kept, not the input's.",
        [("        H, W = self.x_shape[2], self.x_shape[3]\n",
          "        H, W = self.padded_shape[2], self.padded_shape[3]\n")]),
    Bug("pool-argmax-without-axis", "Pooling", "reduction-axis",
        "arg_max is `np.argmax(col)`, one flat index over the whole array instead of one per "
        "window.",
        [("arg_max = np.argmax(col, axis=1)", "arg_max = np.argmax(col)")]),
    Bug("pool-gradient-to-the-minimum", "Pooling", "sign",
        "arg_max is taken with `np.argmin`, so the forward output is the maximum but backward "
        "sends the gradient to each window's minimum.",
        [("arg_max = np.argmax(col, axis=1)", "arg_max = np.argmin(col, axis=1)")]),

    # ------------------------------------------------------------------------------ Relu
    Bug("relu-mask-computed-once", "Relu", "stale-forward",
        "The mask is only computed when it is still None, so later batches reuse the first one.",
        [("        self.mask = (x <= 0)\n",
          "        if self.mask is None:\n            self.mask = (x <= 0)\n")]),
    Bug("relu-mask-from-dout", "Relu", "wrong-cached-value",
        "backward zeroes the gradient where the incoming gradient is negative instead of where "
        "the forward input was.",
        [(RELU_BACKWARD, "        dout[dout <= 0] = 0\n        dx = dout\n")]),
    Bug("relu-gradient-in-mask-dtype", "Relu", "integer-dtype",
        "dx is built with `np.zeros_like(self.mask)`, a boolean array that turns every gradient "
        "into True or False.",
        [(RELU_BACKWARD,
          "        dx = np.zeros_like(self.mask)\n"
          "        dx[~self.mask] = dout[~self.mask]\n")]),
    Bug("relu-slice-is-not-a-copy", "Relu", "state-mutated",
        "forward copies the input with `x[:]`, a NumPy view, so zeroing the output zeroes the "
        "caller's array.",
        [("        out = x.copy()\n", "        out = x[:]\n")]),
    Bug("relu-backward-times-output", "Relu", "wrong-cached-value",
        "backward multiplies the gradient by the forward output, as sigmoid's backward uses its "
        "output, instead of by the 0/1 mask.",
        [("        out[self.mask] = 0\n        return out\n",
          "        out[self.mask] = 0\n        self.out = out\n        return out\n"),
         (RELU_BACKWARD, "        dx = dout * self.out\n")]),

    # ------------------------------------------------------------------------------ Affine
    Bug("affine-dW-operands-swapped", "Affine", "swapped-arguments",
        "dW is `np.dot(dout.T, self.x)`, the transpose of the gradient (outputs by inputs).",
        [("        self.dW = np.dot(self.x.T, dout)\n",
          "        self.dW = np.dot(dout.T, self.x)\n")]),
    Bug("affine-db-summed-over-everything", "Affine", "reduction-axis",
        "db is `np.sum(dout)` with no axis, one number instead of one per output.",
        [(AFFINE_DB,
          "        self.dW = np.dot(self.x.T, dout)\n        self.db = np.sum(dout)\n")]),
    Bug("affine-db-mean", "Affine", "scale",
        "db is the mean of dout over the batch, although the loss's gradient is already averaged.",
        [(AFFINE_DB,
          "        self.dW = np.dot(self.x.T, dout)\n        self.db = np.mean(dout, axis=0)\n")]),
    Bug("affine-shape-kept-after-flattening", "Affine", "wrong-cached-value",
        "The input shape is stored after the reshape, so backward restores the flattened shape.",
        [("        self.original_x_shape = x.shape\n        x = x.reshape(x.shape[0], -1)",
          "        x = x.reshape(x.shape[0], -1)"),
         ("        self.x = x\n        out = np.dot(self.x, self.W)",
          "        self.original_x_shape = x.shape\n        self.x = x\n"
          "        out = np.dot(self.x, self.W)")]),
    Bug("affine-db-never-set", "Affine", "missing-term",
        "backward computes dx and dW but never sets db, which stays None.",
        [(AFFINE_DB, "        self.dW = np.dot(self.x.T, dout)\n")]),

    # ------------------------------------------------------------------------------ SoftmaxWithLoss
    Bug("softmax-shift-by-mean", "SoftmaxWithLoss", "numerical-stability",
        "softmax subtracts each row's mean instead of its maximum, so exp overflows when the "
        "scores of one row are far apart.",
        [("    x = x - np.max(x, axis=-1, keepdims=True)",
          "    x = x - np.mean(x, axis=-1, keepdims=True)")]),
    Bug("cee-log-of-product", "SoftmaxWithLoss", "numerical-stability",
        "The loss takes the log of the product of the batch's probabilities instead of summing "
        "the logs, which underflows to log(0) on large batches.",
        [(CEE_RETURN,
          "    return -np.log(np.prod(y[np.arange(batch_size), t] + 1e-7)) / batch_size\n")]),
    Bug("softmax-shift-by-column-max", "SoftmaxWithLoss", "reduction-axis",
        "softmax subtracts the maximum over the batch axis (axis=0), a different shift for each "
        "class, which changes the probabilities.",
        [("    x = x - np.max(x, axis=-1, keepdims=True)",
          "    x = x - np.max(x, axis=0, keepdims=True)")]),
    Bug("swl-batch-size-from-t-size", "SoftmaxWithLoss", "scale",
        "backward takes the batch size as `self.t.size`, which for one-hot targets is batch "
        "times classes.",
        [("        batch_size = self.t.shape[0]\n", "        batch_size = self.t.size\n")]),
    Bug("cee-one-hot-not-converted", "SoftmaxWithLoss", "missing-term",
        "cross_entropy_error leaves out the one-hot to label conversion and indexes y with the "
        "one-hot rows.",
        [("    # one-hot targets -> class labels\n"
          "    if t.size == y.size:\n        t = t.argmax(axis=1)\n\n", "")]),
    Bug("softmax-book-transpose-not-undone", "SoftmaxWithLoss", "axis-order",
        "softmax transposes a batch to work along axis 0, as the book does, but returns the "
        "result without transposing it back.",
        [("    x = x - np.max(x, axis=-1, keepdims=True)  # shift so that exp cannot overflow\n"
          "    e = np.exp(x)\n"
          "    return e / np.sum(e, axis=-1, keepdims=True)\n",
          "    if x.ndim == 2:\n"
          "        x = x.T\n"
          "        x = x - np.max(x, axis=0)\n"
          "        y = np.exp(x) / np.sum(np.exp(x), axis=0)\n"
          "        return y\n"
          "    x = x - np.max(x)  # shift so that exp cannot overflow\n"
          "    return np.exp(x) / np.sum(np.exp(x))\n")]),
    Bug("swl-loss-arguments-swapped", "SoftmaxWithLoss", "swapped-arguments",
        "forward calls `cross_entropy_error(self.t, self.y)`, targets first.",
        [("cross_entropy_error(self.y, self.t)", "cross_entropy_error(self.t, self.y)")]),
    Bug("swl-target-entry-set-to-minus-one", "SoftmaxWithLoss", "overwrite",
        "For label targets backward sets the target entries to -1 instead of subtracting 1 from "
        "the probabilities there.",
        [("dx[np.arange(batch_size), self.t] -= 1", "dx[np.arange(batch_size), self.t] = -1")]),

    # ------------------------------------------------------------------------------ SimpleConvNet
    Bug("net-grad-W1-is-the-weight", "SimpleConvNet", "wrong-cached-value",
        "gradient returns the convolution's weights `.W` as the gradient of W1 instead of `.dW`.",
        [(NET_GRAD_CONV,
          "grads['W1'], grads['b1'] = self.layers['Conv1'].W, self.layers['Conv1'].db")]),
    Bug("net-accuracy-in-percent", "SimpleConvNet", "scale",
        "accuracy returns a percentage (times 100) instead of a fraction.",
        [(NET_ACCURACY_RETURN, "        return correct / x.shape[0] * 100\n")]),
    Bug("net-grads-without-b1", "SimpleConvNet", "missing-term",
        "gradient leaves the convolution's bias out of the gradients it returns.",
        [(NET_GRAD_CONV, "grads['W1'] = self.layers['Conv1'].dW")]),
    Bug("net-conv-param-popped", "SimpleConvNet", "state-mutated",
        "The constructor reads conv_param with `.pop`, emptying the caller's dict and the "
        "shared default, so the next network built from it fails.",
        [("        filter_num = conv_param['filter_num']\n"
          "        filter_size = conv_param['filter_size']\n"
          "        filter_pad = conv_param['pad']\n"
          "        filter_stride = conv_param['stride']\n",
          "        filter_num = conv_param.pop('filter_num')\n"
          "        filter_size = conv_param.pop('filter_size')\n"
          "        filter_pad = conv_param.pop('pad')\n"
          "        filter_stride = conv_param.pop('stride')\n")]),
    Bug("net-accuracy-from-last-loss", "SimpleConvNet", "stale-forward",
        "accuracy reads the softmax output the last loss call left in the last layer instead of "
        "predicting the batch it is given.",
        [("            y = self.predict(tx)\n", "            y = self.last_layer.y\n")]),
    Bug("net-loss-arguments-swapped", "SimpleConvNet", "swapped-arguments",
        "loss calls `self.last_layer.forward(t, y)`, targets first.",
        [("return self.last_layer.forward(y, t)", "return self.last_layer.forward(t, y)")]),
    Bug("net-conv-pad-not-passed", "SimpleConvNet", "padding",
        "The convolution layer is built without the pad argument, although W2's size counts it.",
        [("                                           filter_stride, filter_pad)",
          "                                           filter_stride)")]),
    Bug("net-bias-from-int-list", "SimpleConvNet", "integer-dtype",
        "b1 is made from a list of Python zeros, an integer array that truncates every value "
        "written into it and refuses in-place float updates.",
        [("self.params['b1'] = np.zeros(filter_num)",
          "self.params['b1'] = np.array([0] * filter_num)")]),
    Bug("net-accuracy-argmax-over-batch", "SimpleConvNet", "reduction-axis",
        "accuracy takes the predicted class with argmax over axis 0, the batch.",
        [("            y = np.argmax(y, axis=1)\n", "            y = np.argmax(y, axis=0)\n")]),
    Bug("net-pool-size-height-squared", "SimpleConvNet", "output-size",
        "W2's input size uses the convolution's height twice (`conv_h // 2` squared), as for a "
        "square image.",
        [("filter_num * (conv_h // 2) * (conv_w // 2)", "filter_num * (conv_h // 2) ** 2")]),
    Bug("net-accuracy-counts-mistakes", "SimpleConvNet", "sign",
        "accuracy counts `y != tt`, the wrong predictions, so it returns the error rate.",
        [("correct += np.sum(y == tt)", "correct += np.sum(y != tt)")]),
]
