"""The wire protocol between the grader (the parent) and the grading child, in one place.

STANDALONE: the standard library only. The parent imports it as conformance.grading.protocol;
the child loads it by file path (inside the sandbox this project's packages cannot be imported).

A frame, either way: a 4-byte big-endian length, a JSON header of that many bytes, then the raw
.npy blobs the header lists under "arrays" ([{"name", "group", "nbytes"}], in order); only the
child's "outputs" travel so. A call's inputs lie in a shared-memory file the parent writes and
reads back after the call (arrays.InputRegion): the call frame says where ("inputs": [{"name",
"dtype", "shape", "offset", "nbytes"}]), the answer says how the driver left each view ("views":
{name: {"shape", "dtype"}}), and the parent judges mutation from its own reading.

Every header the child sends is checked against its schema here by `validate` before the parent
uses anything in it: types, sizes, lengths, names. What does not fit is a ProtocolViolation,
never an exception of another kind. Strings come back cleaned of lone surrogates (a student's
exception message may hold one; the grader's reports must still be writable as UTF-8).
"""

from __future__ import annotations

import json
import struct

LENGTH = struct.Struct(">I")
MAX_HEADER_BYTES = 4 << 20
MAX_NAME = 200
MAX_TEXT = 20_000
MAX_DETAIL = 1000
MAX_ITEMS = 1000
MAX_DEPTH = 8
GROUPS = ("outputs",)
CALL_STATUSES = ("ok", "error", "memory")  # timeout, crashed, ... are the parent's to decide
CHILD_KINDS = ("ready", "fatal", "loaded", "result")
PARENT_KINDS = ("start", "call", "exit")


class ProtocolViolation(ValueError):
    """A frame that does not follow the protocol (from a broken or forging child)."""


# ---------------------------------------------------------------------------------------------
# Frames


def encode(header: dict, blobs=()) -> bytes:
    """One frame: `header` plus the blobs [(name, group, bytes)] it then lists."""
    return b"".join([encode_header(header, [(n, g, len(b)) for n, g, b in blobs]),
                     *(blob for _, _, blob in blobs)])


def encode_header(header: dict, listing=()) -> bytes:
    """The length and the header of a frame whose blobs [(name, group, nbytes)] follow it (the
    sender writes them itself, without joining them into one copy)."""
    arrays = [{"name": name, "group": group, "nbytes": n} for name, group, n in listing]
    data = json.dumps(dict(header, arrays=arrays), allow_nan=True).encode("utf-8")
    return LENGTH.pack(len(data)) + data


def header_size(prefix: bytes) -> int:
    (size,) = LENGTH.unpack(prefix)
    if size > MAX_HEADER_BYTES:
        raise ProtocolViolation(f"a header of {size} bytes")
    return size


def decode_header(data: bytes) -> dict:
    try:
        header = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolViolation(f"the header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise ProtocolViolation("the header is not a JSON object")
    return header


def array_listing(header: dict, max_total_bytes: int) -> list:
    """[(name, group, nbytes)] the frame's blobs, checked before any of them is read."""
    listing = header.get("arrays", [])
    if not isinstance(listing, list) or len(listing) > MAX_ITEMS:
        raise ProtocolViolation("malformed array list")
    seen, out = set(), []
    for item in listing:
        if not isinstance(item, dict):
            raise ProtocolViolation("malformed array entry")
        name, group, nbytes = item.get("name"), item.get("group"), item.get("nbytes")
        if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME or group not in GROUPS \
                or (name, group) in seen or type(nbytes) is not int or nbytes < 0:
            raise ProtocolViolation("malformed array entry")
        seen.add((name, group))
        out.append((name, group, nbytes))
    total = sum(n for _, _, n in out)
    if total > max_total_bytes:
        raise ProtocolViolation(f"{total} bytes of arrays, more than the "
                                f"{max_total_bytes / 2**20:g} MB a call may return")
    return out


# ---------------------------------------------------------------------------------------------
# Schemas: small checkers that return a cleaned copy of what they accept


def clean_text(value: str, limit: int = MAX_TEXT) -> str:
    """`value` cut to `limit` characters, lone surrogates replaced (they cannot be written)."""
    value = value[:limit]
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return value


def _fail(path, what):
    raise ProtocolViolation(f"{path or 'the header'}: {what}")


def Text(limit=MAX_TEXT):
    def check(value, path):
        if not isinstance(value, str):
            _fail(path, f"expected text, got {type(value).__name__}")
        return clean_text(value, limit)
    return check


def Name(value, path):
    if not isinstance(value, str) or not 0 < len(value) <= MAX_NAME:
        _fail(path, "expected a name")
    return clean_text(value, MAX_NAME)


def Int(low=-(2**63), high=2**63):
    def check(value, path):
        if type(value) is not int or not low <= value <= high:
            _fail(path, "expected an integer in range")
        return value
    return check


def Number(value, path):
    if type(value) not in (int, float) or (type(value) is int and abs(value) > 2**64):
        _fail(path, "expected a number")
    return value


def Literal(*values):
    def check(value, path):
        if not isinstance(value, str) or value not in values:
            _fail(path, f"expected one of {', '.join(values)}")
        return value
    return check


def Optional(checker):
    def check(value, path):
        return None if value is None else checker(value, path)
    return check


def Scalar(value, path):
    """A driver's scalar output: None, a bool, a bounded int, a float or a short string."""
    if value is None or type(value) in (bool, float):
        return value
    if type(value) is int:
        return Int(-(2**64), 2**64)(value, path)
    if type(value) is str:
        return clean_text(value, 10_000)
    _fail(path, f"a {type(value).__name__} is not a scalar output")


def ListOf(item, max_items=MAX_ITEMS):
    def check(value, path):
        if not isinstance(value, list) or len(value) > max_items:
            _fail(path, "expected a list")
        return [item(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return check


def MapOf(item, max_items=MAX_ITEMS):
    """{name: item}."""
    def check(value, path):
        if not isinstance(value, dict) or len(value) > max_items:
            _fail(path, "expected an object")
        return {Name(k, path): item(v, f"{path}.{k[:50]}") for k, v in value.items()}
    return check


def Plain(value, path, depth=0):
    """Any JSON value of bounded size: for fields that are shown to people, never acted upon."""
    if depth > MAX_DEPTH:
        _fail(path, "nested too deep")
    if isinstance(value, str):
        return clean_text(value)
    if value is None or type(value) in (bool, int, float):
        return Number(value, path) if type(value) is int else value
    if isinstance(value, list) and len(value) <= MAX_ITEMS:
        return [Plain(v, path, depth + 1) for v in value]
    if isinstance(value, dict) and len(value) <= MAX_ITEMS:
        return {Name(k, path): Plain(v, path, depth + 1) for k, v in value.items()}
    _fail(path, "not a plain JSON value of bounded size")


def Record(fields: dict, optional=(), extra=None):
    """An object with `fields` (name -> checker); those in `optional` may be absent; other keys
    are refused, or checked with `extra` (Plain: kept for display)."""
    def check(value, path):
        if not isinstance(value, dict):
            _fail(path, "expected an object")
        out = {}
        for key, checker in fields.items():
            if key in value:
                out[key] = checker(value[key], f"{path}.{key}" if path else key)
            elif key not in optional:
                _fail(path, f"{key} is missing")
        for key in value.keys() - fields.keys():
            if extra is None:
                _fail(path, f"unexpected field {str(key)[:50]!r}")
            out[Name(key, path)] = extra(value[key], f"{path}.{key}" if path else key)
        return out
    return check


_ARRAY = Record({"name": Name, "group": Literal(*GROUPS), "nbytes": Int(0)})
ERROR = Record({"type": Name, "message": Text(), "traceback": Text()}, optional=("traceback",))
# an input view as the driver left it: its shape and dtype (the data the parent reads itself)
VIEW = Record({"shape": ListOf(Int(0), 32), "dtype": Text(20)})
REFUSAL = Record({"event": Name, "detail": Text(MAX_DETAIL)})
UNIT_ERROR = Record({"type": Optional(Text(MAX_NAME)), "message": Optional(Text()),
                     "line": Optional(Int(0)), "text": Optional(Text(1000))},
                    optional=("type", "message", "line", "text"), extra=Plain)
UNIT = Record({"file": Text(1000), "kind": Text(MAX_NAME), "filename": Text(1000),
               "cell": Optional(Int(0)), "label": Optional(Text(MAX_NAME)),
               "start_line": Optional(Int(0)), "status": Name, "reason": Optional(Text(1000)),
               "error": Optional(UNIT_ERROR), "skipped_lines": ListOf(Plain),
               "lost": ListOf(Name)},
              optional=("kind", "filename", "cell", "label", "start_line", "reason", "error",
                        "skipped_lines", "lost"), extra=Plain)
def Flat(value, path):
    """None, a bool or a short text (a definition's fields)."""
    if value is None or type(value) is bool:
        return value
    return Text(1000)(value, path)


# The loader's report: the fields the grader reads are typed; any it adds later are kept for
# display if they are plain JSON (it is shown to people, never acted upon).
REPORT = Record({"path": Text(1000), "kind": Name, "units": ListOf(UNIT),
                 "skipped_files": ListOf(Record({"file": Text(1000), "reason": Text(1000)},
                                                extra=Plain)),
                 "defined": ListOf(Name), "missing": ListOf(Name), "notes": ListOf(Text()),
                 "warnings": ListOf(Text()), "definitions": MapOf(MapOf(Flat, 50))},
                optional=("path", "kind", "units", "skipped_files", "defined", "missing",
                          "notes", "warnings", "definitions"), extra=Plain)

CHILD_SCHEMAS = {
    "ready": Record({"kind": Literal("ready"), "pid": Int(0), "uid": Int(0),
                     "notes": ListOf(Text(), 50), "drivers": ListOf(Name),
                     "arrays": ListOf(_ARRAY, 0)}),
    "fatal": Record({"kind": Literal("fatal"), "message": Text(), "arrays": ListOf(_ARRAY, 0)}),
    "loaded": Record({"kind": Literal("loaded"), "report": REPORT, "error": ERROR,
                      "refused": ListOf(REFUSAL), "arrays": ListOf(_ARRAY, 0)},
                     optional=("report", "error")),
    "result": Record({"kind": Literal("result"), "id": Int(1), "status": Literal(*CALL_STATUSES),
                      "scalars": MapOf(Scalar), "error": ERROR, "refused": ListOf(REFUSAL),
                      "views": MapOf(VIEW), "seconds": Number, "arrays": ListOf(_ARRAY)},
                     optional=("error", "seconds", "views")),
}


def validate(header: dict, kinds) -> dict:
    """The header, checked against the schema of its kind (one of `kinds`) and cleaned."""
    kind = header.get("kind") if isinstance(header, dict) else None
    if kind not in kinds or kind not in CHILD_SCHEMAS:
        raise ProtocolViolation(f"expected a {'/'.join(kinds)} frame")
    cleaned = CHILD_SCHEMAS[kind](header, "")
    if kind == "loaded" and ("report" in cleaned) == ("error" in cleaned):
        raise ProtocolViolation("a load answer needs a report or an error, not both")
    if kind == "result" and cleaned["status"] != "ok" and "error" not in cleaned:
        raise ProtocolViolation(f"a {cleaned['status']} result without its error")
    return cleaned
