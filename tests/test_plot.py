"""Tests of scratch_cnn.plot: each picture is written as a valid, non-blank PNG; the feature
maps are the first layer's output; matplotlib stays optional.

A test cannot judge a picture; these check the files and the numbers drawn. The pictures of a
real run were looked at by eye (docs/filters.png, docs/training_history.png).
"""

import importlib.util
import sys

import numpy as np
import pytest

from scratch_cnn import AlexNet, Relu, SimpleConvNet, plot

pytestmark = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                reason="matplotlib (the plot extra) is not installed")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_png(path):
    """The image as an (H, W, channels) float array, after checking the signature."""
    from matplotlib.image import imread
    assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    return imread(path)


def assert_not_blank(image):
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert len(np.unique(image.reshape(-1, image.shape[2]), axis=0)) > 20, "a nearly blank image"


def history(epochs=3):
    return [{"epoch": e, "lr": 0.1, "train_loss": 1.0 / e, "test_loss": 1.2 / e,
             "train_accuracy": 1 - 0.1 / e, "test_accuracy": 1 - 0.15 / e, "seconds": 1.0}
            for e in range(1, epochs + 1)]


@pytest.fixture
def net():
    return SimpleConvNet((1, 8, 8), {"filter_num": 6, "filter_size": 3, "pad": 1, "stride": 1},
                         hidden_size=10, rng=0)


@pytest.fixture
def image():
    return np.random.default_rng(0).random((1, 8, 8))


def test_plot_filters_writes_a_grid_png(tmp_path):
    W = np.random.default_rng(0).standard_normal((30, 1, 5, 5))
    path = plot.plot_filters(W, tmp_path / "f.png", "thirty filters")
    assert path == tmp_path / "f.png"
    assert_not_blank(read_png(path))


def test_plot_filters_of_a_multichannel_layer_shows_the_first_channel(tmp_path):
    W = np.random.default_rng(0).standard_normal((8, 3, 3, 3))
    assert_not_blank(read_png(plot.plot_filters(W, tmp_path / "f.png")))


def test_plot_filters_refuses_a_non_4d_array(tmp_path):
    with pytest.raises(ValueError, match=r"W must be \(FN, C, FH, FW\)"):
        plot.plot_filters(np.zeros((3, 3)), tmp_path / "f.png")


def test_plot_filters_before_after(tmp_path):
    rng = np.random.default_rng(0)
    before = rng.standard_normal((16, 1, 3, 3))
    path = plot.plot_filters_before_after(before, before + 0.1, tmp_path / "ba.png")
    assert_not_blank(read_png(path))
    with pytest.raises(ValueError, match="must have the same shape"):
        plot.plot_filters_before_after(before, before[:8], tmp_path / "x.png")


def test_plot_history_writes_loss_and_accuracy_curves(tmp_path):
    assert_not_blank(read_png(plot.plot_history(history(), tmp_path / "h.png")))
    with pytest.raises(ValueError, match="the history is empty"):
        plot.plot_history([], tmp_path / "empty.png")


def test_first_layer_maps_are_the_first_convolution_and_its_activation(net, image):
    maps, names = plot.first_layer_maps(net, image)
    assert names == ["Conv1", "Relu1"]
    conv = net.layers["Conv1"]
    expected = Relu().forward(conv.forward(image[np.newaxis]))[0]
    np.testing.assert_array_equal(maps, expected)
    assert maps.shape == (6, 8, 8)


def test_first_layer_maps_stop_before_normalisation_and_pooling(image):
    maps, names = plot.first_layer_maps(AlexNet((1, 8, 8), rng=0), image)
    assert names == ["Conv1", "Relu1"] and maps.shape == (16, 8, 8)


def test_first_layer_maps_need_a_convolution(image):
    from scratch_cnn.nets import Network
    with pytest.raises(ValueError, match="no Convolution layer"):
        plot.first_layer_maps(Network(), image)


def test_plot_feature_maps(tmp_path, net, image):
    maps, _ = plot.first_layer_maps(net, image)
    path = plot.plot_feature_maps(maps, image, tmp_path / "maps.png", label=3)
    assert_not_blank(read_png(path))


def test_save_training_plots_writes_the_five_pictures(tmp_path, net, image):
    before = net.params["W1"].copy()
    paths = plot.save_training_plots(tmp_path / "new" / "dir", before, before * 2, history(),
                                     net, image, label=1)
    assert {p.name for p in paths} == {"filters_before.png", "filters_after.png",
                                       "filters.png", "history.png", "feature_maps.png"}
    for path in paths:
        assert_not_blank(read_png(path))


def test_plots_leave_no_open_pyplot_figures(tmp_path, net, image):
    # Figures are drawn on matplotlib.figure.Figure directly: nothing accumulates in pyplot.
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    plot.save_training_plots(tmp_path, net.params["W1"], net.params["W1"], history(), net,
                             image)
    assert plt.get_fignums() == before


def test_missing_matplotlib_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'scratch-cnn\[plot\]'"):
        plot.require_matplotlib()
