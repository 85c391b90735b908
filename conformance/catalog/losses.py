"""SoftmaxWithLoss, Dropout and BatchNormalization: layers with targets, masks or modes."""

import numpy as np

from .base import REPEAT_DX, Component, Factor, away_from_zero, cast, product
from .conv import DTYPE_FACTOR, DTYPES


def _softmax_inputs(p, rng):
    n, k = p["N"], p["K"]
    x = rng.standard_normal((n, k)) * p["scale"]
    labels = rng.integers(0, k, n)
    if p["target"] == "labels":
        t = labels
    elif p["target"] == "onehot":
        t = np.eye(k)[labels]
    else:
        t = rng.dirichlet(np.ones(k), n)
    if "bad_labels" in p:
        t = np.array(p["bad_labels"])
    arrays = cast({"x": x}, p["dtype"])
    arrays["t"] = t if p["target"] == "labels" else t.astype(p["dtype"])
    return arrays


softmax_with_loss = Component(
    "SoftmaxWithLoss", "softmax_with_loss", "layer",
    ("N", "K", "scale", "target", "dout", "dtype"), _softmax_inputs,
    lambda p: {"loss": (), "dx": (p["N"], p["K"])},
    behaviours={"forward": ("loss",), "input_gradient": ("dx", "dx_again")},
    repeats=REPEAT_DX, gradients={"x": "dx"},
    factors=(Factor("more than one sample", lambda p: p["N"] > 1, lambda p: {"N": 1},
                    lambda p: f"N {p['N']}"),
             Factor("one-hot targets", lambda p: p["target"] == "onehot",
                    lambda p: {"target": "labels"},
                    lambda p: "one-hot targets" if p["target"] == "onehot" else "labels"),
             Factor("large scores", lambda p: p["scale"] > 1, lambda p: {"scale": 1},
                    lambda p: f"scores of scale {p['scale']}"),
             DTYPE_FACTOR))


def _softmax_tags(row):
    _, _, scale, target, dout, _ = row
    tags = []
    if target == "soft":
        tags.append("soft-targets")  # outside the book's contract (difference 4)
    if dout != 1:
        tags.append("backward-dout")  # outside the book's contract (difference 5)
    if scale >= 100:
        tags.append("large-logits")
    return tuple(tags)


def _add_softmax(rows, grids):
    for row in rows:
        softmax_with_loss.add([row], grids=grids, tags=_softmax_tags(row))


for dtype in DTYPES:
    # N  K  scale target   dout
    _add_softmax([(4, 5, 1, "labels", 1, dtype), (3, 4, 1000, "labels", 1, dtype),
                  (3, 4, 1000, "onehot", 1, dtype), (8, 10, 1, "onehot", 1, dtype),
                  (5, 3, 10, "soft", 1, dtype), (4, 6, 1, "labels", 2.5, dtype),
                  (1, 10, 50, "labels", 1, dtype),
                  (4, 4, 3, "onehot", 1, dtype)],  # N == K: a wrong argmax axis still runs
                 grids=("quick", "full"))
    _add_softmax([(n, k, s, t, d, dtype) for n, k, s, t, d in product(
        (1, 3, 8), (2, 5, 10), (1, 10, 100, 1000), ("labels", "onehot", "soft"), (1, 2.5))],
        grids=("full",))
softmax_with_loss.add([(3, 4, 1, "labels", 1, "float64")],
                      tags=("invalid-input", "label-out-of-range"), error="label-out-of-range",
                      bad_labels=[0, 4, 1])
softmax_with_loss.add([(3, 4, 1, "labels", 1, "float64")],
                      tags=("invalid-input", "negative-label"), error="negative-label",
                      bad_labels=[0, -1, 1])
softmax_with_loss.add([(3, 4, 1, "labels", 1, "float64")],
                      tags=("invalid-input", "targets-wrong-shape"), error="targets-wrong-shape",
                      bad_labels=[[0, 1, 0], [1, 0, 0], [0, 0, 1]])


def _dropout_inputs(p, rng):
    shape = tuple(p["shape"])
    # no zeros in x, so the mask can be read back from the output
    return cast({"x": away_from_zero(rng, shape), "dout": rng.standard_normal(shape)},
                p["dtype"])


def book_mask(p, shape):
    """The mask the book's Dropout draws after np.random.seed(mask_seed)."""
    return np.random.RandomState(p["mask_seed"]).rand(*shape) > p["ratio"]


def dropout_expected(p, a, actual):
    """Dropout with a fixed mask is plain arithmetic (torch's dropout cannot take a mask), so
    both oracles use this. The mask is read back from the implementation's output (x has no
    zeros), so any way of drawing it is judged fairly; the kept fraction is checked apart."""
    x = a["x"].astype(np.float64)
    out = (actual or {}).get("out")
    mask = np.asarray(out) != 0 if out is not None and np.shape(out) == x.shape \
        else book_mask(p, x.shape)
    scale = 1.0 / (1.0 - p["ratio"])
    return {"out": x * mask * scale, "dx": a["dout"] * mask * scale, "out_eval": x}


def dropout_kept_fraction(p, actual):
    """None if the fraction of kept inputs is plausible for 1 - ratio, else a message.
    Within 6 binomial standard deviations: a correct mask fails about once in 10^9 runs."""
    out = np.asarray(actual["out"])
    kept = float(np.mean(out != 0))
    keep = 1.0 - p["ratio"]
    sigma = np.sqrt(keep * (1 - keep) / out.size)
    if abs(kept - keep) <= 6 * sigma:
        return None
    return (f"Dropout kept {kept:.3f} of the inputs but ratio {p['ratio']} should keep "
            f"{keep:.3f} (+- {6 * sigma:.3f}); the mask keeps an input when rand > ratio")


dropout = Component(
    "Dropout", "dropout", "layer", ("shape", "ratio", "dtype"), _dropout_inputs,
    lambda p: {"out": tuple(p["shape"]), "dx": tuple(p["shape"]), "out_eval": tuple(p["shape"])},
    behaviours={"forward": ("out",), "input_gradient": ("dx", "dx_again"),
                "eval_mode": ("out_eval",)},
    repeats=REPEAT_DX, checks={"forward": dropout_kept_fraction},
    derive=lambda p: {"mask_seed": 1000 + int(p["ratio"] * 100)},
    expected_from_actual=dropout_expected)
for dtype in DTYPES:
    # shape           ratio (many elements, so the kept fraction can be checked)
    dropout.add([((40, 50), 0.3, dtype), ((4, 3, 10, 10), 0.5, dtype)], grids=("quick", "full"))
    dropout.add([(s, r, dtype) for s, r in product([(40, 50), (4, 3, 10, 10), (2000,)],
                                                   (0.1, 0.3, 0.5, 0.8))], grids=("full",))


def _bn_inputs(p, rng):
    shape = tuple(p.get("shapes", {}).get("x", p["x_shape"]))
    features = p["x_shape"][1]
    arrays = {"x": rng.standard_normal(shape) * 2 + 1,
              "x_more": rng.standard_normal(shape) * 3 - 1,
              "x_eval": rng.standard_normal(shape),
              "gamma": rng.standard_normal(features), "beta": rng.standard_normal(features),
              "dout": rng.standard_normal(shape)}
    return cast(arrays, p["dtype"])


def _bn_shapes(p):
    x, c = tuple(p["x_shape"]), (p["x_shape"][1],)
    return {"out": x, "dx": x, "dgamma": c, "dbeta": c, "running_mean": c, "running_var": c,
            "out_eval": x, "dx_eval": x}


batch_normalization = Component(
    "BatchNormalization", "batch_normalization", "layer", ("x_shape", "momentum",
                                                           "extra_steps", "dtype"),
    _bn_inputs, _bn_shapes,
    behaviours={"forward": ("out",), "input_gradient": ("dx", "dx_again"),
                "parameter_gradients": ("dgamma", "dbeta"),
                "running_statistics": ("running_mean", "running_var"),
                "eval_mode": ("out_eval", "dx_eval")},
    repeats=REPEAT_DX, gradients={"x": "dx", "gamma": "dgamma", "beta": "dbeta"})
def _add_bn(rows, grids):
    """4-D input is BatchNorm2d's (per channel): outside the book's contract, whose
    BatchNormalization only ever follows an Affine layer (2-D)."""
    for row in rows:
        tags = ("batchnorm-4d",) if len(row[0]) == 4 else ()
        batch_normalization.add([row], grids=grids, tags=tags)


for dtype in DTYPES:
    # x shape        momentum extra batches
    _add_bn([((8, 5), 0.9, 0, dtype), ((6, 4), 0.5, 2, dtype), ((4, 3, 5, 6), 0.9, 2, dtype)],
            grids=("quick", "full"))
    _add_bn([(s, m, e, dtype) for s, m, e in product(
        [(8, 5), (16, 3), (4, 3, 5, 6), (2, 4, 3, 3), (3, 2, 1, 1)], (0.9, 0.5), (0, 2))],
        grids=("full",))
batch_normalization.add([((8, 5), 0.9, 0, "float64")], tags=("invalid-input",
                                                             "features-mismatch"),
                        error="features-mismatch", shapes={"x": [8, 4]})

COMPONENTS = [softmax_with_loss, dropout, batch_normalization]
