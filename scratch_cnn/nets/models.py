"""The book's networks (SimpleConvNet, DeepConvNet) and the two classics of section 7.7."""

from collections.abc import Callable, Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .._types import RngLike
from ..functional import conv_output_size, pool_output_size
from ..layers import LRN, Affine, AvgPooling, Convolution, Dropout, Pooling, Relu, Sigmoid
from .base import Layer, Network, gaussian, make_rng

# The book's conv_param: filter_num, filter_size, pad and stride, all ints.
ConvParam = Mapping[str, int]
# A number, or a rule named after the activation it suits: 'he' ('relu') or 'xavier' ('sigmoid').
WeightInit = float | str

_CONV_DEFAULTS = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}


def _check_input_dim(input_dim: object, owner: str) -> tuple[int, int, int]:
    if (not isinstance(input_dim, (tuple, list)) or len(input_dim) != 3
            or not all(isinstance(d, Integral) and int(d) > 0 for d in input_dim)):
        raise ValueError(f"{owner}: input_dim must be (channels, height, width); "
                         f"got {input_dim!r}")
    channels, height, width = (int(d) for d in input_dim)
    return channels, height, width


class _ConvStack(Network):
    """A Network built front to back while tracking the feature-map shape, so that every
    size is computed once, by the library's own (floor) formulas."""

    def __init__(self, input_dim: tuple[int, int, int], rng: RngLike, dtype: DTypeLike) -> None:
        super().__init__()
        self.input_dim = _check_input_dim(input_dim, type(self).__name__)
        self.shape: tuple[int, ...] = self.input_dim
        self._rng, self._dtype = make_rng(rng, type(self).__name__), np.dtype(dtype)
        self._count: dict[str, int] = {}

    def _name(self, kind: str) -> str:
        self._count[kind] = self._count.get(kind, 0) + 1
        return f"{kind}{self._count[kind]}"

    def _param_index(self) -> int:
        return len(self._grad_sources) // 2 + 1

    def conv(self, filters: int, size: int, init: WeightInit, stride: int = 1,
             pad: int = 0) -> None:
        c = self.shape[0]
        i = self._param_index()
        name = self._name("Conv")
        out_hw = self._sizes(name, conv_output_size, size, stride, pad)
        W = gaussian(self._rng, self._init_std(init, c * size * size), (filters, c, size, size),
                     self._dtype)
        b = np.zeros(filters, self._dtype)
        self.add_layer(name, Convolution(W, b, stride, pad), W=f"W{i}", b=f"b{i}")
        self.shape = (filters,) + out_hw

    def pool(self, cls: type[Pooling] | type[AvgPooling], size: int, stride: int,
             pad: int = 0) -> None:
        name = self._name("Pool")
        out_hw = self._sizes(name, pool_output_size, size, stride, pad)
        self.add_layer(name, cls(size, size, stride, pad))
        self.shape = self.shape[:1] + out_hw

    def _sizes(self, layer: str, formula: Callable[[int, int, int, int], int], size: int,
               stride: int, pad: int) -> tuple[int, ...]:
        """The layer's output (height, width); a feature map too small for the layer is
        reported in the network's terms, not as a bare formula error."""
        try:
            return tuple(formula(n, size, stride, pad) for n in self.shape[1:])
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{type(self).__name__}: cannot build {layer} ({size}x{size}, "
                            f"stride {stride}, pad {pad}) on its input of shape {self.shape} "
                            f"(input_dim {self.input_dim}): {exc}") from None

    def _init_std(self, weight_init_std: WeightInit, fan_in: int) -> float:
        try:
            return _init_std(weight_init_std, fan_in)
        except ValueError as exc:
            raise ValueError(f"{type(self).__name__}: {exc}") from None

    def affine(self, outputs: int, init: WeightInit) -> None:
        inputs = int(np.prod(self.shape))
        i = self._param_index()
        W = gaussian(self._rng, self._init_std(init, inputs), (inputs, outputs), self._dtype)
        b = np.zeros(outputs, self._dtype)
        self.add_layer(self._name("Affine"), Affine(W, b), W=f"W{i}", b=f"b{i}")
        self.shape = (outputs,)

    def activation(self, cls: type[Relu] | type[Sigmoid]) -> None:
        self.add_layer(self._name(cls.__name__), cls())

    def other(self, kind: str, layer: Layer) -> None:
        self.add_layer(self._name(kind), layer)


def _init_std(weight_init_std: WeightInit, fan_in: int) -> float:
    """A number is used as is; 'he' (or 'relu') gives sqrt(2/fan_in) and 'xavier' (or
    'sigmoid') sqrt(1/fan_in), as in the book's chapter 6."""
    if isinstance(weight_init_std, str):
        scales = {"he": 2.0, "relu": 2.0, "xavier": 1.0, "sigmoid": 1.0}
        scale = scales.get(weight_init_std.lower())
        if scale is None:
            raise ValueError(f"weight_init_std must be a number, 'he' or 'xavier'; "
                             f"got {weight_init_std!r}")
        return float(np.sqrt(scale / fan_in))
    return float(weight_init_std)


def _conv_param(given: ConvParam | None, defaults: ConvParam, owner: str, name: str
                ) -> dict[str, int]:
    """The book's conv_param dict over its defaults; a misspelt key is an error, not ignored."""
    given = dict(given or {})
    unknown = set(given) - set(defaults)
    if unknown:
        raise ValueError(f"{owner}: unknown {name} keys {sorted(unknown)}; "
                         f"expected {sorted(defaults)}")
    return {**defaults, **given}


class SimpleConvNet(_ConvStack):
    """The book's network (7.5): conv - relu - pool(2x2, stride 2) - affine - relu - affine -
    softmax. Sizes use floor division, so odd convolution outputs work (the book crashes).

    Parameters: W1/b1 (conv), W2/b2, W3/b3 (affine). `rng`: None uses np.random's global state
    as the book does; an int seeds a private generator.
    """

    def __init__(self, input_dim: tuple[int, int, int] = (1, 28, 28),
                 conv_param: ConvParam | None = None, hidden_size: int = 100,
                 output_size: int = 10, weight_init_std: WeightInit = 0.01, *,
                 rng: RngLike = None, dtype: DTypeLike = np.float64) -> None:
        super().__init__(input_dim, rng, dtype)
        p = _conv_param(conv_param, _CONV_DEFAULTS, "SimpleConvNet", "conv_param")
        self.conv(p["filter_num"], p["filter_size"], weight_init_std, p["stride"], p["pad"])
        self.activation(Relu)
        self.pool(Pooling, 2, 2)
        self.affine(hidden_size, weight_init_std)
        self.activation(Relu)
        self.affine(output_size, weight_init_std)


class LeNet(_ConvStack):
    """LeNet-5 (7.7.1): conv - act - avgpool - conv - act - avgpool - affine - act - affine -
    act - affine. The classic uses sigmoid and average-pooling subsampling; `activation`
    may be 'sigmoid' or 'relu'. conv1 keeps the size (pad = filter_size // 2), conv2 does not
    pad; use filter_size=3 for 8x8 inputs."""

    def __init__(self, input_dim: tuple[int, int, int] = (1, 28, 28),
                 conv_channels: Sequence[int] = (6, 16), filter_size: int = 5,
                 hidden_sizes: Sequence[int] = (120, 84), output_size: int = 10,
                 activation: str = "sigmoid", weight_init_std: WeightInit | None = None, *,
                 rng: RngLike = None, dtype: DTypeLike = np.float64) -> None:
        super().__init__(input_dim, rng, dtype)
        activations: dict[str, type[Sigmoid] | type[Relu]] = {"sigmoid": Sigmoid, "relu": Relu}
        act = activations.get(activation)
        if act is None:
            raise ValueError(f"LeNet: activation must be 'sigmoid' or 'relu'; got {activation!r}")
        init = weight_init_std if weight_init_std is not None else (
            "he" if activation == "relu" else "xavier")
        for i, channels in enumerate(conv_channels):
            pad = filter_size // 2 if i == 0 else 0
            self.conv(channels, filter_size, init, 1, pad)
            self.activation(act)
            self.pool(AvgPooling, 2, 2)
        for hidden in hidden_sizes:
            self.affine(hidden, init)
            self.activation(act)
        self.affine(output_size, init)


class AlexNet(_ConvStack):
    """AlexNet (7.7.2) scaled to small inputs: five 3x3 convolutions with ReLU, LRN after the
    first two, overlapping 3x3/stride-2 max pooling (padded by 1, so 8x8 digits fit), and two
    hidden affine layers with dropout."""

    def __init__(self, input_dim: tuple[int, int, int] = (1, 28, 28),
                 channels: Sequence[int] = (16, 32, 48, 48, 32), hidden_size: int = 128,
                 output_size: int = 10, dropout_ratio: float = 0.5,
                 lrn_param: Mapping[str, Any] | None = None, *, rng: RngLike = None,
                 dtype: DTypeLike = np.float64) -> None:
        super().__init__(input_dim, rng, dtype)
        lrn_param = {"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 2.0, **(lrn_param or {})}
        if len(channels) != 5:
            raise ValueError(f"AlexNet: channels must list 5 convolution widths; got {channels!r}")
        for i, filters in enumerate(channels):
            self.conv(filters, 3, "he", 1, 1)
            self.activation(Relu)
            if i < 2:
                self.other("LRN", LRN(**lrn_param))
            if i in (0, 1, 4):
                self.pool(Pooling, 3, 2, 1)
        for _ in range(2):
            self.affine(hidden_size, "he")
            self.activation(Relu)
            self.other("Dropout", Dropout(dropout_ratio, rng=self._rng))
        self.affine(output_size, "he")


class DeepConvNet(_ConvStack):
    """The book's deep network (8.1): (conv - relu - conv - relu - pool) x 3 - affine - relu -
    dropout - affine - dropout - softmax, 3x3 convolutions, He initialisation, with the book's
    constructor (conv_param_1 .. conv_param_6; the fourth pads by 2)."""

    def __init__(self, input_dim: tuple[int, int, int] = (1, 28, 28),
                 conv_param_1: ConvParam | None = None, conv_param_2: ConvParam | None = None,
                 conv_param_3: ConvParam | None = None, conv_param_4: ConvParam | None = None,
                 conv_param_5: ConvParam | None = None, conv_param_6: ConvParam | None = None,
                 hidden_size: int = 50, output_size: int = 10, *, dropout_ratio: float = 0.5,
                 rng: RngLike = None, dtype: DTypeLike = np.float64) -> None:
        super().__init__(input_dim, rng, dtype)
        given = (conv_param_1, conv_param_2, conv_param_3, conv_param_4, conv_param_5,
                 conv_param_6)
        for i, (param, default) in enumerate(zip(given, _DEEP_CONV_DEFAULTS)):
            p = _conv_param(param, default, "DeepConvNet", f"conv_param_{i + 1}")
            self.conv(p["filter_num"], p["filter_size"], "he", p["stride"], p["pad"])
            self.activation(Relu)
            if i % 2 == 1:
                self.pool(Pooling, 2, 2)
        self.affine(hidden_size, "he")
        self.activation(Relu)
        self.other("Dropout", Dropout(dropout_ratio, rng=self._rng))
        self.affine(output_size, "he")
        self.other("Dropout", Dropout(dropout_ratio, rng=self._rng))


_DEEP_CONV_DEFAULTS = [
    {"filter_num": n, "filter_size": 3, "pad": pad, "stride": 1}
    for n, pad in ((16, 1), (16, 1), (32, 1), (32, 2), (64, 1), (64, 1))]
