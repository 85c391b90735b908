"""The package as people get it: type hints that pass `mypy --strict`, an sdist whose tests run,
and a wheel that builds reproducibly, depends on NumPy alone and carries its license, `py.typed`
and its metadata.

The sdist and the wheels are built once per test run, with build isolation (which fetches
setuptools from the package index), from a copy of this checkout, so the checkout is never
written to. Under pytest-xdist the workers share the one build.
"""

import contextlib
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
# 2026-01-01T00:00:00Z: any fixed time will do, as long as both builds get the same one
SOURCE_DATE_EPOCH = "1767225600"
# Build and tool output that is never part of the source (and may be large)
NOT_SOURCE = shutil.ignore_patterns(".git", ".tox", ".venv", "venv", "build", "dist",
                                    "*.egg-info", "__pycache__", "*.py[cod]", ".*cache",
                                    ".hypothesis")

needs_mypy = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                reason="mypy is not installed: pip install -c constraints.txt "
                                       "'.[test]'")
needs_build = pytest.mark.skipif(importlib.util.find_spec("build") is None,
                                 reason="build is not installed: pip install -c constraints.txt "
                                        "'.[test]'")


# --- mypy ------------------------------------------------------------------------------------
@needs_mypy
def test_scratch_cnn_passes_mypy_strict(tmp_path):
    # pyproject.toml's [tool.mypy] holds the settings; the cache goes to a temporary folder
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), "scratch_cnn"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"mypy --strict scratch_cnn:\n{result.stdout}{result.stderr}"


# --- Building --------------------------------------------------------------------------------
class Built:
    """Where the artefacts of one test run are: the sdist, and a wheel built from each of two
    unpackings of it."""

    def __init__(self, folder):
        self.folder = folder
        self.sdist_dir, self.wheel_dirs = folder / "sdist", (folder / "wheel-a", folder / "wheel-b")

    @property
    def sdist(self):
        return _only(self.sdist_dir, "*.tar.gz")

    @property
    def wheels(self):
        return tuple(_only(folder, "*.whl") for folder in self.wheel_dirs)

    def build(self):
        source = self.folder / "checkout"
        shutil.copytree(ROOT, source, ignore=NOT_SOURCE, symlinks=True)
        _run_build(["--sdist", "--outdir", self.sdist_dir, source])
        for i, out in enumerate(self.wheel_dirs):
            tree = _unpack(self.sdist, self.folder / f"unpacked-{i}")
            if i:  # a checkout made at another time: every file has another mtime
                for path in tree.rglob("*"):
                    os.utime(path, (1e9, 1e9), follow_symlinks=False)
            _run_build(["--wheel", "--outdir", out, tree],
                       SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH)


def _only(folder, pattern):
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}, found {found}"
    return found[0]


def _run_build(args, **env):
    result = subprocess.run([sys.executable, "-m", "build", *map(str, args)],
                            capture_output=True, text=True, timeout=900, check=False,
                            env={**os.environ, **env})
    assert result.returncode == 0, f"python -m build {args} failed:\n{result.stdout}{result.stderr}"


def _unpack(sdist, folder):
    """Unpack the sdist into `folder`; returns its top folder (scratch_cnn-X.Y.Z)."""
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.12, and 3.10/3.11 security releases
            tar.extractall(folder, filter="data")
        else:
            tar.extractall(folder)
    (top,) = folder.iterdir()
    return top


@contextlib.contextmanager
def _locked(path):
    import fcntl  # POSIX, like the grader this project tests

    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    # pytest-xdist's workers of one run share the parent of their temporary folders
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    artefacts = Built(shared / "packaging")
    with _locked(shared / "packaging.lock"):
        done = artefacts.folder / "built"
        if not done.exists():
            shutil.rmtree(artefacts.folder, ignore_errors=True)  # a build that failed before
            artefacts.folder.mkdir()
            artefacts.build()
            done.touch()
    return artefacts


# --- The sdist -------------------------------------------------------------------------------
def _source_files(relative):
    """The files under ROOT/relative (a file or a folder), as sdist-relative paths."""
    path = ROOT / relative
    if path.is_file():
        return {relative}
    ignored = NOT_SOURCE
    files = set()
    for folder, dirs, names in os.walk(path):
        skip = ignored(folder, dirs + names)
        dirs[:] = [d for d in dirs if d not in skip]
        files |= {(Path(folder) / n).relative_to(ROOT).as_posix() for n in names if n not in skip}
    return files


def _paths_the_readme_names():
    """Every file or folder of the repository that README.md mentions by its path."""
    text = (ROOT / "README.md").read_text()
    named = set()
    for raw in re.findall(r"[\w.-]+(?:/[\w.-]+)*/?", text):
        word = raw.rstrip("/.")  # a folder's slash, or the full stop of a sentence
        looks_like_a_path = "/" in raw or "." in word
        if looks_like_a_path and not word.startswith("..") and (ROOT / word).exists():
            named.add(word)
    return named


@needs_build
def test_sdist_holds_the_tests_their_fixtures_and_every_file_the_readme_names(built):
    with tarfile.open(built.sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        members = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    named = _paths_the_readme_names()
    # the README's own checks: a picture, the example submission, the benchmarks, the CI script
    assert {"docs/filters.png", "conformance/examples/submission/cnn.py", "benchmarks/README.md",
            ".ci/run", "constraints.txt"} <= named
    wanted = set()
    for relative in ["tests", "tools", "conformance/examples", "scratch_cnn", "LICENSE",
                     "CHANGELOG.md", "CONTRIBUTING.md", "README.md", "pyproject.toml",
                     "constraints.txt", "tox.ini", *named]:
        wanted |= _source_files(relative)
    missing = sorted(wanted - members)
    assert not missing, f"{top} lacks {len(missing)} files: {missing[:20]}"
    junk = sorted(m for m in members if "__pycache__" in m or m.endswith(".pyc"))
    assert not junk, f"{top} holds compiled files: {junk[:10]}"


# pytest puts the tree's root on sys.path to import `tests`, and the tree holds scratch_cnn/ and
# conformance/ too: importing the installed packages first (-I keeps the tree off sys.path until
# pytest adds it) makes every later import of them, and the tests, use the installed ones.
COLLECT = ("import sys, pytest, scratch_cnn, conformance; "
           "print('imported', scratch_cnn.__file__, conformance.__file__); "
           "sys.exit(pytest.main())")


@needs_build
def test_the_sdists_tests_collect_against_the_installed_package(built, tmp_path):
    tree = _unpack(built.sdist, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}  # no worker
    result = subprocess.run([sys.executable, "-I", "-c", COLLECT, "--collect-only", "-q"],
                            cwd=tree, env=env, capture_output=True, text=True, timeout=600,
                            check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"collecting the sdist's tests failed:\n{output[-5000:]}"
    collected = re.search(r"(\d+) tests? collected", output)
    assert collected and int(collected[1]) > 0, output[-2000:]
    imported = re.search(r"^imported (.*)$", result.stdout, re.M)[1].split()
    assert not any(Path(path).is_relative_to(tree) for path in imported), imported


# --- The wheel -------------------------------------------------------------------------------
@needs_build
def test_the_wheel_builds_reproducibly(built):
    first, second = built.wheels
    assert first.name == second.name
    digests = [hashlib.sha256(wheel.read_bytes()).hexdigest() for wheel in (first, second)]
    if digests[0] != digests[1]:
        with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
            differ = [x.filename for x, y in zip(a.infolist(), b.infolist())
                      if (x.filename, x.date_time, x.external_attr, x.CRC)
                      != (y.filename, y.date_time, y.external_attr, y.CRC)]
        pytest.fail(f"two builds with SOURCE_DATE_EPOCH={SOURCE_DATE_EPOCH} differ: "
                    f"{digests}; first differing entries: {differ[:10]}")


def _metadata(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        return names, HeaderParser().parsestr(zf.read(metadata).decode())


@needs_build
def test_installing_the_wheel_without_extras_pulls_numpy_only(built):
    _, metadata = _metadata(built.wheels[0])
    requirements = [Requirement(line) for line in metadata.get_all("Requires-Dist", [])]
    unconditional = sorted(r.name for r in requirements
                           if r.marker is None or "extra" not in str(r.marker))
    assert unconditional == ["numpy"]
    assert metadata.get_all("Provides-Extra")  # the extras are still there, optional


@needs_build
def test_the_wheel_carries_license_py_typed_and_metadata(built):
    names, metadata = _metadata(built.wheels[0])
    dist_info = next(n.split("/")[0] for n in names if ".dist-info/" in n)
    assert f"{dist_info}/licenses/LICENSE" in names
    assert "scratch_cnn/py.typed" in names
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    classifiers = metadata.get_all("Classifier")
    assert "Typing :: Typed" in classifiers
    assert "Programming Language :: Python :: 3.10" in classifiers
    urls = dict(line.split(", ", 1) for line in metadata.get_all("Project-URL"))
    assert set(urls) >= {"Homepage", "Source", "Issues", "Changelog"}
    assert all(url.startswith("https://") for url in urls.values())
    assert metadata["Keywords"]
    # the library and its suite, nothing of the repository around them
    assert {n.split("/")[0] for n in names} == {"scratch_cnn", "conformance", dist_info}
