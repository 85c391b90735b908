"""`python tests/grade_runner.py [--weaken LAYER,...] COMMAND ARGS...`: the scratch-cnn command
line with sandbox layers switched off, for the tests that show each defence is necessary
(tests/test_isolation.py reads SCRATCH_CNN_TEST_WEAKEN and runs every grading through here).

LAYER: sandbox (no bubblewrap: the bare child), seccomp, guards (the audit hook), watchdog
(grade-batch no longer notices a stopped or stuck grading process). grade-batch's workers get
the same switches. Test-only: nothing in the package can weaken a sandbox by the
environment.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.cli import main  # noqa: E402
from conformance.grading import batch, grade, sandbox  # noqa: E402

SWITCHES = {"sandbox": {"isolation": "none"}, "seccomp": {"seccomp": False},
            "guards": {"guards": False}, "watchdog": {}}


def weaken(layers):
    settings = {}
    for layer in filter(None, layers.split(",")):
        settings.update(SWITCHES[layer])
    if "watchdog" in layers.split(","):
        batch.STOPPED_FOR = float("inf")
        batch.worker_limit = lambda *args: float("inf")

    class Weakened(sandbox.Sandbox):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, **settings})

    grade.Sandbox = Weakened
    batch.GRADE_COMMAND = [sys.executable, __file__, "--weaken", layers, "grade"]


if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv[:1] == ["--weaken"]:
        weaken(argv[1])
        argv = argv[2:]
    sys.exit(main(argv))
