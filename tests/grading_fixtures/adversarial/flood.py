"""Relu.forward prints 20 MB on every call, then answers correctly."""
import sys

import honest_cnn
from honest_cnn import *  # noqa: F403

LINE = "flood " * 1000 + "\n"


class Relu(honest_cnn.Relu):
    def forward(self, x):
        for _ in range(20_000_000 // len(LINE)):
            sys.stdout.write(LINE)
        return super().forward(x)
