"""`scratch-cnn assignment --components im2col,Convolution,Pooling -o dist/`: the student
starter (a notebook or a .py file), its rubric (points for those components only) and the
Gradescope autograder built from that rubric by `scratch-cnn gradescope-bundle`."""

import argparse
import secrets
import sys
from pathlib import Path

from ..divergences import all_differences
from ..files import write_text_atomic
from ..grading import bundle
from ..grading.rubric import DEFAULT_POINTS, Rubric, RubricError, load
from . import starter


def configure(parser):
    parser.add_argument("--components", required=True, metavar="A,B,...",
                        help="the components students write, comma-separated "
                             f"({', '.join(starter.supported())})")
    parser.add_argument("--format", choices=starter.FORMATS, default="ipynb",
                        help="the starter: a notebook (default) or a .py file")
    parser.add_argument("-o", "--output", default="dist", metavar="DIR",
                        help="the folder to write into (default dist/)")
    parser.add_argument("--name", default="cnn", metavar="STEM",
                        help="the starter's file name without its suffix (default cnn)")
    parser.add_argument("--title", default="Chapter 7: a convolutional network in NumPy",
                        help="the assignment's title, at the top of the starter")
    parser.add_argument("--force", action="store_true",
                        help="overwrite the files of an earlier run in DIR")


def fail(message):
    print(f"scratch-cnn assignment: error: {message}", file=sys.stderr)
    return 2


def run(args):
    components = list(dict.fromkeys(c.strip() for c in args.components.split(",") if c.strip()))
    if not components:
        return fail("--components is empty; name at least one of "
                    f"{', '.join(starter.supported())}")
    if not args.name.isidentifier():
        return fail(f"--name {args.name!r} must be a Python identifier (it is the module name "
                    f"students may import)")
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        return fail(f"{out} exists and is not a folder; give -o a folder")
    filename = f"{args.name}.{args.format}"
    # the book's order, whatever the order asked in
    rubric = Rubric(points={c: DEFAULT_POINTS.get(c, 10) for c in starter.supported()
                            if c in components},
                    secret=secrets.token_urlsafe(24))  # fresh per assignment: see the rubric
    files = {"starter": out / filename, "rubric": out / "rubric.toml",
             "bundle": out / "autograder.zip"}
    existing = [str(p) for p in files.values() if p.exists()]
    if existing and not args.force:
        return fail(f"{', '.join(existing)} already exist; use --force to overwrite them")
    try:
        plan = starter.plan(components, filename=filename, title=args.title,
                            seed=rubric.visible_seed, grid=rubric.grid, points=rubric.points)
        text = (starter.notebook(plan) if args.format == "ipynb"
                else starter.python_file(plan))
        rubric_text = starter.render("rubric.toml.j2", title=args.title, rubric=rubric,
                                     differences={n: rubric.policy_of(n)
                                                  for n in all_differences()})
    except starter.AuthoringError as exc:
        return fail(str(exc))
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(files["starter"], text)
    write_text_atomic(files["rubric"], rubric_text)
    try:
        load(files["rubric"])  # what the grader will read: refuse it here if it is wrong
    except RubricError as exc:
        return fail(f"the rubric written is not valid (a bug, please report it): {exc}")
    given = ", ".join(d.name for d in plan.given) or "nothing"
    print(f"wrote {files['starter']}: the starter ({', '.join(plan.exercise_names)} to write; "
          f"given: {given})")
    print(f"wrote {files['rubric']}: {sum(rubric.points.values()):g} points over "
          f"{', '.join(rubric.points)}")
    status = _bundle(files["bundle"], files["rubric"])
    if status:
        return status
    print(f"Next: hand out {filename}; upload {files['bundle'].name} as the Gradescope "
          f"autograder, or grade a class with `scratch-cnn grade-batch FOLDER --rubric "
          f"{files['rubric']} --similarity --similarity-base {files['starter']}`.")
    return 0


def _bundle(path, rubric_path):
    """`scratch-cnn gradescope-bundle -o PATH --rubric RUBRIC`, through its own parser so that
    its defaults and checks apply."""
    parser = argparse.ArgumentParser(prog="scratch-cnn gradescope-bundle")
    bundle.configure(parser)
    return bundle.run(parser.parse_args(["-o", str(path), "--rubric", str(rubric_path)]))
