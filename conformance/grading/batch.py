"""`scratch-cnn grade-batch FOLDER`: grade a class, one submission per subfolder or file.

What is a submission: a folder, or a .py, .ipynb or .md file (the suffix in lower case, as the
grader reads them). Everything else in the class folder (a .zip, a .PY, a .txt, a link, a
FIFO) gets a row of its own, "skipped", with the reason. A student with two submissions
(bob.py and bob.ipynb, or bob/ and bob.py) is graded neither way: the row names the competing
files, and the instructor keeps one (the grader does not guess which one the student meant).
Names starting with "." or "_" are not submissions (.DS_Store, __pycache__) and are passed over.

Each submission is graded by its own `scratch-cnn grade` process (its own sandbox: a crash of
one grading cannot touch another), --jobs at a time, and watched: a grading process that is
stopped (SIGSTOP) or runs past its time limit is killed with everything it started, and its
student's row says so. One student's bytes, names, links, trees or crashes cost that student's
row alone: every other row is written, and the count line says what happened to each.
Reports go to OUT/<name>/; a submission whose files have not changed since its report was
written is not graded again, so an interrupted batch resumes where it stopped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .. import pages
from ..files import write_text_atomic
from ..untrusted import spreadsheet_cell, visible
from . import similarity, staging
from .output_path import OutputPathError, check_folder
from .processes import proc_stat
from .rubric import DEFAULT_POINTS, RubricError, load

SUBMISSION_SUFFIXES = (".py", ".ipynb", ".md")
GRADE_COMMAND = [sys.executable, "-m", "conformance.cli", "grade"]  # one student's grading
STOPPED_FOR = 1.0  # seconds a grading process may stay stopped before it counts as stuck


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
    parser.add_argument("--html", action="store_true",
                        help="also write each student's report as OUT/STUDENT/report.html, a "
                             "standalone page to hand back (needs jinja2)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress on stderr (the summary line still goes to stdout)")
    similarity.add_options(parser)


def one_line(text) -> str:
    """Student text (a name, an error) on one line, every active character made visible."""
    return visible(text, newlines=False)


class Student:
    """One row of the class: a submission to grade, or why there is none."""

    def __init__(self, key: str):
        self.key = key                  # the name as the OS gave it (maybe not UTF-8)
        self.name = one_line(key)       # as shown
        self.paths: list = []           # candidate submissions
        self.row: dict = {}             # the CSV row's data once known

    @property
    def folder_name(self) -> str:
        """Its report folder's name: the name itself when it is plain, else a readable form
        with a digest (two odd names never share a folder)."""
        plain = self.name == self.key and self.key not in ("", ".", "..") and "/" not in self.key
        if plain:
            return self.key
        digest = hashlib.sha256(os.fsencode(self.key)).hexdigest()[:8]
        return "".join(c if c.isalnum() or c in "-_." else "_" for c in self.name) + "-" + digest


def find_submissions(folder, out, csv_path) -> tuple:
    """({key: Student} for every entry of the class folder (links are never followed), [names
    left out]): entries whose names start with . or _ (.DS_Store, __MACOSX, .git, and a file
    named .py) are not students, but they are named on the summary line, never dropped
    silently."""
    skip = {os.path.realpath(out), os.path.realpath(csv_path)}
    students, left_out = {}, []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: os.fsencode(e.name)):
            if os.path.realpath(entry.path) in skip:
                continue
            if entry.name.startswith((".", "_")):
                left_out.append(one_line(entry.name))
                continue
            kind = _kind(entry)
            stem, suffix = (entry.name, "") if kind == "dir" else os.path.splitext(entry.name)
            student = students.setdefault(stem or entry.name, Student(stem or entry.name))
            reason = None
            if kind == "link":
                reason = f"{one_line(entry.name)} is a symbolic link (links are never followed)"
            elif kind == "special":
                reason = f"{one_line(entry.name)} is not a regular file or folder"
            elif kind == "file" and suffix not in SUBMISSION_SUFFIXES:
                reason = (f"{one_line(entry.name)}: not a .py file, a notebook (.ipynb), a "
                          "Markdown export (.md) or a folder"
                          + (f"; rename it to {one_line(stem)}{suffix.lower()}"
                             if suffix.lower() in SUBMISSION_SUFFIXES else ""))
            if reason:
                student.row.setdefault("skipped", []).append(reason)
            else:
                student.paths.append(Path(entry.path))
    return students, left_out


def _kind(entry) -> str:
    try:
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError:
        return "special"
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else "special"


def worker_limit(rubric, timeout) -> float:
    """Seconds a grading process may take before it counts as stuck: its time budget, its
    load time, and room for starting and writing."""
    per_call = timeout or rubric.timeout
    return rubric.time_budget + max(30.0, 3 * per_call) + 120.0


def _grade_one(path, out_dir, args, limit):
    """Grade in a separate process, watched; its rich JSON and its terminal summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # --no-siblings: the files beside a single-file submission are other students'
    command = [*GRADE_COMMAND, str(path), "--no-siblings",
               "-o", str(out_dir / "results.json"), "--format", "json"]
    if args.html:
        command += ["--html", str(out_dir / "report.html")]
    for flag, value in (("--rubric", args.rubric), ("--oracle", args.oracle),
                        ("--seed", args.seed), ("--timeout", args.timeout),
                        ("--memory", args.memory)):
        if value is not None:
            command += [flag, str(value)]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=stderr, start_new_session=True)
        problem = _watch(proc, limit)
        stdout.seek(0)
        stderr.seek(0)
        out = stdout.read(4 << 20).decode("utf-8", "replace")
        err = stderr.read(1 << 20).decode("utf-8", "replace")
    if problem:
        return {"status": "error", "error": problem}
    if proc.returncode != 0:
        return {"status": "error", "error": one_line((err or out).strip()[-500:])
                or f"the grading process exited with status {proc.returncode}"}
    write_text_atomic(out_dir / "report.txt", visible(out))  # its bytes are the student's too
    report = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    components = report["components"]
    if not (isinstance(report.get("score"), (int, float)) and isinstance(components, dict)):
        raise ValueError("results.json is not a grading report")
    return {"status": "graded", "score": report["score"], "max_score": report["max_score"],
            "components": components,
            "isolation": (report.get("isolation") or {}).get("summary", "")}


def _watch(proc, limit) -> str | None:
    """Wait for the grading process; kill its whole session if it is stopped or too slow, and
    say why (None when it ended by itself)."""
    started, stopped_since = time.monotonic(), None
    while proc.poll() is None:
        info = proc_stat(proc.pid)
        if info is not None and info.state in ("T", "t"):
            stopped_since = stopped_since or time.monotonic()
            if time.monotonic() - stopped_since > STOPPED_FOR:
                _kill_session(proc)
                return ("the grading process was stopped (SIGSTOP) and did not go on; it was "
                        "killed: grade this student again")
        else:
            stopped_since = None
        if time.monotonic() - started > limit:
            _kill_session(proc)
            return (f"the grading process did not finish within {limit:.0f} s and was killed: "
                    "grade this student again")
        time.sleep(0.1)
    return None


def _kill_session(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # it and what it started (its own session)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


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


def _error(message):
    print(one_line(f"scratch-cnn grade-batch: error: {message}"), file=sys.stderr)
    return 2


def _prepare(student, out, force, html=False):
    """(path, fingerprint) to grade, or None when the row is already known (skipped, two
    submissions, unreadable, too large, or graded and unchanged)."""
    if student.row.get("skipped") and not student.paths:
        student.row = {"status": "skipped", "error": "; ".join(student.row["skipped"])}
        return None
    others = student.row.pop("skipped", [])  # files of the same name that are not gradable
    if len(student.paths) > 1:
        names = sorted(one_line(p.name) + ("/" if p.is_dir() else "") for p in student.paths)
        student.row = {"status": "skipped", "error": (
            f"two submissions for {student.name} ({', '.join(names)}); neither was graded: "
            "keep one of them (or put the files in one folder) and grade again")
            + "".join(f"; {o}" for o in others)}
        return None
    if others:
        student.row = {"note": "also skipped: " + "; ".join(others)}
    path = student.paths[0]
    try:
        tree = staging.scan(path)
        digest = staging.fingerprint(tree)
    except (staging.StagingError, OSError) as exc:
        student.row = {"status": "error", "error": one_line(str(exc))}
        return None
    meta_file = out / student.folder_name / "meta.json"
    if not force:
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            html_missing = html and not (out / student.folder_name / "report.html").is_file()
            if meta.get("fingerprint") == digest and meta.get("status") == "graded" \
                    and not html_missing:
                student.row = meta
                return None
        except (OSError, ValueError):
            pass
    return path, digest


def run(args):
    if not Path(args.folder).is_dir():
        return _error(f"{args.folder} is not a folder")
    if args.jobs < 1:
        return _error("--jobs must be >= 1")
    try:
        rubric = load(args.rubric)
    except RubricError as exc:
        return _error(str(exc))
    if args.html:
        try:
            pages.require_jinja()
        except pages.MissingJinja as exc:  # before grading anyone, not after
            return _error(str(exc))
    out = Path(args.out)
    try:  # before grading anyone: reports and the CSV must have somewhere to go
        check_folder(out)
        check_folder(Path(args.csv).resolve().parent)
    except OutputPathError as exc:
        return _error(str(exc))
    try:
        students, left_out = find_submissions(args.folder, out, args.csv)
    except OSError as exc:
        return _error(f"cannot list {args.folder} ({exc.strerror})")
    if not students:
        return _error(f"nothing in {args.folder} (subfolders or "
                      f"{', '.join(SUBMISSION_SUFFIXES)} files)")
    todo = []
    for student in students.values():
        try:
            job = _prepare(student, out, args.force, args.html)
        except Exception as exc:  # noqa: BLE001 - one student's oddity costs one row
            student.row, job = {"status": "error", "error": one_line(f"not graded: {exc}")}, None
        if job:
            todo.append((student, *job))
    done_before = sum(s.row.get("status") == "graded" for s in students.values())
    if done_before and not args.quiet:
        print(f"{done_before} submissions already graded (use --force to grade again)",
              file=sys.stderr)
    bar = _progress(len(todo), args.quiet)
    limit = worker_limit(rubric, args.timeout)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(_grade_one, path, out / student.folder_name, args, limit):
                   (student, path, digest) for student, path, digest in todo}
        for future in as_completed(futures):
            student, path, digest = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a broken report costs this row alone
                result = {"status": "error", "error": one_line(f"{type(exc).__name__}: {exc}")}
            student.row = {"submission": one_line(str(path)), "fingerprint": digest,
                           **({"note": student.row["note"]} if "note" in student.row else {}),
                           **result}
            try:
                write_text_atomic(out / student.folder_name / "meta.json",
                              json.dumps(student.row, indent=1))
            except OSError:
                pass  # only the resume is lost: graded again next time
            bar.set_postfix_str(student.name)
            bar.update(1)
    bar.close()
    components = list(rubric.points or DEFAULT_POINTS)
    try:
        write_text_atomic(Path(args.csv).resolve(), _csv(students, components))
    except OSError as exc:
        return _error(f"cannot write {args.csv} ({exc.strerror})")
    print(one_line(count_line(students, left_out))
          + one_line(f"; summary in {args.csv}, reports in {out}/"))
    if args.similarity:
        graded = [s.paths[0] for s in students.values()
                  if s.row.get("status") == "graded" and s.paths]
        similarity.report_batch(graded, out, args)
    return 0


def count_line(students, left_out=()) -> str:
    """'2/4 submissions graded, 1 skipped: bob (two submissions ...), 1 failed: eve (...),
    left out (a name starting with . or _): .DS_Store'."""
    rows = {s.name: s.row for s in students.values()}
    graded = sum(r.get("status") == "graded" for r in rows.values())
    parts = [f"{graded}/{len(rows)} submissions graded"]
    for status, word in (("skipped", "skipped"), ("error", "failed")):
        names = [f"{name} ({r.get('error', '')})" for name, r in sorted(rows.items())
                 if r.get("status") == status]
        if names:
            parts.append(f"{len(names)} {word}: " + "; ".join(names))
    if left_out:
        parts.append("left out (a name starting with . or _): " + ", ".join(left_out))
    return ", ".join(parts)


def _csv(students, components):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "status", "score", "max_score", *components, "isolation",
                     "error"])
    for student in sorted(students.values(), key=lambda s: s.name):
        r = student.row
        parts = r.get("components", {}) if isinstance(r.get("components"), dict) else {}
        writer.writerow([spreadsheet_cell(student.name), r.get("status"), r.get("score", ""),
                         r.get("max_score", ""),
                         *(_component_score(parts.get(c)) for c in components),
                         spreadsheet_cell(r.get("isolation", "")),
                         spreadsheet_cell("; ".join(str(r[k]) for k in ("error", "note")
                                                    if r.get(k)))])
    return buffer.getvalue()


def _component_score(part):
    try:
        return round(float(part["score"]), 4)
    except (TypeError, KeyError, ValueError):
        return ""
