"""Behaviour probes: run one implementation of the book's API on fixed inputs and record what it
returns, so that two implementations (a submission and scratch_cnn) can be compared output by
output.

Every probe uses stride 1 and 2, pad 0 and 1, H != W and non-square kernels somewhere, and
calls the layers the way a network does (forward twice before backward, backward after an
optimizer step), so that state bugs show up too. Inputs are float64: the book returns float64
for float32 input, which is accepted, so float32 would only add noise here.
"""

import importlib.util
import types
import warnings
from collections.abc import Callable, Iterator

import numpy as np

COMPONENTS = ("im2col", "col2im", "Convolution", "Pooling", "Relu", "Affine",
              "SoftmaxWithLoss", "SimpleConvNet")

# (x shape, filter_h, filter_w, stride, pad): every case has H != W
CONV_GEOMETRIES = [
    ((2, 3, 5, 4), 3, 3, 1, 0),
    ((2, 3, 5, 4), 3, 2, 1, 1),
    ((2, 2, 7, 6), 2, 3, 2, 0),
    ((1, 3, 6, 7), 3, 3, 2, 1),
    ((2, 2, 6, 5), 2, 2, 2, 1),
]
# (x shape, pool_h, pool_w, stride, pad): pad is at most half the window, as torch requires
POOL_GEOMETRIES = [
    ((2, 3, 6, 5), 2, 2, 2, 0),
    ((2, 2, 7, 6), 3, 3, 2, 1),
    ((1, 3, 5, 6), 2, 2, 1, 0),
    ((2, 2, 6, 7), 3, 2, 1, 1),
    ((2, 3, 5, 4), 2, 3, 2, 1),
]
NET_CONFIGS = [
    ((2, 8, 6), {"filter_num": 3, "filter_size": 3, "pad": 1, "stride": 1}, 5, 4),
    ((1, 9, 8), {"filter_num": 2, "filter_size": 3, "pad": 0, "stride": 2}, 6, 3),
]
WEIGHT_INIT_STD = 0.3

Observation = dict  # output name -> np.ndarray, or "raised <ExceptionType>"
Probe = Callable[[types.ModuleType, np.random.Generator], Iterator[tuple[str, object]]]


def module_from_source(source, name):
    """Import Python source text as a fresh module (a submission with a bug applied)."""
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader=None))
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def module_from_path(path):
    spec = importlib.util.spec_from_file_location(f"blind_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def out_size(n, kernel, stride, pad):
    return (n + 2 * pad - kernel) // stride + 1


def unchanged(before, after):
    return np.array(before.shape == after.shape and np.array_equal(before, after))


# ----------------------------------------------------------------------------------------------
# One generator per component: yields (output name, value) until done or until the code raises.


def probe_im2col(impl, rng):
    for i, (shape, fh, fw, s, p) in enumerate(CONV_GEOMETRIES):
        x = rng.standard_normal(shape)
        kept = x.copy()
        yield f"g{i}/col", impl.im2col(x, fh, fw, s, p)
        yield f"g{i}/input-unchanged", unchanged(kept, x)


def probe_col2im(impl, rng):
    for i, ((n, c, h, w), fh, fw, s, p) in enumerate(CONV_GEOMETRIES):
        rows = n * out_size(h, fh, s, p) * out_size(w, fw, s, p)
        col = rng.standard_normal((rows, c * fh * fw))
        yield f"g{i}/img", impl.col2im(col, (n, c, h, w), fh, fw, s, p)


def probe_convolution(impl, rng):
    for i, (shape, fh, fw, s, p) in enumerate(CONV_GEOMETRIES):
        n, c, h, w = shape
        filters = 4
        weights = rng.standard_normal((filters, c, fh, fw))
        bias = rng.standard_normal(filters)
        x, x2 = rng.standard_normal(shape), rng.standard_normal(shape)
        dout = rng.standard_normal((n, filters, out_size(h, fh, s, p), out_size(w, fw, s, p)))
        kept = x.copy()

        layer = impl.Convolution(weights.copy(), bias.copy(), s, p)
        yield f"g{i}/out", layer.forward(x)
        yield f"g{i}/input-unchanged", unchanged(kept, x)
        yield f"g{i}/dx", layer.backward(dout.copy())
        yield f"g{i}/dW", layer.dW
        yield f"g{i}/db", layer.db
        yield f"g{i}/W-unchanged", unchanged(weights, layer.W)

        # a network calls forward on new batches before backward
        layer = impl.Convolution(weights.copy(), bias.copy(), s, p)
        layer.forward(x)
        yield f"g{i}/second-out", layer.forward(x2)
        yield f"g{i}/second-dx", layer.backward(dout.copy())
        yield f"g{i}/second-dW", layer.dW


def probe_pooling(impl, rng):
    for i, (shape, ph, pw, s, p) in enumerate(POOL_GEOMETRIES):
        n, c, h, w = shape
        x, x2 = rng.standard_normal(shape), rng.standard_normal(shape)
        dout = rng.standard_normal((n, c, out_size(h, ph, s, p), out_size(w, pw, s, p)))
        kept = x.copy()

        layer = impl.Pooling(ph, pw, stride=s, pad=p)
        yield f"g{i}/out", layer.forward(x)
        yield f"g{i}/input-unchanged", unchanged(kept, x)
        yield f"g{i}/dx", layer.backward(dout.copy())

        layer = impl.Pooling(ph, pw, stride=s, pad=p)
        layer.forward(x)
        yield f"g{i}/second-out", layer.forward(x2)
        yield f"g{i}/second-dx", layer.backward(dout.copy())

    # few distinct values: the gradient goes to the first maximum of a window, as in torch
    for i, (ph, pw, s, p) in enumerate([(2, 2, 2, 0), (3, 3, 2, 1), (2, 2, 1, 0)]):
        x = rng.integers(0, 3, (2, 2, 5, 6)).astype(float)
        dout = rng.standard_normal((2, 2, out_size(5, ph, s, p), out_size(6, pw, s, p)))
        layer = impl.Pooling(ph, pw, stride=s, pad=p)
        yield f"ties{i}/out", layer.forward(x)
        yield f"ties{i}/dx", layer.backward(dout)

    # all-negative input with padding: the pad must never win a window
    layer = impl.Pooling(3, 3, stride=2, pad=1)
    x = -np.abs(rng.standard_normal((1, 2, 5, 6))) - 1.0
    yield "negative/out", layer.forward(x)
    yield "negative/dx", layer.backward(rng.standard_normal((1, 2, 3, 3)))


def probe_relu(impl, rng):
    for i, shape in enumerate([(3, 7), (2, 3, 4, 5)]):
        x = np.round(rng.standard_normal(shape), 1)
        x.flat[::5] = 0.0  # exact zeros: the gradient there is 0, as in torch
        kept = x.copy()
        layer = impl.Relu()
        yield f"s{i}/out", layer.forward(x)
        yield f"s{i}/input-unchanged", unchanged(kept, x)
        # the book's backward overwrites dout (accepted), so each call gets its own copy
        yield f"s{i}/dx", layer.backward(rng.standard_normal(shape))


def probe_affine(impl, rng):
    # 4-D input flattened by the layer, and a square W (where W and W.T both fit)
    for i, (shape, inputs, outputs) in enumerate([((2, 3, 2, 2), 12, 5), ((4, 5), 5, 5)]):
        weights = rng.standard_normal((inputs, outputs))
        bias = rng.standard_normal(outputs)
        x, x2 = rng.standard_normal(shape), rng.standard_normal(shape)
        dout = rng.standard_normal((shape[0], outputs))
        kept = x.copy()

        layer = impl.Affine(weights.copy(), bias.copy())
        yield f"s{i}/out", layer.forward(x)
        yield f"s{i}/input-unchanged", unchanged(kept, x)
        yield f"s{i}/dx", layer.backward(dout.copy())
        yield f"s{i}/dW", layer.dW
        yield f"s{i}/db", layer.db
        yield f"s{i}/W-unchanged", unchanged(weights, layer.W)

        layer = impl.Affine(weights.copy(), bias.copy())
        layer.forward(x)
        yield f"s{i}/second-out", layer.forward(x2)
        yield f"s{i}/second-dW", (layer.backward(dout.copy()), layer.dW)[1]


def one_hot(labels, classes):
    return np.eye(classes)[labels]


def probe_softmax_with_loss(impl, rng):
    scores = rng.standard_normal((4, 5))
    labels = rng.integers(0, 5, 4)
    # rows far apart: a shift by the global max (or none) under/overflows here
    far = rng.standard_normal((3, 4)) + np.array([[1000.0], [0.0], [-1000.0]])
    # confident scores: the other classes' probabilities underflow to exactly 0
    confident = rng.standard_normal((3, 4)) * 1000
    cases = [
        ("labels", scores, labels),
        ("one-hot", scores, one_hot(labels, 5)),
        ("far-rows", far, rng.integers(0, 4, 3)),
        ("confident-one-hot", confident, one_hot(confident.argmax(axis=1), 4)),
    ]
    for name, x, t in cases:
        kept_x, kept_t = x.copy(), t.copy()
        layer = impl.SoftmaxWithLoss()
        yield f"{name}/loss", np.asarray(layer.forward(x, t), dtype=float)
        yield f"{name}/input-unchanged", unchanged(kept_x, x) & unchanged(kept_t, t)
        yield f"{name}/dx", layer.backward(1)
        yield f"{name}/dx-again", layer.backward(1)


def probe_simple_conv_net(impl, rng):
    for i, (input_dim, conv_param, hidden, classes) in enumerate(NET_CONFIGS):
        np.random.seed(i)  # the book draws the initial weights from np.random
        net = impl.SimpleConvNet(input_dim=input_dim, conv_param=dict(conv_param),
                                 hidden_size=hidden, output_size=classes,
                                 weight_init_std=WEIGHT_INIT_STD)
        yield f"n{i}/param-keys", np.array(sorted(net.params))
        for key in sorted(net.params):
            value = net.params[key]
            yield f"n{i}/init-{key}-shape", np.array(value.shape)
            if key.startswith("W"):  # drawn with the requested standard deviation
                yield f"n{i}/init-{key}-std-ok", np.array(
                    0.5 < np.std(value) / WEIGHT_INIT_STD < 2.0)
            else:
                yield f"n{i}/init-{key}-zero", np.array(not np.any(value))

        # set every parameter in place, as optimizers do: the layers must see it
        for key in sorted(net.params):
            net.params[key][...] = WEIGHT_INIT_STD * rng.standard_normal(net.params[key].shape)

        batch = 5
        x = rng.standard_normal((batch,) + input_dim)
        t = rng.integers(0, classes, batch)
        kept = x.copy()
        yield f"n{i}/predict", net.predict(x)
        yield f"n{i}/loss", np.asarray(net.loss(x, t), dtype=float)
        grads = net.gradient(x, t)
        yield f"n{i}/input-unchanged", unchanged(kept, x)
        for key in sorted(net.params):
            yield f"n{i}/grad-{key}", grads[key]

        # one SGD step through params; the next loss must use the updated weights
        for key in net.params:
            net.params[key] -= 0.1 * grads[key]
        yield f"n{i}/loss-after-step", np.asarray(net.loss(x, t), dtype=float)

        # gradient must run its own forward pass on the batch it is given
        x2, t2 = rng.standard_normal(x.shape), rng.integers(0, classes, batch)
        net.loss(x, t)
        for key, value in sorted(net.gradient(x2, t2).items()):
            yield f"n{i}/grad-new-batch-{key}", value

        # accuracy over batches of 3 (the last one shorter); one label made wrong on purpose
        predicted = np.argmax(net.predict(x2), axis=1)
        wrong = predicted.copy()
        wrong[1] = (wrong[1] + 1) % classes
        yield f"n{i}/accuracy", np.asarray(net.accuracy(x2, wrong, batch_size=3), dtype=float)


PROBES = {
    "im2col": probe_im2col,
    "col2im": probe_col2im,
    "Convolution": probe_convolution,
    "Pooling": probe_pooling,
    "Relu": probe_relu,
    "Affine": probe_affine,
    "SoftmaxWithLoss": probe_softmax_with_loss,
    "SimpleConvNet": probe_simple_conv_net,
}


def observe(impl, components=COMPONENTS, seed=0):
    """{"component/output": value} for the given components; an exception ends that
    component's probe and is recorded under "component/raised"."""
    seen = {}
    global_state = np.random.get_state()  # the network probe seeds np.random, as the book does
    for component in components:
        rng = np.random.default_rng([seed, COMPONENTS.index(component)])
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for name, value in PROBES[component](impl, rng):
                    seen[f"{component}/{name}"] = np.array(value, copy=True)
        except Exception as error:  # a crash is an observation like any other
            seen[f"{component}/raised"] = f"raised {type(error).__name__}"
    np.random.set_state(global_state)
    return seen


def same(a, b, tol):
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if a.shape != b.shape:
        return False
    if a.dtype.kind not in "fc" or b.dtype.kind not in "fc":
        return np.array_equal(a, b)
    return bool(np.allclose(a, b, rtol=tol, atol=tol))


def differences(actual, expected, tol):
    """The output names where two observations disagree (missing on one side included)."""
    return sorted(name for name in set(actual) | set(expected)
                  if name not in actual or name not in expected
                  or not same(actual[name], expected[name], tol))
