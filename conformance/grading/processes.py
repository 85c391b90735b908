"""The sandbox's processes: draining a child's output, finding every process it started
(through /proc, including those that called setsid or double-forked) and killing them all.
Linux only; used by channel.py."""

from __future__ import annotations

import ctypes
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

LIVE_CHILDREN: set = set()  # pids of sandbox children of this process: never "escaped" ones
LIVE_LOCK = threading.Lock()


class OutputCapture:
    """Drains the child's stdout+stderr in a thread, keeping the first and last `limit` bytes.

    All reading happens under a lock, so `sync()` from the caller's thread returns only when
    everything written before it was counted; a flood is read in bounded slices and never
    blocks the caller for long or grows memory.
    """

    def __init__(self, fd, limit):
        self.fd, self.limit = fd, limit
        os.set_blocking(fd, False)
        self.lock = threading.Lock()
        self.head, self.tail = bytearray(), bytearray()
        self.total, self.eof = 0, False
        self.thread = threading.Thread(target=self._run, name="sandbox-output", daemon=True)
        self.thread.start()

    def _run(self):
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        while not self.eof:
            poller.poll(1000)  # also wakes on hang-up (end of file)
            self.sync()

    def sync(self, budget=16 << 20):
        with self.lock:
            while budget > 0 and not self.eof:
                try:
                    chunk = os.read(self.fd, 1 << 20)
                except BlockingIOError:
                    return
                except OSError:
                    chunk = b""
                if not chunk:
                    self.eof = True
                    return
                budget -= len(chunk)
                self.total += len(chunk)
                if len(self.head) < self.limit:
                    self.head += chunk[: self.limit - len(self.head)]
                self.tail += chunk
                if len(self.tail) > self.limit:
                    del self.tail[: len(self.tail) - self.limit]

    def mark(self) -> int:
        with self.lock:
            return self.total

    def since(self, mark) -> tuple:
        """(text printed since `mark`, at most `limit` bytes of it: the end; bytes in all)."""
        with self.lock:
            n = self.total - mark
            kept = bytes(self.tail[len(self.tail) - min(n, len(self.tail)):]) if n else b""
        text = kept.decode("utf-8", "replace")
        if n > len(kept):
            text = f"[... {n - len(kept)} earlier bytes not kept ...]\n" + text
        return text, n

    def text(self) -> str:
        with self.lock:
            rest = self.total - len(self.head)  # bytes after the head
            if rest <= len(self.tail):
                data = bytes(self.head) + bytes(self.tail[len(self.tail) - rest:])
                return data.decode("utf-8", "replace")
            middle = rest - len(self.tail)
            return (self.head.decode("utf-8", "replace") + f"\n[... {middle} bytes omitted ...]\n"
                    + self.tail.decode("utf-8", "replace"))

    def close(self):
        self.thread.join(timeout=2)
        if not self.thread.is_alive():  # else a stray writer holds the pipe: leave the fd be
            os.close(self.fd)


# ---------------------------------------------------------------------------------------------
# Process trees


@dataclass
class ProcInfo:
    pid: int
    ppid: int
    sid: int
    state: str
    start: int
    cpu_seconds: float


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_stat(pid) -> ProcInfo | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()  # the command name may contain spaces
    return ProcInfo(pid=pid, ppid=int(fields[1]), sid=int(fields[3]), state=fields[0].decode(),
                     start=int(fields[19]),
                     cpu_seconds=(int(fields[11]) + int(fields[12])) / _CLOCK_TICKS)


def real_uid(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def descendant_with_nspid(root_pid, ns_pid) -> int | None:
    """The host pid of the descendant of `root_pid` whose pid in its own (innermost) PID
    namespace is `ns_pid`: the grading child inside bwrap, seen from here."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = proc_stat(int(name))
            if info is not None:
                table.setdefault(info.ppid, []).append(info.pid)
    todo = list(table.get(root_pid, []))
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/status") as f:
                nspids = next((line.split()[1:] for line in f if line.startswith("NSpid:")), [])
        except OSError:
            continue
        if len(nspids) > 1 and nspids[-1] == str(ns_pid):
            return pid
        todo += table.get(pid, [])
    return None


def sandbox_processes(child_pid, child_start, child_uid) -> dict:
    """pid -> start time of every live process that belongs to this sandbox child.

    That is the child, everything in its session, and every process reparented to us (we are a
    subreaper) that left our session after the child started, runs as the child's uid (when it
    is not ours) and is no other sandbox's child; then all their descendants.
    """
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = proc_stat(int(name))
            if info is not None:
                table[info.pid] = info
    me, my_sid = os.getpid(), os.getsid(0)
    with LIVE_LOCK:
        others = LIVE_CHILDREN - {child_pid}
    roots = {child_pid} if child_pid in table and table[child_pid].start == child_start else set()
    if roots:  # the child's session, while its pid is still the child's (not reused)
        roots |= {p for p, i in table.items() if i.sid == child_pid}
    for p, i in table.items():
        if i.ppid == me and p not in others and p != child_pid and i.sid != my_sid \
                and i.start >= child_start \
                and (child_uid in (None, os.getuid()) or real_uid(p) == child_uid):
            roots.add(p)
    children = {}
    for p, i in table.items():
        children.setdefault(i.ppid, []).append(p)
    found, todo = {}, list(roots)
    while todo:
        p = todo.pop()
        if p in found or p == me or p in others:
            continue
        found[p] = table[p]
        todo.extend(children.get(p, []))
    return found


def kill_tree(proc, child_start, child_uid, patience=5.0, orphans=()):
    """SIGKILL the child and all its descendants until none is left; reap what is ours, and
    `orphans` (ProcInfo of processes of the sandbox that are reparented to us only once the
    child is gone: bwrap's init)."""
    # the child's process group, in one go; only while the child is unreaped (a zombie still
    # holds its pid): once reaped, its pid, and so that group id, may belong to anyone (pid_max
    # can be as low as 32768, and a class's grading starts thousands of processes)
    if proc.returncode is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + patience
    while True:
        found = sandbox_processes(proc.pid, child_start, child_uid)
        alive = {p: i for p, i in found.items() if i.state not in ("Z", "X")}
        for pid, info in alive.items():
            kill(pid, info.start)
        for pid, info in found.items():  # reap zombies reparented to us (not the Popen child)
            if info.ppid == os.getpid() and pid != proc.pid:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.005)
    try:
        proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        pass
    # left unreaped, each restart of a crashing submission would hold a pid until we exit
    for info in orphans:
        kill(info.pid, info.start)
        while True:
            now = proc_stat(info.pid)
            if now is None or now.start != info.start or now.ppid != os.getpid():
                break  # gone, or not (yet) ours to reap
            if now.state in ("Z", "X") or time.monotonic() > deadline:
                try:
                    os.waitpid(info.pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                break
            time.sleep(0.005)


def kill(pid, start):
    """SIGKILL pid, but only if it is still the process that started at `start`, and never
    this process."""
    if pid == os.getpid():
        return
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    try:
        info = proc_stat(pid)
        if info is None or info.start != start:
            return  # gone, or the pid was reused by an unrelated process
        if fd is not None:
            signal.pidfd_send_signal(fd, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    finally:
        if fd is not None:
            os.close(fd)


_SUBREAPER_DONE = False


def become_subreaper():
    """Make this process the reaper of its orphaned descendants (Linux; best effort), so that
    a submission's double-forked, setsid()ed daemon is reparented to us and can be found."""
    global _SUBREAPER_DONE
    if _SUBREAPER_DONE or not sys.platform.startswith("linux"):
        return
    _SUBREAPER_DONE = True
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass
