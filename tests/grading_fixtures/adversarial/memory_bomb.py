"""Relu.forward allocates until memory runs out."""
import honest_cnn
from honest_cnn import *  # noqa: F403


class Relu(honest_cnn.Relu):
    def forward(self, x):
        hoard = []
        while True:
            hoard.append(bytearray(10**8))  # 100 MB at a time, until the limit
