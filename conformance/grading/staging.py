"""A submission's files, read safely whatever the student's tree holds; working folders removed
safely whatever the submission left in them.

- Links are never followed and special files (FIFOs, devices) never opened: they are left out,
  and said (a link could point at /proc/self/pagemap, the reference, another student's folder).
- Trees are walked without recursion and without long paths: every step opens one folder
  relative to the one above it (O_NOFOLLOW), so 3000 nested folders are no harder than three.
  Folders deeper than MAX_DEPTH are left out, and said.
- Sizes are checked before anything is copied or read: a 1.5 GB file is refused from its size.
- Names are used as the OS gave them (bytes, as surrogate-escaped str) and only made readable
  where they are shown (untrusted.visible).
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..untrusted import visible

MAX_BYTES = 512 << 20  # a whole submission
MAX_FILES = 10_000
MAX_DEPTH = 32
MAX_SIBLING_BYTES = 1 << 20
MAX_SIBLINGS = 100
JUNK = frozenset({".git", "__pycache__", ".ipynb_checkpoints", ".venv", "venv", "node_modules",
                  ".mypy_cache", ".pytest_cache"})
WORKDIR_PREFIX = "scratch-cnn-sandbox-"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class StagingError(ValueError):
    """The submission cannot be taken at all (missing, a link, too large): the message says
    why and what to do."""


@dataclass
class Tree:
    """What a submission holds, from one walk: regular files and folders to copy, and what was
    left out and why (relative paths, as the OS spells them)."""

    root: str
    is_dir: bool
    files: list = field(default_factory=list)      # [(parts, size)]
    folders: list = field(default_factory=list)    # [parts]
    left_out: list = field(default_factory=list)   # [(event, relative path for display)]
    total_bytes: int = 0


def _shown(text) -> str:
    return visible(text, newlines=False)


def display(parts) -> str:
    return _shown("/".join(parts))


def _open_dir(dir_fd, name):
    return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def _open_path(root_fd, parts):
    """An fd of the folder root/parts..., each step opened without following a link."""
    fd = os.dup(root_fd)
    try:
        for name in parts:
            below = _open_dir(fd, name)
            os.close(fd)
            fd = below
    except BaseException:
        os.close(fd)
        raise
    return fd


def _refuse_link(path):
    if os.path.islink(path):
        raise StagingError(f"{_shown(os.fspath(path))} is a symbolic link; give the file or "
                           "folder itself (the grader never follows links out of a submission)")


def scan(path, siblings=False, max_bytes=MAX_BYTES) -> Tree:
    """Walk the submission (a file or a folder) without reading any file."""
    path = os.path.abspath(os.fspath(path))
    _refuse_link(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise StagingError(f"{_shown(path)}: no such file or folder") from None
    except OSError as exc:
        raise StagingError(f"{_shown(path)}: cannot be read ({exc.strerror})") from None
    if stat.S_ISREG(st.st_mode):
        tree = Tree(os.path.dirname(path), False)
        tree.files.append(((os.path.basename(path),), st.st_size))
        tree.total_bytes = st.st_size
        if siblings:
            _add_siblings(tree, os.path.basename(path))
    elif stat.S_ISDIR(st.st_mode):
        tree = Tree(path, True)
        _scan_folder(tree)
    else:
        raise StagingError(f"{_shown(path)}: not a regular file or folder")
    if tree.total_bytes > max_bytes:
        raise StagingError(f"{_shown(path)}: {tree.total_bytes / 2**20:.0f} MB, more than "
                           f"the {max_bytes >> 20} MB a submission may hold; nothing was copied")
    return tree


def _scan_folder(tree: Tree):
    try:
        root = os.open(tree.root, _DIR_FLAGS)
    except OSError as exc:
        raise StagingError(f"{_shown(tree.root)}: the folder cannot be read "
                           f"({exc.strerror})") from None
    try:
        pending = [()]
        count = 0
        while pending:
            parts = pending.pop()
            try:
                fd = _open_path(root, parts)
            except OSError as exc:
                tree.left_out.append(("left_out_unreadable", f"{display(parts)} ({exc.strerror})"))
                continue
            try:
                names = sorted(os.listdir(fd))
                for name in names:
                    count += 1
                    if count > MAX_FILES:
                        raise StagingError(f"{_shown(tree.root)}: more than {MAX_FILES} "
                                           "files and folders; nothing was copied")
                    _scan_entry(tree, fd, parts, name, pending)
            except OSError as exc:
                tree.left_out.append(("left_out_unreadable", f"{display(parts)} ({exc.strerror})"))
            finally:
                os.close(fd)
    finally:
        os.close(root)
    tree.folders.sort()


def _scan_entry(tree, fd, parts, name, pending):
    st = os.lstat(name, dir_fd=fd)
    here = parts + (name,)
    if stat.S_ISDIR(st.st_mode):
        if name in JUNK:
            return
        if len(here) > MAX_DEPTH:
            tree.left_out.append(("left_out_deep", display(here)))
            return
        tree.folders.append(here)
        pending.append(here)
    elif stat.S_ISREG(st.st_mode):
        tree.files.append((here, st.st_size))
        tree.total_bytes += st.st_size
    else:
        tree.left_out.append(("left_out", display(here)))


def _add_siblings(tree: Tree, own_name):
    """The .py files beside a single-file submission (its helper modules): regular, small."""
    try:
        fd = os.open(tree.root, _DIR_FLAGS)
    except OSError:
        return
    try:
        names = sorted(n for n in os.listdir(fd) if n.endswith(".py") and n != own_name)
        for name in names[:MAX_SIBLINGS]:
            try:
                st = os.lstat(name, dir_fd=fd)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_size <= MAX_SIBLING_BYTES:
                tree.files.append(((name,), st.st_size))
                tree.total_bytes += st.st_size
    finally:
        os.close(fd)


def copy(tree: Tree, dest) -> None:
    """Copy what `scan` found into the folder `dest` (which exists); files are read through
    descriptors opened without following links, and never past the size seen by the scan.
    Files readable now but not then are left out, and said."""
    root = os.open(tree.root, _DIR_FLAGS)
    out = os.open(dest, _DIR_FLAGS)
    try:
        for parts in tree.folders:
            os.mkdir(os.path.join(*parts), 0o755, dir_fd=out)
        for parts, size in tree.files:
            try:
                _copy_file(root, out, parts, size)
            except OSError as exc:
                tree.left_out.append(("left_out_unreadable", f"{display(parts)} ({exc.strerror})"))
    finally:
        os.close(root)
        os.close(out)


def _open_file(root, parts):
    """An fd of the file root/parts..., no link followed on the way."""
    folder = _open_path(root, parts[:-1])
    try:
        return os.open(parts[-1], _FILE_FLAGS, dir_fd=folder)
    finally:
        os.close(folder)


def _copy_file(root, out, parts, size):
    src = _open_file(root, parts)
    try:
        if not stat.S_ISREG(os.fstat(src).st_mode):  # replaced since the scan
            raise OSError(0, "no longer a regular file")
        dst = os.open(os.path.join(*parts), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                      0o644, dir_fd=out)
        try:
            left = size
            while left > 0:
                chunk = os.read(src, min(left, 1 << 20))
                if not chunk:
                    break
                os.write(dst, chunk)
                left -= len(chunk)
        finally:
            os.close(dst)
    finally:
        os.close(src)


def fingerprint(tree: Tree, read_limit=4 << 20) -> str:
    """A digest of the submission (names, sizes; the contents of files up to `read_limit`,
    the modification time of larger ones): a changed submission is graded again."""
    digest = hashlib.sha256()
    root = os.open(tree.root, _DIR_FLAGS)
    try:
        for parts, size in sorted(tree.files):
            digest.update(os.fsencode("/".join(parts)) + b"\0" + str(size).encode())
            try:
                fd = _open_file(root, parts)
                try:
                    digest.update(hashlib.sha256(os.read(fd, size)).digest() if size <= read_limit
                                  else str(os.fstat(fd).st_mtime_ns).encode())
                finally:
                    os.close(fd)
            except OSError as exc:
                digest.update(f"unreadable {exc.errno}".encode())
        for event, name in tree.left_out:
            digest.update(f"{event} {name}".encode("utf-8", "replace"))
    finally:
        os.close(root)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Working folders


def make_workdir(tmp_dir) -> str:
    """A fresh private folder named after this process (so that a later grader can sweep it
    if this one is killed)."""
    return tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-", dir=tmp_dir)


def remove_tree(path) -> None:
    """Delete `path` and everything in it: no recursion, no link followed, any depth, read-only
    folders included (a submission may leave 3000 nested folders behind)."""
    path = os.path.abspath(os.fspath(path))
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(path)
        return
    top = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        _remove_below(top, os.path.basename(path))
    finally:
        os.close(top)


def _identity(fd):
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _enter(dir_fd, name):
    try:
        fd = _open_dir(dir_fd, name)
    except PermissionError:  # a folder left without read or search permission
        os.chmod(name, 0o700, dir_fd=dir_fd)
        fd = _open_dir(dir_fd, name)
    try:
        os.fchmod(fd, 0o700)  # so that its entries can be removed
    except OSError:
        pass
    return fd


def _remove_below(parent_fd, name):
    """Depth first with one open folder at a time: down by name, back up by "..", checked
    against the identity recorded on the way down."""
    chain = [(name, _identity(parent_fd))]  # (folder name, identity of the folder above it)
    fd = _enter(parent_fd, name)
    while True:
        below = None
        with os.scandir(fd) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    below = entry.name
                    break
                os.unlink(entry.name, dir_fd=fd)
        if below is not None:
            chain.append((below, _identity(fd)))
            deeper = _enter(fd, below)
            os.close(fd)
            fd = deeper
            continue
        up = os.open("..", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
        os.close(fd)
        folder, above = chain.pop()
        if _identity(up) != above:
            os.close(up)
            raise OSError(f"{folder}: moved while it was being removed")
        os.rmdir(folder, dir_fd=up)
        if not chain:
            os.close(up)
            return
        fd = up


_SWEPT = set()


def sweep_stale_workdirs(tmp_dir) -> None:
    """Remove the working folders of graders that died without cleaning up (SIGKILL): each
    folder's name carries its grader's pid. Done once per folder per process."""
    folder = Path(tmp_dir or tempfile.gettempdir())
    if folder in _SWEPT:
        return
    _SWEPT.add(folder)
    for entry in folder.glob(f"{WORKDIR_PREFIX}*"):
        owner = entry.name[len(WORKDIR_PREFIX):].split("-", 1)[0]
        if not owner.isdigit() or int(owner) == os.getpid():
            continue
        try:
            os.kill(int(owner), 0)
        except ProcessLookupError:
            try:
                remove_tree(entry)
            except OSError:
                pass  # another grader's, or not ours to remove: leave it
        except PermissionError:
            pass  # alive, someone else's
