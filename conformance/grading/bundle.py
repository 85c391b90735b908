"""`scratch-cnn gradescope-bundle -o autograder.zip`: the autograder Gradescope runs.

The zip holds setup.sh (a virtual environment with NumPy), run_autograder (which calls
`scratch-cnn grade` on /autograder/submission and writes /autograder/results/results.json),
the rubric, and this project's two packages, vendored, so the bundle needs nothing from PyPI
but NumPy.
"""

import os
import shutil
import sys
import zipfile
from pathlib import Path

import conformance
import scratch_cnn

from .rubric import RubricError, load

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image.
set -euo pipefail
apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip > /dev/null
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet {requirements}
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT and PYTHON exist for testing.
set -uo pipefail
root="${{AUTOGRADER_ROOT:-/autograder}}"
python="${{PYTHON:-$root/venv/bin/python}}"
mkdir -p "$root/results"
cd "$root/source"
PYTHONPATH="$root/source/vendor" "$python" -m conformance.cli grade "$root/submission" \\
    -o "$root/results/results.json" --rubric "$root/source/rubric.toml"{oracle}
status=$?
if [ ! -s "$root/results/results.json" ]; then
    # the grader itself failed: say so on Gradescope instead of showing nothing
    message="The autograder could not run (exit $status). Please tell your instructor."
    printf '{{"score": 0, "output": "%s"}}' "$message" > "$root/results/results.json"
fi
"""


def configure(parser):
    parser.add_argument("-o", "--output", default="autograder.zip", help="the zip to write")
    parser.add_argument("--rubric", metavar="FILE.toml",
                        help="the rubric to grade with (default: the book's contract)")
    parser.add_argument("--oracle", choices=("reference", "torch"), default="reference",
                        help="reference (NumPy only, default) or torch (installs PyTorch on "
                             "Gradescope)")


def run(args):
    try:
        load(args.rubric)  # refuse a broken rubric now, not on Gradescope
    except RubricError as exc:
        print(f"scratch-cnn gradescope-bundle: error: {exc}", file=sys.stderr)
        return 2
    requirements = "'numpy>=1.23' 'tomli>=2; python_version < \"3.11\"'"
    if args.oracle == "torch":
        requirements += " 'torch>=2.1'"
    oracle = " --oracle torch" if args.oracle == "torch" else ""
    rubric_text = Path(args.rubric).read_text() if args.rubric else _default_rubric()
    tmp = f"{args.output}.tmp-{os.getpid()}"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        _add_text(z, "setup.sh", SETUP.format(requirements=requirements), executable=True)
        _add_text(z, "run_autograder", RUN.format(oracle=oracle), executable=True)
        _add_text(z, "rubric.toml", rubric_text)
        for package in (scratch_cnn, conformance):
            _add_package(z, Path(package.__file__).parent)
    shutil.move(tmp, args.output)
    print(f"wrote {args.output}: upload it as the autograder of a Gradescope programming "
          f"assignment (Ubuntu base image)")
    return 0


def _default_rubric():
    return (Path(conformance.__file__).parent / "examples" / "rubric.toml").read_text()


def _add_text(z, name, text, executable=False):
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o755 if executable else 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, text)


def _add_package(z, folder):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            z.write(path, f"vendor/{folder.name}/{path.relative_to(folder)}")
