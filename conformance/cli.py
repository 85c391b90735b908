"""The `scratch-cnn` command: one entry point, a module per subcommand.

Each subcommand's module provides `configure(parser)` and `run(args) -> exit code`, and is
imported only when its subcommand runs (so `scratch-cnn train` never imports torch).
The CLI lives in `conformance` because it reaches both packages, and `scratch_cnn` must not
depend on `conformance`.
"""

import argparse
import importlib
import os
import sys

COMMANDS = {
    "conformance": ("conformance.runner", "check an implementation against PyTorch"),
    "repro": ("conformance.repro", "run one case and show the comparison"),
    "grade": ("conformance.grading.cli", "grade one student submission"),
    "grade-batch": ("conformance.grading.batch", "grade a folder of submissions"),
    "gradescope-bundle": ("conformance.grading.bundle", "build a Gradescope autograder zip"),
    "assignment": ("conformance.authoring.cli",
                   "write a student starter, its rubric and its autograder"),
    "train": ("scratch_cnn.train_cli", "train a network on digits or MNIST"),
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="scratch-cnn",
        description="The CNN layers of 'Deep Learning from Scratch' in NumPy, checked against "
                    "PyTorch; a conformance suite and a grader for student code.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] not in COMMANDS:
        parser.parse_args(argv or ["--help"])
        return 2
    if argv[0] == "train":
        _limit_blas_threads(argv)
    module = importlib.import_module(COMMANDS[argv[0]][0])
    command = argparse.ArgumentParser(prog=f"scratch-cnn {argv[0]}",
                                      description=COMMANDS[argv[0]][1])
    module.configure(command)
    args = command.parse_args(argv[1:])
    return module.run(args)


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
