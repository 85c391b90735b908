"""Pooling and AvgPooling: the book's zero padding and the usual bugs."""

import numpy as np

import scratch_cnn

from ..windows import crop, fold, out_size, reshape_error, unfold
from . import variant


def _pool_layer(cls, p, pad):
    return cls(p["PH"], p["PW"], p["stride"], pad)


@variant("Pooling", "pooling-size-ignores-pad")
def _(p, a, e):
    if p["pad"] == 0:
        return None
    layer = _pool_layer(scratch_cnn.Pooling, p, 0)
    hw = out_size(p["H"], p["PH"], p["stride"], 0), out_size(p["W"], p["PW"], p["stride"], 0)
    # the book's form pads the input, then reshapes into the pad-less size: a crash
    return {"out": layer.forward(a["x"]), "error": reshape_error(p["N"], *hw, p["C"])}


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
    return {"dx": crop(img, a["x"].shape, p["pad"])}


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

