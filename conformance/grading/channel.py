"""One grading child, seen from the parent: started (in its sandbox when there is one), spoken
to in frames, every frame it sends validated before use, killed with everything it started.

Nothing the child sends is trusted: a frame is size-checked from its length, its header parsed
and checked against its schema (protocol.validate), its arrays read as plain numbers, and any
surprise is a ChildFailure, never another exception. Text that could name the grader's own
temporary folders is scrubbed before anyone sees it.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
import weakref

from . import protocol, staging
from .arrays import InputRegion, parse_npy
from .cgroups import SandboxGroup
from .launcher import UID_SLOTS, bare_launch, bwrap_launch
from .processes import (
    LIVE_CHILDREN,
    LIVE_LOCK,
    OutputCapture,
    become_subreaper,
    descendant_with_nspid,
    kill_tree,
    proc_stat,
)


class ChildFailure(Exception):
    pass


class Timeout(ChildFailure):
    def __str__(self):
        return "no answer in time"


class ProtocolError(ChildFailure):
    pass


class Stale(ProtocolError):
    """A frame that answers an earlier request: written after the answer we took for it."""


class TooManyFiles(ChildFailure):
    """The submission made more files than its folder may hold: each holds kernel memory that
    no size cap counts (bwrap's tmpfs has no inode limit), so the parent counts them."""

    def __init__(self, count):
        super().__init__(f"{count} files and folders")
        self.count = count


class Died(ChildFailure):
    def __init__(self, returncode):
        super().__init__(f"exited with {returncode}")
        self.returncode = returncode


class ChildProcess:
    """One child process, its pipes, its output drain, its input memory and its folders."""

    def __init__(self, box, tree: staging.Tree):
        self.max_result_bytes = box.max_result_bytes
        self.isolation = box.isolation
        become_subreaper()
        staging.sweep_stale_workdirs(box.tmp_dir)
        self.folder = staging.make_workdir(box.tmp_dir)
        self.staged = os.path.join(self.folder, "submission")
        self.group = self.region = self.launch = self.work_fd = self.init = None
        self.max_files = len(tree.files) + len(tree.folders) + box.max_files
        fds, self.stopped = [], False
        try:
            os.mkdir(self.staged, 0o755)
            staging.copy(tree, self.staged)
            self.region = InputRegion(box.max_input_bytes)
            req_r, self.req_w = os.pipe()
            self.res_r, res_w = os.pipe()
            out_r, out_w = os.pipe()
            fds = [req_r, self.req_w, self.res_r, res_w, out_r, out_w]
            for fd in (self.req_w, self.res_r):
                _grow_pipe(fd)
            child_fds = (req_r, res_w, self.region.fd)
            if self.isolation.sandbox:
                program = box.seccomp_program()
                seccomp_fd = _pipe_holding(program, fds) if program else None
                if box.cgroup_delegation is not None:
                    self.group = SandboxGroup(box.cgroup_delegation, box.cgroup_memory_bytes(),
                                              max_pids=8)
                self.launch = bwrap_launch(
                    box.machine.bwrap, root=box.machine.root, staged=self.staged,
                    work_bytes=tree.total_bytes + (box.file_limit_mb << 20) + (1 << 20),
                    drivers=box.drivers_path, hidden=box.forbidden_paths,
                    seccomp_fd=seccomp_fd, fds=child_fds,
                    wrap=self.group.wrap if self.group else None)
            else:
                self.launch = bare_launch(staged=self.staged, drivers=box.drivers_path,
                                          fds=child_fds)
            self.proc = subprocess.Popen(
                self.launch.argv, stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w,
                pass_fds=self.launch.pass_fds, cwd=self.launch.cwd, env=self.launch.env,
                start_new_session=True)
        except BaseException:
            for fd in fds + (self.launch.close_after if self.launch else []):
                _close(fd)
            self._release()
            raise
        for fd in fds + (self.launch.close_after if self.launch else []):
            if fd not in (self.req_w, self.res_r, out_r):
                _close(fd)
        with LIVE_LOCK:
            LIVE_CHILDREN.add(self.proc.pid)
        info = proc_stat(self.proc.pid)
        self.start_ticks = info.start if info else 0
        self.child_pid = self.proc.pid  # bwrap's; the child's own once it said "ready"
        self.capture = OutputCapture(out_r, box.output_limit)
        os.set_blocking(self.req_w, False)
        os.set_blocking(self.res_r, False)
        self.settings = box.start_frame(self.launch, self.region.fd)
        # If the Sandbox is dropped without close(), stop the child when it is collected or at
        # interpreter exit (a parent killed outright takes the child along: --die-with-parent,
        # or PDEATHSIG without a sandbox).
        self._finalizer = weakref.finalize(box, self.stop)

    # -- text from the child
    def scrub(self, text: str) -> str:
        """No path of the grader's temporary folders in what people read."""
        for prefix in (self.staged + os.sep, self.folder + os.sep):
            text = text.replace(prefix, "")
        return text.replace(self.folder, "the sandbox's folder")

    # -- frames
    def start(self):
        """Send the start frame: what to load, and how to confine itself first."""
        self.send(self.settings, time.monotonic() + 10)

    def ready(self, header):
        """The child is up: find its host pid (for its CPU time) inside the sandbox, and its
        working folder (to count the files it makes there)."""
        if self.isolation.sandbox:
            self.child_pid = descendant_with_nspid(self.proc.pid, header["pid"]) or self.proc.pid
            child = proc_stat(self.child_pid)
            init = proc_stat(child.ppid) if child else None
            # bwrap's init (pid 1 inside), a child of bwrap: reparented to us when bwrap exits.
            # Where the grading child was not found (it is gone already, or its pid was not
            # its own), child_pid is bwrap itself and its parent is this process: never that
            if init is not None and init.ppid == self.proc.pid and init.pid != os.getpid():
                self.init = init
            try:
                self.work_fd = os.open(f"/proc/{self.child_pid}/root{self.launch.workdir}",
                                       os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError:
                self.work_fd = None

    def check_files(self):
        """TooManyFiles if the working folder holds more files than allowed."""
        if self.work_fd is None:
            return
        try:
            stats = os.fstatvfs(self.work_fd)
        except OSError:
            return
        used = stats.f_files - stats.f_ffree
        if used > self.max_files:
            raise TooManyFiles(used)

    def send(self, header, deadline):
        view = memoryview(protocol.encode(header))
        while view:
            try:
                view = view[os.write(self.req_w, view):]
                continue
            except BlockingIOError:
                pass
            except BrokenPipeError:
                raise Died(self._exit_status(deadline)) from None
            self._wait_io(self.req_w, select.POLLOUT, deadline)

    def receive(self, deadline, kinds, request_id=None):
        """(header, output arrays) of the next frame, validated; ChildFailure otherwise."""
        try:
            size = protocol.header_size(self._read_exact(protocol.LENGTH.size, deadline))
            raw = protocol.decode_header(self._read_exact(size, deadline))
            if request_id is not None and raw.get("id") != request_id:
                if type(raw.get("id")) is int and 0 < raw["id"] < request_id:
                    raise Stale("an answer to an earlier request")
                raise ProtocolError("an answer to another request")
            header = protocol.validate(raw, kinds)
            listing = protocol.array_listing(raw, self.max_result_bytes)
            arrays = {name: parse_npy(name, self._read_exact(n, deadline))
                      for name, _group, n in listing}
        except protocol.ProtocolViolation as exc:
            raise ProtocolError(str(exc)) from None
        if set(arrays) & set(header.get("scalars", {})):
            raise ProtocolError("an output sent both as a scalar and as an array")
        return header, arrays

    def _read_exact(self, n, deadline) -> bytes:
        buf = bytearray(n)
        view, got = memoryview(buf), 0
        while got < n:
            try:
                k = os.readv(self.res_r, [view[got:]])
            except BlockingIOError:
                k = None
            if k == 0:  # end of file: the child is gone (or closed its channel)
                raise Died(self._exit_status(deadline))
            if k:
                got += k
                continue
            self._wait_io(self.res_r, select.POLLIN, deadline)
        return bytes(buf)

    def unsolicited(self) -> bool:
        """Whether the child sent something (or closed its channel) while no call was made."""
        poller = select.poll()
        poller.register(self.res_r, select.POLLIN)
        return bool(poller.poll(0))

    def _wait_io(self, fd, events, deadline):
        self.check_files()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Timeout()
        poller = select.poll()
        poller.register(fd, events)
        # Short slices: a dead child whose descendants hold the pipe open sends no EOF.
        if not poller.poll(min(remaining, 0.05) * 1000) and self.proc.poll() is not None:
            raise Died(self.proc.returncode)

    def _exit_status(self, deadline):
        try:
            status = self.proc.wait(timeout=max(0.0, min(1.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            return None
        # bwrap exits with its child's status, or 128 + the signal that killed it
        if self.isolation.sandbox and status is not None and 128 < status < 160:
            return -(status - 128)
        return status

    # -- limits and processes
    def cpu_used(self) -> float:
        info = proc_stat(self.child_pid)
        return info.cpu_seconds if info else 0.0

    def oom_killed(self) -> bool:
        return self.group is not None and self.group.oom_killed()

    def kill_tree(self):
        kill_tree(self.proc, self.start_ticks, self.launch.host_uid if self.launch else None,
                  orphans=[self.init] if self.init else [])

    def stop(self, graceful=False):
        """Kill everything, reap it, drain the output, close the pipes, delete the folders."""
        if self.stopped:
            return
        self.stopped = True
        self._finalizer.detach()
        if graceful and self.proc.poll() is None:
            try:
                self.send({"kind": "exit"}, time.monotonic() + 0.2)
                self.proc.wait(timeout=0.5)
            except (ChildFailure, subprocess.TimeoutExpired):
                pass
        self.kill_tree()
        with LIVE_LOCK:
            LIVE_CHILDREN.discard(self.proc.pid)
        self.capture.close()
        for fd in (self.req_w, self.res_r, self.work_fd):
            if fd is not None:
                _close(fd)
        self._release()

    def _release(self):
        if self.region is not None:
            self.region.close()
            self.region = None
        if self.group is not None:
            self.group.remove()
        if self.launch is not None and self.launch.uid is not None:
            UID_SLOTS.give_back(self.launch.uid)
            self.launch.uid = None
        try:
            staging.remove_tree(self.folder)
        except OSError:
            pass  # swept by the next grader (its name carries our pid)


def _pipe_holding(data: bytes, fds: list) -> int:
    """The read end of a pipe that holds `data` and is then closed for writing."""
    r, w = os.pipe()
    fds.append(r)
    try:
        os.write(w, data)  # a seccomp program is a few KB: it fits in the pipe's buffer
    finally:
        os.close(w)
    return r


def _grow_pipe(fd):
    try:
        import fcntl
        fcntl.fcntl(fd, 1031, 1 << 20)  # F_SETPIPE_SZ: fewer wake-ups for large arrays
    except (ImportError, OSError):
        pass


def _close(fd):
    try:
        os.close(fd)
    except OSError:
        pass
