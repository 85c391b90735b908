"""Similarity across a batch: pairs of submissions whose code is nearly identical, with the
regions that match, for a human to read. It is never a deduction: code can be alike for
innocent reasons (the book, the starter, help the course allows).

The method is winnowing (Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for
document fingerprinting", SIGMOD 2003), as MOSS uses it, over normalised tokens:

- `tokenize` reads each file or notebook cell; identifiers become one token class, numbers and
  strings theirs, comments and layout vanish, keywords and operators stay. Renaming variables,
  changing constants or comments, and reformatting change nothing.
- Every K consecutive tokens (a k-gram) get a hash. In every window of W consecutive hashes the
  smallest is kept (the rightmost on ties): the document's fingerprints. Any run of at least
  W + K - 1 tokens two documents share yields a common fingerprint; a run shorter than K never
  does.
- Code common to all is ignored: the k-grams of the instructor's base (the starter, the book's
  code) and those found in more than a threshold of the submissions.
- Each shared fingerprint seeds a match, grown token by token to the longest run both sides
  share; runs are merged into regions across small edits, and located by file, notebook cell
  and lines on both sides.
"""

import argparse
import csv
import hashlib
import io
import keyword
import os
import sys
import tokenize
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..files import write_text_atomic
from ..loader import SubmissionError, code_units
from ..untrusted import spreadsheet_cell

K = 16  # tokens per k-gram: shorter matches are noise (one line of a common idiom)
W = 12  # the winnowing window
MIN_RUN = W + K - 1  # every shared run this long is found; shorter runs are not reported
MERGE_GAP = 2 * K  # runs this close on both sides form one region (an edited line between)
SEEDS_PER_HASH = 8  # occurrences of one fingerprint paired per document (repetitive code)
TOP_PRINTED, TOP_IN_HTML = 10, 50
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENCODING, tokenize.ENDMARKER}
_STRING_PARTS = {getattr(tokenize, name) for name in ("FSTRING_MIDDLE", "FSTRING_END",
                                                      "TSTRING_MIDDLE", "TSTRING_END")
                 if hasattr(tokenize, name)}
_STRING_STARTS = {getattr(tokenize, name) for name in ("FSTRING_START", "TSTRING_START")
                  if hasattr(tokenize, name)}


# ---------------------------------------------------------------------------------------------
# Documents: normalised tokens, k-gram hashes, fingerprints


def normalise(code):
    """[(token class, line)] for Python source: identifiers -> ID, numbers -> NUM, strings ->
    STR; keywords and operators as written; comments and layout dropped. Code that does not
    tokenize (a syntax error) gives the tokens before the error."""
    tokens = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in _SKIPPED or tok.type in _STRING_PARTS:
                continue
            if tok.type == tokenize.NAME:
                text = tok.string if keyword.iskeyword(tok.string) else "ID"
            elif tok.type == tokenize.NUMBER:
                text = "NUM"
            elif tok.type == tokenize.STRING or tok.type in _STRING_STARTS:
                text = "STR"
            elif not tok.string.strip():
                continue
            else:
                text = tok.string
            tokens.append((text, tok.start[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return tokens


def kgram_hash(tokens):
    """A hash of k tokens that is the same in every process (Python's hash() is not)."""
    digest = hashlib.blake2b("\x1f".join(tokens).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def winnow(hashes, w=W):
    """[(hash, position)]: the minimum of every window of w hashes (the rightmost on ties),
    each selected position once. Fewer hashes than w: their minimum."""
    selected, last = [], -1
    for start in range(max(len(hashes) - w + 1, 1 if hashes else 0)):
        window = hashes[start:start + w]
        low = min(window)
        position = start + max(i for i, h in enumerate(window) if h == low)
        if position != last:
            selected.append((low, position))
            last = position
    return selected


@dataclass
class Unit:
    """A piece of code on its own: a .py file, or one cell of a notebook or of its export."""

    file: str
    cell: int | None
    kind: str
    line_offset: int  # added to a line of the code to give the line in the file (exports)
    lines: list

    def where(self, first, last):
        lines = f"line {first}" if first == last else f"lines {first}-{last}"
        if self.kind == "ipynb":
            return f"{self.file} cell {self.cell}, {lines}"
        return f"{self.file} {lines}"


@dataclass
class Document:
    """One submission's code as tokens, with where each token came from."""

    name: str
    units: list = field(default_factory=list)
    tokens: list = field(default_factory=list)  # token classes, every unit one after another
    unit_of: list = field(default_factory=list)  # token -> index in units
    line_of: list = field(default_factory=list)  # token -> line in its unit's code
    hashes: dict = field(default_factory=dict)  # k-gram start position -> hash
    fingerprints: dict = field(default_factory=dict)  # hash -> [start positions]
    common: list = field(default_factory=list)  # token -> inside code common to all

    def add(self, unit, code):
        index = len(self.units)
        self.units.append(unit)
        start = len(self.tokens)
        for text, line in normalise(code):
            self.tokens.append(text)
            self.unit_of.append(index)
            self.line_of.append(line)
        positions = range(start, len(self.tokens) - K + 1)
        unit_hashes = [kgram_hash(self.tokens[p:p + K]) for p in positions]
        self.hashes.update(zip(positions, unit_hashes))
        for h, offset in winnow(unit_hashes):
            self.fingerprints.setdefault(h, []).append(start + offset)

    def span(self, first, last):
        """(unit, first line, last line) of tokens first..last, which lie in one unit."""
        unit = self.units[self.unit_of[first]]
        return unit, self.line_of[first], self.line_of[last]


def read_document(name, path):
    """The code of a submission (file or folder, notebooks by their code cells)."""
    document = Document(name)
    try:
        units = code_units(path)
    except SubmissionError:
        units = []
    for report, code in units:
        offset = (report.start_line - 1) if report.kind == "md" and report.start_line else 0
        document.add(Unit(report.file, report.cell, report.kind, offset, code.splitlines()),
                      code)
    document.common = [False] * len(document.tokens)
    return document


# ---------------------------------------------------------------------------------------------
# Pairs and regions


@dataclass
class Region:
    a: tuple  # (unit, first line, last line)
    b: tuple
    tokens: int

    def where(self, side):
        unit, first, last = getattr(self, side)
        return unit.where(first + unit.line_offset, last + unit.line_offset)


@dataclass
class Pair:
    a: str
    b: str
    matched_a: int
    matched_b: int
    own_a: int  # tokens of a that are not common code
    own_b: int
    regions: list

    @property
    def percent_a(self):
        return 100.0 * self.matched_a / max(self.own_a, 1)

    @property
    def percent_b(self):
        return 100.0 * self.matched_b / max(self.own_b, 1)

    def sort_key(self):
        return (-max(self.matched_a, self.matched_b),
                -max(self.percent_a, self.percent_b), self.a, self.b)


def default_common_limit(count):
    """Code in more than this many submissions is common: half the class, from 2 up to 10
    (MOSS's default). Two submissions can never tell common code from shared code."""
    return min(10, max(2, count // 2))


def compare(documents, base=(), common_limit=None):
    """Pairs of documents that share code, most shared first. `base`: documents whose code is
    common by definition; `common_limit`: code in more submissions than this is common."""
    if common_limit is None:
        common_limit = default_common_limit(len(documents))
    excluded = set()
    for document in base:
        excluded.update(document.hashes.values())
    found_in = defaultdict(int)
    for document in documents:
        for h in set(document.hashes.values()):
            found_in[h] += 1
    excluded.update(h for h, n in found_in.items() if n > common_limit)
    for document in documents:
        _mark_common(document, excluded)
    holders = defaultdict(list)
    for index, document in enumerate(documents):
        for h in document.fingerprints:
            if h not in excluded:
                holders[h].append(index)
    shared = defaultdict(list)
    for h, indices in holders.items():
        for i, first in enumerate(indices):
            for second in indices[i + 1:]:
                shared[first, second].append(h)
    pairs = []
    for (i, j), hashes in shared.items():
        pair = _pair(documents[i], documents[j], hashes)
        if pair.regions:
            pairs.append(pair)
    return sorted(pairs, key=Pair.sort_key)


def _mark_common(document, excluded):
    document.common = [False] * len(document.tokens)
    for position, h in document.hashes.items():
        if h in excluded:
            document.common[position:position + K] = [True] * K


@dataclass
class _Run:
    a0: int
    a1: int  # tokens a0..a1-1 of a
    b0: int
    b1: int

    @property
    def length(self):
        return self.a1 - self.a0


def _pair(a, b, hashes):
    runs = _runs(a, b, hashes)
    covered_a, covered_b = set(), set()
    for run in runs:
        covered_a.update(p for p in range(run.a0, run.a1) if not a.common[p])
        covered_b.update(p for p in range(run.b0, run.b1) if not b.common[p])
    regions = [Region(a.span(first.a0, last.a1 - 1), b.span(first.b0, last.b1 - 1), tokens)
               for first, last, tokens in _merge(a, b, runs)]
    return Pair(a.name, b.name, len(covered_a), len(covered_b),
                a.common.count(False), b.common.count(False), regions)


def _runs(a, b, hashes):
    """The longest shared runs through each seed, at least MIN_RUN tokens, each adding code
    that no longer run has matched already (repeated code pairs up once)."""
    found, seen = [], defaultdict(list)  # diagonal (pa - pb) -> runs on it
    seeds = sorted((pa, pb) for h in hashes for pa in a.fingerprints[h][:SEEDS_PER_HASH]
                   for pb in b.fingerprints[h][:SEEDS_PER_HASH])
    for pa, pb in seeds:
        if any(r.a0 <= pa < r.a1 for r in seen[pa - pb]):
            continue
        if a.tokens[pa:pa + K] != b.tokens[pb:pb + K]:
            continue  # a hash collision
        run = _grow(a, b, pa, pb)
        seen[pa - pb].append(run)
        if run.length >= MIN_RUN:
            found.append(run)
    kept, used_a, used_b = [], set(), set()
    for run in sorted(found, key=lambda r: (-r.length, r.a0, r.b0)):
        span_a, span_b = set(range(run.a0, run.a1)), set(range(run.b0, run.b1))
        if len(span_a - used_a) * 2 >= run.length and len(span_b - used_b) * 2 >= run.length:
            kept.append(run)
            used_a |= span_a
            used_b |= span_b
    return sorted(kept, key=lambda r: (r.a0, r.b0))


def _grow(a, b, pa, pb):
    """The longest run of equal tokens through (pa, pb), within one unit on each side and
    outside common code."""
    def same(i, j):
        return (0 <= i < len(a.tokens) and 0 <= j < len(b.tokens)
                and a.unit_of[i] == a.unit_of[pa] and b.unit_of[j] == b.unit_of[pb]
                and a.tokens[i] == b.tokens[j] and not a.common[i] and not b.common[j])

    start = 0
    while same(pa + start - 1, pb + start - 1):
        start -= 1
    end = K
    while same(pa + end, pb + end):
        end += 1
    return _Run(pa + start, pa + end, pb + start, pb + end)


def _merge(a, b, runs):
    """[(first run, last run, tokens)]: runs in the same units, close on both sides, as one
    region (a renamed or inserted line between two copied stretches)."""
    merged = []
    for run in runs:
        if merged:
            first, last, tokens = merged[-1]
            if (a.unit_of[run.a0] == a.unit_of[last.a0] and b.unit_of[run.b0] ==
                    b.unit_of[last.b0] and 0 <= run.a0 - last.a1 <= MERGE_GAP
                    and 0 <= run.b0 - last.b1 <= MERGE_GAP):
                merged[-1] = (first, run, tokens + run.length)
                continue
        merged.append((run, run, run.length))
    return merged


# ---------------------------------------------------------------------------------------------
# Reports


def csv_text(pairs):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student_a", "student_b", "percent_a", "percent_b", "matched_tokens_a",
                     "matched_tokens_b", "regions_a", "regions_b"])
    for p in pairs:
        writer.writerow([spreadsheet_cell(p.a), spreadsheet_cell(p.b), f"{p.percent_a:.1f}",
                         f"{p.percent_b:.1f}", p.matched_a, p.matched_b,
                         spreadsheet_cell("; ".join(r.where("a") for r in p.regions)),
                         spreadsheet_cell("; ".join(r.where("b") for r in p.regions))])
    return buffer.getvalue()


def html_text(pairs, settings):
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined)
    shown = [{"pair": p, "regions": [{"region": r, "a": _excerpt(r.a), "b": _excerpt(r.b),
                                      "where_a": r.where("a"), "where_b": r.where("b")}
                                     for r in p.regions]}
             for p in pairs[:TOP_IN_HTML]]
    return env.get_template("similarity.html.j2").render(
        shown=shown, total=len(pairs), settings=settings, k=K, w=W, min_run=MIN_RUN)


def _excerpt(span, limit=60):
    """[(line number in the file, text)] of a region's lines, at most `limit`."""
    unit, first, last = span
    numbered = [(n + unit.line_offset, unit.lines[n - 1]) for n in range(first, last + 1)
                if 0 < n <= len(unit.lines)]
    if len(numbered) > limit:
        numbered = numbered[:limit] + [(None, f"... {len(numbered) - limit} more lines")]
    return numbered


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary(pairs, settings, folder):
    lines = [f"similarity: {plural(len(pairs), 'pair')} of submissions sharing code "
             f"({settings['common']}); a report for a human to read, never a deduction"]
    for p in pairs[:TOP_PRINTED]:
        largest = max(p.regions, key=lambda r: r.tokens)
        lines.append(f"  {p.a} ~ {p.b}: {p.percent_a:.0f}% / {p.percent_b:.0f}% of their own "
                     f"code in {plural(len(p.regions), 'region')}, the largest "
                     f"{largest.where('a')} ~ {largest.where('b')}")
    lines.append(f"  details: {folder / 'similarity.html'}, {folder / 'similarity.csv'}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The grade-batch hook


def add_options(parser):
    parser.add_argument("--similarity", action="store_true",
                        help="after grading, report pairs of submissions whose code is nearly "
                             "identical (OUT/similarity.html and .csv); never a deduction")
    parser.add_argument("--similarity-base", action=_Enables, default=[], type=_existing,
                        metavar="FILE/FOLDER",
                        help="code given to every student (the starter, the book's code): "
                             "never counted as shared; may be repeated (implies --similarity)")
    parser.add_argument("--similarity-common", action=_Enables, type=_positive, default=None,
                        metavar="N",
                        help="code found in more than N submissions counts as common "
                             "(default: half the class, from 2 up to 10; implies --similarity)")


class _Enables(argparse.Action):
    """An option of the report that asks for the report too; a list default collects."""

    def __call__(self, parser, namespace, values, option_string=None):
        current = getattr(namespace, self.dest)
        setattr(namespace, self.dest, [*current, values] if isinstance(current, list)
                else values)
        namespace.similarity = True


def _existing(path):
    if not os.path.exists(path):
        raise argparse.ArgumentTypeError(f"{path}: no such file or folder")
    return path


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return value


def report_batch(submissions, out, args):
    """Compare the batch's submissions; write OUT/similarity.html and .csv; print the top."""
    folder = Path(out)
    documents = [read_document(path.stem, path) for path in submissions]
    base = [read_document(str(path), path) for path in args.similarity_base]
    limit = args.similarity_common or default_common_limit(len(documents))
    pairs = compare(documents, base, limit)
    common = f"code in more than {limit} of {len(documents)} submissions is common"
    if args.similarity_base:
        common += f", and so is the code of {', '.join(args.similarity_base)}"
    settings = {"common": common, "submissions": len(documents)}
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / "similarity.csv", csv_text(pairs))
    try:
        write_text_atomic(folder / "similarity.html", html_text(pairs, settings))
    except ModuleNotFoundError as exc:  # the CSV is written; say what the page needs
        print(f"scratch-cnn grade-batch: similarity.html not written: it needs {exc.name} "
              f"(pip install 'scratch-cnn[instructor]')", file=sys.stderr)
    print(summary(pairs, settings, folder))
