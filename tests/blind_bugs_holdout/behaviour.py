"""Does a holdout bug change what the submission computes? Run one implementation of the book's
API on ordinary inputs and record its outputs, so that a buggy submission can be compared with
scratch_cnn output by output.

Every layer is called twice on different batches of the same shape (as in training) and the
network trains one step, so state bugs show; shapes mix stride 1 and 2, pad 0 and 1, H != W
and non-square kernels. Inputs are float64: float64 output for float32 input is accepted.

    python -m tests.blind_bugs_holdout.behaviour   # one line per bug: the outputs it changes
"""

import warnings

import numpy as np

# the blind set's helpers: source text as a module, a conv output size, "array unchanged"
from tests.blind_bugs.probes import module_from_source, out_size, unchanged

# (x shape, kernel h, kernel w, stride, pad); H != W everywhere
GEOMETRIES = [
    ((2, 3, 6, 5), 3, 3, 1, 0),
    ((2, 2, 5, 7), 2, 3, 1, 1),
    ((2, 3, 7, 6), 3, 2, 2, 0),
    ((1, 2, 8, 7), 3, 3, 2, 1),
]
# pooling keeps pad <= half the window (torch's rule, which scratch_cnn follows)
POOL_GEOMETRIES = [
    ((2, 3, 6, 4), 2, 2, 2, 0),
    ((2, 2, 7, 5), 3, 3, 2, 1),
    ((1, 3, 5, 6), 2, 2, 1, 0),
    ((2, 2, 6, 7), 3, 2, 1, 1),
]
NETS = [  # input_dim, conv_param, hidden, classes
    ((2, 9, 7), {"filter_num": 4, "filter_size": 3, "pad": 1, "stride": 1}, 6, 4),
    ((1, 10, 9), {"filter_num": 3, "filter_size": 3, "pad": 0, "stride": 2}, 5, 3),
]


def im2col_outputs(impl, rng):
    for g, (shape, kh, kw, s, p) in enumerate(GEOMETRIES):
        x = rng.normal(size=shape)
        before = x.copy()
        yield f"{g}/col", impl.im2col(x, kh, kw, s, p)
        yield f"{g}/x-kept", unchanged(before, x)


def col2im_outputs(impl, rng):
    for g, (shape, kh, kw, s, p) in enumerate(GEOMETRIES):
        n, c, h, w = shape
        col = rng.normal(size=(n * out_size(h, kh, s, p) * out_size(w, kw, s, p), c * kh * kw))
        yield f"{g}/img", impl.col2im(col, shape, kh, kw, s, p)


def convolution_outputs(impl, rng):
    for g, (shape, kh, kw, s, p) in enumerate(GEOMETRIES):
        n, c, h, w = shape
        weights, bias = rng.normal(size=(3, c, kh, kw)), rng.normal(size=3)
        layer = impl.Convolution(weights.copy(), bias.copy(), s, p)
        for call in range(2):  # a second batch through the same layer
            x = rng.normal(size=shape)
            dout = rng.normal(size=(n, 3, out_size(h, kh, s, p), out_size(w, kw, s, p)))
            before = x.copy()
            yield f"{g}.{call}/out", layer.forward(x)
            yield f"{g}.{call}/x-kept", unchanged(before, x)
            yield f"{g}.{call}/dx", layer.backward(dout)
            yield f"{g}.{call}/dW", layer.dW
            yield f"{g}.{call}/db", layer.db
            yield f"{g}.{call}/W-kept", unchanged(weights, layer.W)


def pooling_outputs(impl, rng):
    for g, (shape, kh, kw, s, p) in enumerate(POOL_GEOMETRIES):
        n, c, h, w = shape
        layer = impl.Pooling(kh, kw, stride=s, pad=p)
        for call in range(2):
            x = rng.normal(size=shape) - (1.5 if call else 0.0)  # mostly negative the 2nd time
            dout = rng.normal(size=(n, c, out_size(h, kh, s, p), out_size(w, kw, s, p)))
            before = x.copy()
            yield f"{g}.{call}/out", layer.forward(x)
            yield f"{g}.{call}/x-kept", unchanged(before, x)
            yield f"{g}.{call}/dx", layer.backward(dout)


def relu_outputs(impl, rng):
    for g, shape in enumerate([(4, 6), (2, 3, 4, 5)]):
        layer = impl.Relu()
        for call in range(2):
            x = rng.normal(size=shape)
            x.flat[::7] = 0.0
            before = x.copy()
            yield f"{g}.{call}/out", layer.forward(x)
            yield f"{g}.{call}/x-kept", unchanged(before, x)
            yield f"{g}.{call}/dx", layer.backward(rng.normal(size=shape))


def affine_outputs(impl, rng):
    for g, (shape, inputs, outputs) in enumerate([((3, 2, 3, 2), 12, 5), ((4, 6), 6, 6)]):
        weights, bias = rng.normal(size=(inputs, outputs)), rng.normal(size=outputs)
        layer = impl.Affine(weights.copy(), bias.copy())
        for call in range(2):
            x = rng.normal(size=shape)
            before = x.copy()
            yield f"{g}.{call}/out", layer.forward(x)
            yield f"{g}.{call}/x-kept", unchanged(before, x)
            yield f"{g}.{call}/dx", layer.backward(rng.normal(size=(shape[0], outputs)))
            yield f"{g}.{call}/dW", layer.dW
            yield f"{g}.{call}/db", layer.db
            yield f"{g}.{call}/W-kept", unchanged(weights, layer.W)


def softmax_with_loss_outputs(impl, rng):
    labels = rng.integers(0, 5, 6)
    big = rng.normal(size=(600, 10))  # a test set's worth of untrained scores
    spread = rng.normal(size=(3, 4)) * 800.0  # exp of the raw scores overflows
    cases = {
        "labels": (rng.normal(size=(6, 5)), labels),
        "one-hot": (rng.normal(size=(6, 5)), np.eye(5)[labels]),
        "big-batch": (big, rng.integers(0, 10, 600)),
        "spread": (spread, np.eye(4)[spread.argmax(axis=1)]),
    }
    for name, (x, t) in cases.items():
        before = (x.copy(), t.copy())
        layer = impl.SoftmaxWithLoss()
        yield f"{name}/loss", float(layer.forward(x, t))
        yield f"{name}/inputs-kept", unchanged(before[0], x) & unchanged(before[1], t)
        yield f"{name}/dx", layer.backward(1)


def simple_conv_net_outputs(impl, rng):
    # built twice with the default conv_param, as a notebook rerunning its cell does
    for build in range(2):
        np.random.seed(build)
        net = impl.SimpleConvNet(input_dim=(1, 10, 12), hidden_size=5, output_size=3)
        yield f"default{build}/W2-shape", np.array(net.params["W2"].shape)
    for g, (input_dim, conv_param, hidden, classes) in enumerate(NETS):
        given = dict(conv_param)
        np.random.seed(g)
        net = impl.SimpleConvNet(input_dim=input_dim, conv_param=given, hidden_size=hidden,
                                 output_size=classes, weight_init_std=0.3)
        yield f"{g}/conv_param-kept", np.array(given == conv_param)
        for key in sorted(net.params):  # set in place, as an optimizer does
            net.params[key][...] = 0.3 * rng.normal(size=net.params[key].shape)
        x, t = rng.normal(size=(5,) + input_dim), rng.integers(0, classes, 5)
        yield f"{g}/predict", net.predict(x)
        yield f"{g}/loss", float(net.loss(x, t))
        grads = net.gradient(x, t)
        for key in sorted(net.params):
            yield f"{g}/grad-{key}", grads[key]
        for key in net.params:
            net.params[key] -= 0.1 * grads[key]
        yield f"{g}/loss-after-step", float(net.loss(x, t))
        x2, t2 = rng.normal(size=x.shape), rng.integers(0, classes, 5)
        for key, value in sorted(net.gradient(x2, t2).items()):
            yield f"{g}/grad-2nd-batch-{key}", value
        labels = np.argmax(net.predict(x), axis=1)
        labels[:2] = (labels[:2] + 1) % classes  # 3 of 5 right
        yield f"{g}/accuracy", float(net.accuracy(x, labels, batch_size=3))


OUTPUTS = {
    "im2col": im2col_outputs,
    "col2im": col2im_outputs,
    "Convolution": convolution_outputs,
    "Pooling": pooling_outputs,
    "Relu": relu_outputs,
    "Affine": affine_outputs,
    "SoftmaxWithLoss": softmax_with_loss_outputs,
    "SimpleConvNet": simple_conv_net_outputs,
}


def observe(impl, seed=0, runs=None):
    """{"component/output": array, or "raised <Error>" where the component's run stopped}.

    runs: {component: outputs generator}, OUTPUTS unless given (another set adds cases)."""
    seen = {}
    saved = np.random.get_state()
    for number, (component, outputs) in enumerate((runs or OUTPUTS).items()):
        rng = np.random.default_rng([seed, number])
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for name, value in outputs(impl, rng):
                    seen[f"{component}/{name}"] = np.array(value, copy=True)
        except Exception as error:  # a crash is what the submission does there
            seen[f"{component}/raised"] = f"raised {type(error).__name__}"
    np.random.set_state(saved)
    return seen


def agree(a, b, tol):
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if a.shape != b.shape or a.dtype.kind not in "fc" or b.dtype.kind not in "fc":
        return a.shape == b.shape and np.array_equal(a, b)
    return bool(np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True))


def disagreements(seen, expected, tol=1e-6):
    return sorted(k for k in set(seen) | set(expected)
                  if k not in seen or k not in expected or not agree(seen[k], expected[k], tol))


def main():
    import scratch_cnn
    from tests.blind_bugs_holdout import bugs

    source = bugs.example_source()
    reference = observe(scratch_cnn)
    baseline = set(disagreements(observe(module_from_source(source, "example")), reference))
    print(f"example vs scratch_cnn: {sorted(baseline) or 'agree'}")
    for bug in bugs.BUGS:
        module = module_from_source(bugs.apply(bug, source), bug.name)
        changed = [k for k in disagreements(observe(module), reference) if k not in baseline]
        raised = [k for k in changed if k.endswith("/raised")]
        print(f"{bug.name:42} {len(changed):3} changed  {' '.join(raised)}  {changed[:3]}")


if __name__ == "__main__":
    main()
