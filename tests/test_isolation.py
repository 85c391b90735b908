"""The attacks of issue 9, one test per class, each graded as root and as an unprivileged user.

Every grading runs `scratch-cnn grade` (or grade-batch) in a process of its own, through
tests/grade_runner.py: as root directly, as the user through tests/unprivileged.py (a private
mount namespace, then setpriv). The submissions are tests/grading_fixtures/isolation/attacks.py
with one STRATEGY each, built on the honest example. After every test no process of the
grading is left and no working folder.

To show that a defence is necessary, switch it off for every grading here and see which tests
fail: SCRATCH_CNN_TEST_WEAKEN=sandbox (or seccomp, guards, or several, comma-separated)
pytest tests/test_isolation.py. docs/isolation.md lists what fails without each.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conformance.grading import isolation, output_path, staging

from . import unprivileged
from .helpers import descendants, nest_folders, processes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the sandbox relies on Linux")

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
RUNNER = HERE / "grade_runner.py"
ATTACKS = HERE / "grading_fixtures" / "isolation" / "attacks.py"
HONEST = CHECKOUT / "conformance" / "examples" / "submission" / "cnn.py"
WEAKEN = os.environ.get("SCRATCH_CNN_TEST_WEAKEN", "")
MARKER = "isolation-marker-5813"
SECRET_NAME = "SCRATCH_CNN_GRADING_SECRET"
SECRET = "secret-31415926-never-shown"
IS_ROOT = os.geteuid() == 0
MACHINE = isolation.machine()
RUBRIC = 'hidden = false\ntimeout = {timeout}\ntime_budget = 60\nentry = "attacks.py"\n' \
         '[points]\nRelu = 5\n'


@pytest.fixture(params=["root", "user"])
def place(request):
    """A folder of the test's own, and who grades in it: root, or an unprivileged user."""
    if request.param == "root" and not IS_ROOT:
        pytest.skip("the grader runs as root only when the tests do")
    if request.param == "user" and IS_ROOT:
        try:
            unprivileged.ensure_user()
        except (KeyError, OSError) as exc:
            pytest.skip(f"cannot create a user to run the grader as ({exc})")
    folder = unprivileged.user_folder() if request.param == "user" else \
        Path(tempfile.mkdtemp(prefix="scratch-cnn-root-"))
    folder.chmod(0o755)
    where = Place(folder, request.param)
    yield where
    try:
        where.assert_nothing_left()
    finally:
        staging.remove_tree(folder)


class Place:
    def __init__(self, folder: Path, mode: str):
        self.folder, self.mode = folder, mode
        self.work = folder / "work"  # the grader's TMPDIR: its sandboxes' folders go here
        self.work.mkdir()
        self.out = folder / "out"
        self.out.mkdir()
        unprivileged.give_to_user(self.work, self.out)

    # -- submissions
    def submission(self, strategy, name="sub", **config) -> Path:
        """A folder with the attack, the honest module it builds on, and its configuration."""
        folder = self.folder / name
        folder.mkdir(parents=True)
        shutil.copy(ATTACKS, folder / "attacks.py")
        shutil.copy(HONEST, folder / "honest_cnn.py")
        settings = {"strategy": strategy, "marker": MARKER, "checkout": str(CHECKOUT),
                    "planted": str(self.folder / "plant"), "target": str(self.folder / "target"),
                    "secret_name": SECRET_NAME, "memory_cap_mb": 300, "seconds": 1.0,
                    "scope": str(self.folder), **config}
        (folder / "adv_config.py").write_text(f"CONFIG = {settings!r}\n")
        unprivileged.give_to_user(folder)
        return folder

    def rubric(self, timeout=2.0) -> Path:
        path = self.folder / "rubric.toml"
        path.write_text(RUBRIC.format(timeout=timeout))
        path.chmod(0o644)
        return path

    # -- running the grader
    def command(self, args, read_only=(), full=()):
        argv = [sys.executable, str(RUNNER)] + (["--weaken", WEAKEN] if WEAKEN else []) + args
        if self.mode == "user":
            return unprivileged.command(argv, readable=[self.folder], read_only=read_only,
                                        full=full)
        if read_only or full:
            return unprivileged.as_root_in_namespace(argv, read_only=read_only, full=full)
        return argv

    def env(self):
        return {**unprivileged.env(), "TMPDIR": str(self.work), SECRET_NAME: SECRET,
                "PYTHONDONTWRITEBYTECODE": "1"}

    def grade(self, submission, *extra, fmt="json", timeout=2.0, read_only=(), full=()):
        """Run `scratch-cnn grade`; (completed process, results as JSON or text or None)."""
        out = self.out / ("results." + {"text": "txt", "html": "html"}.get(fmt, "json"))
        args = ["grade", str(submission), "--rubric", str(self.rubric(timeout)), "--seed", "1",
                "-o", str(out), "--format", fmt, *extra]
        proc = subprocess.run(self.command(args, read_only, full), env=self.env(),
                              capture_output=True, text=True, timeout=600, cwd=CHECKOUT)
        result = None
        if out.exists():
            text = out.read_text(encoding="utf-8")
            result = json.loads(text) if fmt in ("json", "gradescope") else text
        return proc, result

    def start_grading(self, submission, timeout):
        args = ["grade", str(submission), "--rubric", str(self.rubric(timeout)), "--seed", "1",
                "-o", str(self.out / "results.json"), "-q"]
        return subprocess.Popen(self.command(args), env=self.env(), cwd=CHECKOUT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def batch(self, classroom, *extra, timeout=2.0, jobs=2):
        csv_path = self.out / "grades.csv"
        args = ["grade-batch", str(classroom), "--out", str(self.out / "reports"), "--csv",
                str(csv_path), "--rubric", str(self.rubric(timeout)), "--seed", "1",
                "--jobs", str(jobs), *extra]
        proc = subprocess.run(self.command(args), env=self.env(), capture_output=True,
                              timeout=900, cwd=CHECKOUT)
        rows = {}
        if csv_path.exists():
            for row in csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8"))):
                rows[row["student"]] = row
        return proc, rows

    # -- afterwards
    def leftovers(self):
        found = []
        for pid, cmd in _processes().items():
            try:
                cwd = os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                cwd = ""
            if MARKER in cmd or str(self.folder) in cmd or cwd.startswith(str(self.folder)):
                found.append(f"{pid}: {cmd[:200]}")
        return found

    def assert_nothing_left(self):
        deadline = time.monotonic() + 10
        while self.leftovers() and time.monotonic() < deadline:
            time.sleep(0.1)
        left = self.leftovers()
        for line in left:  # after a run with a defence switched off: clean up, then fail
            try:
                os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)
            except OSError:
                pass
        assert left == [], "the grading left processes running"
        assert list(self.work.glob("scratch-cnn-sandbox-*")) == [], \
            "the grading left a working folder"


def _processes():
    """pid -> command line of every live process."""
    return {pid: cmd for pid, (_ppid, state, _uid, cmd) in processes().items()
            if state not in "ZX"}


def relu(results) -> float:
    return results["components"]["Relu"]["score"]


def feedback(results) -> str:
    return json.dumps(results, ensure_ascii=False)


def wait_for_sandbox(grader, seconds=60):
    """The grader's descendants once its sandbox runs the submission's code."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and grader.poll() is None:
        found = descendants(grader.pid)
        if found and any("child/main.py" in _processes().get(p, "") for p in found):
            time.sleep(2.0)  # loaded, and into Relu's endless forward
            return descendants(grader.pid)
        time.sleep(0.05)
    raise AssertionError("the grader never started its sandbox")


# ---------------------------------------------------------------------------------------------
# Forged scores, the reference, the secret


def test_writes_outside_its_folder_reach_nothing(place):
    """dir_fd after a chdir, absolute paths, links: none reaches a folder outside (a stand-in
    for the grader's site-packages, where a .pth would forge every later grading)."""
    target = place.folder / "target"
    target.mkdir()
    target.chmod(0o777)
    proc, results = place.grade(place.submission("write_outside"))
    assert proc.returncode == 0, proc.stderr
    assert relu(results) == 5, feedback(results)
    assert list(target.iterdir()) == []


def test_the_reference_and_every_copy_of_it_are_out_of_reach(place):
    """Import after switching the hook off (object.__subclasses__), the checkout, a world-
    readable copy elsewhere, any copy found by listing folders through descriptors."""
    shutil.copytree(CHECKOUT / "scratch_cnn", place.folder / "plant" / "refcopy",
                    ignore=shutil.ignore_patterns("__pycache__", "datasets"))
    for path in [place.folder / "plant", *(place.folder / "plant").rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    proc, results = place.grade(place.submission("steal_reference"), timeout=5.0)
    assert proc.returncode == 0, proc.stderr
    assert relu(results) == 0, feedback(results)
    assert "no copy of the reference found" in feedback(results)


def test_forbidden_packages_are_hidden_wherever_they_are_installed(place):
    """torch and the rest, hook switched off, imported from every package folder the sandbox
    shows, not only the grader's own (a venv made from pyenv's Python does not list the base
    installation's site-packages, where torch may be)."""
    forbidden = ["torch", "scipy.signal", "jax", "scratch_cnn", "conformance"]
    proc, results = place.grade(place.submission("import_forbidden", forbidden=forbidden),
                                timeout=30.0)
    assert proc.returncode == 0, proc.stderr
    assert "package folders; imported: none" in feedback(results), feedback(results)


def test_every_installed_copy_of_a_forbidden_package_is_found(tmp_path):
    """The search behind the test above, where the copies are known: a package, a submodule
    and a module file, in site-packages and dist-packages folders under a prefix."""
    from conformance.grading import launcher

    site = tmp_path / "lib" / "python3.11" / "site-packages"
    dist = tmp_path / "local" / "lib" / "python3.11" / "dist-packages"
    for path in (site / "torch" / "__init__.py", site / "scipy" / "signal" / "__init__.py",
                 dist / "jax.py"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    folders = launcher.package_dirs([tmp_path])
    assert set(folders) == {str(site), str(dist)}
    found = set()
    for name in ("torch", "scipy.signal", "jax", "keras"):
        found |= launcher.installed_copies(name, folders)
    assert found == {str(site / "torch"), str(site / "scipy" / "signal"), str(dist / "jax.py")}


def test_the_grading_secret_is_out_of_reach(place):
    """Not in its environment, not in any process's /proc/<pid>/environ it can open: so not in
    the feedback either."""
    proc, results = place.grade(place.submission("steal_secret"))
    assert proc.returncode == 0, proc.stderr
    assert SECRET not in feedback(results) + proc.stdout + proc.stderr
    assert "no secret found" in feedback(results)


def test_hiding_an_input_mutation_gains_nothing(place):
    """Relu clips its input in place, then rewrites every copy of the inputs it can find in
    the harness's frames: the grader reads the inputs back itself."""
    proc, results = place.grade(place.submission("mutate_and_hide"))
    assert proc.returncode == 0, proc.stderr
    assert relu(results) < 5, feedback(results)
    assert "it modified its input `x` in place" in feedback(results)


# ---------------------------------------------------------------------------------------------
# Memory, processes, other students, the grader


def test_memory_outside_the_limit_cannot_be_held(place):
    """memfd_create, /dev/shm, System V shared memory, its own folder: what it holds outside
    its address-space limit stays within its folder's cap (64 MB of files, plus its size)."""
    proc, results = place.grade(place.submission("hold_memory"), "--memory", "400")
    assert proc.returncode == 0, proc.stderr
    held = re.search(r"held (\d+) MB outside the limit", feedback(results))
    assert held, feedback(results)
    assert int(held.group(1)) <= 100, held.group(0)


def test_files_cannot_hold_kernel_memory_either(place):
    """Empty files in its folder cost no bytes of its size cap but hold kernel memory: the
    grader counts them and stops the submission past its allowance."""
    proc, results = place.grade(place.submission("many_files", files=30_000), timeout=10.0)
    assert proc.returncode == 0, proc.stderr
    assert relu(results) == 0, feedback(results)
    assert "files and folders in its folder, more than the" in feedback(results)


def _classroom(place, **students):
    classroom = place.folder / "class"
    for name, (strategy, config) in students.items():
        place.submission(strategy, name=f"class/{name}", **config)
    unprivileged.give_to_user(classroom)
    return classroom


def test_no_student_can_touch_anothers_grading(place):
    """grade-batch --jobs 2: one student kills every sandbox and stops every grading process
    it can see while its classmate is graded; the classmate keeps full points, every row is
    written."""
    classroom = _classroom(place, attacker=("interfere", {"seconds": 1.5}),
                           victim=("honest", {}))
    proc, rows = place.batch(classroom, timeout=3.0)
    assert proc.returncode == 0, proc.stderr
    assert set(rows) == {"attacker", "victim"}, rows
    assert rows["victim"]["status"] == "graded" and float(rows["victim"]["score"]) == 5, rows


def test_the_submission_cannot_kill_its_grader(place):
    proc, results = place.grade(place.submission("kill_grader"))
    assert proc.returncode == 0, proc.stderr
    assert relu(results) == 5, feedback(results)


def test_nothing_of_a_submission_outlives_its_grader(place):
    """Its death signal cleared through ctypes, a daemon attempted, then the grader is killed
    outright (SIGKILL): nothing it started lives on."""
    grader = place.start_grading(place.submission("outlive"), timeout=60.0)
    try:
        sandbox = wait_for_sandbox(grader)
    finally:
        grader.kill()
        grader.wait()
    deadline = time.monotonic() + 10
    while any(p in _processes() for p in sandbox) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(p in _processes() for p in sandbox), "the sandbox outlived its grader"
    for folder in place.work.glob("scratch-cnn-sandbox-*"):  # a killed grader cannot
        staging.remove_tree(folder)


# ---------------------------------------------------------------------------------------------
# A batch no student can break


def test_one_students_bytes_cost_that_students_row_alone(place):
    """A lone surrogate and escape sequences in an exception message, a name that is not
    UTF-8, a link to /proc/self/pagemap, an unreadable file, 1500 nested folders, a 1.5 GB
    file, two submissions for one student, files that are not submissions, a name that a
    spreadsheet would run as a formula, hidden entries: every row is written with a clear
    reason, no control character reaches the terminal, no formula reaches the CSV, and what is
    left out is named."""
    classroom = _classroom(place, alice=("honest", {}), oscar=("odd_text", {}),
                           ulrich=("honest", {}))
    (classroom / "ulrich" / "secret.dat").write_text("unreadable")
    (classroom / "ulrich" / "secret.dat").chmod(0)
    odd = os.path.join(os.fsencode(classroom), b"n\xffme")
    shutil.copytree(classroom / "alice", os.fsdecode(odd))
    os.symlink("/proc/self/pagemap", classroom / "eve.py")
    nest_folders(place.submission("honest", name="class/frank"), 1500)
    with open(classroom / "huge.py", "wb") as f:
        f.truncate(1536 << 20)  # sparse: costs no disk
    shutil.copy(HONEST, classroom / "bob.py")
    (classroom / "bob.ipynb").write_text("{}")
    for name in ("carol.zip", "dave.PY", "notes.txt"):
        (classroom / name).write_text("not a submission")
    shutil.copy(HONEST, classroom / '=HYPERLINK("http-x","click").py')
    shutil.copy(HONEST, classroom / ".py")
    (classroom / ".DS_Store").write_text("finder")
    unprivileged.give_to_user(classroom)
    proc, rows = place.batch(classroom)
    printed = proc.stdout + proc.stderr
    assert proc.returncode == 0, printed
    assert b"\x1b" not in printed and b"\x07" not in printed
    assert rows["alice"]["status"] == "graded" and float(rows["alice"]["score"]) == 5
    assert rows["ulrich"]["status"] == "graded" and float(rows["ulrich"]["score"]) == 5
    assert rows["oscar"]["status"] == "graded" and float(rows["oscar"]["score"]) == 0
    odd_row = rows["n\\udcffme"]  # the byte that is not UTF-8, shown as Python writes it
    assert odd_row["status"] == "graded" and float(odd_row["score"]) == 5
    assert rows["frank"]["status"] == "graded"  # its files nested too deep are left out
    assert rows["huge"]["status"] == "error" and "1536 MB" in rows["huge"]["error"]
    assert "symbolic link" in rows["eve"]["error"]
    assert rows["bob"]["status"] == "skipped" and "bob.ipynb, bob.py" in rows["bob"]["error"]
    for name in ("carol", "dave", "notes"):
        assert rows[name]["status"] == "skipped", rows[name]
    assert "rename it to dave.py" in rows["dave"]["error"]
    assert all(row["isolation"] for row in rows.values() if row["status"] == "graded")
    assert rows['\'=HYPERLINK("http-x","click")']["status"] == "graded"  # shown as text
    assert not any(name.startswith(("=", "+", "-", "@")) for name in rows)
    assert b"6/12 submissions graded, 5 skipped" in printed and b"1 failed: huge" in printed
    assert b"left out (a name starting with . or _): .DS_Store, .py" in printed
    report = json.loads((place.out / "reports" / "oscar" / "results.json").read_text())
    assert "score 100 / 100" in json.dumps(report)  # the student's text, kept as data


def test_a_stopped_grading_process_is_noticed_and_the_batch_ends(place):
    """Whatever stopped it (no submission can, in a sandbox): its student is reported, every
    other row written, and the batch finishes."""
    classroom = _classroom(place, alice=("honest", {}), stuck=("outlive", {}))
    stuck = str(classroom / "stuck")
    csv_path = place.out / "grades.csv"
    args = ["grade-batch", str(classroom), "--out", str(place.out / "reports"), "--csv",
            str(csv_path), "--rubric", str(place.rubric(timeout=60.0)), "--jobs", "2"]
    batch = subprocess.Popen(place.command(args), env=place.env(), cwd=CHECKOUT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        worker = None
        deadline = time.monotonic() + 60
        while worker is None and time.monotonic() < deadline:
            worker = next((pid for pid, cmd in _processes().items()
                           if " grade " in cmd and stuck in cmd and "grade-batch" not in cmd),
                          None)
            time.sleep(0.05)
        assert worker, "the stuck student's grading never started"
        os.kill(worker, signal.SIGSTOP)
        out, err = batch.communicate(timeout=120)
    finally:
        batch.kill()
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(csv_path.read_text()))}
    assert rows["alice"]["status"] == "graded" and float(rows["alice"]["score"]) == 5
    assert rows["stuck"]["status"] == "error" and "stopped (SIGSTOP)" in rows["stuck"]["error"]
    assert b"1/2 submissions graded" in out


def test_a_submission_cannot_break_the_cleanup(place):
    """3000 nested folders (read-only ones, link loops) in its folder; a stale folder of a
    killed grader holding as many: both are removed, and the next grading works."""
    stale = place.work / "scratch-cnn-sandbox-4194303-stale"
    stale.mkdir()
    nest_folders(stale, 3000)
    unprivileged.give_to_user(stale)
    proc, results = place.grade(place.submission("deep_tree"))
    assert proc.returncode == 0, proc.stderr
    assert relu(results) == 5, feedback(results)
    proc, results = place.grade(place.submission("honest", name="again"))
    assert relu(results) == 5, feedback(results)
    assert not stale.exists()


def test_a_forged_load_report_is_reported_not_a_crash(place):
    proc, results = place.grade(place.submission("forge_load_report"))
    assert proc.returncode == 0, proc.stderr
    assert relu(results) == 0
    assert "malformed answer" in feedback(results), feedback(results)


def test_tags_in_student_text_are_data(place):
    """"[hint: ...]" in a student's exception message is only text."""
    proc, results = place.grade(place.submission("hint_tag"))
    assert proc.returncode == 0, proc.stderr
    assert relu(results) == 0 and results["tests"], feedback(results)


def test_messages_never_show_the_graders_temporary_folders(place):
    """Tracebacks and errors name the student's files relative to the submission, and no
    path of the grader's temporary folders shows (a refused write, an error, the output)."""
    proc, results = place.grade(place.submission("leak_paths"), fmt="json")
    text = feedback(results) + proc.stdout
    assert "file=attacks.py" in text and 'File \\"attacks.py\\", line' in text, text
    for leak in (str(place.work), "scratch-cnn-sandbox-"):
        assert leak not in text, leak


def test_the_working_folder_is_capped(place):
    proc, results = place.grade(place.submission("fill_disk"))
    assert proc.returncode == 0, proc.stderr
    assert relu(results) == 0, feedback(results)
    assert re.search("No space left on device|File too large", feedback(results))


def test_a_huge_submission_is_refused_before_it_is_read(place):
    huge = place.folder / "huge.py"
    with open(huge, "wb") as f:
        f.truncate(1536 << 20)
    unprivileged.give_to_user(huge)
    proc, _ = place.grade(huge)
    assert proc.returncode == 2
    assert "1536 MB, more than the 512 MB a submission may hold; nothing was copied" in \
        proc.stderr


# ---------------------------------------------------------------------------------------------
# The output path, stale results, and what every result says


@pytest.mark.parametrize("problem", ["read_only", "full"])
def test_the_output_folder_is_checked_before_grading(place, problem):
    if not IS_ROOT:
        pytest.skip("a read-only or full folder is made with a mount, which needs root")
    proc, results = place.grade(place.submission("honest"), read_only=[place.out]
                                if problem == "read_only" else (),
                                full=[place.out] if problem == "full" else ())
    assert proc.returncode == 2 and results is None
    assert ("cannot write into" if problem == "read_only" else "KB free") in proc.stderr
    assert "grading Relu" not in proc.stderr  # nothing was graded


def test_a_killed_grader_leaves_no_stale_results(place):
    stale = place.out / "results.json"
    stale.write_text(json.dumps({"score": 1000, "tests": []}))
    unprivileged.give_to_user(stale)
    grader = place.start_grading(place.submission("outlive"), timeout=60.0)
    try:
        wait_for_sandbox(grader)
    finally:
        grader.kill()
        grader.wait()
    assert json.loads(stale.read_text()) == json.loads(output_path.placeholder("gradescope"))
    for folder in place.work.glob("scratch-cnn-sandbox-*"):
        staging.remove_tree(folder)


@pytest.mark.parametrize("fmt", ["json", "gradescope", "text", "html"])
def test_every_result_says_how_it_was_isolated(place, fmt):
    proc, results = place.grade(place.submission("honest"), fmt=fmt)
    assert proc.returncode == 0, proc.stderr
    text = results if isinstance(results, str) else json.dumps(results)
    sandboxed = MACHINE.sandbox and "sandbox" not in WEAKEN.split(",")
    if not sandboxed:
        assert "audit hook only: a submission can escape" in text
    elif place.mode == "root":
        assert "full isolation (bubblewrap)" in text and "own uid per sandbox" in text
    else:
        assert "namespaces (user, mount, PID" in text
