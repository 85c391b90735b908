"""`scratch-cnn prairielearn-bundle -o DIR`: an externally graded PrairieLearn question.

PrairieLearn runs the question's image with the student's files in /grade/student/, the
question's tests/ folder in /grade/tests/ and the course's shared files in
/grade/serverFilesCourse/, and reads /grade/results/results.json (docs/prairielearn.md).
The image (docker/prairielearn/Dockerfile) has the grader and ENTRY, the script below; this
command writes the question that uses it: info.json, question.html and tests/rubric.toml.
"""

import json
import math
import sys
import uuid
from pathlib import Path

from .bundle import checked_requirements, default_rubric
from .rubric import RubricError, load

# The entry script. GRADE_ROOT and PYTHON exist for testing it outside a container.
ENTRY = r"""#!/usr/bin/env bash
# PrairieLearn's external grader for scratch-cnn: grades /grade/student/ with the rubric of the
# question (/grade/tests/rubric.toml) or of the course
# (/grade/serverFilesCourse/scratch_cnn/rubric.toml), else the default one, and writes
# /grade/results/results.json in PrairieLearn's format.
set -o pipefail
root="${GRADE_ROOT:-/grade}"
python="${PYTHON:-python3}"
mkdir -p "$root/results"
rubric=()
for candidate in "$root/tests/rubric.toml" "$root/serverFilesCourse/scratch_cnn/rubric.toml"; do
    if [ -f "$candidate" ]; then
        rubric=(--rubric "$candidate")
        break
    fi
done
"$python" -m conformance.cli grade "$root/student" -q --format prairielearn \
    -o "$root/results/results.json" "${rubric[@]}" 2> "$root/results/grader-errors.txt"
status=$?
cat "$root/results/grader-errors.txt" >&2
if [ ! -s "$root/results/results.json" ]; then
    # The grader could not grade (nothing submitted, a broken rubric): not gradable, so the
    # student keeps the attempt, and the reason is shown.
    "$python" - "$status" "$root/results/grader-errors.txt" "$root/results/results.json" <<'EOF'
import json, sys
status, errors, out = sys.argv[1:]
reason = open(errors, encoding="utf-8", errors="replace").read().strip()[-2000:]
message = f"The autograder could not grade this submission (exit {status})."
with open(out, "w", encoding="utf-8") as f:
    json.dump({"gradable": False, "score": 0.0, "message": message,
               "format_errors": [reason or message], "output": reason}, f)
EOF
fi
"""

INFO = {
    "type": "v3",
    "topic": "Convolutional networks",
    "tags": ["scratch-cnn", "code"],
    "singleVariant": True,
    "gradingMethod": "External",
}

QUESTION = """<pl-question-panel>
  <p>
    Upload your chapter 7 layers of <em>Deep Learning from Scratch</em>
    (<code>im2col</code>, <code>col2im</code>, <code>Convolution</code>, <code>Pooling</code>,
    ...) as <code>{files}</code>. They are checked on visible and hidden inputs; the feedback
    names the smallest failing case and a line to reproduce it
    (<code>scratch-cnn repro ...</code>).
  </p>
  <pl-file-upload file-names="{files}"></pl-file-upload>
</pl-question-panel>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""


def configure(parser):
    parser.add_argument("-o", "--output", default="prairielearn",
                        help="folder to write the question into (default prairielearn/)")
    parser.add_argument("--rubric", metavar="FILE.toml",
                        help="the rubric to grade with (default: the book's contract)")
    parser.add_argument("--image", default="scratch-cnn-prairielearn",
                        help="the image PrairieLearn pulls, built from "
                             "docker/prairielearn/Dockerfile (default scratch-cnn-prairielearn)")
    parser.add_argument("--qid", default="scratch_cnn_ch7",
                        help="the question's folder under questions/ (default scratch_cnn_ch7)")
    parser.add_argument("--files", default="cnn.py",
                        help="the file(s) students upload, comma-separated (default cnn.py)")
    parser.add_argument("--entrypoint-only", metavar="PATH",
                        help="write only the entry script, executable, to PATH (the image's "
                             "Dockerfile does this)")


def fail(message):
    print(f"scratch-cnn prairielearn-bundle: error: {message}", file=sys.stderr)
    return 2


def run(args):
    if args.entrypoint_only:
        _write(Path(args.entrypoint_only), ENTRY, executable=True)
        return 0
    try:
        rubric = load(args.rubric)
        requirements = checked_requirements(rubric)
    except RubricError as exc:
        return fail(str(exc))
    if not args.qid or any(part in ("", ".", "..") for part in args.qid.split("/")):
        return fail(f"--qid {args.qid!r} is not a question folder name")
    question = Path(args.output) / "questions" / args.qid
    info = {"uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"scratch-cnn:{args.qid}")),
            "title": "CNN layers from scratch (chapter 7)", **INFO,
            "externalGradingOptions": {
                "enabled": True, "image": args.image,
                # PrairieLearn allows at most 600 s; the grader's own budget plus start-up
                "timeout": min(600, math.ceil(rubric.time_budget) + 60)}}
    _write(question / "info.json", json.dumps(info, indent=2) + "\n")
    _write(question / "question.html", QUESTION.format(files=args.files))
    _write(question / "tests" / "rubric.toml",
           Path(args.rubric).read_text() if args.rubric else default_rubric())
    print(f"wrote {question}/: copy questions/{args.qid} into your course; build and push the "
          f"image {args.image} (docs/prairielearn.md)")
    if requirements or rubric.apt:
        pip = " ".join(requirements)
        print("the rubric lists packages: build the grader image with\n"
              f"  --build-arg PIP_REQUIREMENTS='{pip}' "
              f"--build-arg APT_PACKAGES='{' '.join(rubric.apt)}'")
    return 0


def _write(path, text, executable=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755 if executable else 0o644)
