"""`scratch-cnn train`: a network of the library trained on digits, MNIST or Fashion-MNIST,
with per-network defaults ("recipes") that reach the documented accuracies, metrics as JSON,
checkpoints and pictures. BLAS threads are limited by `conformance.cli` before NumPy loads.
"""

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from . import strict_json
from ._types import FloatArray
from .data import load_digits, load_mnist
from .layers import Convolution
from .nets import AlexNet, DeepConvNet, LeNet, Network, SimpleConvNet
from .optim import OPTIMIZERS
from .train import SCHEDULES, CheckpointError, Trainer, read_checkpoint_meta

# A training set and a test set: ((x_train, t_train), (x_test, t_test)).
Datasets = tuple[tuple[NDArray[Any], NDArray[Any]], tuple[NDArray[Any], NDArray[Any]]]

__all__ = ["build_network", "network_rng", "network_kwargs", "recipe", "configure", "run"]


# --- Networks and recipes for the command line ---------------------------------------------
INPUT_DIMS = {"digits": (1, 8, 8), "mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28)}
NETS = ("simple", "lenet", "alexnet", "deep")


_NET_CLASSES: dict[str, Callable[..., Network]] = {
    "simple": SimpleConvNet, "lenet": LeNet, "alexnet": AlexNet, "deep": DeepConvNet}

# Constructor arguments per network and image size. On 28x28: the book's. On 8x8 digits:
# 3x3 filters that fit, and widths measured to reach the accuracy targets in 20 epochs.
_NET_ARGS: dict[str, dict[str, dict[str, Any]]] = {
    "simple": {
        "8x8": {"conv_param": {"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
                "hidden_size": 512, "weight_init_std": "he"},
        "28x28": {"conv_param": {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1},
                  "hidden_size": 100, "weight_init_std": 0.01},
    },
    # ReLU: the sigmoid LeNet learns too slowly for 20 epochs (on digits it stays at chance).
    # On 8x8 the second pooling leaves 1x1 maps, so the channels are widened.
    "lenet": {"8x8": {"filter_size": 3, "conv_channels": (32, 64), "activation": "relu"},
              "28x28": {"activation": "relu"}},
    # On 8x8 the three poolings leave 1x1 maps too: wider layers keep enough features.
    "alexnet": {"8x8": {"channels": (32, 64, 96, 96, 64), "hidden_size": 256,
                        "dropout_ratio": 0.2},
                "28x28": {}},
    "deep": {"8x8": {"dropout_ratio": 0.1}, "28x28": {}},
}

# The defaults of `scratch-cnn train`: (optimizer, lr, batch size, schedule, augment).
# On MNIST, the book's setup: Adam, lr 0.001, batch 100, a constant rate, no augmentation.
_DIGITS_RECIPES: dict[str, tuple[str, float, int, str, int]] = {
    "simple": ("momentum", 0.05, 32, "cosine", 1),
    "lenet": ("momentum", 0.05, 16, "cosine", 0),
    "alexnet": ("adam", 0.001, 32, "cosine", 0),
    "deep": ("momentum", 0.05, 32, "cosine", 0),
}
_BOOK_RECIPE: tuple[str, float, int, str, int] = ("adam", 0.001, 100, "constant", 0)


def network_kwargs(net: str, dataset: str) -> dict[str, Any]:
    """The constructor arguments `build_network` uses for `net` on `dataset`."""
    if net not in _NET_ARGS:
        raise ValueError(f"unknown network {net!r}; choose one of {', '.join(NETS)}")
    if dataset not in INPUT_DIMS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {', '.join(INPUT_DIMS)}")
    return dict(_NET_ARGS[net]["8x8" if dataset == "digits" else "28x28"])


def recipe(net: str, dataset: str) -> dict[str, Any]:
    """The default training settings of `net` on `dataset`, as a dict."""
    network_kwargs(net, dataset)  # checks both names
    values = _DIGITS_RECIPES[net] if dataset == "digits" else _BOOK_RECIPE
    keys = ("optimizer", "lr", "batch_size", "schedule", "augment")
    return {"epochs": 20, "dtype": "float32", "weight_decay": 0.0, **dict(zip(keys, values))}


def network_rng(seed: int) -> np.random.Generator:
    """The network's generator (initial weights, dropout) for a run seeded by `seed`: a child
    of the seed, independent of the Trainer's np.random.default_rng(seed)."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


def build_network(net: str, dataset: str, seed: int = 0, dtype: DTypeLike = "float32"
                  ) -> Network:
    """The network `net` sized for `dataset`, initialised from `seed`."""
    return _NET_CLASSES[net](INPUT_DIMS[dataset], **network_kwargs(net, dataset),
                             rng=network_rng(seed), dtype=np.dtype(dtype))


# --- The command line ----------------------------------------------------------------------
class UsageError(Exception):
    """A bad command line: exit status 2."""


class RunError(Exception):
    """A problem found while running (data, checkpoint, environment): exit status 1."""


def _positive(cast: type[int] | type[float], what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = cast(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or (cast is float and not math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"{what} must be a positive number; got {text!r}")
        return value
    return parse


def _defaults_help(index: int) -> str:
    """The defaults of one recipe column, for --help (from the tables, so they never drift)."""
    digits = ", ".join(f"{net} {values[index]}" for net, values in _DIGITS_RECIPES.items())
    return f"default on digits: {digits}; on (Fashion-)MNIST: {_BOOK_RECIPE[index]}"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Train a network of the book on the embedded 8x8 digits or on "
                          "(Fashion-)MNIST. Options left out take defaults that depend on the "
                          "network and the dataset, listed below.")
    parser.add_argument("--net", choices=NETS, default="simple",
                        help="simple (SimpleConvNet), lenet, alexnet (small) or deep "
                             "(DeepConvNet); default simple")
    parser.add_argument("--dataset", choices=tuple(INPUT_DIMS), default="digits",
                        help="digits (embedded, 8x8), mnist or fashion-mnist; default digits")
    parser.add_argument("--data-dir", metavar="D",
                        help="where the (Fashion-)MNIST IDX files are; default: "
                             "$SCRATCH_CNN_DATA/<dataset> or ~/.cache/scratch-cnn/<dataset>")
    parser.add_argument("--download", action="store_true",
                        help="download missing (Fashion-)MNIST files into the data dir")
    parser.add_argument("--no-verify", action="store_true",
                        help="read IDX files of your own under the standard names: their "
                             "structure is still checked, their SHA-256 is not")
    parser.add_argument("--epochs", type=_positive(int, "--epochs"), help="default 20")
    parser.add_argument("--batch-size", type=_positive(int, "--batch-size"),
                        help=_defaults_help(2))
    parser.add_argument("--optimizer", choices=tuple(OPTIMIZERS), help=_defaults_help(0))
    parser.add_argument("--lr", type=_positive(float, "--lr"),
                        help="initial learning rate; " + _defaults_help(1))
    parser.add_argument("--schedule", choices=SCHEDULES,
                        help="learning rate schedule; " + _defaults_help(3))
    parser.add_argument("--augment", type=int, metavar="PIXELS",
                        help="largest random shift of training images, 0 for none; "
                             + _defaults_help(4))
    parser.add_argument("--weight-decay", type=float, metavar="LAMBDA",
                        help="L2 penalty on the weights, the book's weight_decay_lambda; "
                             "default 0")
    parser.add_argument("--dtype", choices=("float32", "float64"),
                        help="default float32 (faster; float64 for checking)")
    parser.add_argument("--seed", type=int, default=0, help="default 0")
    parser.add_argument("--threads", type=_positive(int, "--threads"), default=1,
                        help="BLAS threads while training; default 1: the matrices are "
                             "small, and more threads were slower on a busy machine")
    parser.add_argument("--metrics-json", metavar="FILE",
                        help="write final metrics, per-epoch history and wall time here")
    parser.add_argument("--save", metavar="FILE", help="write the trained params here (.npz)")
    parser.add_argument("--plot", metavar="DIR",
                        help="write PNGs here: filters before/after, curves, feature maps")
    parser.add_argument("--checkpoint", metavar="PATH",
                        help="write a resumable checkpoint here after every epoch")
    parser.add_argument("--resume", metavar="PATH",
                        help="continue from this checkpoint (and keep checkpointing to it "
                             "unless --checkpoint says otherwise)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print nothing but errors: no progress (on stderr: a bar on a "
                             "terminal, else one line per epoch) and no final result (on "
                             "stdout)")


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    try:
        return _run(args, start)
    except UsageError as e:
        return _fail(e, 2)
    except (RunError, CheckpointError) as e:
        return _fail(e, 1)
    except OSError as e:  # e.g. a full disk while writing a checkpoint or the metrics
        return _fail(f"{e}: check that the output location is writable and has space", 1)
    except KeyboardInterrupt:
        where = args.checkpoint or args.resume
        hint = f"; continue with --resume {where}" if where else ""
        return _fail(f"interrupted{hint}", 130)


def _fail(message: object, code: int) -> int:
    print(f"scratch-cnn train: error: {message}", file=sys.stderr)
    return code


def _run(args: argparse.Namespace, start: float) -> int:
    settings = _settings(args)
    _check_outputs(args)
    data = _load_data(args, np.dtype(settings["dtype"]))
    network = build_network(args.net, args.dataset, args.seed, settings["dtype"])
    first_conv = next(layer for layer in network.layers.values()
                      if isinstance(layer, Convolution))
    filters_before = first_conv.W.copy()  # the seed's initial filters, even when resuming
    optimizer = OPTIMIZERS[settings["optimizer"]](lr=settings["lr"])
    (x_train, t_train), (x_test, t_test) = data
    trainer = Trainer(network, optimizer, x_train, t_train, x_test, t_test,
                      epochs=settings["epochs"], batch_size=settings["batch_size"],
                      seed=args.seed, lr_schedule=settings["schedule"],
                      augment=settings["augment"], weight_decay=settings["weight_decay"],
                      verbose=not args.quiet,
                      checkpoint=args.checkpoint or args.resume, config=settings)
    if args.resume:
        _resume(trainer, args.resume, settings)
    trainer.train()
    if args.save:
        network.save_params(args.save)
    if args.plot:
        _write_plots(args.plot, filters_before, network, trainer, x_test, t_test)
    if args.metrics_json:
        _write_json(args.metrics_json, _metrics(settings, trainer, network, start))
    if not args.quiet:  # the result, on stdout; the progress went to stderr
        last = trainer.history[-1]
        print(f"test accuracy {last['test_accuracy']:.2%} (train {last['train_accuracy']:.2%}) "
              f"after {trainer.epoch} epochs, {time.perf_counter() - start:.1f} s")
    return 0


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The run's settings: the command line over the recipe of this network and dataset."""
    settings = {"net": args.net, "dataset": args.dataset, "seed": args.seed,
                **recipe(args.net, args.dataset)}
    for key in ("epochs", "batch_size", "optimizer", "lr", "schedule", "augment",
                "weight_decay", "dtype"):
        value = getattr(args, key)
        if value is not None:
            settings[key] = value
    if settings["augment"] < 0:
        raise UsageError(f"--augment must be 0 or more pixels; got {settings['augment']}")
    if not settings["weight_decay"] >= 0:  # also refuses nan
        raise UsageError(f"--weight-decay must be 0 or more; got {settings['weight_decay']}")
    for option, given in (("--download", args.download), ("--data-dir", args.data_dir)):
        if given and args.dataset == "digits":
            raise UsageError(f"{option} is for mnist and fashion-mnist; the digits are embedded "
                             f"(drop {option}, or pass --dataset mnist)")
    return settings


def _check_outputs(args: argparse.Namespace) -> None:
    """Fail before training, not after it, when an output cannot be written."""
    if args.plot:
        from . import plot
        try:
            plot.require_matplotlib()
        except ImportError:
            raise RunError("--plot needs matplotlib, which is not installed: "
                           "pip install 'scratch-cnn[plot]' (or drop --plot)") from None
    for option, path in (("--metrics-json", args.metrics_json), ("--save", args.save),
                         ("--checkpoint", args.checkpoint), ("--plot", args.plot)):
        if path is None:
            continue
        folder = Path(path) if option == "--plot" else Path(path).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(f"{option} {path}: cannot create {folder} ({e.strerror}): "
                             f"choose a writable location") from None
        if option != "--plot" and Path(path).is_dir():
            raise UsageError(f"{option} {path} is a directory: give a file name")


def _load_data(args: argparse.Namespace, dtype: np.dtype[Any]) -> Datasets:
    if args.dataset == "digits":
        digits: Datasets = load_digits(dtype=dtype)
        return digits
    if args.data_dir is not None and not args.download:
        folder = Path(args.data_dir)
        if not folder.is_dir():
            problem = "is not a directory" if folder.exists() else "does not exist"
            raise UsageError(f"--data-dir {args.data_dir} {problem}: pass the folder that holds "
                             f"the {args.dataset} IDX files, or add --download to fetch them "
                             f"into it")
    try:
        mnist: Datasets = load_mnist(args.data_dir, download=args.download, kind=args.dataset,
                                     dtype=dtype, checksums={} if args.no_verify else None)
    except (OSError, ValueError) as e:  # missing, corrupt or undownloadable files
        # data.py speaks to Python callers; on the command line download=True is --download
        # and checksums={} is --no-verify.
        raise RunError(str(e).replace("download=True", "--download")
                       .replace("pass checksums={}", "add --no-verify")) from None
    return mnist


def _resume(trainer: Trainer, path: str, settings: dict[str, Any]) -> None:
    """Load the checkpoint after checking that this run asks for the same training."""
    meta = read_checkpoint_meta(path)
    saved = meta.get("config", {})
    for key in ("net", "dataset", "dtype", "optimizer", "lr", "batch_size", "schedule",
                "augment", "weight_decay", "seed"):
        if key in saved and saved[key] != settings[key]:
            flag = "--" + key.replace("_", "-")
            raise RunError(f"{path} was trained with {flag} {saved[key]}, this run asks for "
                           f"{settings[key]}: pass {flag} {saved[key]} to resume it, or drop "
                           f"--resume to start afresh")
    trainer.load_checkpoint(path)


def _write_plots(folder: str, filters_before: FloatArray, network: Network, trainer: Trainer,
                 x_test: NDArray[Any], t_test: NDArray[Any]) -> None:
    from . import plot
    first_conv = next(layer for layer in network.layers.values()
                      if isinstance(layer, Convolution))
    try:
        plot.save_training_plots(folder, filters_before, first_conv.W, trainer.history,
                                 network, x_test[0], int(t_test[0]))
    except OSError as e:
        raise RunError(f"--plot {folder}: cannot write the plots ({e}): choose a writable "
                       f"folder") from None


def _metrics(settings: dict[str, Any], trainer: Trainer, network: Network, start: float
             ) -> dict[str, Any]:
    last = trainer.history[-1]
    return {
        "schema": "scratch-cnn-train-metrics/1",
        "network": type(network).__name__,
        "settings": settings,
        "train_samples": len(trainer.x_train), "test_samples": len(trainer.x_test),
        "parameters": int(sum(p.size for p in network.params.values())),
        "epochs_completed": trainer.epoch,
        "train_accuracy": last["train_accuracy"], "test_accuracy": last["test_accuracy"],
        "train_loss": last["train_loss"], "test_loss": last["test_loss"],
        "history": trainer.history,
        "train_time_s": sum(entry["seconds"] for entry in trainer.history),
        "wall_time_s": time.perf_counter() - start,
        "numpy": np.__version__,
    }


def _write_json(path: str, obj: object) -> None:
    """Atomically, like the checkpoints."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".metrics-", suffix=".json.tmp", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(strict_json.dumps(obj, indent=2) + "\n")  # a diverged loss is "NaN"
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
