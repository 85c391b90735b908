"""The grading child's work: load the submission, then answer the parent's calls one at a time.

A call's inputs lie in a sealed shared-memory file the parent wrote; the driver gets views of
them, so whatever the submission does to its inputs the parent reads back itself, after the
answer (the child reports only the views' shape and dtype, in case the submission reshaped one
in place). Outputs travel back as .npy blobs in the answer frame. After every load and call,
the process-wide state the submission changed is put back (state.Snapshot) and its objects are
finalized, inside the call's own time.

STANDALONE (standard library and NumPy): loaded by path inside the sandbox.
"""

import builtins
import gc
import importlib
import io
import json
import mmap
import os
import resource
import signal
import struct
import sys
import time
import traceback
import types
import warnings

import numpy as np

# Bound now, so that a submission patching numpy cannot change how answers are made.
_header_fields = np.lib.format.header_data_from_array_1_0
_write_header_1_0 = np.lib.format.write_array_header_1_0
_write_header_2_0 = np.lib.format.write_array_header_2_0
_np_array, _ndarray, _dtype = np.array, np.ndarray, np.dtype


# A load answer must fit one frame (protocol.MAX_ITEMS units, MAX_HEADER_BYTES): a notebook of
# 50,000 cells is cut to the cells worth showing, with at most 2 KB of message each.
_UNITS_LISTED = 200


def listed_units(report: dict) -> dict:
    """The loader's report with at most _UNITS_LISTED units, in order: the first of each file (a
    folder's report names the file that ran) and those with a problem; a warning says how many
    with a problem are left out."""
    units = report.get("units", [])
    if len(units) <= _UNITS_LISTED:
        return report
    files, kept, left_out = set(), [], 0
    for unit in units:
        first = unit.get("file") not in files
        files.add(unit.get("file"))
        if first or unit.get("status") != "ran":
            if len(kept) < _UNITS_LISTED:
                kept.append(unit)
            elif unit.get("status") != "ran":
                left_out += 1
    what = "cells" if all(u.get("cell") for u in units) else "files"
    notes = [f"{left_out} more {what} with a problem are not listed"] if left_out else []
    return dict(report, units=kept, warnings=[*report.get("warnings", []), *notes])


class Channel:
    """Frames over the two pipes (protocol.py has the format)."""

    def __init__(self, protocol, read_fd, write_fd):
        self.protocol, self.read_fd, self.write_fd = protocol, read_fd, write_fd
        self._encode_header = protocol.encode_header  # bound now: see above

    def _read_exact(self, n):
        chunks, left = [], n
        while left:
            chunk = os.read(self.read_fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError("the parent closed the request channel")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def read(self) -> dict:
        size = self.protocol.header_size(self._read_exact(self.protocol.LENGTH.size))
        return self.protocol.decode_header(self._read_exact(size))

    def write(self, header, outputs=None):
        """The frame in pieces: the header, then each array's .npy header and its data as it
        lies in memory (a large output is never copied into one buffer)."""
        parts, listing = [], []
        for name, arr in (outputs or {}).items():
            npy = _npy_header(arr)
            parts += [npy, memoryview(arr).cast("B") if arr.nbytes else b""]
            listing.append((name, "outputs", len(npy) + arr.nbytes))
        for part in [self._encode_header(header, listing), *parts]:
            view = memoryview(part)
            while view:
                view = view[os.write(self.write_fd, view):]


def _npy_header(arr) -> bytes:
    buf = io.BytesIO()
    fields = _header_fields(arr)
    try:
        _write_header_1_0(buf, fields)
    except ValueError:  # a header over 64 KiB (a shape of very many dimensions)
        buf = io.BytesIO()
        _write_header_2_0(buf, fields)
    return buf.getvalue()


class Inputs:
    """The call's input arrays: views of the parent's shared-memory file, mapped per call."""

    def __init__(self, fd):
        self.fd = fd

    def views(self, specs) -> tuple:
        end = max((s["offset"] + s["nbytes"] for s in specs), default=0)
        region = mmap.mmap(self.fd, end) if end else None
        out = []
        for s in specs:
            dtype = _dtype(s["dtype"])
            if s["nbytes"]:
                arr = _ndarray(tuple(s["shape"]), dtype, buffer=region, offset=s["offset"])
            else:
                arr = np.zeros(tuple(s["shape"]), dtype)
            out.append((s["name"], arr))
        return tuple(out)  # immutable: the list of what was handed out cannot be swapped


def to_plain(value):
    """('scalar', v) or ('array', plain contiguous ndarray) for one driver output, or TypeError.

    np.array(..., subok=False) copies the data out of any ndarray subclass, so a subclass that
    lies in __eq__ or __array_ufunc__ arrives as its bare numbers.
    """
    if value is None or type(value) in (bool, int, float):
        return "scalar", value
    if type(value) is str:
        return "scalar", value[:10_000]
    if type(value) is _ndarray and value.flags.c_contiguous:
        arr = value  # a plain array already: sent as it lies (no copy of a large output)
    else:
        # order="C", not np.ascontiguousarray: that one makes a 0-d result (a loss, an
        # accuracy returned as np.float64) 1-d, which the shape check then fails
        arr = _np_array(value, copy=True, subok=False, order="C")
    if type(arr) is not _ndarray or arr.dtype.kind not in "biuf":
        raise TypeError(f"{type(value).__name__} with dtype {arr.dtype} is not numeric")
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:
        arr = arr.astype(np.float64)
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return "array", arr


class Server:
    def __init__(self, channel, cfg, loader, drivers, guards, confine, harness_modules):
        self.channel, self.cfg, self.loader, self.guards = channel, cfg, loader, guards
        self.cpu_budget = confine.cpu_budget
        self.inputs = Inputs(cfg["inputs_fd"])
        self.drivers = {k: v for k, v in vars(drivers).items()
                        if not k.startswith("_") and isinstance(v, types.FunctionType)
                        and v.__module__ == drivers.__name__}
        self.workdir = cfg["workdir"]
        self.module = None
        self.student_files = set()
        # every module the harness and the drivers call into after student code has run
        self.snapshot = harness_modules["state"].Snapshot(*{id(m): m for m in (
            builtins, sys, os, os.path, io, json, struct, time, resource, signal, traceback,
            types, warnings, gc, importlib, mmap, np, np.random, np.linalg, np.lib,
            np.lib.format, sys.modules.get("inspect"), sys.modules.get("difflib"),
            sys.modules.get("numbers"), sys.modules["__main__"], loader, drivers,
            *harness_modules.values()) if m is not None}.values())
        self.reserve = bytearray(4 << 20)  # freed on MemoryError so that we can still answer

    # -- what the student reads: their own files, named relative to the submission
    def relative(self, text):
        return text.replace(self.workdir + os.sep, "") if isinstance(text, str) else text

    def relative_all(self, value):
        if isinstance(value, str):
            return self.relative(value)
        if isinstance(value, list):
            return [self.relative_all(v) for v in value]
        if isinstance(value, dict):
            return {k: self.relative_all(v) for k, v in value.items()}
        return value

    def is_student_file(self, filename):
        return filename in self.student_files or filename.startswith(self.workdir + os.sep)

    def student_traceback(self, exc, limit=15):
        """The frames of the student's own code only, formatted like Python does."""
        try:
            frames = traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__),
                                                    lookup_lines=False)
            mine = [f for f in frames if self.is_student_file(f.filename)][-limit:]
            text = "".join(traceback.StackSummary.from_list(mine).format())
        except BaseException:  # noqa: B036
            text = ""
        return self.relative(text)[-4000:]

    def error_info(self, exc):
        if isinstance(exc, SystemExit):
            message = f"the submission called sys.exit({exc.code!r})"
        else:
            try:
                message = str(exc)
            except BaseException:  # noqa: B036
                message = "<the message could not be printed>"
        return {"type": type(exc).__name__, "message": self.relative(message[:2000]),
                "traceback": self.student_traceback(exc)}

    # -- housekeeping between student code and our own
    def flush(self):
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()
            except BaseException:  # noqa: B036 - the submission may have replaced them
                pass

    def tampering(self):
        return [{"event": event, "detail": self.relative(detail)}
                for event, detail in self.snapshot.restore()]

    def refusals(self):
        return [dict(r, detail=self.relative(r["detail"])) for r in self.guards.drain()]

    # -- the two requests
    def load(self):
        cfg = self.cfg
        header = {"kind": "loaded"}
        report = failure = None
        try:
            report = self.loader.load_submission(
                cfg["submission"], names=cfg["names"], entry=cfg["entry"],
                cell_timeout=cfg["cell_timeout"])
        except BaseException as exc:  # noqa: B036 - e.g. the submission broke os.chdir
            failure = exc
        undone = self.tampering()  # first: everything below runs on builtins and numpy
        self.cpu_budget(None)
        if isinstance(failure, self.loader.SubmissionError):
            header["error"] = {"type": "SubmissionError", "traceback": "",
                               "message": self.relative(str(failure)[:2000])}
        elif failure is not None:
            header["error"] = self.error_info(failure)
        else:
            self.module = report.module
            self.student_files = {u.filename for u in report.units}
            header["report"] = self.relative_all(listed_units(report.to_dict()))
        report = failure = None
        gc.collect()  # finalizers of what loading left behind run now, in the load's time
        gc.freeze()  # and what lives on is never scanned again: collect() per call stays cheap
        undone += self.tampering()
        self.flush()
        header["refused"] = undone + self.refusals()
        self.channel.write(header)

    def call(self, request):
        reply = {"kind": "result", "id": request.get("id"), "status": "ok", "scalars": {},
                 "views": {}}
        outputs_sent = {}
        driver = self.drivers.get(request.get("driver"))
        started = time.perf_counter()
        if driver is None:
            reply["status"] = "error"
            reply["error"] = {"type": "UnknownDriver", "traceback": "",
                              "message": f"no driver named {request.get('driver')!r}"}
        elif self.module is None:
            reply["status"] = "error"
            reply["error"] = {"type": "NotLoaded", "traceback": "",
                              "message": "the submission could not be loaded"}
        else:
            handed_out = self.inputs.views(request.get("inputs", []))
            outputs = failure = None
            self.cpu_budget(self.cfg["cpu_seconds"])
            try:
                outputs = driver(self.module, request.get("params") or {}, dict(handed_out))
            except MemoryError as exc:
                self.reserve = None  # room to build the answer in
                failure = exc
            except BaseException as exc:  # noqa: B036 - SystemExit etc. are the student's too
                failure = exc
            reply["refused"] = self.tampering()  # before any of our own code runs again
            self.cpu_budget(None)
            if failure is not None:
                reply["status"] = "memory" if isinstance(failure, MemoryError) else "error"
                reply["error"] = self.error_info(failure)
                failure = None  # drop the frames (and what they hold) early
            else:
                self.collect(outputs, reply, outputs_sent)
            reply["views"] = {name: _view(arr) for name, arr in handed_out}
            # The submission's objects die now, inside this call's time: a finalizer (__del__,
            # weakref callback) that loops or raises must not land on the next call.
            handed_out = outputs = None
            gc.collect()
            reply["refused"] += self.tampering()
        reply["seconds"] = time.perf_counter() - started
        self.flush()
        reply["refused"] = reply.get("refused", []) + self.refusals()
        self.channel.write(reply, outputs_sent)
        if self.reserve is None:
            self.reserve = bytearray(4 << 20)

    @staticmethod
    def collect(outputs, reply, arrays):
        if not isinstance(outputs, dict):
            reply["status"] = "error"
            reply["error"] = {"type": "InvalidOutput", "traceback": "",
                              "message": f"the driver returned {type(outputs).__name__}, "
                                         "not a dict of outputs"}
            return
        for key, value in list(dict.items(outputs)):
            try:
                if type(key) is not str:
                    raise TypeError(f"output name {key!r} is not a string")
                kind, plain = to_plain(value)
            except BaseException as exc:  # noqa: B036 - __array__ of a student object may raise
                reply["status"] = "error"
                reply["error"] = {"type": "InvalidOutput", "traceback": "",
                                  "message": f"output {str(key)[:100]!r}: {exc}"[:2000]}
                arrays.clear()
                reply["scalars"] = {}
                return
            if kind == "scalar":
                reply["scalars"][key] = plain
            else:
                arrays[key] = plain


def _view(arr):
    """The shape and dtype of an input view as the driver left it (reshaped in place?)."""
    try:
        return {"shape": [int(n) for n in arr.shape], "dtype": arr.dtype.str}
    except BaseException:  # noqa: B036
        return {"shape": [], "dtype": "?"}
