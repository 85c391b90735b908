"""Relu, Sigmoid, Affine and LRN: what the usual bugs output."""

import numpy as np

import scratch_cnn

from . import variant


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
