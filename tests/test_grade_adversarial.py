"""Adversarial submissions graded end to end, through `grade()` and `scratch-cnn grade`.

Each submission in grading_fixtures/adversarial/ is a correct one (honest_cnn.py: the book-style
example, conformance/examples/submission/cnn.py, copied under that name) with one attack
injected into one component, most often Relu. Graded with a small rubric (Relu first,
then Affine), each must come out as the issue requires: the attacked component loses its points
(or, where the attack is harmless, keeps exactly the honest score), Affine keeps full points,
the report says what happened in plain words, and nothing is left running or lying around.
The other side of each defence: tests/test_sandbox.py (the sandbox alone).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from conformance import catalog
from conformance.cli import main
from conformance.grading import isolation, results
from conformance.grading.grade import grade
from conformance.grading.rubric import Rubric
from conformance.grading.sandbox import SubmissionError

from .helpers import alive, descendants, processes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the sandbox relies on Linux (/proc, prctl, rlimits)")

FIXTURES = Path(__file__).parent / "grading_fixtures" / "adversarial"
CHECKOUT = Path(__file__).resolve().parents[1]
HONEST = CHECKOUT / "conformance" / "examples" / "submission" / "cnn.py"


def fixture(name):
    """A fixture file; honest_cnn.py is the correct example itself, not a copy to keep."""
    return HONEST if name == "honest_cnn.py" else FIXTURES / name
MARKER = "adv-marker-4711"  # in the command line of any process an attack starts
MACHINE = isolation.machine()
needs_sandbox = pytest.mark.skipif(not MACHINE.sandbox, reason="this machine cannot make a "
                                   f"sandbox: {MACHINE.sandbox_problem()}")
RELU_CASES = sum(1 for c in catalog.cases("Relu", "quick", invalid=None) if Rubric().graded(c))


# ---------------------------------------------------------------------------------------------
# Where sandboxes work, and what must be gone afterwards

ROOT = Path()  # a private folder: the sandboxes' working folders and a planted reference


@pytest.fixture(scope="module", autouse=True)
def private_root(tmp_path_factory):
    """Working folders go to ROOT/work (so that other graders on this machine do not confuse
    the leftover check), and ROOT/plant holds a world-readable copy of the reference, as a
    stray checkout, wheel or extracted bundle would: a submission must not reach it either."""
    global ROOT
    tmp_path_factory.getbasetemp()  # pytest's own temp folder stays where it was, not in ROOT
    ROOT = Path(tempfile.mkdtemp(prefix="test-grade-adversarial-"))
    (ROOT / "work").mkdir()
    plant = ROOT / "plant"
    shutil.copytree(CHECKOUT / "scratch_cnn", plant / "refcopy",
                    ignore=shutil.ignore_patterns("__pycache__"))
    with zipfile.ZipFile(plant / "ref.zip", "w") as z:
        for file in (plant / "refcopy").rglob("*.py"):
            z.write(file, Path("refzip") / file.relative_to(plant / "refcopy"))
    for path in [ROOT, *ROOT.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # uid 65534 could read all of it
    saved = tempfile.tempdir
    tempfile.tempdir = str(ROOT / "work")
    try:
        yield
    finally:
        tempfile.tempdir = saved
        shutil.rmtree(ROOT, ignore_errors=True)


_processes = processes


def leftovers():
    """Live processes the grading left: descendants of this process (the sandbox makes us the
    reaper of orphans), and anything carrying an attack's marker."""
    table = _processes()
    children = {}
    for pid, (ppid, *_rest) in table.items():
        children.setdefault(ppid, []).append(pid)
    mine, todo = set(), list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        if pid not in mine:
            mine.add(pid)
            todo += children.get(pid, [])
    return [f"{pid}: {cmd}" for pid, (_ppid, state, _uid, cmd) in table.items()
            if state not in "ZX" and (pid in mine or MARKER in cmd)]


@pytest.fixture(autouse=True)
def nothing_left_behind():
    yield
    deadline = time.monotonic() + 2
    while leftovers() and time.monotonic() < deadline:  # let a killed process be reaped
        time.sleep(0.05)
    assert leftovers() == [], "the grading left processes running"
    assert list((ROOT / "work").glob("scratch-cnn-sandbox-*")) == [], \
        "the grading left its working folder behind"


# ---------------------------------------------------------------------------------------------
# Submissions, grading and reading the report


def submission(tmp_path, attack, strategy="", files=("honest_cnn.py",), **config):
    """A folder with the attack, the honest module it builds on and adv_config.py; the path of
    the attack file in it (a single-file submission: its sibling modules come along)."""
    folder = tmp_path / "submission"
    folder.mkdir()
    for name in (attack, *files):
        shutil.copy(fixture(name), folder / name)
    settings = {"STRATEGY": strategy, "MARKER": MARKER, "CHECKOUT": str(CHECKOUT),
                "PLANTED": str(ROOT / "plant"), "OUT_DIR": str(tmp_path / "out"),
                # backward runs twice per case: the last case's first backward
                "LAST_CALL": 2 * RELU_CASES - 1, **config}
    (folder / "adv_config.py").write_text(
        "".join(f"{k} = {v!r}\n" for k, v in settings.items()))
    return folder / attack


def rubric(**overrides):
    settings = {"points": {"Relu": 5, "Affine": 10}, "hidden": False, "timeout": 1.0,
                "time_budget": 60.0}
    return Rubric(**{**settings, **overrides})


def grade_it(path, **overrides):
    started = time.monotonic()
    report = grade(path, rubric(**overrides), seed=1)
    report.seconds = time.monotonic() - started
    return report


def honest_points(component):
    return rubric().points[component]


def points(report, component):
    return report.components()[component][0]


def full(report, component):
    score, max_score = report.components()[component]
    return abs(score - max_score) < 1e-9


def text(report):
    """Everything the student reads."""
    return results.text(report)


@pytest.fixture(scope="module")
def honest():
    """What the honest submission earns, component by component (all of it)."""
    report = grade(HONEST, rubric(), seed=1)
    assert report.score == report.max_score == 15, text(report)
    return report.components()


def assert_only_relu_lost(report, *phrases):
    """Relu lost all its points, Affine kept all of its, and the report says why."""
    assert points(report, "Relu") == 0, text(report)
    assert full(report, "Affine"), text(report)
    for phrase in phrases:
        assert phrase in text(report), (phrase, text(report))


def assert_harmless(report, honest, *phrases):
    """The attack changed nothing the grader decides: exactly the honest score."""
    assert report.components() == honest, text(report)
    for phrase in phrases:
        assert phrase in text(report), (phrase, text(report))


# ---------------------------------------------------------------------------------------------
# The list


@pytest.mark.parametrize(("strategy", "phrase"), [
    # how forward ends    what the report must say
    ("raise", "Relu raised RuntimeError: student bug in Relu"),
    ("sys_exit", "the submission called sys.exit(3)"),
    ("keyboard_interrupt", "Relu raised KeyboardInterrupt"),
    ("generator_exit", "Relu raised GeneratorExit"),
])
def test_crash_exit_and_base_exceptions_lose_relu_only(tmp_path, strategy, phrase):
    report = grade_it(submission(tmp_path, "crash.py", strategy))
    assert_only_relu_lost(report, phrase)


def test_os_exit_loses_the_cases_it_ended_and_no_others(tmp_path):
    """os._exit on float64 input only: those cases fail, each on a fresh process; the float32
    cases that follow pass, so the process was started afresh each time."""
    report = grade_it(submission(tmp_path, "crash.py", "os_exit"))
    assert points(report, "Relu") == 2.5 and full(report, "Affine"), text(report)
    assert "the grading process exited with status 7 during the call" in text(report)


def test_crash_on_hidden_inputs_too(tmp_path):
    report = grade(submission(tmp_path, "crash.py", "raise"), rubric(hidden=True), seed=3)
    assert {(t.component, t.hidden, t.score == t.max_score) for t in report.tests} == {
        ("Relu", False, False), ("Relu", True, False), ("Affine", False, True),
        ("Affine", True, True)}


def test_an_endless_loop_ignoring_sigterm_is_stopped_once(tmp_path):
    report = grade_it(submission(tmp_path, "hang.py"))
    assert_only_relu_lost(report, "Relu did not finish in time (killed)")
    relu_cases = sum(t.cases for t in report.tests if t.component == "Relu"
                     and t.behaviour == "forward")
    # one timeout, then the rest of Relu is not run: Relu's one call, then Affine's
    assert relu_cases > 1 and report.calls == 1 + sum(
        t.cases for t in report.tests if t.component == "Affine" and t.behaviour == "forward")


def test_a_memory_bomb_loses_relu_only(tmp_path):
    # a time limit far above the bomb's, so that a loaded machine cannot make it a timeout
    report = grade_it(submission(tmp_path, "memory_bomb.py"), memory_mb=400, timeout=20.0)
    assert_only_relu_lost(report, "Relu ran out of memory")


@pytest.mark.parametrize(("strategy", "refusal"), [
    ("fork", "tried to start another process (os.fork; refused)"),
    ("subprocess", "tried to start another process (subprocess.Popen; refused)"),
    ("popen_unaudited", None),  # sys.audit replaced: the OS must refuse it
    ("fork_without_hook", None),  # the audit hook switched off from inside first
])
def test_a_daemon_that_would_outlive_the_grader_is_never_started(tmp_path, strategy, refusal):
    if refusal is None and not MACHINE.sandbox:
        pytest.skip("without a sandbox only the audit hook stands, and it can be switched off")
    report = grade_it(submission(tmp_path, "fork.py", strategy))
    assert_only_relu_lost(report, *[refusal] if refusal else [])
    assert any(e in text(report) for e in ("BlockingIOError", "PermissionError")), text(report)


def test_killing_the_grader_outright_takes_its_sandbox_along(tmp_path):
    """The grader itself SIGKILLed mid-grading (no close, no cleanup): its sandbox process
    must not live on, hung in Relu, as an orphan."""
    path = submission(tmp_path, "hang.py")
    grader = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "grade", str(path), "--timeout", "60", "-q"],
        cwd=CHECKOUT, env={**os.environ, "TMPDIR": str(ROOT / "work")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, sandbox = time.monotonic() + 60, []
        while len(sandbox) < 2 and time.monotonic() < deadline and grader.poll() is None:
            sandbox = descendants(grader.pid)  # bwrap and the child (or the bare child)
            sandbox = sandbox if any("child/main.py" in _processes().get(p, (0, "", 0, ""))[3]
                                     for p in sandbox) else []
            time.sleep(0.05)
        assert sandbox, "the grader never started its sandbox"
        time.sleep(0.5)  # into the hanging Relu
        sandbox = descendants(grader.pid)
    finally:
        grader.kill()
        grader.wait()
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in sandbox) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(_alive(p) for p in sandbox), "the sandbox outlived its grader"
    for pid in sandbox:
        try:
            os.waitpid(pid, os.WNOHANG)  # reparented to us (a subreaper): reap it
        except ChildProcessError:
            pass
    # what a killed grader cannot do itself: remove the working folder of its sandbox
    for folder in (ROOT / "work").glob("scratch-cnn-sandbox-*"):
        shutil.rmtree(folder)


def _alive(pid):
    return alive(processes(), pid)


def test_a_flood_of_output_is_harmless(tmp_path, honest):
    report = grade_it(submission(tmp_path, "flood.py"))
    assert_harmless(report, honest)
    assert "flood flood" not in json.dumps(results.rich_json(report))


@pytest.mark.parametrize(("strategy", "phrase"), [
    ("pickle", "bytes with dtype"),
    ("pickled_object_array", "dtype object is not numeric"),
    ("raising_array", "no array for you"),
    ("huge", "bytes of arrays, more than the 64 MB a call may return"),
    ("complex128", "dtype complex128 is not numeric"),
    # a lying subclass or __array__, int, bool, float16, NaN, inf: their own numbers count
    ("wrong_numbers", "elements differ"),
])
def test_what_relu_returns_is_checked_in_the_parent(tmp_path, strategy, phrase):
    # 100 MB made three times (a warm-up call, the call, the copy of what it returned) takes
    # a while on a busy machine: the size cap, not the clock, must refuse it
    slow = {"timeout": 20.0} if strategy == "huge" else {}
    report = grade_it(submission(tmp_path, "bad_outputs.py", strategy), **slow)
    assert points(report, "Relu") < honest_points("Relu"), text(report)
    assert full(report, "Affine"), text(report)
    assert phrase in text(report), text(report)


def test_patched_numpy_builtins_and_a_fake_torch_change_nothing(tmp_path, honest):
    report = grade_it(submission(tmp_path, "patch_libraries.py"))
    assert_harmless(report, honest,
                    "the submission replaced numpy.allclose; the original was put back",
                    "the submission replaced builtins.isinstance; the original was put back")


@pytest.mark.parametrize("strategy", ["plain", "hide"])
def test_mutating_the_inputs_costs_relus_contract_even_when_the_check_is_patched(tmp_path,
                                                                               strategy):
    """The values are right, so only the array contract's line is lost; the parent judges the
    inputs that came back, so patching anything in the child changes nothing."""
    report = grade_it(submission(tmp_path, "mutate_inputs.py", strategy))
    contract = sum(t.max_score for t in report.tests
                   if t.component == "Relu" and t.behaviour == "array_contract")
    assert 0 < contract < honest_points("Relu")
    assert points(report, "Relu") == pytest.approx(honest_points("Relu") - contract), text(report)
    assert full(report, "Affine"), text(report)
    assert "it modified its input `x` in place" in text(report)


def test_fake_results_never_reach_the_graders_output(tmp_path, honest, capsys):
    out = tmp_path / "out"
    out.mkdir()
    path = submission(tmp_path, "escape.py")
    rubric_file = tmp_path / "rubric.toml"
    rubric_file.write_text('hidden = false\ntimeout = 1\n[points]\nRelu = 5\nAffine = 10\n')
    assert main(["grade", str(path), "--rubric", str(rubric_file), "--seed", "1",
                 "-o", str(out / "results.json"), "-q"]) == 0
    data = json.loads((out / "results.json").read_text())
    assert data["score"] == 15, "the grader's own results, with the honest score"
    assert sorted(os.listdir(out)) == ["results.json"]
    assert not (tmp_path / "results.json").exists()
    assert not os.path.exists("/autograder/results/results.json") or \
        json.loads(Path("/autograder/results/results.json").read_text()).get("score") != 1000
    assert f"the submission tried to open {out}/results.json (refused)" in data["output"]


def test_importing_torch_or_this_projects_packages_loses_relu(tmp_path):
    """Every way Python has to import a module, each tried in turn; any that worked would
    give Relu the reference's answers."""
    ways = ["import", "import_with_checkout_on_path", "importlib", "__import__", "runpy",
            "conformance_oracle", "torch", "exec_checkout_source"]
    report = grade_it(submission(tmp_path, "hunt_answers.py", "+".join(ways)))
    assert_only_relu_lost(report, "Relu raised LookupError",
                          "the submission tried to import scratch_cnn (not allowed)",
                          "the submission tried to import conformance (not allowed)",
                          "the submission tried to import torch (not allowed)",
                          "/scratch_cnn/_checks.py (refused)")
    for way in ways:
        assert f"{way}: PermissionError: not allowed while grading" in text(report), way


# ---------------------------------------------------------------------------------------------
# Beyond the list: hunting for the answers


@needs_sandbox
def test_a_copy_of_the_reference_elsewhere_is_out_of_reach(tmp_path):
    """A world-readable copy of the reference outside the checkout (ROOT/plant), as source, on
    sys.path, as a zip, found by walking the filesystem, and with the audit hook switched off
    from inside: the audit hook knows nothing of the copy, the mount namespace must hide it."""
    ways = ["exec_planted_source", "planted_copy_on_path", "zipimport", "walk_the_filesystem",
            "frames_then_import"]  # last: it switches the audit hook off
    report = grade_it(submission(tmp_path, "hunt_answers.py", "+".join(ways)))
    assert_only_relu_lost(report, "exec_planted_source: FileNotFoundError",
                          "planted_copy_on_path: ModuleNotFoundError",
                          "zipimport: ModuleNotFoundError",
                          "walk_the_filesystem: LookupError: no copy of the reference found",
                          # hidden: not found, or an installed copy's empty folder
                          "frames_then_import: ")


def test_the_parents_answers_are_not_in_the_child(tmp_path):
    ways = ["frames_for_expected", "gc_heap", "proc_parent"]
    report = grade_it(submission(tmp_path, "hunt_answers.py", "+".join(ways)))
    assert_only_relu_lost(report, "frames_for_expected: LookupError: no expected values",
                          "the submission tried gc.get_objects",
                          "/environ (refused)")


# ---------------------------------------------------------------------------------------------
# Beyond the list: forging the protocol


@pytest.mark.parametrize(("strategy", "phrase"), [
    ("answer_next_request", "an answer to another request"),
    ("garbage", "sent an answer the grader refused"),
    ("close", "Relu crashed the process"),
    ("stdout_onto_channel", "sent an answer the grader refused"),
    ("channel_away", "closed its result channel"),
])
def test_a_forged_or_broken_channel_loses_the_cases_it_broke(tmp_path, strategy, phrase):
    """On float64 input only: those cases fail, the float32 ones after them pass on a fresh
    process, and Affine is untouched."""
    # short calls: a child that closed its channel but lives on is waited for until timeout
    report = grade_it(submission(tmp_path, "forge_protocol.py", strategy), timeout=0.5)
    assert points(report, "Relu") == 2.5 and full(report, "Affine"), text(report)
    assert phrase in text(report), text(report)


def test_an_early_forged_answer_leaves_nothing_for_the_next_component(tmp_path, honest):
    """A correct answer written by Relu itself is followed by the harness's own: that stale
    frame must not become the answer to (or the failure of) Affine's first call."""
    report = grade_it(submission(tmp_path, "forge_protocol.py", "early_answer"))
    assert_harmless(report, honest)


# ---------------------------------------------------------------------------------------------
# Beyond the list: tampering with the process


@pytest.mark.parametrize(("strategy", "phrases"), [
    # what Relu changes, where harm would show: Relu's own later calls or Affine's
    ("chdir+stdout+block_signals+errors_everywhere+recursion_limit",
     ["the submission replaced sys.stdout; the original was put back",
      "the submission changed the set of blocked signals (signals); the original was put back"]),
    ("patch_inspect",
     ["the submission replaced inspect.signature; the original was put back"]),
    ("alarm", ["the submission left a timer running (signal.alarm/setitimer(ITIMER_REAL)); it "
               "was cancelled",
               "the submission changed SIGALRM (signals); the original was put back"]),
    ("cpu_timer", ["the submission left a timer running (setitimer(ITIMER_PROF))"]),
])
def test_process_state_is_put_back_after_each_call(tmp_path, honest, strategy, phrases):
    report = grade_it(submission(tmp_path, "tamper_state.py", strategy))
    assert_harmless(report, honest, *phrases)


# ---------------------------------------------------------------------------------------------
# Beyond the list: resources


def test_a_thread_left_running_cannot_starve_the_next_component(tmp_path, honest):
    """Started in Relu's last call, it would hold the GIL through Affine's calls."""
    report = grade_it(submission(tmp_path, "resources.py", "thread"))
    assert_harmless(report, honest)


def test_atexit_handlers_never_run(tmp_path, honest):
    report = grade_it(submission(tmp_path, "resources.py", "atexit"))
    assert_harmless(report, honest)


def test_a_looping_finalizer_is_charged_to_the_call_that_made_it(tmp_path):
    report = grade_it(submission(tmp_path, "resources.py", "del_loop"))
    assert full(report, "Affine"), text(report)
    assert 0 < points(report, "Relu") < 5, text(report)
    assert "Relu did not finish in time (killed)" in text(report)


def test_slow_calls_are_bounded_by_the_time_budget(tmp_path):
    report = grade_it(submission(tmp_path, "resources.py", "sleep"), time_budget=2.0)
    ran = sum(1 for _, case, behaviour in report.verdicts
              if case.startswith("Relu") and behaviour == "forward")
    assert ran < RELU_CASES, "the budget stopped Relu before all its cases"
    assert points(report, "Relu") < 5
    assert "used up its share of the grading time budget" in text(report)


def test_a_slow_component_does_not_starve_the_next_one(tmp_path):
    report = grade_it(submission(tmp_path, "resources.py", "sleep"), time_budget=2.0)
    assert full(report, "Affine"), text(report)


def test_a_flood_of_refused_attempts_does_not_bloat_the_report(tmp_path):
    report = grade_it(submission(tmp_path, "resources.py", "refusal_flood"))
    assert len(results.gradescope(report)) < 100_000


@needs_sandbox
def test_filling_the_disk_stops_at_the_working_folders_cap(tmp_path):
    report = grade_it(submission(tmp_path, "resources.py", "fill_disk"))
    assert_only_relu_lost(report, "No space left on device")


# ---------------------------------------------------------------------------------------------
# Beyond the list: escaping the working folder, notebooks and folders


def test_symbolic_links_in_a_folder_are_left_out_and_said(tmp_path):
    folder = tmp_path / "hw"
    folder.mkdir()
    shutil.copy(HONEST, folder / "honest_cnn.py")
    (folder / "cnn.py").write_text(
        "from honest_cnn import *\n"
        "try:\n"
        "    from ref import Relu  # the reference, if the link were followed\n"
        "except ImportError:\n"
        "    Relu = None\n"
        "with open('etc/hostname') as f:  # likewise\n"
        "    HOST = f.read()\n")
    (folder / "ref").symlink_to(CHECKOUT / "scratch_cnn")
    (folder / "etc").symlink_to("/etc")
    report = grade_it(folder, entry="cnn.py")
    assert_only_relu_lost(report, "`Relu` not found")
    assert "ref was left out: symbolic links and special files in a submission are not " \
        "copied" in text(report)
    assert "etc was left out" in text(report)


def test_a_submission_that_is_itself_a_symbolic_link_is_refused(tmp_path):
    link = tmp_path / "cnn.py"
    link.symlink_to(CHECKOUT / "conformance" / "examples" / "submission" / "cnn.py")
    with pytest.raises(SubmissionError, match="symbolic link"):
        grade_it(link)


def test_grade_batch_never_shows_one_student_anothers_file(tmp_path):
    cls = tmp_path / "class"
    cls.mkdir()
    shutil.copy(HONEST, cls / "alice.py")
    (cls / "bob.py").write_text("from alice import *  # a classmate's file, beside mine\n")
    rubric_file = tmp_path / "rubric.toml"
    rubric_file.write_text('hidden = false\ntimeout = 1\n[points]\nRelu = 5\n')
    assert main(["grade-batch", str(cls), "--jobs", "1", "--csv", str(tmp_path / "g.csv"),
                 "--out", str(tmp_path / "reports"), "--rubric", str(rubric_file),
                 "--seed", "1"]) == 0
    scores = {row.split(",")[0]: row.split(",")[2]
              for row in (tmp_path / "g.csv").read_text().splitlines()[1:]}
    assert float(scores["alice"]) == 5 and float(scores["bob"]) == 0, scores


def test_a_notebook_whose_cells_attack_still_earns_what_its_code_earns(tmp_path, honest):
    cells = [
        "from honest_cnn import *",
        "import torch",
        "import sys\nsys.exit(1)",
        "while True:\n    pass",
        "import os\nos.fork()",
        "import numpy as np\nnp.allclose = lambda *a, **k: True",
        "open('/autograder/results/results.json', 'w').write('{\"score\": 1000}')",
        "!pip install torch",
        "%%bash\nrm -rf /",
        "RESULT = 'all cells ran'",
    ]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": c, "metadata": {}, "outputs": [],
         "execution_count": i} for i, c in enumerate(cells, 1)]}
    folder = tmp_path / "nb"
    folder.mkdir()
    shutil.copy(HONEST, folder / "honest_cnn.py")
    (folder / "hw.ipynb").write_text(json.dumps(nb))
    report = grade_it(folder / "hw.ipynb")
    assert_harmless(report, honest,
                    "cell 2: PermissionError", "the submission tried to import torch",
                    "cell 3: SystemExit at line 2: the code called sys.exit(1); the rest still ran",
                    "cell 4: Timeout", "cell 5: PermissionError",
                    "the submission replaced numpy.allclose", "cell 7: ",
                    "cell 9: skipped (cell magic %%bash)")


def test_test_files_and_conftest_in_a_folder_never_run(tmp_path, honest):
    marker = tmp_path / "executed"
    folder = tmp_path / "hw"
    (folder / "tests").mkdir(parents=True)
    shutil.copy(HONEST, folder / "honest_cnn.py")
    (folder / "cnn.py").write_text("from honest_cnn import *\n")
    evil = (f"open({str(marker)!r}, 'w').write(__file__)\n"
            "class Relu:\n    pass\n"
            "import os\nos._exit(1)\n")
    for name in ("conftest.py", "test_cnn.py", "cnn_test.py", "setup.py", "tests/test_more.py"):
        (folder / name).write_text(evil)
    report = grade_it(folder)
    assert_harmless(report, honest)
    assert not marker.exists()
