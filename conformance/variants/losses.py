"""SoftmaxWithLoss, Dropout and BatchNormalization: the book's formulas and the usual
bugs."""

import numpy as np

import scratch_cnn

from . import variant


def _targets(a):
    t, x = np.asarray(a["t"]), a["x"]
    return np.eye(x.shape[1])[t] if t.ndim == 1 else t


@variant("SoftmaxWithLoss", "epsilon-in-log")
def _(p, a, e):
    if p["target"] == "soft":
        t = a["t"]
        return {"loss": np.array(-np.sum(t * np.log(scratch_cnn.softmax(a["x"]) + 1e-7))
                                 / len(t))}
    return {"loss": np.array(book_loss(p, a))}


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
         "softmax overflows for large scores: subtract the row maximum before np.exp",
         overflow=True)
def _(p, a, e):
    x = a["x"].astype(p["dtype"])  # exp overflows at 88 in float32, at 709 in float64
    z = np.exp(x)
    y = (z / z.sum(axis=1, keepdims=True)).astype(np.float64)
    if not np.isnan(y).any():
        return None
    t = _targets(a)
    loss = -np.sum(t * np.log(y + 1e-7)) / len(y)
    return {"loss": np.array(loss), "dx": (y - t) * p["dout"] / len(y)}


def book_loss(p, a):
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
    return {"loss": [e["loss"] * p["N"], np.array(book_loss(p, a) * p["N"])]}


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
                     np.array(book_loss(p, {"x": a["x"], "t": labels}))]}


# ---------------------------------------------------------------------------------------------
# Dropout, BatchNormalization


@variant("Dropout", "dropout-scaling")
def _(p, a, e):
    scale = 1 - p["ratio"]
    return {"out": e["out"] * scale, "dx": e["dx"] * scale, "out_eval": e["out_eval"] * scale}


@variant("BatchNormalization", "batchnorm-book-statistics")
def _(p, a, e):
    """The book's formulas for 2-D input: eps 1e-6, running statistics that start at zero,
    a biased running variance; its backward always uses the last training batch."""
    if a["x"].ndim != 2:
        return None
    x, gamma, beta, dout = a["x"], a["gamma"], a["beta"], a["dout"]
    mu, var = x.mean(axis=0), x.var(axis=0)
    xn = (x - mu) / np.sqrt(var + 1e-6)
    running_mean = (1 - p["momentum"]) * mu  # the book starts both statistics at zero
    running_var = (1 - p["momentum"]) * var
    for _ in range(p["extra_steps"]):
        more = a["x_more"]
        running_mean = p["momentum"] * running_mean + (1 - p["momentum"]) * more.mean(axis=0)
        running_var = p["momentum"] * running_var + (1 - p["momentum"]) * more.var(axis=0)
    out_eval = gamma * (a["x_eval"] - running_mean) / np.sqrt(running_var + 1e-6) + beta
    # backward after an evaluation-mode forward uses the last training batch's cache
    last = a["x_more"] if p["extra_steps"] else x
    return {"out": gamma * xn + beta, "dx": _book_bn_dx(x, gamma, dout),
            "dgamma": np.sum(xn * dout, axis=0), "dbeta": dout.sum(axis=0),
            "running_mean": running_mean, "running_var": running_var, "out_eval": out_eval,
            "dx_eval": _book_bn_dx(last, gamma, dout)}


def _book_bn_dx(x, gamma, dout, eps=1e-6):
    xc = x - x.mean(axis=0)
    std = np.sqrt(np.mean(xc ** 2, axis=0) + eps)
    dxn = gamma * dout
    dvar = -0.5 * np.sum(dxn * xc, axis=0) / std ** 3
    dxc = dxn / std + (2.0 / len(x)) * xc * dvar
    return dxc - dxc.sum(axis=0) / len(x)


# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# SoftmaxWithLoss: the gradient and the normalisation written otherwise (found blind, see
# tests/blind_bugs/)


def _swl(p, a, y):
    """(loss with the book's 1e-7, and without), dx for probabilities y."""
    t = _targets(a)
    n = len(y)
    with np.errstate(all="ignore"):
        losses = [np.array(-np.sum(t * np.log(y + eps)) / n) for eps in (1e-7, 0.0)]
    return losses, (y - t) * p["dout"] / n


def _gradient_variant(name, text, dx):
    @variant("SoftmaxWithLoss", name, text)
    def predict(p, a, e):
        if p["target"] == "soft":
            return None
        y = scratch_cnn.softmax(a["x"])
        return {"dx": dx(y, _targets(a), len(y)) * p["dout"]}
    return predict


_gradient_variant("swl-gradient-adds-target", "backward adds the targets instead of "
                  "subtracting them: dx = (y - t) / batch_size",
                  lambda y, t, n: (y + t) / n)
_gradient_variant("swl-gradient-without-target", "backward leaves out the targets: "
                  "dx = (y - t) / batch_size", lambda y, t, n: y / n)


@variant("SoftmaxWithLoss", "swl-gradient-from-scores",
         "backward subtracts the targets from the scores x instead of from the softmax "
         "output: keep y = softmax(x) in forward and use dx = (y - t) / batch_size")
def _(p, a, e):
    if p["target"] == "soft":
        return None
    return {"dx": (a["x"] - _targets(a)) * p["dout"] / len(a["x"])}


def _softmax_axis0(x):
    z = np.exp(x - x.max(axis=-1, keepdims=True))  # shifted per row, as it should be
    return z / z.sum(axis=0, keepdims=True)


def _softmax_shift_per_class(x):
    z = np.exp(x - x.max(axis=0, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


for _name, _text, _softmax in (
        ("softmax-over-batch", "softmax normalises over the batch (axis 0) instead of over the "
         "classes: sum over axis 1 (axis=-1, keepdims=True)", _softmax_axis0),
        ("softmax-shift-per-class", "softmax subtracts the maximum over the batch (axis 0), "
         "one shift per class, which changes the probabilities: subtract each row's own "
         "maximum (axis=1, keepdims=True)", _softmax_shift_per_class)):
    def _predict(p, a, e, softmax=_softmax):
        if p["N"] == 1 and softmax is _softmax_shift_per_class:
            return None
        with np.errstate(all="ignore"):
            losses, dx = _swl(p, a, softmax(a["x"]))
        return {"loss": losses, "dx": dx}
    variant("SoftmaxWithLoss", _name, _text)(_predict)


@variant("SoftmaxWithLoss", "loss-keeps-last-sample",
         "the loss keeps only the last sample's term (loss = ... in a loop): accumulate with "
         "+= over the batch, then divide by the batch size")
def _(p, a, e):
    if p["N"] == 1 or p["target"] == "soft":
        return None
    y = scratch_cnn.softmax(a["x"])
    t = _targets(a)
    with np.errstate(all="ignore"):
        last = [-np.sum(t[-1] * np.log(y[-1] + eps)) for eps in (1e-7, 0.0)]
    return {"loss": [np.array(v / d) for v in last for d in (len(y), 1)]}
