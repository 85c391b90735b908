"""Whole networks, and the optimizers' training trajectories."""

import numpy as np

import scratch_cnn

from .base import Component, Factor, Geometry, cast

CLASSES = 4


def _simple_param_shapes(p):
    c, fn, fs = p["input_dim"][0], p["filter_num"], p["filter_size"]
    ch, cw = conv_output_hw(p)
    return {"W1": (fn, c, fs, fs), "b1": (fn,), "W2": (fn * (ch // 2) * (cw // 2), p["hidden"]),
            "b2": (p["hidden"],), "W3": (p["hidden"], CLASSES), "b3": (CLASSES,)}


def conv_output_hw(p):
    """SimpleConvNet's convolution output size (before its 2x2 pooling)."""
    _, h, w = p["input_dim"]
    fs, pad, stride = p["filter_size"], p["pad"], p["stride"]
    return (h + 2 * pad - fs) // stride + 1, (w + 2 * pad - fs) // stride + 1


def _simple_derive(p):
    return {"network": "SimpleConvNet", "param_shapes": _simple_param_shapes(p),
            "init": {"input_dim": list(p["input_dim"]),
                     "conv_param": {"filter_num": p["filter_num"],
                                    "filter_size": p["filter_size"],
                                    "pad": p["pad"], "stride": p["stride"]},
                     "hidden_size": p["hidden"], "output_size": CLASSES,
                     "weight_init_std": 0.01}}


def _net_inputs(p, rng):
    c, h, w = p["input_dim"]
    arrays = {"x": rng.standard_normal((p["N"], c, h, w))}
    for key, shape in p["param_shapes"].items():
        fan_in = int(np.prod(shape[1:])) if len(shape) == 4 else shape[0]
        scale = 0.1 if key.startswith("b") else np.sqrt(2.0 / fan_in)
        arrays[key] = rng.standard_normal(shape) * scale
    arrays = cast(arrays, p["dtype"])
    arrays["t"] = rng.integers(0, CLASSES, p["N"])
    return arrays


def _net_output_shapes(p):
    shapes = {"scores": (p["N"], CLASSES), "loss": (), "accuracy": ()}
    shapes.update({f"d{k}": tuple(v) for k, v in p["param_shapes"].items()})
    return shapes


def _net_component(name, columns, derive, numerical_witness=None):
    """A network. Central differences need a forward free of ReLU kinks at unpredictable places:
    only sigmoid networks get that witness."""
    grads = {k: f"d{k}" for k in ("W1", "b1", "W2", "b2", "W3", "b3")}
    return Component(name, "network", "network", columns, _net_inputs, _net_output_shapes,
                     behaviours={"forward": ("scores", "loss"), "parameter_gradients": None,
                                 "accuracy": ("accuracy",)},
                     gradients=grads if numerical_witness else {},
                     numerical_witness=numerical_witness, derive=derive)


simple_conv_net = _net_component(
    "SimpleConvNet", ("input_dim", "filter_num", "filter_size", "pad", "stride", "hidden", "N",
                      "batch_size", "dtype"), _simple_derive)
simple_conv_net.factors = (
    Factor("a height different from the width", lambda p: p["input_dim"][1] != p["input_dim"][2],
           lambda p: {"input_dim": (p["input_dim"][0], p["input_dim"][1], p["input_dim"][1])},
           lambda p: f"input {p['input_dim'][1]}x{p['input_dim'][2]}",
           lambda p: {"input_dim": (p["input_dim"][0], p["input_dim"][2], p["input_dim"][2])}),
    Factor("the padding", lambda p: p["pad"] > 0, lambda p: {"pad": 0},
           lambda p: f"pad {p['pad']}"),
    Factor("the stride", lambda p: p["stride"] > 1, lambda p: {"stride": 1},
           lambda p: f"stride {p['stride']}"),
    Factor("more than one channel", lambda p: p["input_dim"][0] > 1,
           lambda p: {"input_dim": (1, *p["input_dim"][1:])},
           lambda p: f"{p['input_dim'][0]} channels"),
    Factor("a last partial batch", lambda p: p["N"] % p["batch_size"] != 0,
           lambda p: {"N": p["N"] - p["N"] % p["batch_size"]},
           lambda p: f"N {p['N']} with batch_size {p['batch_size']}"))
# W2's rows follow the convolution's output size (then the 2x2 pooling): a wrong size formula
# shows in the parameter shapes the driver reports (shape:W2).
simple_conv_net.geometry = Geometry(
    lambda p: {"height": (p["input_dim"][1], p["filter_size"], p["stride"], p["pad"]),
               "width": (p["input_dim"][2], p["filter_size"], p["stride"], p["pad"])},
    lambda p, hw: {"shape:W2": (p["filter_num"] * (hw[0] // 2) * (hw[1] // 2), p["hidden"])})
def _simple_tags(row):
    """The book's two size limitations, as tags a rubric can grade or leave out: W2 sized from
    input_dim[1] alone (non-square input), and int(n * (s/2) * (s/2)) (odd sizes)."""
    p = dict(zip(simple_conv_net.columns, row))
    ch, cw = conv_output_hw(p)
    return tuple(tag for tag, applies in (("non-square-input", ch != cw),
                                          ("odd-conv-size", ch % 2 or cw % 2)) if applies)


def _add_simple(rows, grids, tags=()):
    for row in rows:
        simple_conv_net.add([row], grids=grids, tags=tags + _simple_tags(row))


# The book's networks hold float64 parameters (np.random.randn), so the cases are float64.
for dtype in ("float64",):
    # input_dim   FN size pad stride hidden N batch
    _add_simple([((1, 10, 10), 3, 3, 0, 1, 6, 4, 2, dtype),   # the book's shape, small
                 ((2, 8, 10), 2, 3, 1, 1, 5, 3, 3, dtype),    # H != W, 2 channels, pad
                 ((1, 12, 12), 3, 4, 1, 2, 6, 4, 4, dtype),   # stride 2
                 ((1, 9, 9), 3, 3, 0, 1, 6, 4, 2, dtype)],    # odd convolution output (7)
                grids=("quick", "full"))
    # accuracy over a last partial batch: the book drops it (outside the book's contract)
    _add_simple([((1, 10, 10), 3, 3, 0, 1, 6, 5, 2, dtype)], grids=("quick", "full"),
                tags=("partial-batch",))
    _add_simple([((1, 11, 9), 4, 2, 1, 1, 7, 6, 3, dtype),
                 ((3, 7, 7), 2, 3, 2, 1, 4, 2, 1, dtype),
                 ((1, 14, 14), 5, 5, 0, 1, 8, 4, 4, dtype)], grids=("full",))


def _reference_derive(name, init):
    """LeNet, AlexNet and DeepConvNet follow this project's API (the book has no code for the
    first two): their parameter shapes are those of the reference built the same way."""
    def derive(p):
        kwargs = {**init, "input_dim": list(p["input_dim"]), "output_size": CLASSES}
        net = getattr(scratch_cnn, name)(**kwargs)
        return {"network": name, "init": kwargs,
                "param_shapes": {k: v.shape for k, v in net.params.items()}}
    return derive


lenet = _net_component("LeNet", ("input_dim", "activation", "N", "batch_size", "dtype"), None,
                       numerical_witness=lambda p: p["activation"] == "sigmoid")
lenet.derive = lambda p: _reference_derive("LeNet", {
    "conv_channels": [3, 4], "filter_size": 3, "hidden_sizes": [6, 5],
    "activation": p["activation"]})(p)
alexnet = _net_component("AlexNet", ("input_dim", "N", "batch_size", "dtype"), _reference_derive(
    "AlexNet", {"channels": [3, 4, 4, 4, 3], "hidden_size": 6}))
deep_conv_net = _net_component(
    "DeepConvNet", ("input_dim", "N", "batch_size", "dtype"), _reference_derive(
        "DeepConvNet", {f"conv_param_{i + 1}": {"filter_num": n, "filter_size": 3, "pad": pad,
                                               "stride": 1}
                        for i, (n, pad) in enumerate([(2, 1), (2, 1), (3, 1), (3, 2), (4, 1),
                                                      (4, 1)])} | {"hidden_size": 6}))
for dtype in ("float64",):
    lenet.add([((1, 8, 8), "sigmoid", 4, 2, dtype), ((1, 8, 8), "relu", 4, 4, dtype)],
              grids=("quick", "full"))
    lenet.add([((2, 10, 9), "relu", 3, 3, dtype)], grids=("full",))
    alexnet.add([((1, 8, 8), 4, 2, dtype)], grids=("quick", "full"))
    alexnet.add([((2, 9, 7), 3, 3, dtype)], grids=("full",))
    deep_conv_net.add([((1, 8, 8), 4, 2, dtype)], grids=("quick", "full"))
    deep_conv_net.add([((1, 12, 10), 2, 2, dtype)], grids=("full",))


# -- optimizers: 50 steps on a fixed model from identical weights and batches (float64)
STEPS, BATCH, FEATURES, HIDDEN = 50, 8, 6, 5


def _trajectory_inputs(p, rng):
    arrays = {"x": rng.standard_normal((STEPS, BATCH, FEATURES)),
              "t": rng.integers(0, CLASSES, (STEPS, BATCH)),
              "W1": rng.standard_normal((FEATURES, HIDDEN)) * 0.5,
              "b1": rng.standard_normal(HIDDEN) * 0.1,
              "W2": rng.standard_normal((HIDDEN, CLASSES)) * 0.5,
              "b2": rng.standard_normal(CLASSES) * 0.1}
    return arrays


def _trajectory_shapes(p):
    return {"losses": (STEPS,), "final_W1": (FEATURES, HIDDEN), "final_b1": (HIDDEN,),
            "final_W2": (HIDDEN, CLASSES), "final_b2": (CLASSES,)}


# optimizer  hyperparameters (the book's names)
OPTIMIZERS = {
    "SGD": [{"lr": 0.1}, {"lr": 0.01}],
    "Momentum": [{"lr": 0.05, "momentum": 0.9}, {"lr": 0.1, "momentum": 0.5}],
    "Nesterov": [{"lr": 0.05, "momentum": 0.9}, {"lr": 0.1, "momentum": 0.5}],
    "AdaGrad": [{"lr": 0.1}, {"lr": 0.5}],
    "RMSprop": [{"lr": 0.01, "decay_rate": 0.99}, {"lr": 0.001, "decay_rate": 0.9}],
    "Adam": [{"lr": 0.01, "beta1": 0.9, "beta2": 0.999}, {"lr": 0.001, "beta1": 0.8,
                                                          "beta2": 0.99}],
}
optimizers = []
for name, settings in OPTIMIZERS.items():
    component = Component(
        name, "optimizer", "optimizer", ("hyper", "dtype"), _trajectory_inputs,
        _trajectory_shapes,
        behaviours={"trajectory": ("losses",),
                    "final_parameters": ("final_W1", "final_b1", "final_W2", "final_b2")},
        # the driver builds the outputs itself: only what the optimizer did to its inputs counts
        contract=("inputs_unchanged",),
        derive=lambda p, name=name: {"optimizer": name},
        case_id=lambda p: "-".join(f"{k}{v:g}" for k, v in p["hyper"].items()))
    component.add([(settings[0], "float64")], grids=("quick", "full"))
    component.add([(s, "float64") for s in settings[1:]], grids=("full",))
    optimizers.append(component)

COMPONENTS = [simple_conv_net, lenet, alexnet, deep_conv_net, *optimizers]
