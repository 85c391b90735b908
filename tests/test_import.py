"""Importing scratch_cnn needs NumPy alone: it never imports torch, pytest or conformance
(DESIGN: the dependency runs conformance -> scratch_cnn, never the reverse, and grading with
the reference oracle needs NumPy only). Checked in a fresh interpreter, since this test
process has imported all three already."""

import json
import subprocess
import sys

import pytest

import scratch_cnn

FORBIDDEN = ("torch", "pytest", "_pytest", "conformance", "hypothesis")

PROBE = f"""
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {set(FORBIDDEN)!r})))
"""

# columns: modules imported, in this order, by the fresh interpreter
IMPORTS = [
    ["scratch_cnn"],
    ["scratch_cnn.functional", "scratch_cnn.layers", "scratch_cnn.nets", "scratch_cnn.optim"],
]


@pytest.mark.parametrize("modules", IMPORTS, ids=lambda m: "+".join(m))
def test_importing_scratch_cnn_imports_neither_torch_nor_pytest_nor_conformance(modules):
    result = subprocess.run([sys.executable, "-c", PROBE, *modules], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [], f"importing {modules} also imported these"


def test_public_api_is_exported_at_the_top_level():
    expected = {
        "im2col", "col2im", "conv_output_size", "pool_output_size", "softmax", "log_softmax",
        "cross_entropy_error", "numerical_gradient", "Relu", "Sigmoid", "Affine",
        "SoftmaxWithLoss", "Dropout", "BatchNormalization", "Convolution", "Pooling",
        "AvgPooling", "LRN", "SimpleConvNet", "LeNet", "AlexNet", "DeepConvNet", "SGD",
        "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam",
    }
    assert expected <= set(scratch_cnn.__all__)
    for name in scratch_cnn.__all__:
        assert hasattr(scratch_cnn, name), name
