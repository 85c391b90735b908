"""How the suite calls an implementation: the book's API, one driver per component.

A driver takes the implementation's namespace `ns`, the case parameters `p` (JSON values) and
the input arrays `a` (fresh copies), calls the book's API and returns named outputs. Drivers
compute nothing themselves: the suite compares what they return.

STANDALONE: this module imports only NumPy and the standard library, because the grader also
loads it by file path inside the sandbox, where this project's packages cannot be imported.
"""

import difflib
import inspect
import os
import traceback

import numpy as np


class ContractError(Exception):
    """The implementation does not follow the book's API: a missing name, a gradient stored
    under another attribute, a method that returned None. The message says how."""


# ---------------------------------------------------------------------------------------------
# Finding things in the implementation, with feedback on near misses


def lookup(ns, name, aliases=None):
    """ns.<name>, honouring a rubric alias; a ContractError naming look-alikes otherwise."""
    actual = (aliases or {}).get(name, name)
    value = getattr(ns, actual, None)
    if value is not None:
        return value
    raise ContractError(f"`{name}` not found{_look_alike(ns, name)}")


def _look_alike(ns, name):
    """'; a class `Poolong` looks like it' for a typo or a renaming (MaxPool for Pooling):
    a close spelling, or a shared stem of four letters or more, of the same kind."""
    wanted_class = name[:1].isupper()
    public = {k: v for k, v in vars(ns).items() if not k.startswith("_") and callable(v)
              and inspect.isclass(v) == wanted_class and not inspect.ismodule(v)}
    scored = []
    for candidate in public:
        matcher = difflib.SequenceMatcher(None, name.lower(), candidate.lower())
        stem = matcher.find_longest_match(0, len(name), 0, len(candidate)).size
        if matcher.ratio() >= 0.7 or (stem >= 4 and matcher.ratio() >= 0.5):
            scored.append((matcher.ratio(), candidate))
    if not scored:
        return ""
    found = max(scored)[1]
    kind = "a class" if wanted_class else "a function"
    return f"; {kind} `{found}` looks like it"


def construct(cls, name, *args, **kwargs):
    """cls(*args, **kwargs), turning a signature mismatch into contract feedback."""
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        signature = None
    if signature is not None:
        params = signature.parameters
        takes_any = any(q.kind == q.VAR_KEYWORD for q in params.values())
        for key in kwargs:
            if key not in params and not takes_any:
                accepted = ", ".join(k for k in params if k != "self")
                raise ContractError(f"`{name}` does not accept `{key}`; its parameters are "
                                    f"({accepted})")
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise ContractError(f"`{name}` cannot be called as the book does: {exc}") from None
    return cls(*args, **kwargs)


def returned(value, what):
    """What a method returned, copied now: a later call that changes the array it returned
    (a cached self.out, say) must not change what this call is judged on."""
    if value is None:
        raise ContractError(f"`{what}` returned None; it must return the result")
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


class stage:
    """`with stage(outputs, "backward"):` runs a later step of a driver so that its failure
    loses only the outputs that depend on it: the error is recorded as outputs["error:backward"]
    and the outputs computed before it still count. (The forward step is not staged: without
    it nothing can be checked.)"""

    def __init__(self, outputs, name):
        self.outputs, self.name = outputs, name

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is None or not issubclass(kind, Exception):
            return False  # SystemExit and the like end the call: the sandbox reports them
        self.outputs[f"error:{self.name}"] = describe_error(exc)
        return True


def describe_error(exc):
    """'TypeError: message (at file, line N: code)', pointing at the implementation's line."""
    if isinstance(exc, ContractError):
        return str(exc)
    if isinstance(exc, NotImplementedError):  # a starter's stub: its line is no news
        return f"NotImplementedError: {exc}"
    text = f"{type(exc).__name__}: {exc}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) != os.path.abspath(__file__)]
    if frames:
        last = frames[-1]
        text += f" (at {os.path.basename(last.filename)}, line {last.lineno}: {last.line})"
    return text


def gradient_of(layer, attribute, param_shape, owner, aliases=None):
    """layer.<attribute> (dW, db, ...), or feedback naming where the layer put it instead."""
    actual = (aliases or {}).get(attribute, attribute)
    value = getattr(layer, actual, None)
    if value is not None:
        return value
    param_names = {attribute[1:], attribute[1:].lower()}
    candidates = [k for k, v in vars(layer).items()
                  if k not in param_names and isinstance(v, np.ndarray)
                  and v.shape == tuple(param_shape)
                  and (k.startswith("d") or "grad" in k.lower())]
    hint = f"; this layer set `{candidates[0]}`" if candidates else ""
    raise ContractError(f"`{owner}` keeps no gradient in `{attribute}` after backward{hint}")


# ---------------------------------------------------------------------------------------------
# Functions


def im2col(ns, p, a):
    f = lookup(ns, "im2col", p.get("aliases"))
    col = f(a["x"], p["FH"], p["FW"], p["stride"], p["pad"])
    return {"col": returned(col, "im2col")}


def col2im(ns, p, a):
    f = lookup(ns, "col2im", p.get("aliases"))
    img = f(a["col"], tuple(p["input_shape"]), p["FH"], p["FW"], p["stride"], p["pad"])
    return {"img": returned(img, "col2im")}


# ---------------------------------------------------------------------------------------------
# Layers: construct, forward, backward


def _forward_backward(layer, name, p, x, dout, warm_up=True, before_forward=None,
                      **forward_kwargs):
    """{"out", "dx", "dx_again"}; a failing backward loses the gradients only.

    Forward runs first on other values of the same shape (warm_up), so that a layer that
    keeps what its first call cached shows it; backward runs twice, the second time on a copy
    of dout as it was before the first, so that a backward that changes the layer's state
    shows it."""
    if p.get("scenario") == "backward_first":
        layer.backward(dout)
        raise ContractError(f"`{name}.backward` ran before forward without raising an error")
    settings = _settings(layer)
    if warm_up:
        layer.forward(_other_values(x), **forward_kwargs)
    if before_forward:
        before_forward()
    outputs = {"out": returned(layer.forward(x, **forward_kwargs), f"{name}.forward")}
    with stage(outputs, "backward"):
        pristine = np.array(dout, copy=True)  # the first call may write into dout itself
        outputs["dx"] = returned(layer.backward(dout), f"{name}.backward")
        outputs["dx_again"] = returned(layer.backward(pristine),
                                       f"{name}.backward (called again)")
    try:  # evidence only: a harness the submission tampered with must not cost its answers
        outputs.update({f"setting:{attr}": np.array([before, after]) for attr, (before, after)
                        in _changed(settings, _settings(layer)).items()})
    except Exception:  # noqa: BLE001 (whatever the tampering raises)
        pass
    return outputs


# The settings a layer is constructed with, by the book's names: none of its calls may change
# them (a forward that pads by hand and sets self.pad = 0 changes the layer for backward)
_SETTINGS = ("stride", "pad", "pool_h", "pool_w")


def _settings(layer):
    """{name: value} of the layer's integer settings, as they are now."""
    found = {attr: getattr(layer, attr, None) for attr in _SETTINGS}
    return {attr: int(v) for attr, v in found.items()
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool)}


def _changed(before, after):
    """{name: (value before, value after)} of the settings a call changed: data outputs
    (setting:pad), facts for the diagnosis, not answers to judge."""
    return {attr: (v, after.get(attr)) for attr, v in before.items()
            if after.get(attr) != v and after.get(attr) is not None}


def _other_values(x):
    """Values other than x's, of the same shape and dtype, for a warm-up call."""
    x = np.asarray(x)
    return (np.flip(x) * -0.5 + 0.25).astype(x.dtype) if x.dtype.kind == "f" else x.copy()


def _parameter_gradients(outputs, layer, name, p, a, params):
    if "dx" not in outputs:
        return outputs  # backward failed: it set no gradients
    with stage(outputs, "parameter gradients"):
        for param in params:
            outputs[f"d{param}"] = gradient_of(layer, f"d{param}", a[param].shape, name,
                                               p.get("aliases"))
    return outputs


def _layer_with_params(ns, p, a, name):
    cls = lookup(ns, name, p.get("aliases"))
    layer = construct(cls, name, a["W"], a["b"], *p.get("layer_args", ()))
    outputs = _forward_backward(layer, name, p, a["x"], a["dout"])
    return _parameter_gradients(outputs, layer, name, p, a, ("W", "b"))


def convolution(ns, p, a):
    p = {**p, "layer_args": (p["stride"], p["pad"])}
    return _layer_with_params(ns, p, a, "Convolution")


def affine(ns, p, a):
    return _layer_with_params(ns, p, a, "Affine")


def _simple_layer(ns, p, a, name, *args):
    layer = construct(lookup(ns, name, p.get("aliases")), name, *args)
    return _forward_backward(layer, name, p, a["x"], a["dout"])


def pooling(ns, p, a):
    return _simple_layer(ns, p, a, "Pooling", p["PH"], p["PW"], p["stride"], p["pad"])


def avg_pooling(ns, p, a):
    return _simple_layer(ns, p, a, "AvgPooling", p["PH"], p["PW"], p["stride"], p["pad"])


def relu(ns, p, a):
    return _simple_layer(ns, p, a, "Relu")


def sigmoid(ns, p, a):
    return _simple_layer(ns, p, a, "Sigmoid")


def lrn(ns, p, a):
    return _simple_layer(ns, p, a, "LRN", p["size"], p["alpha"], p["beta"], p["k"])


def softmax_with_loss(ns, p, a):
    name = "SoftmaxWithLoss"
    layer = construct(lookup(ns, name, p.get("aliases")), name)
    if p.get("scenario") == "backward_first":
        layer.backward(1)
        raise ContractError(f"`{name}.backward` ran before forward without raising an error")
    layer.forward(_other_values(a["x"]), a["t"])  # warm-up, as for every layer
    outputs = {"loss": returned(layer.forward(a["x"], a["t"]), f"{name}.forward")}
    with stage(outputs, "backward"):
        outputs["dx"] = returned(layer.backward(p.get("dout", 1)), f"{name}.backward")
        outputs["dx_again"] = returned(layer.backward(p.get("dout", 1)),
                                       f"{name}.backward (called again)")
    return outputs


def dropout(ns, p, a):
    """Training mode draws the mask from np.random after seeding it, as the book does; the
    suite reads the mask back from the output, so any drawing scheme is judged fairly."""
    name = "Dropout"
    layer = construct(lookup(ns, name, p.get("aliases")), name, p["ratio"])
    outputs = _forward_backward(layer, name, p, a["x"], a["dout"], train_flg=True,
                                before_forward=lambda: np.random.seed(p["mask_seed"]))
    with stage(outputs, "evaluation mode"):
        outputs["out_eval"] = returned(layer.forward(a["x"], train_flg=False),
                                       f"{name}.forward")
    return outputs


def batch_normalization(ns, p, a):
    name = "BatchNormalization"
    layer = construct(lookup(ns, name, p.get("aliases")), name, a["gamma"], a["beta"],
                      p["momentum"])
    # no warm-up: a training step moves the running statistics, which are judged
    outputs = _forward_backward(layer, name, p, a["x"], a["dout"], warm_up=False,
                                train_flg=True)
    _parameter_gradients(outputs, layer, name, p, a, ("gamma", "beta"))
    with stage(outputs, "running statistics"):
        for _ in range(p.get("extra_steps", 0)):  # more batches: the running averages move
            layer.forward(a["x_more"], train_flg=True)
        outputs["running_mean"] = returned(getattr(layer, "running_mean", None),
                                           f"{name}.running_mean")
        outputs["running_var"] = returned(getattr(layer, "running_var", None),
                                          f"{name}.running_var")
    with stage(outputs, "evaluation mode"):
        outputs["out_eval"] = returned(layer.forward(a["x_eval"], train_flg=False),
                                       f"{name}.forward")
        outputs["dx_eval"] = returned(layer.backward(a["dout"]), f"{name}.backward")
    return outputs


# ---------------------------------------------------------------------------------------------
# Networks: the book's constructor, weights set in place, then predict/loss/gradient/accuracy


def network(ns, p, a):
    """The book's constructor, the case's weights set in place, then gradient, predict, loss
    and accuracy, each step failing on its own. The gradient comes first, right after a loss
    on other data, so that a gradient that skips its own forward pass shows it."""
    name = p["network"]
    np.random.seed(p.get("random_seed", 0))  # initial weights, if a layer never sees ours
    net = construct(lookup(ns, name, p.get("aliases")), name, **p["init"])
    outputs = {}
    with stage(outputs, "weights"):
        _set_weights(net, name, p, a, outputs)
    if "error:weights" in outputs:
        return outputs
    for layer in getattr(net, "layers", {}).values():
        if hasattr(layer, "dropout_ratio"):  # dropout off, so torch can follow the same graph
            layer.dropout_ratio = 0.0
    with stage(outputs, "gradient"):
        net.loss(_other_values(a["x"]), a["t"][::-1].copy())
        grads = returned(net.gradient(a["x"], a["t"]), f"{name}.gradient")
        if not isinstance(grads, dict) or set(grads) != set(p["param_shapes"]):
            keys = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
            raise ContractError(f"`{name}.gradient` must return a dict with keys "
                                f"{sorted(p['param_shapes'])}; got {keys}")
        outputs.update({f"d{key}": returned(grads[key], f"{name}.gradient()['{key}']")
                        for key in p["param_shapes"]})
    with stage(outputs, "predict"):
        outputs["scores"] = returned(net.predict(a["x"]), f"{name}.predict")
    with stage(outputs, "loss"):
        outputs["loss"] = returned(net.loss(a["x"], a["t"]), f"{name}.loss")
    with stage(outputs, "accuracy"):
        outputs["accuracy"] = returned(net.accuracy(a["x"], a["t"], p["batch_size"]),
                                       f"{name}.accuracy")
    return outputs


def _set_weights(net, name, p, a, outputs):
    """net.params[k][...] = weights: in place, because the layers must hold these very
    arrays (that is how an optimizer's update reaches them). The parameters' shapes, and their
    values before they were set, are outputs too: data the grader can reason about (a wrong
    size formula, layers that hold copies)."""
    params = getattr(net, "params", None)
    if not isinstance(params, dict):
        raise ContractError(f"`{name}` has no `params` dict")
    missing = [key for key in p["param_shapes"] if key not in params]
    if missing:
        raise ContractError(f"`{name}.params` has no `{missing[0]}`; it has "
                            f"{sorted(map(str, params))}")
    for key in p["param_shapes"]:
        outputs[f"shape:{key}"] = np.array(np.shape(params[key]), dtype=np.int64)
    for key, shape in p["param_shapes"].items():
        if np.shape(params[key]) != tuple(shape):
            raise ContractError(f"`{name}.params['{key}']` has shape {np.shape(params[key])} "
                                f"but this network needs {tuple(shape)}")
    for key in p["param_shapes"]:
        outputs[f"initial:{key}"] = np.array(params[key], copy=True)  # dtype kept: evidence
        params[key][...] = a[key]


# ---------------------------------------------------------------------------------------------
# Optimizers: a fixed two-layer model whose gradients this driver computes, so that only the
# implementation's update rule is under test


def optimizer(ns, p, a):
    name = p["optimizer"]
    opt = construct(lookup(ns, name, p.get("aliases")), name, **p["hyper"])
    params = {k: a[k].copy() for k in ("W1", "b1", "W2", "b2")}  # updated in place
    losses = []
    for x, t in zip(a["x"], a["t"]):
        loss, grads = mlp_loss_and_gradient(params, x, t)
        losses.append(loss)
        opt.update(params, grads)
    return {"losses": np.array(losses), **{f"final_{k}": v for k, v in params.items()}}


def mlp_loss_and_gradient(params, x, t):
    """Mean softmax cross entropy of affine-relu-affine, and its gradient (plain NumPy)."""
    h = x @ params["W1"] + params["b1"]
    r = np.maximum(h, 0)
    s = r @ params["W2"] + params["b2"]
    z = s - s.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(t)
    loss = -log_p[np.arange(n), t].mean()
    ds = np.exp(log_p)
    ds[np.arange(n), t] -= 1
    ds /= n
    dr = ds @ params["W2"].T
    dh = dr * (h > 0)
    return loss, {"W1": x.T @ dh, "b1": dh.sum(0), "W2": r.T @ ds, "b2": ds.sum(0)}


# ---------------------------------------------------------------------------------------------


def run(ns, driver, params, arrays):
    """Call a driver on fresh copies of the inputs.

    Returns (outputs, inputs_after): what the implementation returned, and the copies it was
    given as they are after the call. The caller coerces and checks both; whether an input was
    changed is the caller's judgement, made from these arrays."""
    given = {k: np.array(v, copy=True) for k, v in arrays.items()}
    outputs = globals()[driver](ns, params, given)
    return outputs, given
