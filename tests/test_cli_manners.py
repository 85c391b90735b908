"""What every `scratch-cnn` subcommand does the same way: --version, results on stdout,
errors on stderr, one table of exit codes, progress only where a person watches."""

import io
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from conformance import cli
from conformance.cli import COMMANDS, main
from scratch_cnn import train
from tests.buggy import bugs

VERSION = f"scratch-cnn {version('scratch-cnn')}"


def run_main(argv, capsys):
    """main(argv) in this process: (exit code, stdout, stderr); argparse's exits included."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def scratch_cnn(*argv, **kwargs):
    return subprocess.run([sys.executable, "-m", "conformance.cli", *argv], capture_output=True,
                          text=True, timeout=300, check=False, **kwargs)


# --- --version and --help -----------------------------------------------------------------
@pytest.mark.parametrize("argv", [[]] + [[name] for name in COMMANDS], ids=str)
def test_version_from_the_package_metadata(argv, capsys):
    assert run_main([*argv, "--version"], capsys) == (0, VERSION + "\n", "")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_help_documents_the_exit_codes(command, capsys):
    code, out, _ = run_main([command, "--help"], capsys)
    assert code == 0
    assert "exit status: 0 success" in " ".join(out.split())
    assert "3 internal error" in " ".join(out.split())


def test_no_command_is_a_usage_error_on_stderr(capsys):
    code, out, err = run_main([], capsys)
    assert (code, out) == (2, "")
    assert "usage: scratch-cnn" in err and "grade-batch" in err


# --- Errors: stderr, exit 2, no traceback -------------------------------------------------
@pytest.mark.parametrize("argv, message", [
    # the command line                                 a fragment of its one error line
    (["nonsense"], "invalid choice: 'nonsense'"),
    (["conformance", "--report", "report.txt"], "--report must end in .html, .json or .xml"),
    (["conformance", "--report", "/proc/no/report.html"], "cannot create /proc/no"),
    (["conformance", "--impl", "no.such.module"], "cannot load the implementation under test"),
    (["conformance", "--oracle", "reference", "-k", "NoSuchComponent"], "no test was selected"),
    (["repro"], "name a case (see --list)"),
    (["repro", "no-such-case"], "no case named 'no-such-case'"),
    (["repro", "--list", "Convolutoin"], "no component 'Convolutoin'"),
    (["grade", "no/such/file.py"], "no such file or folder"),
    (["grade-batch", "no/such/folder"], "is not a folder"),
    (["gradescope-bundle", "--rubric", "no/such/rubric.toml"], "rubric"),
    (["train", "--epochs", "0"], "--epochs must be a positive number"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_errors_go_to_stderr_with_exit_status_2(argv, message, capsys):
    code, out, err = run_main(argv, capsys)
    assert code == 2, (out, err)
    assert message in err and "error" in err.lower()
    assert "Traceback" not in err
    assert "error" not in out.lower()


def test_conformance_without_pytest_says_how_to_install_it():
    probe = ("import sys; sys.modules['pytest'] = None\n"
             "from conformance.cli import main\n"
             "sys.exit(main(['conformance', '--oracle', 'reference']))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "pytest, which is not installed" in proc.stderr
    assert "pip install" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


EXAMPLE = Path(__file__).resolve().parents[1] / "conformance" / "examples" / "submission"


@pytest.mark.parametrize("argv", [
    ["grade", str(EXAMPLE / "cnn.py"), "-o", "r.html", "--format", "html"],
    ["conformance", "--oracle", "reference", "--report", "r.html"],
], ids=["grade", "conformance"])
def test_html_without_jinja2_is_refused_before_the_work(argv, tmp_path):
    probe = ("import sys; sys.modules['jinja2'] = None\n"
             "from conformance.cli import main\n"
             f"sys.exit(main({argv!r}))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=False, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "jinja2, which is not installed" in proc.stderr and "pip install" in proc.stderr
    assert "grading" not in proc.stderr and not (tmp_path / "r.html").exists()


def test_a_bug_in_a_command_is_an_internal_error_with_its_traceback(capsys, monkeypatch):
    def broken(args):
        raise ZeroDivisionError("a bug")
    monkeypatch.setattr("conformance.repro.run", broken)
    code, out, err = run_main(["repro", "--list"], capsys)
    assert code == cli.INTERNAL_ERROR == 3
    assert "ZeroDivisionError: a bug" in err and "internal error" in err and out == ""


def test_failed_checks_exit_1_with_the_result_on_stdout(capsys, tmp_path):
    bug = next(b for b in bugs.BUGS if b.name == "relu-mask-from-dout")
    impl = bugs.write_buggy(bug, tmp_path)
    code, out, err = run_main(["repro", "Relu-3x7-normal-f64", "--oracle", "reference",
                               "--impl", str(impl)], capsys)
    assert (code, err) == (1, "")
    assert "input_gradient: FAILED" in out


# --- Progress only on a terminal; results on stdout ---------------------------------------
def test_training_in_a_log_writes_one_line_per_epoch_and_its_result_on_stdout():
    proc = scratch_cnn("train", "--epochs", "3", "--batch-size", "128")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert [line.split()[:2] for line in lines] == [["epoch", f"{n}/3"] for n in (1, 2, 3)]
    assert "\r" not in proc.stderr and len(proc.stderr) < 600  # no bar redraws
    assert proc.stdout.startswith("test accuracy ") and proc.stdout.count("\n") == 1


def test_training_quietly_prints_nothing():
    proc = scratch_cnn("train", "--epochs", "1", "--batch-size", "256", "-q")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_the_progress_is_a_bar(monkeypatch):
    pytest.importorskip("tqdm")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    bar = train._Progress("epoch 1/1", total=50, enabled=True)
    for _ in range(50):
        bar.step(loss=0.5)
    bar.finish(loss=0.5, test_acc=0.9)
    assert "50/50" in terminal.getvalue() and "\r" in terminal.getvalue()


def test_grade_batch_in_a_log_writes_lines_not_a_bar_and_quiet_writes_none(tmp_path):
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "alice.py").write_text("def im2col(*args):\n    return None\n")
    common = ["grade-batch", str(tmp_path / "class"), "--out", str(tmp_path / "out"),
              "--csv", str(tmp_path / "grades.csv"), "--seed", "1", "--force"]
    proc = scratch_cnn(*common)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "graded 1/1\n"
    assert proc.stdout.startswith("1/1 submissions graded")
    quiet = scratch_cnn(*common, "-q")
    assert (quiet.returncode, quiet.stderr) == (0, "")
    assert quiet.stdout.startswith("1/1 submissions graded")


def test_conformance_verbose_lists_every_test(capsys):
    code, out, _ = run_main(["conformance", "--oracle", "reference", "-v", "-k",
                             "Sigmoid and forward"], capsys)
    assert code == 0
    assert out.count("test_components.py::test_behaviour[forward-Sigmoid-") >= 2
    assert "PASSED" in out


def test_conformance_interrupted_exits_130(tmp_path, capsys):
    """Ctrl-C in the middle of the run (here: raised by the implementation under test)."""
    impl = tmp_path / "relu.py"
    impl.write_text("class Relu:\n    def forward(self, x):\n        raise KeyboardInterrupt\n\n"
                    "    def backward(self, dout):\n        return dout\n")
    code, _, _ = run_main(["conformance", "--oracle", "reference", "--impl", str(impl), "-k",
                           "Relu and forward"], capsys)
    assert code == cli.INTERRUPTED == 130
