"""`scratch-cnn grade-batch FOLDER`: grade a class, one submission per subfolder or file.

Each submission is graded by its own `scratch-cnn grade` process (so each has its own sandbox
and a crash of one grading cannot touch another), `--jobs` at a time. Reports go to
OUT/<name>/; a submission whose files have not changed since its report was written is not
graded again, so an interrupted batch resumes where it stopped.
"""

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from ..untrusted import visible
from . import similarity
from .rubric import DEFAULT_POINTS, RubricError, load

SUBMISSION_SUFFIXES = (".py", ".ipynb", ".md")


def configure(parser):
    parser.add_argument("folder", help="one submission per subfolder or file")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="gradings in parallel")
    parser.add_argument("--csv", default="grades.csv", help="summary CSV (default grades.csv)")
    parser.add_argument("--out", default="grades", help="per-student reports (default grades/)")
    parser.add_argument("--rubric", metavar="FILE.toml")
    parser.add_argument("--oracle", choices=("reference", "torch"), default=None)
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the hidden inputs for everyone (default: derived from the "
                             "rubric's secret)")
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument("--memory", type=int, default=None, metavar="MB")
    parser.add_argument("--force", action="store_true", help="grade again even if up to date")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress on stderr (the summary line still goes to stdout)")
    similarity.add_options(parser)


def find_submissions(folder, out):
    out = Path(out).resolve()
    found = []
    for entry in sorted(Path(folder).iterdir()):
        if entry.name.startswith((".", "_")) or entry.resolve() == out:
            continue
        if entry.is_dir() or entry.suffix in SUBMISSION_SUFFIXES:
            found.append(entry)
    return found


def fingerprint(path):
    """A digest of the submission's files: a changed submission is graded again."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        digest.update(str(file.relative_to(path.parent)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _grade_one(path, out_dir, args):
    """Grade in a separate process; keep its rich JSON and its terminal summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # --no-siblings: the files beside a single-file submission are other students'
    command = [sys.executable, "-m", "conformance.cli", "grade", str(path), "--no-siblings",
               "-o", str(out_dir / "results.json"), "--format", "json"]
    for flag, value in (("--rubric", args.rubric), ("--oracle", args.oracle),
                        ("--seed", args.seed), ("--timeout", args.timeout),
                        ("--memory", args.memory)):
        if value is not None:
            command += [flag, str(value)]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"status": "error", "error": (proc.stderr or proc.stdout).strip()[-500:]}
    _write_atomic(out_dir / "report.txt", proc.stdout)
    report = json.loads((out_dir / "results.json").read_text())
    return {"status": "graded", "score": report["score"], "max_score": report["max_score"],
            "components": report["components"]}


def _write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _progress(total, quiet):
    """A tqdm bar on a terminal; elsewhere (a log, CI) one line per submission; with --quiet
    nothing."""
    if not quiet and sys.stderr.isatty():
        try:
            from tqdm import tqdm

            return tqdm(total=total, unit="submission", file=sys.stderr)
        except ImportError:
            pass
    return _TextProgress(total, quiet)


class _TextProgress:
    def __init__(self, total, quiet):
        self.total, self.done, self.quiet = total, 0, quiet

    def update(self, n=1):
        self.done += n
        if not self.quiet:
            print(f"graded {self.done}/{self.total}", file=sys.stderr, flush=True)

    def set_postfix_str(self, text):
        pass

    def close(self):
        pass


def run(args):
    if not Path(args.folder).is_dir():
        print(f"scratch-cnn grade-batch: error: {args.folder} is not a folder", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("scratch-cnn grade-batch: error: --jobs must be >= 1", file=sys.stderr)
        return 2
    try:
        rubric = load(args.rubric)
    except RubricError as exc:
        print(f"scratch-cnn grade-batch: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    submissions = find_submissions(args.folder, out)
    if not submissions:
        print(f"scratch-cnn grade-batch: error: no submissions in {args.folder} (subfolders "
              f"or {', '.join(SUBMISSION_SUFFIXES)} files)", file=sys.stderr)
        return 2
    rows, todo = {}, []
    for path in submissions:
        meta_file = out / path.stem / "meta.json"
        digest = fingerprint(path)
        if meta_file.exists() and not args.force:
            meta = json.loads(meta_file.read_text())
            if meta.get("fingerprint") == digest and meta.get("status") == "graded":
                rows[path.stem] = meta
                continue
        todo.append((path, digest))
    bar = _progress(len(todo), args.quiet)
    if len(todo) < len(submissions) and not args.quiet:
        print(f"{len(submissions) - len(todo)} submissions already graded (use --force to "
              f"grade again)", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(_grade_one, path, out / path.stem, args): (path, digest)
                   for path, digest in todo}
        for future in as_completed(futures):
            path, digest = futures[future]
            meta = {"submission": str(path), "fingerprint": digest, **future.result()}
            _write_atomic(out / path.stem / "meta.json", json.dumps(meta, indent=1))
            rows[path.stem] = meta
            bar.set_postfix_str(visible(path.stem, newlines=False))  # a name is data
            bar.update(1)
    bar.close()
    components = list(rubric.points or DEFAULT_POINTS)
    _write_atomic(Path(args.csv).resolve(), _csv(rows, components))
    graded = sum(r.get("status") == "graded" for r in rows.values())
    print(f"{graded}/{len(rows)} submissions graded; summary in {args.csv}, reports in {out}/")
    if args.similarity:
        similarity.report_batch(submissions, out, args)
    return 0


def _csv(rows, components):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "status", "score", "max_score", *components, "error"])
    for name in sorted(rows):
        r = rows[name]
        parts = r.get("components", {})
        writer.writerow([name, r.get("status"), r.get("score", ""), r.get("max_score", ""),
                         *(round(parts[c]["score"], 4) if c in parts else "" for c in components),
                         r.get("error", "")])
    return buffer.getvalue()
