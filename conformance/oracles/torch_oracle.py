"""The oracle: each component computed by PyTorch (float64, autograd for every gradient).

The only module of this project that imports torch.
"""

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
# The cases are tiny: one thread is ~100x faster than the default pool (measured: a small
# conv2d forward+backward took 70 ms with 2 threads on a busy 2-core machine, 0.13 ms with 1).
torch.set_num_threads(1)

NAME = f"torch {torch.__version__}"


def _t(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _np(t):
    return t.detach().numpy().copy()


def _backward(out, dout):
    out.backward(_t(dout))


def im2col(p, a):
    x = _t(a["x"])
    cols = F.unfold(x, (p["FH"], p["FW"]), stride=p["stride"], padding=p["pad"])
    return {"col": _np(cols.transpose(1, 2).reshape(-1, cols.shape[1]))}


def col2im(p, a):
    n, c, h, w = p["input_shape"]
    col = _t(a["col"])
    cols = col.reshape(n, -1, col.shape[1]).transpose(1, 2)
    img = F.fold(cols, (h, w), (p["FH"], p["FW"]), stride=p["stride"], padding=p["pad"])
    return {"img": _np(img)}


def convolution(p, a):
    x, W, b = _t(a["x"], True), _t(a["W"], True), _t(a["b"], True)
    out = F.conv2d(x, W, b, stride=p["stride"], padding=p["pad"])
    _backward(out, a["dout"])
    return {"out": _np(out), "dx": _np(x.grad), "dW": _np(W.grad), "db": _np(b.grad)}


def _unary(fn):
    def oracle(p, a):
        x = _t(a["x"], True)
        out = fn(p, x)
        _backward(out, a["dout"])
        return {"out": _np(out), "dx": _np(x.grad)}
    return oracle


pooling = _unary(lambda p, x: F.max_pool2d(x, (p["PH"], p["PW"]), p["stride"], p["pad"]))
avg_pooling = _unary(lambda p, x: F.avg_pool2d(x, (p["PH"], p["PW"]), p["stride"], p["pad"]))
relu = _unary(lambda p, x: torch.relu(x))
sigmoid = _unary(lambda p, x: torch.sigmoid(x))
lrn = _unary(lambda p, x: F.local_response_norm(x, p["size"], p["alpha"], p["beta"], p["k"]))


def affine(p, a):
    x, W, b = _t(a["x"], True), _t(a["W"], True), _t(a["b"], True)
    out = x.reshape(x.shape[0], -1) @ W + b
    _backward(out, a["dout"])
    return {"out": _np(out), "dx": _np(x.grad), "dW": _np(W.grad), "db": _np(b.grad)}


def _cross_entropy(scores, t):
    t = np.asarray(t)
    target = torch.tensor(t, dtype=torch.long) if t.dtype.kind in "iu" else _t(t)
    return F.cross_entropy(scores, target)


def softmax_with_loss(p, a):
    x = _t(a["x"], True)
    loss = _cross_entropy(x, a["t"])
    (loss * p["dout"]).backward()
    return {"loss": _np(loss), "dx": _np(x.grad)}


def batch_normalization(p, a):
    momentum = 1 - p["momentum"]  # the book's momentum weighs the old statistics
    features = a["gamma"].shape[0]
    running_mean, running_var = torch.zeros(features), torch.ones(features)
    x, gamma, beta = _t(a["x"], True), _t(a["gamma"], True), _t(a["beta"], True)
    out = F.batch_norm(x, running_mean, running_var, gamma, beta, True, momentum, 1e-5)
    _backward(out, a["dout"])
    result = {"out": _np(out), "dx": _np(x.grad), "dgamma": _np(gamma.grad),
              "dbeta": _np(beta.grad)}
    for _ in range(p.get("extra_steps", 0)):
        F.batch_norm(_t(a["x_more"]), running_mean, running_var, _t(a["gamma"]),
                     _t(a["beta"]), True, momentum, 1e-5)
    result.update(running_mean=_np(running_mean), running_var=_np(running_var))
    x_eval = _t(a["x_eval"], True)
    out = F.batch_norm(x_eval, running_mean, running_var, _t(a["gamma"]), _t(a["beta"]),
                       False, momentum, 1e-5)
    _backward(out, a["dout"])
    result.update(out_eval=_np(out), dx_eval=_np(x_eval.grad))
    return result


# -- networks: written out in torch from the architecture, independently of scratch_cnn


def _conv_stack(x, params, plan):
    """plan: a list of steps; ('conv', i, stride, pad) uses W{i}/b{i}; ('affine', i); others
    are activations and pools."""
    for step in plan:
        kind = step[0]
        if kind == "conv":
            i, stride, pad = step[1:]
            x = F.conv2d(x, params[f"W{i}"], params[f"b{i}"], stride=stride, padding=pad)
        elif kind == "affine":
            i = step[1]
            x = x.reshape(x.shape[0], -1) @ params[f"W{i}"] + params[f"b{i}"]
        elif kind == "relu":
            x = torch.relu(x)
        elif kind == "sigmoid":
            x = torch.sigmoid(x)
        elif kind == "maxpool":
            x = F.max_pool2d(x, step[1], step[2], step[3])
        elif kind == "avgpool":
            x = F.avg_pool2d(x, step[1], step[2])
        elif kind == "lrn":
            x = F.local_response_norm(x, **step[1])
    return x


def _plan(p):
    init = p["init"]
    name = p["network"]
    if name == "SimpleConvNet":
        c = init["conv_param"]
        return [("conv", 1, c["stride"], c["pad"]), ("relu",), ("maxpool", 2, 2, 0),
                ("affine", 2), ("relu",), ("affine", 3)]
    if name == "LeNet":
        act = (init.get("activation", "sigmoid"),)
        size = init.get("filter_size", 5)
        plan = []
        for i in range(len(init.get("conv_channels", (6, 16)))):
            plan += [("conv", i + 1, 1, size // 2 if i == 0 else 0), act, ("avgpool", 2, 2)]
        hidden = len(init.get("hidden_sizes", (120, 84)))
        first = len(init.get("conv_channels", (6, 16))) + 1
        for i in range(hidden):
            plan += [("affine", first + i), act]
        return plan + [("affine", first + hidden)]
    if name == "AlexNet":
        lrn = {"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 2.0, **init.get("lrn_param", {})}
        plan = []
        for i in range(5):
            plan += [("conv", i + 1, 1, 1), ("relu",)]
            if i < 2:
                plan.append(("lrn", lrn))
            if i in (0, 1, 4):
                plan.append(("maxpool", 3, 2, 1))
        return plan + [("affine", 6), ("relu",), ("affine", 7), ("relu",), ("affine", 8)]
    if name == "DeepConvNet":
        plan = []
        for i in range(6):
            c = init[f"conv_param_{i + 1}"]
            plan += [("conv", i + 1, c["stride"], c["pad"]), ("relu",)]
            if i % 2 == 1:
                plan.append(("maxpool", 2, 2, 0))
        return plan + [("affine", 7), ("relu",), ("affine", 8)]
    raise KeyError(name)


def network(p, a):
    params = {k: _t(a[k], True) for k in p["param_shapes"]}
    scores = _conv_stack(_t(a["x"]), params, _plan(p))
    loss = _cross_entropy(scores, a["t"])
    loss.backward()
    accuracy = float(np.mean(np.argmax(_np(scores), axis=1) == a["t"]))
    return {"scores": _np(scores), "loss": _np(loss), "accuracy": np.array(accuracy),
            **{f"d{k}": _np(v.grad) for k, v in params.items()},
            **{f"shape:{k}": np.array(shape, dtype=np.float64)
               for k, shape in p["param_shapes"].items()}}


def optimizer(p, a):
    params = {k: _t(a[k], True) for k in ("W1", "b1", "W2", "b2")}
    h = p["hyper"]
    make = {
        "SGD": lambda ps: torch.optim.SGD(ps, lr=h["lr"]),
        "Momentum": lambda ps: torch.optim.SGD(ps, lr=h["lr"], momentum=h["momentum"]),
        "Nesterov": lambda ps: torch.optim.SGD(ps, lr=h["lr"], momentum=h["momentum"],
                                               nesterov=True),
        "AdaGrad": lambda ps: torch.optim.Adagrad(ps, lr=h["lr"]),
        "RMSprop": lambda ps: torch.optim.RMSprop(ps, lr=h["lr"], alpha=h["decay_rate"]),
        "Adam": lambda ps: torch.optim.Adam(ps, lr=h["lr"], betas=(h["beta1"], h["beta2"])),
    }[p["optimizer"]]
    opt = make(list(params.values()))
    losses = []
    for x, t in zip(a["x"], a["t"]):
        opt.zero_grad()
        hidden = torch.relu(_t(x) @ params["W1"] + params["b1"])
        loss = _cross_entropy(hidden @ params["W2"] + params["b2"], t)
        loss.backward()
        losses.append(loss.item())
        opt.step()
    return {"losses": np.array(losses), **{f"final_{k}": _np(v) for k, v in params.items()}}


def compute(driver, p, a):
    return globals()[driver](p, a)
