"""Relu tampers with the channel the harness answers on: forged frames (a correct early answer
in its last call, that leaves the real one behind for the next component's first call;
garbage; an answer to the next request), the result pipe closed, stdout dup2'ed onto it, or it
dup2'ed away. All but the first only on float64 input (half the cases): each one costs a fresh
process."""
import fcntl
import io
import json
import os
import stat
import struct
import sys

import honest_cnn
import numpy as np
from adv_config import LAST_CALL, STRATEGY
from honest_cnn import *  # noqa: F403

RESULT_FD = int(sys.argv[2])  # the child's command line names its result channel
CALLS = [0]


def request_id():
    frame = sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if isinstance(value, dict) and value.get("kind") == "call":
                return value["id"]
        frame = frame.f_back
    raise LookupError("no request in any frame")


def writable_pipes():
    """The pipes this process may write to: /proc/self/fd or /dev/fd if they can be listed,
    else every descriptor tried in turn."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            fds = [int(n) for n in os.listdir(folder)]
            break
        except OSError:
            continue
    else:
        fds = range(3, 256)
    found = []
    for fd in fds:
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode) and \
                    fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                found.append(fd)
        except OSError:
            continue
    return [fd for fd in found if fd > 2]


def frame(header, arrays=None):
    blobs = []
    for name, arr in (arrays or {}).items():
        buf = io.BytesIO()
        np.save(buf, arr)
        blobs.append((name, buf.getvalue()))
    header = dict(header, arrays=[{"name": n, "group": "outputs", "nbytes": len(b)}
                                  for n, b in blobs])
    data = json.dumps(header).encode()
    return struct.pack(">I", len(data)) + data + b"".join(b for _, b in blobs)


class Relu(honest_cnn.Relu):
    def backward(self, dout):
        dx = super().backward(dout)
        CALLS[0] += 1
        if self.x_seen.dtype != np.float64 and STRATEGY != "early_answer":
            pass
        elif STRATEGY == "early_answer" and CALLS[0] == LAST_CALL:  # the harness's answer next
            out = np.where(self.mask, 0.0, self.x_seen)
            # a complete answer, as the harness would send it (the grader reads the inputs
            # back itself)
            os.write(RESULT_FD, frame({"kind": "result", "id": request_id(), "status": "ok",
                                       "scalars": {}, "refused": []},
                                      {"out": out, "dx": dx, "dx_again": dx}))
        elif STRATEGY == "answer_next_request":
            os.write(RESULT_FD, frame({"kind": "result", "id": request_id() + 1,
                                       "status": "ok", "scalars": {}, "refused": []},
                                      {"out": np.zeros(3), "dx": np.zeros(3)}))
        elif STRATEGY == "garbage":  # into every pipe it can write to, found without argv
            for fd in writable_pipes():
                os.write(fd, b"\x00\x00\x00\x10not json at all!")
        elif STRATEGY == "close":
            os.close(RESULT_FD)
        elif STRATEGY == "stdout_onto_channel":
            sys.stdout.flush()
            os.dup2(RESULT_FD, 1)
            print("PASS " * 20, flush=True)
        elif STRATEGY == "channel_away":
            os.dup2(os.open(os.devnull, os.O_WRONLY), RESULT_FD)
        return dx

    def forward(self, x):
        self.x_seen = x.copy()
        return super().forward(x)
