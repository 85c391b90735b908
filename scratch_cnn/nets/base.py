"""What every network shares: the params dict, the layer sequence and backpropagation."""

import os
import tempfile
from collections import OrderedDict
from numbers import Integral
from typing import Any, Protocol, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .._checks import numeric_array
from .._types import FloatArray, PathLike, RngLike
from ..functional import numerical_gradient
from ..layers import SoftmaxWithLoss


class Layer(Protocol):
    """What a Network asks of its layers: the book's forward and backward."""

    def forward(self, x: ArrayLike, /) -> NDArray[Any]: ...

    def backward(self, dout: ArrayLike, /) -> NDArray[Any]: ...


class TrainModeLayer(Protocol):
    """A layer that behaves differently while training (`has_train_mode = True`)."""

    def forward(self, x: ArrayLike, train_flg: bool = ..., /) -> NDArray[Any]: ...


def make_rng(rng: RngLike, owner: str = "rng") -> np.random.Generator | None:
    """None -> np.random's global state (the book's behaviour, so np.random.seed works),
    an int -> a seeded Generator, a Generator -> itself."""
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"{owner}: rng must be None, an int seed or a numpy Generator; got {rng!r}")


def gaussian(rng: np.random.Generator | None, std: float, shape: tuple[int, ...],
             dtype: DTypeLike) -> NDArray[Any]:
    draws = rng.standard_normal(shape) if rng is not None else np.random.randn(*shape)
    return (std * draws).astype(dtype)


class Network:
    """A sequence of layers ending in SoftmaxWithLoss, with the book's interface.

    `params` maps names (W1, b1, ...) to the very arrays the layers hold, so an optimizer's
    in-place update reaches the layers; assign weights with `net.params[k][...] = w`, never by
    rebinding. `gradient` returns a dict with the same keys.
    """

    def __init__(self) -> None:
        self.params: dict[str, FloatArray] = {}
        self.layers: OrderedDict[str, Layer] = OrderedDict()
        self.last_layer = SoftmaxWithLoss()
        # params key -> (layer name, gradient attribute)
        self._grad_sources: dict[str, tuple[str, str]] = {}

    def add_layer(self, name: str, layer: Layer, **param_keys: str) -> Layer:
        """Append `layer`; param_keys maps its attributes to params keys, e.g. W="W1"."""
        self.layers[name] = layer
        for attribute, key in param_keys.items():
            self.params[key] = getattr(layer, attribute)
            self._grad_sources[key] = (name, "d" + attribute)
        return layer

    def predict(self, x: ArrayLike, train_flg: bool = False) -> FloatArray:
        for layer in self.layers.values():
            if getattr(layer, "has_train_mode", False):
                x = cast(TrainModeLayer, layer).forward(x, train_flg)
            else:
                x = layer.forward(x)
        return cast(FloatArray, x)  # the scores of the last layer

    def loss(self, x: ArrayLike, t: ArrayLike, train_flg: bool = True) -> np.floating[Any]:
        return self.last_layer.forward(self.predict(x, train_flg), t)

    def accuracy(self, x: ArrayLike, t: ArrayLike, batch_size: int = 100) -> float:
        """The fraction of samples whose top score is the label, over every sample
        (the book's version drops the last partial batch)."""
        x = numeric_array(x, "x", f"{type(self).__name__}.accuracy", min_ndim=2)
        labels = np.asarray(t)
        if labels.ndim != 1:
            labels = np.argmax(labels, axis=1)
        if len(labels) != len(x):
            raise ValueError(f"{type(self).__name__}.accuracy: x has {len(x)} samples but t has "
                             f"{len(labels)} labels")
        if len(x) == 0:
            raise ValueError(f"{type(self).__name__}.accuracy: x is empty")
        correct = 0
        for start in range(0, len(x), batch_size):
            y = self.predict(x[start:start + batch_size])
            correct += int(np.sum(np.argmax(y, axis=1) == labels[start:start + batch_size]))
        return correct / len(x)

    def gradient(self, x: ArrayLike, t: ArrayLike, train_flg: bool = True
                 ) -> dict[str, FloatArray]:
        """Backpropagation: the gradient of the loss for every entry of params."""
        self.loss(x, t, train_flg)
        dout = self.last_layer.backward(1)
        layers = list(self.layers.values())
        for layer in reversed(layers[1:]):
            dout = layer.backward(dout)
        first = layers[0]
        if getattr(first, "skips_input_grad", False):
            # nobody needs the input's gradient
            cast(Any, first).backward(dout, input_grad=False)
        else:
            first.backward(dout)
        return {key: getattr(self.layers[name], attr)
                for key, (name, attr) in self._grad_sources.items()}

    def numerical_gradient(self, x: ArrayLike, t: ArrayLike) -> dict[str, FloatArray]:
        """Central differences of the loss for every param (slow: for checking `gradient`).
        The loss is taken in evaluation mode, so dropout is off; compare it with
        gradient(x, t, train_flg=False)."""
        def loss(_: FloatArray) -> float:
            return float(self.loss(x, t, train_flg=False))
        return {key: numerical_gradient(loss, self.params[key]) for key in self.params}

    def save_params(self, file_name: PathLike = "params.npz") -> None:
        """Write params to an .npz file (no pickle), atomically: an interrupted save never
        leaves a broken file."""
        folder = os.path.dirname(os.path.abspath(file_name))
        fd, tmp = tempfile.mkstemp(suffix=".npz", dir=folder)
        arrays: dict[str, Any] = self.params  # savez's keywords are the arrays' names
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, file_name)
        except BaseException:
            os.unlink(tmp)
            raise

    def load_params(self, file_name: PathLike = "params.npz") -> None:
        """Read params saved by save_params into the existing arrays (in place, so the layers
        see them). Refuses files for another architecture, naming the mismatch."""
        name = type(self).__name__
        with np.load(file_name, allow_pickle=False) as data:
            saved = {k: data[k] for k in data.files}
        if set(saved) != set(self.params):
            raise ValueError(f"{name}.load_params: {file_name} holds {sorted(saved)} but this "
                             f"network has {sorted(self.params)}; was it saved from another "
                             f"network?")
        for key, value in saved.items():
            if value.shape != self.params[key].shape:
                raise ValueError(f"{name}.load_params: {key} in {file_name} has shape "
                                 f"{value.shape} but this network's is {self.params[key].shape}; "
                                 f"build the network with the settings it was saved with")
        for key, value in saved.items():
            self.params[key][...] = value
