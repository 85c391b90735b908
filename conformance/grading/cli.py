"""`scratch-cnn grade SUBMISSION`: grade one submission. Exit 0 whenever grading completed,
whatever the grade; 2 when the grader could not run (bad arguments, unreadable submission)."""

import os
import sys

from .. import pages
from ..untrusted import visible
from . import output_path, results
from .rubric import RubricError, load


def configure(parser):
    parser.add_argument("submission", help="a .py file, a .ipynb notebook (or its Markdown "
                                           "export) or a folder")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the results here (Gradescope's results.json by default)")
    parser.add_argument("--format", choices=results.FORMATS, default=None,
                        help="format of -o: gradescope (default), prairielearn, json, junit, "
                             "text or html")
    parser.add_argument("--html", metavar="FILE",
                        help="also write the report as a standalone HTML page (needs jinja2)")
    parser.add_argument("--rubric", metavar="FILE.toml", help="points, grid, hidden tests, "
                        "accepted book differences, aliases (default: the book's contract)")
    parser.add_argument("--oracle", choices=("reference", "torch"), default=None,
                        help="the right answers: the verified reference (NumPy only, default) "
                             "or PyTorch")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the hidden inputs, instead of the one derived from the "
                             "rubric's secret (for tests)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per call into the submission (default 5)")
    parser.add_argument("--memory", type=int, default=None, metavar="MB",
                        help="memory limit of the submission's process (default 1024)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary on the terminal")
    parser.add_argument("--no-siblings", action="store_true",
                        help="for a single file, do not copy the .py files beside it (when the "
                             "folder holds other students' files)")


def fail(message):
    print(visible(f"scratch-cnn grade: error: {message}"), file=sys.stderr)
    return 2


def run(args):
    from .grade import grade
    from .sandbox import SandboxError

    if not os.path.exists(args.submission):
        return fail(f"{args.submission}: no such file or folder")
    if args.format and not args.output:
        return fail("--format applies to -o FILE; give -o as well")
    if args.format == "html" or args.html:
        try:
            pages.require_jinja()
        except pages.MissingJinja as exc:  # before grading, not after it
            return fail(str(exc))
    for value, name in ((args.timeout, "--timeout"), (args.memory, "--memory")):
        if value is not None and value <= 0:
            return fail(f"{name} must be positive")
    try:
        rubric = load(args.rubric)
    except RubricError as exc:
        return fail(str(exc))
    outputs = [(path, fmt) for path, fmt in ((args.output, args.format or "gradescope"),
                                             (args.html, "html")) if path]
    for path, fmt in outputs:  # before grading: a bad path costs nothing, a stale file is gone
        try:
            output_path.prepare(path, fmt)
        except output_path.OutputPathError as exc:
            return fail(str(exc))

    def progress(component, hidden):
        if not args.quiet:
            print(f"grading {component} ({'hidden' if hidden else 'visible'} inputs)...",
                  file=sys.stderr, flush=True)

    try:
        report = grade(args.submission, rubric, oracle=args.oracle, seed=args.seed,
                       timeout=args.timeout, memory_mb=args.memory, progress=progress,
                       copy_siblings=not args.no_siblings)
    except (SandboxError, RuntimeError, ValueError) as exc:
        return fail(str(exc))
    report.submission = visible(report.submission, newlines=False)  # a name not in UTF-8
    for path, fmt in outputs:
        try:
            results.write(report, path, fmt)
        except OSError as exc:
            return fail(f"cannot write {path} ({exc.strerror or exc})")
    if not args.quiet:
        # student text is data: no control character reaches the terminal
        print(visible(results.text(report)))
        for path, _ in outputs:
            print(visible(f"results written to {path}"))
    return 0
