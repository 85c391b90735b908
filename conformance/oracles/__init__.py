"""Oracles: what the right answer is for a case.

- "torch": PyTorch computes it (conformance/oracles/torch_oracle.py; needs torch).
- "reference": the verified reference, scratch_cnn, run through the same drivers as the
  implementation under test; grading then needs NumPy alone.
Both compute in float64 from the case's inputs, whatever the case's dtype.
"""

import copy

import numpy as np

from .. import drivers


def _float64(arrays):
    return {k: v.astype(np.float64) if v.dtype.kind == "f" else v for k, v in arrays.items()}


class ReferenceOracle:
    name = "reference"

    def __init__(self):
        import scratch_cnn

        self.module = scratch_cnn
        self.name = f"scratch_cnn {scratch_cnn.__version__} (reference)"

    def compute(self, component, p, a):
        outputs, _ = drivers.run(self.module, component.driver, copy.deepcopy(p), _float64(a))
        failed = {k: v for k, v in outputs.items() if k.startswith("error:")}
        if failed:  # the reference itself refused the case: a bug of the suite, not the student's
            raise RuntimeError(f"the reference failed on this case: {failed}")
        return {k: np.asarray(v, dtype=np.float64) for k, v in outputs.items()}


class TorchOracle:
    def __init__(self):
        try:
            from . import torch_oracle
        except ImportError as exc:
            raise RuntimeError(
                f"the torch oracle needs PyTorch ({exc}); install it with "
                f"`pip install scratch-cnn[oracle]`, or use the reference oracle") from None
        self._oracle = torch_oracle
        self.name = torch_oracle.NAME

    def compute(self, component, p, a):
        return self._oracle.compute(component.oracle, p, _float64(a))


def get(name):
    if name == "torch":
        return TorchOracle()
    if name == "reference":
        return ReferenceOracle()
    raise ValueError(f"unknown oracle {name!r}: use 'torch' or 'reference'")
