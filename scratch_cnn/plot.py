"""Pictures of training (section 7.6 of the book): filters, learning curves, feature maps.

matplotlib is an optional extra (`pip install 'scratch-cnn[plot]'`): it is imported only when a
picture is drawn, so `import scratch_cnn` never needs it. Figures are drawn on matplotlib's
Figure object with the Agg canvas, never through pyplot: no display, no global figure state.
"""

from __future__ import annotations  # matplotlib's types are named, never imported, at run time

import math
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._types import FloatArray, PathLike
from .layers import Convolution

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import Colormap
    from matplotlib.figure import Figure

    from .nets import Network
    from .train import Epoch

__all__ = ["require_matplotlib", "plot_filters", "plot_filters_before_after", "plot_history",
           "plot_feature_maps", "first_layer_maps", "save_training_plots"]

INSTALL_HINT = "pip install 'scratch-cnn[plot]'"


def require_matplotlib() -> tuple[ModuleType, type[Figure], type[FigureCanvasAgg]]:
    """Import matplotlib (Agg) or raise ImportError with the command that installs it."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"plotting needs matplotlib: {INSTALL_HINT}") from None
    return matplotlib, Figure, FigureCanvasAgg


def _figure(width: float, height: float) -> Figure:
    _, Figure, FigureCanvasAgg = require_matplotlib()
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _grid_shape(n: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def _mosaic(images: NDArray[Any], gap: int = 1) -> NDArray[np.float64]:
    """Tile K images (K, h, w) into one 2-D array, row by row, with `gap` pixels of NaN
    between them. One imshow of a mosaic draws in a fraction of the time of K subplots."""
    k, h, w = images.shape
    rows, cols = _grid_shape(k)
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = image
    return out


def _colormap(name: str) -> Colormap:
    """A copy of colormap `name` that paints NaN (the gaps of a mosaic) white."""
    from matplotlib import colormaps
    return colormaps[name].with_extremes(bad="white")


def _filter_images(W: ArrayLike) -> tuple[NDArray[np.float64], bool]:
    """One 2-D image per filter of W (FN, C, FH, FW): the filter itself when C is 1, else its
    first input channel (the first layer of these networks always sees one channel)."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 4:
        raise ValueError(f"plot_filters: W must be (FN, C, FH, FW); got shape {W.shape}")
    return W[:, 0], W.shape[1] > 1


def _draw_filters(ax: Axes, W: ArrayLike, title: str) -> None:
    images, first_channel_only = _filter_images(W)
    # Each filter on its own symmetric scale (the book scales each one too): the pattern
    # matters, and red and blue tell positive weights from negative ones.
    limits = np.abs(images).max(axis=(1, 2), keepdims=True)
    scaled = images / np.where(limits > 0, limits, 1.0)
    ax.imshow(_mosaic(scaled), cmap=_colormap("RdBu_r"), vmin=-1, vmax=1,
              interpolation="nearest")
    ax.set_axis_off()
    note = ", first input channel" if first_channel_only else ""
    ax.set_title(f"{title}\n{len(images)} filters of {images.shape[1]}x{images.shape[2]}{note}",
                 fontsize=10)


_FILTER_SCALE_NOTE = "red > 0 > blue; each filter on its own scale"


def plot_filters(W: ArrayLike, path: PathLike, title: str = "First convolution's filters"
                 ) -> PathLike:
    """Save the filters of a convolution, W of shape (FN, C, FH, FW), as a grid of images."""
    fig = _figure(5, 5.4)
    _draw_filters(fig.subplots(), W, title)
    fig.supxlabel(_FILTER_SCALE_NOTE, fontsize=9)
    fig.savefig(path)
    return path


def plot_filters_before_after(
        before: ArrayLike, after: ArrayLike, path: PathLike,
        title: str = "First convolution's filters, before and after training") -> PathLike:
    """Save three filter grids side by side: the initial weights, the trained ones, and what
    training changed (after - before), which shows the learning even where it is small next
    to the random start."""
    before, after = np.asarray(before), np.asarray(after)
    if before.shape != after.shape:
        raise ValueError(f"plot_filters_before_after: before {before.shape} and after "
                         f"{after.shape} must have the same shape")
    change = np.linalg.norm(after - before) / (np.linalg.norm(before) or 1.0)
    fig = _figure(13, 5.2)
    axes = fig.subplots(1, 3)
    _draw_filters(axes[0], before, "Before training (random)")
    _draw_filters(axes[1], after, "After training")
    _draw_filters(axes[2], after - before,
                  f"Change: after - before ({change:.0%} of the initial norm)")
    fig.suptitle(title, fontsize=13, fontweight="bold")
    fig.supxlabel(_FILTER_SCALE_NOTE, fontsize=9)
    fig.savefig(path)
    return path


def plot_history(history: Sequence[Epoch], path: PathLike, title: str = "Training history"
                 ) -> PathLike:
    """Save loss and accuracy curves (train and test) per epoch from Trainer.history."""
    if not history:
        raise ValueError("plot_history: the history is empty; train at least one epoch")
    epochs = [entry["epoch"] for entry in history]
    fig = _figure(10, 4)
    loss_ax, acc_ax = fig.subplots(1, 2)
    loss_ax.plot(epochs, [e["train_loss"] for e in history], "o-", ms=3,
                 label="train (mean over the epoch's batches)")
    loss_ax.plot(epochs, [e["test_loss"] for e in history], "s-", ms=3, label="test")
    loss_ax.set(title="Cross-entropy loss", xlabel="epoch", ylabel="loss", yscale="log")
    acc_ax.plot(epochs, [100 * e["train_accuracy"] for e in history], "o-", ms=3,
                label="train")
    acc_ax.plot(epochs, [100 * e["test_accuracy"] for e in history], "s-", ms=3, label="test")
    final = history[-1]["test_accuracy"]
    acc_ax.set(title=f"Accuracy (final test {final:.2%})", xlabel="epoch", ylabel="accuracy (%)")
    for ax in (loss_ax, acc_ax):
        ax.grid(True, alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(title, fontweight="bold")
    fig.savefig(path)
    return path


def first_layer_maps(network: Network, image: ArrayLike) -> tuple[FloatArray, list[str]]:
    """The feature maps of the first convolution, and of its activation if one follows, for
    one image (C, H, W): returns (maps of shape (FN, OH, OW), names of the layers applied)."""
    layers = list(network.layers.items())
    convs = [i for i, (_, layer) in enumerate(layers) if isinstance(layer, Convolution)]
    if not convs:
        raise ValueError("first_layer_maps: the network has no Convolution layer")
    end = convs[0] + 1
    if end < len(layers) and _is_activation(layers[end][1]):
        end += 1  # stop before pooling: the maps keep the convolution's resolution
    x = np.asarray(image)[np.newaxis]
    for _, layer in layers[:end]:
        x = layer.forward(x)
    return x[0], [name for name, _ in layers[:end]]


def _is_activation(layer: object) -> bool:
    return type(layer).__name__ in ("Relu", "Sigmoid")


def plot_feature_maps(maps: ArrayLike, image: ArrayLike, path: PathLike,
                      title: str = "Feature maps of the first layer",
                      label: int | None = None) -> PathLike:
    """Save one input image beside the maps (FN, OH, OW) a layer made of it."""
    maps, image = np.asarray(maps, dtype=np.float64), np.asarray(image)
    image = image[0] if image.ndim == 3 else image
    fig = _figure(11, 5.4)
    image_ax, maps_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2]})
    image_ax.imshow(image, cmap="gray_r", interpolation="nearest")
    image_ax.set_title("Input" + (f" (label {label})" if label is not None else ""))
    image_ax.set_axis_off()
    # One scale for all maps, so that a colour means the same value in every one of them.
    drawn = maps_ax.imshow(_mosaic(maps), cmap=_colormap("viridis"), vmin=maps.min(),
                           vmax=maps.max(), interpolation="nearest")
    maps_ax.set_title(f"{len(maps)} maps of {maps.shape[1]}x{maps.shape[2]}, row by row, "
                      f"on one shared scale")
    maps_ax.set_axis_off()
    fig.colorbar(drawn, ax=maps_ax, shrink=0.8, label="activation")
    fig.suptitle(title, fontsize=13, fontweight="bold")
    fig.savefig(path)
    return path


def save_training_plots(folder: PathLike, filters_before: ArrayLike, filters_after: ArrayLike,
                        history: Sequence[Epoch], network: Network, image: ArrayLike,
                        label: int | None = None) -> list[PathLike]:
    """Write the pictures of one training run into `folder`; returns their paths.

    filters_before.png, filters_after.png and filters.png (both side by side): the first
    convolution's filters; history.png: loss and accuracy curves; feature_maps.png: the first
    layer's maps for `image`.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = type(network).__name__
    maps, layers = first_layer_maps(network, image)
    return [
        plot_filters(filters_before, folder / "filters_before.png",
                     f"{name}: first convolution's filters before training"),
        plot_filters(filters_after, folder / "filters_after.png",
                     f"{name}: first convolution's filters after training"),
        plot_filters_before_after(filters_before, filters_after, folder / "filters.png",
                                  f"{name}: first convolution's filters"),
        plot_history(history, folder / "history.png", f"{name}: training history"),
        plot_feature_maps(maps, image, folder / "feature_maps.png",
                          f"{name}: feature maps after {' + '.join(layers)}", label),
    ]
