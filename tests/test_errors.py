"""Bad input is a case too (PyTorch OpInfo's error inputs): each call below must raise the
stated error type with a message that names the component and the offending value or shape,
never a reshape error from deep inside NumPy.

The last tests fuzz the window layers with hypothesis: any geometry either works with the
documented output shape or is refused in the layer's own words.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scratch_cnn import (
    LRN,
    SGD,
    AdaGrad,
    Adam,
    Affine,
    AlexNet,
    AvgPooling,
    BatchNormalization,
    Convolution,
    DeepConvNet,
    Dropout,
    LeNet,
    Momentum,
    Nesterov,
    Pooling,
    Relu,
    RMSprop,
    Sigmoid,
    SimpleConvNet,
    SoftmaxWithLoss,
    col2im,
    conv_output_size,
    cross_entropy_error,
    im2col,
    numerical_gradient,
    pool_output_size,
)
from scratch_cnn._checks import CallOrderError

pytestmark = pytest.mark.filterwarnings("error")

W4 = np.ones((2, 3, 2, 2))   # Convolution weights: 2 filters over 3 channels
B2 = np.zeros(2)
X4 = np.ones((1, 3, 4, 4))
PROBS = np.full((2, 3), 1 / 3)


def conv(stride=1, pad=0):
    return Convolution(W4, B2, stride, pad)


def after_forward(layer, *args):
    layer.forward(*args)
    return layer


# columns: call, error type, fragments the message must contain
BAD_INPUTS = {
    # x not 4-D where 4-D is needed
    "conv-x-3d": (lambda: conv().forward(np.ones((3, 4, 4))), ValueError,
                  ["Convolution.forward", "4-D", "(3, 4, 4)", "x[np.newaxis]"]),
    "conv-x-2d": (lambda: conv().forward(np.ones((4, 4))), ValueError,
                  ["Convolution.forward", "(4, 4)"]),
    "maxpool-x-3d": (lambda: Pooling(2, 2, 2).forward(np.ones((3, 4, 4))), ValueError,
                     ["Pooling.forward", "4-D", "(3, 4, 4)"]),
    "avgpool-x-5d": (lambda: AvgPooling(2, 2, 2).forward(np.ones((1, 1, 1, 4, 4))), ValueError,
                     ["AvgPooling.forward", "4-D", "(1, 1, 1, 4, 4)"]),
    "im2col-x-3d": (lambda: im2col(np.ones((3, 4, 4)), 2, 2), ValueError,
                    ["im2col", "4-D", "(3, 4, 4)"]),
    "col2im-shape-3": (lambda: col2im(np.ones((9, 4)), (1, 4, 4), 2, 2), ValueError,
                       ["col2im", "input_shape", "(1, 4, 4)"]),
    "col2im-shape-bool": (lambda: col2im(np.ones((9, 4)), (1, True, 4, 4), 2, 2), ValueError,
                          ["col2im", "input_shape", "True"]),
    "col2im-col-shape": (lambda: col2im(np.ones((8, 4)), (1, 1, 4, 4), 2, 2), ValueError,
                         ["col2im", "(9, 4)", "(8, 4)"]),
    "conv-W-3d": (lambda: Convolution(np.ones((2, 2, 2)), B2), ValueError,
                  ["Convolution", "W", "4-D", "(2, 2, 2)"]),
    "affine-W-1d": (lambda: Affine(np.ones(4), np.zeros(4)), ValueError,
                    ["Affine", "W", "2-D", "(4,)"]),
    "lrn-x-2d": (lambda: LRN().forward(np.ones((2, 3))), ValueError,
                 ["LRN.forward", "(2, 3)"]),
    "bn-x-3d": (lambda: BatchNormalization(np.ones(3), np.zeros(3)).forward(np.ones((4, 3, 5))),
                ValueError, ["BatchNormalization.forward", "(4, 3, 5)", "(N, 3, H, W)"]),
    "softmaxloss-x-3d": (lambda: SoftmaxWithLoss().forward(np.ones((2, 3, 4)), [0, 1]),
                         ValueError, ["SoftmaxWithLoss.forward", "(2, 3, 4)"]),
    "ce-y-3d": (lambda: cross_entropy_error(np.ones((2, 2, 3)), np.zeros((2, 2), int)),
                ValueError, ["cross_entropy_error", "(2, 2, 3)"]),
    # channel and feature mismatches
    "conv-channels": (lambda: conv().forward(np.ones((1, 1, 4, 4))), ValueError,
                      ["Convolution.forward", "(1, 1, 4, 4)", "(2, 3, 2, 2)", "1 channels"]),
    "affine-features": (lambda: Affine(np.ones((6, 4)), np.zeros(4)).forward(np.ones((2, 5))),
                        ValueError, ["Affine.forward", "(2, 5)", "(6, 4)"]),
    "affine-features-1d": (lambda: Affine(np.ones((6, 4)), np.zeros(4)).forward(np.ones(5)),
                           ValueError, ["Affine.forward", "(5,)", "(6, 4)"]),
    "bn-features": (lambda: BatchNormalization(np.ones(3), np.zeros(3)).forward(np.ones((4, 2))),
                    ValueError, ["BatchNormalization.forward", "(4, 2)", "(3,)"]),
    # a kernel larger than the padded input (DESIGN difference 10)
    "conv-kernel-too-big": (lambda: Convolution(np.ones((2, 1, 5, 5)), B2, pad=1).forward(
        np.ones((1, 1, 2, 2))), ValueError, ["Convolution.forward", "5x5", "4x4"]),
    "maxpool-window-too-big": (lambda: Pooling(3, 3, 1).forward(np.ones((1, 1, 2, 5))),
                               ValueError, ["Pooling.forward", "3x3", "2x5"]),
    "avgpool-window-too-big": (lambda: AvgPooling(2, 6, 1).forward(np.ones((1, 1, 4, 4))),
                               ValueError, ["AvgPooling.forward", "2x6", "4x4"]),
    "im2col-kernel-too-big": (lambda: im2col(np.ones((1, 1, 3, 3)), 4, 2), ValueError,
                              ["im2col", "4x2", "3x3"]),
    "conv_output_size-too-big": (lambda: conv_output_size(2, 5, 1, 1), ValueError,
                                 ["conv_output_size", "5", "2 + 2*1"]),
    "pool_output_size-too-big": (lambda: pool_output_size(2, 3), ValueError,
                                 ["pool_output_size", "3", "2 + 2*0"]),
    # pooling pad more than half the window
    "maxpool-pad-over-half": (lambda: Pooling(3, 3, 1, 2), ValueError,
                              ["Pooling", "pad 2", "3x3", "pad <= 1"]),
    "avgpool-pad-over-half": (lambda: AvgPooling(2, 2, 2, (0, 2)), ValueError,
                              ["AvgPooling", "(0, 2)", "2x2"]),
    "maxpool-pad-1-window-1": (lambda: Pooling(1, 1, 1, 1), ValueError,
                               ["Pooling", "pad 1", "1x1", "pad <= 0"]),
    "pool_output_size-pad-over-half": (lambda: pool_output_size(5, 3, 1, 2), ValueError,
                                       ["pool_output_size", "pad 2", "3"]),
    "maxpool-window-0": (lambda: Pooling(0, 2), ValueError, ["Pooling", "pool_h", "0"]),
    "maxpool-window-float": (lambda: Pooling(2, 2.0), TypeError, ["Pooling", "pool_w", "2.0"]),
    # labels and targets
    "softmaxloss-label-too-big": (lambda: SoftmaxWithLoss().forward(np.ones((2, 3)), [0, 3]),
                                  ValueError, ["SoftmaxWithLoss.forward", "[0, 3)", "max 3"]),
    "softmaxloss-label-negative": (lambda: SoftmaxWithLoss().forward(np.ones((2, 3)), [-1, 0]),
                                   ValueError, ["SoftmaxWithLoss.forward", "min -1"]),
    "softmaxloss-label-fraction": (lambda: SoftmaxWithLoss().forward(np.ones((2, 3)), [0.5, 1]),
                                   TypeError, ["SoftmaxWithLoss.forward", "integers"]),
    "softmaxloss-t-shape": (lambda: SoftmaxWithLoss().forward(np.ones((2, 3)), np.ones((2, 4))),
                            ValueError, ["SoftmaxWithLoss.forward", "(2, 4)", "(2, 3)", "(2,)"]),
    "ce-label-too-big": (lambda: cross_entropy_error(PROBS, np.array([0, 5])), ValueError,
                         ["cross_entropy_error", "[0, 3)", "max 5"]),
    "ce-label-count": (lambda: cross_entropy_error(PROBS, np.array([0, 1, 2])), ValueError,
                       ["cross_entropy_error", "(3,)", "(2,)"]),
    "ce-t-strings": (lambda: cross_entropy_error(PROBS, np.array(["a", "b"])), TypeError,
                     ["cross_entropy_error", "t", "<U1"]),
    "ce-one-sample-two-labels": (lambda: cross_entropy_error(np.full(3, 1 / 3), [0, 1]),
                                 ValueError, ["cross_entropy_error", "(3,)", "(2,)"]),
    "softmaxloss-one-sample-bad-t": (lambda: SoftmaxWithLoss().forward(np.ones(3), np.ones(4)),
                                     ValueError, ["SoftmaxWithLoss.forward", "(3,)", "(4,)"]),
    "ce-logits-label-too-big": (lambda: cross_entropy_error(PROBS, [3, 0], logits=True),
                                ValueError, ["cross_entropy_error", "[0, 3)"]),
    # biases and parameters of the wrong shape
    "affine-bias-length": (lambda: Affine(np.ones((6, 4)), np.zeros(3)), ValueError,
                           ["Affine", "b", "(4,)", "(3,)", "(6, 4)"]),
    "affine-bias-2d": (lambda: Affine(np.ones((6, 4)), np.zeros((1, 4))), ValueError,
                       ["Affine", "(4,)", "(1, 4)"]),
    "conv-bias-length": (lambda: Convolution(W4, np.zeros(3)), ValueError,
                         ["Convolution", "b", "(2,)", "(3,)", "(2, 3, 2, 2)"]),
    "bn-gamma-beta": (lambda: BatchNormalization(np.ones(3), np.zeros(2)), ValueError,
                      ["BatchNormalization", "(3,)", "(2,)"]),
    "bn-running-mean-shape": (lambda: BatchNormalization(
        np.ones(3), np.zeros(3), running_mean=np.zeros(2), running_var=np.ones(2)), ValueError,
        ["BatchNormalization", "running_mean", "(3,)", "(2,)"]),
    "bn-running-var-alone": (lambda: BatchNormalization(np.ones(3), np.zeros(3),
                                                        running_var=np.ones(3)),
                             ValueError, ["BatchNormalization", "both", "running_var"]),
    # other values out of range
    "bn-one-value-per-channel": (
        lambda: BatchNormalization(np.ones(3), np.zeros(3)).forward(np.ones((1, 3, 1, 1))),
        ValueError, ["BatchNormalization.forward", "(1, 3, 1, 1)", "more than one value"]),
    "bn-momentum": (lambda: BatchNormalization(np.ones(3), np.zeros(3), momentum=1.5),
                    ValueError, ["BatchNormalization", "momentum", "1.5"]),
    "dropout-ratio": (lambda: Dropout(1.5), ValueError, ["Dropout", "dropout_ratio", "1.5"]),
    "dropout-ratio-negative": (lambda: Dropout(-0.1), ValueError, ["Dropout", "-0.1"]),
    "dropout-rng": (lambda: Dropout(0.5, rng="seed"), TypeError, ["Dropout", "rng", "'seed'"]),
    "lrn-size-0": (lambda: LRN(size=0), ValueError, ["LRN", "size", "0"]),
    "lrn-alpha-str": (lambda: LRN(alpha="a"), TypeError, ["LRN", "alpha", "'a'"]),
    # arrays that are not arrays of numbers
    "relu-strings": (lambda: Relu().forward(np.array(["a"])), TypeError,
                     ["Relu.forward", "real numbers", "<U1"]),
    "sigmoid-ragged": (lambda: Sigmoid().forward([[1.0, 2.0], [3.0]]), TypeError,
                       ["Sigmoid.forward", "array of numbers"]),
    "conv-x-strings": (lambda: conv().forward(np.full((1, 3, 4, 4), "a")), TypeError,
                       ["Convolution.forward", "real numbers"]),
    # numerical_gradient perturbs x in place
    "numgrad-int": (lambda: numerical_gradient(lambda a: 0.0, np.ones(3, int)), TypeError,
                    ["numerical_gradient", "float", "int64"]),
    "numgrad-non-contiguous": (lambda: numerical_gradient(lambda a: 0.0, np.ones((3, 4))[:, :2]),
                               ValueError, ["numerical_gradient", "contiguous"]),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_is_refused_with_a_message_naming_it(name):
    call, error, fragments = BAD_INPUTS[name]
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{name}: {fragment!r} not in {message!r}"


# --- stride and pad, for every component that takes them -------------------------------------
# columns: owner name in the message, call(stride, pad), accepts (h, w) pairs
STRIDE_PAD_OWNERS = {
    "Convolution": (lambda s, p: Convolution(W4, B2, s, p), True),
    "Pooling": (lambda s, p: Pooling(3, 3, s, p), True),
    "AvgPooling": (lambda s, p: AvgPooling(3, 3, s, p), True),
    "im2col": (lambda s, p: im2col(X4, 2, 2, s, p), True),
    "col2im": (lambda s, p: col2im(np.ones((9, 12)), (1, 3, 4, 4), 2, 2, s, p), True),
    "conv_output_size": (lambda s, p: conv_output_size(8, 3, s, p), False),
    "pool_output_size": (lambda s, p: pool_output_size(8, 3, s, p), False),
}
# columns: argument, bad value, error type, needs pair support
BAD_STRIDE_PAD = [
    ("stride", 0, ValueError, False),
    ("stride", -1, ValueError, False),
    ("pad", -1, ValueError, False),
    ("stride", 1.0, TypeError, False),
    ("stride", 1.5, TypeError, False),
    ("pad", 1.0, TypeError, False),
    ("stride", True, TypeError, False),
    ("pad", False, TypeError, False),
    ("stride", "2", TypeError, False),
    ("pad", "1", TypeError, False),
    ("stride", np.float64(2.0), TypeError, False),
    ("stride", (1, 0), ValueError, True),
    ("pad", (0, -1), ValueError, True),
    ("stride", (1, 2, 1), TypeError, True),
    ("pad", (1.0, 1), TypeError, True),
    ("stride", np.array(2), TypeError, True),  # a 0-d array is not an int
]


@pytest.mark.parametrize("argument, value, error, pair", BAD_STRIDE_PAD)
@pytest.mark.parametrize("owner", STRIDE_PAD_OWNERS)
def test_bad_stride_or_pad_is_refused_naming_owner_argument_and_value(owner, argument, value,
                                                                      error, pair):
    call, takes_pairs = STRIDE_PAD_OWNERS[owner]
    if pair and not takes_pairs:
        error = TypeError  # the scalar size formulas take ints only
    stride, pad = (value, 0) if argument == "stride" else (1, value)
    with pytest.raises(error) as info:
        call(stride, pad)
    message = str(info.value)
    assert message.startswith(f"{owner}"), message
    assert argument in message and repr(value) in message, message


# --- backward before forward -----------------------------------------------------------------
# columns: a fresh layer
FRESH_LAYERS = {
    "Relu": Relu, "Sigmoid": Sigmoid,
    "Affine": lambda: Affine(np.ones((3, 2)), np.zeros(2)),
    "SoftmaxWithLoss": SoftmaxWithLoss, "Dropout": Dropout,
    "BatchNormalization": lambda: BatchNormalization(np.ones(3), np.zeros(3)),
    "Convolution": conv, "Pooling": lambda: Pooling(2, 2, 2),
    "AvgPooling": lambda: AvgPooling(2, 2, 2), "LRN": LRN,
}


@pytest.mark.parametrize("name", FRESH_LAYERS)
def test_backward_before_forward_raises_call_order_error(name):
    layer = FRESH_LAYERS[name]()
    with pytest.raises(CallOrderError) as info:
        layer.backward(np.ones((1, 3, 2, 2)))
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)
    assert f"{name}.backward called before {name}.forward" in str(info.value)


# --- dout of the wrong shape -----------------------------------------------------------------
# columns: layer after forward, expected dout shape, bad dout shape
WRONG_DOUT = {
    "Relu": (lambda: after_forward(Relu(), np.ones((2, 3))), (2, 3), (3, 2)),
    "Sigmoid": (lambda: after_forward(Sigmoid(), np.ones((2, 3))), (2, 3), (2, 3, 1)),
    "Affine": (lambda: after_forward(Affine(np.ones((6, 4)), np.zeros(4)), np.ones((2, 3, 2))),
               (2, 4), (2, 3, 2)),
    "Affine-1d": (lambda: after_forward(Affine(np.ones((6, 4)), np.zeros(4)), np.ones(6)),
                  (4,), (1, 4)),
    "Dropout": (lambda: after_forward(Dropout(0.5), np.ones((2, 3))), (2, 3), (6,)),
    "Dropout-eval": (lambda: after_forward(Dropout(0.5), np.ones((2, 3)), False), (2, 3),
                     (1, 2, 3)),
    "BatchNormalization": (lambda: after_forward(BatchNormalization(np.ones(3), np.zeros(3)),
                                                 np.arange(6.0).reshape(2, 3)), (2, 3), (3, 2)),
    "Convolution": (lambda: after_forward(conv(), X4), (1, 2, 3, 3), (1, 2, 4, 4)),
    "Pooling": (lambda: after_forward(Pooling(2, 2, 2), X4), (1, 3, 2, 2), (1, 3, 4, 4)),
    "AvgPooling": (lambda: after_forward(AvgPooling(2, 2, 2), X4), (1, 3, 2, 2), (3, 2, 2)),
    "LRN": (lambda: after_forward(LRN(), X4), (1, 3, 4, 4), (1, 4, 4, 3)),
}


@pytest.mark.parametrize("name", WRONG_DOUT)
def test_dout_of_the_wrong_shape_is_refused_naming_both_shapes(name):
    make, expected, bad = WRONG_DOUT[name]
    layer = make()
    with pytest.raises(ValueError) as info:
        layer.backward(np.ones(bad))
    message = str(info.value)
    assert message.startswith(f"{type(layer).__name__}.backward: dout"), message
    assert str(expected) in message and str(bad) in message, message


def test_softmax_with_loss_backward_needs_a_scalar_dout():
    layer = after_forward(SoftmaxWithLoss(), np.ones((2, 3)), [0, 1])
    with pytest.raises(ValueError, match=r"SoftmaxWithLoss\.backward: dout must be a scalar"
                                         r".*\(2,\)"):
        layer.backward(np.ones(2))


# --- networks --------------------------------------------------------------------------------
# columns: call, error type, fragments the message must contain
BAD_NETS = {
    "input-dim-2d": (lambda: SimpleConvNet((28, 28)), ValueError,
                     ["SimpleConvNet", "input_dim", "(28, 28)"]),
    "input-dim-zero": (lambda: LeNet((1, 0, 8)), ValueError, ["LeNet", "input_dim"]),
    "conv-param-key": (lambda: SimpleConvNet(conv_param={"filter_nums": 3}), ValueError,
                       ["SimpleConvNet", "filter_nums"]),
    "input-too-small": (lambda: SimpleConvNet((1, 4, 4)), ValueError,
                        ["SimpleConvNet", "Conv1", "5x5", "(1, 4, 4)"]),
    "lenet-second-conv-too-big": (lambda: LeNet((1, 8, 8)), ValueError,
                                  ["LeNet", "Conv2", "(6, 4, 4)", "(1, 8, 8)"]),
    "lenet-activation": (lambda: LeNet(activation="tanh"), ValueError, ["LeNet", "'tanh'"]),
    "alexnet-channels": (lambda: AlexNet((1, 8, 8), channels=(4, 4)), ValueError,
                         ["AlexNet", "5", "(4, 4)"]),
    "deep-too-small": (lambda: DeepConvNet((1, 1, 1)), ValueError, ["DeepConvNet", "Pool"]),
    "init-name": (lambda: SimpleConvNet((1, 8, 8), weight_init_std="gauss"), ValueError,
                  ["SimpleConvNet", "weight_init_std", "'gauss'"]),
    "rng-type": (lambda: SimpleConvNet((1, 8, 8), rng="seed"), TypeError,
                 ["SimpleConvNet", "rng", "'seed'"]),
    "predict-3d": (lambda: SimpleConvNet((1, 8, 8), rng=0).predict(np.ones((1, 8, 8))),
                   ValueError, ["Convolution.forward", "(1, 8, 8)", "x[np.newaxis]"]),
    "predict-wrong-size": (
        lambda: SimpleConvNet((1, 8, 8), {"filter_num": 2, "filter_size": 3}, 4, rng=0).predict(
            np.ones((1, 1, 10, 10))), ValueError, ["Affine.forward", "(1, 2, 4, 4)", "(18, 4)"]),
    "accuracy-counts": (lambda: SimpleConvNet((1, 8, 8), rng=0).accuracy(np.ones((2, 1, 8, 8)),
                                                                        [1]),
                        ValueError, ["SimpleConvNet.accuracy", "2 samples", "1 labels"]),
    "loss-label-range": (lambda: SimpleConvNet((1, 8, 8), output_size=3, rng=0).loss(
        np.ones((2, 1, 8, 8)), [0, 3]), ValueError, ["SoftmaxWithLoss.forward", "[0, 3)"]),
}


@pytest.mark.parametrize("name", BAD_NETS)
def test_bad_network_arguments_are_refused_with_a_message_naming_them(name):
    call, error, fragments = BAD_NETS[name]
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{name}: {fragment!r} not in {message!r}"


# --- optimizers ------------------------------------------------------------------------------
OPTIMIZERS = [SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam]
READ_ONLY = np.ones(2)
READ_ONLY.flags.writeable = False
# columns: params, grads, error type, fragments the message must contain
BAD_UPDATES = {
    "missing-key": ({"W1": np.ones(2), "b1": np.ones(2)}, {"W1": np.ones(2)}, ValueError,
                    ["grads has no entry for ['b1']"]),
    "wrong-shape": ({"W1": np.ones((2, 3))}, {"W1": np.ones((3, 2))}, ValueError,
                    ["grads['W1']", "(3, 2)", "(2, 3)"]),
    "grads-none": ({"W1": np.ones(2)}, None, TypeError, ["grads must be a dict", "NoneType"]),
    "grads-list": ({"W1": np.ones(2)}, [np.ones(2)], TypeError, ["grads must be a dict", "list"]),
    "params-list": ([np.ones(2)], {"W1": np.ones(2)}, TypeError, ["params must be a dict"]),
    "grads-strings": ({"W1": np.ones(2)}, {"W1": np.array(["a", "b"])}, TypeError,
                      ["grads['W1']", "<U1"]),
    "param-int": ({"W1": np.ones(2, int)}, {"W1": np.ones(2)}, TypeError,
                  ["params['W1']", "float", "int64"]),
    "param-list": ({"W1": [1.0, 2.0]}, {"W1": np.ones(2)}, TypeError,
                   ["params['W1']", "in place", "list"]),
    "param-read-only": ({"W1": READ_ONLY}, {"W1": np.ones(2)}, TypeError,
                        ["params['W1']", "read-only"]),
}


@pytest.mark.parametrize("name", BAD_UPDATES)
@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_bad_update_arguments_are_refused_naming_the_optimizer_and_key(cls, name):
    params, grads, error, fragments = BAD_UPDATES[name]
    with pytest.raises(error) as info:
        cls().update(params, grads)
    message = str(info.value)
    assert message.startswith(f"{cls.__name__}.update: "), message
    for fragment in fragments:
        assert fragment in message, f"{name}: {fragment!r} not in {message!r}"


# --- fuzzing: valid geometry works, invalid geometry is refused in the layer's words ---------
def layer_message(exc, owner):
    return str(exc).startswith(owner)


ints = st.integers(min_value=-1, max_value=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(h=st.integers(1, 6), w=st.integers(1, 6), fh=st.integers(1, 5), fw=st.integers(1, 5),
       stride=st.one_of(ints, st.tuples(ints, ints)), pad=st.one_of(ints, st.tuples(ints, ints)))
def test_convolution_either_works_or_names_itself(h, w, fh, fw, stride, pad):
    x = np.ones((1, 2, h, w))
    try:
        layer = Convolution(np.ones((3, 2, fh, fw)), np.zeros(3), stride, pad)
        out = layer.forward(x)
    except (TypeError, ValueError) as exc:
        assert layer_message(exc, "Convolution"), repr(exc)
        return
    (sh, sw), (ph, pw) = [v if isinstance(v, tuple) else (v, v) for v in (stride, pad)]
    assert out.shape == (1, 3, (h + 2 * ph - fh) // sh + 1, (w + 2 * pw - fw) // sw + 1)
    assert layer.backward(np.ones(out.shape)).shape == x.shape


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cls=st.sampled_from([Pooling, AvgPooling]), h=st.integers(1, 6), w=st.integers(1, 6),
       ph=st.integers(1, 4), pw=st.integers(1, 4),
       stride=st.one_of(st.none(), ints, st.tuples(ints, ints)),
       pad=st.one_of(ints, st.tuples(ints, ints)))
def test_pooling_either_works_or_names_itself(cls, h, w, ph, pw, stride, pad):
    x = np.ones((2, 1, h, w))
    try:
        layer = cls(ph, pw, stride, pad)
        out = layer.forward(x)
    except (TypeError, ValueError) as exc:
        assert layer_message(exc, cls.__name__), repr(exc)
        return
    stride = (ph, pw) if stride is None else stride
    (sh, sw), (qh, qw) = [v if isinstance(v, tuple) else (v, v) for v in (stride, pad)]
    assert out.shape == (2, 1, (h + 2 * qh - ph) // sh + 1, (w + 2 * qw - pw) // sw + 1)
    assert layer.backward(np.ones(out.shape)).shape == x.shape


@settings(max_examples=100, deadline=None)
@given(x_shape=st.lists(st.integers(0, 4), min_size=0, max_size=4),
       n_in=st.integers(1, 6), b_len=st.integers(1, 4))
def test_affine_either_works_or_names_itself(x_shape, n_in, b_len):
    try:
        layer = Affine(np.ones((n_in, 3)), np.zeros(b_len))
        out = layer.forward(np.ones(x_shape))
    except (TypeError, ValueError) as exc:
        assert layer_message(exc, "Affine"), repr(exc)
        return
    assert out.shape[-1] == 3
    assert layer.backward(np.ones(out.shape)).shape == tuple(x_shape)


@settings(max_examples=100, deadline=None)
@given(x_shape=st.lists(st.integers(1, 4), min_size=0, max_size=3),
       t=st.one_of(st.integers(-1, 4), st.lists(st.integers(-1, 4), min_size=0, max_size=4)))
def test_softmax_with_loss_either_works_or_names_itself(x_shape, t):
    layer = SoftmaxWithLoss()
    try:
        loss = layer.forward(np.zeros(x_shape), np.array(t))
    except (TypeError, ValueError) as exc:
        assert layer_message(exc, "SoftmaxWithLoss"), repr(exc)
        return
    assert np.isfinite(loss)
    assert layer.backward().shape == tuple(x_shape)
