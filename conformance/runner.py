"""`scratch-cnn conformance`: the suite through pytest, with the plugin's options."""

import importlib.util
import os
import sys

from .cli import CHECKS_FAILED, INTERNAL_ERROR, INTERRUPTED, OK, USAGE

REPORT_SUFFIXES = (".html", ".htm", ".json", ".xml")


def configure(parser):
    parser.add_argument("--impl", default="scratch_cnn",
                        help="what to check: a module name, a .py file, a .ipynb notebook (or "
                             "its Markdown export) or a folder (default: scratch_cnn)")
    parser.add_argument("--grid", default="quick", choices=("quick", "full"),
                        help="quick: every axis in seconds; full: every combination "
                             "(>= 5,000 cases)")
    parser.add_argument("-n", "--workers", default=None,
                        help="parallel workers (pytest-xdist), e.g. 2 or auto")
    parser.add_argument("--report", metavar="FILE",
                        help="write a report: .html (heat maps), .json, or .xml (JUnit)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the inputs (default 0)")
    parser.add_argument("--oracle", default="torch", choices=("torch", "reference"),
                        help="the right answers: PyTorch (default) or the verified reference")
    parser.add_argument("--known-differences", choices=("xfail", "fail"), default=None,
                        help="report a failure that is exactly an accepted book behaviour (or a "
                             "case outside the book's contract) as xfail, or fail it (default: "
                             "fail for scratch_cnn, xfail otherwise)")
    parser.add_argument("--random-shapes", type=float, default=0.0, metavar="SECONDS",
                        help="also check hypothesis-drawn shapes for this long per component")
    parser.add_argument("-k", dest="select", metavar="EXPR",
                        help="only tests matching this pytest -k expression")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true",
                           help="less output: failures in one line each, and the matrix")
    verbosity.add_argument("-v", "--verbose", action="store_true",
                           help="more output: one line per test")


def pytest_args(args):
    # this command imported conformance before pytest could rewrite its asserts (it uses none)
    # Plugins this run has no use for cost a third of a full grid's time (measured: 40 s of
    # CPU against 28 s): logging capture, the unraisable-exception hook, assertion rewriting
    # (the checks report through pytest.fail), hypothesis's unless shapes are drawn.
    argv = ["-p", "no:cacheprovider", "-p", "no:logging", "-p", "no:unraisableexception",
            "--assert=plain", "-p", "conformance.plugin",
            "-W", "ignore::pytest.PytestAssertRewriteWarning",
            "--pyargs", "conformance", "--cnn-impl", args.impl,
            "--cnn-grid", args.grid, "--cnn-seed", str(args.seed), "--cnn-oracle", args.oracle,
            "-rfE", "--tb=line" if args.quiet else "--tb=short"]
    if args.quiet:
        argv.append("-q")
    if args.verbose:
        argv.append("-v")
    if args.workers:
        argv += ["-n", str(args.workers)]
    if args.report:
        if args.report.endswith(".xml"):
            # xunit2 whatever the ini file of the folder it runs in says: xunit1 adds
            # attributes to <testcase> that Jenkins' junit-10.xsd does not allow
            argv += ["--junitxml", args.report, "-o", "junit_family=xunit2",
                     "-o", "junit_suite_name=scratch-cnn conformance"]
        else:
            argv += ["--cnn-report", args.report]
    if args.known_differences:
        argv += ["--cnn-known-differences", args.known_differences]
    if args.random_shapes:
        argv += ["--cnn-random-shapes", str(args.random_shapes)]
    else:
        argv += ["-p", "no:hypothesispytest"]
    if args.select:
        argv += ["-k", args.select]
    return argv


# pytest's exit codes -> this command's (conformance.cli.EXIT_CODES)
_EXIT = {0: OK, 1: CHECKS_FAILED, 2: CHECKS_FAILED,  # 2: errors while collecting
         3: INTERNAL_ERROR, 4: USAGE, 5: USAGE}


def run(args):
    """Exit 0 only if everything present conforms (missing components are reported, not
    failures); 1 if a check failed; 2 for bad usage."""
    problem = _problem(args)
    if problem:
        print(f"scratch-cnn conformance: error: {problem}", file=sys.stderr)
        return USAGE
    import pytest

    if args.workers:  # one BLAS thread per worker: the cases are small (58 s vs 62 s, README)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
    interrupt = _KeyboardInterrupt()
    code = int(pytest.main(pytest_args(args), plugins=[interrupt]))
    if code == 5:
        print("scratch-cnn conformance: error: no test was selected; check -k", file=sys.stderr)
    return INTERRUPTED if interrupt.seen else _EXIT.get(code, INTERNAL_ERROR)


class _KeyboardInterrupt:
    """pytest answers both Ctrl-C and collection errors with its exit code 2: this tells
    them apart."""

    seen = False

    def pytest_keyboard_interrupt(self):
        self.seen = True


def _problem(args):
    """What keeps this run from starting, in words, or None."""
    if importlib.util.find_spec("pytest") is None:
        return ("the conformance suite runs on pytest, which is not installed: "
                "pip install -c constraints.txt 'scratch-cnn[conformance]'")
    if args.workers and importlib.util.find_spec("xdist") is None:
        return "-n needs pytest-xdist: pip install -c constraints.txt 'scratch-cnn[conformance]'"
    if args.report:
        if not args.report.endswith(REPORT_SUFFIXES):
            return "--report must end in .html, .json or .xml"
        if args.report.endswith((".html", ".htm")) and importlib.util.find_spec("jinja2") is None:
            return ("the HTML report needs jinja2, which is not installed: "
                    "pip install -c constraints.txt 'scratch-cnn[conformance]'")
        return _unwritable(args.report)
    return None


def _unwritable(path):
    """Why the report cannot be written there, found before the run rather than after it."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        return f"--report {path}: cannot create {folder} ({exc.strerror}); choose another place"
    if os.path.isdir(path):
        return f"--report {path} is a folder: give a file name"
    if not os.access(folder, os.W_OK):
        return f"--report {path}: {folder} is not writable; choose another place"
    return None
