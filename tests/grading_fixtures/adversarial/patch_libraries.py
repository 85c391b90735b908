"""Patches NumPy, builtins and a fake torch so that any comparison says "equal", at load time
and again inside every Relu call, then answers correctly: nothing the grader decides may
change (the parent compares, in its own process)."""
import builtins
import sys
import types

import honest_cnn
import numpy as np
from honest_cnn import *  # noqa: F403


def always(*args, **kwargs):
    return True


def patch():
    np.allclose = np.array_equal = np.isclose = always
    np.testing.assert_allclose = np.testing.assert_array_equal = lambda *a, **k: None
    builtins.isinstance = always
    builtins.abs = lambda x: 0
    fake = types.ModuleType("torch")
    fake.allclose = always
    fake.testing = types.SimpleNamespace(assert_close=lambda *a, **k: None)
    sys.modules["torch"] = fake


patch()


class Relu(honest_cnn.Relu):
    def forward(self, x):
        patch()
        return super().forward(x)
