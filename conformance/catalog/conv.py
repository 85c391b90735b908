"""im2col, col2im and Convolution: the same window geometry, three components."""

import numpy as np

from ..windows import unfold
from .base import REPEAT_DX, Component, Factor, Geometry, Identity, away_from_zero, cast, product

DTYPES = ("float64", "float32")
DTYPE_FACTOR = Factor("float32 input", lambda p: p.get("dtype") == "float32",
                      lambda p: {"dtype": "float64"}, lambda p: p["dtype"])

# The geometry rows of the quick grid; each row is there for a reason.
# N  C  H   W  FH FW stride pad   why
QUICK_GEOMETRY = [
    (2, 3, 7, 5, 3, 2, 2, 1),   # H != W, FH != FW, stride 2, pad 1, W not divisible by stride
    (1, 1, 5, 5, 5, 5, 1, 0),   # kernel equal to the input
    (2, 2, 6, 7, 1, 1, 3, 2),   # 1x1 kernel, stride larger than the kernel, pad 2
    (3, 2, 8, 6, 3, 3, 1, 2),   # pad 2, stride 1, overlapping windows
    (2, 3, 9, 8, 2, 4, 3, 1),   # stride 3, wide kernel
    (1, 2, 4, 3, 6, 5, 1, 1),   # kernel equal to the padded input
    (2, 1, 10, 9, 3, 3, 2, 0),  # one channel (SimpleConvNet), H - FH not divisible by stride
    (2, 2, 11, 7, 4, 3, 3, 2),  # stride 3 with pad 2, neither side divisible
]

# The full grid: every combination of these axes.
FULL_BATCH_CHANNELS = [(1, 1), (2, 3), (3, 2)]  # (N, C)
FULL_SIZES = [(5, 7), (8, 6), (9, 9), (6, 11)]  # (H, W)
FULL_KERNELS = [(1, 1), (2, 3), (3, 3), (3, 2), (4, 4)]  # (FH, FW)
STRIDES = (1, 2, 3)
PADS = (0, 1, 2)


def full_geometry():
    return [(n, c, h, w, fh, fw, s, p)
            for (n, c), (h, w), (fh, fw), s, p in product(
                FULL_BATCH_CHANNELS, FULL_SIZES, FULL_KERNELS, STRIDES, PADS)]


def out_hw(p, window=("FH", "FW")):
    """The output size by PyTorch's formula; invalid-input cases (a zero or fractional stride,
    a string pad) get the size their arrays are made for, stride 1 and no padding."""
    stride, pad = p["stride"], p["pad"]
    if not (isinstance(stride, int) and stride > 0 and isinstance(pad, int) and pad >= 0):
        stride, pad = 1, 0
    return ((p["H"] + 2 * pad - p[window[0]]) // stride + 1,
            (p["W"] + 2 * pad - p[window[1]]) // stride + 1)


def _shapes(p):
    """Default input shapes, with the overrides of invalid-input cases."""
    oh, ow = out_hw(p)
    shapes = {"x": (p["N"], p["C"], p["H"], p["W"]),
              "W": (p.get("FN", 1), p["C"], p["FH"], p["FW"]),
              "b": (p.get("FN", 1),),
              "dout": (p["N"], p.get("FN", 1), max(oh, 1), max(ow, 1)),
              "col": (p["N"] * max(oh, 1) * max(ow, 1), p["C"] * p["FH"] * p["FW"])}
    shapes.update({k: tuple(v) for k, v in p.get("shapes", {}).items()})
    return shapes


def _arrays(p, rng, names):
    shapes = _shapes(p)
    return cast({k: rng.standard_normal(shapes[k]) for k in names}, p["dtype"])


def _output_shapes_im2col(p, hw=None):
    oh, ow = hw or out_hw(p)
    return {"col": (p["N"] * oh * ow, p["C"] * p["FH"] * p["FW"])}


def _output_shapes_conv(p, hw=None):
    oh, ow = hw or out_hw(p)
    return {"out": (p["N"], p["FN"], oh, ow), "dx": (p["N"], p["C"], p["H"], p["W"]),
            "dW": (p["FN"], p["C"], p["FH"], p["FW"]), "db": (p["FN"],)}


def window_sides(window=("FH", "FW")):
    """The geometry's sides of a window component: the height and the width."""
    def sides(p):
        return {"height": (p["H"], p[window[0]], p["stride"], p["pad"]),
                "width": (p["W"], p[window[1]], p["stride"], p["pad"])}
    return sides


def window_factors(window=("FH", "FW"), extra=()):
    """What a window component's failure may depend on, each taken away alone."""
    kh, kw = window
    return (
        Factor("the stride", lambda p: p["stride"] > 1, lambda p: {"stride": 1},
               lambda p: f"stride {p['stride']}"),
        Factor("the padding", lambda p: p["pad"] > 0, lambda p: {"pad": 0},
               lambda p: f"pad {p['pad']}"),
        Factor("a height different from the width", lambda p: p["H"] != p["W"],
               lambda p: {"W": p["H"]}, lambda p: f"H {p['H']} and W {p['W']}",
               lambda p: {"H": p["W"]}),
        Factor("a window height different from its width", lambda p: p[kh] != p[kw],
               lambda p: {kw: p[kh]}, lambda p: f"{kh} {p[kh]} and {kw} {p[kw]}",
               lambda p: {kh: p[kw]}),
        Factor("more than one channel", lambda p: p["C"] > 1, lambda p: {"C": 1},
               lambda p: f"C {p['C']}"),
        Factor("more than one sample", lambda p: p["N"] > 1, lambda p: {"N": 1},
               lambda p: f"N {p['N']}"),
        *extra, DTYPE_FACTOR)


COLUMNS = ("N", "C", "H", "W", "FH", "FW", "stride", "pad", "dtype")

im2col = Component(
    "im2col", "im2col", "function", COLUMNS,
    make_inputs=lambda p, rng: _arrays(p, rng, ["x"]),
    output_shapes=_output_shapes_im2col,
    behaviours={"forward": ("col",)},
    factors=window_factors(), geometry=Geometry(window_sides(), _output_shapes_im2col),
)

def _col2im_adjoint(p, a, outputs, rng):
    """<im2col(x), col> = <x, col2im(col)>, with the suite's own im2col (the book's loop), so
    that a wrong im2col is never blamed on col2im."""
    x = rng.standard_normal(p["input_shape"])
    col = unfold(x, p["FH"], p["FW"], p["stride"], p["pad"])
    return [Identity("<im2col(x), col>", col, a["col"], "<x, col2im(col)>", x, outputs["img"])]


col2im = Component(
    "col2im", "col2im", "function", COLUMNS,
    make_inputs=lambda p, rng: _arrays(p, rng, ["col"]),
    output_shapes=lambda p: {"img": (p["N"], p["C"], p["H"], p["W"])},
    behaviours={"forward": ("img",)},
    derive=lambda p: {"input_shape": [p["N"], p["C"], p["H"], p["W"]]},
    adjoint=_col2im_adjoint, factors=window_factors(),
    # its output is the input's shape; the sizes matter inside (a reshape that crashes)
    geometry=Geometry(window_sides(), lambda p, hw: {}),
)


def _conv_inputs(p, rng):
    arrays = _arrays(p, rng, ["x", "W", "b", "dout"])
    # keep |x| away from 0 so a sign slip in a variant never hides behind tiny values
    arrays["x"] = away_from_zero(rng, arrays["x"].shape).astype(p["dtype"])
    return arrays


def _conv_adjoint(p, a, outputs, rng):
    """Without the bias the convolution is linear in x and in W: <out - b, dout> = <x, dx> =
    <W, dW>."""
    out = np.asarray(outputs["out"], dtype=np.float64)
    linear = out - np.asarray(a["b"], dtype=np.float64)[None, :, None, None]
    return [Identity("<out - b, dout>", linear, a["dout"], "<x, dx>", a["x"], outputs["dx"]),
            Identity("<out - b, dout>", linear, a["dout"], "<W, dW>", a["W"], outputs["dW"])]


convolution = Component(
    "Convolution", "convolution", "layer", ("N", "C", "H", "W", "FN", "FH", "FW", "stride",
                                            "pad", "dtype"),
    make_inputs=_conv_inputs,
    output_shapes=_output_shapes_conv,
    behaviours={"forward": ("out",), "input_gradient": ("dx", "dx_again"),
                "parameter_gradients": ("dW", "db")},
    repeats=REPEAT_DX,
    gradients={"x": "dx", "W": "dW", "b": "db"},
    adjoint=_conv_adjoint,
    factors=window_factors(extra=(Factor("more than one filter", lambda p: p["FN"] > 1,
                                         lambda p: {"FN": 1}, lambda p: f"FN {p['FN']}"),)),
    geometry=Geometry(window_sides(), _output_shapes_conv),
)


def _with_fn(rows):
    """Conv rows get a filter count that differs from C, so W's axes cannot be confused."""
    return [(n, c, h, w, c + 1 + i % 2, fh, fw, s, p)
            for i, (n, c, h, w, fh, fw, s, p) in enumerate(rows)]


for dtype in DTYPES:
    for component in (im2col, col2im):
        component.add([g + (dtype,) for g in QUICK_GEOMETRY], grids=("quick", "full"))
        component.add([g + (dtype,) for g in full_geometry()], grids=("full",))
    convolution.add([g + (dtype,) for g in _with_fn(QUICK_GEOMETRY)], grids=("quick", "full"))
    # FN equal to out_w: a bias broadcast along the last axis still runs, so it can be seen
    #                  N  C  H  W  FN FH FW stride pad
    convolution.add([(2, 2, 6, 5, 3, 3, 3, 1, 0, dtype)], grids=("quick", "full"))
    convolution.add([g + (dtype,) for g in _with_fn(full_geometry())], grids=("full",))

# Invalid inputs: each must be refused with a ValueError or TypeError naming the component.
# N  C  H  W  FH FW stride pad      (then the override that makes it invalid)
_VALID = (2, 3, 7, 5, 3, 2, 1, 0, "float64")
_INVALID = [
    ("x-not-4d", {"shapes": {"x": [3, 7, 5]}}),
    ("kernel-larger-than-padded-input", {"H": 3, "W": 3, "FH": 5, "FW": 5}),
    ("stride-zero", {"stride": 0}),
    ("pad-negative", {"pad": -1}),
    ("stride-not-integer", {"stride": 1.5}),
]
for why, override in _INVALID:
    for component in (im2col, convolution):
        row = _VALID[:4] + ((4,) if component is convolution else ()) + _VALID[4:]
        component.add([row], tags=("invalid-input", why), error=why, **override)
im2col.add([_VALID], tags=("invalid-input", "pad-not-integer"), error="pad-not-integer",
           pad="1")
col2im.add([_VALID], tags=("invalid-input", "col-wrong-shape"), error="col-wrong-shape",
           shapes={"col": [7, 5]})
col2im.add([_VALID], tags=("invalid-input", "stride-zero"), error="stride-zero", stride=0)
_CONV_VALID = _VALID[:4] + (4,) + _VALID[4:]
convolution.add([_CONV_VALID], tags=("invalid-input", "channel-mismatch"),
                error="channel-mismatch", shapes={"x": [2, 2, 7, 5]})
convolution.add([_CONV_VALID], tags=("invalid-input", "bias-wrong-length"),
                error="bias-wrong-length", shapes={"b": [5]})
convolution.add([_CONV_VALID], tags=("invalid-input", "backward-before-forward"),
                error="backward-before-forward", scenario="backward_first")

COMPONENTS = [im2col, col2im, convolution]
