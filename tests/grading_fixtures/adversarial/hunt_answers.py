"""Relu's answers are not computed but hunted for: the reference (scratch_cnn) or torch imported
in every way Python offers, the reference's source read from the checkout, from a copy lying
elsewhere on the machine (PLANTED) or from a zip of it, the parent's environment and memory
through /proc, the heap, and the harness's frames, after switching the audit hook off. Each
strategy uses what it finds to answer, so any that works earns points it must not earn.
STRATEGY may join several with "+": they are tried in turn, and the first that works is used."""
import gc
import importlib
import os
import runpy
import sys

import numpy as np
from adv_config import CHECKOUT, PLANTED, STRATEGY
from honest_cnn import *  # noqa: F403


def disable_guards():
    frame = sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            for obj in (value, getattr(value, "guards", None)):
                if type(obj).__name__ == "Guards":
                    obj.modules, obj.paths, obj.workdir = (), (), "/"
                    obj.refuse = lambda *args, **kwargs: None
                    return True
        frame = frame.f_back
    return False


def reference_relu():
    """The first of STRATEGY's ways to the right answer that works; LookupError if none does."""
    failures = []
    for strategy in STRATEGY.split("+"):
        try:
            return steal(strategy)
        except Exception as exc:  # refused, hidden or absent: try the next way
            failures.append(f"{strategy}: {type(exc).__name__}: {exc}")
    raise LookupError("; ".join(failures))


def steal(STRATEGY):
    """A class whose forward gives the right answer, by the way STRATEGY names."""
    if STRATEGY == "import":
        import scratch_cnn
        return scratch_cnn.Relu
    if STRATEGY == "import_with_checkout_on_path":
        sys.path.insert(0, CHECKOUT)
        import scratch_cnn
        return scratch_cnn.Relu
    if STRATEGY == "importlib":
        return importlib.import_module("scratch_cnn.layers").Relu
    if STRATEGY == "__import__":
        return __import__("scratch_cnn.layers.activation", fromlist=["Relu"]).Relu
    if STRATEGY == "runpy":
        return runpy.run_module("scratch_cnn.layers.activation")["Relu"]
    if STRATEGY == "conformance_oracle":
        from conformance import oracles
        return oracles
    if STRATEGY == "torch":
        import torch

        class TorchRelu:
            def forward(self, x):
                self.x = torch.tensor(x, requires_grad=True)
                self.y = torch.relu(self.x)
                return self.y.detach().numpy()

            def backward(self, dout):
                self.y.backward(torch.tensor(dout))
                return self.x.grad.numpy()
        return TorchRelu
    if STRATEGY == "exec_checkout_source":
        return _exec_source(os.path.join(CHECKOUT, "scratch_cnn"))
    if STRATEGY == "exec_planted_source":
        return _exec_source(os.path.join(PLANTED, "refcopy"))
    if STRATEGY == "planted_copy_on_path":
        sys.path.insert(0, PLANTED)
        return importlib.import_module("refcopy").Relu
    if STRATEGY == "zipimport":
        sys.path.insert(0, os.path.join(PLANTED, "ref.zip"))
        return importlib.import_module("refzip").Relu
    if STRATEGY == "walk_the_filesystem":
        for top in (os.path.dirname(PLANTED), "/tmp", "/var/tmp", "/dev/shm", "/work", "/home",
                    "/root", "/srv", "/opt"):
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames[:] = [d for d in dirnames if d not in ("site-packages", ".git", "proc")]
                if "activation.py" in filenames and "_checks.py" in os.listdir(
                        os.path.dirname(dirpath)):
                    return _exec_source(os.path.dirname(dirpath))
        raise LookupError("no copy of the reference found")
    if STRATEGY == "frames_then_import":
        assert disable_guards(), "the harness's guards were not found"
        sys.path[:0] = [CHECKOUT, PLANTED]
        try:
            import scratch_cnn
            return scratch_cnn.Relu
        except ImportError:
            return importlib.import_module("refcopy").Relu
    if STRATEGY == "frames_for_expected":
        frame = sys._getframe()
        while frame is not None:
            for name, value in frame.f_locals.items():
                if "expect" in str(name).lower() or "answer" in str(name).lower():
                    return value
            frame = frame.f_back
        raise LookupError("no expected values in any frame")
    if STRATEGY == "gc_heap":
        for obj in gc.get_objects():
            if getattr(obj, "__name__", "") in ("scratch_cnn", "scratch_cnn.layers"):
                return obj.Relu
        raise LookupError("nothing useful on the heap")
    if STRATEGY == "proc_parent":
        ppid = os.getppid()
        with open(f"/proc/{ppid}/environ", "rb") as f:
            environ = f.read()
        with open(f"/proc/{ppid}/mem", "rb") as f:
            f.read(1)
        raise LookupError(f"read {len(environ)} bytes of the parent's environment")
    raise AssertionError(STRATEGY)


def _exec_source(package):
    """The reference's Relu from its source files, exec'd without importing its package."""
    namespace = {"np": np, "__name__": "stolen"}
    source = []
    for name in ("_checks.py", os.path.join("layers", "activation.py")):
        with open(os.path.join(package, name)) as f:
            source.append(f.read())
    code = "\n".join(source).replace("from .._checks import", "# from .._checks import")
    exec(compile(code, "stolen", "exec"), namespace)
    return namespace["Relu"]


class Relu:
    def __init__(self):
        self.inner = reference_relu()()

    def forward(self, x):
        return self.inner.forward(x)

    def backward(self, dout):
        return self.inner.backward(dout)
