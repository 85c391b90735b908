"""`scratch-cnn gradescope-bundle -o autograder.zip`: the autograder Gradescope runs.

The zip holds setup.sh (the rubric's apt packages, then a virtual environment with NumPy, the
rubric's requirements and, for the torch oracle, PyTorch's CPU build, every pip install pinned
by the bundle's constraints.txt), run_autograder (which calls `scratch-cnn grade` on
/autograder/submission and writes /autograder/results/results.json), the rubric, and this
project's two packages, vendored. docs/gradescope.md explains each piece.
"""

import os
import shutil
import sys
import zipfile
from pathlib import Path

import conformance
import scratch_cnn

from .rubric import RubricError, load

# The torch the oracle is checked against (constraints.txt pins the same; a test keeps them
# equal). From PyTorch's CPU index: PyPI's Linux wheel pulls ~3 GB of CUDA libraries.
TORCH_VERSION = "2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# What the grader itself needs in the bundle's environment.
GRADER_REQUIREMENTS = ["numpy>=1.23", 'tomli>=2; python_version < "3.11"']
# Python on Gradescope's Ubuntu images comes from apt, like the rubric's packages.
# bubblewrap and libseccomp2: the grader's sandbox (docs/isolation.md); where the container
# cannot make namespaces, grading still runs and every result says "audit hook only"
BASE_APT = ["python3", "python3-venv", "python3-pip", "bubblewrap", "libseccomp2"]

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# AUTOGRADER_ROOT and PYTHON exist for testing it elsewhere.
set -euo pipefail
root="${{AUTOGRADER_ROOT:-/autograder}}"
source="$root/source"

# 1. Debian/Ubuntu packages: Python, and the rubric's `apt` list. apt-get runs only if one is
#    missing (a rebuilt image, or a local test, needs no network for what is there).
missing=()
for package in {apt}; do
    if ! dpkg-query -W -f='${{Status}}' "${{package%%=*}}" 2>/dev/null | grep -q "ok installed"
    then
        missing+=("$package")
    fi
done
if [ "${{#missing[@]}}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${{missing[@]}}" > /dev/null
fi

# 2. The grader's environment: NumPy and the rubric's `requirements`, pinned by constraints.txt.
"${{PYTHON:-python3}}" -m venv "$root/venv"
pip="$root/venv/bin/pip"
{torch}"$pip" install --quiet -c "$source/constraints.txt" -r "$source/requirements.txt"
"""

TORCH = """# PyTorch's CPU build, from PyTorch's own index (PyPI's Linux wheel pulls CUDA).
"$pip" install --quiet --index-url {index} "torch=={version}"
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
                        help="the rubric to grade with (default: the book's contract); its "
                             "`requirements` and `apt` are installed by setup.sh")
    parser.add_argument("--oracle", choices=("reference", "torch"), default=None,
                        help="reference (NumPy only) or torch (installs PyTorch's CPU build on "
                             "Gradescope); default: the rubric's oracle")
    parser.add_argument("--constraints", metavar="FILE",
                        help="extra pip constraints for setup.sh (e.g. `pip freeze` of the "
                             "environment you tested the rubric in)")


def fail(message):
    print(f"scratch-cnn gradescope-bundle: error: {message}", file=sys.stderr)
    return 2


def run(args):
    try:
        rubric = load(args.rubric)  # refuse a broken rubric now, not on Gradescope
        requirements = checked_requirements(rubric)
    except RubricError as exc:
        return fail(str(exc))
    extra_constraints = ""
    if args.constraints:
        try:
            extra_constraints = Path(args.constraints).read_text()
            _check_lines(extra_constraints.splitlines(), f"--constraints {args.constraints}")
        except OSError as exc:
            return fail(f"cannot read --constraints {args.constraints}: {exc.strerror}")
        except RubricError as exc:
            return fail(str(exc))
    oracle = args.oracle or rubric.oracle
    torch = TORCH.format(index=TORCH_CPU_INDEX, version=TORCH_VERSION) if oracle == "torch" \
        else ""
    rubric_text = Path(args.rubric).read_text() if args.rubric else default_rubric()
    tmp = f"{args.output}.tmp-{os.getpid()}"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        setup = SETUP.format(apt=" ".join(BASE_APT + rubric.apt), torch=torch)
        _add_text(z, "setup.sh", setup, executable=True)
        _add_text(z, "run_autograder", RUN.format(oracle=" --oracle torch" if oracle == "torch"
                                                  else ""), executable=True)
        _add_text(z, "rubric.toml", rubric_text)
        _add_text(z, "requirements.txt", "\n".join(GRADER_REQUIREMENTS + requirements) + "\n")
        _add_text(z, "constraints.txt", constraints(extra_constraints))
        for package in (scratch_cnn, conformance):
            _add_package(z, Path(package.__file__).parent)
    shutil.move(tmp, args.output)
    print(f"wrote {args.output}: upload it as the autograder of a Gradescope programming "
          f"assignment (Ubuntu base image)")
    if rubric.hidden and rubric.hidden_visibility in ("after_due_date", "after_published"):
        print(f"note: hidden tests are {rubric.hidden_visibility!r}: Gradescope shows students "
              f"no total until then (docs/gradescope.md)")
    return 0


def checked_requirements(rubric):
    """The rubric's requirements, each parsed as pip will (PEP 508), so that a typo fails here
    and not when Gradescope builds the image."""
    _check_lines(rubric.requirements, f"{rubric.source}: requirements")
    return list(rubric.requirements)


def _check_lines(lines, where):
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ModuleNotFoundError:
        raise RubricError("checking pip requirements needs `packaging`: "
                          "pip install 'scratch-cnn[grade]'") from None
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            Requirement(text)
        except InvalidRequirement as exc:
            raise RubricError(f"{where}: {text!r} is not a package with a version pip "
                              f"accepts ({exc})") from None


def constraints(extra=""):
    """The bundle's constraints.txt: the torch pin, then the instructor's own."""
    lines = ["# Every pip install in setup.sh is pinned by this file.",
             f"torch=={TORCH_VERSION}"]
    return "\n".join(lines) + "\n" + (extra if extra.endswith("\n") or not extra
                                      else extra + "\n")


def default_rubric():
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
