"""What a case and a component are; the registry every front end reads."""

import itertools
import zlib
from dataclasses import dataclass, field

import numpy as np

GRIDS = ("quick", "full")


@dataclass(frozen=True)
class Case:
    """One named input configuration of one component.

    `params` are JSON values (the drivers receive them); `tags` name what is special about the
    case ("ties", "all-negative", "invalid-input", a book difference outside the book's
    contract, ...); `error` is set for invalid-input cases: the input is wrong on purpose and
    the implementation must refuse it with a clear ValueError or TypeError.
    """

    component: str
    id: str
    params: dict = field(hash=False, compare=False)
    grids: frozenset = frozenset(GRIDS)
    tags: frozenset = frozenset()
    error: str = ""

    def __str__(self):
        return self.id

    @property
    def dtype(self):
        return np.dtype(self.params.get("dtype", "float64"))

    def rng(self, seed):
        """The case's own generator: the same inputs for the same (seed, case) everywhere."""
        return np.random.default_rng([int(seed), zlib.crc32(self.id.encode())])

    def repro(self, seed, impl="scratch_cnn"):
        return f"scratch-cnn repro '{self.id}' --seed {seed} --impl {impl}"


@dataclass
class Component:
    """A component of the book's API, declared once: everything every front end needs.

    driver: the function in conformance/drivers.py that calls the implementation.
    oracle: the function in conformance/oracles/torch_oracle.py that computes the right answer
        with PyTorch (default: the driver's name). The reference oracle runs the driver on
        scratch_cnn instead.
    columns: the order of the values in each case-table row; rows are turned into params.
    make_inputs(p, rng) -> {name: array}; output_shapes(p) -> {output: shape} (the formula).
    behaviours: {behaviour: output names}, each judged on its own (None: every d<param> the
        case has); `checks` adds a special check to a behaviour: fn(p, outputs) -> a problem in
        words, or None.
    repeats: {output: output it must equal}: the driver calls a method a second time (backward
        with a fresh dout) and the answer must not change (state changed in place).
    contract: which array-contract checks apply (output shapes, dtype, inputs left unchanged).
    Witnesses that need no oracle: `gradients` {input: gradient output} for central differences
    where `numerical_witness(p)` holds, and `adjoint(p, inputs, outputs, rng)` -> [Identity] for
    linear maps.
    """

    name: str
    driver: str
    kind: str
    columns: tuple
    make_inputs: object
    output_shapes: object
    behaviours: dict
    oracle: str | None = ""
    gradients: dict = field(default_factory=dict)
    numerical_witness: object = None  # p -> bool; default: wherever `gradients` is set
    adjoint: object = None
    checks: dict = field(default_factory=dict)
    repeats: dict = field(default_factory=dict)
    contract: tuple = ("output_shape", "dtype", "inputs_unchanged")
    # For the diagnosis (conformance/diagnosis/): the conditions a failure may depend on, each
    # with its neutral value (controlled experiments), and the output-size geometry (which of
    # the case's numbers reproduce a wrong shape).
    factors: tuple = ()
    geometry: object = None
    derive: object = None  # p -> extra params computed from the columns
    case_id: object = None  # p -> id suffix; default: the columns' values
    expected_from_actual: object = None  # (p, inputs, actual) -> expected, instead of an oracle
    cases: list = field(default_factory=list)
    _index: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        # a component whose answer comes from its own outcome (expected_from_actual) has none
        self.oracle = self.oracle or (None if self.expected_from_actual else self.driver)

    def neighbour(self, case, overrides):
        """The case with some of its columns changed (an experiment's case, not in the
        catalog), or None where that makes no valid case."""
        p = {**case.params, **overrides}
        try:
            neighbour = self.make_case(tuple(p[c] for c in self.columns))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return None
        if self.geometry and any(size < 1 for size in self.geometry.right(neighbour.params)):
            return None
        return neighbour

    def witnesses(self):
        """The oracle-free witnesses that apply to this component."""
        return tuple(name for name, present in (("numerical_gradient", bool(self.gradients)),
                                                 ("adjoint", self.adjoint is not None))
                     if present)

    def make_case(self, row, grids=GRIDS, tags=(), error="", **fixed):
        """A case from one table row (values in `columns` order), not yet in the catalog."""
        p = dict(zip(self.columns, row, strict=True))
        p.update(fixed)
        if self.derive:
            p.update(self.derive(p))
        suffix = self.case_id(p) if self.case_id else "-".join(
            f"{_ABBREVIATIONS.get(k, k)}{_fmt(p[k])}" for k in self.columns)
        extra = "".join(f"-{t}" for t in sorted(tags))
        return Case(self.name, f"{self.name}-{suffix}{extra}", p, frozenset(grids),
                    frozenset(tags), error)

    def add(self, rows, grids=GRIDS, tags=(), error="", **fixed):
        for row in rows:
            case = self.make_case(row, grids, tags, error, **fixed)
            known = self._index.get(case.id)
            if known is None:
                self._index[case.id] = len(self.cases)
                self.cases.append(case)
            else:  # the same case listed in another grid's table: one case, both grids
                old = self.cases[known]
                self.cases[known] = Case(old.component, old.id, old.params,
                                         old.grids | case.grids, old.tags, old.error)

    def grid(self, name):
        return [c for c in self.cases if name in c.grids]


@dataclass(frozen=True)
class Factor:
    """A condition a failing case may depend on (stride > 1, H != W, ...) and how to take it
    away (the column values of its neutral case): one controlled experiment."""

    name: str      # in words, as the feedback says it: "the stride", "H != W"
    applies: object  # p -> bool: the case has the condition
    neutral: object  # p -> {column: value}: the same case without it
    describe: object  # p -> "stride 2" (the failing case's value), for the feedback
    # p -> {column: value}: another way to take it away (H := W for W := H). A bug that
    # needs the condition passes both ways; one that passes only one way depends on the
    # size that changed (a remainder of a division), not on the condition
    other_neutral: object = None


@dataclass(frozen=True)
class Geometry:
    """The sizes of a component's outputs: `sides(p)` -> {side: (size, kernel, stride, pad)},
    and `shapes(p, sizes)` -> {output: shape} for given output sizes per side."""

    sides: object
    shapes: object

    def right(self, p):
        """The right output size of every side (PyTorch's formula)."""
        return [(n + 2 * pad - k) // s + 1 for n, k, s, pad in self.sides(p).values()]


# Layers: backward runs twice with fresh copies of dout, and the second answer must be the first.
REPEAT_DX = {"dx_again": "dx"}


@dataclass(frozen=True)
class Identity:
    """<left_a, left_b> = <right_a, right_b>: an adjoint identity, exact up to rounding."""

    left: str
    left_a: object
    left_b: object
    right: str
    right_a: object
    right_b: object


_ABBREVIATIONS = {"stride": "s", "pad": "p", "dtype": "", "shape": "", "fill": "",
                  "x_shape": "x", "target": "", "input_dim": "in", "activation": ""}


def _fmt(value):
    if value in ("float64", "float32"):
        return {"float64": "f64", "float32": "f32"}[value]
    if isinstance(value, (tuple, list)):
        return "x".join(_fmt(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def product(*axes):
    return list(itertools.product(*axes))


def distinct(rng, shape, low=-3.0, high=3.0):
    """Values with no ties (a shuffled even grid plus jitter): max pooling and ReLU stay
    away from accidental ties and kinks."""
    n = int(np.prod(shape))
    grid = np.linspace(low, high, n) if n > 1 else np.array([(low + high) / 2])
    jitter = rng.uniform(-0.25, 0.25, n) * (high - low) / max(n, 1)
    return (grid + jitter)[rng.permutation(n)].reshape(shape)


def away_from_zero(rng, shape, margin=0.05):
    """Standard normal values at least `margin` from 0, where ReLU's gradient jumps."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.copysign(margin, x) + x, x)


def cast(arrays, dtype, keep=("t",)):
    return {k: v if k in keep else np.asarray(v, dtype=dtype) for k, v in arrays.items()}
