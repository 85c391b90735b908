"""Relu.forward never returns: a busy loop that ignores SIGTERM (and SIGINT, SIGXCPU)."""
import signal

import honest_cnn
from honest_cnn import *  # noqa: F403


class Relu(honest_cnn.Relu):
    def forward(self, x):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU):
            signal.signal(sig, signal.SIG_IGN)
        while True:
            pass
