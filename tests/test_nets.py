"""Tests of scratch_cnn.nets: SimpleConvNet, LeNet, AlexNet and DeepConvNet.

params are the very arrays the layers hold; predict/loss/accuracy (every sample counted);
gradient has params' keys and agrees with central differences; odd sizes work;
save_params/load_params round-trip through .npz without pickle, in place, and refuse another
architecture's file.
"""

import zipfile

import numpy as np
import pytest

from scratch_cnn import SGD, AlexNet, DeepConvNet, LeNet, SimpleConvNet, SoftmaxWithLoss
from tests.helpers import central_difference

pytestmark = pytest.mark.filterwarnings("error")

# the book's conv_param_1 .. conv_param_6 with fewer filters (the 4th pads by 2 by default)
DEEP_CONV_PARAMS = [{"filter_num": n} for n in (2, 2, 3, 3, 2, 2)]
# Small versions of each network, for 8x8 single-channel input and 4 classes.
# columns: builder(**extra keyword arguments)
NETS = {
    "SimpleConvNet": lambda **kw: SimpleConvNet(
        (1, 8, 8), {"filter_num": 3, "filter_size": 3, "pad": 1, "stride": 1}, hidden_size=5,
        output_size=4, weight_init_std=0.3, **kw),
    "SimpleConvNet-odd": lambda **kw: SimpleConvNet(  # conv output 7x7: the book crashes
        (1, 8, 8), {"filter_num": 2, "filter_size": 2, "pad": 0, "stride": 1}, hidden_size=5,
        output_size=4, weight_init_std=0.3, **kw),
    "LeNet": lambda **kw: LeNet((1, 8, 8), conv_channels=(2, 3), filter_size=3,
                                hidden_sizes=(5, 4), output_size=4, **kw),
    "LeNet-relu": lambda **kw: LeNet((1, 8, 8), conv_channels=(2, 3), filter_size=3,
                                     hidden_sizes=(5, 4), output_size=4, activation="relu", **kw),
    "AlexNet": lambda **kw: AlexNet((1, 8, 8), channels=(2, 3, 3, 3, 2), hidden_size=5,
                                    output_size=4, **kw),
    "DeepConvNet": lambda **kw: DeepConvNet((1, 8, 8), *DEEP_CONV_PARAMS, hidden_size=5,
                                            output_size=4, **kw),
}
# columns: params keys of the small networks above
KEYS = {
    "SimpleConvNet": 3, "SimpleConvNet-odd": 3, "LeNet": 5, "LeNet-relu": 5, "AlexNet": 8,
    "DeepConvNet": 8,
}


def build(name, seed=0, **kw):
    return NETS[name](rng=seed, **kw)


def data(n=5, seed=1, classes=4):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 1, 8, 8)), rng.integers(0, classes, n)


def randomise(net, seed=2):
    """Weights and biases of a useful scale, set in place, with no bias exactly 0."""
    rng = np.random.default_rng(seed)
    for key, value in net.params.items():
        scale = 0.5 if key.startswith("W") else 0.2
        value[...] = scale * rng.standard_normal(value.shape)


def layer_params(net):
    for layer in net.layers.values():
        for p in getattr(layer, "param_names", ()):
            yield getattr(layer, p)


# --- params ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NETS)
def test_params_are_named_w_b_by_layer_order(name):
    count = KEYS[name]
    expected = [f"{kind}{i}" for i in range(1, count + 1) for kind in ("W", "b")]
    assert list(build(name).params) == expected


@pytest.mark.parametrize("name", NETS)
def test_params_are_the_very_arrays_the_layers_hold(name):
    net = build(name)
    held = list(layer_params(net))
    assert len(held) == len(net.params)
    for array, (key, param) in zip(held, net.params.items()):
        assert array is param, f"{name}: params[{key!r}] is not the layer's array"


def test_book_default_shapes_of_simple_conv_net():
    net = SimpleConvNet(rng=0)
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {"W1": (30, 1, 5, 5), "b1": (30,), "W2": (30 * 12 * 12, 100), "b2": (100,),
                      "W3": (100, 10), "b3": (10,)}


def test_book_default_shapes_of_deep_conv_net():
    net = DeepConvNet(rng=0)
    assert net.params["W7"].shape == (64 * 4 * 4, 50)
    assert net.params["W8"].shape == (50, 10)
    assert [net.params[f"W{i}"].shape[0] for i in range(1, 7)] == [16, 16, 32, 32, 64, 64]


def test_simple_conv_net_weight_init_std_is_the_standard_deviation():
    net = SimpleConvNet(weight_init_std=0.05, rng=0)
    assert abs(net.params["W2"].std() - 0.05) < 0.001
    assert not np.any(net.params["b2"])


def test_he_initialisation_scales_by_fan_in():
    net = DeepConvNet(rng=0)
    fan_in = 64 * 4 * 4
    assert abs(net.params["W7"].std() - np.sqrt(2 / fan_in)) < 0.02 * np.sqrt(2 / fan_in)


def test_an_int_rng_seeds_the_weights_and_none_uses_numpy_global_state():
    a, b, c = build("AlexNet", 3), build("AlexNet", 3), build("AlexNet", 4)
    np.testing.assert_array_equal(a.params["W1"], b.params["W1"])
    assert not np.array_equal(a.params["W1"], c.params["W1"])
    np.random.seed(7)
    d = build("AlexNet", None)
    np.random.seed(7)
    e = build("AlexNet", None)
    np.testing.assert_array_equal(d.params["W8"], e.params["W8"])


# --- predict, loss, accuracy -----------------------------------------------------------------
@pytest.mark.parametrize("name", NETS)
def test_predict_gives_one_score_row_per_sample(name):
    net = build(name)
    x, _ = data()
    assert net.predict(x).shape == (5, 4)


@pytest.mark.parametrize("name", NETS)
def test_loss_is_softmax_with_loss_of_the_scores(name):
    net = build(name)
    randomise(net)
    x, t = data()
    expected = SoftmaxWithLoss().forward(net.predict(x, train_flg=False), t)
    np.testing.assert_allclose(net.loss(x, t, train_flg=False), expected, rtol=1e-14)


@pytest.mark.parametrize("name", ["AlexNet", "DeepConvNet"])
def test_predict_is_deterministic_and_loss_trains_with_dropout_by_default(name):
    net = build(name)
    randomise(net)
    x, t = data()
    np.testing.assert_array_equal(net.predict(x), net.predict(x))
    eval_loss = net.loss(x, t, train_flg=False)
    assert net.loss(x, t) != eval_loss  # dropout is on: the book's loss(x, t) trains


# columns: batch size
@pytest.mark.parametrize("batch_size", [1, 3, 4, 7, 100])
def test_accuracy_counts_every_sample_including_the_last_partial_batch(batch_size):
    net = build("SimpleConvNet")
    randomise(net)
    x, _ = data(7)
    predicted = np.argmax(net.predict(x), axis=1)
    t = (predicted + 1) % 4
    t[-1] = predicted[-1]  # only the last sample is right: the book's version finds none
    assert net.accuracy(x, t, batch_size=batch_size) == 1 / 7
    assert net.accuracy(x, predicted, batch_size=batch_size) == 1.0


def test_accuracy_accepts_one_hot_labels():
    net = build("LeNet")
    randomise(net)
    x, t = data(6)
    assert net.accuracy(x, np.eye(4)[t]) == net.accuracy(x, t)


# columns: input (C, H, W), conv_param, expected W2 rows (C' * pooled H * pooled W)
ODD_SIZES = [
    ((1, 8, 8), {"filter_num": 2, "filter_size": 2}, 2 * 3 * 3),      # conv 7 -> pool 3
    ((1, 9, 9), {"filter_num": 2, "filter_size": 3, "stride": 2}, 2 * 2 * 2),  # 4 -> 2
    ((2, 7, 9), {"filter_num": 3, "filter_size": 3, "pad": 1}, 3 * 3 * 4),    # 7x9 -> 3x4
    ((1, 28, 28), {"filter_num": 2, "filter_size": 4}, 2 * 12 * 12),  # 25 -> 12
]


@pytest.mark.parametrize("input_dim, conv_param, rows", ODD_SIZES)
def test_simple_conv_net_floors_odd_conv_output_sizes(input_dim, conv_param, rows):
    # DESIGN difference 8: the book computes conv_output_size / 2 and int() of it, and crashes
    net = SimpleConvNet(input_dim, conv_param, hidden_size=4, output_size=3, rng=0)
    assert net.params["W2"].shape == (rows, 4)
    x = np.random.default_rng(0).standard_normal((2,) + input_dim)
    assert net.predict(x).shape == (2, 3)
    grads = net.gradient(x, np.array([0, 2]))
    assert grads["W2"].shape == (rows, 4)


# --- gradient --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NETS)
def test_gradient_has_the_keys_shapes_and_dtypes_of_params(name):
    net = build(name)
    x, t = data()
    grads = net.gradient(x, t)
    assert list(grads) == list(net.params)
    for key, grad in grads.items():
        assert grad.shape == net.params[key].shape, key
        assert grad.dtype == net.params[key].dtype, key


@pytest.mark.parametrize("name", NETS)
def test_gradient_matches_central_differences_of_the_loss(name):
    net = build(name)
    randomise(net)
    x, t = data(3)
    grads = net.gradient(x, t, train_flg=False)
    for key, param in net.params.items():
        numeric = central_difference(lambda: net.loss(x, t, train_flg=False), param)
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-8,
                                   err_msg=f"{name}: {key}")


def test_training_gradient_uses_the_dropout_masks_of_its_own_forward_pass():
    # with the same draws, the training loss is a smooth function of the weights
    net = build("DeepConvNet", seed=0)
    randomise(net)
    x, t = data(3)

    def loss():
        for layer in net.layers.values():
            if hasattr(layer, "rng"):
                layer.rng = np.random.default_rng(11)
        return net.loss(x, t, train_flg=True)

    loss()  # the masks below come from the same seed
    for layer in net.layers.values():
        if hasattr(layer, "rng"):
            layer.rng = np.random.default_rng(11)
    grads = net.gradient(x, t, train_flg=True)
    numeric = central_difference(loss, net.params["W7"])
    np.testing.assert_allclose(grads["W7"], numeric, rtol=1e-5, atol=1e-8)


def test_network_numerical_gradient_agrees_with_backpropagation():
    net = SimpleConvNet((1, 5, 5), {"filter_num": 2, "filter_size": 2}, hidden_size=3,
                        output_size=3, weight_init_std=0.5, rng=0)
    randomise(net)
    x = np.random.default_rng(3).standard_normal((2, 1, 5, 5))
    t = np.array([0, 2])
    numeric = net.numerical_gradient(x, t)
    grads = net.gradient(x, t)
    assert list(numeric) == list(grads)
    for key in grads:
        np.testing.assert_allclose(numeric[key], grads[key], rtol=1e-4, atol=1e-7, err_msg=key)


def test_float32_networks_compute_in_float32():
    net = build("AlexNet", dtype=np.float32)
    x, t = data()
    x = x.astype(np.float32)
    assert all(p.dtype == np.float32 for p in net.params.values())
    assert net.predict(x).dtype == np.float32
    assert net.loss(x, t).dtype == np.float32
    assert all(g.dtype == np.float32 for g in net.gradient(x, t).values())


@pytest.mark.parametrize("name", NETS)
def test_an_optimizer_step_reaches_the_layers(name):
    net = build(name)
    randomise(net)
    x, t = data()
    before = net.loss(x, t, train_flg=False)
    held = list(layer_params(net))
    SGD(lr=0.05).update(net.params, net.gradient(x, t, train_flg=False))
    assert all(a is b for a, b in zip(held, net.params.values()))
    assert net.loss(x, t, train_flg=False) < before


def test_networks_do_not_modify_x_or_t():
    net = build("DeepConvNet")
    x, t = data()
    x0, t0 = x.copy(), t.copy()
    net.gradient(x, t)
    net.accuracy(x, t, batch_size=2)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(t, t0)


# --- save_params / load_params ---------------------------------------------------------------
@pytest.mark.parametrize("name", NETS)
def test_save_and_load_round_trip_in_place(name, tmp_path):
    source, target = build(name, seed=1), build(name, seed=2)
    randomise(source)
    path = tmp_path / "params.npz"
    source.save_params(str(path))
    held = list(layer_params(target))
    target.load_params(str(path))
    for key in source.params:
        np.testing.assert_array_equal(target.params[key], source.params[key], err_msg=key)
    assert all(a is b for a, b in zip(held, target.params.values())), "load rebound params"
    x, _ = data()
    np.testing.assert_array_equal(target.predict(x), source.predict(x))


def test_saved_file_is_a_plain_npz_without_pickles(tmp_path):
    net = build("LeNet")
    path = tmp_path / "lenet.npz"
    net.save_params(str(path))
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(f"{k}.npy" for k in net.params)
    with np.load(path, allow_pickle=False) as saved:
        for key in net.params:
            assert saved[key].dtype == net.params[key].dtype
            np.testing.assert_array_equal(saved[key], net.params[key])
    assert [p.name for p in tmp_path.iterdir()] == ["lenet.npz"]  # no temporary file left


def test_save_params_keeps_float32(tmp_path):
    net = build("SimpleConvNet", dtype=np.float32)
    net.save_params(str(tmp_path / "p.npz"))
    with np.load(tmp_path / "p.npz") as saved:
        assert saved["W1"].dtype == np.float32


def test_load_params_refuses_another_architectures_file(tmp_path):
    path = str(tmp_path / "lenet.npz")
    build("LeNet").save_params(path)
    net = build("SimpleConvNet")
    before = {k: v.copy() for k, v in net.params.items()}
    with pytest.raises(ValueError) as info:
        net.load_params(path)
    message = str(info.value)
    assert "SimpleConvNet.load_params" in message and "W5" in message, message
    assert "another network" in message, message
    for key, value in before.items():
        np.testing.assert_array_equal(net.params[key], value)


def test_load_params_refuses_other_shapes_and_loads_nothing(tmp_path):
    path = str(tmp_path / "p.npz")
    SimpleConvNet((1, 8, 8), hidden_size=6, output_size=4, rng=0).save_params(path)
    net = SimpleConvNet((1, 8, 8), hidden_size=5, output_size=4, rng=1)
    before = {k: v.copy() for k, v in net.params.items()}
    with pytest.raises(ValueError) as info:
        net.load_params(path)
    message = str(info.value)
    assert "SimpleConvNet.load_params" in message and "W2" in message, message
    assert "(120, 6)" in message and "(120, 5)" in message, message
    for key, value in before.items():  # W1 matched, but nothing was written
        np.testing.assert_array_equal(net.params[key], value)


def test_load_params_refuses_pickled_objects(tmp_path):
    net = build("SimpleConvNet")
    path = tmp_path / "evil.npz"
    np.savez(path, **{k: np.array([None], dtype=object) for k in net.params})
    with pytest.raises(ValueError, match="allow_pickle"):
        net.load_params(str(path))


def test_deep_conv_net_refuses_a_misspelt_conv_param_key():
    with pytest.raises(ValueError, match=r"DeepConvNet: unknown conv_param_2 keys"):
        DeepConvNet(conv_param_2={"filter_nmu": 3})
