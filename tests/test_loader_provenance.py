"""Grade what the student wrote, and say what was graded: the loader reports where each graded
name's definition came from, runs a folder's files in a documented order (a file after the
files it imports), and warns when a later file, a star import or a copy of the book's common/
replaced a definition."""

import json
import textwrap

import pytest

from conformance import loader

POOLING = textwrap.dedent("""
    class Pooling:
        def __init__(self, pool_h, pool_w, stride=2, pad=0):
            self.who = "{who}"
""")


def _notebook(path, cells):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "metadata": {}, "execution_count": i, "outputs": [],
                     "source": textwrap.dedent(c)} for i, c in enumerate(cells, 1)]}
    path.write_text(json.dumps(nb))
    return path


def _book_copy(folder):
    (folder / "common").mkdir()
    (folder / "common" / "__init__.py").write_text("")
    (folder / "common" / "layers.py").write_text(POOLING.format(who="book"))


def test_a_single_file_names_each_definition_with_its_line(tmp_path):
    path = tmp_path / "cnn.py"
    path.write_text("import numpy as np\n" + POOLING.format(who="mine"))
    report = loader.load_submission(path, names={"Pooling"})
    assert report.definitions["Pooling"]["source"] == "cnn.py:3"
    assert report.definitions["Pooling"]["how"] == "class statement"
    assert not report.warnings


def test_a_star_import_of_the_books_copy_over_the_students_own_is_reported(tmp_path):
    """The notebook defines its own Pooling, then `from common.layers import *` replaces it:
    the book's copy is what runs, and the report says so."""
    _book_copy(tmp_path)
    nb = _notebook(tmp_path / "hw.ipynb", [POOLING.format(who="mine"),
                                          "from common.layers import *\n"])
    report = loader.load_submission(nb, names={"Pooling"})
    assert report.module.Pooling(2, 2).who == "book"
    final = report.definitions["Pooling"]
    assert final["source"].startswith("common/layers.py:") and final["book_copy"]
    assert final["how"] == "from common.layers import *"
    text = "\n".join(report.warnings)
    assert "`Pooling` from hw.ipynb, cell 1" in text and "was replaced by" in text
    assert "copy of the book's common/ folder" in text


def test_the_students_own_class_after_a_star_import_is_graded_without_a_warning(tmp_path):
    _book_copy(tmp_path)
    nb = _notebook(tmp_path / "hw.ipynb", ["from common.layers import *\n",
                                          POOLING.format(who="mine")])
    report = loader.load_submission(nb, names={"Pooling"})
    assert report.module.Pooling(2, 2).who == "mine"
    assert report.definitions["Pooling"]["source"] == "hw.ipynb, cell 2, line 2"
    assert not report.warnings


def test_in_a_folder_a_file_runs_after_the_files_it_imports(tmp_path):
    """ch07/cnn.py imports common.layers and defines its own Pooling: common/ runs first, so
    the chapter's own class is graded, whatever the path order says."""
    _book_copy(tmp_path)
    (tmp_path / "a_ch07").mkdir()
    (tmp_path / "a_ch07" / "cnn.py").write_text(
        "import sys, os\nsys.path.append(os.pardir)\nfrom common.layers import *\n"
        + POOLING.format(who="mine"))
    report = loader.load_submission(tmp_path, names={"Pooling"})
    assert [u.file for u in report.units] == ["common/layers.py", "a_ch07/cnn.py"]
    assert report.module.Pooling(2, 2).who == "mine"
    assert report.definitions["Pooling"]["source"] == "a_ch07/cnn.py:5"
    assert not report.warnings


def test_a_stale_copy_that_runs_later_is_reported(tmp_path):
    (tmp_path / "solution.py").write_text(POOLING.format(who="mine"))
    (tmp_path / "zz_old.py").write_text(POOLING.format(who="old"))
    report = loader.load_submission(tmp_path, names={"Pooling"})
    assert report.module.Pooling(2, 2).who == "old"
    text = "\n".join(report.warnings)
    assert "`Pooling` from solution.py:2 was replaced by the one from zz_old.py:2" in text
    assert "`entry`" in text


@pytest.mark.parametrize("entry", ["solution.py", ["zz_old.py", "solution.py"]])
def test_the_rubric_entry_picks_the_files_in_its_order(tmp_path, entry):
    (tmp_path / "solution.py").write_text(POOLING.format(who="mine"))
    (tmp_path / "zz_old.py").write_text(POOLING.format(who="old"))
    report = loader.load_submission(tmp_path, names={"Pooling"}, entry=entry)
    assert report.module.Pooling(2, 2).who == "mine"


def test_the_report_travels_as_plain_data(tmp_path):
    _book_copy(tmp_path)
    nb = _notebook(tmp_path / "hw.ipynb", [POOLING.format(who="mine"),
                                          "from common.layers import *\n"])
    data = loader.load_submission(nb, names={"Pooling"}).to_dict()
    assert json.loads(json.dumps(data))["definitions"]["Pooling"]["book_copy"] is True
    assert data["warnings"]
