"""The case catalog: every component of the book's API with its case tables, written once
and read by both front ends (the pytest plugin and the grader)."""

from . import conv, elementwise, losses, networks, pooling
from .base import GRIDS, Case, Component

COMPONENTS = {c.name: c for module in (conv, pooling, elementwise, losses, networks)
              for c in module.COMPONENTS}

# The book's chapter 7 contract, in the order the book builds it.
BOOK_CONTRACT = ("im2col", "col2im", "Convolution", "Pooling", "Relu", "Affine",
                 "SoftmaxWithLoss", "SimpleConvNet")


def cases(component=None, grid="full", invalid=None):
    """Cases of one component (or all) in a grid; invalid=True/False filters invalid inputs."""
    chosen = [COMPONENTS[component]] if component else COMPONENTS.values()
    return [case for c in chosen for case in c.grid(grid)
            if invalid is None or bool(case.error) == invalid]


_INDEX = {}


def find(case_id):
    if not _INDEX:
        _INDEX.update((c.id, c) for component in COMPONENTS.values() for c in component.cases)
    if case_id in _INDEX:
        return _INDEX[case_id]
    raise KeyError(f"no case named {case_id!r}; list them with `scratch-cnn repro --list`")


__all__ = ["BOOK_CONTRACT", "COMPONENTS", "GRIDS", "Case", "Component", "cases", "find"]
