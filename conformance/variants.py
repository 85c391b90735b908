"""Known wrong answers: what the book's code (divergences.toml) and the usual student bugs
output on a case's inputs. When an implementation fails and its output matches one of these,
the feedback names it; when the rubric accepts a book behaviour, a match to it passes.

Each variant predicts some outputs from the inputs and the correct answer. It is only used as
evidence where its prediction differs from the correct answer, and every bug variant has a
buggy implementation in tests/ that it must name (and a correct one it must not).
"""

import hashlib
import re
from dataclasses import dataclass

import numpy as np

import scratch_cnn

from . import compare, divergences


@dataclass(frozen=True)
class Variant:
    name: str
    component: str
    predict: object  # (p, a, e) -> {output: array or [alternatives], "error": regex} or None
    hint: str = ""  # for bugs; book differences take theirs from divergences.toml
    requires: tuple = ()  # outputs that must be right before this variant counts as evidence


REGISTRY = {}


def variant(component, name, hint="", requires=()):
    def register(predict):
        REGISTRY.setdefault(component, []).append(
            Variant(name, component, predict, hint, tuple(requires)))
        return predict
    return register


def hint_only(component, name, hint):
    """A known mistake the drivers recognise from the contract (e.g. a parameter shape)."""
    variant(component, name, hint)(lambda p, a, e: None)


def hint(name, component):
    for v in REGISTRY.get(component, []):
        if v.name == name and v.hint:
            return v.hint
    return divergences.hint(name)


def matching(case, inputs, expected, outputs, keys, names=None):
    """Names of the variants whose prediction for every one of `keys` they predict matches
    the implementation's outputs (and differs from the correct answer)."""
    rtol, atol = compare.tolerance(case)
    found = []
    requirements = {v.name: v.requires for v in REGISTRY.get(case.component, [])}
    for name, predicted in _predictions(case, inputs, expected).items():
        if names is not None and name not in names:
            continue
        shared = [k for k in keys if k in predicted]
        if not shared:
            continue
        if not all(k in outputs and compare.close(outputs[k], expected[k], rtol, atol)
                   for k in requirements.get(name, ())):
            continue  # e.g. an accuracy variant says nothing about a network that mispredicts
        if all(k in outputs and any(_informative(alt, expected[k], rtol, atol)
                                    and _matches(outputs[k], alt, rtol, atol)
                                    for alt in _alternatives(predicted[k]))
               for k in shared):
            found.append(name)
    return found


def matching_error(case, inputs, expected, error):
    """Names of the variants whose known crash looks like `error` (a message)."""
    if expected is None:
        return []
    return [name for name, predicted in _predictions(case, inputs, expected).items()
            if "error" in predicted and re.search(predicted["error"], error)]


def _alternatives(prediction):
    return prediction if isinstance(prediction, list) else [prediction]


def _informative(predicted, expected, rtol, atol):
    if np.shape(predicted) != np.shape(expected):
        return True
    return not compare.close(predicted, expected, rtol, atol)


def _matches(actual, predicted, rtol, atol):
    if np.isnan(np.asarray(predicted, dtype=float)).any():  # overflow variants predict NaN
        got = compare.as_numbers(actual)
        return got is not None and got.shape == np.shape(predicted) and np.array_equal(
            np.isnan(got), np.isnan(predicted)) and compare.close(
            np.nan_to_num(got), np.nan_to_num(predicted), rtol, atol)
    return compare.close(actual, predicted, rtol, atol)


_CACHE = {}


def _predictions(case, inputs, expected):
    key = (case.id, _fingerprint(inputs))
    if key not in _CACHE:
        if len(_CACHE) > 256:
            _CACHE.clear()
        a = {k: np.asarray(v, dtype=np.float64) if np.asarray(v).dtype.kind == "f" else v
             for k, v in inputs.items()}
        results = {}
        for v in REGISTRY.get(case.component, []):
            with np.errstate(all="ignore"):
                try:
                    predicted = v.predict(case.params, a, expected)
                except (ValueError, IndexError):  # the variant cannot form on this case
                    predicted = None
            if predicted:
                results[v.name] = predicted
        _CACHE[key] = results
    return _CACHE[key]


def _fingerprint(inputs):
    digest = hashlib.blake2b(digest_size=16)
    for k in sorted(inputs):
        arr = np.ascontiguousarray(inputs[k])
        digest.update(k.encode() + str(arr.dtype).encode() + str(arr.shape).encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# The book's window loops, with the knobs students get wrong


def _out(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def unfold(x, fh, fw, stride, pad, out_hw=None, step=None, fill=0.0):
    """The book's im2col: rows (n, oh, ow), columns (c, fh, fw). `out_hw` and `step` let a
    variant take the wrong number of windows or the wrong step between them."""
    n, c, h, w = x.shape
    oh, ow = out_hw or (_out(h, fh, stride, pad), _out(w, fw, stride, pad))
    step = stride if step is None else step
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=fill)
    col = np.zeros((n, c, fh, fw, oh, ow))
    for y in range(fh):
        for x_ in range(fw):
            col[:, :, y, x_] = xp[:, :, y:y + step * oh:step, x_:x_ + step * ow:step]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1)


def fold(col, shape, fh, fw, stride, pad, accumulate=True, step=None):
    """The book's col2im before the crop: an (N, C, H + 2P + S - 1, W + 2P + S - 1) buffer."""
    n, c, h, w = shape
    oh, ow = _out(h, fh, stride, pad), _out(w, fw, stride, pad)
    step = stride if step is None else step
    cols = col.reshape(n, oh, ow, c, fh, fw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * pad + stride - 1, w + 2 * pad + stride - 1))
    for y in range(fh):
        for x_ in range(fw):
            window = img[:, :, y:y + step * oh:step, x_:x_ + step * ow:step]
            if accumulate:
                window += cols[:, :, y, x_]
            else:
                window[...] = cols[:, :, y, x_]
    return img


def _crop(img, shape, pad):
    h, w = shape[2:]
    return img[:, :, pad:pad + h, pad:pad + w]


def _pad_once_hw(p, k_h, k_w):
    """Output size with the padding counted once: (H + P - K) // S + 1."""
    return ((p["H"] + p["pad"] - k_h) // p["stride"] + 1,
            (p["W"] + p["pad"] - k_w) // p["stride"] + 1)


def _conv_from_col(col, W, b, n, out_hw):
    fn = W.shape[0]
    out = col @ W.reshape(fn, -1).T + b
    return out.reshape(n, out_hw[0], out_hw[1], fn).transpose(0, 3, 1, 2)


def _dcol(p, a):
    fn = a["W"].shape[0]
    return a["dout"].transpose(0, 2, 3, 1).reshape(-1, fn) @ a["W"].reshape(fn, -1)


# ---------------------------------------------------------------------------------------------
# im2col / col2im


@variant("im2col", "im2col-ignores-stride",
         "im2col steps through the input one pixel at a time: slice with a step of `stride` "
         "(x[:, :, y:y_max:stride, x:x_max:stride])")
def _(p, a, e):
    if p["stride"] == 1:
        return None
    oh, ow = _out(p["H"], p["FH"], p["stride"], p["pad"]), _out(p["W"], p["FW"], p["stride"],
                                                                 p["pad"])
    return {"col": unfold(a["x"], p["FH"], p["FW"], p["stride"], p["pad"], (oh, ow), step=1)}


@variant("im2col", "output-size-pad-once",
         "the output size counts the padding once: use (H + 2*pad - FH) // stride + 1")
def _(p, a, e):
    if p["pad"] == 0:
        return None
    hw = _pad_once_hw(p, p["FH"], p["FW"])
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
    oh, ow = _out(p["H"], p["FH"], p["stride"], p["pad"]), _out(p["W"], p["FW"], p["stride"],
                                                                 p["pad"])
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
    return {"img": _crop(img, shape, p["pad"])}


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
    return {"img": _crop(fold(col, shape, p["FH"], p["FW"], p["stride"], p["pad"], step=1),
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
    img = fold(_dcol(p, a), shape, p["FH"], p["FW"], p["stride"], p["pad"], accumulate=False)
    return {"dx": _crop(img, shape, p["pad"])}


@_conv_variant("col2im-crop-off-by-pad", CROP)
def _(p, a, e):
    if p["pad"] == 0:
        return None
    img = fold(_dcol(p, a), a["x"].shape, p["FH"], p["FW"], p["stride"], p["pad"])
    return {"dx": img[:, :, :p["H"], :p["W"]]}


@_conv_variant("im2col-ignores-stride",
               "im2col steps through the input one pixel at a time: slice with a step of "
               "`stride`")
def _(p, a, e):
    if p["stride"] == 1:
        return None
    oh, ow = e["out"].shape[2:]
    col = unfold(a["x"], p["FH"], p["FW"], p["stride"], p["pad"], (oh, ow), step=1)
    return {"out": _conv_from_col(col, a["W"], a["b"], p["N"], (oh, ow))}


@_conv_variant("output-size-pad-once",
               "the output size counts the padding once: use (H + 2*pad - FH) // stride + 1")
def _(p, a, e):
    if p["pad"] == 0:
        return None
    hw = _pad_once_hw(p, p["FH"], p["FW"])
    col = unfold(a["x"], p["FH"], p["FW"], p["stride"], p["pad"], hw)
    # if only the layer's size is wrong, reshaping the right number of rows crashes
    return {"out": _conv_from_col(col, a["W"], a["b"], p["N"], hw),
            "error": _reshape_error(p["N"], *hw, "(newaxis|-1)")}


def _reshape_error(*dims):
    """numpy's message for reshaping into (dims...)."""
    return r"cannot reshape array of size \d+ into shape \(" + r",\s*".join(
        str(d) for d in dims) + r"\)"


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
# Pooling


def _pool_layer(cls, p, pad):
    return cls(p["PH"], p["PW"], p["stride"], pad)


@variant("Pooling", "pooling-size-ignores-pad")
def _(p, a, e):
    if p["pad"] == 0:
        return None
    layer = _pool_layer(scratch_cnn.Pooling, p, 0)
    hw = _out(p["H"], p["PH"], p["stride"], 0), _out(p["W"], p["PW"], p["stride"], 0)
    # the book's form pads the input, then reshapes into the pad-less size: a crash
    return {"out": layer.forward(a["x"]), "error": _reshape_error(p["N"], *hw, p["C"])}


@variant("Pooling", "pooling-output-without-transpose",
         "the pooled values were reshaped straight to (N, C, out_h, out_w); reshape to "
         "(N, out_h, out_w, C), then transpose(0, 3, 1, 2)")
def _(p, a, e):
    if p["C"] == 1:
        return None
    n, c, oh, ow = e["out"].shape
    return {"out": e["out"].transpose(0, 2, 3, 1).reshape(n, c, oh, ow)}


@variant("Pooling", "pool-pads-with-zero")
def _(p, a, e):
    if p["pad"] == 0:
        return None
    pad = p["pad"]
    xp = np.pad(a["x"], ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    layer = _pool_layer(scratch_cnn.Pooling, p, 0)
    out = layer.forward(xp)
    dx = layer.backward(a["dout"])[:, :, pad:pad + p["H"], pad:pad + p["W"]]
    return {"out": out, "dx": dx}


@variant("Pooling", "pooling-gradient-to-every-tie",
         "max-pool backward sends the gradient to every tied maximum: route it to the first "
         "maximum only (np.argmax), as PyTorch does")
def _(p, a, e):
    if p["fill"] != "ties":
        return None
    # the book's layout: one row per (n, oh, ow, c) window
    col = unfold(a["x"], p["PH"], p["PW"], p["stride"], p["pad"], fill=-np.inf)
    col = col.reshape(-1, p["PH"] * p["PW"])
    winners = col == col.max(axis=1, keepdims=True)
    dmax = winners * a["dout"].transpose(0, 2, 3, 1).reshape(-1, 1)
    dcol = dmax.reshape(-1, p["C"] * p["PH"] * p["PW"])
    img = fold(dcol, a["x"].shape, p["PH"], p["PW"], p["stride"], p["pad"])
    return {"dx": _crop(img, a["x"].shape, p["pad"])}


@variant("Pooling", "pooling-dx-not-routed",
         "max-pool backward spreads dout over the whole window: only the maximum gets it")
def _(p, a, e):
    layer = _pool_layer(scratch_cnn.AvgPooling, p, p["pad"])
    layer.forward(a["x"])
    return {"dx": layer.backward(a["dout"]) * (p["PH"] * p["PW"])}


@variant("AvgPooling", "avgpool-excludes-pad",
         "the average divides by the number of real pixels; PyTorch's avg_pool2d counts the "
         "zero padding (count_include_pad=True): divide by pool_h * pool_w")
def _(p, a, e):
    if p["pad"] == 0:
        return None
    ones = np.ones_like(a["x"])
    counts = _pool_layer(scratch_cnn.AvgPooling, p, p["pad"]).forward(ones) * p["PH"] * p["PW"]
    return {"out": e["out"] * p["PH"] * p["PW"] / counts}


@variant("AvgPooling", "avgpool-backward-not-divided",
         "avg-pool backward hands dout to every pixel of the window undivided: divide by "
         "pool_h * pool_w")
def _(p, a, e):
    return {"dx": e["dx"] * p["PH"] * p["PW"]} if p["PH"] * p["PW"] > 1 else None


# ---------------------------------------------------------------------------------------------
# Relu, Sigmoid, Affine, LRN


@variant("Relu", "relu-mask-from-dout", "the ReLU mask comes from dout; it must come from the "
                                        "forward input x (self.mask = x <= 0 in forward)")
def _(p, a, e):
    return {"dx": np.where(a["dout"] > 0, a["dout"], 0.0)}


@variant("Relu", "relu-gradient-one-at-zero",
         "ReLU's gradient at exactly 0 is 1 here; the convention (book and PyTorch) is 0: "
         "mask = x <= 0")
def _(p, a, e):
    if not (a["x"] == 0).any():
        return None
    return {"dx": np.where(a["x"] < 0, 0.0, a["dout"])}


@variant("Sigmoid", "sigmoid-backward-uses-x",
         "Sigmoid backward uses the input x; the derivative is out * (1 - out) with the "
         "forward output")
def _(p, a, e):
    return {"dx": a["dout"] * a["x"] * (1 - a["x"])}


@variant("Sigmoid", "sigmoid-backward-without-dout", "Sigmoid backward forgets to multiply "
                                                      "by dout")
def _(p, a, e):
    out = 1 / (1 + np.exp(-a["x"]))
    return {"dx": out * (1 - out)}


@variant("Affine", "affine-dx-not-reshaped",
         "Affine's dx keeps the flattened shape: reshape it back to x's original shape")
def _(p, a, e):
    if a["x"].ndim == 2:
        return None
    return {"dx": e["dx"].reshape(a["x"].shape[0], -1)}


@variant("Affine", "db-mean", "db is a mean: sum dout over the batch (axis 0)")
def _(p, a, e):
    return {"db": e["db"] / a["x"].shape[0]} if a["x"].shape[0] > 1 else None


@variant("Affine", "dW-mean", "dW is divided by the batch size: dW = x.T @ dout, no mean")
def _(p, a, e):
    return {"dW": e["dW"] / a["x"].shape[0]} if a["x"].shape[0] > 1 else None


@variant("Affine", "bias-missing", "the bias is not added: out = x @ W + b")
def _(p, a, e):
    return {"out": e["out"] - a["b"]}


@variant("LRN", "lrn-alpha-not-divided-by-size",
         "alpha is not divided by size; PyTorch uses k + alpha/size * sum of squares")
def _(p, a, e):
    if p["size"] == 1:
        return None
    layer = scratch_cnn.LRN(p["size"], p["alpha"] * p["size"], p["beta"], p["k"])
    out = layer.forward(a["x"])
    return {"out": out, "dx": layer.backward(a["dout"])}


@variant("LRN", "lrn-window-mirrored",
         "for even sizes the channel window leans the wrong way: it spans size//2 channels "
         "before and (size-1)//2 after, as in PyTorch")
def _(p, a, e):
    if p["size"] % 2:
        return None
    flipped = a["x"][:, ::-1]
    layer = scratch_cnn.LRN(p["size"], p["alpha"], p["beta"], p["k"])
    out = layer.forward(flipped)[:, ::-1]
    return {"out": out, "dx": layer.backward(a["dout"][:, ::-1])[:, ::-1]}


# ---------------------------------------------------------------------------------------------
# SoftmaxWithLoss


def _targets(a):
    t, x = np.asarray(a["t"]), a["x"]
    return np.eye(x.shape[1])[t] if t.ndim == 1 else t


@variant("SoftmaxWithLoss", "epsilon-in-log")
def _(p, a, e):
    if p["target"] == "soft":
        t = a["t"]
        return {"loss": np.array(-np.sum(t * np.log(scratch_cnn.softmax(a["x"]) + 1e-7))
                                 / len(t))}
    return {"loss": np.array(_book_loss(p, a))}


@variant("SoftmaxWithLoss", "soft-targets")
def _(p, a, e):
    if p["target"] != "soft":
        return None
    y = scratch_cnn.softmax(a["x"])
    labels = a["t"].argmax(axis=1)
    loss = -np.sum(np.log(y[np.arange(len(y)), labels] + 1e-7)) / len(y)
    return {"loss": np.array(loss)}


@variant("SoftmaxWithLoss", "backward-ignores-dout")
def _(p, a, e):
    return {"dx": e["dx"] / p["dout"]} if p["dout"] != 1 else None


@variant("SoftmaxWithLoss", "softmax-overflow",
         "softmax overflows for large scores: subtract the row maximum before np.exp")
def _(p, a, e):
    x = a["x"].astype(p["dtype"])  # exp overflows at 88 in float32, at 709 in float64
    z = np.exp(x)
    y = (z / z.sum(axis=1, keepdims=True)).astype(np.float64)
    if not np.isnan(y).any():
        return None
    t = _targets(a)
    loss = -np.sum(t * np.log(y + 1e-7)) / len(y)
    return {"loss": np.array(loss), "dx": (y - t) * p["dout"] / len(y)}


def _book_loss(p, a):
    """The book's cross entropy: 1e-7 inside the log (accepted by the default rubric)."""
    y = scratch_cnn.softmax(a["x"])
    t = np.asarray(a["t"])
    labels = t if t.ndim == 1 else t.argmax(axis=1)
    return -np.sum(np.log(y[np.arange(len(y)), labels] + 1e-7)) / len(y)


@variant("SoftmaxWithLoss", "loss-not-divided-by-batch",
         "the loss is a sum over the batch: divide by the batch size")
def _(p, a, e):
    if p["N"] == 1 or p["target"] == "soft":
        return None
    return {"loss": [e["loss"] * p["N"], np.array(_book_loss(p, a) * p["N"])]}


@variant("SoftmaxWithLoss", "gradient-not-divided-by-batch",
         "the gradient is not divided by the batch size: dx = (y - t) / batch_size")
def _(p, a, e):
    return {"dx": e["dx"] * p["N"]} if p["N"] > 1 else None


@variant("SoftmaxWithLoss", "argmax-wrong-axis",
         "one-hot targets are turned into labels along the wrong axis: t.argmax(axis=1)")
def _(p, a, e):
    if p["target"] != "onehot" or p["N"] != p["K"]:
        return None
    labels = a["t"].argmax(axis=0)
    log_p = scratch_cnn.log_softmax(a["x"])
    return {"loss": [np.array(-log_p[np.arange(p["N"]), labels].mean()),
                     np.array(_book_loss(p, {"x": a["x"], "t": labels}))]}


# ---------------------------------------------------------------------------------------------
# Dropout, BatchNormalization


@variant("Dropout", "dropout-scaling")
def _(p, a, e):
    scale = 1 - p["ratio"]
    return {"out": e["out"] * scale, "dx": e["dx"] * scale, "out_eval": e["out_eval"] * scale}


@variant("BatchNormalization", "batchnorm-book-statistics")
def _(p, a, e):
    if a["x"].ndim != 2:
        return None
    x, gamma, beta = a["x"], a["gamma"], a["beta"]
    mu, var = x.mean(axis=0), x.var(axis=0)
    std = np.sqrt(var + 1e-6)
    xn = (x - mu) / std
    running_mean = (1 - p["momentum"]) * mu  # the book starts both statistics at zero
    running_var = (1 - p["momentum"]) * var
    for _ in range(p["extra_steps"]):
        more = a["x_more"]
        running_mean = p["momentum"] * running_mean + (1 - p["momentum"]) * more.mean(axis=0)
        running_var = p["momentum"] * running_var + (1 - p["momentum"]) * more.var(axis=0)
    out_eval = gamma * (a["x_eval"] - running_mean) / np.sqrt(running_var + 1e-6) + beta
    return {"out": gamma * xn + beta, "running_mean": running_mean, "running_var": running_var,
            "out_eval": out_eval}


# ---------------------------------------------------------------------------------------------
# Networks


@variant("SimpleConvNet", "epsilon-in-log")
def _(p, a, e):
    return {"loss": np.array(_book_loss(p, {"x": e["scores"], "t": a["t"]}))}


hint_only("SimpleConvNet", "missing-pooling-layer",
          "W2 has the size of the convolution's output before pooling: is the Pool1 layer "
          "(2x2, stride 2) missing, or its size left out of W2?")
hint_only("SimpleConvNet", "square-input-assumed",
          "W2 is sized as if the input were square (the book uses input_dim[1] for both sides): "
          "compute the convolution's height and width separately")


@variant("SimpleConvNet", "accuracy-drops-partial-batch", requires=("scores",))
def _(p, a, e):
    n, batch = p["N"], p["batch_size"]
    if n % batch == 0:
        return None
    full = (n // batch) * batch
    labels = np.argmax(e["scores"][:full], axis=1)
    return {"accuracy": np.array(np.sum(labels == a["t"][:full]) / n)}


def _simple_net_without(p, a, skip):
    """The book's SimpleConvNet on the case's weights, with one layer left out."""
    c = p["init"]["conv_param"]
    layers = [("conv", scratch_cnn.Convolution(a["W1"], a["b1"], c["stride"], c["pad"])),
              ("relu1", scratch_cnn.Relu()), ("pool", scratch_cnn.Pooling(2, 2, 2)),
              ("affine1", scratch_cnn.Affine(a["W2"], a["b2"])), ("relu2", scratch_cnn.Relu()),
              ("affine2", scratch_cnn.Affine(a["W3"], a["b3"]))]
    x = a["x"]
    for name, layer in layers:
        if name != skip:
            x = layer.forward(x)
    loss = scratch_cnn.SoftmaxWithLoss().forward(x, a["t"])
    return {"scores": x, "loss": [np.array(loss), np.array(_book_loss(p, {"x": x, "t": a["t"]}))]}


for _layer, _text in (("relu1", "the ReLU after the convolution is missing"),
                      ("relu2", "the ReLU between the two Affine layers is missing")):
    variant("SimpleConvNet", f"missing-{_layer}", f"SimpleConvNet: {_text}; the book's order is "
            f"Conv1 - Relu1 - Pool1 - Affine1 - Relu2 - Affine2 - SoftmaxWithLoss")(
        lambda p, a, e, skip=_layer: _simple_net_without(p, a, skip))


@variant("SimpleConvNet", "accuracy-argmax-wrong-axis",
         "accuracy takes argmax over the wrong axis: use np.argmax(y, axis=1)",
         requires=("scores",))
def _(p, a, e):
    if p["N"] != e["scores"].shape[1]:
        return None
    return {"accuracy": np.array(np.mean(np.argmax(e["scores"], axis=0) == a["t"]))}


# ---------------------------------------------------------------------------------------------
# Optimizers: the book's formulas on the same trajectory


def _book_trajectory(step):
    def predict(p, a, e):
        from .drivers import mlp_loss_and_gradient

        params = {k: a[k].copy() for k in ("W1", "b1", "W2", "b2")}
        state, losses = {}, []
        for i, (x, t) in enumerate(zip(a["x"], a["t"])):
            loss, grads = mlp_loss_and_gradient(params, x, t)
            losses.append(loss)
            for k in params:
                step(p["hyper"], state.setdefault(k, {}), params[k], grads[k], i + 1)
        return {"losses": np.array(losses), **{f"final_{k}": v for k, v in params.items()}}
    return predict


def _book_nesterov(h, s, param, grad, _):
    v = s.setdefault("v", np.zeros_like(param))
    v *= h["momentum"]
    v -= h["lr"] * grad
    param += h["momentum"] * h["momentum"] * v
    param -= (1 + h["momentum"]) * h["lr"] * grad


def _book_adagrad(h, s, param, grad, _):
    acc = s.setdefault("h", np.zeros_like(param))
    acc += grad * grad
    param -= h["lr"] * grad / (np.sqrt(acc) + 1e-7)


def _book_rmsprop(h, s, param, grad, _):
    acc = s.setdefault("h", np.zeros_like(param))
    acc *= h["decay_rate"]
    acc += (1 - h["decay_rate"]) * grad * grad
    param -= h["lr"] * grad / (np.sqrt(acc) + 1e-7)


def _book_adam(h, s, param, grad, it):
    m, v = s.setdefault("m", np.zeros_like(param)), s.setdefault("v", np.zeros_like(param))
    lr_t = h["lr"] * np.sqrt(1.0 - h["beta2"] ** it) / (1.0 - h["beta1"] ** it)
    m += (1 - h["beta1"]) * (grad - m)
    v += (1 - h["beta2"]) * (grad ** 2 - v)
    param -= lr_t * m / (np.sqrt(v) + 1e-7)


for _name, _step in (("Nesterov", _book_nesterov), ("AdaGrad", _book_adagrad),
                     ("RMSprop", _book_rmsprop), ("Adam", _book_adam)):
    variant(_name, "book-optimizer-formulas")(_book_trajectory(_step))
