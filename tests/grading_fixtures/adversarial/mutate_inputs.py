"""Relu.forward clips the array it was given in place and returns it: the right values, but the
caller's x is changed (a layer must leave its inputs alone). "hide" also replaces the harness's
own mutation check (found as __main__._changed) with one that always says "unchanged"."""
import sys

import honest_cnn
import numpy as np
from adv_config import STRATEGY
from honest_cnn import *  # noqa: F403


class Relu(honest_cnn.Relu):
    def forward(self, x):
        if STRATEGY == "hide":
            sys.modules["__main__"]._changed = lambda now, before: False
        self.mask = x <= 0
        np.maximum(x, 0, out=x)
        return x
