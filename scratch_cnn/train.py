"""Training: the book's Trainer (common/trainer.py), done well (the command line is in
train_cli.py).

What "done well" means here, against the book's Trainer:
- each epoch visits every training sample once, in a fresh order (the book samples batches
  with replacement), and the last, smaller batch is kept;
- evaluation runs on every test sample (the book may score a subset) in evaluation mode, so
  dropout is off;
- everything random (shuffling, augmentation) comes from one generator seeded by `seed`; with a
  network built from a seed too, a run is reproducible bit for bit;
- a checkpoint (.npz, no pickle, written atomically) holds everything a run depends on, so a
  resumed run ends exactly where an uninterrupted one would.
"""

import json
import math
import os
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import from_forward
from ._types import FloatArray, PathLike
from .functional import log_softmax
from .nets import Network
from .optim import OPTIMIZERS, Optimizer

# One epoch of Trainer.history: epoch, lr, train_loss, train_accuracy, test_loss,
# test_accuracy, seconds.
Epoch = dict[str, Any]

__all__ = ["Trainer", "CheckpointError", "evaluate", "random_shift", "read_checkpoint_meta"]

SCHEDULES = ("constant", "cosine")


# --- Helpers the Trainer uses --------------------------------------------------------------
def evaluate(network: Network, x: NDArray[Any], t: NDArray[Any], batch_size: int = 500
             ) -> tuple[float, float]:
    """(mean cross-entropy loss, accuracy) over every sample of x, in evaluation mode."""
    total_loss, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        xb, tb = x[start:start + batch_size], t[start:start + batch_size]
        scores = network.predict(xb, train_flg=False)
        log_p = log_softmax(scores)
        total_loss -= float(log_p[np.arange(len(tb)), tb].sum())
        correct += int(np.sum(np.argmax(scores, axis=1) == tb))
    return total_loss / len(x), correct / len(x)


def random_shift(x: FloatArray, max_shift: int, rng: np.random.Generator) -> FloatArray:
    """Move each image by up to `max_shift` pixels along each axis, shifting in zeros.

    Translations keep the label and are the cheapest augmentation that helps: without them a
    network overfits the 1438 training digits within a few epochs.
    """
    n, _, h, w = x.shape
    m = max_shift
    padded = np.pad(x, ((0, 0), (0, 0), (m, m), (m, m)))
    dy, dx = rng.integers(0, 2 * m + 1, size=(2, n))
    out = np.empty_like(x)
    # One fancy-indexed copy per offset, not per image: (2m+1)^2 copies in all.
    for oy in range(2 * m + 1):
        for ox in range(2 * m + 1):
            chosen = np.flatnonzero((dy == oy) & (dx == ox))
            out[chosen] = padded[chosen, :, oy:oy + h, ox:ox + w]
    return out


def _labels(t: ArrayLike) -> NDArray[np.integer[Any]]:
    """Labels from labels or one-hot rows."""
    t = np.asarray(t)
    labels: NDArray[np.integer[Any]] = (
        np.argmax(t, axis=1) if t.ndim == 2 else t.astype(np.int64, copy=False))
    return labels


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, or that belongs to another network or optimizer."""


def _tqdm() -> Any:
    """tqdm's class when the optional `progress` extra is installed, else None."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


class _Progress:
    """One epoch's progress on stderr: a tqdm bar over its batches when stderr is a terminal
    and tqdm is installed, else one summary line when the epoch ends (a bar's redraws would
    fill a log file); nothing at all when disabled."""

    def __init__(self, desc: str, total: int, enabled: bool) -> None:
        self._desc, self._enabled = desc, enabled
        bar_class = _tqdm() if enabled and sys.stderr.isatty() else None
        self._bar = bar_class(total=total, desc=desc, unit="batch", file=sys.stderr,
                              leave=True, dynamic_ncols=True) if bar_class else None

    def step(self, **postfix: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix(postfix, refresh=False)
            self._bar.update()

    def finish(self, **postfix: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix(postfix)
            self._bar.close()
        elif self._enabled:
            fields = "  ".join(f"{key} {value}" for key, value in postfix.items())
            print(f"{self._desc}  {fields}", file=sys.stderr, flush=True)


# --- The Trainer ---------------------------------------------------------------------------
class Trainer:
    """Trains a network with mini-batches and records a history of metrics per epoch.

    network: any scratch_cnn Network (params, gradient, predict, last_layer).
    optimizer: an Optimizer from scratch_cnn.optim, or its name ('adam', 'sgd', ...) with
        `optimizer_param` (e.g. {'lr': 0.001}), as the book's Trainer takes it.
    t_train, t_test: labels or one-hot rows.
    lr_schedule: 'constant', or 'cosine' (the learning rate falls from its initial value to 0
        along half a cosine over all the steps of `epochs`).
    augment: the largest random shift, in pixels, applied to each training image (0: none).
    weight_decay: the book's L2 penalty (weight_decay_lambda) on the W params.
    seed: seeds the generator for shuffling and augmentation. The network's own randomness
        (initial weights, dropout) comes from the generator it was built with.
    checkpoint: a path; if given, a checkpoint is written there after every epoch.
    config: a JSON-able dict stored in checkpoints as is (the CLI records its settings).

    `train()` runs the remaining epochs and returns `history`: one dict per epoch with epoch,
    lr, train_loss (the mean over the epoch's batches, in training mode), train_accuracy,
    test_loss, test_accuracy (evaluation mode, every sample) and seconds.
    """

    def __init__(self, network: Network, optimizer: Optimizer | str, x_train: NDArray[Any],
                 t_train: ArrayLike, x_test: NDArray[Any], t_test: ArrayLike, *,
                 epochs: int = 20, batch_size: int = 100, seed: int | None = 0,
                 optimizer_param: Mapping[str, Any] | None = None,
                 lr_schedule: str = "constant", augment: int = 0, weight_decay: float = 0.0,
                 eval_batch_size: int = 500, verbose: bool = True,
                 checkpoint: PathLike | None = None, config: Mapping[str, Any] | None = None
                 ) -> None:
        if isinstance(optimizer, str):
            if optimizer.lower() not in OPTIMIZERS:
                raise ValueError(f"Trainer: unknown optimizer {optimizer!r}; choose one of "
                                 f"{', '.join(OPTIMIZERS)}")
            optimizer = OPTIMIZERS[optimizer.lower()](**(optimizer_param or {}))
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"Trainer: optimizer must be a scratch_cnn.optim Optimizer or its "
                            f"name; got {optimizer!r}")
        if lr_schedule not in SCHEDULES:
            raise ValueError(f"Trainer: lr_schedule must be one of {SCHEDULES}; "
                             f"got {lr_schedule!r}")
        for name, value in (("epochs", epochs), ("batch_size", batch_size),
                            ("eval_batch_size", eval_batch_size)):
            if not isinstance(value, Integral) or value < 1:
                raise ValueError(f"Trainer: {name} must be a positive int; got {value!r}")
        if len(x_train) == 0 or len(x_test) == 0:
            raise ValueError("Trainer: the training and test sets must not be empty")
        self.network, self.optimizer = network, optimizer
        self.x_train, self.t_train = x_train, _labels(t_train)
        self.x_test, self.t_test = x_test, _labels(t_test)
        self.epochs, self.batch_size, self.seed = epochs, batch_size, seed
        self.lr_schedule, self.augment = lr_schedule, int(augment)
        self.weight_decay = float(weight_decay)
        self.eval_batch_size, self.verbose = eval_batch_size, verbose
        self.checkpoint, self.config = checkpoint, dict(config or {})
        self.rng = np.random.default_rng(seed)
        self.base_lr = float(optimizer.lr)
        self.epoch = 0  # epochs completed
        self.history: list[Epoch] = []

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(len(self.x_train) / self.batch_size)

    def train(self) -> list[Epoch]:
        """Run epochs epoch+1 .. epochs (all of them unless resumed); return the history."""
        while self.epoch < self.epochs:
            self.train_epoch()
            if self.checkpoint is not None:
                self.save_checkpoint(self.checkpoint)
        return self.history

    def train_epoch(self) -> Epoch:
        """One pass over the training set, then an evaluation; appends to and returns the
        epoch's history entry."""
        start = time.perf_counter()
        number = self.epoch + 1
        bar = _Progress(f"epoch {number}/{self.epochs}", self.batches_per_epoch, self.verbose)
        order = self.rng.permutation(len(self.x_train))
        loss_sum, correct = 0.0, 0
        for i, first in enumerate(range(0, len(order), self.batch_size)):
            batch = order[first:first + self.batch_size]
            x, t = self.x_train[batch], self.t_train[batch]
            if self.augment:
                x = random_shift(x, self.augment, self.rng)
            self.optimizer.lr = self._lr_at(self.epoch * self.batches_per_epoch + i)
            grads = self.network.gradient(x, t)
            if self.weight_decay:
                grads = self._decayed(grads)
            self.optimizer.update(self.network.params, grads)
            # gradient() ran the forward pass: its loss and scores cost nothing more to read.
            last = self.network.last_layer
            loss_sum += float(from_forward(last, last.loss)) * len(batch)
            correct += int(np.sum(np.argmax(from_forward(last, last.y), axis=1) == t))
            bar.step(loss=f"{loss_sum / (first + len(batch)):.4f}",
                     acc=f"{correct / (first + len(batch)):.2%}")
        train_loss, train_acc = evaluate(self.network, self.x_train, self.t_train,
                                         self.eval_batch_size)
        test_loss, test_acc = evaluate(self.network, self.x_test, self.t_test,
                                       self.eval_batch_size)
        self.epoch = number
        entry = {"epoch": number, "lr": float(self.optimizer.lr),
                 "train_loss": loss_sum / len(order), "train_accuracy": train_acc,
                 "test_loss": test_loss, "test_accuracy": test_acc,
                 "seconds": time.perf_counter() - start}
        self.history.append(entry)
        bar.finish(loss=f"{entry['train_loss']:.4f}", train_acc=f"{train_acc:.2%}",
                   test_acc=f"{test_acc:.2%}", time=f"{entry['seconds']:.1f}s")
        return entry

    def _decayed(self, grads: dict[str, FloatArray]) -> dict[str, FloatArray]:
        """The gradients of loss + weight_decay/2 * sum(W**2): the book's L2 penalty (ch. 6),
        on the weights (params named W...), not the biases."""
        return {key: grad + self.weight_decay * self.network.params[key]
                if key.startswith("W") else grad for key, grad in grads.items()}

    def _lr_at(self, step: int) -> float:
        if self.lr_schedule == "constant":
            return self.base_lr
        total = self.epochs * self.batches_per_epoch
        return self.base_lr * 0.5 * (1.0 + math.cos(math.pi * step / total))

    # --- Checkpoints -------------------------------------------------------------------
    def save_checkpoint(self, path: PathLike) -> None:
        """Write params, optimizer state, RNG states, epoch and history to `path` (.npz, no
        pickle) atomically: an interruption leaves the previous checkpoint intact."""
        arrays: dict[str, Any] = {
            f"param/{key}": value for key, value in self.network.params.items()}
        for name, layer in self.network.layers.items():
            for attr in _LAYER_STATE:
                if getattr(layer, attr, None) is not None:
                    arrays[f"layer/{name}/{attr}"] = np.asarray(getattr(layer, attr))
        optimizer_state: dict[str, Any] = {}
        for attr, value in vars(self.optimizer).items():
            if isinstance(value, dict):  # per-parameter state: m, v, h
                arrays.update({f"optim/{attr}/{key}": a for key, a in value.items()})
                optimizer_state[attr] = {"arrays": sorted(value)}
            else:
                optimizer_state[attr] = _json_scalar(value, f"optimizer attribute {attr!r}")
        rngs, uses_global = _network_generators(self.network)
        meta = {
            "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
            "network": type(self.network).__name__,
            "optimizer": type(self.optimizer).__name__, "optimizer_state": optimizer_state,
            "epoch": self.epoch, "epochs": self.epochs, "batch_size": self.batch_size,
            "base_lr": self.base_lr, "lr_schedule": self.lr_schedule, "augment": self.augment,
            "weight_decay": self.weight_decay, "history": self.history, "config": self.config,
            "rng": self.rng.bit_generator.state,
            "network_rngs": [g.bit_generator.state for g in rngs],
        }
        if uses_global:  # a layer draws from np.random's global state (the book's way)
            name, keys, pos, has_gauss, cached = np.random.get_state()
            arrays["global_rng/keys"] = keys
            meta["global_rng"] = [name, int(pos), int(has_gauss), float(cached)]
        arrays["meta"] = np.array(json.dumps(meta))
        _atomic_savez(path, arrays)

    def load_checkpoint(self, path: PathLike) -> dict[str, Any]:
        """Restore a checkpoint written by save_checkpoint into this trainer, its network and
        its optimizer (hyperparameters included), so that train() continues the run exactly.
        Raises CheckpointError, naming the mismatch, for another network or optimizer."""
        data, meta = _read_checkpoint(path)
        self._check_params(path, data)
        if meta["optimizer"] != type(self.optimizer).__name__:
            raise CheckpointError(
                f"{path} was trained with the {meta['optimizer']} optimizer, not "
                f"{type(self.optimizer).__name__}: resume with the same optimizer")
        rngs, uses_global = _network_generators(self.network)
        if len(rngs) != len(meta["network_rngs"]) or uses_global != ("global_rng" in meta):
            raise CheckpointError(f"{path} was saved from a network whose random layers differ "
                                  f"from this one's: resume with the same network settings")
        self._check_optimizer_state(path, data, meta)
        # Everything is checked: from here on nothing fails halfway through a restore.
        for key, value in self.network.params.items():
            value[...] = data[f"param/{key}"]  # in place: the layers hold these arrays
        for name, layer in self.network.layers.items():
            for attr in _LAYER_STATE:
                if f"layer/{name}/{attr}" in data:
                    setattr(layer, attr, data[f"layer/{name}/{attr}"])
        for attr, saved in meta["optimizer_state"].items():
            if isinstance(saved, dict):
                saved = {key: data[f"optim/{attr}/{key}"] for key in saved["arrays"]}
            setattr(self.optimizer, attr, saved)
        for generator, state in zip(rngs, meta["network_rngs"]):
            generator.bit_generator.state = state
        if uses_global:
            name, pos, has_gauss, cached = meta["global_rng"]
            np.random.set_state((name, data["global_rng/keys"], pos, has_gauss, cached))
        self.rng.bit_generator.state = meta["rng"]
        self.epoch, self.history = meta["epoch"], meta["history"]
        self.base_lr, self.lr_schedule = meta["base_lr"], meta["lr_schedule"]
        self.augment, self.batch_size = meta["augment"], meta["batch_size"]
        self.weight_decay = meta["weight_decay"]
        return meta

    def _check_optimizer_state(self, path: PathLike, data: Mapping[str, NDArray[Any]],
                               meta: Mapping[str, Any]) -> None:
        for attr, value in meta["optimizer_state"].items():
            if not isinstance(value, dict):
                continue
            for key in value["arrays"]:
                array = data.get(f"optim/{attr}/{key}")
                param = self.network.params.get(key)
                if array is None or param is None or array.shape != param.shape:
                    raise CheckpointError(f"{path}: the optimizer state {attr}[{key!r}] is "
                                          f"missing or does not fit this network: the file is "
                                          f"damaged or from another network; start afresh")

    def _check_params(self, path: PathLike, data: Mapping[str, NDArray[Any]]) -> None:
        saved = {key[len("param/"):]: data[key].shape for key in data if key.startswith("param/")}
        mine = {key: value.shape for key, value in self.network.params.items()}
        net = type(self.network).__name__
        if set(saved) != set(mine):
            raise CheckpointError(f"{path} holds parameters {sorted(saved)} but this {net} has "
                                  f"{sorted(mine)}: it was saved from another network; resume "
                                  f"with the network it was trained with")
        for key in mine:
            if saved[key] != mine[key]:
                raise CheckpointError(
                    f"{path} has {key} of shape {saved[key]} but this {net}'s {key} is "
                    f"{mine[key]}: it was saved from another network shape; resume with the "
                    f"network settings (and dataset) it was trained with")


CHECKPOINT_FORMAT, CHECKPOINT_VERSION = "scratch-cnn-checkpoint", 1
# Layer state that is not a parameter but changes while training (BatchNormalization).
_LAYER_STATE = ("running_mean", "running_var")


def _json_scalar(value: object, what: str) -> bool | int | float | str | None:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    raise TypeError(f"cannot save {what} of type {type(value).__name__} in a checkpoint")


def _network_generators(network: Network) -> tuple[list[np.random.Generator], bool]:
    """The distinct numpy Generators the network's layers draw from (dropout masks), in layer
    order, and whether any layer draws from np.random's global state instead."""
    generators: list[np.random.Generator] = []
    uses_global = False
    for layer in network.layers.values():
        if not hasattr(layer, "rng"):
            continue
        if layer.rng is None:
            uses_global = True
        elif all(layer.rng is not g for g in generators):
            generators.append(layer.rng)
    return generators, uses_global


def _atomic_savez(path: PathLike, arrays: Mapping[str, Any]) -> None:
    """np.savez into a temporary file beside `path`, flushed to disk, then renamed over it:
    os.replace is atomic, so readers see the old file or the new one, never half of one."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".checkpoint-", suffix=".npz.tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _read_checkpoint(path: PathLike) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
    """(arrays, meta) of a checkpoint; CheckpointError for anything that is not one."""
    not_one = (f"{path} is not a scratch-cnn checkpoint{{}}: pass a file written by "
               f"--checkpoint (Trainer.save_checkpoint)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path} does not exist: check the path") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise CheckpointError(not_one.format(f" ({e})")) from None
    try:
        meta = json.loads(str(data.pop("meta")))
        if meta.get("format") != CHECKPOINT_FORMAT:
            raise ValueError
    except (KeyError, ValueError, AttributeError):
        raise CheckpointError(not_one.format("")) from None
    if meta.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{path} is a version {meta.get('version')} checkpoint; this "
                              f"scratch-cnn reads version {CHECKPOINT_VERSION}: start afresh")
    return data, meta


def read_checkpoint_meta(path: PathLike) -> dict[str, Any]:
    """The metadata of a checkpoint (epoch, history, config, ...) without a network."""
    return _read_checkpoint(path)[1]
