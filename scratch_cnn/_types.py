"""Type aliases shared by the annotations of the public API."""

import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

# What the layers and functions compute in and return: float32 stays float32, everything else
# becomes float64. The scalar type is left open because it follows the input's dtype.
FloatArray = NDArray[np.floating[Any]]

# The book's `stride` and `pad`: an int, or an (h, w) pair of ints.
IntOrPair = int | tuple[int, int]

# Where random draws come from: None is np.random's global state (the book's way), an int
# seeds a new Generator.
RngLike = int | np.random.Generator | None

# A file name, as open() takes it.
PathLike = str | os.PathLike[str]
