"""SimpleConvNet: the book's epsilon, missing layers and accuracy bugs."""

import numpy as np

import scratch_cnn

from . import hint_only, variant
from .losses import book_loss

# Networks


@variant("SimpleConvNet", "epsilon-in-log")
def _(p, a, e):
    return {"loss": np.array(book_loss(p, {"x": e["scores"], "t": a["t"]}))}


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
    return {"scores": x, "loss": [np.array(loss), np.array(book_loss(p, {"x": x, "t": a["t"]}))]}


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
