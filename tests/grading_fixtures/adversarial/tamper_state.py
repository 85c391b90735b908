"""Relu changes process-wide state that the harness, or the next component's calls, depend on,
then answers correctly: the working directory, sys.stdout, modules the drivers use, signal
handlers and timers, the recursion limit, warnings and NumPy's error handling. Where the harm
would only show in a later call, it is done in Relu's last call (LAST_CALL, from the test).
STRATEGY may join several with "+"."""
import inspect
import os
import signal
import sys
import warnings

import honest_cnn
import numpy as np
from adv_config import LAST_CALL, STRATEGY
from honest_cnn import *  # noqa: F403

CALLS = [0]


class BrokenStream:
    def write(self, text):
        raise OSError("this stream is broken")

    def flush(self):
        while True:  # the harness flushes stdout after every call
            pass


def die(signum, frame):
    os._exit(9)


class Relu(honest_cnn.Relu):
    def forward(self, x):
        CALLS[0] += 1
        last = CALLS[0] == LAST_CALL
        strategies = STRATEGY.split("+")
        if "chdir" in strategies:
            os.chdir("/")
        if "stdout" in strategies:
            sys.stdout = sys.stderr = BrokenStream()
        if "patch_inspect" in strategies and last:  # the drivers call inspect.signature
            inspect.signature = lambda *args, **kwargs: 1 / 0
        if "alarm" in strategies and last:
            signal.signal(signal.SIGALRM, die)
            signal.setitimer(signal.ITIMER_REAL, 0.05)
        if "cpu_timer" in strategies and last:  # SIGPROF's default action ends the process
            signal.setitimer(signal.ITIMER_PROF, 0.02)
        if "block_signals" in strategies:
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGXCPU])
        if "recursion_limit" in strategies and last:
            sys.setrecursionlimit(60)
        if "errors_everywhere" in strategies:
            warnings.simplefilter("error")
            np.seterr(all="raise")
        return super().forward(x)
