"""Relu, Sigmoid, Affine and LRN: layers whose cases are mostly about shapes and values."""

import numpy as np

from .base import REPEAT_DX, Component, Factor, away_from_zero, cast, product
from .conv import DTYPE_FACTOR, DTYPES

# What an activation's failure may depend on: the kind of values, the dtype.
FILL_FACTORS = tuple(
    Factor(words, lambda p, f=fill: p["fill"] == f, lambda p: {"fill": "normal"},
           lambda p, f=fill, w=words: w if p["fill"] == f else f"{p['fill']} values")
    for fill, words in (("zeros", "exact zeros in x"), ("negative", "negative inputs only"),
                        ("large", "large inputs"))) + (DTYPE_FACTOR,)

SHAPES = [(2, 3, 4, 5), (3, 7), (5,), (1, 1, 1, 1), (2, 16, 3, 3)]


def _activation_inputs(p, rng):
    shape = tuple(p["shape"])
    if p["fill"] == "zeros":  # exact zeros, where ReLU's gradient is 0 by convention
        x = away_from_zero(rng, shape)
        x[rng.random(shape) < 0.3] = 0.0
    elif p["fill"] == "negative":
        x = -np.abs(away_from_zero(rng, shape))
    elif p["fill"] == "large":  # sigmoid saturates; exp overflows if computed naively
        x = away_from_zero(rng, shape) * 400
    else:
        x = away_from_zero(rng, shape)
    return cast({"x": x, "dout": rng.standard_normal(shape)}, p["dtype"])


def _same_shape(p):
    return {"out": tuple(p["shape"]), "dx": tuple(p["shape"])}


ACTIVATION = {"forward": ("out",), "input_gradient": ("dx", "dx_again")}
relu = Component("Relu", "relu", "layer", ("shape", "fill", "dtype"), _activation_inputs,
                 _same_shape, behaviours=ACTIVATION, repeats=REPEAT_DX, gradients={"x": "dx"},
                 numerical_witness=lambda p: p["fill"] != "zeros",  # the kink at exactly 0
                 factors=FILL_FACTORS)
sigmoid = Component("Sigmoid", "sigmoid", "layer", ("shape", "fill", "dtype"),
                    _activation_inputs, _same_shape, behaviours=ACTIVATION, repeats=REPEAT_DX,
                    gradients={"x": "dx"}, factors=FILL_FACTORS)

for dtype in DTYPES:
    # shape          fill
    relu.add([((2, 3, 4, 5), "zeros", dtype), ((3, 7), "normal", dtype),
              ((5,), "negative", dtype)], grids=("quick", "full"))
    relu.add([(s, f, dtype) for s, f in product(SHAPES, ("normal", "zeros", "negative"))],
             grids=("full",))
    sigmoid.add([((2, 3, 4, 5), "normal", dtype), ((3, 7), "large", dtype)],
                grids=("quick", "full"))
    sigmoid.add([(s, f, dtype) for s, f in product(SHAPES, ("normal", "large"))],
                grids=("full",))
for component in (relu, sigmoid):
    component.add([((2, 3), "normal", "float64")],
                  tags=("invalid-input", "backward-before-forward"),
                  error="backward-before-forward", scenario="backward_first")


def _affine_inputs(p, rng):
    x_shape = tuple(p.get("shapes", {}).get("x", p["x_shape"]))
    features = int(np.prod(p["x_shape"][1:]))
    b_len = p.get("shapes", {}).get("b", [p["out"]])[0]
    return cast({"x": rng.standard_normal(x_shape),
                 "W": rng.standard_normal((features, p["out"])),
                 "b": rng.standard_normal(b_len),
                 "dout": rng.standard_normal((p["x_shape"][0], p["out"]))}, p["dtype"])


affine = Component(
    "Affine", "affine", "layer", ("x_shape", "out", "dtype"), _affine_inputs,
    lambda p: {"out": (p["x_shape"][0], p["out"]), "dx": tuple(p["x_shape"]),
               "dW": (int(np.prod(p["x_shape"][1:])), p["out"]), "db": (p["out"],)},
    behaviours={"forward": ("out",), "input_gradient": ("dx", "dx_again"),
                "parameter_gradients": ("dW", "db")},
    repeats=REPEAT_DX, gradients={"x": "dx", "W": "dW", "b": "db"},
    factors=(Factor("an input of more than two axes", lambda p: len(p["x_shape"]) > 2,
                    lambda p: {"x_shape": (p["x_shape"][0], int(np.prod(p["x_shape"][1:])))},
                    lambda p: f"x of shape {tuple(p['x_shape'])}"),
             Factor("more than one sample", lambda p: p["x_shape"][0] > 1,
                    lambda p: {"x_shape": (1, *p["x_shape"][1:])},
                    lambda p: f"N {p['x_shape'][0]}"),
             DTYPE_FACTOR))

AFFINE_SHAPES = [(2, 5), (3, 2, 4), (2, 3, 2, 2), (1, 7), (4, 1, 3, 3), (5, 30)]
for dtype in DTYPES:
    # x shape        outputs   (N-d input is flattened after the batch axis)
    affine.add([((3, 2, 4), 3, dtype), ((2, 3, 2, 2), 4, dtype), ((4, 6), 1, dtype)],
               grids=("quick", "full"))
    affine.add([(s, o, dtype) for s, o in product(AFFINE_SHAPES, (1, 3, 10))], grids=("full",))
affine.add([((2, 5), 3, "float64")], tags=("invalid-input", "features-mismatch"),
           error="features-mismatch", shapes={"x": [2, 6]})
affine.add([((2, 5), 3, "float64")], tags=("invalid-input", "bias-wrong-length"),
           error="bias-wrong-length", shapes={"b": [4]})
affine.add([((2, 5), 3, "float64")], tags=("invalid-input", "backward-before-forward"),
           error="backward-before-forward", scenario="backward_first")


def _lrn_inputs(p, rng):
    shape = tuple(p["shape"])
    return cast({"x": rng.standard_normal(shape) * 2, "dout": rng.standard_normal(shape)},
                p["dtype"])


lrn = Component("LRN", "lrn", "layer", ("shape", "size", "alpha", "beta", "k", "dtype"),
                _lrn_inputs, lambda p: {"out": tuple(p["shape"]), "dx": tuple(p["shape"])},
                behaviours=ACTIVATION, repeats=REPEAT_DX, gradients={"x": "dx"},
                factors=(DTYPE_FACTOR,))
LRN_CONSTANTS = [(1e-4, 0.75, 1.0), (0.1, 0.75, 2.0), (1.0, 0.5, 1.0)]  # (alpha, beta, k)
for dtype in DTYPES:
    # shape         size alpha beta k   (even sizes have lopsided windows, as in torch)
    lrn.add([((2, 7, 3, 4), 5, 0.1, 0.75, 2.0, dtype), ((1, 6, 2, 3), 2, 1.0, 0.5, 1.0, dtype),
             ((2, 3, 2, 2), 4, 0.5, 0.75, 1.0, dtype)], grids=("quick", "full"))
    lrn.add([(s, n) + c + (dtype,) for s, n, c in product(
        [(2, 7, 3, 4), (1, 3, 5, 5), (2, 16, 2, 3)], (1, 2, 3, 5, 6), LRN_CONSTANTS)],
        grids=("full",))

COMPONENTS = [relu, sigmoid, affine, lrn]
