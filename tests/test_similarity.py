"""Similarity across a batch (conformance/grading/similarity.py and `grade-batch
--similarity`): renamed copies are found with their regions, unrelated code is not, and code
common to all (a base, or what most submissions share) is left out."""

import ast
import csv
import io
import keyword
import textwrap
import tokenize
from pathlib import Path

import nbformat
import pytest

from conformance.cli import main
from conformance.grading import similarity

BOOK = (Path(__file__).resolve().parent.parent / "conformance" / "examples" / "submission"
        / "cnn.py").read_text()

# A different algorithm for the same job, written another way: shares no run of tokens long
# enough to count with the book's code.
OTHER = textwrap.dedent('''
    import numpy as np
    from numpy.lib.stride_tricks import as_strided


    def windows(images, size, step=1, border=0):
        """Every size x size patch of a batch, by strides, without copying."""
        if border:
            images = np.pad(images, ((0, 0), (0, 0), (border, border), (border, border)))
        n, c, h, w = images.shape
        rows, cols = (h - size) // step + 1, (w - size) // step + 1
        sn, sc, sh, sw = images.strides
        view = as_strided(images, shape=(n, rows, cols, c, size, size),
                          strides=(sn, sh * step, sw * step, sc, sh, sw))
        return view.reshape(n * rows * cols, -1)


    def max_pool(images, size):
        out = []
        for image in images:
            planes = []
            for plane in image:
                blocks = plane[: plane.shape[0] // size * size, : plane.shape[1] // size * size]
                blocks = blocks.reshape(plane.shape[0] // size, size, -1, size)
                planes.append(blocks.max(axis=(1, 3)))
            out.append(planes)
        return np.array(out)
''')


def renamed(source):
    """The same program with every variable, function and class renamed, numbers changed and
    comments rewritten (a disguised copy); lines stay where they were."""
    names, out, previous = {}, [], None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        text = tok.string
        if tok.type == tokenize.NAME and not keyword.iskeyword(text) and text not in (
                "np", "self", "range") and not (previous and previous.string == "."):
            text = names.setdefault(text, f"v{len(names)}_{text[::-1]}")
        elif tok.type == tokenize.NUMBER:
            text = str(int(text) + 1) if text.isdigit() else text
        elif tok.type == tokenize.COMMENT:
            text = "# mine"
        out.append(tok._replace(string=text))
        previous = tok
    return tokenize.untokenize(out)


def document(tmp_path, name, text, suffix=".py"):
    path = tmp_path / f"{name}{suffix}"
    path.write_text(text)
    return similarity.read_document(name, path)


def lines_of(source, name):
    node = next(n for n in ast.parse(source).body if getattr(n, "name", None) == name)
    return node.lineno, node.end_lineno


def test_normalised_tokens_ignore_names_literals_comments_and_layout():
    first = similarity.normalise("total = price * 3  # the sum\nlabel = 'a'\n")
    second = similarity.normalise("s   =  p*17\nname = \"other\"   # why\n\n")
    assert [t for t, _ in first] == [t for t, _ in second] == \
        ["ID", "=", "ID", "*", "NUM", "ID", "=", "STR"]
    assert [t for t, _ in similarity.normalise("return x if x else None")] == \
        ["return", "ID", "if", "ID", "else", "None"]
    assert [line for _, line in first] == [1, 1, 1, 1, 1, 2, 2, 2]
    assert similarity.normalise("def broken(:\n    'unterminated") != []  # what came before


def test_winnowing_selects_the_papers_fingerprints():
    # Schleimer, Wilkerson, Aiken 2003, figure 2: these hashes, windows of 4
    hashes = [77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98]
    assert similarity.winnow(hashes, 4) == [(17, 3), (17, 6), (8, 8), (39, 11), (17, 15)]
    assert similarity.winnow([5, 3], 4) == [(3, 1)]
    assert similarity.winnow([], 4) == []


def test_a_renamed_copy_is_found_with_its_regions(tmp_path):
    alice = document(tmp_path, "alice", BOOK)
    bob = document(tmp_path, "bob", renamed(BOOK))
    [pair] = similarity.compare([alice, bob])
    assert (pair.a, pair.b) == ("alice", "bob")
    assert pair.percent_a == pytest.approx(100) and pair.percent_b == pytest.approx(100)
    [region] = pair.regions
    last = max(n.end_lineno for n in ast.parse(BOOK).body)  # the whole file, docstring first
    assert region.where("a") == f"alice.py lines 1-{last}"
    assert region.where("b") == f"bob.py lines 1-{last}"


def test_unrelated_code_is_not_paired(tmp_path):
    alice = document(tmp_path, "alice", BOOK)
    bob = document(tmp_path, "bob", OTHER)
    assert similarity.compare([alice, bob]) == []


def test_a_copy_stands_out_among_independent_solutions_of_the_same_api(tmp_path):
    """The blind-bug set's correct alternatives were written independently of the example,
    with the book's names and signatures: alike in their boilerplate, not copies."""
    alternatives = sorted((Path(__file__).parent / "blind_bugs" / "correct").glob("*.py"))
    assert len(alternatives) >= 5
    documents = [similarity.read_document(p.stem, p) for p in alternatives]
    documents += [document(tmp_path, "book", BOOK), document(tmp_path, "copy", renamed(BOOK))]
    top, *others = similarity.compare(documents)
    assert (top.a, top.b) == ("book", "copy") and min(top.percent_a, top.percent_b) > 90
    assert others and max(max(p.percent_a, p.percent_b) for p in others) < 20


def test_regions_name_file_cell_and_lines_on_both_sides(tmp_path):
    """Bob's notebook copies the book's Convolution class (renamed) into its second cell,
    between code of his own."""
    start, end = lines_of(BOOK, "Convolution")
    copied = renamed("\n".join(BOOK.splitlines()[start - 1:end]))
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(OTHER),
        nbformat.v4.new_code_cell("print('mine')\n\n" + copied + "\n\nprint('done')\n")])
    nbformat.write(nb, tmp_path / "bob.ipynb")
    alice = document(tmp_path, "alice", BOOK)
    bob = similarity.read_document("bob", tmp_path / "bob.ipynb")
    [pair] = similarity.compare([alice, bob])
    [region] = pair.regions
    assert region.where("a") == f"alice.py lines {start}-{end}"
    assert region.where("b") == f"bob.ipynb cell 2, lines 3-{3 + end - start}"
    assert pair.percent_b == pytest.approx(100 * pair.matched_b / pair.own_b)
    assert 40 < pair.percent_b < 100  # his own code besides the copy counts too


def test_a_shared_base_is_excluded(tmp_path):
    """Both start from a starter that gives col2im; their own code differs."""
    col2im_start, col2im_end = lines_of(BOOK, "col2im")
    im2col_start, im2col_end = lines_of(BOOK, "im2col")
    lines = BOOK.splitlines()
    given = "import numpy as np\n\n\n" + "\n".join(lines[col2im_start - 1:col2im_end]) + "\n"
    starter = tmp_path / "starter"
    starter.mkdir()
    (starter / "cnn.py").write_text(given)
    base = similarity.read_document("starter", starter)
    mine = given + "\n\n" + "\n".join(lines[im2col_start - 1:im2col_end]) + "\n"
    alice = document(tmp_path, "alice", mine)
    bob = document(tmp_path, "bob", given + "\n\n" + OTHER)
    assert [(p.a, p.b) for p in similarity.compare([alice, bob])] == [("alice", "bob")]
    assert similarity.compare([alice, bob], base=[base]) == []

    # a copy beyond the base is still found, and its regions leave the base out (im2col's
    # window arithmetic and loops, which col2im has too, included)
    carol = document(tmp_path, "carol", renamed(mine))
    [pair] = similarity.compare([alice, carol], base=[base])
    first = len(given.splitlines()) + 3
    assert pair.regions
    for region in pair.regions:
        assert first <= region.a[1] <= region.a[2] <= first + im2col_end - im2col_start
        assert region.a[1:] == region.b[1:]
    assert pair.own_a < len(alice.tokens)  # the base's tokens are not the student's own


def test_code_most_submissions_share_is_common(tmp_path):
    """Everyone has the book's im2col (from the book): not a match. Two also share Pooling."""
    lines = BOOK.splitlines()

    def part(name):
        start, end = lines_of(BOOK, name)
        return "\n".join(lines[start - 1:end]) + "\n\n\n"

    everyone = "import numpy as np\n\n\n" + part("im2col")
    documents = [document(tmp_path, "ann", everyone + OTHER),
                 document(tmp_path, "ben", everyone + part("Relu")),
                 document(tmp_path, "cat", everyone + part("Pooling")),
                 document(tmp_path, "dan", everyone + renamed(part("Pooling")))]
    assert similarity.default_common_limit(4) == 2
    [pair] = similarity.compare(documents)
    assert (pair.a, pair.b) == ("cat", "dan")
    pooling_start = len(everyone.splitlines()) + 1
    for region in pair.regions:  # within Pooling: what everyone has is not a match
        assert pooling_start <= region.a[1] <= region.a[2] < pooling_start + len(
            part("Pooling").splitlines())
    assert [(p.a, p.b) for p in similarity.compare(documents, common_limit=4)][0] == \
        ("cat", "dan")  # with nothing common, im2col pairs everyone too
    assert len(similarity.compare(documents, common_limit=4)) == 6


def test_grade_batch_similarity_writes_an_escaped_report_and_a_csv(tmp_path, capsys):
    cls = tmp_path / "class"
    cls.mkdir()
    marked = BOOK.replace('"""(N, C, H, W) images -> a 2-D array',
                          '"""<script>alert(1)</script> (N, C, H, W) images -> a 2-D array')
    assert marked != BOOK
    (cls / "alice.py").write_text(marked)
    (cls / "bob.py").write_text(renamed(marked))
    (cls / "carol.py").write_text(OTHER)
    rubric = tmp_path / "rubric.toml"
    rubric.write_text("hidden = false\n[points]\nim2col = 10\n")
    out, grades = tmp_path / "out", tmp_path / "grades.csv"
    assert main(["grade-batch", str(cls), "--out", str(out), "--csv", str(grades),
                 "--rubric", str(rubric), "--similarity-common", "2"]) == 0  # implies it
    printed = capsys.readouterr().out
    assert "similarity: 1 pair of submissions sharing code" in printed
    summary = printed.split("similarity:")[1]
    assert "alice ~ bob: 100% / 100% of their own code in 1 region, the largest alice.py " \
        "lines 1-" in summary and "carol" not in summary
    rows = list(csv.DictReader((out / "similarity.csv").open()))
    assert [(r["student_a"], r["student_b"]) for r in rows] == [("alice", "bob")]
    assert rows[0]["regions_a"].startswith("alice.py lines ")
    page = (out / "similarity.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "alice ~ bob" in page and "never a deduction" in page


def test_similarity_base_must_exist(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["grade-batch", str(tmp_path), "--similarity", "--similarity-base",
              str(tmp_path / "nope")])
    assert exit_.value.code == 2
    assert "no such file or folder" in capsys.readouterr().err
