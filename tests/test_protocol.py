"""The wire protocol between the grader and its child (conformance/grading/protocol.py): every
frame the child sends is accepted by the parent's validator, and anything else is refused as a
ProtocolViolation, never another exception."""

import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.grading import protocol
from conformance.grading.outcomes import LoadResult
from conformance.grading.sandbox import Sandbox, SandboxError

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the sandbox relies on Linux")

FIXTURES = Path(__file__).parent / "grading_fixtures"
DRIVERS = FIXTURES / "drivers_for_tests.py"


def _valid_examples():
    """One header of every kind and shape the child writes (child/main.py, child/serve.py)."""
    unit = {"file": "hw.ipynb", "kind": "ipynb", "filename": "hw.ipynb [cell 2]", "cell": 2,
            "label": "In [3]", "start_line": None, "status": "raised", "reason": None,
            "error": {"type": "ImportError", "message": "no", "line": 2, "text": "import x"},
            "skipped_lines": [{"line": 1, "text": "%time", "reason": "IPython magic"}],
            "lost": ["Relu"]}
    report = {"path": "hw.ipynb", "kind": "ipynb", "units": [unit],
              "skipped_files": [{"file": "test_x.py", "reason": "a test file"}],
              "defined": ["im2col"], "missing": ["Relu"], "notes": []}
    refused = [{"event": "import", "detail": "torch"}]
    error = {"type": "ValueError", "message": "bad \ud800 value", "traceback": "  File ..."}
    return [
        {"kind": "ready", "pid": 2, "uid": 1000, "notes": ["running as uid 5"],
         "drivers": ["call", "echo"], "arrays": []},
        {"kind": "fatal", "message": "OSError: no", "arrays": []},
        {"kind": "loaded", "report": report, "refused": refused, "arrays": []},
        {"kind": "loaded", "error": error, "refused": [], "arrays": []},
        {"kind": "result", "id": 3, "status": "ok", "scalars": {"loss": 0.5, "n": 3, "ok": True,
                                                                "none": None, "s": "x"},
         "views": {"x": {"shape": [2, 3], "dtype": "<f8"}}, "refused": refused, "seconds": 0.1,
         "arrays": [{"name": "out", "group": "outputs", "nbytes": 136}]},
        {"kind": "result", "id": 4, "status": "error", "scalars": {}, "views": {},
         "error": error, "refused": [], "seconds": 0.1, "arrays": []},
        {"kind": "result", "id": 5, "status": "memory", "scalars": {}, "error": error,
         "refused": [], "arrays": []},
    ]


@pytest.mark.parametrize("header", _valid_examples(), ids=lambda h: h["kind"])
def test_what_the_child_writes_is_accepted_and_cleaned(header):
    cleaned = protocol.validate(header, protocol.CHILD_KINDS)
    assert cleaned["kind"] == header["kind"]
    json.dumps(cleaned).encode("utf-8")  # lone surrogates are gone: writable as UTF-8


def test_every_frame_a_real_child_sends_is_accepted(monkeypatch, tmp_path):
    """Drive a real child through every answer it can give and record what the parent
    validated: nothing was refused, and every kind and status came by."""
    seen = []
    real = protocol.validate

    def recording(header, kinds):
        cleaned = real(header, kinds)  # raises if refused: the call would be protocol_error
        seen.append((cleaned["kind"], cleaned.get("status"), "error" in cleaned))
        return cleaned
    monkeypatch.setattr(protocol, "validate", recording)
    (tmp_path / "memory.py").write_text("def grab():\n    return bytearray(10**10)\n")
    with Sandbox(FIXTURES / "tamper_at_load.py", DRIVERS, timeout=5, tmp_dir=tmp_path) as box:
        assert box.call("numpy_still_works", {}).ok
        assert box.call("echo", {"n": 1}, {"x": [1.0, 2.0]}).outputs["n"] == 1
        assert box.call("call", {"name": "patch_during_call", "args": ["x"]},
                        {"x": [0.0]}).status in ("ok", "error")
        assert box.call("call", {"name": "nope"}).status == "error"
    with Sandbox(tmp_path / "memory.py", DRIVERS, timeout=5, memory_mb=300,
                 tmp_dir=tmp_path) as box:
        assert box.call("call", {"name": "grab"}).status == "memory"
    with Sandbox(tmp_path, DRIVERS, entry="missing.py", tmp_dir=tmp_path) as box:
        assert box.load_result.status == "error"  # a load answer that carries an error
    (tmp_path / "bad_drivers.py").write_text("def probe(ns, p, a):\n    pass\nraise OSError\n")
    with pytest.raises(SandboxError, match="could not start"):
        Sandbox(tmp_path / "memory.py", tmp_path / "bad_drivers.py", tmp_dir=tmp_path).start()
    kinds = {kind for kind, _, _ in seen}
    assert kinds == set(protocol.CHILD_KINDS)
    assert {s for k, s, _ in seen if k == "result"} == set(protocol.CALL_STATUSES)
    assert {e for k, _, e in seen if k == "loaded"} == {True, False}


def test_a_forged_load_report_with_an_int_file_is_refused():
    header = {"kind": "loaded", "refused": [], "arrays": [],
              "report": {"units": [{"file": 5, "status": "raised"}]}}
    with pytest.raises(protocol.ProtocolViolation, match=r"report.units\[0\].file"):
        protocol.validate(header, ("loaded",))


@pytest.mark.parametrize("listing,message", [
    ("all", "malformed array list"),
    ([{"name": "x", "group": "outputs", "nbytes": -1}], "malformed array entry"),
    ([{"name": "x", "group": "inputs_after", "nbytes": 1}], "malformed array entry"),
    ([{"name": "x", "group": "outputs", "nbytes": 1}] * 2, "malformed array entry"),
    ([{"name": "", "group": "outputs", "nbytes": 1}], "malformed array entry"),
    ([{"name": "x", "group": "outputs", "nbytes": 2**40}], "bytes of arrays, more than"),
])
def test_array_listings_are_checked_before_anything_is_read(listing, message):
    with pytest.raises(protocol.ProtocolViolation, match=message):
        protocol.array_listing({"arrays": listing}, 1 << 20)


def test_frame_lengths_and_headers_are_checked():
    with pytest.raises(protocol.ProtocolViolation, match="a header of"):
        protocol.header_size(b"\xff\xff\xff\xf0")
    for data in (b"not json", b"[1, 2]", b"\xff\xfe", b"[" * 100_000):
        with pytest.raises(protocol.ProtocolViolation):
            protocol.decode_header(data)
    frame = protocol.encode({"kind": "fatal", "message": "x"})
    size = protocol.header_size(frame[:4])
    assert protocol.decode_header(frame[4:4 + size]) == {"kind": "fatal", "message": "x",
                                                         "arrays": []}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(example=st.sampled_from(_valid_examples()), path=st.lists(st.text(max_size=12),
                                                                   min_size=1, max_size=3),
       value=JSON)
def test_a_damaged_frame_is_refused_or_accepted_never_a_crash(example, path, value):
    """Any field of a valid header replaced by any JSON value (or added): validate accepts a
    clean copy or raises ProtocolViolation; an accepted load report always makes messages."""
    header = json.loads(json.dumps(example))
    target = header
    for key in path[:-1]:
        target = target.get(key) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            break
    if isinstance(target, dict):
        target[path[-1]] = value
    try:
        cleaned = protocol.validate(header, protocol.CHILD_KINDS)
    except protocol.ProtocolViolation:
        return
    json.dumps(cleaned).encode("utf-8")
    if cleaned["kind"] == "loaded" and "report" in cleaned:
        assert isinstance(LoadResult("ok", report=cleaned["report"]).messages(), list)


@settings(max_examples=200, deadline=None)
@given(header=JSON)
def test_any_json_is_refused_or_accepted_never_a_crash(header):
    try:
        protocol.validate(header, protocol.CHILD_KINDS)
    except protocol.ProtocolViolation:
        pass
    try:
        protocol.array_listing(header if isinstance(header, dict) else {}, 1 << 20)
    except protocol.ProtocolViolation:
        pass

