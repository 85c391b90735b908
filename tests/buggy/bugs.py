"""Single-bug submissions, as data: each bug is the correct book-style example
(conformance/examples/submission/cnn.py) with one realistic student mistake, applied as exact
text replacements. Every `old` must occur exactly once in the source it is applied to, so the
table fails loudly instead of silently rotting when the example changes.

Fields:
  name        the test id
  component   the component whose checks must start failing
  description the mistake, as a student would make it
  replace     [(old, new), ...] applied in order
  also_fails  the other components that depend on the buggy code and fail with it
  hint        the variant (conformance/variants.py) or book difference (divergences.toml) the
              suite must name for `component`, or None where no variant models the mistake
  message     a substring some failure message of `component` must contain (checks that
              the right thing is reported where no hint can be)
  suite_gap   where the suite falls short on this bug (a missing or unreachable hint): the
              text says how; the hint assertion is then an expected failure, so it turns into
              an unexpected pass, loudly, once the suite is fixed
  ok_hints    other variant names that are right for this bug in a dependent component
              (a dependent's variant of the same name as `hint` needs no listing)
  false_hints where the suite is known to name a mistake this bug does not make (an expected
              failure of the no-stray-hint test, like suite_gap)
"""

from dataclasses import dataclass
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "conformance" / "examples" / "submission" / "cnn.py"


@dataclass(frozen=True)
class Bug:
    name: str
    component: str
    description: str
    replace: list
    also_fails: tuple = ()
    hint: str | None = None
    message: str | None = None
    suite_gap: str | None = None
    ok_hints: tuple = ()
    false_hints: str | None = None


# Lines of the example that several bugs touch, spelled once.
IM2COL_SIZES = ("N, C, H, W = input_data.shape\n"
                "    out_h = (H + 2 * pad - filter_h) // stride + 1\n"
                "    out_w = (W + 2 * pad - filter_w) // stride + 1")
COL2IM_SIZES = ("N, C, H, W = input_shape\n"
                "    out_h = (H + 2 * pad - filter_h) // stride + 1\n"
                "    out_w = (W + 2 * pad - filter_w) // stride + 1")
CONV_SIZES = ("out_h = (H + 2 * self.pad - FH) // self.stride + 1\n"
              "        out_w = (W + 2 * self.pad - FW) // self.stride + 1")
POOL_SIZES = ("out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1\n"
              "        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1")
IM2COL_PAD = 'img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")'
IM2COL_SLICE = "col[:, :, fy, fx, :, :] = img[:, :, fy:fy_end:stride, fx:fx_end:stride]"
COL2IM_SLICE = "img[:, :, fy:fy_end:stride, fx:fx_end:stride] += col[:, :, fy, fx, :, :]"
COL2IM_RETURN = "return img[:, :, pad:H + pad, pad:W + pad]"
CONV_OUT = "out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)"
CONV_DB = ("dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n\n"
           "        self.db = np.sum(dout, axis=0)")
POOL_FORWARD_PAD = ("p = self.pad\n"
                    "        x_padded = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], \"constant\",\n"
                    "                          constant_values=-np.inf)")
POOL_BACKWARD_PAD = "p = self.pad\n        return dx_padded"
POOL_ROUTE = "dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()"
SOFTMAX_SHIFT = ("    x = x - np.max(x, axis=-1, keepdims=True)"
                 "  # shift so that exp cannot overflow\n")
ACCURACY_LOOP = "for start in range(0, x.shape[0], batch_size):  # the last batch may be shorter"

BUGS = [
    # -- im2col -------------------------------------------------------------------------------
    Bug("im2col-columns-order", "im2col",
        "the 6-D array is transposed to (n, oh, ow, fh, fw, c): columns ordered (fh, fw, c)",
        [("col.transpose(0, 4, 5, 1, 2, 3)", "col.transpose(0, 4, 5, 2, 3, 1)")],
        also_fails=("Convolution", "Pooling", "SimpleConvNet"),
        hint="im2col-columns-order"),
    Bug("im2col-rows-transposed", "im2col",
        "the 6-D array is transposed to (n, ow, oh, ...): rows ordered (n, ow, oh)",
        [("col.transpose(0, 4, 5, 1, 2, 3)", "col.transpose(0, 5, 4, 1, 2, 3)")],
        also_fails=("Convolution", "Pooling", "SimpleConvNet"),
        hint="im2col-rows-transposed",
        # Convolution's hint names the reshape and im2col's row order: both are true leads
        ok_hints=("output-transposed-hw",)),
    Bug("im2col-ignores-stride", "im2col",
        "the slices step one pixel at a time: img[:, :, y:y + out_h, x:x + out_w]",
        [(IM2COL_SLICE, "col[:, :, fy, fx, :, :] = img[:, :, fy:fy + out_h, fx:fx + out_w]")],
        also_fails=("Convolution", "Pooling", "SimpleConvNet"),
        hint="im2col-ignores-stride"),
    Bug("im2col-output-size-pad-once", "im2col",
        "im2col's output size counts the padding once: (H + pad - FH) // stride + 1",
        [(IM2COL_SIZES, IM2COL_SIZES.replace("2 * pad", "pad"))],
        also_fails=("Convolution", "SimpleConvNet"),
        hint="output-size-pad-once"),
    Bug("output-size-pad-once-everywhere", "im2col",
        "the same size formula with the padding counted once, copied into im2col, col2im and "
        "Convolution (so the three agree with each other)",
        [(IM2COL_SIZES, IM2COL_SIZES.replace("2 * pad", "pad")),
         (COL2IM_SIZES, COL2IM_SIZES.replace("2 * pad", "pad")),
         (CONV_SIZES, CONV_SIZES.replace("2 * self.pad", "self.pad"))],
        also_fails=("col2im", "Convolution", "SimpleConvNet"),
        hint="output-size-pad-once"),
    Bug("im2col-ignores-pad", "im2col",
        "im2col has no padding at all: no np.pad, and sizes without pad",
        [(IM2COL_SIZES, IM2COL_SIZES.replace("2 * pad", "0")),
         (IM2COL_PAD, "img = input_data")],
        also_fails=("Convolution", "SimpleConvNet"),
        hint="im2col-ignores-pad"),
    Bug("im2col-pads-wrong-axes", "im2col",
        "np.pad pads the batch and channel axes instead of H and W",
        [(IM2COL_PAD, IM2COL_PAD.replace("[(0, 0), (0, 0), (pad, pad), (pad, pad)]",
                                         "[(pad, pad), (pad, pad), (0, 0), (0, 0)]"))],
        also_fails=("Convolution", "SimpleConvNet"),
        message="im2col raised ValueError"),
    # -- col2im -------------------------------------------------------------------------------
    Bug("col2im-overwrites", "col2im", "`=` for `+=`: overlapping windows overwrite each other",
        [(COL2IM_SLICE, COL2IM_SLICE.replace("+=", "="))],
        also_fails=("Convolution", "Pooling"),
        hint="col2im-overwrites"),
    Bug("col2im-crop-off-by-pad", "col2im", "the crop starts at the origin: img[:, :, :H, :W]",
        [(COL2IM_RETURN, "return img[:, :, :H, :W]")],
        also_fails=("Convolution",),
        hint="col2im-crop-off-by-pad"),
    Bug("col2im-no-crop", "col2im", "col2im returns the padded buffer without cropping",
        [(COL2IM_RETURN, "return img")],
        also_fails=("Convolution",),
        hint="col2im-no-crop"),
    Bug("col2im-ignores-stride", "col2im", "col2im's slices step one pixel at a time",
        [(COL2IM_SLICE, "img[:, :, fy:fy + out_h, fx:fx + out_w] += col[:, :, fy, fx, :, :]")],
        also_fails=("Convolution", "Pooling", "SimpleConvNet"),
        hint="col2im-ignores-stride"),
    # -- Convolution --------------------------------------------------------------------------
    Bug("conv-output-reshaped-without-transpose", "Convolution",
        "the (N*OH*OW, FN) product is reshaped straight to (N, FN, OH, OW)",
        [(CONV_OUT, "out = out.reshape(N, -1, out_h, out_w)")],
        also_fails=("SimpleConvNet",),
        hint="output-reshaped-without-transpose"),
    Bug("conv-output-transposed-hw", "Convolution",
        "the output is transposed with (0, 3, 2, 1): H and W swapped",
        [(CONV_OUT, CONV_OUT.replace("transpose(0, 3, 1, 2)", "transpose(0, 3, 2, 1)"))],
        also_fails=("SimpleConvNet",),
        hint="output-transposed-hw"),
    Bug("conv-bias-missing", "Convolution", "the bias is never added",
        [("out = np.dot(col, col_W) + self.b", "out = np.dot(col, col_W)")],
        also_fails=("SimpleConvNet",),
        hint="bias-missing"),
    Bug("conv-bias-after-transpose", "Convolution",
        "the bias is added after the transpose to (N, FN, OH, OW), so it broadcasts along W",
        [("out = np.dot(col, col_W) + self.b", "out = np.dot(col, col_W)"),
         (CONV_OUT, CONV_OUT + " + self.b")],
        also_fails=("SimpleConvNet",),
        hint="bias-wrong-axis"),
    Bug("conv-db-mean", "Convolution", "db averages dout instead of summing it",
        [(CONV_DB, CONV_DB.replace("np.sum(dout, axis=0)", "np.mean(dout, axis=0)"))],
        also_fails=("SimpleConvNet",),
        hint="db-mean"),
    Bug("conv-dW-mean", "Convolution", "dW is divided by the batch size",
        [("self.dW = np.dot(self.col.T, dout)",
          "self.dW = np.dot(self.col.T, dout) / self.x.shape[0]")],
        also_fails=("SimpleConvNet",),
        hint="dW-mean"),
    Bug("conv-dW-reshaped-without-transpose", "Convolution",
        "dW = col.T @ dout, shape (C*FH*FW, FN), is reshaped to (FN, C, FH, FW) untransposed",
        [("self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)",
          "self.dW = self.dW.reshape(FN, C, FH, FW)")],
        also_fails=("SimpleConvNet",),
        hint="dW-reshaped-without-transpose"),
    Bug("conv-W-reshaped-without-transpose", "Convolution",
        "col_W = W.reshape(-1, FN): the filters reshaped straight to (C*FH*FW, FN)",
        [("col_W = self.W.reshape(FN, -1).T", "col_W = self.W.reshape(-1, FN)")],
        also_fails=("SimpleConvNet",),
        hint="W-reshaped-without-transpose"),
    # -- Pooling ------------------------------------------------------------------------------
    Bug("pooling-size-ignores-pad", "Pooling",
        "the output size ignores pad (the book's listing), though the input is padded",
        [(POOL_SIZES, POOL_SIZES.replace("2 * self.pad", "0"))],
        hint="pooling-size-ignores-pad",
        message="cannot reshape"),
    Bug("pooling-ignores-pad", "Pooling", "Pooling has no padding at all",
        [(POOL_SIZES, POOL_SIZES.replace("2 * self.pad", "0")),
         (POOL_FORWARD_PAD, POOL_FORWARD_PAD.replace("p = self.pad", "p = 0")),
         (POOL_BACKWARD_PAD, POOL_BACKWARD_PAD.replace("p = self.pad", "p = 0"))],
        hint="pooling-size-ignores-pad"),
    Bug("pool-pads-with-zero", "Pooling", "max pooling pads with 0 (the book's im2col does)",
        [("constant_values=-np.inf", "constant_values=0")],
        hint="pool-pads-with-zero"),
    Bug("pooling-gradient-to-every-tie", "Pooling",
        "backward routes dout to every element equal to the window's maximum",
        [("self.arg_max = arg_max\n", "self.arg_max = arg_max\n        self.col = col\n"),
         (POOL_ROUTE, "dmax = (self.col == self.col.max(axis=1, keepdims=True)) "
                      "* dout.reshape(-1, 1)")],
        hint="pooling-gradient-to-every-tie"),
    Bug("pooling-dx-to-whole-window", "Pooling",
        "backward hands dout to every pixel of the window instead of the maximum",
        [(POOL_ROUTE, "dmax[:, :] = dout.reshape(-1, 1)")],
        also_fails=("SimpleConvNet",),
        hint="pooling-dx-not-routed"),
    Bug("pooling-output-without-transpose", "Pooling",
        "the (N*OH*OW*C,) maxima are reshaped straight to (N, C, OH, OW)",
        [("out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)",
          "out = out.reshape(N, C, out_h, out_w)")],
        also_fails=("SimpleConvNet",),
        hint="pooling-output-without-transpose"),
    # -- Relu ---------------------------------------------------------------------------------
    Bug("relu-mask-from-dout", "Relu", "backward builds the mask from dout",
        [("dout[self.mask] = 0", "self.mask = (dout <= 0)\n        dout[self.mask] = 0")],
        also_fails=("SimpleConvNet",),
        hint="relu-mask-from-dout"),
    Bug("relu-gradient-one-at-zero", "Relu", "mask = x < 0: the gradient is 1 at exactly 0",
        [("self.mask = (x <= 0)", "self.mask = (x < 0)")],
        hint="relu-gradient-one-at-zero"),
    Bug("relu-modifies-x", "Relu", "forward zeroes the negatives of x in place (out = x)",
        [("out = x.copy()", "out = x")],
        message="modified its input `x` in place"),
    # -- Affine -------------------------------------------------------------------------------
    Bug("affine-dx-not-reshaped", "Affine", "dx keeps the flattened (N, features) shape",
        [("        dx = dx.reshape(*self.original_x_shape)\n", "")],
        also_fails=("SimpleConvNet",),
        hint="affine-dx-not-reshaped"),
    Bug("affine-db-mean", "Affine", "db averages dout over the batch",
        [("self.db = np.sum(dout, axis=0)\n        dx = dx.reshape",
          "self.db = np.mean(dout, axis=0)\n        dx = dx.reshape")],
        also_fails=("SimpleConvNet",),
        hint="db-mean"),
    Bug("affine-dW-mean", "Affine", "dW is divided by the batch size",
        [("self.dW = np.dot(self.x.T, dout)", "self.dW = np.dot(self.x.T, dout) / len(dout)")],
        also_fails=("SimpleConvNet",),
        hint="dW-mean"),
    Bug("affine-bias-missing", "Affine", "the bias is never added",
        [("out = np.dot(self.x, self.W) + self.b", "out = np.dot(self.x, self.W)")],
        also_fails=("SimpleConvNet",),
        hint="bias-missing"),
    # -- SoftmaxWithLoss ----------------------------------------------------------------------
    Bug("softmax-overflow", "SoftmaxWithLoss", "softmax without subtracting the row maximum",
        [(SOFTMAX_SHIFT, "")],
        hint="softmax-overflow"),
    Bug("loss-not-divided-by-batch", "SoftmaxWithLoss", "the loss is a sum over the batch",
        [("np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size",
          "np.log(y[np.arange(batch_size), t] + 1e-7))")],
        also_fails=("SimpleConvNet",),
        hint="loss-not-divided-by-batch"),
    Bug("gradient-not-divided-by-batch", "SoftmaxWithLoss",
        "backward forgets to divide by the batch size",
        [("dx = (self.y - self.t) / batch_size", "dx = self.y - self.t"),
         ("            dx = dx / batch_size\n", "")],
        also_fails=("SimpleConvNet",),
        hint="gradient-not-divided-by-batch"),
    Bug("onehot-argmax-wrong-axis", "SoftmaxWithLoss",
        "one-hot targets become labels with argmax over axis 0",
        [("t = t.argmax(axis=1)", "t = t.argmax(axis=0)")],
        hint="argmax-wrong-axis"),
    # -- SimpleConvNet ------------------------------------------------------------------------
    Bug("net-missing-relu1", "SimpleConvNet", "no ReLU after the convolution",
        [("        self.layers['Relu1'] = Relu()\n", "")],
        hint="missing-relu1"),
    Bug("net-missing-relu2", "SimpleConvNet", "no ReLU between the two Affine layers",
        [("        self.layers['Relu2'] = Relu()\n", "")],
        hint="missing-relu2"),
    Bug("net-accuracy-argmax-axis0", "SimpleConvNet", "accuracy takes argmax over axis 0",
        [("y = np.argmax(y, axis=1)", "y = np.argmax(y, axis=0)")],
        hint="accuracy-argmax-wrong-axis"),
    Bug("net-pool-size-book-rounding", "SimpleConvNet",
        "W2 is sized with the book's int(filter_num * (size/2) * (size/2))",
        [("pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)",
          "pool_output_size = int(filter_num * (conv_h / 2) * (conv_w / 2))")],
        hint="pool-size-rounding",
        message="int(filter_num * (size/2) * (size/2))"),
    Bug("net-accuracy-drops-partial-batch", "SimpleConvNet",
        "accuracy loops over whole batches only (the book's loop)",
        [(ACCURACY_LOOP,
          "for start in range(0, x.shape[0] // batch_size * batch_size, batch_size):")],
        hint="accuracy-drops-partial-batch"),
    Bug("net-params-copied-into-layers", "SimpleConvNet",
        "the layers get copies of the parameters, so updating params changes nothing",
        [("Convolution(self.params['W1'], self.params['b1'],",
          "Convolution(self.params['W1'].copy(), self.params['b1'].copy(),"),
         ("Affine(self.params['W2'], self.params['b2'])",
          "Affine(self.params['W2'].copy(), self.params['b2'].copy())"),
         ("Affine(self.params['W3'], self.params['b3'])",
          "Affine(self.params['W3'].copy(), self.params['b3'].copy())")],
        hint="layers-hold-copies"),
]


def apply(bug, source=None):
    """The example's source with `bug`'s replacements; each `old` must occur exactly once."""
    text = EXAMPLE.read_text() if source is None else source
    for old, new in bug.replace:
        count = text.count(old)
        assert count == 1, f"{bug.name}: {old!r} occurs {count} times in the example, not once"
        text = text.replace(old, new)
    return text


def write_buggy(bug, directory):
    """Write the buggy submission to directory/<bug name>/cnn.py and return its path."""
    folder = Path(directory) / bug.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cnn.py"
    path.write_text(apply(bug))
    return path


BY_NAME = {bug.name: bug for bug in BUGS}
assert len(BY_NAME) == len(BUGS), "two bugs share a name"
