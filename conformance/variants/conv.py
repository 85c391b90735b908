"""im2col, col2im and Convolution: what their usual bugs output."""

from ..windows import conv_from_col, crop, dcol, fold, out_size, pad_once_hw, reshape_error, unfold
from . import variant


@variant("im2col", "im2col-ignores-stride",
         "im2col steps through the input one pixel at a time: slice with a step of `stride` "
         "(x[:, :, y:y_max:stride, x:x_max:stride])")
def _(p, a, e):
    if p["stride"] == 1:
        return None
    oh, ow = (out_size(p["H"], p["FH"], p["stride"], p["pad"]),
              out_size(p["W"], p["FW"], p["stride"], p["pad"]))
    return {"col": unfold(a["x"], p["FH"], p["FW"], p["stride"], p["pad"], (oh, ow), step=1)}


@variant("im2col", "output-size-pad-once",
         "the output size counts the padding once: use (H + 2*pad - FH) // stride + 1")
def _(p, a, e):
    if p["pad"] == 0:
        return None
    hw = pad_once_hw(p, p["FH"], p["FW"])
    return {"col": unfold(a["x"], p["FH"], p["FW"], p["stride"], p["pad"], hw)}


@variant("im2col", "im2col-columns-order",
         "the columns are ordered (fh, fw, c); the book's order is (c, fh, fw): transpose the "
         "6-D array with (0, 4, 5, 1, 2, 3) before reshaping")
def _(p, a, e):
    if p["C"] == 1:
        return None
    rows = e["col"].shape[0]
    return {"col": e["col"].reshape(rows, p["C"], p["FH"], p["FW"]).transpose(0, 2, 3, 1)
            .reshape(rows, -1)}


@variant("im2col", "im2col-rows-transposed",
         "the rows run over (n, ow, oh): the book's order is (n, oh, ow)")
def _(p, a, e):
    oh, ow = (out_size(p["H"], p["FH"], p["stride"], p["pad"]),
              out_size(p["W"], p["FW"], p["stride"], p["pad"]))
    return {"col": e["col"].reshape(p["N"], oh, ow, -1).transpose(0, 2, 1, 3)
            .reshape(p["N"] * oh * ow, -1)}


@variant("im2col", "im2col-ignores-pad", "im2col does not pad the input: pad it by `pad` "
                                         "on each side first")
def _(p, a, e):
    if p["pad"] == 0:
        return None
    return {"col": unfold(a["x"], p["FH"], p["FW"], p["stride"], 0)}


def _col2im_variant(name, text, make):
    variant("col2im", name, text)(lambda p, a, e: make(p, a["col"], tuple(p["input_shape"])))


def _overwrite(p, col, shape):
    if p["stride"] >= max(p["FH"], p["FW"]):
        return None  # no overlap: overwriting is harmless
    img = fold(col, shape, p["FH"], p["FW"], p["stride"], p["pad"], accumulate=False)
    return {"img": crop(img, shape, p["pad"])}


def _crop_at_origin(p, col, shape):
    if p["pad"] == 0:
        return None
    img = fold(col, shape, p["FH"], p["FW"], p["stride"], p["pad"])
    return {"img": img[:, :, :shape[2], :shape[3]]}


def _no_crop(p, col, shape):
    if p["pad"] == 0 and p["stride"] == 1:
        return None
    img = fold(col, shape, p["FH"], p["FW"], p["stride"], p["pad"])
    # the padded image, or the book's whole buffer (stride - 1 larger)
    return {"img": [img[:, :, :shape[2] + 2 * p["pad"], :shape[3] + 2 * p["pad"]], img]}


def _col2im_ignores_stride(p, col, shape):
    if p["stride"] == 1:
        return None
    return {"img": crop(fold(col, shape, p["FH"], p["FW"], p["stride"], p["pad"], step=1),
                         shape, p["pad"])}


OVERWRITE = ("col2im overwrites where windows overlap: accumulate with += "
             "(img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :])")
CROP = "col2im crops at the origin: return img[:, :, pad:H + pad, pad:W + pad]"
NO_CROP = "col2im returns the padded image: crop it with img[:, :, pad:H + pad, pad:W + pad]"
COL2IM_STRIDE = "col2im steps one pixel at a time: slice with a step of `stride`"
_col2im_variant("col2im-overwrites", OVERWRITE, _overwrite)
_col2im_variant("col2im-crop-off-by-pad", CROP, _crop_at_origin)
_col2im_variant("col2im-no-crop", NO_CROP, _no_crop)
_col2im_variant("col2im-ignores-stride", COL2IM_STRIDE, _col2im_ignores_stride)


# ---------------------------------------------------------------------------------------------
# Convolution


def _conv_variant(name, text):
    return variant("Convolution", name, text)


@_conv_variant("output-transposed-hw",
               "the output's H and W axes are swapped: reshape to (N, out_h, out_w, FN), "
               "then transpose(0, 3, 1, 2), and check that im2col orders its rows "
               "(n, out_y, out_x)")
def _(p, a, e):
    return {"out": e["out"].transpose(0, 1, 3, 2)}


@_conv_variant("output-reshaped-without-transpose",
               "the (N*out_h*out_w, FN) product was reshaped straight to (N, FN, out_h, "
               "out_w): reshape to (N, out_h, out_w, FN), then transpose(0, 3, 1, 2)")
def _(p, a, e):
    n, fn, oh, ow = e["out"].shape
    return {"out": e["out"].transpose(0, 2, 3, 1).reshape(n, fn, oh, ow)}


@_conv_variant("bias-missing", "the bias is not added: out = col @ col_W + b")
def _(p, a, e):
    return {"out": e["out"] - a["b"][None, :, None, None]}


@_conv_variant("bias-wrong-axis", "the bias is added along the last axis instead of the "
                                  "filter axis: add b before the transpose, to (N*OH*OW, FN)")
def _(p, a, e):
    if e["out"].shape[3] != a["b"].shape[0]:
        return None
    return {"out": e["out"] - a["b"][None, :, None, None] + a["b"][None, None, None, :]}


@_conv_variant("db-mean", "db is a mean: sum dout over the batch and positions (axis 0 of "
                          "the (N*OH*OW, FN) matrix)")
def _(p, a, e):
    positions = e["out"].shape[0] * e["out"].shape[2] * e["out"].shape[3]
    return {"db": e["db"] / positions}


@_conv_variant("dW-mean", "dW is divided by the batch size: dW = col.T @ dout, no mean")
def _(p, a, e):
    return {"dW": e["dW"] / p["N"]} if p["N"] > 1 else None


@_conv_variant("dW-reshaped-without-transpose",
               "dW = col.T @ dout has shape (C*FH*FW, FN): transpose it before reshaping to "
               "(FN, C, FH, FW)")
def _(p, a, e):
    fn = e["dW"].shape[0]
    return {"dW": e["dW"].reshape(fn, -1).T.reshape(e["dW"].shape)}


@_conv_variant("col2im-overwrites", OVERWRITE)
def _(p, a, e):
    if p["stride"] >= max(p["FH"], p["FW"]):
        return None
    shape = a["x"].shape
    img = fold(dcol(p, a), shape, p["FH"], p["FW"], p["stride"], p["pad"], accumulate=False)
    return {"dx": crop(img, shape, p["pad"])}


@_conv_variant("col2im-crop-off-by-pad", CROP)
def _(p, a, e):
    if p["pad"] == 0:
        return None
    img = fold(dcol(p, a), a["x"].shape, p["FH"], p["FW"], p["stride"], p["pad"])
    return {"dx": img[:, :, :p["H"], :p["W"]]}


@_conv_variant("im2col-ignores-stride",
               "im2col steps through the input one pixel at a time: slice with a step of "
               "`stride`")
def _(p, a, e):
    if p["stride"] == 1:
        return None
    oh, ow = e["out"].shape[2:]
    col = unfold(a["x"], p["FH"], p["FW"], p["stride"], p["pad"], (oh, ow), step=1)
    return {"out": conv_from_col(col, a["W"], a["b"], p["N"], (oh, ow))}


@_conv_variant("output-size-pad-once",
               "the output size counts the padding once: use (H + 2*pad - FH) // stride + 1")
def _(p, a, e):
    if p["pad"] == 0:
        return None
    hw = pad_once_hw(p, p["FH"], p["FW"])
    col = unfold(a["x"], p["FH"], p["FW"], p["stride"], p["pad"], hw)
    # if only the layer's size is wrong, reshaping the right number of rows crashes
    return {"out": conv_from_col(col, a["W"], a["b"], p["N"], hw),
            "error": reshape_error(p["N"], *hw, "(newaxis|-1)")}



@_conv_variant("W-reshaped-without-transpose",
               "the filters were reshaped with W.reshape(-1, FN); use W.reshape(FN, -1).T so "
               "each column holds one whole filter")
def _(p, a, e):
    fn = a["W"].shape[0]
    if fn == 1:
        return None
    oh, ow = e["out"].shape[2:]
    col = unfold(a["x"], p["FH"], p["FW"], p["stride"], p["pad"])
    out = (col @ a["W"].reshape(-1, fn) + a["b"]).reshape(p["N"], oh, ow, fn)
    return {"out": out.transpose(0, 3, 1, 2)}


# ---------------------------------------------------------------------------------------------
# One axis, one argument: the window loops with a slip on one side (found blind, see
# tests/blind_bugs/)


def _side_steps(p):
    """(rows, columns) steps with the stride on one side only."""
    return [] if p["stride"] == 1 else [(p["stride"], 1), (1, p["stride"])]


@variant("im2col", "im2col-stride-on-one-axis",
         "im2col steps by the stride on one axis only: slice both the rows and the columns "
         "with a step of `stride`")
def _(p, a, e):
    return {"col": [unfold(a["x"], p["FH"], p["FW"], p["stride"], p["pad"], step=step)
                    for step in _side_steps(p)]} if _side_steps(p) else None


@variant("im2col", "im2col-pads-twice",
         "im2col pads each side by 2 * pad: pad by `pad` (the 2 in the size formula counts "
         "both sides)")
def _(p, a, e):
    if p["pad"] == 0:
        return None
    hw = (out_size(p["H"], p["FH"], p["stride"], p["pad"]),
          out_size(p["W"], p["FW"], p["stride"], p["pad"]))
    return {"col": unfold(a["x"], p["FH"], p["FW"], p["stride"], 2 * p["pad"], out_hw=hw)}


def _col2im_one_axis(p, col, shape):
    if p["stride"] == 1:
        return None
    return {"img": [crop(fold(col, shape, p["FH"], p["FW"], p["stride"], p["pad"], step=step),
                         shape, p["pad"]) for step in _side_steps(p)]}


def _col2im_reset_rows(p, col, shape):
    if p["FH"] == 1:
        return None
    return {"img": crop(fold(col, shape, p["FH"], p["FW"], p["stride"], p["pad"],
                             reset_rows=True), shape, p["pad"])}


_col2im_variant("col2im-stride-on-one-axis", "col2im steps by the stride on one axis only: "
                "slice both the rows and the columns with a step of `stride`", _col2im_one_axis)
_col2im_variant("col2im-buffer-reset", "col2im starts its buffer again inside the loop over "
                "the filter rows, so only the last row's contributions are left: create it "
                "once, before the loops, and add into it", _col2im_reset_rows)


def _conv_dx(p, a, **fold_args):
    """Convolution's dx with col2im called with other arguments."""
    args = {"fh": p["FH"], "fw": p["FW"], "stride": p["stride"], "pad": p["pad"], **fold_args}
    shape = a["x"].shape
    img = fold(dcol(p, a), shape, args["fh"], args["fw"], args["stride"], args["pad"])
    return crop(img, shape, args["pad"])


@_conv_variant("col2im-stride-pad-swapped",
               "backward calls col2im with `pad` and `stride` swapped: col2im(dcol, x.shape, "
               "FH, FW, stride, pad)")
def _(p, a, e):
    if p["stride"] == p["pad"] or p["pad"] == 0:
        return None
    return {"dx": _conv_dx(p, a, stride=p["pad"], pad=p["stride"])}
