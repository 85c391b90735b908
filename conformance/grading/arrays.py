"""Arrays between the grader and the child (the parent's side).

Inputs go through an InputRegion: a sealed shared-memory file that the parent writes before a
call and reads back after it, so what the submission did to its inputs is read by the parent
itself, from memory the child cannot resize, not taken from an answer the child could forge.
Outputs come back as .npy blobs, read with allow_pickle=False after their header has been
checked: plain bool, int or float arrays only, of exactly the size the header claims.
"""

from __future__ import annotations

import fcntl
import io
import math
import mmap
import os

import numpy as np

from .protocol import ProtocolViolation

ALLOWED_DTYPES = frozenset(np.dtype(t) for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64))
_ALIGN = 64


def plain_input(name, value) -> np.ndarray:
    """A caller's input as a C-ordered array of an allowed dtype (TypeError otherwise)."""
    if not isinstance(name, str):
        raise TypeError(f"array names must be strings, not {name!r}")
    arr = np.asarray(value)
    if arr.dtype.newbyteorder("=") not in ALLOWED_DTYPES:
        raise TypeError(f"input {name!r} has dtype {arr.dtype}; only bool, int and float arrays "
                        "can be sent")
    return np.asarray(arr, dtype=arr.dtype.newbyteorder("="), order="C")


class InputRegion:
    """The shared file a call's inputs are placed in. Sealed against growing and shrinking, so
    the child can neither hold memory in it nor make the parent's mapping fault."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.fd = os.memfd_create("scratch-cnn-inputs", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            os.ftruncate(self.fd, capacity)
            fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK
                        | fcntl.F_SEAL_SEAL)
            self.map = mmap.mmap(self.fd, capacity)
        except BaseException:
            os.close(self.fd)
            raise

    def place(self, arrays: dict) -> list:
        """Write the inputs; the specs the child needs to view them."""
        specs, offset = [], 0
        for name, arr in arrays.items():
            nbytes = arr.nbytes
            if offset + nbytes > self.capacity:
                raise ValueError(f"the inputs of one call exceed {self.capacity >> 20} MB "
                                 "(the sandbox's max_input_bytes)")
            self.map[offset:offset + nbytes] = arr.tobytes()
            specs.append({"name": name, "dtype": arr.dtype.str, "shape": list(arr.shape),
                          "offset": offset, "nbytes": nbytes})
            offset += -(-nbytes // _ALIGN) * _ALIGN
        return specs

    def read_back(self, specs, views=None) -> dict:
        """The inputs as the call left them: the bytes now in the file, shaped as the child
        says its view was left when that is consistent (a reshape in place is a change too)."""
        out = {}
        for spec in specs:
            dtype, shape = np.dtype(spec["dtype"]), tuple(spec["shape"])
            data = self.map[spec["offset"]:spec["offset"] + spec["nbytes"]]
            arr = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
            view = (views or {}).get(spec["name"])
            if isinstance(view, dict):
                arr = _as_left(arr, view)
            out[spec["name"]] = arr
        return out

    def close(self):
        self.map.close()
        os.close(self.fd)


def _as_left(arr, view):
    """`arr` reinterpreted with the view's reported shape and dtype, if that is possible."""
    try:
        dtype = np.dtype(view.get("dtype"))
        shape = tuple(view.get("shape"))
        if (dtype, shape) == (arr.dtype, arr.shape) or dtype not in ALLOWED_DTYPES \
                or not all(type(n) is int and n >= 0 for n in shape) \
                or math.prod(shape) * dtype.itemsize != arr.nbytes:
            return arr
        return arr.view(dtype).reshape(shape)
    except (TypeError, ValueError):
        return arr


def parse_npy(name: str, blob: bytes) -> np.ndarray:
    """A plain numeric ndarray from .npy bytes; the header is checked before any allocation."""
    f = io.BytesIO(blob)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except Exception as exc:  # any parse problem at all is the child's fault
        raise ProtocolViolation(f"array {name!r}: bad .npy header ({exc})") from None
    if dtype.newbyteorder("=") not in ALLOWED_DTYPES or dtype.hasobject:
        raise ProtocolViolation(f"array {name!r} has dtype {dtype}; only bool, int and float "
                                "arrays are accepted")
    if len(shape) > 32 or not all(type(n) is int and n >= 0 for n in shape):
        raise ProtocolViolation(f"array {name!r}: bad shape {shape}")
    if math.prod(shape) * dtype.itemsize != len(blob) - f.tell():
        raise ProtocolViolation(f"array {name!r}: {len(blob) - f.tell()} bytes of data for "
                                f"shape {shape} and dtype {dtype}")
    try:
        arr = np.load(io.BytesIO(blob), allow_pickle=False)
    except Exception as exc:
        raise ProtocolViolation(f"array {name!r}: {exc}") from None
    if type(arr) is not np.ndarray or arr.dtype.newbyteorder("=") not in ALLOWED_DTYPES:
        raise ProtocolViolation(f"array {name!r} is not a plain numeric array")
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return np.asarray(arr, order="C")  # not ascontiguousarray: it makes a 0-d array 1-d
