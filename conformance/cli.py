"""The `scratch-cnn` command: one entry point, a module per subcommand.

Each subcommand's module provides `configure(parser)` and `run(args) -> exit code`, and is
imported only when its subcommand runs (so `scratch-cnn train` never imports torch).
The CLI lives in `conformance` because it reaches both packages, and `scratch_cnn` must not
depend on `conformance`.

Every subcommand follows one table of exit codes (EXIT_CODES, also in the README and in each
`--help`), prints its results on stdout and its errors on stderr.
"""

import argparse
import importlib
import os
import sys
import traceback

COMMANDS = {
    "conformance": ("conformance.runner", "check an implementation against PyTorch"),
    "repro": ("conformance.repro", "run one case and show the comparison"),
    "grade": ("conformance.grading.cli", "grade one student submission"),
    "grade-batch": ("conformance.grading.batch", "grade a folder of submissions"),
    "gradescope-bundle": ("conformance.grading.bundle", "build a Gradescope autograder zip"),
    "prairielearn-bundle": ("conformance.grading.prairielearn",
                            "write a PrairieLearn question graded by the scratch-cnn image"),
    "assignment": ("conformance.authoring.cli",
                   "write a student starter, its rubric and its autograder"),
    "doctor": ("conformance.grading.doctor", "check the isolation this machine gives the grader"),
    "train": ("scratch_cnn.train_cli", "train a network on digits or MNIST"),
}

OK, CHECKS_FAILED, USAGE, INTERNAL_ERROR, INTERRUPTED = 0, 1, 2, 3, 130
EXIT_CODES = (
    "exit status: 0 success (for grade and grade-batch: grading completed, whatever the "
    "grades); 1 checks failed (conformance, repro) or a training run failed; 2 bad usage or "
    "input, or a missing optional dependency; 3 internal error (a bug in scratch-cnn: please "
    "report it with the traceback); 130 interrupted")


def version():
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return f"scratch-cnn {installed_version('scratch-cnn')}"
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "scratch-cnn (version unknown: the package is not installed)"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="scratch-cnn", epilog=EXIT_CODES,
        description="The CNN layers of 'Deep Learning from Scratch' in NumPy, checked against "
                    "PyTorch; a conformance suite and a grader for student code.")
    parser.add_argument("--version", action="version", version=version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv:
        parser.print_help(sys.stderr)
        return USAGE
    if argv[0] not in COMMANDS:
        parser.parse_args(argv)  # --help, --version, or an error naming the commands: exits
        return USAGE
    name = argv[0]
    if name == "train":
        _limit_blas_threads(argv)
    command = argparse.ArgumentParser(prog=f"scratch-cnn {name}",
                                      description=COMMANDS[name][1], epilog=EXIT_CODES)
    command.add_argument("--version", action="version", version=version())
    try:
        module = importlib.import_module(COMMANDS[name][0])
        module.configure(command)
        args = command.parse_args(argv[1:])
        return module.run(args)
    except KeyboardInterrupt:
        print(f"scratch-cnn {name}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception:  # a bug of ours: say so, with what a bug report needs
        traceback.print_exc()
        print(f"scratch-cnn {name}: internal error (a bug in scratch-cnn, not in your input): "
              f"please report it with the traceback above and {version()}", file=sys.stderr)
        return INTERNAL_ERROR


def _limit_blas_threads(argv):
    """Training's matrices are small: a second BLAS thread barely helps on an idle machine and
    spin-waits on a busy one (measured: up to 10x slower). The thread variables take effect
    only before NumPy loads, so they are set here, before the command is imported:
    --threads N (default 1); a value already in the environment wins over the default."""
    threads = None
    if "--threads" in argv[:-1]:
        threads = argv[argv.index("--threads") + 1]
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if threads is not None:
            os.environ[var] = threads
        else:
            os.environ.setdefault(var, "1")


if __name__ == "__main__":
    sys.exit(main())
