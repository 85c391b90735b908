"""Max pooling (Pooling) and average pooling (AvgPooling)."""

from . import conv
from .base import REPEAT_DX, Component, Factor, Geometry, cast, distinct, product
from .conv import DTYPES, STRIDES

COLUMNS = ("N", "C", "H", "W", "PH", "PW", "stride", "pad", "fill", "dtype")

# N  C  H  W  PH PW stride pad  fill         why
QUICK = [
    (2, 3, 6, 8, 2, 2, 2, 0, "distinct"),   # the book's 2x2 window, stride 2
    (2, 2, 7, 5, 3, 3, 2, 1, "negative"),   # overlapping padded windows of negative numbers
    (1, 2, 6, 7, 2, 3, 1, 1, "negative"),   # rectangular window, stride 1, padding
    (2, 2, 5, 5, 3, 2, 3, 1, "distinct"),   # stride larger than the window width
    (2, 1, 4, 6, 2, 2, 2, 1, "ties"),       # deliberate ties, with padding
    (1, 3, 6, 6, 2, 2, 2, 0, "ties"),       # deliberate ties
    (2, 2, 9, 7, 3, 3, 3, 0, "distinct"),   # 3x3 windows, H != W, W not divisible
    (1, 1, 4, 4, 4, 4, 1, 2, "negative"),   # window equal to the padded input
]

FULL_WINDOWS = [(1, 1), (2, 2), (3, 3), (2, 3), (3, 2), (4, 2)]  # (PH, PW)
FULL_SIZES = [(5, 7), (8, 6), (9, 9)]
FILLS = ("distinct", "negative", "ties")


def full_rows(fills):
    return [(n, c, h, w, ph, pw, s, p, fill)
            for (n, c), (h, w), (ph, pw), s, p, fill in product(
                [(1, 1), (2, 3)], FULL_SIZES, FULL_WINDOWS, STRIDES, (0, 1, 2), fills)
            if 2 * p <= min(ph, pw)]  # torch: pad at most half the window


def out_hw(p):
    return conv.out_hw(p, window=("PH", "PW"))


def make_inputs(p, rng):
    shape = tuple(p.get("shapes", {}).get("x", (p["N"], p["C"], p["H"], p["W"])))
    if p["fill"] == "ties":
        x = rng.integers(-1, 2, shape).astype(float)  # few values: many ties
    elif p["fill"] == "negative":
        x = distinct(rng, shape, -4.0, -0.5)
    else:
        x = distinct(rng, shape)
    oh, ow = out_hw(p)
    dout = rng.standard_normal((p["N"], p["C"], max(oh, 1), max(ow, 1)))
    return cast({"x": x, "dout": dout}, p["dtype"])


def output_shapes(p, hw=None):
    return {"out": (p["N"], p["C"]) + tuple(hw or out_hw(p)),
            "dx": (p["N"], p["C"], p["H"], p["W"])}


FACTORS = conv.window_factors(("PH", "PW"), extra=(
    Factor("deliberate ties", lambda p: p["fill"] == "ties", lambda p: {"fill": "distinct"},
           lambda p: f"{p['fill']} values"),
    Factor("windows of negative numbers", lambda p: p["fill"] == "negative",
           lambda p: {"fill": "distinct"}, lambda p: f"{p['fill']} values")))
GEOMETRY = Geometry(conv.window_sides(("PH", "PW")), output_shapes)


BEHAVIOURS = {"forward": ("out",), "input_gradient": ("dx", "dx_again")}
# Max pooling's gradient jumps where two values of a window tie: no central differences there.
pooling = Component("Pooling", "pooling", "layer", COLUMNS, make_inputs, output_shapes,
                    behaviours=BEHAVIOURS, repeats=REPEAT_DX, gradients={"x": "dx"},
                    numerical_witness=lambda p: p["fill"] != "ties", factors=FACTORS,
                    geometry=GEOMETRY)
avg_pooling = Component("AvgPooling", "avg_pooling", "layer", COLUMNS, make_inputs,
                        output_shapes, behaviours=BEHAVIOURS, repeats=REPEAT_DX,
                        gradients={"x": "dx"}, factors=FACTORS, geometry=GEOMETRY)


def _tags(rows):
    """Tag what is special, so the report and the rubric can find these cases."""
    by_tag = {}
    for row in rows:
        p = dict(zip(COLUMNS, row))
        tags = []
        if p["fill"] == "ties":
            tags.append("ties")
        if p["fill"] == "negative" and p["pad"] > 0:
            tags.append("padded-negative")
        by_tag.setdefault(tuple(tags), []).append(row)
    return by_tag.items()


for dtype in DTYPES:
    for tags, rows in _tags(QUICK):
        pooling.add([r + (dtype,) for r in rows], grids=("quick", "full"), tags=tags)
    for tags, rows in _tags(full_rows(FILLS)):
        pooling.add([r + (dtype,) for r in rows], grids=("full",), tags=tags)
    avg_pooling.add([r[:8] + ("distinct", dtype) for r in QUICK], grids=("quick", "full"))
    avg_pooling.add([r + (dtype,) for r in full_rows(("distinct",))], grids=("full",))

# Invalid inputs. N  C  H  W  PH PW stride pad fill
_VALID = (2, 2, 6, 6, 2, 2, 2, 0, "distinct", "float64")
for component in (pooling, avg_pooling):
    component.add([_VALID], tags=("invalid-input", "x-not-4d"), error="x-not-4d",
                  shapes={"x": [2, 6, 6]})
    component.add([_VALID], tags=("invalid-input", "pad-more-than-half-window"),
                  error="pad-more-than-half-window", pad=2)
    component.add([_VALID], tags=("invalid-input", "stride-zero"), error="stride-zero",
                  stride=0)
    component.add([_VALID], tags=("invalid-input", "backward-before-forward"),
                  error="backward-before-forward", scenario="backward_first")
    component.add([(1, 1, 2, 2, 3, 3, 1, 0, "distinct", "float64")],
                  tags=("invalid-input", "window-larger-than-input"),
                  error="window-larger-than-input")

COMPONENTS = [pooling, avg_pooling]
