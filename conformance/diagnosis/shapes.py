"""Evidence from sizes: the shape an output came back with, or the shapes and dtypes a
crash's NumPy message shows, against what the usual mistakes in a size formula, a crop or a
reduction give."""

import itertools
import re

import numpy as np

from .. import compare
from .findings import Finding, _close, _error_texts, _one_of, _pair

_SIZE_FORMULAS = (
    # (words, bug classes it may be, size(n, kernel, stride, pad))
    ("(size + 2*pad - kernel) // stride, without the + 1", ("output-size",),
     lambda n, k, s, p: (n + 2 * p - k) // s),
    # also the size of an image padded on one side only
    ("(size + pad - kernel) // stride + 1: the padding counted once", ("output-size", "padding"),
     lambda n, k, s, p: (n + p - k) // s + 1),
    # the padding left out of the size is also what a call given no padding computes
    ("(size - kernel) // stride + 1: the padding left out", ("output-size", "padding"),
     lambda n, k, s, p: (n - k) // s + 1),
    # also what a call given stride 1 computes
    ("size + 2*pad - kernel + 1: the stride left out", ("output-size", "stride"),
     lambda n, k, s, p: n + 2 * p - k + 1),
    ("rounded up instead of down", ("output-size",),
     lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1),
    ("size + 2*pad - kernel // stride + 1: the parentheses left out (only the kernel divided "
     "by the stride)", ("output-size",), lambda n, k, s, p: n + 2 * p - k // s + 1),
    ("(size + 4*pad - kernel) // stride + 1: the input padded twice", ("padding",),
     lambda n, k, s, p: (n + 4 * p - k) // s + 1 if p > 0 else -1),
    ("stride * out: a slice without its :stride step", ("stride",),
     lambda n, k, s, p: ((n + 2 * p - k) // s + 1) * s if s > 1 else -1),
    ("(size + 2*stride - kernel) // pad + 1: stride and pad swapped", ("swapped-arguments",),
     lambda n, k, s, p: (n + 2 * s - k) // p + 1 if p > 0 else -1),
    ("(size + 2*pad + kernel) // stride + 1: the kernel added, not subtracted",
     ("sign", "output-size"), lambda n, k, s, p: (n + 2 * p + k) // s + 1),
    ("(size - 2*pad - kernel) // stride + 1: the padding subtracted, not added",
     ("sign", "padding"), lambda n, k, s, p: (n - 2 * p - k) // s + 1 if p > 0 else -1),
    ("size // stride: the size of 'same' padding, the kernel and the padding left out",
     ("output-size",), lambda n, k, s, p: n // s),
    ("(size - kernel) // stride + 1 + 2*pad: the padding added after the division",
     ("output-size", "padding"), lambda n, k, s, p: (n - k) // s + 1 + 2 * p if p > 0 else -1),
    ("(size + 2*pad - kernel) // kernel + 1: divided by the kernel, not the stride",
     ("stride", "output-size"), lambda n, k, s, p: (n + 2 * p - k) // k + 1 if k != s else -1),
    ("(size + 2*pad - kernel) // stride - 1: one subtracted, not added", ("sign", "output-size"),
     lambda n, k, s, p: (n + 2 * p - k) // s - 1),
    ("(size + 2*pad - kernel) % stride + 1: a remainder (%) where // belongs", ("output-size",),
     lambda n, k, s, p: (n + 2 * p - k) % s + 1 if s > 1 else -1),
)


def _side_candidates(sides, right):
    """{side: [(words, classes, size)]}: the right size and what the usual mistakes give."""
    names = list(sides)
    found = {}
    for i, side in enumerate(names):
        n, k, s, p = sides[side]
        options = [("right", (), right[i])]
        options += [(w, c, f(n, k, s, p)) for w, c, f in _SIZE_FORMULAS]
        for j, other in enumerate(names):
            if j != i:
                on, ok_, os_, op = sides[other]
                options.append((f"the {other}'s size used for the {side}", ("output-size",),
                                right[j]))
                # also what kernel sizes passed in the wrong order give
                options.append((f"the {other}'s kernel size used for the {side}",
                                ("output-size", "swapped-arguments"),
                                (n + 2 * p - ok_) // s + 1))
                options.append((f"the {other}'s input size used for the {side}",
                                ("output-size",), (on + 2 * p - k) // s + 1))
        found[side] = options
    return found


def _size_combinations(component, p):
    """(sizes per side, [(side, words, classes, size)] of the wrong sides, right sizes)."""
    sides = component.geometry.sides(p)
    right = component.geometry.right(p)
    candidates = _side_candidates(sides, right)
    right_of = dict(zip(candidates, right))
    for combo in itertools.product(*candidates.values()):
        wrong = [(side, w, c, v) for side, (w, c, v) in zip(candidates, combo) if w != "right"]
        # a mistake that happens to give the right number here is no evidence of anything
        if wrong and all(v >= 0 and v != right_of[side] for side, _, _, v in wrong):
            yield tuple(v for *_, v in combo), wrong, dict(zip(candidates, right))


def _size_finding(key, matches, shown):
    """One finding for every explanation that fits (the simplest first); its classes are
    theirs: all of them if they differ (possibilities)."""
    def mistakes(wrong):  # one slip typed on both sides' lines is one mistake
        return len({words for _, words, _, _ in wrong})
    fewest = min(mistakes(wrong) for wrong, _ in matches)
    options = {}
    for wrong, _ in matches:
        if mistakes(wrong) == fewest:  # the mistakes, whichever side they hit in this case
            words = " and ".join(sorted({words for _, words, _, _ in wrong}))
            options[words] = tuple(dict.fromkeys(c for _, _, cs, _ in wrong for c in cs))
    return Finding("size-formula", key, f"{shown}: " + _one_of(options),
                   tuple(dict.fromkeys(c for cs in options.values() for c in cs)),
                   options=options)


def size_formula(component, run, key, oracle):
    """Which size formula reproduces the wrong shape of an output (or of a parameter, for a
    shape the driver reports as data: shape:W2)."""
    actual, expected = _pair(run, key)
    if actual is None or component.geometry is None:
        return None
    if key.startswith("shape:"):  # the values are the shape
        got, wanted = tuple(int(v) for v in actual), tuple(int(v) for v in expected)
    else:
        got, wanted = actual.shape, expected.shape
    if got == wanted:
        return None
    matches = []
    for sizes, wrong, right in _size_combinations(component, run.case.params):
        shapes = component.geometry.shapes(run.case.params, sizes)
        if key in shapes and _same_sizes(tuple(shapes[key]), got):
            matches.append((wrong, right))
    if not matches:
        return False
    return _size_finding(key, matches, f"{key} has shape {got}, not {wanted}")


def _same_sizes(shape, actual):
    """The shape a size formula gives, against the one that came back: all of it, or for a
    4-D output its height and width (a reshape with -1 may have absorbed the rest)."""
    return shape == actual or (len(shape) == len(actual) == 4 and shape[2:] == actual[2:])


# the shapes of a failed reshape or broadcast (the student's sizes made one of them)
# (a broadcast error lists several after "shapes")
_SHAPE_IN_ERROR = re.compile(r"\((\d+(?:, ?\d+)+(?:, ?newaxis)?)\)")
# the size of an array that could not be reshaped (made from the student's sizes)
_SIZE_IN_ERROR = re.compile(r"cannot reshape array of size (\d+)")


def size_in_error(component, run, key, oracle):
    """A crash whose NumPy message shows an output size that a usual mistake gives (only the
    numbers of its shapes are read)."""
    texts = _error_texts(run)
    if not texts or component.geometry is None:
        return None
    p = run.case.params
    tuples = [tuple(int(v) if v.strip().isdigit() else -1 for v in m.split(",") if v.strip())
              for text in texts for m in _SHAPE_IN_ERROR.findall(text)]
    n = p.get("N", (p.get("input_shape") or [None])[0])
    pairs = {t[i:i + 2] for t in tuples if len(t) >= 3 and t[0] == n
             for i in (1, len(t) - 2)}
    sizes_seen = {int(m) for text in texts for m in _SIZE_IN_ERROR.findall(text)}
    if not pairs and not sizes_seen:
        return None  # no shape of this case's batch in the message: nothing to read
    matches = [(wrong, right) for sizes, wrong, right in _size_combinations(component, p)
               if tuple(sizes) in pairs or sizes_seen & {
                   int(np.prod(shape)) for shape in component.geometry.shapes(p, sizes).values()}]
    if not matches:
        return False
    return _size_finding(key, matches, f"{component.name} crashed on an output size a usual "
                                       f"mistake gives")


# a copy or an in-place add of an image slice and a window of the output's size: the slice's
# shape comes first, the window's second (NumPy's order for `window = slice` and
# `slice += window` alike)
_SLICE_INTO_WINDOW = re.compile(r"could not broadcast input array from shape \(([\d,]+)\) into "
                                r"shape \(([\d,]+)\)|could not be broadcast together with "
                                r"shapes \(([\d,]+)\) \(([\d,]+)\) \(\3\)")


def slice_length_in_error(component, run, key, oracle):
    """A crash lining an image slice up with a window of the right output size: the sizes are
    right, the slice is not. How its length differs says which slip made it: one step too
    far, short (an end without the filter offset), the other side's length, or no stride."""
    texts = _error_texts(run)
    found = next(filter(None, map(_SLICE_INTO_WINDOW.search, texts)), None)
    if found is None or component.geometry is None:
        return None
    sliced, window = ((tuple(int(v) for v in g.split(",")) for g in found.groups()[:2])
                      if found.group(1) else
                      (tuple(int(v) for v in g.split(",")) for g in found.groups()[2:]))
    right = tuple(component.geometry.right(run.case.params))
    if len(sliced) != 4 or len(window) != 4 or window[2:] != right or \
            sliced[:2] != window[:2] or sliced == window:
        return None
    p = run.case.params
    stride, pad = p.get("stride", 1), p.get("pad", 0)
    sides = list(component.geometry.sides(p).values())
    options = {}
    for got, out, other, (size, *_) in zip(sliced[2:], right, right[::-1], sides):
        if got == out:
            continue
        if got == other:
            options["a slice end computed with the other side's output size (out_w for "
                    "out_h), or the other side's end kept under its name"] = (
                "swapped-arguments", "output-size", "overwrite")
        if got > out:
            options["a slice end left out (fy::stride runs to the end of the image)"] = (
                "missing-term",)
        if got == out + 1:
            options["a slice end one step too far (an end + 1)"] = ("output-size",)
        elif stride > 1 and got == -(-out // stride):
            options["a slice end without the stride factor (fy + out_h)"] = ("stride",)
        elif pad > 0 and got == -(-min(stride * out, size) // stride):
            options["a slice of the image before it was padded"] = ("padding",)
        elif got < out:
            options["a slice that stops short (its end leaves out the filter offset, fy + "
                    "stride * out_h, or is one step short)"] = ("missing-term", "output-size")
        elif stride > 1:
            options["a slice without its :stride step"] = ("stride",)
    return Finding.of_options(
        "slice-length", key, f"{component.name} crashed lining a slice of "
                             f"{sliced[2]}x{sliced[3]} up with a window of the right size, "
                             f"{right[0]}x{right[1]}, so the slice is wrong: ",
        options, otherwise=False)


def padded_batch_in_error(component, run, key, oracle):
    """A crash whose message shows the batch and channel axes grown by twice the padding:
    np.pad given a bare `pad` pads every axis, not only the height and width."""
    texts = _error_texts(run)
    p = run.case.params
    n, c = (p["input_shape"][:2] if "input_shape" in p else (p.get("N"), p.get("C")))
    pad = p.get("pad")
    if not texts or not isinstance(pad, int) or pad <= 0 or n is None or c is None:
        return None
    tuples = [tuple(int(v) if v.strip().isdigit() else -1 for v in m.split(",") if v.strip())
              for text in texts for m in _SHAPE_IN_ERROR.findall(text)]
    if not any(t[:2] == (n + 2 * pad, c + 2 * pad) for t in tuples):
        return False
    return Finding("padded-batch", key,
                   f"{component.name} crashed on an array whose batch and channel sizes are "
                   f"{n + 2 * pad} and {c + 2 * pad}: the padding was added to every axis (np.pad "
                   f"given a bare pad), not only to the height and width", ("padding",))


_DTYPE_IN_ERROR = re.compile(r"dtype\('(u?int\d+)'\)")


def integer_in_error(component, run, key, oracle):
    """A crash because float values cannot be added into an integer array (NumPy names the
    dtype)."""
    match = next(filter(None, map(_DTYPE_IN_ERROR.search, _error_texts(run))), None)
    if not match:
        return None
    return Finding("integer-in-error", key,
                   f"{component.name} crashed adding float values into an {match.group(1)} "
                   f"array: an integer buffer (np.zeros(..., dtype=int))", ("integer-dtype",))


def _crash_saying(name, kind, pattern, words, classes):
    """A detector of a crash whose message matches `pattern` (a regular expression): the
    finding says `words` after the component's name, and names `classes`."""
    found = re.compile(pattern, re.DOTALL)

    def detect(component, run, key, oracle):
        if not any(map(found.search, _error_texts(run))):
            return None
        return Finding(kind, key, f"{component.name} {words}", classes)
    detect.__name__ = name
    return detect


# A float given as a size or a slice bound (range, np.zeros, reshape); a float array used as
# an index is left out: that is data passed where labels belong (swapped arguments) as often
# as a size divided with /
float_size_in_error = _crash_saying(
    "float_size_in_error", "float-size-in-error",
    r"'float' object cannot be interpreted as an integer|slice indices must be integers",
    "crashed on a float given as a size or a slice bound: a size computed with / instead of "
    "//", ("integer-dtype",))
# A shape read at an axis the array does not have (x.shape[3] of a 2-D x)
axis_missing_in_error = _crash_saying(
    "axis_missing_in_error", "axis-missing", r"tuple index out of range",
    "crashed reading a size at an axis the array does not have (tuple index out of range): a "
    "size written for inputs of one number of axes only, or read from the wrong array",
    ("output-size", "wrong-cached-value"))
# A division by a stride of 0: the pad of 0 passed as the stride, or no stride passed
zero_stride_in_error = _crash_saying(
    "zero_stride_in_error", "zero-stride", r"ZeroDivisionError.*stride",
    "crashed dividing by a stride of 0: the stride is given another argument's value "
    "(arguments in another order, the pad passed as the stride) or is left out",
    ("swapped-arguments", "missing-term"))
# N, C, H, W = x.shape of a 2-D array, after the first call went through: an array the
# layer keeps was reshaped in place (self.W = self.W.reshape(...)), or its name reused
four_axes_got_two = _crash_saying(
    "four_axes_got_two", "four-axes-got-two", r"expected 4, got 2",
    "crashed unpacking four sizes from an array of two axes: an array it keeps (its weights, "
    "its input) was flattened in place, or its name reused for the flattened columns",
    ("state-mutated", "overwrite"))
# N, C, H, W = shape of something with more entries: an array where its shape belongs
four_axes_got_more = _crash_saying(
    "four_axes_got_more", "four-axes-got-more", r"too many values to unpack \(expected 4",
    "crashed unpacking four sizes from something with more entries: an array passed where a "
    "shape belongs (arguments in another order), or the wrong value stored as a shape",
    ("swapped-arguments", "wrong-cached-value"))
# None where an array belongs: a stored value (self.x, self.mask) read before the step that
# stores it ran, or never stored; Python says 'NoneType' in quotes, or bare ("cannot unpack
# non-iterable NoneType object")
none_in_error = _crash_saying(
    "none_in_error", "none-in-error", r"NoneType",
    "crashed on None where an array belongs: a stored value (self.x, self.mask, ...) is read "
    "before it is set, or never set where it is read", ("stale-forward", "wrong-cached-value"))


def crop_size(component, run, key, oracle):
    """A 4-D image whose height and width are off by the padding: a crop that stops short, or
    none at all."""
    actual, expected = _pair(run, key)
    pad = run.case.params.get("pad")
    if actual is None or actual.ndim != 4 or expected.ndim != 4 or \
            actual.shape[:2] != expected.shape[:2] or not isinstance(pad, int):
        return None
    dh = actual.shape[2] - expected.shape[2]
    dw = actual.shape[3] - expected.shape[3]
    if actual.shape[2:] == expected.shape[2:][::-1] and actual.shape != expected.shape:
        # the two sides' sizes exchanged in a formula, or two names unpacked in the wrong
        # order (N, C, W, H = shape): both give the shape with its sides swapped
        return Finding("crop-swapped", key, f"{key} has shape {actual.shape}, not "
                                            f"{expected.shape}: the height and the width are "
                                            f"swapped", ("output-size", "swapped-arguments"))
    stride = run.case.params.get("stride")
    options = {}
    if pad > 0 and (dh, dw) == (-pad, -pad):
        options["the crop removes the padding twice ([pad:H, pad:W])"] = ("padding",)
    if pad > 0 and (dh, dw) == (2 * pad, 2 * pad):
        options["the padding is never cropped off"] = ("padding",)
    if pad > 0 and (dh, dw) == (pad, pad):
        options["the crop ends at the padded size (H + 2*pad), a stored size of the padded "
                "image"] = ("padding", "wrong-cached-value")
    if pad > 0 and isinstance(stride, int) and 0 in (dh, dw) and (dh, dw) != (0, 0) and \
            {dh, dw} - {0} <= {pad, 2 * pad, pad + stride - 1, 2 * pad + stride - 1}:
        options["only one side is cropped: the other keeps its padding"] = ("padding",)
    if pad > 0 and isinstance(stride, int) and (dh, dw) == (pad + stride - 1,) * 2:
        options["the crop removes the leading padding only ([pad:, pad:], or an end from "
                "H and W overwritten with the padded sizes), keeping the trailing padding "
                "and the buffer's stride - 1 extra rows"] = ("padding", "overwrite")
    if isinstance(stride, int) and ((pad == 0 and actual.shape[2:] == (0, 0)) or (
            pad > 0 and stride > 1 and (dh, dw) == (stride - 1, stride - 1))):
        options["the crop counts from the end ([pad:-pad]), which is empty for pad 0 and "
                "keeps the buffer's stride - 1 extra rows"] = ("padding",)
    if not options:
        return None
    return Finding.of_options("crop-size", key, f"{key} has shape {actual.shape}, not "
                                                f"{expected.shape}: ", options)


def reshaped_output(component, run, key, oracle):
    """The array contract: an output with the right number of values in another shape (the
    values compared alike). The right values reshaped to sizes in another order are a
    reshape given its sizes in the wrong order (.reshape(-1, rows)); the right matrix
    transposed is that or a product with its operands swapped ((A B).T = B.T A.T)."""
    if key != "(inputs)":
        return None
    for name, right in run.expected.items():
        got = compare.as_numbers(run.outcome.outputs.get(name))
        right = np.asarray(right, dtype=np.float64)
        if ":" in name or got is None or got.shape == right.shape:
            continue
        if got.size == right.size and got.ndim > right.ndim and \
                tuple(n for n in got.shape if n != 1) == tuple(n for n in right.shape if n != 1):
            return Finding("kept-axis", key,
                           f"{name} has shape {got.shape}, not {right.shape}: the right values "
                           f"with an axis of size 1 kept (a sum with keepdims=True where the "
                           f"axis must go, or a reshape to sizes of its own, such as (N, -1), "
                           f"where the input's shape belongs)", ("reduction-axis", "output-size"))
        if sorted(got.shape) != sorted(right.shape):
            continue
        options = {}
        if _close(got, right.reshape(got.shape), run):
            options["the right values reshaped to sizes in another order (a reshape given "
                    "them in the wrong order, such as .reshape(-1, rows))"] = ("axis-order",)
        if right.ndim == 2 and _close(got, right.T, run):
            options["the right matrix transposed (a transpose left in, or a product's "
                    "operands swapped)"] = ("axis-order", "swapped-arguments")
        elif 2 < right.ndim <= 6:
            for order in itertools.permutations(range(right.ndim)):
                moved = right.transpose(order)
                if moved.shape == got.shape and _close(got, moved, run):
                    options[f"the right values with their axes in the order {order} (a "
                            f"transpose to the wrong order)"] = ("axis-order",)
                    break
        if options:
            return Finding.of_options("reshaped-output", key, f"{name} has shape {got.shape}, "
                                                              f"not {right.shape}: ", options)
    return None


# np.dot's words for two matrices whose inner sizes differ
_NOT_ALIGNED = re.compile(r"shapes \((\d+(?:, ?\d+)*),?\) and \((\d+(?:, ?\d+)*),?\) not aligned")


def product_not_aligned(component, run, key, oracle):
    """A matrix product that crashed: where transposing one operand (or swapping the two)
    would align them, a transpose is missing or the operands are in the wrong order; where
    one is an array of more than two axes, it was never flattened (or the unflattened one
    was stored for the product). Which repair aligns them is an option, narrowed over the
    failing cases: sizes that line up by chance on one case do not on another."""
    crashes = [m for m in map(_NOT_ALIGNED.search, _error_texts(run)) if m]
    if not crashes:
        return None
    a, b = (tuple(int(v) for v in g.split(",")) for g in crashes[0].groups())
    if max(len(a), len(b)) > 2:
        many = a if len(a) > 2 else b
        return Finding("product-unflattened", key,
                       f"{component.name} crashed multiplying a {len(many)}-D array {many} as "
                       f"a matrix: it is not flattened first, or the array stored for the "
                       f"product is not the flattened one",
                       ("missing-term", "wrong-cached-value", "axis-order"))
    if 1 in (len(a), len(b)):
        flat = a if len(a) == 1 else b
        return Finding("product-flattened-whole", key,
                       f"{component.name} crashed multiplying a 1-D array {flat} as a matrix: "
                       f"the input was flattened whole (x.flatten(), x.reshape(-1)), losing the "
                       f"batch axis", ("output-size", "axis-order"))
    if len(a) != 2 or len(b) != 2:
        return False
    repairs = {"a .T left out of the second operand": a[1] == b[1],
               "a .T left out of the first operand": a[0] == b[0],
               "the two operands swapped": b[1] == a[0]}
    options = {words: ("axis-order", "swapped-arguments")
               for words, aligns in repairs.items() if aligns}
    if not options:
        return False
    return Finding("product-not-aligned", key,
                   f"{component.name} crashed on a matrix product of shapes {a} and {b}, "
                   f"which a transpose or a swap aligns: " + _one_of(options),
                   ("axis-order", "swapped-arguments"), options=options)


_BROADCAST = re.compile(r"could not be broadcast together with shapes ((?:\([\d, ]+\) ?)+)")


def sides_swapped_in_broadcast(component, run, key, oracle):
    """A crash adding (or assigning) two arrays whose shapes are the same but for two axes
    exchanged: one was reshaped with two sizes in the other order, or is missing a
    transpose."""
    found = [m for m in map(_BROADCAST.search, _error_texts(run)) if m]
    if not found:
        return None
    shapes = [tuple(int(v) for v in g.split(",") if v.strip())
              for g in re.findall(r"\(([\d, ]+)\)", found[0].group(1))]
    for a, b in itertools.combinations(dict.fromkeys(shapes), 2):
        differ = [i for i in range(len(a)) if len(a) == len(b) and a[i] != b[i]]
        if len(differ) == 2 and (a[differ[0]], a[differ[1]]) == (b[differ[1]], b[differ[0]]):
            return Finding("broadcast-sides-swapped", key,
                           f"{component.name} crashed combining arrays of shapes {a} and {b}, "
                           f"the same but for two axes exchanged: one is reshaped with two "
                           f"sizes in the other order, or a transpose is missing",
                           ("swapped-arguments", "axis-order"))
    return False


_OUT_OF_BOUNDS = re.compile(r"index (\d+) is out of bounds for axis (\d+) with size (\d+)")


def index_out_of_bounds(component, run, key, oracle):
    """A crash indexing past the end of an axis: the index arrays given in the other order
    (dx[t, arange] for dx[arange, t]), an array whose axes are in the other order, or a range
    one too long. Weak evidence, so the detectors try it last."""
    found = [m for m in map(_OUT_OF_BOUNDS.search, _error_texts(run)) if m]
    if not found:
        return None
    index, axis, size = (int(g) for g in found[0].groups())
    return Finding("index-out-of-bounds", key,
                   f"{component.name} crashed on index {index} of axis {axis}, which has "
                   f"{size} entries: index arrays given in the other order, an array with "
                   f"its axes in the other order, or a range that runs one too far",
                   ("swapped-arguments", "axis-order", "output-size"))


def shape_of_another_array(component, run, key, oracle):
    """An output of the wrong shape that has the shape of another array of the call (an
    input, or another output's right answer): its size was read from the wrong array, a
    stored shape of another value."""
    actual, expected = _pair(run, key)
    if actual is None or actual.shape == expected.shape or key.startswith("shape:"):
        return None
    others = {f"the input `{name}`": np.shape(v) for name, v in run.inputs.items()}
    others |= {f"the right `{name}`": np.shape(v) for name, v in (run.expected or {}).items()
               if name != key and not name.startswith("shape:")}
    same = [name for name, shape in others.items() if shape == actual.shape]
    if not same:
        return False
    return Finding("shape-of-other", key,
                   f"{key} has shape {actual.shape}, the shape of {same[0]}, not "
                   f"{expected.shape}: its size is read from the wrong array (a stored shape "
                   f"of another value), or computed wrongly",
                   ("wrong-cached-value", "output-size"))


def unexplained_size(component, run, key, oracle):
    """An output (or a parameter shape reported as data, shape:W2) whose sizes along the
    component's geometry are wrong where the rest of its shape is right, by no usual slip
    in a size formula: a size computed wrongly all the same. Weak: tried last."""
    actual, expected = _pair(run, key)
    if actual is None or component.geometry is None:
        return None
    if key.startswith("shape:"):
        got, wanted = tuple(int(v) for v in actual), tuple(int(v) for v in expected)
        kept = got[1:] == wanted[1:]
    else:
        got, wanted = actual.shape, expected.shape
        kept = len(got) == len(wanted) == 4 and got[:2] == wanted[:2]
    if got == wanted or not kept or key not in component.geometry.shapes(
            run.case.params, component.geometry.right(run.case.params)):
        return None
    return Finding("unexplained-size", key,
                   f"{key} has shape {got}, not {wanted}: a size computed wrongly (no usual "
                   f"slip in the formula gives it)", ("output-size",))


# NumPy's words for a reshape of a whole array into sizes it does not have, and for a copy
# into a window of other sizes
_RESHAPED_INTO = re.compile(r"cannot reshape array of size (\d+) into shape \(([\d, newaxis]+)\)")
_COPIED_INTO = re.compile(r"could not broadcast input array from shape \(([\d,]+)\) into "
                          r"shape \(([\d,]+)\)")


def wrong_size_in_error(component, run, key, oracle):
    """A crash reshaping the right number of values into other output sizes, or copying the
    image into a window of other sizes: the values are right, the sizes made for them are
    not (by no usual slip in a size formula). Weak: tried last."""
    texts = _error_texts(run)
    if component.geometry is None or not texts:
        return None
    p = run.case.params
    right = tuple(component.geometry.right(p))
    n = p.get("N", (p.get("input_shape") or [None])[0])
    counts = {int(np.prod(shape)) for shape in component.geometry.shapes(p, right).values()}
    for text in texts:
        for size, shape in _RESHAPED_INTO.findall(text):
            sizes = tuple(int(v) if v.strip().isdigit() else -1 for v in shape.split(","))
            if int(size) in counts and len(sizes) >= 3 and sizes[0] == n and \
                    -1 not in sizes[1:3] and sizes[1:3] != right:
                return _wrong_sizes(component, key, sizes[1:3], right)
        for _, window in _COPIED_INTO.findall(text):
            sizes = tuple(int(v) for v in window.split(","))
            if len(sizes) == 4 and sizes[0] == n and sizes[2:] != right:
                return _wrong_sizes(component, key, sizes[2:], right)
    return None


def flattened_to_other_sizes(component, run, key, oracle):
    """A crash reshaping the input x, batch first, into rows that do not hold its values
    (x.reshape(N, x.size // x.shape[1])): the size of a flattened row computed wrongly."""
    x = run.inputs.get("x")
    if x is None or np.ndim(x) < 2:
        return None
    for text in _error_texts(run):
        for size, shape in _RESHAPED_INTO.findall(text):
            sizes = tuple(int(v) if v.strip().isdigit() else -1 for v in shape.split(","))
            if int(size) == np.size(x) and len(sizes) == 2 and sizes[0] == np.shape(x)[0] \
                    and sizes[1] > 0 and sizes[0] * sizes[1] != np.size(x):
                return Finding("flattened-to-other-sizes", key,
                               f"{component.name} crashed flattening x {np.shape(x)} into rows "
                               f"of {sizes[1]} values, not {np.size(x) // np.shape(x)[0]}: the "
                               f"size of a row is computed wrongly", ("output-size",))
    return None


def _wrong_sizes(component, key, sizes, right):
    return Finding("wrong-size-in-error", key,
                   f"{component.name} crashed fitting values into output sizes "
                   f"{sizes[0]}x{sizes[1]}, where the output is {right[0]}x{right[1]}: the "
                   f"output size is computed wrongly (no usual slip in the formula gives it)",
                   ("output-size",))


def float_index_in_error(component, run, key, oracle):
    """A crash indexing with a float array: the scores passed where the integer labels belong
    (the two arguments swapped), or labels turned into floats."""
    if not any("arrays used as indices must be of integer" in text
               for text in _error_texts(run)):
        return None
    one_hot = np.ndim(run.inputs.get("t")) == 2  # float targets: one-hot, never converted
    return Finding("float-index", key,
                   f"{component.name} crashed indexing with an array of floats: the scores "
                   f"are passed where the labels belong (arguments in the wrong order), or the "
                   f"labels were turned into floats"
                   + (", or the one-hot targets are used as labels without np.argmax"
                      if one_hot else ""),
                   ("swapped-arguments", "integer-dtype") + (("missing-term",) if one_hot
                                                              else ()))


def parameter_shape(component, run, key, oracle):
    """A parameter's shape (reported as data: shape:W3) its sizes in the wrong order (randn
    given them swapped), or with a size the case has elsewhere (the hidden size for the
    number of classes)."""
    actual, expected = _pair(run, key)
    if actual is None or not key.startswith("shape:") or actual.shape != expected.shape:
        return None
    got, wanted = tuple(int(v) for v in actual), tuple(int(v) for v in expected)
    if got == wanted:
        return None
    if sorted(got) == sorted(wanted):
        return Finding("parameter-shape-swapped", key,
                       f"{key[len('shape:'):]} has shape {got}, not {wanted}: its sizes in the "
                       f"wrong order (np.random.randn given them swapped, or a transpose)",
                       ("swapped-arguments", "axis-order"))
    sizes = {int(v) for v in expected.reshape(-1)} | {
        int(v) for k, v in run.expected.items() if k.startswith("shape:")
        for v in np.asarray(v).reshape(-1)}
    if all(g == w or g in sizes for g, w in zip(got, wanted)):
        return Finding("parameter-shape-other-size", key,
                       f"{key[len('shape:'):]} has shape {got}, not {wanted}: a size of "
                       f"another layer in place of its own"
                       + (", or two settings exchanged (each size where the other belongs: "
                          "arguments or keys swapped)" if _exchanged(got, wanted) else ""),
                       ("output-size",) + (("swapped-arguments",) if _exchanged(got, wanted)
                                           else ()))
    return False


def _exchanged(got, wanted):
    """The sizes that differ are two values each put where the other belongs, both ways
    (a filter count of 3 and a filter size of 2 for 2 and 3): two settings swapped."""
    changes = {(w, g) for g, w in zip(got, wanted) if g != w}
    return len(changes) == 2 and {(g, w) for w, g in changes} == changes


def none_returned(component, run, key, oracle):
    """A method that returned None where its result belongs: its `return` left out, or the
    value it returns one that this call never set (an attribute still None from __init__)."""
    texts = _error_texts(run) + ([run.outcome.error_message or ""]
                                 if run.outcome.status == "contract" else [])
    if not any("returned None" in text for text in texts):
        return None
    return Finding("none-returned", key,
                   f"{component.name} returned None where its result belongs: a `return` left "
                   f"out, or an attribute returned that this call never set (still None)",
                   ("missing-term", "stale-forward"))


# a broadcast or an indexing crash lists the shapes it could not line up
_SHAPES_LISTED = re.compile(r"shapes? ((?:\(\d+(?:, ?\d+)*,?\) ?)+)")


def batch_and_classes_in_error(component, run, key, oracle):
    """A crash lining up (N, K) scores with N values (the one-hot formula y - t applied to
    labels, or a row reduction that dropped its axis: both possible), or N with K entries
    (the batch size read from the classes' axis, shape[1] for shape[0], or a reduction
    over the samples' axis)."""
    x, t = run.inputs.get("x"), run.inputs.get("t")
    if x is None or t is None or np.ndim(x) != 2 or np.ndim(t) != 1:
        return None
    n, k = np.shape(x)
    if n == k:
        return None
    shapes = [tuple(int(v) for v in m.split(",") if v.strip())
              for text in _error_texts(run) for group in _SHAPES_LISTED.findall(text)
              for m in re.findall(r"\(([^)]*)\)", group)]
    if (n, k) in shapes and (n,) in shapes:
        return Finding("labels-as-one-hot", key,
                       f"{component.name} crashed lining up ({n}, {k}) scores with {n} "
                       f"values: the labels in the one-hot formula (y - t; the branch for "
                       f"labels, t.ndim == 1, left out), or a row's maximum or sum taken "
                       f"without keepdims=True", ("missing-term", "reduction-axis"))
    if (k,) in shapes and (n,) in shapes:
        return Finding("batch-from-classes", key,
                       f"{component.name} crashed lining up {k} entries with the {n} samples: "
                       f"the batch size read from the classes' axis (shape[1] for shape[0]), "
                       f"or a reduction over the samples' axis", ("axis-order", "reduction-axis"))
    return None


# Python's words for a value of one kind used as another (a number's .reshape, a list
# indexed by a layer's name)
_OTHER_KIND = re.compile(r"'(int|float|list|tuple|dict|numpy\.\w+)' object (?:has no attribute|"
                         r"is not subscriptable|does not support item assignment|is not callable)"
                         r"|(list) indices must be integers or slices, not str")


def other_kind_in_error(component, run, key, oracle):
    """A crash using a value of one kind as another (a number's .reshape, a list indexed by
    a name): a name that held one value was rebound to another (N, C, H, W = x.shape rebinds
    W; self.layers = a reversed list), or the wrong value was stored where it is read."""
    found = next(filter(None, map(_OTHER_KIND.search, _error_texts(run))), None)
    if not found:
        return None
    kind = found.group(1) or found.group(2)
    return Finding("other-kind", key,
                   f"{component.name} crashed using {'an' if kind == 'int' else 'a'} {kind} "
                   f"where another kind of value "
                   f"belongs: a name that held it was reused for another value (N, C, H, W = "
                   f"x.shape makes W the width), or the wrong value was stored where it is read",
                   ("overwrite", "wrong-cached-value"))


def key_missing_in_error(component, run, key, oracle):
    """A crash looking up a name the network's own dictionaries should hold (params['W3'],
    layers['Affine2']): it was stored under another key (which it replaced there), or never
    stored."""
    texts = _error_texts(run)
    if run.outcome.status == "error" and run.outcome.error_type == "KeyError":
        texts = [f"KeyError: {run.outcome.error_message}"]
    found = next(filter(None, (re.search(r"KeyError: '(\w+)'", t) for t in texts)), None)
    if not found:
        return None
    return Finding("key-missing", key,
                   f"{component.name} crashed looking up '{found.group(1)}': it was stored "
                   f"under another key (replacing what that key held), or never stored",
                   ("overwrite", "missing-term"))


_SCATTER_MISMATCH = re.compile(r"value array of shape \((\d+),?\) could not be broadcast to "
                               r"indexing result of shape \((\d+),?\)")


def scatter_count_in_error(component, run, key, oracle):
    """A crash scattering n values through index arrays that pick m entries: the stored
    indices are not one per value (an argmax over the wrong axis, or without an axis, or
    indices stored from another array)."""
    found = next(filter(None, map(_SCATTER_MISMATCH.search, _error_texts(run))), None)
    if not found:
        return None
    values, picked = (int(g) for g in found.groups())
    return Finding("scatter-count", key,
                   f"{component.name} crashed scattering {values} values through indices "
                   f"that pick {picked} entries: the stored indices are not one per value (an "
                   f"argmax over the wrong axis or over the whole array, or indices taken "
                   f"from another array)", ("reduction-axis", "wrong-cached-value"))
