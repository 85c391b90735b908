"""Small helpers the test files share."""

import os

import numpy as np


def central_difference(f, a, h=1e-6):
    """d f() / d a, perturbing a in place (f closes over a, or over a layer holding it); kept
    apart from scratch_cnn.numerical_gradient so that the tests do not lean on the library."""
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        original = a[idx]
        a[idx] = original + h
        f_plus = f()
        a[idx] = original - h
        f_minus = f()
        a[idx] = original
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def processes() -> dict:
    """pid -> (ppid, state, uid, command line) of every process (Linux, from /proc)."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{name}/status") as f:
                uid = next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
        except (OSError, StopIteration, IndexError):
            continue
        table[int(name)] = (int(fields[1]), fields[0], uid, cmd)
    return table


def alive(table, pid) -> bool:
    return table.get(pid, (0, "Z"))[1] not in "ZX"


def descendants(pid, table=None) -> list:
    """The live processes below `pid`."""
    table = processes() if table is None else table
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, state, _uid, _cmd) in table.items():
            if ppid == parent and state not in "ZX":
                found.append(child)
                todo.append(child)
    return found


def nest_folders(top, depth, link_every=None):
    """`depth` folders "d" nested in `top` (made relative to each other: no long path), with a
    link back up ("loop") every `link_every` levels."""
    fd = os.open(top, os.O_RDONLY)
    for i in range(depth):
        os.mkdir("d", dir_fd=fd)
        below = os.open("d", os.O_RDONLY, dir_fd=fd)
        if link_every and i % link_every == 0:
            os.symlink("..", "loop", dir_fd=below)
        os.close(fd)
        fd = below
    os.close(fd)


# The memory layouts an (N, C, H, W) array reaches a layer in: as made, as a channel-major
# convolution returns it ((C, N, H, W) memory), and as a channels-last one does ((N, H, W, C)).
LAYOUTS = {
    "NCHW": lambda a: a,
    "channel-major": lambda a: np.ascontiguousarray(a.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3),
    "channels-last": lambda a: np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2),
}
