"""Relu uses resources that outlive its call, then answers correctly: a thread that keeps
running (holding the GIL, printing), an atexit handler, a __del__ that loops, a disk-filling
loop, sleeping just under the per-call timeout in every call, or a flood of refused attempts
(each a line in the report) to bloat the report. LAST_CALL (from the test) is
Relu's last call: harm done there would land on the next component if the harness let it."""
import atexit
import threading
import time

import honest_cnn
import numpy as np
from adv_config import LAST_CALL, STRATEGY
from honest_cnn import *  # noqa: F403

CALLS = [0]
WRITTEN = [0]


def hog():
    while True:
        print("still here", flush=True)
        sum(range(10**8))  # one C loop: the GIL is not let go for seconds


def forever():
    while True:
        pass


class Trap(np.ndarray):
    """An array whose finalizer never returns."""

    def __del__(self):
        while True:
            pass


class Relu(honest_cnn.Relu):
    def forward(self, x):
        CALLS[0] += 1
        last = CALLS[0] == LAST_CALL
        out = super().forward(x)
        if STRATEGY == "thread" and last:
            try:
                threading.Thread(target=hog, daemon=True).start()
            except (RuntimeError, PermissionError):  # no thread left (3.10-3.12), or the
                pass  # audit hook refused it (3.13): either way, answer anyway
        elif STRATEGY == "atexit":
            atexit.register(forever)
        elif STRATEGY == "del_loop" and last:
            return out.view(Trap)  # the driver's outputs hold it until after the answer
        elif STRATEGY == "sleep":
            time.sleep(0.4)  # twice per call (a warm-up forward, then the judged one)
        elif STRATEGY == "refusal_flood":
            for i in range(150):
                try:
                    open(f"/etc/{CALLS[0]}-{i}-{'x' * 200}", "w")
                except OSError:
                    pass
        elif STRATEGY == "fill_disk":
            block = b"x" * 65536
            while WRITTEN[0] < 200 * 2**20:  # 200 MB in all, in small files
                with open(f"junk-{WRITTEN[0]}", "wb") as f:
                    f.write(block)
                WRITTEN[0] += len(block)
        return out
