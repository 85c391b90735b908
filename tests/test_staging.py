"""Reading a student's tree and removing working folders (conformance/grading/staging.py):
no link followed, no special file opened, no recursion, sizes before reading, any name."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

from conformance.grading import staging

from .helpers import nest_folders

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


@pytest.fixture
def fast_tmp(tmp_path):
    """A tmpfs folder where one exists (thousands of folders are made and removed)."""
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        folder = Path(tempfile.mkdtemp(dir="/dev/shm"))
        yield folder
        staging.remove_tree(folder)
    else:
        yield tmp_path


def test_links_and_special_files_are_left_out_and_said(tmp_path):
    sub = tmp_path / "hw"
    sub.mkdir()
    (sub / "cnn.py").write_text("x = 1\n")
    (sub / "pagemap.py").symlink_to("/proc/self/pagemap")
    (sub / "up").symlink_to(tmp_path)
    os.mkfifo(sub / "pipe.py")  # opening it would block
    tree = staging.scan(sub)
    assert [parts for parts, _ in tree.files] == [("cnn.py",)]
    assert sorted(tree.left_out) == [("left_out", "pagemap.py"), ("left_out", "pipe.py"),
                                     ("left_out", "up")]
    dest = tmp_path / "copy"
    dest.mkdir()
    staging.copy(tree, dest)
    assert sorted(os.listdir(dest)) == ["cnn.py"]
    with pytest.raises(staging.StagingError, match="symbolic link"):
        staging.scan(sub / "pagemap.py")


def test_deep_trees_are_walked_without_recursion(fast_tmp):
    nest_folders(fast_tmp, 1500, link_every=500)
    tree = staging.scan(fast_tmp)
    assert len(tree.folders) == staging.MAX_DEPTH
    assert sorted(event for event, _ in tree.left_out) == ["left_out", "left_out_deep"]
    dest = fast_tmp.parent / (fast_tmp.name + "-copy")
    dest.mkdir()
    try:
        staging.copy(tree, dest)
        staging.fingerprint(tree)
    finally:
        staging.remove_tree(dest)


def test_any_tree_is_removed_read_only_folders_and_link_loops_included(fast_tmp):
    """3000 nested folders: beyond Python's recursion limit (os.walk and shutil.rmtree recurse
    on 3.11) and beyond PATH_MAX."""
    top = fast_tmp / "work"
    top.mkdir()
    nest_folders(top, 3000, link_every=500)
    (top / "d").chmod(0o500)
    (top / "outside").symlink_to(fast_tmp)  # never followed: fast_tmp survives
    staging.remove_tree(top)
    assert not top.exists() and fast_tmp.exists()


def test_sizes_are_checked_before_anything_is_read(tmp_path):
    huge = tmp_path / "huge.py"
    with open(huge, "wb") as f:
        f.truncate(1536 << 20)  # sparse
    with pytest.raises(staging.StagingError, match="1536 MB, more than the 512 MB"):
        staging.scan(huge)


def test_names_that_are_not_utf8_are_copied_as_they_are(tmp_path):
    sub = tmp_path / "hw"
    sub.mkdir()
    odd = os.path.join(os.fsencode(sub), b"caf\xe9.py")
    with open(odd, "w") as f:
        f.write("x = 1\n")
    tree = staging.scan(sub)
    dest = tmp_path / "copy"
    dest.mkdir()
    staging.copy(tree, dest)
    assert os.listdir(os.fsencode(dest)) == [b"caf\xe9.py"]
    assert staging.display(tree.files[0][0]) == "caf\\udce9.py"  # shown, never decoded


def test_stale_working_folders_of_dead_graders_are_swept(fast_tmp):
    dead = fast_tmp / "scratch-cnn-sandbox-4194303-x"
    alive = fast_tmp / f"scratch-cnn-sandbox-{os.getppid()}-y"
    dead.mkdir()
    alive.mkdir()
    nest_folders(dead, 2000)
    staging.sweep_stale_workdirs(fast_tmp)
    assert not dead.exists() and alive.exists()
