"""`scratch-cnn conformance`: the suite through pytest, with the plugin's options."""

import importlib.util
import os


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
    parser.add_argument("-q", "--quiet", action="store_true", help="less output")


def pytest_args(args):
    # this command imported conformance before pytest could rewrite its asserts (it uses none)
    argv = ["-p", "no:cacheprovider", "-p", "conformance.plugin",
            "-W", "ignore::pytest.PytestAssertRewriteWarning",
            "--pyargs", "conformance", "--cnn-impl", args.impl,
            "--cnn-grid", args.grid, "--cnn-seed", str(args.seed), "--cnn-oracle", args.oracle,
            "-rfE", "--tb=line" if args.quiet else "--tb=short"]
    if args.quiet:
        argv.append("-q")
    if args.workers:
        argv += ["-n", str(args.workers)]
    if args.report:
        if args.report.endswith(".xml"):
            argv += ["--junitxml", args.report]
        else:
            argv += ["--cnn-report", args.report]
    if args.known_differences:
        argv += ["--cnn-known-differences", args.known_differences]
    if args.random_shapes:
        argv += ["--cnn-random-shapes", str(args.random_shapes)]
    if args.select:
        argv += ["-k", args.select]
    return argv


def run(args):
    """Exit 0 only if everything present conforms (missing components are reported, not
    failures)."""
    import pytest

    if args.workers and importlib.util.find_spec("xdist") is None:
        print("scratch-cnn conformance: error: -n needs pytest-xdist; "
              "pip install 'scratch-cnn[conformance]'")
        return 2
    if args.report and not args.report.endswith((".html", ".htm", ".json", ".xml")):
        print("scratch-cnn conformance: error: --report must end in .html, .json or .xml")
        return 2
    if args.workers:  # one BLAS thread per worker: the cases are small (58 s vs 62 s, README)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
    return int(pytest.main(pytest_args(args)))
