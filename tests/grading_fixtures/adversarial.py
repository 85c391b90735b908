"""Attacks on the grader, one function each; tests/test_sandbox.py says how each must end."""
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import time

import numpy as np

MARKER = "1234.5"  # in the command line of every process these attacks leave behind


def crash():
    raise RuntimeError("student bug")


def keyboard_interrupt():
    raise KeyboardInterrupt


def calls_sys_exit():
    sys.exit(3)


def calls_os_exit():
    os._exit(7)


def spin():
    while True:
        pass


def spin_ignoring_sigterm():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        pass


def memory_bomb():
    hoard = []
    while True:
        hoard.append(np.ones(10**7))


def huge_allocation():
    return np.ones(10**11)


def flood():
    line = "x" * 9_999 + "\n"
    for _ in range(10_000):  # 100 MB
        sys.stdout.write(line)
    return 1.0


def double_fork():
    """A daemon: fork, setsid, fork again, parent exits; the grandchild sleeps forever."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(w, str(os.getpid()).encode().ljust(16))
            os.execv("/bin/sleep", ["sleep", MARKER])
        os._exit(0)
    os.waitpid(pid, 0)
    return int(os.read(r, 16))


def daemon_subprocess():
    p = subprocess.Popen(["/bin/sh", "-c", f"sleep {MARKER} & echo $!"],
                         stdout=subprocess.PIPE, start_new_session=True)
    out = p.stdout.readline()
    p.wait()
    return int(out)


class Liar(np.ndarray):
    """Equal to everything, close to everything, and it reports a shape it does not have."""

    def __eq__(self, other):
        return True

    def __array_ufunc__(self, *args, **kwargs):
        return True

    @property
    def shape(self):
        return (2, 2)


def lying_array():
    return np.arange(3.0).view(Liar)


def object_array():
    return np.array([{"loss": 0.0}, None], dtype=object)


def string_array():
    return np.array(["0.0", "1.0"])


def pickle_payload():
    return pickle.dumps(np.zeros(3))


def _request_id():
    """The id of the request being served, found by walking up into the harness's frames."""
    frame = sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if isinstance(value, dict) and value.get("kind") == "call":
                return value["id"]
        frame = frame.f_back
    return 1


def _forge(header, blobs=b""):
    fd = int(sys.argv[2])  # the result channel (the child's command line names it)
    data = json.dumps(header).encode()
    os.write(fd, struct.pack(">I", len(data)) + data + blobs)
    time.sleep(30)  # let the forgery arrive before the real answer


def forge_pickled_array():
    import io
    buf = io.BytesIO()
    np.save(buf, np.array([print], dtype=object), allow_pickle=True)
    blob = buf.getvalue()
    _forge({"kind": "result", "id": _request_id(), "status": "ok", "scalars": {},
            "refused": [], "arrays": [{"name": "out", "group": "outputs",
                                                 "nbytes": len(blob)}]},
           blob)


def forge_lying_npy_header():
    """A .npy header that claims ten billion floats, followed by eight bytes."""
    import io
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": (10**10,)})
    blob = buf.getvalue() + bytes(8)
    _forge({"kind": "result", "id": _request_id(), "status": "ok", "scalars": {},
            "refused": [], "arrays": [{"name": "out", "group": "outputs",
                                                 "nbytes": len(blob)}]},
           blob)


def forge_huge_array():
    _forge({"kind": "result", "id": _request_id(), "status": "ok", "scalars": {},
            "refused": [],
            "arrays": [{"name": "out", "group": "outputs", "nbytes": 10**12}]})


def forge_garbage():
    fd = int(sys.argv[2])
    os.write(fd, b"\xff\xff\xff\xf0not a frame")
    time.sleep(30)


def mutate(x):
    x[...] = 99.0
    return float(x.sum())


def write_file(path):
    with open(path, "w") as f:
        f.write('{"score": 100}')
    return 1.0


def read_file(path):
    with open(path, "rb") as f:
        return f.read(200).decode("latin-1")


def parent_environ():
    return read_file(f"/proc/{os.getppid()}/environ")


def open_socket():
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(("127.0.0.1", 9))


def signal_parent():
    os.kill(os.getppid(), signal.SIGTERM)


def import_module(name):
    __import__(name)
    return 1.0


def environment():
    return " ".join(f"{k}={v}" for k, v in sorted(os.environ.items()))


def identity():
    return {"uid": os.getuid(), "pid": os.getpid()}


def socket_errno(family):
    """0 when a socket of `family` can be made, else the errno (the hook must be off)."""
    import socket
    try:
        socket.socket(int(family), socket.SOCK_STREAM).close()
        return 0
    except OSError as exc:
        return exc.errno
