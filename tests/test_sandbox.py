"""The grader's isolation layer: student code loads as it should, and cannot hurt or fool us.

Loader tests run the (trusted) fixtures in this process; sandbox tests run them in the child.
Each attack in grading_fixtures/adversarial.py has one test saying how it must be graded. After
every test no sandbox process may be left running and no working folder left behind.
"""

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from conformance.grading import isolation, launcher
from conformance.grading.sandbox import Sandbox, SubmissionError
from conformance.loader import extract_markdown_cells, load_submission

from .helpers import descendants, processes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the sandbox relies on Linux (/proc, prctl, rlimits)")

FIXTURES = Path(__file__).parent / "grading_fixtures"
DRIVERS = FIXTURES / "drivers_for_tests.py"
ADVERSARIAL = FIXTURES / "adversarial.py"
SEED = FIXTURES / "student-notes-ch7-cnn.md"
MARKER = "1234.5"  # adversarial.MARKER: in the command line of processes the attacks start
IS_ROOT = os.geteuid() == 0


_SHARED = []  # the module's shared sandbox, whose child may outlive a test


def _leftovers():
    """Live processes a sandbox of this test process could have left behind: its descendants
    (a sandbox makes this process the reaper of orphans), but the shared sandbox's; not another
    test process's (pytest -n runs several)."""
    table = processes()
    keep = set()
    for b in _SHARED:
        if b.pid:
            keep |= {b.pid, *descendants(b.pid, table)}
    return [f"{pid}: {table[pid][3]}" for pid in descendants(os.getpid(), table)
            if pid not in keep]


TMP = Path()  # set by private_tmp


@pytest.fixture(scope="module", autouse=True)
def private_tmp():
    """Our own folder for the sandboxes' working folders, so that other sandboxes on this
    machine do not confuse the check below; uid 65534 must reach it, as it reaches /tmp."""
    global TMP
    TMP = Path(tempfile.mkdtemp(prefix="test-sandbox-"))
    TMP.chmod(0o755)
    yield
    shutil.rmtree(TMP, ignore_errors=True)


def _workdirs():
    keep = {Path(b.workdir) for b in _SHARED if b.workdir}
    return set(TMP.glob("scratch-cnn-sandbox-*")) - keep


@pytest.fixture(autouse=True)
def nothing_left_behind():
    before = _workdirs()
    yield
    deadline = time.monotonic() + 5  # a process killed at close may still be exiting
    while _leftovers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _leftovers() == [], "a sandbox left processes running"
    assert _workdirs() - before == set(), "a sandbox left its working folder"


@pytest.fixture(scope="module")
def sandbox(private_tmp):
    """One sandbox on adversarial.py for the attacks that leave its child alive (the others
    get a fresh child from it transparently). The parent holds a secret the child must not see.
    """
    secret = os.environ.get("GRADING_SEED")
    os.environ["GRADING_SEED"] = "31337"
    try:
        sandbox = box()
        sandbox.start()
    finally:
        if secret is None:
            del os.environ["GRADING_SEED"]
        else:
            os.environ["GRADING_SEED"] = secret
    _SHARED.append(sandbox)
    yield sandbox
    _SHARED.remove(sandbox)
    sandbox.close()


def box(submission=ADVERSARIAL, **kwargs):
    kwargs.setdefault("timeout", 2)
    return Sandbox(submission, DRIVERS, tmp_dir=TMP, **kwargs)


def call(sandbox, function, /, *args, **kwargs):
    """adversarial.<name>(*args, **kwargs) through the "call" test driver."""
    arrays = {f"a{i}": np.asarray(a) for i, a in enumerate(args)}
    return sandbox.call("call", {"name": function, "args": sorted(arrays), "kwargs": kwargs},
                        arrays)


def refused_messages(result):
    return [r.message for r in result.refused]


# ---------------------------------------------------------------------------------------------
# Loading: .md export, notebook, folder (in this process: the fixtures are ours)


def test_seed_markdown_export_yields_its_four_code_cells():
    cells = extract_markdown_cells(SEED.read_text(encoding="utf-8"))
    assert [label for _, label, _ in cells] == ["In [1]", "In [4]", "In [5]", "In [None]"]
    first, conv, pool, net = (src for src, _, _ in cells)
    assert first.startswith("import numpy as np\n") and first.rstrip().endswith(
        "print(x[1].shape)")
    assert "(10, 1, 28, 28)" not in first.splitlines()  # printed output, not code
    assert conv.startswith("def im2col(") and "class Convolution:" in conv
    assert conv.rstrip().endswith("return out") and "7.4.4" not in conv
    assert pool.startswith("class Pooling:") and "np.max(col, axis =1)" in pool
    assert net.startswith("import numpy as np\nfrom collections import OrderDict\n")
    assert net.rstrip().endswith("return grads") and "계층이" not in net


def test_markdown_heuristics_fences_prompts_and_output():
    text = "\n".join([
        "# Title", "", "In [2]:", "a = 1", "# a comment stays", "", "def f(x):", "",
        "    return x + a", "", "# a comment before code stays too", "f(1)", "", "2", "",
        "Some prose, not code.", "", "```python", "b = 2", "```", "", "```", "3.5 printed",
        "```", "In [ ]: c = 3", "print(c)", "", "## A heading", "More prose.", "d = 4", "",
    ])
    cells = [src for src, _, _ in extract_markdown_cells(text)]
    assert cells == ["a = 1\n# a comment stays\n\ndef f(x):\n\n    return x + a\n\n"
                     "# a comment before code stays too\nf(1)\n", "b = 2\n", "c = 3\nprint(c)\n"]


def test_seed_markdown_loads_and_the_broken_cell_is_reported():
    report = load_submission(SEED)
    assert [u.status for u in report.units] == ["ran", "ran", "ran", "raised"]
    broken = report.units[3]
    assert broken.error["type"] == "ImportError" and broken.error["line"] == 2
    assert broken.error["text"] == "from collections import OrderDict"
    assert broken.label == "In [None]" and broken.start_line == 139
    assert {"im2col", "Convolution", "Pooling"} <= set(report.defined)
    assert "SimpleConvNet" in report.missing
    json.dumps(report.to_dict())  # JSON-serialisable as it is


def _write_notebook(path):
    cells = [
        "import numpy as np\n%matplotlib inline\n!pip install torch\nx = 1",
        "%%time\nraise SystemExit('a cell magic: the whole cell is skipped')",
        "def double(a):\n    return a * 2",
        "y = 2\n1 / 0",
        "get_ipython().run_line_magic('load_ext', 'autoreload')\nz = x + y",
        "def broken(:\n    pass",
        "def im2col(a):\n    return a + z",
    ]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Homework"}]
          + [{"cell_type": "code", "metadata": {}, "execution_count": i, "outputs": [],
              "source": src.splitlines(keepends=True)} for i, src in enumerate(cells, 1)]}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_notebook_cells_run_in_order_and_failures_are_recorded(tmp_path):
    report = load_submission(_write_notebook(tmp_path / "hw.ipynb"))
    units = report.units
    assert [u.status for u in units] == ["ran", "skipped", "ran", "raised", "ran",
                                         "syntax_error", "ran"]
    assert [s["reason"] for s in units[0].skipped_lines] == ["IPython magic", "shell command"]
    assert units[1].reason == "cell magic %%time"
    assert units[3].error["type"] == "ZeroDivisionError" and units[3].error["line"] == 2
    assert units[4].skipped_lines[0]["reason"] == "IPython call"
    assert units[5].error["line"] == 1 and units[5].label == "In [6]"
    assert report.module.im2col(np.ones(2)).tolist() == [4.0, 4.0]  # z = x + y = 3


def _write_folder(root):
    marker = ("import os\nopen(os.path.join(os.path.dirname(os.path.abspath(__file__)), "
              "'EXECUTED_' + os.path.basename(__file__)), 'w').close()\n")
    files = {
        "util.py": "def im2col(x):\n    return x + 1\n",
        "layers.py": "import os\nfrom util import im2col\n\nclass Relu:\n    pass\n\n"
                     "def markers():\n    here = os.path.dirname(os.path.abspath(__file__))\n"
                     "    return ','.join(sorted(n for n in os.listdir(here) "
                     "if n.startswith('EXECUTED')))\n",
        "conftest.py": marker + "def im2col(x):\n    return 'conftest'\n",
        "test_layers.py": marker + "class Relu:\n    pass\n",
        "layers_test.py": marker + "class Affine:\n    pass\n",
        "setup.py": marker + "def col2im():\n    pass\n",
        "tests/helpers.py": marker + "class Convolution:\n    pass\n",
        "train.py": marker + "print('training for an hour')\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


NAMES = ("im2col", "col2im", "Convolution", "Pooling", "Relu", "Affine", "SoftmaxWithLoss",
         "SimpleConvNet")


def test_folder_runs_only_files_that_define_graded_names_and_never_tests(tmp_path):
    folder = _write_folder(tmp_path / "submission")
    report = load_submission(folder, names=NAMES)
    assert [u.file for u in report.units] == ["util.py", "layers.py"]  # imported first
    assert report.module.im2col(1) == 2 and report.module.markers() == ""
    assert list(folder.rglob("EXECUTED_*")) == []
    reasons = {s["file"]: s["reason"] for s in report.skipped_files}
    assert set(reasons) == {"conftest.py", "test_layers.py", "layers_test.py", "setup.py",
                            "tests/", "train.py"}
    assert reasons["train.py"] == "defines none of the graded names"
    entry = load_submission(folder, names=NAMES, entry="util.py")
    assert [u.file for u in entry.units] == ["util.py"]


def test_unreadable_submissions_raise_a_clear_submission_error(tmp_path):
    with pytest.raises(SubmissionError, match="no_such.py: no such file"):
        load_submission(tmp_path / "no_such.py")
    (tmp_path / "hw.pdf").write_bytes(b"%PDF")
    with pytest.raises(SubmissionError, match=r"hw.pdf: not a \.py file"):
        load_submission(tmp_path / "hw.pdf")
    (tmp_path / "bad.ipynb").write_text("{not json")
    with pytest.raises(SubmissionError, match="bad.ipynb: not a valid notebook"):
        load_submission(tmp_path / "bad.ipynb")
    (tmp_path / "deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SubmissionError, match="deep.ipynb: not a valid notebook .its JSON is "
                                              "nested too deeply"):
        load_submission(tmp_path / "deep.ipynb")
    (tmp_path / "latin1.md").write_bytes("In [1]:\nx = 'é'\n".encode("latin-1"))
    with pytest.raises(SubmissionError, match="latin1.md: not readable as text"):
        load_submission(tmp_path / "latin1.md")
    with pytest.raises(SubmissionError, match="conftest.py: test and setup files"):
        (tmp_path / "conftest.py").write_text("x = 1\n")
        load_submission(tmp_path / "conftest.py")


def test_syntax_error_in_a_file_is_reported_with_its_line(tmp_path):
    (tmp_path / "hw.py").write_text("x = 1\n\ndef f(:\n    pass\n")
    report = load_submission(tmp_path / "hw.py")
    assert report.units[0].status == "syntax_error" and report.units[0].error["line"] == 3


# ---------------------------------------------------------------------------------------------
# Loading in the sandbox


def _im2col_loops(x, fh, fw, stride, pad):
    """The expected column matrix, by its definition: rows (n, oh, ow), columns (c, fh, fw)."""
    n, c, h, w = x.shape
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    rows = [xp[i, :, y * stride:y * stride + fh, z * stride:z * stride + fw].ravel()
            for i in range(n) for y in range(oh) for z in range(ow)]
    return np.array(rows)


def test_a_normal_submission_is_graded_normally():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5))
    with box(FIXTURES / "good_submission.py", names=NAMES) as sandbox:
        loaded = sandbox.load_result
        assert loaded.ok and "good submission loaded" in loaded.output
        assert loaded.report["defined"] == ["Relu", "im2col"]
        r = sandbox.call("call", {"name": "im2col", "args": ["x"], "kwargs": {
            "filter_h": 3, "filter_w": 3, "stride": 2, "pad": 1}}, {"x": x})
        assert r.ok and type(r.outputs["out"]) is np.ndarray
        np.testing.assert_array_equal(r.outputs["out"], _im2col_loops(x, 3, 3, 2, 1))
        r = call(sandbox, "relu", np.array([-1.0, 2.0]))
        assert r.outputs["out"].tolist() == [0.0, 2.0]
        assert r.inputs_after["a0"].tolist() == [-1.0, 2.0]  # read back by the parent
        assert call(sandbox, "helper").outputs == {"out": 41.5}  # a sibling module


def test_notebook_in_the_sandbox(tmp_path):
    with box(_write_notebook(tmp_path / "hw.ipynb")) as sandbox:
        statuses = [u["status"] for u in sandbox.load_result.report["units"]]
        assert statuses == ["ran", "skipped", "ran", "raised", "ran", "syntax_error", "ran"]
        assert call(sandbox, "im2col", np.zeros(2)).outputs["out"].tolist() == [3.0, 3.0]


def test_seed_markdown_in_the_sandbox():
    with box(SEED, names=NAMES) as sandbox:
        loaded = sandbox.load_result
        assert [u["status"] for u in loaded.report["units"]] == ["ran", "ran", "ran", "raised"]
        assert "md, cell 4: ImportError at line 2: cannot import name 'OrderDict'" in \
            "\n".join(loaded.messages())
        found = sandbox.call("names", {"names": ["im2col", "Convolution", "Pooling",
                                                 "SimpleConvNet"]})
        assert found.outputs == {"im2col": True, "Convolution": True, "Pooling": True,
                                 "SimpleConvNet": False}


def test_folder_in_the_sandbox_never_runs_test_files(tmp_path):
    with box(_write_folder(tmp_path / "submission"), names=NAMES) as sandbox:
        report = sandbox.load_result.report
        assert [u["file"] for u in report["units"]] == ["util.py", "layers.py"]
        assert call(sandbox, "markers").outputs == {"out": ""}  # no EXECUTED_* in the copy
        assert call(sandbox, "im2col", np.zeros(1)).outputs["out"].tolist() == [1.0]


def test_a_slow_cell_is_stopped_and_the_next_cells_still_load(tmp_path):
    path = tmp_path / "slow.md"
    path.write_text("In [1]:\nwhile True:\n    pass\n\nIn [2]:\ndef im2col(x):\n    return x\n")
    with box(path, timeout=1) as sandbox:
        units = sandbox.load_result.report["units"]
        assert [u["status"] for u in units] == ["timeout", "ran"]


def test_missing_submission_raises_submission_error(tmp_path):
    with pytest.raises(SubmissionError, match="no such file"):
        box(tmp_path / "nothing.py").start()


def test_a_submission_that_kills_itself_while_loading_fails_every_call(tmp_path):
    (tmp_path / "dies.py").write_text("import os\nos._exit(5)\n")
    with box(tmp_path / "dies.py") as sandbox:
        assert sandbox.load_result.status == "crashed"
        r = sandbox.call("echo", {})
        assert r.status == "crashed" and "could not be loaded" in r.error.message
        assert sandbox.pid is None  # no reload each time: no child was started again


def test_a_forged_load_report_is_a_protocol_error(tmp_path):
    (tmp_path / "forger.py").write_text(
        "import json, os, struct, sys, time\n"
        "data = json.dumps({'kind': 'loaded', 'report': {'units': 'all passed'}}).encode()\n"
        "os.write(int(sys.argv[2]), struct.pack('>I', len(data)) + data)\n"
        "time.sleep(30)\n")
    with box(tmp_path / "forger.py") as sandbox:
        assert sandbox.load_result.status == "protocol_error"
        assert "report.units: expected a list" in sandbox.load_result.error.message
        assert sandbox.call("echo", {}).status == "protocol_error"


# ---------------------------------------------------------------------------------------------
# Attacks: each graded as it must be, the grader unharmed


def test_an_exception_is_an_error_and_the_child_keeps_serving(sandbox):
    first = sandbox.call("call", {"name": "identity", "spread": True})
    pid = first.outputs["pid"]
    r = call(sandbox, "crash")
    assert r.status == "error" and (r.error.type, r.error.message) == ("RuntimeError",
                                                                       "student bug")
    assert "adversarial.py" in r.error.traceback and "child.py" not in r.error.traceback
    assert "drivers_for_tests" not in r.error.traceback  # the student's frames only
    assert call(sandbox, "keyboard_interrupt").error.type == "KeyboardInterrupt"
    r = call(sandbox, "calls_sys_exit")
    assert r.status == "error" and r.error.message == "the submission called sys.exit(3)"
    again = sandbox.call("call", {"name": "identity", "spread": True})
    assert again.outputs["pid"] == pid  # the same child: nothing was restarted


def test_os_exit_is_a_crash_and_the_next_call_gets_a_fresh_child(sandbox):
    before = sandbox.pid
    r = call(sandbox, "calls_os_exit")
    assert r.status == "crashed" and "exited with status 7" in r.error.message
    after = sandbox.call("call", {"name": "identity", "spread": True})
    assert after.ok and after.outputs["pid"] != before


def test_an_endless_loop_times_out_even_if_it_ignores_sigterm():
    with box(timeout=1) as sandbox:
        for attack in ("spin", "spin_ignoring_sigterm"):
            r = call(sandbox, attack)
            assert r.status == "timeout" and "did not finish within 1 s" in r.error.message
        assert call(sandbox, "crash").status == "error"  # the next call works again


def test_cpu_time_is_limited_even_before_the_wall_clock():
    with box(timeout=8, cpu_seconds=1) as sandbox:
        r = call(sandbox, "spin")
        assert r.status == "timeout" and "CPU time" in r.error.message  # not "within 8 s"


def test_a_memory_bomb_is_reported_as_memory():
    # a time limit far above the bomb's (well under a second idle), so that a loaded machine
    # cannot turn it into a timeout: what is tested is how it is classified
    with box(memory_mb=300, timeout=30) as sandbox:
        for attack in ("memory_bomb", "huge_allocation"):
            r = call(sandbox, attack)
            assert r.status == "memory" and r.error.type.endswith("MemoryError")
        assert call(sandbox, "crash").status == "error"


def test_an_output_flood_is_capped_and_does_not_slow_the_grader():
    with box(output_limit=10_000, timeout=10) as sandbox:
        r = call(sandbox, "flood")
        assert r.ok and r.outputs["out"] == 1.0
        assert r.output_bytes == 100_000_000
        assert r.stdout_tail.endswith("x\n") and len(r.stdout_tail) < 10_100


@pytest.mark.parametrize("attack,event", [("double_fork", "os.fork"),
                                          ("daemon_subprocess", "subprocess.Popen")])
def test_starting_processes_is_refused(sandbox, attack, event):
    r = call(sandbox, attack)
    assert r.status == "error" and r.error.type == "PermissionError"
    assert [x.event for x in r.refused] == [event]
    assert "tried to start another process" in refused_messages(r)[0]


def test_sockets_are_local_only_even_without_the_audit_hook():
    """IP is empty in the sandbox's network namespace, but not every family is namespaced
    (AF_VSOCK reaches a virtual machine's host): seccomp refuses every family but AF_UNIX."""
    import errno
    import socket

    if not isolation.machine().isolation().seccomp:
        pytest.skip("seccomp filters cannot be built here (scratch-cnn doctor says why)")
    with box(guards=False) as sandbox:
        for family in (socket.AF_INET, socket.AF_INET6, 40, 16, 17):  # VSOCK, NETLINK, PACKET
            r = call(sandbox, "socket_errno", family=family)
            assert r.ok and r.outputs["out"] == errno.EAFNOSUPPORT, (family, r.outputs)
        r = call(sandbox, "socket_errno", family=socket.AF_UNIX)
        assert r.ok and r.outputs["out"] == 0, r.outputs


def _marked():
    """Live processes an attack started (their command line carries MARKER)."""
    return [line for line in _leftovers() if MARKER in line]


def test_daemons_do_not_outlive_close_even_without_the_audit_hook_or_seccomp():
    """With processes allowed, a setsid()ed, double-forked daemon still dies with the sandbox:
    its PID namespace (or, without a sandbox, the walk of the process tree) takes it along."""
    sandbox = box(guards=False, seccomp=False, max_processes=64)
    try:
        for attack in ("double_fork", "daemon_subprocess"):  # setsid, then orphaned
            r = call(sandbox, attack)
            assert r.ok, r.error
        deadline = time.monotonic() + 10  # until the daemons have exec'ed sleep
        while len(_marked()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_marked()) == 2
    finally:
        sandbox.close()
    assert _marked() == []


def test_a_lying_ndarray_subclass_arrives_as_its_plain_numbers(sandbox):
    out = call(sandbox, "lying_array").outputs["out"]
    assert type(out) is np.ndarray and out.shape == (3,)
    assert out.tolist() == [0.0, 1.0, 2.0]
    assert not np.array_equal(out, np.zeros(3))


@pytest.mark.parametrize("attack", ["object_array", "string_array", "pickle_payload"])
def test_non_numeric_outputs_are_errors(sandbox, attack):
    r = call(sandbox, attack)
    assert r.status == "error" and r.error.type == "InvalidOutput" and r.outputs == {}


@pytest.mark.parametrize("attack,message", [
    ("forge_pickled_array", "dtype object"),
    ("forge_huge_array", "1000000000000 bytes of arrays"),
    ("forge_lying_npy_header", "8 bytes of data for shape (10000000000,)"),
    ("forge_garbage", "a header of 4294967280 bytes"),
])
def test_forged_frames_are_protocol_errors(sandbox, attack, message):
    r = call(sandbox, attack)
    # rejected from the header: the message names the size it was told, nothing was read
    assert r.status == "protocol_error" and message in r.error.message
    assert call(sandbox, "crash").status == "error"  # a fresh child answers again


def test_patching_numpy_and_builtins_changes_nothing_for_the_grader():
    with box(FIXTURES / "tamper_at_load.py") as sandbox:
        undone = {r.detail for r in sandbox.load_result.refused if r.event == "tamper"}
        assert undone == {"numpy.allclose", "numpy.array_equal", "builtins.isinstance"}
        r = sandbox.call("numpy_still_works", {})
        assert r.outputs == {"allclose_0_1": False, "isinstance_str_int": False}
        r = call(sandbox, "patch_during_call")
        assert r.ok and r.outputs["out"].tolist() == [0.0, 0.0, 0.0]
        assert {x.detail for x in r.refused} == {"numpy.allclose", "builtins.isinstance"}
    assert not np.allclose(np.zeros(3), np.ones(3))


def test_mutating_the_inputs_never_reaches_the_callers_arrays(sandbox):
    x = np.arange(3.0)
    r = sandbox.call("call", {"name": "mutate", "args": ["x"], "return_inputs": True},
                     {"x": x})
    assert r.outputs["out"] == 297.0 and r.outputs["input_x"].tolist() == [99.0] * 3
    assert r.inputs_after["x"].tolist() == [99.0] * 3  # the parent's own reading
    assert x.tolist() == [0.0, 1.0, 2.0]


def test_a_fake_results_file_never_reaches_the_graders_folder(sandbox, tmp_path):
    results = tmp_path / "grader-output" / "results.json"
    results.parent.mkdir()
    r = call(sandbox, "write_file", path=str(results))
    assert r.status == "error" and r.error.type == "PermissionError"
    assert [(x.event, x.detail) for x in r.refused] == [("open", str(results))]
    assert list(results.parent.iterdir()) == []


def test_forbidden_imports_while_loading_are_refused_and_reported():
    with box(FIXTURES / "forbidden_at_load.py") as sandbox:
        loaded = sandbox.load_result
        imports = [r.detail for r in loaded.refused if r.event == "import"]
        assert imports == ["torch", "scratch_cnn", "conformance", "scipy.ndimage", "torch"]
        assert "the submission tried to import torch (not allowed)" in loaded.messages()
        unit = loaded.report["units"][0]
        assert unit["status"] == "raised" and unit["error"]["type"] == "PermissionError"
        assert unit["error"]["line"] == 15
        assert call(sandbox, "refused_count").outputs["out"] == 4


@pytest.mark.parametrize("module", ["torch", "scratch_cnn.layers", "conformance.loader",
                                    "scipy.signal", "tensorflow"])
def test_forbidden_imports_during_a_call_are_refused(sandbox, module):
    r = call(sandbox, "import_module", name=module)
    assert r.status == "error" and r.error.type == "PermissionError"
    assert any(x.event == "import" and module.startswith(x.detail) for x in r.refused)
    assert call(sandbox, "import_module", name="json").ok  # the standard library is fine


def test_the_parent_environment_and_the_reference_are_out_of_reach(sandbox):
    reference = Path(__file__).resolve().parents[1] / "scratch_cnn" / "__init__.py"
    r = call(sandbox, "parent_environ")
    assert r.status == "error" and r.error.type == "PermissionError"
    assert r.refused[0].event == "open" and r.refused[0].detail.endswith("/environ")
    env = call(sandbox, "environment").outputs["out"]
    home = "/sandbox/work" if sandbox.isolation.sandbox else sandbox.workdir
    assert "31337" not in env and "OMP_NUM_THREADS=1" in env and f"HOME={home}" in env
    r = call(sandbox, "read_file", path=str(reference))
    assert r.status == "error" and r.refused[0].detail == str(reference)


@pytest.mark.parametrize("attack,event", [("open_socket", "socket.__new__"),
                                      ("signal_parent", "os.kill")])
def test_network_and_signals_are_refused(sandbox, attack, event):
    r = call(sandbox, attack)
    assert r.status == "error" and r.refused[0].event == event


def test_the_operating_system_holds_even_without_the_audit_hook(tmp_path):
    """The sandbox, not the hook: as root and as any other user (tests/test_isolation.py runs
    the attacks as an unprivileged user too)."""
    machine = isolation.machine()
    if not machine.sandbox:
        pytest.skip(f"this machine cannot make a sandbox: {machine.sandbox_problem()}")
    reference = Path(__file__).resolve().parents[1] / "scratch_cnn" / "__init__.py"
    (tmp_path / "out").mkdir()
    with box(guards=False, max_processes=64) as sandbox:
        assert sandbox.load_result.isolation.full, sandbox.load_result.isolation
        me = sandbox.call("call", {"name": "identity", "spread": True}).outputs
        assert me["uid"] >= launcher.UID_BASE if IS_ROOT else me["uid"] == os.getuid()
        assert me["pid"] == 2  # its own PID namespace: bwrap's init is 1
        for attack, kwargs in [("parent_environ", {}), ("open_socket", {}),
                               ("write_file", {"path": str(tmp_path / "out" / "r.json")}),
                               ("read_file", {"path": str(reference)}),
                               ("import_module", {"name": "torch.nn"}),
                               # hidden, so that not even a hollow namespace package imports
                               ("import_module", {"name": "torch"}),
                               ("import_module", {"name": "scipy.signal"}),
                               ("double_fork", {})]:
            r = call(sandbox, attack, **kwargs)
            assert r.status == "error", (attack, r)
            # (a connection is refused by the sandbox's own loopback: nothing else is there)
            assert r.error.type in ("PermissionError", "FileNotFoundError", "OSError",
                                    "ModuleNotFoundError", "ImportError",
                                    "ConnectionRefusedError"), \
                (attack, r.error)
    assert list((tmp_path / "out").iterdir()) == []


def test_the_audit_hook_alone_refuses_what_the_os_would(tmp_path):
    """Without a sandbox (isolation="none", as where bubblewrap is missing) the hook still
    refuses, and says so, what a naive submission tries; and every result says it is alone."""
    reference = Path(__file__).resolve().parents[1] / "scratch_cnn" / "__init__.py"
    with box(isolation="none") as sandbox:
        assert sandbox.load_result.isolation.summary().startswith("audit hook only")
        for attack, kwargs, event in [
                ("read_file", {"path": str(reference)}, "open"),
                ("write_file", {"path": str(tmp_path / "r.json")}, "open"),
                ("parent_environ", {}, "open"), ("open_socket", {}, "socket.__new__"),
                ("double_fork", {}, "os.fork"), ("import_module", {"name": "torch"}, "import")]:
            r = call(sandbox, attack, **kwargs)
            assert r.status == "error" and r.error.type == "PermissionError", (attack, r)
            assert r.refused[0].event == event
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# The protocol and its cost


def test_caller_mistakes_raise_instead_of_grading(sandbox):
    with pytest.raises(ValueError, match="no driver 'nope'"):
        sandbox.call("nope", {})
    with pytest.raises(TypeError, match="dtype object"):
        sandbox.call("echo", {}, {"x": np.array([None])})
    with pytest.raises(TypeError):
        sandbox.call("echo", {"f": object()})


def test_many_trivial_calls_round_trip(sandbox):
    """(How long one takes is measured by benchmarks/sandbox_cost.py, not here.)"""
    x = np.ones((2, 3), dtype=np.float32)
    for n in range(100):
        r = sandbox.call("echo", {"n": n}, {"x": x})
        assert r.outputs["n"] == n and r.outputs["x"].dtype == np.float32
        assert r.inputs_after["x"].tolist() == x.tolist()


def test_close_removes_the_working_copy_and_never_touches_the_original(tmp_path):
    original = tmp_path / "hw.py"
    shutil.copy(FIXTURES / "adversarial.py", original)
    before = original.read_bytes()
    with box(original) as sandbox:
        r = call(sandbox, "write_file", path="hw.py")  # its own copy: allowed
        assert r.ok
    assert original.read_bytes() == before


def test_a_notebook_of_thousands_of_cells_loads_and_its_report_fits_one_answer(tmp_path):
    """Thousands of cells (a student's scratch notebook, or one made to overflow the load
    answer): the report lists the first cell and those with a problem, says how many of these
    it leaves out, and the submission still loads."""
    cells = ["x = 1"] * 3000 + ["1 / 0"] * 1500 + ["def im2col(a):\n    return a + x"]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "metadata": {}, "execution_count": None,
                     "outputs": [], "source": src} for src in cells]}
    path = tmp_path / "long.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    with box(path) as sandbox:
        loaded = sandbox.load_result
        assert loaded.ok, loaded.messages()
        units = loaded.report["units"]
        assert 0 < len(units) < 1000 and all(u["status"] == "raised" for u in units[1:])
        assert units[1]["cell"] == 3001  # the first cell with a problem
        assert "1301 more cells with a problem are not listed" in loaded.report["warnings"]
        assert call(sandbox, "im2col", np.zeros(2)).outputs["out"].tolist() == [1.0, 1.0]


def test_a_submission_file_larger_than_the_file_limit_still_loads(tmp_path):
    """The limit on files the submission writes is not a limit on the files it hands in (a
    notebook holding 120 MB of saved plots could not even be copied into its folder)."""
    path = tmp_path / "big.py"
    path.write_text(("#" + "x" * 99 + "\n") * 30_000 + "def im2col(a):\n    return a + 1\n")
    with box(path, file_limit_mb=1) as sandbox:
        assert sandbox.load_result.ok, sandbox.load_result.messages()
        assert call(sandbox, "im2col", np.zeros(2)).outputs["out"].tolist() == [1.0, 1.0]


def test_a_closed_sandbox_leaves_no_zombie_for_its_caller_to_reap(tmp_path):
    """bwrap's init is reparented to the grader (a subreaper) when bwrap exits: every child
    started, including those restarted after a crash, is reaped at close (a long grading that
    crashes every call left one zombie per restart)."""
    def zombies():
        return {pid for pid, (ppid, state, _, _) in processes().items()
                if ppid == os.getpid() and state == "Z"}

    # only this sandbox's: other tests in this process kill whole graders, whose orphans
    # are reparented here (a subreaper) after those tests last looked
    before = zombies()
    (tmp_path / "dies.py").write_text("import os\ndef im2col(a):\n    os._exit(3)\n")
    with box(tmp_path / "dies.py") as sandbox:
        for _ in range(3):
            assert call(sandbox, "im2col", np.zeros(1)).status == "crashed"
    assert zombies() - before == set()


def test_kill_tree_signals_no_group_once_the_child_is_reaped(monkeypatch):
    """A reaped child's pid, and so its process group id, can be anyone's by the time the
    tree is killed (pid_max may be 32768, and a class's grading starts thousands of
    processes): kill_tree must not send the group a signal then. While the child is
    unreaped (a zombie holds the pid), it does."""
    import signal
    import subprocess

    from conformance.grading import processes as procs

    sent = []
    monkeypatch.setattr(procs.os, "killpg", lambda pgid, sig: sent.append((pgid, sig)))
    done = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    done.wait()
    procs.kill_tree(done, 0, None, patience=0.1)
    assert sent == []
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"],
                             start_new_session=True)
    try:
        procs.kill_tree(alive, 0, None, patience=0.1)
        assert sent == [(alive.pid, signal.SIGKILL)]
    finally:
        alive.kill()
        alive.wait()


def test_the_grader_never_kills_itself():
    """kill() of this process's own pid and start time (a bwrap 'init' looked up from a
    grading child that was already gone is bwrap's parent: us) sends nothing."""
    from conformance.grading import processes as procs

    me = procs.proc_stat(os.getpid())
    procs.kill(me.pid, me.start)
    assert procs.proc_stat(os.getpid()).start == me.start  # still here
