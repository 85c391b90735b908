"""SimpleConvNet: the book's epsilon, missing layers and accuracy bugs."""

import numpy as np

import scratch_cnn

from . import variant
from .losses import book_loss

# Networks


@variant("SimpleConvNet", "epsilon-in-log")
def _(p, a, e):
    return {"loss": np.array(book_loss(p, {"x": e["scores"], "t": a["t"]}))}


@variant("SimpleConvNet", "layers-hold-copies",
         "the layers hold copies of the parameters, so setting net.params[k][...] (as an "
         "optimizer does) never reaches them: pass the params arrays themselves, e.g. "
         "Affine(self.params['W2'], self.params['b2']), without .copy() or np.array(...)")
def _(p, a, e):
    """The network computed with its initial weights (reported by the driver before it set
    the case's) for the layers that kept copies: all of them, or one layer's pair."""
    keys = list(p["param_shapes"])
    if not all(f"initial:{k}" in a for k in keys):
        return None
    layers = [keys[i:i + 2] for i in range(0, len(keys), 2)]  # (W1, b1), (W2, b2), ...
    return {"scores": [], "loss": [], **{f"d{k}": [] for k in keys}} | _with_initial(
        p, a, [keys] + layers)


def _with_initial(p, a, subsets):
    """Each output as the list of what it is when the layers of each subset keep their
    initial weights (alternatives for the matching)."""
    out = {}
    for subset in subsets:
        net = scratch_cnn.SimpleConvNet(**p["init"])
        for k in p["param_shapes"]:
            net.params[k][...] = a[f"initial:{k}"] if k in subset else a[k]
        grads = net.gradient(a["x"], a["t"])
        scores = net.predict(a["x"])
        out.setdefault("scores", []).append(scores)
        out.setdefault("loss", []).extend(
            [np.array(net.loss(a["x"], a["t"])),
             np.array(book_loss(p, {"x": scores, "t": a["t"]}))])
        for k, v in grads.items():
            # a layer that keeps its initial weights still reports gradients for them
            out.setdefault(f"d{k}", []).append(v)
    return out


# W2's size, from the parameter shapes the driver reports as data (shape:W2)


def _w2_rows(p, rows):
    return {"shape:W2": np.array([rows, p["init"]["hidden_size"]], dtype=np.float64)}


def _conv_hw(p):
    from ..catalog.networks import conv_output_hw

    c = p["init"]["conv_param"]
    return conv_output_hw({"input_dim": p["input_dim"], "filter_size": c["filter_size"],
                           "pad": c["pad"], "stride": c["stride"]})


@variant("SimpleConvNet", "pool-size-rounding")
def _(p, a, e):
    ch, cw = _conv_hw(p)
    return _w2_rows(p, int(p["filter_num"] * (ch / 2) * (cw / 2)))


@variant("SimpleConvNet", "simple-conv-net-square-input")
def _(p, a, e):
    ch, cw = _conv_hw(p)
    if ch == cw:
        return None
    # the book: the size from input_dim[1] alone, through its int(n * (s/2) * (s/2))
    return _w2_rows(p, int(p["filter_num"] * (ch / 2) * (ch / 2)))


@variant("SimpleConvNet", "missing-pooling-layer",
         "W2 has the size of the convolution's output before pooling: is the Pool1 layer "
         "(2x2, stride 2) missing, or its size left out of W2?")
def _(p, a, e):
    ch, cw = _conv_hw(p)
    return _w2_rows(p, p["filter_num"] * ch * cw)


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
    return {"scores": x, "loss": [np.array(loss), np.array(book_loss(p, {"x": x, "t": a["t"]}))]}


for _layer, _text in (("relu1", "the ReLU after the convolution is missing"),
                      ("relu2", "the ReLU between the two Affine layers is missing")):
    variant("SimpleConvNet", f"missing-{_layer}", f"SimpleConvNet: {_text} (left out, or "
            f"registered under a name already used, which replaces the layer stored there); "
            f"the book's order is "
            f"Conv1 - Relu1 - Pool1 - Affine1 - Relu2 - Affine2 - SoftmaxWithLoss")(
        lambda p, a, e, skip=_layer: _simple_net_without(p, a, skip))


@variant("SimpleConvNet", "accuracy-argmax-wrong-axis",
         "accuracy takes argmax over the wrong axis: use np.argmax(y, axis=1)",
         requires=("scores",))
def _(p, a, e):
    if p["N"] != e["scores"].shape[1]:
        return None
    return {"accuracy": np.array(np.mean(np.argmax(e["scores"], axis=0) == a["t"]))}


# The parameters' shapes a constructor's slip gives (found blind, see tests/blind_bugs/)


def _shape(key, *dims):
    return {f"shape:{key}": np.array(dims, dtype=np.float64)}


@variant("SimpleConvNet", "filter-axes-swapped",
         "W1 is drawn as (channels, filter_num, size, size): the filters' shape is "
         "(filter_num, channels, size, size)")
def _(p, a, e):
    fn, (c, _, _), fs = p["filter_num"], p["input_dim"], p["filter_size"]
    return _shape("W1", c, fn, fs, fs) if c != fn else None


@variant("SimpleConvNet", "input-dim-channels-last",
         "input_dim is unpacked as (height, width, channels); the book's order is (channels, "
         "height, width)")
def _(p, a, e):
    c, h, w = p["input_dim"]
    fn, fs = p["filter_num"], p["filter_size"]
    return _shape("W1", fn, w, fs, fs) if w != c else None
