"""Relu.forward ends the call in one of the ways a submission can: an exception, sys.exit,
os._exit, a BaseException the harness might not expect (KeyboardInterrupt, GeneratorExit).
os._exit only on float64 input (half the cases): each one costs a fresh process."""
import os
import sys

import honest_cnn
from adv_config import STRATEGY
from honest_cnn import *  # noqa: F403


class Relu(honest_cnn.Relu):
    def forward(self, x):
        if STRATEGY == "raise":
            raise RuntimeError("student bug in Relu")
        if STRATEGY == "sys_exit":
            sys.exit(3)
        if STRATEGY == "os_exit":
            if x.dtype == "float64":
                os._exit(7)
            return super().forward(x)
        if STRATEGY == "keyboard_interrupt":
            raise KeyboardInterrupt
        if STRATEGY == "generator_exit":
            raise GeneratorExit
        raise AssertionError(STRATEGY)
